"""Is one Markdown text a valid book page on its own? The defects a build (d2lbook, Sphinx, Jupyter) trips on.

:mod:`amts.document.structure` compares a translation with its source; this module looks at one text
alone: a code fence never closed, a ``:begin_tab:``/``:end_tab:`` not alone on its line, opened inside
another tab block or never closed, a ``#@tab`` marker anywhere but the first line of its cell, a code
fence after text on its line, ``$$`` without its partner before the
paragraph ends, an unclosed code span, inline ``$`` or slide mark, a label defined twice, a list item
glued onto the line before it, and a Python cell that does not compile (after d2lbook's IPython magics
are blanked) or repeats its docstring.

Each :class:`Defect` carries a ``key`` (its kind and the offending line, stripped) so that a caller
can tell a defect a text *introduces* from one it inherited: sync accepts in its output only the
defects its inputs already had (:mod:`amts.sync.validity`).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from amts.document.markup import (
    BEGIN_TAB_RE,
    END_TAB_RE,
    LABEL_RE,
    SLIDE_PAIRS,
    TAB_LINE_RE,
    tab_names,
)
from amts.document.model import Document, parse_markdown

_UNCLOSED_FENCE_RE = re.compile(r"line (\d+): (code fence is never closed)")
_SLIDE_CLOSERS = {closer: opener for opener, closer in SLIDE_PAIRS.items()}
_DOLLARS_RE = re.compile(r"(?<!\\)\$\$")
_PYTHON_INFO_RE = re.compile(r"(?:^|[\s{.])(?:python|py|ipython3?)(?:$|[\s}.])")
# IPython magics and shell escapes d2lbook leaves to Jupyter (``%matplotlib inline``, ``!pip install``)
_MAGIC_RE = re.compile(r"^(\s*)(?:%|!)")
_HELP_RE = re.compile(r"^(\s*)[\w.]+\?{1,2}\s*$")
# a list marker glued after text on the same line: "... item one. * item two"
_GLUED_ITEM_RE = re.compile(r"\S[ \t]+[-*+][ \t]+\*\*|(?:\S[ \t]+|[.!?:)。！？：）])\*[ \t]+(?=[A-Z*`\[:\u4e00-\u9fff])")


@dataclass(frozen=True)
class Defect:
    """Something that breaks the build or the page; ``line`` is 1-based, ``key`` identifies it across texts."""

    kind: str
    line: int
    text: str  # the offending line (or cell) as it is
    detail: str = ""  # what exactly is wrong, for the message (not part of the key)
    related: int = 0  # another line the defect comes from (the tab block still open), 1-based; 0: none

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, " ".join(self.text.split())

    def describe(self) -> str:
        flat = " ".join(self.text.split())
        return f"line {self.line}: {self.kind}" + (f" ({self.detail})" if self.detail else "") + f": {flat[:80]}"


def defects(doc: Document | str) -> list[Defect]:
    """Every defect of one Markdown text, in line order."""
    doc = doc if isinstance(doc, Document) else parse_markdown(doc)
    lines = doc.text.split("\n")
    code_lines = _code_line_numbers(doc)
    found: list[Defect] = []
    found += [Defect("code fence never closed", line, lines[line - 1]) for line in unclosed_fences(doc)]
    found += _tab_defects(lines, code_lines)
    found += _fence_defects(lines, code_lines)
    found += _code_marker_defects(doc)
    found += _display_math_defects(lines, code_lines)
    found += _inline_defects(doc)
    found += _label_defects(lines, code_lines)
    found += _glued_item_defects(doc)
    found += python_defects(doc)
    return sorted(found, key=lambda d: d.line)


def dollar_defects(doc: Document) -> list[Defect]:
    """The math delimiters of a page that pair with nothing: a ``$$`` its paragraph never closes, an inline ``$``
    no math span took (in dialects where ``$`` is math)."""
    if not doc.dialect.math:
        return []
    lines = doc.text.split("\n")
    found = list(_display_math_defects(lines, _code_line_numbers(doc)))
    return found + [d for d in _inline_defects(doc) if d.kind == "inline math $ never closed"]


def unclosed_fences(doc: Document) -> list[int]:
    """The 1-based lines of code fences that run to the end of the document (the parser's warning)."""
    return [int(match.group(1)) for warning in doc.warnings if (match := _UNCLOSED_FENCE_RE.fullmatch(warning))]


def slide_mark_problems(doc: Document) -> Iterator[tuple[int, str]]:
    """(0-based line, message) of each unbalanced slide mark: an opener never closed, a closer of nothing."""
    open_marks: list[tuple[str, int]] = []
    for segment in doc.segments:
        for match in segment.dialect.inline_regex.finditer(segment.text):
            if match.lastgroup != "slide":
                continue
            mark, line = match.group(0), segment.line + segment.text.count("\n", 0, match.start())
            if mark in SLIDE_PAIRS:
                open_marks.append((mark, line))
            elif open_marks and open_marks[-1][0] == _SLIDE_CLOSERS[mark]:
                open_marks.pop()
            else:
                yield line, f"slide mark `{mark}` closes nothing"
    for mark, line in open_marks:
        yield line, f"slide mark `{mark}` is never closed with `{SLIDE_PAIRS[mark]}`"


def _code_line_numbers(doc: Document) -> set[int]:
    """0-based numbers of the lines inside code blocks (fences included)."""
    return {block.line + n for block in doc.blocks if block.kind == "code"
            for n in range(block.text.count("\n") + 1)}


def _tab_defects(lines: list[str], code_lines: set[int]) -> Iterator[Defect]:
    """``:begin_tab:``/``:end_tab:``: alone on their line, balanced, not nested."""
    open_at: int | None = None
    for number, line in enumerate(lines):
        if number in code_lines:
            continue
        begins, ends = list(BEGIN_TAB_RE.finditer(line)), list(END_TAB_RE.finditer(line))
        if not begins and not ends:
            continue
        if len(begins) + len(ends) > 1 or (begins or ends)[0].group(0) != line.strip():
            yield Defect("tab marker not alone on its line", number + 1, line)
        for match in sorted(begins + ends, key=lambda m: m.start()):
            if match.re is END_TAB_RE:
                if open_at is None:
                    yield Defect("end_tab closes no tab block", number + 1, line)
                open_at = None
                continue
            if open_at is not None:
                yield Defect("tab block opened inside another", number + 1, line,
                             f"the block opened at line {open_at + 1} is not closed", open_at + 1)
            open_at = number
    if open_at is not None:
        yield Defect("tab block never closed", open_at + 1, lines[open_at])


def _code_marker_defects(doc: Document) -> Iterator[Defect]:
    """A ``#@tab`` marker belongs on the first line of its cell, once."""
    for block in doc.blocks:
        if block.kind != "code":
            continue
        lines = block.text.splitlines()
        first = next((n for n, line in enumerate(lines[1:], 1) if line.strip()), 1)
        for offset, line in enumerate(lines):
            if offset > first and TAB_LINE_RE.match(line):
                yield Defect("tab marker inside a cell, not on its first line", block.line + offset + 1, line)


def _display_math_defects(lines: list[str], code_lines: set[int]) -> Iterator[Defect]:
    """Each ``$$`` closes before its paragraph ends (a blank line or the end of the text)."""
    open_at: int | None = None
    for number, line in enumerate(lines):
        if number in code_lines or not line.strip():
            if open_at is not None:
                yield Defect("display math $$ never closed", open_at + 1, lines[open_at])
                open_at = None
            continue
        for _ in _DOLLARS_RE.finditer(line):
            open_at = number if open_at is None else None
    if open_at is not None:
        yield Defect("display math $$ never closed", open_at + 1, lines[open_at])


def _inline_defects(doc: Document) -> Iterator[Defect]:
    """Prose: a backtick (or ``$``) left over once roles, code spans and math are matched; slide marks."""
    lines = doc.text.split("\n")
    yield from (Defect(message, line + 1, lines[line]) for line, message in slide_mark_problems(doc))
    pattern = doc.dialect.inline_regex
    for segment in doc.segments:
        taken = [False] * len(segment.text)
        for match in pattern.finditer(segment.text):
            if match.lastgroup in ("role", "code", "htmlcode", "dmath", "imath"):
                taken[match.start():match.end()] = [True] * (match.end() - match.start())
        yield from _leftover(segment, taken, "`", "code span never closed")
        if doc.dialect.math:
            yield from _leftover(segment, taken, "$", "inline math $ never closed")


def _leftover(segment, taken: list[bool], char: str, kind: str) -> Iterator[Defect]:  # noqa: ANN001 - model.Segment
    """The first ``char`` of the segment no code span, role or math took (and no backslash escapes)."""
    text = segment.text
    for pos, found in enumerate(text):
        if found == char and not taken[pos] and not (pos and text[pos - 1] == "\\"):
            yield Defect(kind, segment.line + text.count("\n", 0, pos) + 1, _line_of(text, pos))
            return


def _fence_defects(lines: list[str], code_lines: set[int]) -> Iterator[Defect]:
    """A code fence written after text on its line (it opens nothing there)."""
    for number, line in enumerate(lines):
        if number not in code_lines and ("```" in line or "~~~" in line) and not line.lstrip().startswith(("```", "~~~")):
            yield Defect("code fence not at the start of its line", number + 1, line)


def _line_of(text: str, pos: int) -> str:
    return text[text.rfind("\n", 0, pos) + 1 : (text.find("\n", pos) + 1 or len(text) + 1) - 1]


def _label_defects(lines: list[str], code_lines: set[int]) -> Iterator[Defect]:
    """A label defined twice in one page (Sphinx refuses it)."""
    seen: set[str] = set()
    for number, line in enumerate(lines):
        if number in code_lines:
            continue
        for match in LABEL_RE.finditer(line):
            if match.group(2) in seen:
                yield Defect("label defined twice", number + 1, line)
            seen.add(match.group(2))


def _glued_item_defects(doc: Document) -> Iterator[Defect]:
    """A list item written after the text of the one before it, on the same line."""
    for block in doc.blocks:
        if block.kind != "list":
            continue
        for offset, line in enumerate(block.text.splitlines()):
            if _GLUED_ITEM_RE.search(_without_inline(line, doc)):
                yield Defect("list item glued onto the line before it", block.line + offset + 1, line)


def _without_inline(line: str, doc: Document) -> str:
    """The line with code spans, roles and math blanked (a ``*`` inside them is not a list marker)."""
    return doc.dialect.inline_regex.sub(lambda m: "x" if m.lastgroup != "slide" else m.group(0), line)


# ---- Python cells ------------------------------------------------------------------------------------


def python_cells(doc: Document) -> Iterator[tuple[int, str]]:
    """(1-based line of the opening fence, code) of each fenced Python cell."""
    for block in doc.blocks:
        lines = block.text.splitlines()
        if block.kind != "code" or len(lines) < 2 or not lines[0].lstrip().startswith(("```", "~~~")):
            continue
        if not _PYTHON_INFO_RE.search(lines[0].strip().lstrip("`~")):
            continue
        closed = lines[-1].strip().startswith(("```", "~~~"))
        yield block.line + 1, "\n".join(lines[1 : -1 if closed else None])


def runnable(code: str) -> str:
    """The cell as Python sees it once Jupyter has taken its magics: ``%...``/``!...`` lines and
    ``name?`` help requests become ``pass`` at their indentation (so a block around them stays whole)."""
    out = []
    for line in code.split("\n"):
        magic = _MAGIC_RE.match(line) or _HELP_RE.match(line)
        out.append(magic.group(1) + "pass" if magic else line)
    return "\n".join(out)


@lru_cache(maxsize=1 << 13)  # the same cells come back: in the new source, the old translation, the output
def cell_problem(code: str) -> str | None:
    """Why a Python cell is broken (it does not compile, or a body repeats its docstring), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like are not our business
            tree = ast.parse(runnable(code))
    except SyntaxError as error:
        return f"does not compile (line {error.lineno}: {error.msg})"
    repeated = _repeated_docstring(tree.body)
    return f"docstring repeated (line {repeated})" if repeated else None


def _repeated_docstring(body: list[ast.stmt]) -> int | None:
    """The line of a second string statement right after a module's, class's or function's docstring."""
    if len(body) > 1 and _is_string(body[0]) and _is_string(body[1]):
        return body[1].lineno
    for statement in body:
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(statement, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt | ast.excepthandler):
                found = _repeated_docstring(inner) if field == "body" and isinstance(
                    statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) else _nested(inner)
                if found:
                    return found
    return None


def _nested(body: list) -> int | None:  # noqa: ANN001 - statements or exception handlers
    """Look into the bodies of compound statements (an ``if`` holding a ``def``) without judging them."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found = _repeated_docstring(statement.body)
        else:
            found = next(filter(None, (_nested(getattr(statement, f, None) or [])
                                       for f in ("body", "orelse", "finalbody", "handlers"))), None)
        if found:
            return found
    return None


def _is_string(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def python_defects(doc: Document) -> Iterator[Defect]:
    """A Python cell that does not compile or repeats its docstring."""
    for line, code in python_cells(doc):
        problem = cell_problem(code)
        if problem:
            kind, _, detail = problem.partition(" (")
            yield Defect(f"Python cell {kind}", line, code, detail.rstrip(")"))


def tab_blocks(doc: Document) -> dict[str, list[int]]:
    """Each framework -> the 1-based lines of its ``:begin_tab:`` blocks (outside code)."""
    found: dict[str, list[int]] = {}
    code_lines = _code_line_numbers(doc)
    for number, line in enumerate(doc.text.split("\n")):
        if number not in code_lines:
            for match in BEGIN_TAB_RE.finditer(line):
                for name in tab_names(match.group(1)):
                    found.setdefault(name, []).append(number + 1)
    return found


def labels(doc: Document) -> dict[str, int]:
    """Each label the page defines -> the 1-based line of its (first) definition."""
    found: dict[str, int] = {}
    code_lines = _code_line_numbers(doc)
    for number, line in enumerate(doc.text.split("\n")):
        if number not in code_lines:
            for match in LABEL_RE.finditer(line):
                found.setdefault(match.group(2), number + 1)
    return found
