"""A term glossary mined from parallel data, kept as an editable CSV, and checked on engine output.

Why mine it: a book's translators already decided how its terms are translated. D2L's Chinese keeps
the English term in brackets at first use (``*机器翻译*（machine translation）``), and across aligned
sentence pairs a term and its translation keep occurring together. Both are evidence a machine can
read; the result is meant to be small and right, because every entry steers engines and every miss
is reported to a reviewer.

The CSV (UTF-8) follows Amazon Translate's custom-terminology layout -- the first row names the
languages -- with two optional columns for people editing it::

    en,zh,count,origin
    machine translation,机器翻译,14,bracket
    gradient descent,梯度下降,31,aligned

``count`` is the number of pairs that use both terms, ``origin`` where the entry came from
(``bracket``, ``aligned`` or anything a person writes, e.g. ``manual``). A file with only the first
two columns (an Amazon terminology file) loads as well.

A file named ``*.tbx`` is TermBase eXchange, what terminology tools (and translate-toolkit, Weblate,
OmegaT) exchange: TBX 2008 (``<martif>``, ``termEntry``/``langSet``/``tig``/``term``) and TBX v3
(``<tbx>``, ``conceptEntry``/``langSec``/``termSec``) are read, TBX 2008 (TBX-Basic) is written; the
first term of each language is the entry's, ``count``/``origin`` travel in a ``<note>``.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from amts.document import is_cjk_language, normalize_space, strip_structure
from amts.document.scripts import HAN, HAN_RE
from amts.errors import InputError
from amts.fileio import atomic_write_text
from amts.memory.pairs import Pair
from amts.memory.terms import TermMatcher, Violation, missing_terms, uses_term  # noqa: F401 - uses_term: part of this API

BRACKET = "bracket"
ALIGNED = "aligned"
EXTRA_COLUMNS = ("count", "origin")
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_CJK = HAN
_CJK_RE = HAN_RE

# ----------------------------------------------------------------------------------------- model


class GlossaryError(InputError):
    """A malformed glossary file; the message names the file and the line."""


@dataclass(frozen=True)
class Term:
    """One glossary entry: a source term, its translation, and the evidence for it."""

    source: str
    target: str
    count: int = 0
    origin: str = ""


class Glossary:
    """Terms of one language pair; implements the ``amts.adapt.Glossary`` protocol.

    Terms are found in the *prose* of a sentence (inline code, math, roles and link targets are
    ignored, so ``load_data`` does not contain the term "data"), whole words, case-insensitive,
    longest first.
    """

    def __init__(self, terms: Iterable[Term], src_lang: str, tgt_lang: str) -> None:
        self.src_lang, self.tgt_lang = src_lang, tgt_lang
        self.entries: dict[str, Term] = {}
        for term in terms:
            if term.source.strip() and term.target.strip():
                self.entries.setdefault(term.source.strip().lower(), term)
        self._matcher = TermMatcher((t.source, t.target) for t in self.entries.values())

    # ----------------------------------------------------------------------------- lookups

    def terms_for(self, source: str) -> dict[str, str]:
        """Glossary terms occurring in ``source`` (Markdown) and their translations."""
        return self._matcher.terms_for(strip_structure(source))

    def check(self, source: str, target: str) -> list[Violation]:
        """Terms of ``source`` whose translation ``target`` does not use."""
        return missing_terms(self.terms_for(source), strip_structure(target))

    def mapping(self) -> dict[str, str]:
        """Source term -> translation (e.g. for :func:`amts.engines.aws.import_terminology`)."""
        return {t.source: t.target for t in self.entries.values()}

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):  # noqa: ANN204
        return iter(self.entries.values())

    # ------------------------------------------------------------------------------- files

    @classmethod
    def load(cls, path: str | Path) -> Glossary:
        """Read a glossary CSV, or TBX by its suffix (:class:`GlossaryError` naming the line when malformed)."""
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise GlossaryError(f"{path}: cannot read: {error.strerror or error}") from error
        if Path(path).suffix.lower() == ".tbx":
            return cls.loads_tbx(data, str(path))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise GlossaryError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error
        if text.lstrip().startswith("<"):
            raise GlossaryError(f"{path}: XML, not a CSV glossary (a TBX glossary is read when its name ends in .tbx)")
        return cls.loads(text, str(path))

    @classmethod
    def loads_tbx(cls, data: bytes, name: str = "<glossary>") -> Glossary:
        """A TBX glossary of two languages: the document's own (``xml:lang`` of the root) and the other one."""
        from amts.memory.formats import FormatError
        from amts.memory.formats.xmlsafe import parse_tree

        try:
            root = parse_tree(data)
        except FormatError as error:
            raise GlossaryError(f"{name}: {error}") from None
        if _local(root.tag) not in ("martif", "tbx"):
            raise GlossaryError(f"{name}: the root element is <{_local(root.tag)}>, not TBX's <martif> or <tbx>")
        entries = [_tbx_entry(entry) for entry in root.iter() if _local(entry.tag) in ("termEntry", "conceptEntry")]
        languages = list(dict.fromkeys(lang for terms, _ in entries for lang in terms))
        src = root.get(XML_LANG) if root.get(XML_LANG) in languages else (languages[0] if languages else "")
        others = [lang for lang in languages if lang != src]
        if len(others) != 1:
            raise GlossaryError(f"{name}: a glossary is one language pair; this TBX has "
                                f"{', '.join(languages) or 'no terms'}")
        terms = []
        for found, note in entries:
            if src in found and others[0] in found:
                count, origin = _tbx_note(note)
                terms.append(Term(found[src], found[others[0]], count, origin))
        return cls(terms, src, others[0])

    @classmethod
    def loads(cls, text: str, name: str = "<glossary>") -> Glossary:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)

        def bad(why: str) -> GlossaryError:
            return GlossaryError(f"{name}:{reader.line_num}: {why}")

        try:
            rows = [(reader.line_num, row) for row in reader]
        except csv.Error as error:
            raise bad(f"not valid CSV: {error}") from error
        rows = [(line, row) for line, row in rows if any(cell.strip() for cell in row)]
        if not rows:
            raise GlossaryError(f"{name}: empty glossary: the first row must name the languages, e.g. en,zh")
        line, header = rows[0]
        header = [cell.strip() for cell in header]
        if len(header) < 2 or not all(_LANG_RE.match(code) for code in header[:2]):
            raise GlossaryError(f"{name}:{line}: the first row must name the source and target languages, e.g. en,zh")
        extra = [cell.lower() for cell in header[2:]]
        if any(cell not in EXTRA_COLUMNS for cell in extra) or len(set(extra)) != len(extra):
            raise GlossaryError(f"{name}:{line}: columns after the languages may only be {', '.join(EXTRA_COLUMNS)}")
        terms: list[Term] = []
        seen: dict[str, tuple[int, str]] = {}
        for line, row in rows[1:]:
            if len(row) > len(header):
                raise GlossaryError(f"{name}:{line}: {len(row)} fields, the header has {len(header)}")
            cells = [cell.strip() for cell in row] + [""] * (len(header) - len(row))
            source, target = cells[0], cells[1]
            if not source or not target:
                raise GlossaryError(f"{name}:{line}: a term needs both a source and a target")
            values = dict(zip(extra, cells[2:], strict=True))
            count = values.get("count", "")
            if count and not count.isdigit():
                raise GlossaryError(f"{name}:{line}: count must be a whole number, not {count!r}")
            key = " ".join(source.split()).lower()
            if key in seen and seen[key][1] != target:
                raise GlossaryError(f"{name}:{line}: {source!r} is already translated as {seen[key][1]!r} on line {seen[key][0]}")
            seen.setdefault(key, (line, target))
            terms.append(Term(source, target, int(count or 0), values.get("origin", "")))
        return cls(terms, header[0], header[1])

    def dumps(self) -> str:
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([self.src_lang, self.tgt_lang, *EXTRA_COLUMNS])
        for term in self.entries.values():
            writer.writerow([term.source, term.target, term.count, term.origin])
        return out.getvalue()

    def dumps_tbx(self) -> str:
        """The glossary as TBX 2008 (TBX-Basic): one ``termEntry`` per term, count and origin in a note."""
        from xml.sax.saxutils import escape, quoteattr

        lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<martif type="TBX-Basic" xml:lang={quoteattr(self.src_lang)}>',
                 "  <martifHeader><fileDesc><sourceDesc><p>amts glossary</p></sourceDesc></fileDesc></martifHeader>",
                 "  <text>", "    <body>"]
        for number, term in enumerate(self.entries.values(), 1):
            note = ", ".join(part for part in (f"count: {term.count}" if term.count else "",
                                               f"origin: {term.origin}" if term.origin else "") if part)
            lines.append(f'      <termEntry id="t{number}">')
            if note:
                lines.append(f"        <note>{escape(note)}</note>")
            for lang, text in ((self.src_lang, term.source), (self.tgt_lang, term.target)):
                lines.append(f"        <langSet xml:lang={quoteattr(lang)}><tig><term>{escape(text)}</term></tig></langSet>")
            lines.append("      </termEntry>")
        lines += ["    </body>", "  </text>", "</martif>", ""]
        return "\n".join(lines)

    def save(self, path: str | Path) -> None:
        """Write the CSV (TBX when the name ends in .tbx) atomically: an interrupted run never leaves half a glossary."""
        path = Path(path)
        atomic_write_text(path, self.dumps_tbx() if path.suffix.lower() == ".tbx" else self.dumps())


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _tbx_entry(entry) -> tuple[dict[str, str], str]:  # noqa: ANN001 - an ElementTree element
    """Language -> the entry's first term in it, and the entry's note (``count: 3, origin: bracket``)."""
    terms: dict[str, str] = {}
    note = ""
    for child in entry:
        if _local(child.tag) == "note" and not note:
            note = "".join(child.itertext())
        elif _local(child.tag) in ("langSet", "langSec") and child.get(XML_LANG):
            found = next((t for t in child.iter() if _local(t.tag) == "term"), None)
            text = " ".join("".join(found.itertext()).split()) if found is not None else ""
            if text:
                terms.setdefault(child.get(XML_LANG, ""), text)
    return terms, note


