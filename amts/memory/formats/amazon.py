"""Amazon Translate's rules for parallel-data CSV/TSV, applied to every CSV/TSV amts writes.

The rules, from "Parallel data input files for Amazon Translate" (Amazon Translate Developer Guide,
CSV and TSV requirements), and what amts does about each:

* the first row holds the language codes, source first -> the header row ``en,zh``;
* a field holding the delimiter (comma / tab) is enclosed in ``"``; a ``"`` inside a field is doubled
  -> the :mod:`csv` writer quotes and doubles;
* a text field cannot span several lines -> line breaks (with the spaces around them) become one space;
* fields cannot start with ``+ - = @``, quoted or not -> a Markdown backslash escape is added (``\\-``),
  which renders the same; :func:`unescape_field` (used when reading) takes it off again;
* an empty or blank field is skipped (a blank source skips the line) -> such pairs are dropped, counted;
* a field over 1,000 bytes is skipped (a long source skips the whole line, silently) -> the pair is
  split into sentence pairs when both sides have the same number of sentences, each within the
  limit; otherwise it is dropped, counted;
* of several records with the same source text only the last is used -> amts keeps only the last
  record of each source (as Amazon would), and counts the others.

Nothing is changed silently: :class:`AmazonReport` counts every case and ``summary()`` says it in a line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from amts.document import split_sentences
from amts.languages import same_language
from amts.memory.pairs import Pair

#: Amazon skips a field longer than this many bytes of UTF-8 (a long source skips its whole line)
MAX_FIELD_BYTES = 1000
#: fields of Amazon's CSV/TSV formats may not start with these (a spreadsheet-formula guard)
FORBIDDEN_FIELD_START = "+-=@"

_LINE_BREAK_RE = re.compile(r"[ \t]*(?:\r\n|[\n\r\v\f\x85\u2028\u2029])\s*")


@dataclass
class AmazonReport:
    """How pairs became Amazon-ready rows: nothing Amazon would skip or misread goes unmentioned."""

    written: int = 0
    escaped: int = 0  # fields given a backslash before a leading + - = @
    folded: int = 0  # fields whose line breaks became spaces
    split: int = 0  # long pairs split into sentence pairs
    dropped_long: list[str] = field(default_factory=list)  # sources (shortened) dropped as too long
    dropped_empty: int = 0
    duplicates: int = 0  # earlier rows with a source repeated later (Amazon would use the last)
    other_languages: int = 0  # pairs of another language pair, left out

    def changes(self) -> list[str]:
        """One phrase per kind of change, for the line that says what was changed."""
        counted = [
            (self.folded, f"{self.folded} fields had line breaks folded to spaces"),
            (self.escaped, f"{self.escaped} fields escaped (leading + - = @ -> \\)"),
            (self.split, f"{self.split} pairs over {MAX_FIELD_BYTES} bytes split into sentence pairs"),
            (len(self.dropped_long),
             f"{len(self.dropped_long)} pairs over {MAX_FIELD_BYTES} bytes dropped (sentences do not pair up)"),
            (self.dropped_empty, f"{self.dropped_empty} empty pairs dropped"),
            (self.duplicates,
             f"{self.duplicates} rows with a repeated source dropped (the last kept, as Amazon does)"),
            (self.other_languages, f"{self.other_languages} pairs of other languages left out"),
        ]
        return [phrase for count, phrase in counted if count]

    def summary(self) -> str:
        text = f"{self.written} pairs written"
        changes = self.changes()
        return f"{text} ({'; '.join(changes)})" if changes else text


def fold_lines(text: str) -> str:
    """One line: each line break (and the spaces around it) becomes one space; outer spaces go."""
    return _LINE_BREAK_RE.sub(" ", text).strip()


def escape_field(text: str) -> tuple[str, bool]:
    """A leading ``+ - = @`` gets a Markdown backslash escape (renders the same); True if it did."""
    if text and text[0] in FORBIDDEN_FIELD_START:
        return "\\" + text, True
    return text, False


def unescape_field(text: str) -> str:
    """Inverse of :func:`escape_field`, for reading Amazon-ready files back."""
    if len(text) >= 2 and text[0] == "\\" and text[1] in FORBIDDEN_FIELD_START:
        return text[1:]
    return text


def _too_long(text: str) -> bool:
    return len(text.encode("utf-8")) > MAX_FIELD_BYTES


#: splits a too-long (source, target, src, tgt) into sentence pairs, or None when it cannot
Splitter = Callable[[str, str, str, str], "list[tuple[str, str]] | None"]


def split_by_count(source: str, target: str, src: str, tgt: str) -> list[tuple[str, str]] | None:
    """Sentence pairs of a pair when both sides split into as many sentences (pairs them in order)."""
    sources = [source[s.start : s.end].strip() for s in split_sentences(source, src)]
    targets = [target[s.start : s.end].strip() for s in split_sentences(target, tgt)]
    if len(sources) < 2 or len(sources) != len(targets):
        return None
    return list(zip(sources, targets, strict=True))


def _split_long(source: str, target: str, src: str, tgt: str, splitter: Splitter) -> list[tuple[str, str]] | None:
    chunks = splitter(source, target, src, tgt)
    if not chunks or any(_too_long(a) or _too_long(b) or not a.strip() or not b.strip() for a, b in chunks):
        return None
    return chunks


def amazon_rows(
    pairs: Iterable[Pair], src: str, tgt: str, splitter: Splitter | None = None
) -> tuple[list[tuple[str, str]], AmazonReport]:
    """The (source, target) rows Amazon reads exactly as meant, and the report of every change made.

    Pairs of another language pair are left out (counted); the order of the pairs is kept. A pair
    over the byte limit is split by ``splitter`` (default :func:`split_by_count`; the aligner's
    sentence alignment, ``amts.align.split_long_pair``, also pairs 2:1 and 1:2 sentences).
    """
    splitter = splitter or split_by_count
    report = AmazonReport()
    rows: list[tuple[str, str]] = []
    for pair in pairs:
        if not (same_language(pair.src_lang, src) and same_language(pair.tgt_lang, tgt)):
            report.other_languages += 1
            continue
        source, target = fold_lines(pair.source), fold_lines(pair.target)
        report.folded += (source != pair.source.strip()) + (target != pair.target.strip())
        if not source or not target:
            report.dropped_empty += 1
            continue
        chunks = [(source, target)]
        if _too_long(source) or _too_long(target):
            chunks = _split_long(source, target, src, tgt, splitter) or []
            if not chunks:
                report.dropped_long.append(source[:80])
                continue
            report.split += 1
        for chunk_source, chunk_target in chunks:
            field_source, escaped_source = escape_field(chunk_source)
            field_target, escaped_target = escape_field(chunk_target)
            report.escaped += escaped_source + escaped_target
            rows.append((field_source, field_target))
    last = {source: index for index, (source, _) in enumerate(rows)}
    kept = [row for index, row in enumerate(rows) if last[row[0]] == index]
    report.duplicates = len(rows) - len(kept)
    report.written = len(kept)
    return kept, report


def amazon_table(
    pairs: Iterable[Pair], src: str, tgt: str, delimiter: str = ",", splitter: Splitter | None = None
) -> tuple[str, AmazonReport]:
    """The whole CSV (``delimiter=","``) or TSV (``"\\t"``) file Amazon Translate imports, and its report."""
    rows, report = amazon_rows(pairs, src, tgt, splitter)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL, doublequote=True)
    writer.writerow([src, tgt])
    writer.writerows(rows)
    return buffer.getvalue(), report
