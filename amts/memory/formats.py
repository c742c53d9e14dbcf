"""Parallel-data files: CSV, TSV, TMX 1.4 and JSON Lines, read and written losslessly.

CSV and TSV follow Amazon Translate's parallel-data input format: the first row holds the language
codes (``en,zh``), then one pair a row, source first. CSV quotes with ``"`` and doubles quotes inside a
field; TSV writes a field bare unless it holds a tab, a line break or starts with a quote (then it is
quoted the CSV way), so ordinary text with quotes stays readable. TMX keeps provenance in ``<prop>``
elements (``type="x-<key>"``); JSON Lines keeps it as an object.

Reading is all-or-nothing: any malformed row raises :class:`FormatError` naming the line, and no pair
is returned, so a caller importing the result imports nothing of a bad file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from amts.errors import InputError
from amts.fileio import atomic_write_text
from amts.memory.pairs import Pair

FORMATS = ("csv", "tsv", "tmx", "jsonl")
"""The file formats :func:`read_pairs` and :func:`write_pairs` understand."""

_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".tmx": "tmx", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
# Characters XML 1.0 cannot carry at all (even escaped): refuse them rather than write invalid TMX.
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
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


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The format named by ``fmt`` or, if None, by the file suffix (``FormatError`` if neither works)."""
    if fmt:
        name = fmt.lower().lstrip(".")
        if name not in FORMATS:
            raise FormatError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        return name
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise FormatError(f"cannot tell the format from the suffix {suffix or '(none)'!r}; use one of {', '.join(FORMATS)}", path=path)
    return _SUFFIXES[suffix]


# ----------------------------------------------------------------------------------------- writing


def write_pairs(
    pairs: Iterable[Pair],
    path_or_stream: str | Path | IO[str],
    fmt: str | None = None,
    *,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
) -> int:
    """Write ``pairs`` as ``fmt`` (default: by the path's suffix); return how many were written.

    A path is written atomically (all or nothing); a text stream is written to as is. All pairs must
    share one language pair (needed for the CSV/TSV header and TMX ``srclang``); ``src_lang``/``tgt_lang``
    name it for an empty list. Nothing is written if a pair cannot be represented.
    """
    items = list(pairs)
    stream_given = not isinstance(path_or_stream, (str, Path))
    if stream_given and not fmt:
        raise FormatError("write_pairs to a stream needs an explicit format")
    name = format_for("" if stream_given else path_or_stream, fmt)  # type: ignore[arg-type]
    src, tgt = _common_languages(items, src_lang, tgt_lang, name)
    text = {"csv": _csv_text, "tsv": _tsv_text, "tmx": _tmx_text, "jsonl": _jsonl_text}[name](items, src, tgt)
    if stream_given:
        path_or_stream.write(text)  # type: ignore[union-attr]
    else:
        atomic_write_text(Path(path_or_stream), text)  # type: ignore[arg-type]
    return len(items)


def _common_languages(items: Sequence[Pair], src: str | None, tgt: str | None, fmt: str) -> tuple[str, str]:
    for number, pair in enumerate(items, 1):
        src = src or pair.src_lang
        tgt = tgt or pair.tgt_lang
        if (pair.src_lang, pair.tgt_lang) != (src, tgt):
            raise FormatError(f"pair {number} is {pair.src_lang}->{pair.tgt_lang}, not {src}->{tgt}: one file holds one language pair")
        if not pair.source.strip() or not pair.target.strip():
            raise FormatError(f"pair {number} has an empty {'source' if not pair.source.strip() else 'target'}")
    if not src or not tgt:
        raise FormatError(f"writing an empty {fmt} file needs src_lang and tgt_lang")
    for code in (src, tgt):
        if not _LANG_RE.match(code):
            raise FormatError(f"{code!r} is not a language code")
    return src, tgt


def _csv_text(items: Sequence[Pair], src: str, tgt: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL, doublequote=True)
    writer.writerow([src, tgt])
    writer.writerows([pair.source, pair.target] for pair in items)
    return out.getvalue()


