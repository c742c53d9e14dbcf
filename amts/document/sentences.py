"""Sentence splitting for English, Spanish and Chinese prose, run on *masked* text.

Splitting happens after masking so math, code and link targets can never be cut; abbreviations,
decimals and initials are protected here. Sentences are returned as ranges so the separators between
them (spaces, the translators' own line breaks) can be kept exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from amts.document.placeholders import PLACEHOLDER_RE
from amts.document.scripts import HAN, UNSPACED_RE, is_cjk_language

ABBREVIATIONS = {
    "en": {
        "e.g", "i.e", "cf", "vs", "etc", "al", "fig", "figs", "eq", "eqs", "sec", "secs", "sect", "ch",
        "chap", "no", "nos", "vol", "pp", "p", "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr", "inc",
        "ltd", "co", "approx", "resp", "ref", "refs", "tab", "def", "thm", "lem", "viz", "ca", "ibid",
        "u.s", "ph.d", "a.k.a", "w.r.t", "e.t.c", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "min", "max", "avg", "est", "dept", "univ",
    },
    "es": {
        "p", "ej", "etc", "sr", "sra", "srta", "dr", "dra", "ud", "uds", "fig", "ec", "cap", "pág",
        "págs", "núm", "vol", "aprox", "cf", "vs", "et al", "al", "i.e", "e.g",
    },
}
# "etc." ends a sentence more often than not when a capital follows.
_SOFT_ABBREVIATIONS = {"etc", "e.t.c"}

_CJK_END = "。！？!?"
_CLOSERS = "\"'”’」』）)]*_"
# Closers after the full stop include attached placeholders: a slide mark ``**]`` or a citation.
_LATIN_BOUNDARY = re.compile(r"([.!?…]+)((?:[" + re.escape(_CLOSERS) + r"]|\{\d+\})*)(\s+)(?=[\"'“‘(\[*_¿¡]*(?:[^\W\d_]|\d|\{\d+\}))")
_CJK_BOUNDARY = re.compile(r"([。！？]+|[!?]+(?=[" + HAN + r"]))([" + re.escape(_CLOSERS) + r"]*)(\s*)")
_CJK_CHAR = UNSPACED_RE


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(masked: str, lang: str) -> list[Span]:
    """Sentence ranges of ``masked`` text; the gaps between ranges are the separators (whitespace)."""
    return list(_split_sentences(masked, lang))


# Aligners and sync split the same paragraphs again and again: split each distinct text once.
@lru_cache(maxsize=1 << 15)
def _split_sentences(masked: str, lang: str) -> tuple[Span, ...]:
    cuts: list[tuple[int, int]] = []  # (end of sentence, start of next)
    for match in _LATIN_BOUNDARY.finditer(masked):
        end = match.end(2)
        if _protected(masked, match.start(1), match.group(1), lang, masked[match.end() : match.end() + 1]):
            continue
        cuts.append((end, match.end()))
    if is_cjk_language(lang) or _CJK_CHAR.search(masked):
        for match in _CJK_BOUNDARY.finditer(masked):
            if match.end() >= len(masked.rstrip()):
                continue
            cuts.append((match.end(2), match.end()))
    cuts = sorted(set(cuts))
    spans: list[Span] = []
    start = len(masked) - len(masked.lstrip())
    for end, nxt in cuts:
        if end <= start or nxt >= len(masked):
            continue
        spans.append(Span(start, end))
        start = nxt
    tail_end = len(masked.rstrip())
    if tail_end > start:
        spans.append(Span(start, tail_end))
    return tuple(spans) or (Span(0, len(masked)),)


def _protected(text: str, dot_at: int, punct: str, lang: str, following: str) -> bool:
    """Whether the punctuation at ``dot_at`` does not end a sentence (abbreviation, initial, ...)."""
    if punct != ".":
        return False
    raw_word = _word_before(text, dot_at)
    if not raw_word:
        return False
    word = raw_word.lower().rstrip(".")
    abbreviations = ABBREVIATIONS.get(lang.split("-")[0].lower(), ABBREVIATIONS["en"])
    if word in abbreviations:
        return not (word in _SOFT_ABBREVIATIONS and following[:1].isupper())
    if re.fullmatch(r"[^\W\d_]", word) and raw_word.isupper():  # an initial: "J. Smith"
        return True
    if re.fullmatch(r"(?:[^\W\d_]\.)+[^\W\d_]", word):  # "u.s.a"
        return True
    if PLACEHOLDER_RE.fullmatch(raw_word):
        return False
    return False


_WORD_STOPS = frozenset("({[\"'“")


def _word_before(text: str, end: int) -> str:
    """The run of non-space, non-opening characters that ends ``text[:end]`` ("" if none).

    Same as ``re.search(r"([^\\s({\\[\"'“]+)$", text[:end])`` -- including ``$`` matching before a
    final newline -- but scanning back from ``end`` instead of forward over the whole paragraph
    for every full stop.
    """
    if end and text[end - 1] == "\n":
        end -= 1
    start = end
    while start and not (text[start - 1].isspace() or text[start - 1] in _WORD_STOPS):
        start -= 1
    return text[start:end]


_SPACE_RUN = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)  # block keys, sentence keys: the same texts are folded many times
def normalize_space(text: str, lang: str) -> str:
    """Fold the line wrapping of ``text`` into single spaces (none between CJK characters)."""
    text = text.strip()
    if not is_cjk_language(lang) and not _CJK_CHAR.search(text):
        return _SPACE_RUN.sub(" ", text)

    def fold(match: re.Match[str]) -> str:
        left = text[match.start() - 1] if match.start() else ""
        right = text[match.end()] if match.end() < len(text) else ""
        if "\n" in match.group(0) and (_CJK_CHAR.match(left) or _CJK_CHAR.match(right)):
            return ""
        return " "

    return _SPACE_RUN.sub(fold, text)


def join_sentences(sentences: list[str], separators: list[str], lang: str) -> str:
    """Join translated sentences; keep a line break where the source had one, else a space (none for CJK)."""
    out: list[str] = []
    for i, sentence in enumerate(sentences):
        if i:
            original = separators[i - 1] if i - 1 < len(separators) else " "
            if "\n" in original:
                out.append("\n")
            elif not is_cjk_language(lang):
                out.append(" ")
        out.append(sentence)
    return "".join(out)
