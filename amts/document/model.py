"""A lossless document model: Markdown split into blocks and translatable segments.

``parse_markdown`` reads block structure from markdown-it-py's token line maps; everything that is not
prose inside a segment is kept as the exact original characters, so ``Document.render({})`` returns
the input byte for byte (line endings, trailing whitespace, BOM included).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from amts.document import inline, sentences
from amts.document.inline import Masked, link_ranges, mask
from amts.document.markup import (
    DEFAULT,
    DISPLAY_MATH,
    LEADING_MARKER_RE,
    STRUCTURE_LINE_RE,
    Dialect,
    current_dialect,
)
from amts.document.sentences import Span, normalize_space, split_sentences

_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_LIST_MARKER_RE = re.compile(r"[-*+]|\d{1,9}[.)]")
# A line that is one whole link (mdBook's SUMMARY.md, link lists): in a paragraph of such lines each
# line is its own segment, so a translation never joins them.
_LINK_LINE_RE = re.compile(r"^\s*!?\[[^\]\n]*\]\([^)\n]*\)\s*$")

BLOCK_KINDS = (
    "blank", "heading", "paragraph", "math", "list", "blockquote", "table", "code", "html",
    "front_matter", "rule", "structure", "other",
)


@dataclass
class Segment:
    """A run of prose to translate. ``text`` is its Markdown without container prefixes."""

    index: int
    block: int
    kind: str  # heading | paragraph | list_item | quote | table_cell | caption
    start: int  # offsets of the whole run in the document text (prefixes of inner lines included)
    end: int
    text: str
    line: int  # 0-based first line
    eol: str = "\n"
    continuation: str = ""  # what starts each further line inside its container
    single_line: bool = False
    #: the dialect of the document the segment is in: it masks and splits with it wherever it is used
    dialect: Dialect = field(default=DEFAULT, repr=False, compare=False)

    @cached_property
    def masked(self) -> Masked:
        return mask(self.text, self.dialect)

    def sentences(self, lang: str) -> list[Sentence]:
        """The segment's sentences as exact substrings of ``text``.

        Math, code and link targets are never cut, and neither is a link or figure caption.
        """
        return list(_sentences_cached(self.text, lang, self.dialect))


@lru_cache(maxsize=1 << 14)  # sync and the aligners ask for the same segments' sentences repeatedly
def _sentences_cached(text: str, lang: str, dialect: Dialect) -> tuple[Sentence, ...]:
    masked = mask(text, dialect)
    raw_offsets = _raw_offsets(masked)
    links = link_ranges(text, dialect)
    raw_spans: list[list[int]] = []
    for span in split_sentences(masked.text, lang):
        start, end = raw_offsets(span.start), raw_offsets(span.end)
        if raw_spans and any(a < raw_spans[-1][1] and start < b for a, b in links):
            raw_spans[-1][1] = end  # the previous break fell inside a link: undo it
        else:
            raw_spans.append([start, end])
    return tuple(Sentence(text[a:b], a, b) for a, b in raw_spans)


@dataclass(frozen=True)
class Sentence:
    text: str  # raw Markdown, exactly as in the segment
    start: int
    end: int

    def key(self, lang: str, dialect: Dialect | None = None) -> str:
        """The form used for memory look-ups and engines: wrapping folded, markup kept exactly."""
        return sentence_key(self.text, lang, dialect)


_FOLDABLE_SPACE_RE = re.compile(r"^\s|\s$|\s\s|[^\S ]")


def sentence_key(text: str, lang: str, dialect: Dialect | None = None) -> str:
    """Fold the wrapping of prose only: whitespace inside math or code is structure and stays."""
    return _sentence_key(text, lang, current_dialect(dialect))


@lru_cache(maxsize=1 << 15)
def _sentence_key(text: str, lang: str, dialect: Dialect) -> str:
    if not _FOLDABLE_SPACE_RE.search(text):
        # Single inner spaces only: masking cannot create more whitespace, so folding would give the
        # masked text back and unmasking the text itself (most sentences on one line take this path).
        return text
    masked = mask(text, dialect)
    return masked.unmask(normalize_space(masked.text, lang))


def clear_caches() -> None:
    """Forget the per-text results (masks, sentence splits, keys) memoised by this package.

    They are pure functions of the text, so this never changes a result: it gives the memory back, and
    lets a benchmark time a cold run again in the same process.
    """
    for cached in (_sentences_cached, _sentence_key, sentences._split_sentences, sentences.normalize_space,
                   inline._analyse, inline._mask):
        cached.cache_clear()


def _raw_offsets(masked: Masked):  # noqa: ANN202 - small closure
    """Map offsets in masked text back to the raw text (placeholders have different lengths)."""
    shifts: list[tuple[int, int]] = []  # (masked offset after placeholder, cumulative shift)
    total = 0
    pos = 0
    for n, original in enumerate(masked.spans, start=1):
        token = f"{{{n}}}"
        pos = masked.text.index(token, pos) + len(token)
        total += len(original) - len(token)
        shifts.append((pos, total))

    def convert(offset: int) -> int:
        shift = 0
        for after, cumulative in shifts:
            if after <= offset:
                shift = cumulative
            else:
                break
        return offset + shift

    return convert


@dataclass
class Block:
    """A top-level piece of the document: a Markdown block or a run of blank lines."""

    index: int
    kind: str
    start: int
    end: int
    line: int
    text: str
    segments: list[int] = field(default_factory=list)


@dataclass
class Document:
    text: str
    blocks: list[Block]
    segments: list[Segment]
    warnings: list[str] = field(default_factory=list)
    #: the dialect the document was parsed with (its segments keep it too)
    dialect: Dialect = field(default=DEFAULT, repr=False, compare=False)

    def render(self, replacements: Mapping[int, str]) -> str:
        """The document with segment ``i`` replaced by ``replacements[i]`` (Markdown without prefixes)."""
        out: list[str] = []
        pos = 0
        for segment in self.segments:
            if segment.index not in replacements:
                continue
            out.append(self.text[pos : segment.start])
            out.append(self.format_segment(segment, replacements[segment.index]))
            pos = segment.end
        out.append(self.text[pos:])
        return "".join(out)

    def format_segment(self, segment: Segment, new_text: str) -> str:
        """How ``new_text`` is written in place of ``segment`` (its container prefixes re-added)."""
        if new_text == segment.text:
            return self.text[segment.start : segment.end]
        lines = new_text.split("\n")
        if segment.single_line:
            return " ".join(line.strip() for line in lines)
        return (segment.eol + segment.continuation).join(lines)

    def block_segments(self, block: Block) -> list[Segment]:
        return [self.segments[i] for i in block.segments]


def keep_dollar_lines(target: str, source: str, dialect: Dialect | None = None) -> str:
    """Lay out a translation so line-based tools pair its ``$`` signs as they did in the source.

    Math checkers pair dollar signs per line. Translated prose is re-wrapped, so the prose after a
    multi-line ``$...$`` starts a new line, and so does an escaped ``\\$`` (currency). The structure
    spans come from the *source*, whose layout decided what was structure. Renderers show these line
    breaks as spaces.
    """
    if "$" not in source:
        return target
    for span in mask(source, dialect).spans:
        if span == "\\$":
            target = re.sub(r"(?<=[^\s\\])[ \t]*(?=\\\$)", "\n", target)
        elif "$" in span and "\n" in span:
            at = target.find(span)
            if at >= 0:
                after = at + len(span)
                rest = target[after:].lstrip(" \t")
                if rest and not rest.startswith("\n"):
                    target = target[:after] + "\n" + rest
    return target


class _Lines:
    """Line table of the document text: offsets, content without line ending, line endings."""

    def __init__(self, text: str, base: int) -> None:
        self.starts: list[int] = []
        self.bodies: list[str] = []
        self.eols: list[str] = []
        self.end = base + len(text)
        if "\r" not in text:  # the usual case: split on "\n" in C instead of a regex match per line
            bodies = text.split("\n")
            if not bodies[-1]:
                bodies.pop()  # text ends with a line ending (or is empty): no unterminated last line
            self.bodies = bodies
            self.eols = ["\n"] * len(bodies)
            if bodies and len(text) == sum(map(len, bodies)) + len(bodies) - 1:
                self.eols[-1] = ""  # the last line has no line ending
            pos = base
            starts = self.starts
            for body in bodies:
                starts.append(pos)
                pos += len(body) + 1
            return
        for match in _LINE_RE.finditer(text):
            line = match.group(0)
            body = line.rstrip("\r\n")
            self.starts.append(base + match.start())
            self.bodies.append(body)
            self.eols.append(line[len(body) :])

    def offset(self, line: int) -> int:
        return self.starts[line] if line < len(self.starts) else self.end


# Only block structure is read from markdown-it: inline structure is masked lexically (inline.py),
# so its inline parser -- half the parse time -- is switched off.
_MD = MarkdownIt("commonmark", {"html": True}).enable("table").use(front_matter_plugin).disable("inline")


def parse_markdown(text: str, dialect: Dialect | None = None) -> Document:
    """Split Markdown into blocks and segments; ``render({})`` gives ``text`` back unchanged.

    ``dialect`` (default: the one of the book being worked on, :func:`~amts.document.markup.use_dialect`)
    decides what is prose; the document and its segments keep it.
    """
    base = 1 if text.startswith("\ufeff") else 0
    body = text[base:]
    lines = _Lines(body, base)
    tokens = _MD.parse(body)
    builder = _Builder(text, lines, current_dialect(dialect))
    builder.math_lines = _display_math_lines(body, tokens)
    stack: list[str] = []
    top_start = None
    top_kind = "other"
    for token in tokens:
        if token.level == 0 and token.map is not None and token.nesting >= 0:
            top_start = token.map
            top_kind = _block_kind(token)
            builder.open_block(top_kind, token.map[0], token.map[1])
            if token.type == "fence" and not _fence_closed(token, lines):
                builder.warnings.append(f"line {token.map[0] + 1}: code fence is never closed")
        if token.nesting == 1:
            stack.append(token.type)
        elif token.nesting == -1 and stack:
            stack.pop()
        if token.type == "inline" and token.map is not None and top_start is not None:
            container = _container(stack)
            builder.add_inline(token.content, token.map, container, top_kind)
    return builder.finish()


_DISPLAY_MATH_RE = re.compile(DISPLAY_MATH, re.S)


def _display_math_lines(body: str, tokens) -> set[int]:  # noqa: ANN001
    """Lines inside multi-line ``$$...$$`` outside code: never prose, whatever markdown-it made of them.

    (A line of display math that starts with ``- `` would otherwise be read as a list item.)
    """
    if "$$" not in body:
        return set()
    lines = body.split("\n")
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            for i in range(token.map[0], min(token.map[1], len(lines))):
                lines[i] = " " * len(lines[i])
    blanked = "\n".join(lines)
    found: set[int] = set()
    for match in _DISPLAY_MATH_RE.finditer(blanked):
        first = blanked.count("\n", 0, match.start())
        last = first + match.group(0).count("\n")
        if last > first:
            found.update(range(first, last + 1))
    return found


def _block_kind(token) -> str:  # noqa: ANN001 - markdown-it Token
    kinds = {
        "heading_open": "heading",
        "paragraph_open": "paragraph",
        "bullet_list_open": "list",
        "ordered_list_open": "list",
        "blockquote_open": "blockquote",
        "table_open": "table",
        "fence": "code",
        "code_block": "code",
        "html_block": "html",
        "front_matter": "front_matter",
        "hr": "rule",
    }
    return kinds.get(token.type, "other")


def _fence_closed(token, lines: _Lines) -> bool:  # noqa: ANN001
    last = token.map[1] - 1
    if last <= token.map[0] or last >= len(lines.bodies):
        return False
    closing = lines.bodies[last].strip()
    return closing.startswith(token.markup[0] * len(token.markup)) and not closing.strip(token.markup[0])


def _container(stack: list[str]) -> str:
    if "th_open" in stack or "td_open" in stack:
        return "table_cell"
    if "heading_open" in stack:
        return "heading"
    if "list_item_open" in stack:
        return "list_item"
    if "blockquote_open" in stack:
        return "quote"
    return "paragraph"


class _Builder:
    def __init__(self, text: str, lines: _Lines, dialect: Dialect) -> None:
        self.text = text
        self.lines = lines
        self.dialect = dialect
        self.blocks: list[Block] = []
        self.segments: list[Segment] = []
        self.warnings: list[str] = []
        self.next_line = 0
        self.cell_cursor: dict[int, int] = {}
        self.math_lines: set[int] = set()

    def open_block(self, kind: str, first: int, last: int) -> None:
        if first > self.next_line:
            self._append_block("blank", self.next_line, first)
        self._append_block(kind, first, last)
        self.next_line = last

    def _append_block(self, kind: str, first: int, last: int) -> None:
        start, end = self.lines.offset(first), self.lines.offset(last)
        if kind == "blank" and self.text[start:end].strip():
            kind = "other"  # e.g. link reference definitions that markdown-it folds away
        self.blocks.append(Block(len(self.blocks), kind, start, end, first, self.text[start:end]))

    def add_inline(self, content: str, line_map: list[int], container: str, top_kind: str) -> None:
        block = self.blocks[-1]
        content_lines = content.split("\n")
        first = line_map[0]
        run: list[tuple[int, int, int]] = []  # (line, start col, end col)
        one_per_line = len(content_lines) > 1 and all(_LINK_LINE_RE.match(piece) for piece in content_lines)
        for offset, piece in enumerate(content_lines):
            line_no = first + offset
            if line_no >= len(self.lines.bodies):
                break
            located = self._locate(line_no, piece, container)
            if located is None:
                self._flush(run, container, block)
                run = []
                self.warnings.append(f"line {line_no + 1}: could not locate prose; kept as structure")
                continue
            if STRUCTURE_LINE_RE.match(piece) or not piece.strip() or line_no in self.math_lines:
                self._flush(run, container, block)
                run = []
                continue
            title = False
            if not run:
                marker = LEADING_MARKER_RE.match(self.lines.bodies[line_no], located[0])
                if marker:
                    if marker.end() >= located[1]:  # the marker alone on its line
                        continue
                    located = (marker.end(), located[1])
                    title = marker.group(0).lstrip()[:1] in "!?"  # an admonition's title: its own segment
            run.append((line_no, *located))
            if title:
                self._flush(run, container, block)
                run = []
            if one_per_line:
                self._flush(run, container, block)
                run = []
        self._flush(run, container, block)
        if block.kind == "paragraph" and not block.segments:
            stripped = block.text.strip()
            block.kind = "math" if stripped.startswith("$$") else "structure"

    def _locate(self, line_no: int, piece: str, container: str) -> tuple[int, int] | None:
        body = self.lines.bodies[line_no]
        needle = piece.strip()
        if container == "table_cell":
            cursor = self.cell_cursor.get(line_no, 0)
            col = body.find(needle, cursor) if needle else cursor
            if col < 0:
                return None
            self.cell_cursor[line_no] = col + len(needle)
            return col, col + len(needle)
        trimmed = body.rstrip()
        if needle and trimmed.endswith(needle):
            return len(trimmed) - len(needle), len(trimmed)
        col = body.find(needle)
        return (col, col + len(needle)) if col >= 0 else None

    def _flush(self, run: list[tuple[int, int, int]], container: str, block: Block) -> None:
        if not run:
            return
        first_line, first_col, _ = run[0]
        last_line, _, last_col = run[-1]
        start = self.lines.starts[first_line] + first_col
        end = self.lines.starts[last_line] + last_col
        text = "\n".join(self.lines.bodies[ln][a:b] for ln, a, b in run)
        masked = mask(text, self.dialect)
        if not masked.has_prose:
            return
        kind = container
        if container == "paragraph" and text.lstrip().startswith("!["):
            kind = "caption"
        if len(run) > 1:
            second_line, second_col, _ = run[1]
            continuation = self.lines.bodies[second_line][:second_col]
        else:
            prefix = self.lines.bodies[first_line][:first_col]
            continuation = _continuation_of(prefix, container)
        segment = Segment(
            index=len(self.segments),
            block=block.index,
            kind=kind,
            start=start,
            end=end,
            text=text,
            line=first_line,
            eol=self.lines.eols[first_line] or "\n",
            continuation=continuation,
            single_line=container in ("table_cell", "heading"),
            dialect=self.dialect,
        )
        segment.__dict__["masked"] = masked  # fills the cached property
        self.segments.append(segment)
        block.segments.append(segment.index)

    def finish(self) -> Document:
        if self.next_line < len(self.lines.bodies):
            self._append_block("blank", self.next_line, len(self.lines.bodies))
        if self.text.startswith("\ufeff") and self.blocks:
            first = self.blocks[0]
            first.start, first.text = 0, self.text[: first.end]
        if not self.blocks and self.text:
            self.blocks.append(Block(0, "blank", 0, len(self.text), 0, self.text))
        return Document(self.text, self.blocks, self.segments, self.warnings, self.dialect)


def _continuation_of(prefix: str, container: str) -> str:
    if container == "list_item":
        return _LIST_MARKER_RE.sub(lambda m: " " * len(m.group(0)), prefix)
    if container == "quote":
        return prefix
    return ""


__all__ = ["Block", "Document", "Segment", "Sentence", "Span", "parse_markdown", "BLOCK_KINDS", "clear_caches"]
