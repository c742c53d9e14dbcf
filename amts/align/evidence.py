"""What a text and its translation still share: the evidence that alignment scores.

Translation changes the words but keeps inline math, roles (``:numref:`x```), inline code, link
targets, most numbers and the English terms a Chinese translator keeps in brackets; the length of
the prose changes by a roughly constant ratio (Gale & Church 1993). ``Features`` holds these for one
piece of text (a block, a segment or a sentence) and :func:`link_cost` turns two of them into the cost
of linking them, used by the dynamic programs in :mod:`amts.align.blocks` and
:mod:`amts.align.sentences`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from amts.document import is_cjk_language
from amts.document.markup import DISPLAY_MATH, INLINE_MATH, ROLE_NAME, SLIDE_MARKS
from amts.document.scripts import count_han

# Target-only additions of the Chinese D2L: slide marks around text that goes on slides.
SLIDE_MARK_RE = re.compile("|".join(map(re.escape, SLIDE_MARKS)))
_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*(?![A-Za-z0-9_])")
# Latin words of three or more letters (shorter ones are never evidence): a word starts and ends with
# a letter, so matching only long ones finds exactly the long words a match-everything pattern would.
_LONG_LATIN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]+[A-Za-z]")
_SPACE_RE = re.compile(r"\s+")

# Weights of shared evidence (cost units are -log probabilities).
STRONG_MATCH = 1.6  # math, role, inline code, link target seen on both sides
NUMBER_MATCH = 0.8
TERM_MATCH = 1.0  # an English term the Chinese kept
UNMATCHED = 0.6  # a strong token only one side has
UNMATCHED_CAP = 6.0


def strip_target_additions(text: str) -> str:
    """``text`` without slide marks ``[**...**]`` / ``(**...**)`` (kept content, dropped marks)."""
    return SLIDE_MARK_RE.sub("", text) if "**" in text else text


@dataclass(slots=True)  # built for every block, sentence and merged run: slots make that cheaper
class Features:
    """Evidence of one piece of text (or several merged): length, tokens, words."""

    length: float = 0.0  # prose characters without spaces (Latin letters count 1, CJK 1)
    tokens: dict[str, float] = field(default_factory=dict)  # strong token -> count
    numbers: dict[str, float] = field(default_factory=dict)
    words: frozenset[str] = frozenset()  # lowercased Latin words (3+ letters) of the prose
    kind: str = "paragraph"
    level: int = 0  # heading level
    items: int = 1  # segments (list items, table cells)

    token_count: float = field(init=False, repr=False, compare=False)  # sum of ``tokens`` counts

    def __post_init__(self) -> None:
        self.token_count = sum(self.tokens.values())

    def merged(self, other: Features) -> Features:
        """The features of this text followed by ``other`` (for 2:1, 1:2, ... links)."""
        return Features(
            length=self.length + other.length,
            tokens=_add(self.tokens, other.tokens),
            numbers=_add(self.numbers, other.numbers),
            words=self.words | other.words,
            kind=self.kind if self.kind == other.kind else "mixed",
            level=self.level,
            items=self.items + other.items,
        )


def _add(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    if not a:
        return b
    if not b:
        return a
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0.0) + value
    return out


# Inline structure that survives translation. Cheaper than full masking, and alignment only needs
# the evidence, not exact placeholders.
INLINE_EVIDENCE_RE = re.compile(
    r"(?=[:`$\]<])"  # fail fast where none of the alternatives can start
    rf"(?:(?P<role>{ROLE_NAME}`[^`]*`)"
    r"|(?P<code>`+)(?P<code_body>[^`]+?)(?P=code)"
    rf"|(?P<math>{DISPLAY_MATH}|{INLINE_MATH})"
    r"|\]\(\s*<?(?P<target>[^)\s>]+)[^)]*\)"
    r"|<(?P<url>(?:https?|ftp)://[^>\s]+)>"
    r"|<[^>\n]*>)",  # other HTML: neither evidence nor prose
    re.S,
)
_PURE_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


def features_of(text: str, lang: str, kind: str = "paragraph", level: int = 0, items: int = 1) -> Features:
    """Evidence of raw Markdown prose ``text`` written in ``lang``."""
    text = strip_target_additions(text)
    tokens: dict[str, float] = {}
    numbers: dict[str, float] = {}
    pieces: list[str] = []
    pos = 0
    for match in INLINE_EVIDENCE_RE.finditer(text):
        pieces.append(text[pos : match.start()])
        pos = match.end()
        group = match.lastgroup
        if group == "role":
            key = match.group(0)
        elif group == "code_body":
            key = "`" + match.group("code_body").strip()
        elif group == "math":
            body = "".join(match.group(0).strip("$").split())
            if _PURE_NUMBER_RE.fullmatch(body):
                numbers[body] = numbers.get(body, 0.0) + 1
                continue
            key = "$" + body
        elif group in ("target", "url"):
            key = "url:" + match.group(group)
        else:
            continue
        tokens[key] = tokens.get(key, 0.0) + 1
    pieces.append(text[pos:])
    prose = " ".join(pieces)
    for number in _NUMBER_RE.findall(prose):
        number = number.replace(",", "")
        numbers[number] = numbers.get(number, 0.0) + 1
    words = frozenset(_LONG_LATIN_WORD_RE.findall(prose.lower()))
    length = prose_length(prose, lang)
    return Features(length, tokens, numbers, words, kind, level, items)


@dataclass(frozen=True)
class LengthModel:
    """Gale-Church: target length ~ Normal(ratio * source length, variance * mean length).

    Lengths are in "Latin character units" (:func:`prose_length`), so the ratio is about 1 for any
    pair of languages; the tail is Huber-like (linear beyond 2 sigma) because real translations
    have long tails (notes dropped, URLs spelled out) that a Gaussian punishes too hard.
    """

    ratio: float = 1.0
    variance: float = 3.8  # measured on D2L en/zh 1:1 paragraphs

    def cost(self, src_len: float, tgt_len: float) -> float:
        if src_len + tgt_len == 0:
            return 0.0
        mean = (src_len + tgt_len / self.ratio) / 2
        z = abs(tgt_len - src_len * self.ratio) / math.sqrt(max(mean, 1.0) * self.variance)
        return z * z / 2 if z < 2 else 2 * z - 2


# Chinese characters per Latin character, fitted on D2L en/zh 1:1 paragraphs (least squares):
# one CJK character carries about 3.1 English characters; Latin text in Chinese is a bit terser.
CJK_CHAR_WEIGHT = 3.14
LATIN_IN_CJK_WEIGHT = 0.87


def prose_length(prose: str, lang: str) -> float:
    """Non-space characters, with CJK characters weighted to Latin character units."""
    compact = "".join(prose.split())
    if not is_cjk_language(lang):
        return float(len(compact))
    cjk = count_han(compact)
    return CJK_CHAR_WEIGHT * cjk + LATIN_IN_CJK_WEIGHT * (len(compact) - cjk)


def length_model(src_lang: str, tgt_lang: str) -> LengthModel:  # noqa: ARG001 - same model for all pairs
    """Length model for a language pair (lengths are already in comparable units)."""
    return LengthModel()


def evidence_cost(src: Features, tgt: Features) -> float:
    """Negative for shared evidence, positive for strong tokens found on one side only."""
    # Called for every cell of the alignment tables: the arithmetic is kept in this exact order
    # (alignments must not change with the implementation), only the bookkeeping is cut.
    cost = 0.0
    common = 0.0
    src_tokens, tgt_tokens = src.tokens, tgt.tokens
    if src_tokens and tgt_tokens:
        small, large = (src_tokens, tgt_tokens) if len(src_tokens) <= len(tgt_tokens) else (tgt_tokens, src_tokens)
        for key, count in small.items():
            other = large.get(key)
            if other:
                common += min(count, other)
    unmatched = src.token_count + tgt.token_count - 2 * common
    cost -= STRONG_MATCH * common
    cost += min(UNMATCHED * unmatched, UNMATCHED_CAP)
    if src.numbers and tgt.numbers:
        tgt_numbers = tgt.numbers
        shared = sum(min(c, tgt_numbers.get(k, 0.0)) for k, c in src.numbers.items())
        cost -= NUMBER_MATCH * shared
    src_words, tgt_words = src.words, tgt.words
    if src_words and tgt_words:
        # Terms the translation kept in Latin letters (the Chinese side is the smaller set).
        small_words, large_words = (src_words, tgt_words) if len(src_words) < len(tgt_words) else (tgt_words, src_words)
        if len(small_words) * 3 < len(large_words) or len(small_words) < 8:
            cost -= TERM_MATCH * min(len(small_words & large_words), 8)
    return cost


def kind_cost(src: Features, tgt: Features) -> float:
    """How unlikely a translation changed the block's kind (inf where it never happens)."""
    if src.kind == tgt.kind:
        if src.kind == "heading":
            return 0.0 if src.level == tgt.level else 3.0
        if src.kind in ("list", "table"):
            return 0.4 * abs(src.items - tgt.items)
        return 0.0
    if "heading" in (src.kind, tgt.kind):
        return math.inf
    if "table" in (src.kind, tgt.kind):
        return math.inf
    return 2.5