def _tbx_note(note: str) -> tuple[int, str]:
    count = re.search(r"count:\s*(\d+)", note)
    origin = re.search(r"origin:\s*([\w-]+)", note)
    return int(count.group(1)) if count else 0, origin.group(1) if origin else ""


# ----------------------------------------------------------------------------------------- mining

_EN_WORD = r"[A-Za-z][A-Za-z0-9'’-]*"
_EN_TERM = rf"{_EN_WORD}(?:[ \-]{_EN_WORD}){{0,4}}"
#: ``*机器翻译*（machine translation）``, ``**项**(term)``, ``_项_ (term)``: the emphasis is the term
_EMPHASIZED = re.compile(
    rf"(?P<mark>\*\*|\*|_)(?P<zh>[^*_\n]{{1,16}}?)(?P=mark)\s*[（(]\s*(?P<en>{_EN_TERM})\s*(?:[,，;；][^）)]*)?[）)]"
)
#: ``硬预测（hard prediction）``: the term is the end of the preceding run of Chinese characters
_PLAIN = re.compile(rf"(?P<zh>[{_CJK}]{{2,16}})\s*[（(]\s*(?P<en>{_EN_TERM})\s*(?:[,，;；][^）)]*)?[）)]")
# Characters that end a phrase before a term ("称为", "的", "即"...); terms starting with them are rare.
_ZH_BREAK = set("的了是在和与或及即称为叫作做被把对将用由从以其这那该个种些就也都而并且中上下里如等着过到出给让使向于")
_ZH_EDGE = set("的了是在和与或及即为被把对将用由从以其这那该个些就也都而并且着过到给让使向于我们你他它")
_EN_STOP = set(
    """a an the of to in on at by for with from into onto over under about as and or nor but if then than
    this that these those it its we our us you your they their them he she his her is are was were be been
    being do does did done have has had can could may might must shall should will would not no yes so
    such each every all any some many much more most less least few other another same very also just
    only even both either neither there here where when which who whom whose what why how one two three
    first second third new use used using via e.g i.e etc let lets see shown show figure section chapter
    example following thus however therefore since while because up down out way make makes made get
    gets got given give gives like well between among within without through across against during
    after before above below""".split()  # noqa: SIM905 - a word list reads better as text
)

