"""Parsing XML from strangers safely: a DOCTYPE is fine, entity declarations and external references are not.

TMX 1.4 and XLIFF 1.2 files written by other tools carry ``<!DOCTYPE tmx SYSTEM "tmx14.dtd">`` or
similar; that is accepted (the DTD is never fetched). Any ``<!ENTITY>`` declaration is refused before
it is used, which stops entity-expansion bombs ("billion laughs") and external entities (XXE: reading
local files or URLs). The work is done by defusedxml, the maintained guard around the standard parsers.
"""

from __future__ import annotations

import io
import xml.sax
import xml.sax.handler
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import ExpatError

import defusedxml
import defusedxml.ElementTree
import defusedxml.sax

from amts.memory.formats.base import FormatError


def _refusal(error: defusedxml.DefusedXmlException) -> str:
    if isinstance(error, defusedxml.EntitiesForbidden):
        return f"entity declarations are not accepted (entity {error.name!r}): they can expand without bound or read other files"
    if isinstance(error, defusedxml.ExternalReferenceForbidden):
        return "external references are not accepted (a DTD or entity that would be fetched)"
    return f"refused: {error}"


def parse_sax(data: bytes, handler: xml.sax.handler.ContentHandler) -> None:
    """Stream ``data`` through a SAX ``handler`` (line numbers from its locator), safely."""
    parser = defusedxml.sax.make_parser()
    parser.forbid_dtd, parser.forbid_entities = False, True
    # The DOCTYPE's external subset (``SYSTEM "tmx14.dtd"``) is skipped, never fetched, with these two off;
    # any entity that could point outside must be declared first, and declarations are refused above.
    parser.forbid_external = False
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    parser.setContentHandler(handler)
    try:
        parser.parse(io.BytesIO(data))
    except defusedxml.DefusedXmlException as error:
        raise FormatError(_refusal(error)) from None
    except xml.sax.SAXParseException as error:
        raise FormatError(f"invalid XML: {error.getMessage()} (column {error.getColumnNumber() + 1})", error.getLineNumber()) from None


def parse_tree(data: bytes) -> Element:
    """The root element of ``data``, parsed safely (for formats read as a whole tree: XLIFF)."""
    try:
        return defusedxml.ElementTree.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as error:
        raise FormatError(_refusal(error)) from None
    except (ParseError, ExpatError) as error:  # ExpatError: bytes that are not the declared encoding
        line, column = getattr(error, "position", None) or (getattr(error, "lineno", 1), getattr(error, "offset", 0))
        reason = str(getattr(error, "msg", "") or error).split(":")[0]
        raise FormatError(f"invalid XML: {reason} (column {column + 1})", line) from None