@dataclass(frozen=True)
class Shape:
    src: int
    tgt: int
    prior: float  # -log P(shape)

    @property
    def name(self) -> str:
        return f"{self.src}:{self.tgt}"


def _shape(a: int, b: int, p: float) -> Shape:
    return Shape(a, b, -math.log(p))


BLOCK_SHAPES = (
    _shape(1, 1, 0.90), _shape(1, 0, 0.006), _shape(0, 1, 0.006), _shape(2, 1, 0.03),
    _shape(1, 2, 0.04), _shape(3, 1, 0.003), _shape(1, 3, 0.004),
)
SENTENCE_SHAPES = (
    _shape(1, 1, 0.82), _shape(1, 0, 0.006), _shape(0, 1, 0.006), _shape(2, 1, 0.12),
    _shape(1, 2, 0.04),
)


_KINDS_WITH_COST = frozenset({"heading", "list", "table"})  # same kind on both sides may still cost


def link_cost(shape: Shape, src: Features | None, tgt: Features | None, lengths: LengthModel) -> float:
    """Cost of linking ``src`` with ``tgt`` as ``shape`` (either may be None for 1:0 / 0:1)."""
    if src is None or tgt is None:
        return shape.prior
    if src.kind == tgt.kind and src.kind not in _KINDS_WITH_COST:
        kind = 0.0  # what kind_cost says, without the call (this runs for every table cell)
    else:
        kind = kind_cost(src, tgt)
        if kind == math.inf:
            return math.inf
    return shape.prior + kind + lengths.cost(src.length, tgt.length) + evidence_cost(src, tgt)
