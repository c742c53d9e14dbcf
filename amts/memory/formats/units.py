"""Translation units: what XLIFF and PO carry, whether the texts are a book's segments, pairs or a review queue.

A :class:`Unit` holds raw Markdown (``source``, ``target``). The XML formats show its inline structure
(code, math, roles, link targets, HTML tags) as inline codes: :func:`inline_codes` splits a text into
prose and codes, pairing openers with closers (``[`` ... ``](url)``, ``<b>`` ... ``</b>``) so tools show
them as one paired code (``<pc>``/``<bpt>``+``<ept>``) and the rest as placeholders (``<ph>``). Every
code carries its exact original characters, so the raw Markdown comes back byte for byte.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from amts.document import mask
from amts.document.links import own_target
from amts.document.markup import SLIDE_PAIRS
from amts.document.placeholders import PLACEHOLDER_RE


class UnitState:
    """Where a unit stands; the formats map these to their own words (XLIFF ``state``, PO ``fuzzy``)."""

    NEW = "new"  # no target yet
    TRANSLATED = "translated"
    NEEDS_REVIEW = "needs-review"  # a target exists but must be checked (PO: fuzzy)
    REVIEWED = "reviewed"
    FINAL = "final"


@dataclass
class Unit:
    """One translatable piece: its id (PO msgctxt), texts, state, and notes (reasons, provenance)."""

    id: str
    source: str
    target: str = ""
    state: str = UnitState.NEW
    notes: list[str] = field(default_factory=list)
    file: str = ""  # the document (or resource) the unit belongs to
    line: int | None = None  # 1-based line in ``file``
    previous: str = ""  # the source before it changed (a sync's review queue): PO's ``#| msgid``

    @property
    def usable(self) -> bool:
        """Whether the target can be taken as a translation (not missing, not waiting for review)."""
        return bool(self.target.strip()) and self.final

    @property
    def final(self) -> bool:
        """Whether the target is vouched for: not new, not fuzzy, initial or waiting for review."""
        return self.state not in (UnitState.NEW, UnitState.NEEDS_REVIEW)


@dataclass(frozen=True)
class Code:
    """Inline structure inside a text: a standalone code (``close`` empty) or an opener/closer pair."""

    id: int
    open: str
    close: str | None = None  # None: standalone (<ph>); else the closer of a pair (<pc>)
    inner: tuple[Piece, ...] = ()


Piece = str | Code


_HTML_OPEN_RE = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?>\Z")
_HTML_CLOSE_RE = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>\Z")


def _closes(opener: str, closer: str) -> bool:
    if opener in ("[", "!["):
        return closer.startswith("](") or closer.startswith("][")
    if opener in SLIDE_PAIRS:
        return closer == SLIDE_PAIRS[opener]
    start, end = _HTML_OPEN_RE.match(opener), _HTML_CLOSE_RE.match(closer)
    return bool(start and end and start.group(1).lower() == end.group(1).lower())


def _opens(span: str) -> bool:
    return span in ("[", "![") or span in SLIDE_PAIRS or bool(_HTML_OPEN_RE.match(span) and not span.endswith("/>"))


def render_pieces(
    pieces: Sequence[Piece],
    text: Callable[[str], str],
    standalone: Callable[[Code], str],
    paired: Callable[[Code, str], str],
) -> str:
    """``pieces`` as one format's markup: prose through ``text``, a standalone code through
    ``standalone``, a pair through ``paired`` (given its inner pieces already rendered)."""
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(text(piece))
        elif piece.close is None:
            out.append(standalone(piece))
        else:
            out.append(paired(piece, render_pieces(piece.inner, text, standalone, paired)))
    return "".join(out)


def inline_codes(raw: str) -> list[Piece]:
    """``raw`` as prose strings and :class:`Code` s (ids 1, 2, ... in order), pairs nested properly."""
    masked = mask(raw)
    tokens: list[str | int] = []
    pos = 0
    for match in PLACEHOLDER_RE.finditer(masked.text):
        if match.start() > pos:
            tokens.append(masked.text[pos : match.start()])
        tokens.append(int(match.group(1)))
        pos = match.end()
    if pos < len(masked.text):
        tokens.append(masked.text[pos:])
    spans = masked.spans
    # pair openers and closers with a stack; anything unmatched stays a standalone code
    partner: dict[int, int] = {}
    stack: list[int] = []
    for token in tokens:
        if isinstance(token, int):
            span = spans[token - 1]
            if stack and _closes(spans[stack[-1] - 1], span):
                partner[stack.pop()] = token
            elif _opens(span):
                stack.append(token)

    def build(items: list[str | int]) -> list[Piece]:
        out: list[Piece] = []
        index = 0
        while index < len(items):
            token = items[index]
            if isinstance(token, str):
                out.append(token)
            elif token in partner:
                end = items.index(partner[token], index)
                out.append(Code(token, spans[token - 1], spans[partner[token] - 1], tuple(build(items[index + 1 : end]))))
                index = end
            else:
                out.append(Code(token, spans[token - 1]))
            index += 1
        return out

    return build(tokens)


def raw_text(pieces: list[Piece] | tuple[Piece, ...]) -> str:
    """The raw Markdown of pieces (inverse of :func:`inline_codes`)."""
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
        else:
            out.append(piece.open)
            if piece.close is not None:
                out.append(raw_text(piece.inner))
                out.append(piece.close)
    return "".join(out)


def structure_differs(source: str, target: str, own_links: Sequence[str] = ()) -> str | None:
    """Why ``target`` cannot stand for ``source`` (inline structure lost, added or changed), or None.

    A link to one of the book's own pages (``own_links`` prefixes) may differ (amts.document.links)."""

    def spans(text: str) -> Counter:
        return Counter("](own)" if own_target(span, own_links) else span for span in mask(text).spans)

    wanted, found = spans(source), spans(target)
    if wanted == found:
        return None
    lost = list((wanted - found).elements())
    extra = list((found - wanted).elements())
    parts = []
    if lost:
        parts.append("lost " + ", ".join(repr(s) for s in lost[:3]))
    if extra:
        parts.append("added " + ", ".join(repr(s) for s in extra[:3]))
    return "inline structure " + "; ".join(parts)