MIN_ALIGNED = 4
"""Aligned (co-occurrence) terms need at least this many pairs, whatever ``min_count`` says."""
MAX_ZH_TERM = 8
"""Longest Chinese term taken from brackets without emphasis (longer runs are phrases, not terms)."""


def _bracket_candidates(cjk_text: str) -> list[tuple[str, str]]:
    """(other-language term, CJK term) pairs that a translator spelled out in brackets."""
    found: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    for match in _EMPHASIZED.finditer(cjk_text):
        zh = match.group("zh").strip()
        if _CJK_RE.search(zh) and not re.search(r"[，。、；：？！,.;:?!（）()]", zh):
            found.append((match.group("en"), zh))
            taken.append(match.span())
    for match in _PLAIN.finditer(cjk_text):
        if any(a <= match.start("zh") < b for a, b in taken):
            continue
        run = match.group("zh")
        cut = max((i + 1 for i, ch in enumerate(run) if ch in _ZH_BREAK), default=0)
        zh = run[cut:]
        if 2 <= len(zh) <= MAX_ZH_TERM:
            found.append((match.group("en"), zh))
    return [(" ".join(en.split()), zh) for en, zh in found]


def _en_phrases(prose: str, longest: int = 3) -> set[str]:
    """Lower-cased word n-grams that could be terms: no stop word at either end, no digits."""
    words = re.findall(r"[a-z][a-z-]*[a-z]|[a-z]", prose.lower())
    out: set[str] = set()
    for n in range(1, longest + 1):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if any(w in _EN_STOP for w in gram if w != "of") or gram[0] == "of" or gram[-1] == "of":
                continue
            if (n == 1 and len(gram[0]) < 4) or any(len(w) == 1 for w in gram):
                continue
            out.add(" ".join(gram))
    return out


