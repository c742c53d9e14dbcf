"""CSV and TSV: Amazon Translate's parallel-data layout, written Amazon-ready, read leniently.

A header row of language codes (``en,zh``; several targets allowed when reading), then one pair a
row, source first. Writing applies :mod:`amts.memory.formats.amazon` (and reports what it changed);
reading accepts any well-quoted file and takes off the backslash the writer puts before ``+ - = @``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from amts.languages import same_language
from amts.memory.formats.amazon import Splitter, amazon_table, unescape_field
from amts.memory.formats.base import LANG_RE, FormatError, PairFormat, WriteReport, decode
from amts.memory.pairs import Pair


def _pick(header: list[str], wanted: str, role: str, line: int) -> int:
    for index, code in enumerate(header):
        if same_language(code, wanted):
            return index
    raise FormatError(f"the file's languages are {', '.join(header)}; no {role} language {wanted!r}", line)


class _TableFormat(PairFormat):
    delimiter: str = ","

    def __init__(self, splitter: Splitter | None = None) -> None:
        self.splitter = splitter  # how pairs over Amazon's byte limit become sentence pairs

    def write(self, items: Sequence[Pair], src: str, tgt: str) -> tuple[str, WriteReport]:
        text, report = amazon_table(items, src, tgt, self.delimiter, self.splitter)
        return text, WriteReport(report.written, report.changes())

    def read(self, data: bytes, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
        text = decode(data)
        delimiter = self.delimiter
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        header: list[str] | None = None
        pairs: list[Pair] = []
        src_col = tgt_col = 0
        src = tgt = ""
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise FormatError(f"bad quoting ({error})", line) from None
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if header is None:
                header = [cell.strip() for cell in row]
                if len(header) < 2 or not all(LANG_RE.match(code) for code in header):
                    shown = delimiter.join(row)[:60]
                    raise FormatError(f"missing header: the first row must be language codes such as 'en{delimiter}zh', not {shown!r}", line)
                if len(set(code.lower() for code in header)) != len(header):
                    raise FormatError(f"header repeats a language: {', '.join(header)}", line)
                src_col = _pick(header, src_lang, "source", line) if src_lang else 0
                if src_col != 0:
                    raise FormatError(f"the source language is the first column ({header[0]}), not {src_lang!r}", line)
                if tgt_lang:
                    tgt_col = _pick(header, tgt_lang, "target", line)
                elif len(header) == 2:
                    tgt_col = 1
                else:
                    raise FormatError(f"several target languages ({', '.join(header[1:])}): name one with tgt_lang", line)
                src, tgt = src_lang or header[0], tgt_lang or header[tgt_col]
                continue
            if len(row) != len(header):
                raise FormatError(f"expected {len(header)} columns, found {len(row)}", line)
            source, target = unescape_field(row[src_col]), unescape_field(row[tgt_col])
            if not source.strip() or not target.strip():
                raise FormatError(f"empty {'source' if not source.strip() else 'target'} field", line)
            pairs.append(Pair(source, target, src, tgt, {"origin": "imported"}))
        if header is None:
            raise FormatError("missing header: the file is empty", 1)
        return pairs


class CsvFormat(_TableFormat):
    """Comma-separated, ``"``-quoted (RFC 4180 and Amazon's CSV requirements)."""

    name = "csv"
    suffixes = (".csv",)
    delimiter = ","


class TsvFormat(_TableFormat):
    """Tab-separated; a field holding a tab or a ``"`` is quoted the CSV way (Amazon's TSV requirements)."""

    name = "tsv"
    suffixes = (".tsv", ".tab")
    delimiter = "\t"