def _tsv_field(text: str) -> str:
    if "\t" in text or "\n" in text or "\r" in text or text.startswith('"'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _tsv_text(items: Sequence[Pair], src: str, tgt: str) -> str:
    rows = [f"{src}\t{tgt}"] + [f"{_tsv_field(p.source)}\t{_tsv_field(p.target)}" for p in items]
    return "\n".join(rows) + "\n"


def _xml_text(text: str, number: int) -> str:
    bad = _XML_INVALID_RE.search(text)
    if bad:
        raise FormatError(f"pair {number} holds the control character U+{ord(bad.group()):04X}, which XML cannot carry")
    return escape(text).replace("\r", "&#13;")  # a raw CR would be normalised away by any XML parser


def _tool_version() -> str:
    try:
        return metadata.version("amts")
    except metadata.PackageNotFoundError:
        return "0"


def _tmx_text(items: Sequence[Pair], src: str, tgt: str) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<tmx version="1.4">',
        f'  <header creationtool="amts" creationtoolversion={quoteattr(_tool_version())} segtype="sentence"'
        f' o-tmf="amts" adminlang="en" srclang={quoteattr(src)} datatype="plaintext"/>',
        "  <body>",
    ]
    for number, pair in enumerate(items, 1):
        lines.append("    <tu>")
        for key, value in pair.provenance.items():
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(key)):
                raise FormatError(f"pair {number}: provenance key {key!r} cannot be a TMX prop type")
            lines.append(f'      <prop type="x-{key}">{_xml_text(str(value), number)}</prop>')
        lines.append(f"      <tuv xml:lang={quoteattr(src)}><seg>{_xml_text(pair.source, number)}</seg></tuv>")
        lines.append(f"      <tuv xml:lang={quoteattr(tgt)}><seg>{_xml_text(pair.target, number)}</seg></tuv>")
        lines.append("    </tu>")
    lines += ["  </body>", "</tmx>", ""]
    return "\n".join(lines)


def _jsonl_text(items: Sequence[Pair], src: str, tgt: str) -> str:
    records = (
        json.dumps(
            {"source": p.source, "target": p.target, "src_lang": p.src_lang, "tgt_lang": p.tgt_lang, "provenance": p.provenance},
            ensure_ascii=False,
        )
        for p in items
    )
    return "".join(record + "\n" for record in records)


# ----------------------------------------------------------------------------------------- reading


def read_pairs(
    path: str | Path | IO[str],
    fmt: str | None = None,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
) -> list[Pair]:
    """Read every pair of a parallel-data file, or raise :class:`FormatError` and return nothing.

    ``fmt`` defaults to the file suffix. ``src_lang``/``tgt_lang``, when given, must match the file's
    languages (the CSV/TSV header, TMX ``xml:lang``, JSONL fields); with a multi-target CSV/TSV or TMX,
    ``tgt_lang`` picks the column/variant.
    """
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
        if name == "tmx":
            return _read_tmx(data, src_lang, tgt_lang)
        text = _decode(data)
        if name in ("csv", "tsv"):
            return _read_table(text, "," if name == "csv" else "\t", src_lang, tgt_lang)
        return _read_jsonl(text, src_lang, tgt_lang)
    except FormatError as error:
        raise FormatError(error.message, error.line, label) from None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormatError(f"not UTF-8 ({error.reason})", data[: error.start].count(b"\n") + 1) from None


def _same_lang(code: str, wanted: str) -> bool:
    """``zh-CN`` matches ``zh``; ``zh-CN`` does not match ``zh-TW``."""
    code, wanted = code.lower().replace("_", "-"), wanted.lower().replace("_", "-")
    return code == wanted or ("-" not in wanted and code.split("-")[0] == wanted)


def _pick(header: list[str], wanted: str, role: str, line: int) -> int:
    for index, code in enumerate(header):
        if _same_lang(code, wanted):
            return index
    raise FormatError(f"the file's languages are {', '.join(header)}; no {role} language {wanted!r}", line)