def _zh_spans(prose: str, shortest: int = 2, longest: int = 6) -> set[str]:
    """Substrings of the Chinese runs that could be terms (no function character at either end)."""
    out: set[str] = set()
    for run in re.findall(f"[{_CJK}]+", prose):
        for n in range(shortest, longest + 1):
            for i in range(len(run) - n + 1):
                gram = run[i : i + n]
                if gram[0] not in _ZH_EDGE and gram[-1] not in _ZH_EDGE:
                    out.add(gram)
    return out


@dataclass
class _Corpus:
    """Pairs reduced to what mining needs: the prose of each side, with English on the ``en`` side."""

    en: list[str]
    zh: list[str]
    reversed: bool  # True when the pairs' source is the CJK side

    @classmethod
    def of(cls, pairs: list[Pair]) -> _Corpus | None:
        if not pairs:
            return None
        src, tgt = pairs[0].src_lang, pairs[0].tgt_lang
        if is_cjk_language(tgt) and not is_cjk_language(src):
            reverse = False
        elif is_cjk_language(src) and not is_cjk_language(tgt):
            reverse = True
        else:
            return None
        en, zh = [], []
        for pair in pairs:
            a, b = (pair.target, pair.source) if reverse else (pair.source, pair.target)
            en.append(normalize_space(strip_structure(a), "en"))
            zh.append(normalize_space(b, "zh"))  # brackets need the Markdown emphasis: stripped later
        return cls(en, zh, reverse)


