"""Parallel-data files: one storage class per format, and the two calls that pick one.

``read_pairs``/``write_pairs`` choose the format from ``fmt`` or the file suffix:

* CSV and TSV are Amazon Translate's layout and are always written **Amazon-ready** (its rules on
  line breaks, quotes, leading ``+ - = @``, 1,000-byte fields and repeated sources, see
  :mod:`amts.memory.formats.amazon`); what had to change is returned in a :class:`WriteReport`.
* TMX 1.4 and JSON Lines are lossless and keep provenance.
* XLIFF 2.1 (``xliff``; ``xliff12`` writes 1.2) and gettext PO exchange units with translators' tools
  (inline codes, states, notes): as parallel data, a unit is a pair when it has a target that is
  not waiting for review. Books and review queues use :mod:`~amts.memory.formats.xliff` and
  :mod:`~amts.memory.formats.po` directly.

A folder is read as all its files of the format (``fmt``, else every known suffix), in name order:
a folder of ``.po`` files is one set of pairs.

Reading is all-or-nothing: any malformed row raises :class:`FormatError` naming the line, and no pair
is returned, so a caller importing the result imports nothing of a bad file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO

from amts.fileio import atomic_write_text
from amts.memory.formats.amazon import Splitter
from amts.memory.formats.base import FormatError, PairFormat, WriteReport, common_languages
from amts.memory.formats.jsonl import JsonlFormat
from amts.memory.formats.po import PoFormat
from amts.memory.formats.table import CsvFormat, TsvFormat
from amts.memory.formats.tmx import TmxFormat
from amts.memory.formats.xliff import Xliff12Format, XliffFormat
from amts.memory.pairs import Pair

_CLASSES: tuple[type[PairFormat], ...] = (CsvFormat, TsvFormat, TmxFormat, JsonlFormat, XliffFormat, Xliff12Format, PoFormat)
FORMATS = tuple(cls.name for cls in _CLASSES)
"""The file formats :func:`read_pairs` and :func:`write_pairs` understand."""

_BY_NAME = {cls.name: cls for cls in _CLASSES}
_BY_SUFFIX = {suffix: cls.name for cls in _CLASSES for suffix in cls.suffixes}

__all__ = ["FORMATS", "FormatError", "PairFormat", "WriteReport", "format_for", "get_format", "read_pairs", "write_pairs"]


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The format named by ``fmt`` or, if None, by the file suffix (``FormatError`` if neither works)."""
    if fmt:
        name = fmt.lower().lstrip(".")
        if name not in _BY_NAME:
            raise FormatError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        return name
    suffix = Path(path).suffix.lower()
    if suffix not in _BY_SUFFIX:
        raise FormatError(f"cannot tell the format from the suffix {suffix or '(none)'!r}; use one of {', '.join(FORMATS)}", path=path)
    return _BY_SUFFIX[suffix]


def get_format(name: str) -> PairFormat:
    """The storage class instance for a format name (see :data:`FORMATS`)."""
    return _BY_NAME[format_for("", name)]()


def write_pairs(
    pairs: Iterable[Pair],
    path_or_stream: str | Path | IO[str],
    fmt: str | None = None,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    splitter: Splitter | None = None,
) -> WriteReport:
    """Write ``pairs`` as ``fmt`` (default: by the path's suffix); report what was written and changed.

    A path is written atomically (all or nothing); a text stream is written to as is. All pairs must
    share one language pair (needed for the CSV/TSV header and TMX ``srclang``); ``src_lang``/``tgt_lang``
    name it for an empty list. Nothing is written if a pair cannot be represented. ``splitter`` tells
    CSV/TSV how to split a pair over Amazon's byte limit (see :mod:`amts.memory.formats.amazon`).
    """
    items = list(pairs)
    stream_given = not isinstance(path_or_stream, (str, Path))
    if stream_given and not fmt:
        raise FormatError("write_pairs to a stream needs an explicit format")
    name = format_for("" if stream_given else path_or_stream, fmt)  # type: ignore[arg-type]
    src, tgt = common_languages(items, src_lang, tgt_lang, name)
    storage = _BY_NAME[name](splitter) if issubclass(_BY_NAME[name], (CsvFormat, TsvFormat)) else _BY_NAME[name]()
    text, report = storage.write(items, src, tgt)
    if stream_given:
        path_or_stream.write(text)  # type: ignore[union-attr]
    else:
        atomic_write_text(Path(path_or_stream), text)  # type: ignore[arg-type]
    return report


def read_pairs(
    path: str | Path | IO[str],
    fmt: str | None = None,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
) -> list[Pair]:
    """Read every pair of a parallel-data file, or raise :class:`FormatError` and return nothing.

    ``fmt`` defaults to the file suffix. ``src_lang``/``tgt_lang``, when given, must match the file's
    languages (the CSV/TSV header, TMX ``xml:lang``, JSONL fields) by BCP 47 language and script; with
    a multi-target CSV/TSV or TMX, ``tgt_lang`` picks the column/variant.
    """
    if isinstance(path, (str, Path)) and Path(path).is_dir():
        return _read_folder(Path(path), fmt, src_lang, tgt_lang)
    if isinstance(path, (str, Path)):
        name = format_for(path, fmt)
        data = Path(path).read_bytes()
        label: str | Path = path
    else:
        if not fmt:
            raise FormatError("read_pairs from a stream needs an explicit format")
        name = format_for("", fmt)
        data = path.read().encode("utf-8")
        label = getattr(path, "name", "<stream>")
    try:
        return _BY_NAME[name]().read(data, src_lang, tgt_lang)
    except FormatError as error:
        raise FormatError(error.message, error.line, label) from None


def _read_folder(folder: Path, fmt: str | None, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
    """Every file of the format in ``folder`` (recursively, name order), as one list; all or nothing."""
    wanted = {format_for("", fmt)} if fmt else set(FORMATS)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and _BY_SUFFIX.get(p.suffix.lower()) in wanted)
    if not files:
        raise FormatError(f"no {' or '.join(sorted(wanted))} files in the folder", path=folder)
    pairs: list[Pair] = []
    for file in files:
        found = read_pairs(file, fmt, src_lang, tgt_lang)
        if found:  # the first file's languages hold for the rest
            src_lang, tgt_lang = src_lang or found[0].src_lang, tgt_lang or found[0].tgt_lang
        pairs.extend(found)
    return pairs