def _read_table(text: str, delimiter: str, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
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
            if len(header) < 2 or not all(_LANG_RE.match(code) for code in header):
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
        source, target = row[src_col], row[tgt_col]
        if not source.strip() or not target.strip():
            raise FormatError(f"empty {'source' if not source.strip() else 'target'} field", line)
        pairs.append(Pair(source, target, src, tgt, {"origin": "imported"}))
    if header is None:
        raise FormatError("missing header: the file is empty", 1)
    return pairs


def _convert(value: str) -> str | int | float:
    """Provenance numbers come back as numbers (TMX props are text)."""
    if _INT_RE.match(value):
        return int(value)
    if _FLOAT_RE.match(value):
        return float(value)
    return value


class _TmxReader:
    """A streaming expat reader that knows the line of every element, for precise errors."""

    def __init__(self, src_lang: str | None, tgt_lang: str | None) -> None:
        self.src_lang, self.tgt_lang = src_lang, tgt_lang
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.stack: list[str] = []
        self.header_src: str | None = None
        self.seen_root = False
        self.tu_line = 0
        self.tuvs: list[tuple[str, str, int]] = []
        self.props: dict[str, str | int | float] = {}
        self.lang = ""
        self.tuv_line = 0
        self.buffer: list[str] | None = None  # collecting <seg> text (inline tags' text included)
        self.prop_type: str | None = None
        self.prop_text: list[str] = []
        self.raw: list[tuple[int, list[tuple[str, str, int]], dict[str, str | int | float]]] = []

    def fail(self, message: str) -> None:
        raise FormatError(message, self.parser.CurrentLineNumber)

    def doctype(self, *_args: Any) -> None:
        self.fail("DOCTYPE declarations are not accepted in TMX files")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else None
        self.stack.append(tag)
        if parent is None:
            if tag != "tmx":
                self.fail(f"the root element is <{tag}>, not <tmx>")
            self.seen_root = True
        elif tag == "header" and parent == "tmx":
            self.header_src = attrs.get("srclang")
        elif tag == "tu" and parent == "body":
            self.tu_line, self.tuvs, self.props = self.parser.CurrentLineNumber, [], {}
        elif tag == "tuv" and parent == "tu":
            self.lang = attrs.get("xml:lang") or attrs.get("lang") or ""
            self.tuv_line = self.parser.CurrentLineNumber
            if not self.lang:
                self.fail("<tuv> without xml:lang")
        elif tag == "seg" and parent == "tuv":
            self.buffer = []
        elif tag == "prop" and parent == "tu":
            self.prop_type, self.prop_text = attrs.get("type", ""), []

    def text(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)
        elif self.prop_type is not None:
            self.prop_text.append(data)

    def end(self, tag: str) -> None:
        self.stack.pop()
        if tag == "seg" and self.buffer is not None and self.stack and self.stack[-1] == "tuv":
            self.tuvs.append((self.lang, "".join(self.buffer), self.tuv_line))
            self.buffer = None
        elif tag == "prop" and self.prop_type is not None:
            key = self.prop_type[2:] if self.prop_type.startswith("x-") else self.prop_type
            if key:
                self.props[key] = _convert("".join(self.prop_text))
            self.prop_type = None
        elif tag == "tu" and self.stack and self.stack[-1] == "body":
            self.raw.append((self.tu_line, self.tuvs, self.props))

    def pairs(self) -> list[Pair]:
        src = self.src_lang or self.header_src
        if not src or src == "*all*":
            raise FormatError("the TMX header names no srclang: pass the source language")
        if self.src_lang and self.header_src and self.header_src != "*all*" and not _same_lang(self.header_src, self.src_lang):
            raise FormatError(f"the TMX source language is {self.header_src!r}, not {self.src_lang!r}", 1)
        tgt = self.tgt_lang
        if tgt is None:
            others: dict[str, str] = {}
            for _, tuvs, _ in self.raw:
                for lang, _, _ in tuvs:
                    if not _same_lang(lang, src):
                        others.setdefault(lang.lower(), lang)
            if len(others) > 1:
                raise FormatError(f"several target languages ({', '.join(sorted(others.values()))}): name one with tgt_lang")
            tgt = next(iter(others.values())) if others else None
        pairs: list[Pair] = []
        for tu_line, tuvs, props in self.raw:
            source = [(text, line) for lang, text, line in tuvs if _same_lang(lang, src)]
            target = [(text, line) for lang, text, line in tuvs if tgt and _same_lang(lang, tgt)]
            if not source or not target:
                langs = ", ".join(lang for lang, _, _ in tuvs) or "none"
                raise FormatError(f"<tu> lacks a {'source' if not source else 'target'} variant ({src}->{tgt}); it has {langs}", tu_line)
            for (text, line), role in ((source[0], "source"), (target[0], "target")):
                if not text.strip():
                    raise FormatError(f"empty {role} <seg>", line)
            provenance = dict(props) or {"origin": "imported"}
            pairs.append(Pair(source[0][0], target[0][0], src, str(tgt), provenance))
        return pairs


def _read_tmx(data: bytes, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
    reader = _TmxReader(src_lang, tgt_lang)
    try:
        reader.parser.Parse(data, True)
    except expat.ExpatError as error:
        raise FormatError(f"invalid XML: {expat.ErrorString(error.code)} (column {error.offset + 1})", error.lineno) from None
    if not reader.seen_root:
        raise FormatError("not a TMX file", 1)
    return reader.pairs()


def _read_jsonl(text: str, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
    pairs: list[Pair] = []
    src, tgt = src_lang, tgt_lang
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise FormatError(f"invalid JSON ({error.msg})", number) from None
        if not isinstance(record, dict):
            raise FormatError("each line must be a JSON object", number)
        fields = {}
        for key in ("source", "target", "src_lang", "tgt_lang"):
            value = record.get(key)
            if not isinstance(value, str) or not value.strip():
                raise FormatError(f"missing or empty {key!r}", number)
            fields[key] = value
        provenance = record.get("provenance", {})
        if not isinstance(provenance, dict):
            raise FormatError("'provenance' must be an object", number)
        src, tgt = src or fields["src_lang"], tgt or fields["tgt_lang"]
        if not (_same_lang(fields["src_lang"], src) and _same_lang(fields["tgt_lang"], tgt)):
            raise FormatError(f"languages {fields['src_lang']}->{fields['tgt_lang']} differ from {src}->{tgt}", number)
        pairs.append(Pair(fields["source"], fields["target"], src, tgt, provenance))
    return pairs