def _is_word(texts: list[str], term: str) -> bool:
    """Whether ``term`` is a whole word in ``texts`` rather than a piece of a longer one.

    Chinese has no spaces: a string whose neighbour is mostly the same character (``隐藏单`` is
    nearly always followed by ``元``) is a fragment of a longer word.
    """
    left: Counter[str] = Counter()
    right: Counter[str] = Counter()
    total = 0
    for text in texts:
        for match in re.finditer(re.escape(term), text):
            total += 1
            before = text[match.start() - 1] if match.start() else ""
            after = text[match.end()] if match.end() < len(text) else ""
            if before and _CJK_RE.match(before) and before not in _ZH_EDGE:
                left[before] += 1
            if after and _CJK_RE.match(after) and after not in _ZH_EDGE:
                right[after] += 1
    if not total:
        return False
    most = max([*left.values(), *right.values(), 0])
    return most * 2 < total


def _is_phrase(texts: list[str], phrase: str) -> bool:
    """The English side of :func:`_is_word`: ``byte pair`` is nearly always followed by ``encoding``."""
    pattern = re.compile(r"(?<![\w-])" + r"\s+".join(map(re.escape, phrase.split())) + r"(?![\w-])", re.I)
    left: Counter[str] = Counter()
    right: Counter[str] = Counter()
    total = 0
    for text in texts:
        for match in pattern.finditer(text):
            total += 1
            before = re.findall(r"[A-Za-z][\w-]*", text[: match.start()][-40:])
            after = re.findall(r"[A-Za-z][\w-]*", text[match.end() :][:40])
            if before and before[-1].lower() not in _EN_STOP and text[: match.start()].endswith(" "):
                left[before[-1].lower()] += 1
            if after and after[0].lower() not in _EN_STOP and text[match.end() :].startswith(" "):
                right[after[0].lower()] += 1
    most = max([*left.values(), *right.values(), 0])
    return total > 0 and most * 2 < total


def _without_redundant(chosen: dict[str, Term]) -> dict[str, Term]:
    """Drop plurals of kept terms and parts of longer terms translated inside them.

    ``descent -> 梯度下降`` and ``stochastic gradient -> 随机梯度`` are fragments of ``gradient
    descent -> 梯度下降`` and ``stochastic gradient descent -> 随机梯度下降``; as rules they would misfire.
    """
    kept: dict[str, Term] = {}
    for key, term in chosen.items():
        for plural in ("s", "es"):
            if key.endswith(plural) and key[: -len(plural)] in chosen and chosen[key[: -len(plural)]].target == term.target:
                break
        else:
            words = f" {key} "
            # a fragment mostly occurs inside the longer term; a term people bracketed is never one
            if term.origin == BRACKET or not any(
                other != key and words in f" {other} " and term.target in longer.target and longer.count * 2 >= term.count
                for other, longer in chosen.items()
            ):
                kept[key] = term
    return kept


