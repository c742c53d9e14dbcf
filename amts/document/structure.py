"""Compare the structure of a translated document with its source, as a translator's pull request needs.

The structure is what translators must not change: headings (their levels), code blocks (fence info,
``#@tab`` markers and the code itself; comments may be translated), display math, ``:label:`` lines,
``:begin_tab:``/``:end_tab:`` runs, and inside prose the references and other roles, inline math,
inline code and link/image targets. Notebooks are compared cell by cell, their Markdown cells as
documents. Each difference is a :class:`Problem` with the line of the *translated* file it is on (or,
for something missing, the line where it should be), so editors and CI can point at it.

What is allowed (see :class:`CheckProfile`): slide marks (``[**...**]``, ``(**...**)``) may be added or
left out, because editions decide their own slides, but they must be balanced; code cells and
``:begin_tab:`` runs for the frameworks in ``extra_tabs`` (d2l-zh's ``paddle``) may be added, and those
frameworks may be added to a cell's tab list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from amts.document.code import block_code_lines
from amts.document.inline import link_pairs
from amts.document.markup import (
    BEGIN_TAB_LINE_RE,
    DISPLAY_MATH,
    END_TAB_LINE_RE,
    LABEL_RE,
    REFERENCE_ROLES,
    TAB_LINE_RE,
    Dialect,
    tab_names,
)
from amts.document.model import Document, parse_markdown
from amts.document.notebook import cell_source, read_notebook
from amts.document.reader import read_markdown
from amts.document.wellformed import dollar_defects, slide_mark_problems, unclosed_fences

#: files ``check_trees`` compares
CHECKED_SUFFIXES = (".md", ".ipynb")

_DISPLAY_MATH_RE = re.compile(DISPLAY_MATH, re.S)
_TARGET_RE = re.compile(r"\]\(\s*(<[^>]*>|[^\s)]*)")
# the parser's warning for a fence that runs to the end of the document


@dataclass(frozen=True)
class CheckProfile:
    """What a translation may legitimately add to the structure of its source."""

    #: frameworks the edition adds (``#@tab paddle`` cells, ``:begin_tab:`paddle``` runs)
    extra_tabs: frozenset[str] = frozenset()
    #: prefixes of link targets the edition points at its own pages (d2l: ``https://discuss.d2l.ai/t/``)
    own_links: tuple[str, ...] = ()
    #: inline math and inline code differences are errors, not warnings
    strict_inline: bool = False


@dataclass(frozen=True)
class Problem:
    """One structure difference: ``line`` is 1-based in the translated file ``path``."""

    path: str
    line: int
    message: str
    severity: str = "error"  # error | warning (an inline difference a good translation may need)

    def __str__(self) -> str:
        kind = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.path}:{self.line}: {kind}{self.message}"

    def annotation(self) -> str:
        """The GitHub Actions workflow command that shows this problem on the pull request's diff."""
        return (f"::{self.severity} file={_escape_property(self.path)},line={self.line}"
                f"::{_escape_data(self.message)}")


