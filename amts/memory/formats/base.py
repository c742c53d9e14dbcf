"""What every parallel-data format shares: the error, the storage-class interface, language checks.

Each format is one class (``CsvFormat``, ``TmxFormat``...), as translate-toolkit has one storage class
per format: it names its suffixes, turns pairs into text and text back into pairs. The package's
``read_pairs``/``write_pairs`` pick the class and handle paths, streams and atomic writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from amts.errors import InputError
from amts.languages import same_language
from amts.memory.pairs import Pair

LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
# Characters XML 1.0 cannot carry at all (even escaped): refuse them rather than write invalid XML.
XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_INT_RE = re.compile(r"^-?\d{1,18}$")
_FLOAT_RE = re.compile(r"^-?\d+\.\d+(?:[eE][-+]?\d+)?$")


class FormatError(InputError):
    """A parallel-data file (or pairs to write) that cannot be read or represented.

    ``line`` is the 1-based line of the offending row/element when known, ``path`` the file.
    """

    def __init__(self, message: str, line: int | None = None, path: str | Path | None = None) -> None:
        self.message, self.line, self.path = message, line, path
        where = str(path) if path else ""
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)


@dataclass
class WriteReport:
    """What a write produced: how many pairs, and a line for every change made to fit the format."""

    written: int
    changes: list[str]

    def summary(self) -> str:
        """One line: ``12 pairs written`` plus what was changed, if anything."""
        text = f"{self.written} pairs written"
        return f"{text} ({'; '.join(self.changes)})" if self.changes else text


class PairFormat:
    """One file format of parallel data. Subclasses set ``name``/``suffixes`` and implement both ways."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]
    #: a binary format (XML with its own encoding declaration) is read from bytes, not decoded text
    reads_bytes: ClassVar[bool] = False

    def write(self, items: Sequence[Pair], src: str, tgt: str) -> tuple[str, WriteReport]:
        """The file's text, and how many pairs it holds with the changes made to fit the format."""
        raise NotImplementedError

    def read(self, data: bytes, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
        """Every pair of the file, or :class:`FormatError` (all or nothing)."""
        raise NotImplementedError


def common_languages(items: Sequence[Pair], src: str | None, tgt: str | None, fmt: str) -> tuple[str, str]:
    """The one language pair of ``items`` (``src``/``tgt`` name it for an empty list); refuse empty texts."""
    for number, pair in enumerate(items, 1):
        src = src or pair.src_lang
        tgt = tgt or pair.tgt_lang
        if not (same_language(pair.src_lang, src) and same_language(pair.tgt_lang, tgt)):
            raise FormatError(f"pair {number} is {pair.src_lang}->{pair.tgt_lang}, not {src}->{tgt}: one file holds one language pair")
        if not pair.source.strip() or not pair.target.strip():
            raise FormatError(f"pair {number} has an empty {'source' if not pair.source.strip() else 'target'}")
    if not src or not tgt:
        raise FormatError(f"writing an empty {fmt} file needs src_lang and tgt_lang")
    for code in (src, tgt):
        if not LANG_RE.match(code):
            raise FormatError(f"{code!r} is not a language code")
    return src, tgt


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped), or a :class:`FormatError` naming the line of the bad bytes."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormatError(f"not UTF-8 ({error.reason})", data[: error.start].count(b"\n") + 1) from None


def convert(value: str) -> str | int | float:
    """Provenance numbers come back as numbers (TMX props, XLIFF notes and PO comments are text)."""
    if _INT_RE.match(value):
        return int(value)
    if _FLOAT_RE.match(value):
        return float(value)
    return value


def xml_text(text: str, number: int) -> str:
    """``text`` escaped for XML element content; control characters XML cannot carry are refused."""
    from xml.sax.saxutils import escape

    bad = XML_INVALID_RE.search(text)
    if bad:
        raise FormatError(f"pair {number} holds the control character U+{ord(bad.group()):04X}, which XML cannot carry")
    return escape(text).replace("\r", "&#13;")  # a raw CR would be normalised away by any XML parser


def tool_version() -> str:
    """amts's version, for the ``creationtoolversion`` of the XML formats."""
    from importlib import metadata

    try:
        return metadata.version("amts")
    except metadata.PackageNotFoundError:
        return "0"
