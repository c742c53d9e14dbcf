"""TMX 1.4: written valid with every required header attribute, read safely from any tool.

Provenance travels in ``<prop type="x-KEY">`` elements and comes back (numbers as numbers). Files from
other tools (translate-toolkit's ``po2tmx``, OmegaT, Trados) carry ``<!DOCTYPE tmx SYSTEM "tmx14.dtd">``:
accepted, never fetched; entity declarations are refused (see :mod:`amts.memory.formats.xmlsafe`).
Languages are BCP 47 tags matched by language and script (``zh-CN`` and ``zh-Hans`` are ``zh``).
The text of inline elements (``<ph>``, ``<bpt>``...) is kept: it is the native markup they stand for.
"""

from __future__ import annotations

import re
import xml.sax.handler
from collections.abc import Sequence
from xml.sax.saxutils import quoteattr

from amts.languages import same_language
from amts.memory.formats.base import FormatError, PairFormat, WriteReport, convert, tool_version, xml_text
from amts.memory.formats.xmlsafe import parse_sax
from amts.memory.pairs import Pair

_PROP_KEY_RE = re.compile(r"[A-Za-z0-9_.-]+")


class _TmxHandler(xml.sax.handler.ContentHandler):
    """Collects the ``<tu>`` elements with the line of each, for precise errors."""

    def __init__(self) -> None:
        super().__init__()
        self.locator: xml.sax.xmlreader.Locator | None = None
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
        self.units: list[tuple[int, list[tuple[str, str, int]], dict[str, str | int | float]]] = []

    def setDocumentLocator(self, locator: xml.sax.xmlreader.Locator) -> None:  # noqa: N802 (SAX API)
        self.locator = locator

    def line(self) -> int:
        return self.locator.getLineNumber() if self.locator else 0

    def startElement(self, tag: str, attrs: xml.sax.xmlreader.AttributesImpl) -> None:  # noqa: N802
        parent = self.stack[-1] if self.stack else None
        self.stack.append(tag)
        if parent is None:
            if tag != "tmx":
                raise FormatError(f"the root element is <{tag}>, not <tmx>", self.line())
            self.seen_root = True
        elif tag == "header" and parent == "tmx":
            self.header_src = attrs.get("srclang")
        elif tag == "tu" and parent == "body":
            self.tu_line, self.tuvs, self.props = self.line(), [], {}
        elif tag == "tuv" and parent == "tu":
            self.lang = attrs.get("xml:lang") or attrs.get("lang") or ""
            self.tuv_line = self.line()
            if not self.lang:
                raise FormatError("<tuv> without xml:lang", self.line())
        elif tag == "seg" and parent == "tuv":
            self.buffer = []
        elif tag == "prop" and parent == "tu":
            self.prop_type, self.prop_text = attrs.get("type", ""), []

    def characters(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)
        elif self.prop_type is not None:
            self.prop_text.append(data)

    def endElement(self, tag: str) -> None:  # noqa: N802
        self.stack.pop()
        if tag == "seg" and self.buffer is not None and self.stack and self.stack[-1] == "tuv":
            self.tuvs.append((self.lang, "".join(self.buffer), self.tuv_line))
            self.buffer = None
        elif tag == "prop" and self.prop_type is not None:
            key = self.prop_type[2:] if self.prop_type.startswith("x-") else self.prop_type
            if key:
                self.props[key] = convert("".join(self.prop_text))
            self.prop_type = None
        elif tag == "tu" and self.stack and self.stack[-1] == "body":
            self.units.append((self.tu_line, self.tuvs, self.props))


class TmxFormat(PairFormat):
    """Translation Memory eXchange 1.4 (the format of CAT tools and of Amazon's parallel data)."""

    name = "tmx"
    suffixes = (".tmx",)
    reads_bytes = True

    def write(self, items: Sequence[Pair], src: str, tgt: str) -> tuple[str, WriteReport]:
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<tmx version="1.4">',
            f'  <header creationtool="amts" creationtoolversion={quoteattr(tool_version())} segtype="sentence"'
            f' o-tmf="amts" adminlang="en" srclang={quoteattr(src)} datatype="plaintext"/>',
            "  <body>",
        ]
        for number, pair in enumerate(items, 1):
            lines.append("    <tu>")
            for key, value in pair.provenance.items():
                if not _PROP_KEY_RE.fullmatch(str(key)):
                    raise FormatError(f"pair {number}: provenance key {key!r} cannot be a TMX prop type")
                lines.append(f'      <prop type="x-{key}">{xml_text(str(value), number)}</prop>')
            lines.append(f"      <tuv xml:lang={quoteattr(src)}><seg>{xml_text(pair.source, number)}</seg></tuv>")
            lines.append(f"      <tuv xml:lang={quoteattr(tgt)}><seg>{xml_text(pair.target, number)}</seg></tuv>")
            lines.append("    </tu>")
        lines += ["  </body>", "</tmx>", ""]
        return "\n".join(lines), WriteReport(len(items), [])

    def read(self, data: bytes, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
        handler = _TmxHandler()
        parse_sax(data, handler)
        if not handler.seen_root:
            raise FormatError("not a TMX file", 1)
        return _pairs(handler, src_lang, tgt_lang)


def _pairs(handler: _TmxHandler, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
    src = src_lang or handler.header_src
    if not src or src == "*all*":
        raise FormatError("the TMX header names no srclang: pass the source language")
    header_src = handler.header_src
    if src_lang and header_src and header_src != "*all*" and not same_language(header_src, src_lang):
        raise FormatError(f"the TMX source language is {header_src!r}, not {src_lang!r}", 1)
    tgt = tgt_lang
    if tgt is None:
        others: dict[str, str] = {}
        for _, tuvs, _ in handler.units:
            for lang, _, _ in tuvs:
                if not same_language(lang, src):
                    others.setdefault(lang.lower(), lang)
        if len(others) > 1:
            raise FormatError(f"several target languages ({', '.join(sorted(others.values()))}): name one with tgt_lang")
        tgt = next(iter(others.values())) if others else None
    pairs: list[Pair] = []
    for tu_line, tuvs, props in handler.units:
        source = [(text, line) for lang, text, line in tuvs if same_language(lang, src)]
        target = [(text, line) for lang, text, line in tuvs if tgt and same_language(lang, tgt)]
        if not source or not target:
            langs = ", ".join(lang for lang, _, _ in tuvs) or "none"
            raise FormatError(f"<tu> lacks a {'source' if not source else 'target'} variant ({src}->{tgt}); it has {langs}", tu_line)
        for (text, line), role in ((source[0], "source"), (target[0], "target")):
            if not text.strip():
                raise FormatError(f"empty {role} <seg>", line)
        provenance = dict(props) or {"origin": "imported"}
        pairs.append(Pair(source[0][0], target[0][0], src, str(tgt), provenance))
    return pairs