@dataclass
class TreeCheck:
    """The result of comparing a translated folder with its source folder."""

    problems: list[Problem] = field(default_factory=list)
    checked: int = 0
    untranslated: list[str] = field(default_factory=list)  # source files without a translation
    without_source: list[str] = field(default_factory=list)  # translated files without a source

    def summary(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        warnings = len(self.problems) - len(errors)
        text = f"{self.checked} file(s) checked: "
        if errors:
            text += f"{len(errors)} structure error(s) in {len({p.path for p in errors})} file(s)"
        else:
            text += "structure matches the source"
        if warnings:
            text += f", {warnings} warning(s) (inline math/code)"
        extras = []
        if self.untranslated:
            extras.append(f"{len(self.untranslated)} source file(s) not translated")
        if self.without_source:
            extras.append(f"{len(self.without_source)} translated file(s) without a source")
        return text + (f" ({'; '.join(extras)})" if extras else "")


# ---- the structure of one Markdown document ----------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    kind: str  # heading | code | math | label | tab
    key: str  # what must be equal
    line: int  # 0-based
    text: str  # for messages


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(line offset, code) of a code block without fences, tab markers, comments and indentation."""
    return [(n, line) for n, line in block_code_lines(text) if not TAB_LINE_RE.match(line)]


class _Skeleton:
    """The ordered block structure and the inline structure of one document."""

    def __init__(self, text: str, profile: CheckProfile) -> None:
        self.doc: Document = parse_markdown(text)
        self.profile = profile
        self.items: list[_Item] = []
        self.inline: list[tuple[str, str, int]] = []  # (what, text, 0-based line)
        self.code_text: dict[int, str] = {}  # code item line -> block text
        skipped = self._skipped_blocks()
        code_lines: set[int] = set()
        for block in self.doc.blocks:
            if block.kind == "code":
                code_lines.update(range(block.line, block.line + block.text.count("\n") + 1))
        for block in self.doc.blocks:
            if block.index in skipped:
                continue
            self._add_block(block)
        self._add_math(code_lines, skipped)
        self.items.sort(key=lambda item: item.line)
        for segment in self.doc.segments:
            if segment.block not in skipped:
                self.inline.extend(item for item in _inline_structure(segment.text, segment.line, segment.dialect)
                                   if not (item[0] == "link target" and item[1].startswith(profile.own_links or ("\0",))))

    def _skipped_blocks(self) -> set[int]:
        """Blocks that belong only to the frameworks the profile lets the translation add."""
        extra = self.profile.extra_tabs
        found: set[int] = set()
        if not extra:
            return found
        inside = False
        for block in self.doc.blocks:
            if block.kind == "code":
                first = block.text.splitlines()[1:2]
                marker = TAB_LINE_RE.match(first[0]) if first else None
                if marker and set(tab_names(marker.group(1))) <= extra:
                    found.add(block.index)
                continue
            for line in block.text.splitlines():
                begin = BEGIN_TAB_LINE_RE.match(line)
                if begin and set(tab_names(begin.group(1))) <= extra:
                    inside = True
                if inside:
                    found.add(block.index)
                if END_TAB_LINE_RE.match(line):
                    inside = False
        return found

    def _add_block(self, block) -> None:  # noqa: ANN001 - model.Block
        if block.kind == "heading":
            stripped = block.text.strip()
            level = len(stripped) - len(stripped.lstrip("#")) if stripped.startswith("#") else (
                1 if stripped.endswith("=") else 2)
            first = stripped.splitlines()[0] if stripped else ""
            self.items.append(_Item("heading", str(level), block.line, first))
        elif block.kind == "code":
            lines = block.text.splitlines()
            info = lines[0].strip() if lines else ""
            marker = TAB_LINE_RE.match(lines[1]) if len(lines) > 1 else None
            tabs = sorted(set(tab_names(marker.group(1))) - self.profile.extra_tabs) if marker else []
            code = "\n".join(code for _, code in _code_lines(block.text))
            key = f"{info}\0{','.join(tabs)}\0{code}"
            self.items.append(_Item("code", key, block.line, info))
            self.code_text[block.line] = block.text
        if block.kind == "code":
            return
        for offset, line in enumerate(block.text.splitlines()):
            for label in LABEL_RE.finditer(line):
                self.items.append(_Item("label", label.group(2), block.line + offset, label.group(0)))
            begin = BEGIN_TAB_LINE_RE.match(line)
            if begin:
                tabs = sorted(set(tab_names(begin.group(1))) - self.profile.extra_tabs)
                self.items.append(_Item("tab", "begin " + ",".join(tabs), block.line + offset, line.strip()))
            elif END_TAB_LINE_RE.match(line):
                self.items.append(_Item("tab", "end", block.line + offset, line.strip()))

    def _add_math(self, code_lines: set[int], skipped: set[int]) -> None:
        """Display formulas, looked for block by block: a lost ``$$`` then shifts no formula of a later block."""
        del code_lines  # code blocks are left out whole
        for block in self.doc.blocks:
            if block.kind in ("code", "blank") or block.index in skipped:
                continue
            for match in _DISPLAY_MATH_RE.finditer(block.text):
                line = block.line + block.text.count("\n", 0, match.start())
                formula = " ".join(match.group(0)[2:-2].split())
                self.items.append(_Item("math", formula, line, match.group(0)))


def _inline_structure(text: str, first_line: int, dialect: Dialect) -> Iterator[tuple[str, str, int]]:
    """(what, text, line) of each reference, role, inline math, inline code and link target in prose."""
    matches = list(dialect.inline_regex.finditer(text))
    for match in matches:
        kind = match.lastgroup
        what = {"code": "inline code", "imath": "inline math", "autolink": "link"}.get(kind or "")
        if kind == "role":
            name = match.group(0)[1 : match.group(0).index(":", 1)]
            what = "reference" if name in REFERENCE_ROLES else "role"
        if what:
            yield what, match.group(0), first_line + text.count("\n", 0, match.start())
    for _, closer in link_pairs(text, [m.span() for m in matches]):
        target = _TARGET_RE.match(text, closer[0])
        if target:
            yield "link target", target.group(1), first_line + text.count("\n", 0, closer[0])


def _unbalanced_dollars(doc: Document) -> list[int]:
    """0-based lines of the math delimiters a page leaves unpaired (a deleted or added ``$`` or ``$$``), as the
    page's well-formedness finds them (:func:`amts.document.wellformed.dollar_defects`): the comparison of
    math items would only see a cascade of wrongly paired spans."""
    return sorted({defect.line - 1 for defect in dollar_defects(doc)})


#: inline structure a good translation may add or drop (``$i^\\mathrm{th}$`` -> 第$i$个): warnings
_LENIENT = ("inline math", "inline code")
_NAMES = {"heading": "heading", "code": "code block", "math": "display math", "label": "label", "tab": "tab marker"}


def _snippet(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def check_markdown(source: str, target: str, profile: CheckProfile | None = None) -> list[tuple[int, str, str]]:
    """(1-based target line, message, severity) for each structure difference of ``target`` from ``source``."""
    profile = profile or CheckProfile()
    src, tgt = _Skeleton(source, profile), _Skeleton(target, profile)
    found: list[tuple[int, str, str]] = []
    found.extend((line - 1, "code fence is never closed", "error") for line in unclosed_fences(tgt.doc))

    def severity(what: str) -> str:
        return "warning" if what in _LENIENT and not profile.strict_inline else "error"

    anchors: list[tuple[int, int]] = []  # (source line, target line) of items found in both

    last_line = max(tgt.doc.text.count("\n") - 1, 0)

    def where(source_line: int) -> int:
        """The target line matching ``source_line``: between the structure found in both, proportionally."""
        before = [(s, t) for s, t in anchors if s <= source_line]
        after = [(s, t) for s, t in anchors if s > source_line]
        s0, t0 = before[-1] if before else (0, 0)
        if after:
            s1, t1 = after[0]
            return min(t0 + (source_line - s0) * (t1 - t0) // max(s1 - s0, 1), t1)
        return min(t0 + source_line - s0, last_line)

    def missing(item: _Item) -> tuple[int, str]:
        return -1, f"{_NAMES[item.kind]} missing: `{_snippet(item.text)}` (source line {item.line + 1})"

    pending: list[_Item] = []  # missing items, placed once every anchor is known
    keys_a = [(i.kind, i.key) for i in src.items]
    keys_b = [(i.kind, i.key) for i in tgt.items]
    for op, a1, a2, b1, b2 in SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes():
        if op == "equal":
            anchors.extend((src.items[a1 + k].line, tgt.items[b1 + k].line) for k in range(a2 - a1))
            continue
        left, right = list(src.items[a1:a2]), list(tgt.items[b1:b2])
        for kind in _NAMES:
            mine = [i for i in left if i.kind == kind]
            theirs = [i for i in right if i.kind == kind]
            for a, b in zip(mine, theirs, strict=False):
                anchors.append((a.line, b.line))
                found.append((*_difference(a, b, src, tgt), "error"))
            pending.extend(mine[len(theirs):])
            for b in theirs[len(mine):]:
                found.append((b.line, f"{_NAMES[kind]} not in the source: `{_snippet(b.text)}`", "error"))
    anchors.sort()
    lines = tgt.doc.text.split("\n")

    def at_text(line: int) -> int:
        """A missing item is shown at the first line of the text that stands where it was, not a blank line."""
        while line < len(lines) - 1 and not lines[line].strip():
            line += 1
        return line

    for item in pending:
        found.append((at_text(where(item.line)), missing(item)[1], "error"))
    wanted = Counter((what, text) for what, text, _ in src.inline)
    present = Counter((what, text) for what, text, _ in tgt.inline)
    unbalanced = _unbalanced_dollars(tgt.doc)
    if len(unbalanced) > len(_unbalanced_dollars(src.doc)):
        # a lost or added `$` pairs every later `$` wrongly: report it, not the cascade of odd math spans
        found.extend((line, "`$` not paired in this paragraph: a math delimiter is missing or extra", "error")
                     for line in unbalanced)
        wanted = present = Counter()
    for (what, text), count in (wanted - present).items():
        for line in [line for w, t, line in src.inline if (w, t) == (what, text)][-count:]:
            found.append((at_text(where(line)), f"{what} missing: `{_snippet(text)}` (source line {line + 1})", severity(what)))
    for (what, text), count in (present - wanted).items():
        for line in [line for w, t, line in tgt.inline if (w, t) == (what, text)][-count:]:
            found.append((line, f"{what} not in the source: `{_snippet(text)}`", severity(what)))
    found.extend((line, message, "error") for line, message in slide_mark_problems(tgt.doc))
    return sorted((line + 1, message, severity) for line, message, severity in found)


def _difference(a: _Item, b: _Item, src: _Skeleton, tgt: _Skeleton) -> tuple[int, str]:
    """Where in the target (0-based line) and how ``b`` differs from its source item ``a``."""
    at = f"(source line {a.line + 1})"
    line = b.line
    if a.kind == "heading":
        return line, f"heading level {b.key} here, {a.key} in the source {at}"
    if a.kind == "label":
        return line, f"label `{b.key}` here, `{a.key}` in the source {at}"
    if a.kind == "tab":
        return line, f"tab marker `{_snippet(b.text)}` here, `{_snippet(a.text)}` in the source {at}"
    if a.kind == "math":
        return line, f"display math differs from the source {at}: `{_snippet(b.text)}`"
    info_a, tabs_a, _ = a.key.split("\0", 2)
    info_b, tabs_b, _ = b.key.split("\0", 2)
    if info_a != info_b:
        return line, f"code fence `{_snippet(info_b)}` here, `{_snippet(info_a)}` in the source {at}"
    if tabs_a != tabs_b:
        return line, f"code block for tab(s) `{tabs_b or '-'}` here, `{tabs_a or '-'}` in the source {at}"
    lines_a, lines_b = _code_lines(src.code_text[a.line]), _code_lines(tgt.code_text[b.line])
    for (na, ca), (nb, cb) in zip(lines_a, lines_b, strict=False):
        if ca != cb:
            return b.line + nb, (f"code differs from the source (line {a.line + na + 1}): `{_snippet(cb)}` here, "
                    f"`{_snippet(ca)}` there")
    if len(lines_a) > len(lines_b):
        end = b.line + (lines_b[-1][0] + 1 if lines_b else 1)
        return end, f"code block lacks the source's line {a.line + lines_a[len(lines_b)][0] + 1}: " \
               f"`{_snippet(lines_a[len(lines_b)][1])}`"
    extra = lines_b[len(lines_a)]
    return b.line + extra[0], f"code block has a line the source lacks: `{_snippet(extra[1])}` {at}"


# ---- notebooks ------------------------------------------------------------------------------------------


def _cell_lines(text: str) -> list[int]:
    """1-based line of each cell's ``"cell_type"`` key in the notebook's JSON text (cells do not nest)."""
    return [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r'"cell_type"\s*:', text)]


def check_notebook(source: str, target: str, profile: CheckProfile | None = None, name: str = "") -> list[tuple[int, str, str]]:
    """Cell types and code cells must match; Markdown cells are compared as documents."""
    profile = profile or CheckProfile()
    src, tgt = read_notebook(source, name)[1], read_notebook(target, name)[1]
    lines = _cell_lines(target)

    def key(cell: dict) -> tuple[str, str]:
        kind = str(cell.get("cell_type"))
        code = "\n".join(c for _, c in _code_lines("\n" + cell_source(cell) + "\n")) if kind == "code" else ""
        return kind, code

    found: list[tuple[int, str, str]] = []
    line_of = lambda n: lines[n] if n < len(lines) else 1  # noqa: E731
    for op, a1, a2, b1, b2 in SequenceMatcher(None, [key(c) for c in src], [key(c) for c in tgt],
                                              autojunk=False).get_opcodes():
        if op == "equal":
            for k in range(a2 - a1):
                if src[a1 + k].get("cell_type") == "markdown":
                    for line, message, severity in check_markdown(cell_source(src[a1 + k]), cell_source(tgt[b1 + k]), profile):
                        found.append((line_of(b1 + k), f"cell {b1 + k + 1}, line {line}: {message}", severity))
            continue
        for k in range(max(a2 - a1, b2 - b1)):
            a, b = a1 + k, b1 + k
            if a < a2 and b < b2:
                found.append((line_of(b), f"cell {b + 1} ({tgt[b].get('cell_type')}) differs from the source's "
                                          f"cell {a + 1} ({src[a].get('cell_type')})", "error"))
            elif a < a2:
                found.append((line_of(max(b1 - 1, 0)), f"{src[a].get('cell_type')} cell {a + 1} of the source missing", "error"))
            else:
                found.append((line_of(b), f"{tgt[b].get('cell_type')} cell {b + 1} not in the source", "error"))
    return sorted(found)


# ---- files and folders -------------------------------------------------------------------------------


def check_file(source: Path, target: Path, profile: CheckProfile | None = None, name: str | None = None) -> list[Problem]:
    """Structure problems of the translated file ``target`` (named ``name`` in the problems)."""
    label = name or str(target)
    source_text, target_text = read_markdown(source), read_markdown(target)
    if target.suffix == ".ipynb":
        pairs = check_notebook(source_text, target_text, profile, label)
    else:
        pairs = check_markdown(source_text, target_text, profile)
    return [Problem(label, line, message, severity) for line, message, severity in pairs]


def _checked_files(root: Path, origin_suffix: str) -> dict[str, Path]:
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.suffix not in CHECKED_SUFFIXES or not path.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        if origin_suffix and path.stem.endswith(origin_suffix):
            continue
        files[rel.as_posix()] = path
    return files


def check_trees(source: Path, target: Path, profile: CheckProfile | None = None, *, origin_suffix: str = "",
                display: Path | None = None) -> TreeCheck:
    """Compare every translated file under ``target`` with the file at the same path under ``source``.

    With ``origin_suffix`` (d2lbook's ``_origin``) the source of ``X.md`` is ``X_origin.md`` beside it and
    ``source`` is not used. ``display`` is how ``target`` is named in problems (default: as given).
    """
    result = TreeCheck()
    shown = display if display is not None else target
    if target.is_file():
        result.problems = check_file(source, target, profile, str(shown))
        result.checked = 1
        return result
    targets = _checked_files(target, origin_suffix)
    if origin_suffix:
        sources = {rel: path.with_name(path.stem + origin_suffix + path.suffix) for rel, path in targets.items()}
        sources = {rel: path for rel, path in sources.items() if path.is_file()}
    else:
        sources = _checked_files(source, "")
    for rel, path in targets.items():
        if rel not in sources:
            result.without_source.append(rel)
            continue
        result.problems.extend(check_file(sources[rel], path, profile, (shown / rel).as_posix()))
        result.checked += 1
    result.untranslated = sorted(set(sources) - set(targets))
    return result


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