def mine(pairs: Iterable[Pair], min_count: int = 2, min_dice: float = 0.8) -> Glossary:
    """Mine a glossary from aligned pairs of English and a CJK language.

    * ``bracket``: terms the translators spelled out as ``译名（term）``. Kept when at least
      ``min_count`` pairs use both terms and the translation is the one used most consistently
      (at least half the pairs whose English has the term also have it), so a one-off rendering
      (``translation`` as 平移 in a geometry aside) does not become a rule.
    * ``aligned``: an English phrase of one to three words and a Chinese string of two to six
      characters that occur in the same pairs (Dice coefficient >= ``min_dice``, at least
      ``min_count`` pairs together); the longest Chinese string wins ties.

    The glossary's direction is the pairs' direction. Pairs without a CJK side give an empty one.
    """
    items = list(pairs)
    if not items:
        raise ValueError("no pairs to mine")
    # A sentence repeated across files (install instructions...) is one piece of evidence, not many.
    unique: dict[str, Pair] = {}
    for pair in items:
        unique.setdefault(" ".join(pair.source.split()), pair)
    items = list(unique.values())
    src_lang, tgt_lang = items[0].src_lang, items[0].tgt_lang
    corpus = _Corpus.of(items)
    if corpus is None:
        return Glossary([], src_lang, tgt_lang)
    zh_prose = ["".join(strip_structure(text).split()) for text in corpus.zh]
    en_index: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(corpus.en):
        for phrase in _en_phrases(text):
            en_index[phrase].append(i)
    matcher_cache: dict[str, re.Pattern[str]] = {}

    def en_ids(term: str) -> list[int]:
        """Pairs whose English contains ``term`` as whole words (plural allowed)."""
        key = term.lower()
        words = key.split()
        if len(words) <= 3 and key in en_index and not any(w in _EN_STOP for w in (words[0], words[-1])):
            candidates = set(en_index[key]) | set(en_index.get(key + "s", ())) | set(en_index.get(key + "es", ()))
        else:
            candidates = set(range(len(corpus.en)))
        pattern = matcher_cache.setdefault(
            key, re.compile(r"(?<![\w-])" + r"\s+".join(map(re.escape, words)) + r"(?:e?s)?(?![\w-])", re.I)
        )
        return sorted(i for i in candidates if pattern.search(corpus.en[i]))

    chosen: dict[str, Term] = {}
    # 1. Brackets: the translators' own glossary.
    bracketed: dict[str, Counter[str]] = defaultdict(Counter)
    spelling: dict[str, Counter[str]] = defaultdict(Counter)
    for text in corpus.zh:
        for en, zh in _bracket_candidates(text):
            bracketed[en.lower()][zh] += 1
            spelling[en.lower()][en] += 1
    for key, options in bracketed.items():
        ids = en_ids(key)
        best: tuple[int, str] | None = None
        for zh in options:
            support = sum(1 for i in ids if zh in zh_prose[i])
            if best is None or support > best[0]:
                best = (support, zh)
        if best is None:
            continue
        support, zh = best
        if support >= min_count and support * 2 >= len(ids) and len(zh) >= 2:
            chosen[key] = Term(spelling[key].most_common(1)[0][0], zh, support, BRACKET)
    # 2. Co-occurrence in aligned pairs.
    floor = max(min_count, MIN_ALIGNED)
    zh_df: Counter[str] = Counter()
    zh_sets: list[set[str]] = []
    for text in zh_prose:
        spans = _zh_spans(text)
        zh_sets.append(spans)
        zh_df.update(spans)
    for phrase, ids in en_index.items():
        # single words are too often plain vocabulary ("different" -> 不同), not terms
        if len(ids) < floor or phrase in chosen or " " not in phrase:
            continue
        together: Counter[str] = Counter()
        for i in ids:
            together.update(zh_sets[i])
        ranked = []
        for zh, joint in together.items():
            dice = 2 * joint / (len(ids) + zh_df[zh])
            if joint >= floor and dice >= min_dice:
                ranked.append((round(dice, 3), len(zh), joint, zh))
        if ranked and not _is_phrase([corpus.en[i] for i in ids], phrase):
            continue
        for _, _, joint, zh in sorted(ranked, reverse=True):
            if _is_word([zh_prose[i] for i in ids], zh):
                chosen[phrase] = Term(phrase, zh, joint, ALIGNED)
                break
    chosen = _without_redundant(chosen)
    terms = sorted(chosen.values(), key=lambda t: (t.origin != BRACKET, -t.count, t.source.lower()))
    if corpus.reversed:
        terms = [Term(t.target, t.source, t.count, t.origin) for t in terms]
    return Glossary(terms, src_lang, tgt_lang)
