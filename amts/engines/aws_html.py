"""Masked segments <-> the HTML Amazon Translate reads, with placeholders it will not touch.

Amazon Translate's batch jobs read ``text/html`` (not Markdown) and honour ``translate="no"``: each
``{n}`` placeholder becomes ``<span translate="no" data-amts="n">{n}</span>`` and prose is
HTML-escaped. On the way back the spans become ``{n}`` again and entities are decoded, so the
caller's placeholder validation sees exactly what the engine did with the structure.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from amts.document.placeholders import PLACEHOLDER_RE

_SPAN_RE = re.compile(
    r"""<span\b[^>]*?\bdata-amts=["']?(\d+)["']?[^>]*>.*?</span\s*>""",
    re.S | re.I,
)
_SEGMENT_RE = re.compile(r"""<p\b[^>]*?\bid=["']?s(\d+)["']?[^>]*>(.*?)</p\s*>""", re.S | re.I)


def to_html(masked: str) -> str:
    """One masked segment as an HTML fragment (no newlines: a segment is one line of prose)."""
    out: list[str] = []
    pos = 0
    for match in PLACEHOLDER_RE.finditer(masked):
        out.append(html.escape(masked[pos : match.start()], quote=False))
        number = match.group(1)
        out.append(f'<span translate="no" data-amts="{number}">{{{number}}}</span>')
        pos = match.end()
    out.append(html.escape(masked[pos:], quote=False))
    return " ".join("".join(out).splitlines())


def from_html(fragment: str) -> str:
    """Undo :func:`to_html` on a translated fragment; whitespace runs fold to one space."""
    text = _SPAN_RE.sub(lambda m: "{" + m.group(1) + "}", fragment)
    return " ".join(html.unescape(text).split())


def to_html_document(segments: Sequence[str], lang: str) -> str:
    """A whole batch input file: one ``<p id="sN">`` per masked segment, in order."""
    body = "\n".join(f'<p id="s{i}">{to_html(text)}</p>' for i, text in enumerate(segments))
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def from_html_document(document: str, count: int) -> list[str | None]:
    """Translated segments by their ``sN`` ids; ``None`` where the output lost a segment."""
    found: list[str | None] = [None] * count
    for match in _SEGMENT_RE.finditer(document):
        index = int(match.group(1))
        if 0 <= index < count and found[index] is None:
            found[index] = from_html(match.group(2))
    return found
