"""What a reviewer's text must satisfy before it is written: clean text, the proposal's block structure,
its placeholders, slide marks and code, and -- before it may teach the memory -- a real translation in the
target language. :func:`check_write` is the one check every write path goes through (edit, use a match,
accept, merge, reject, undo).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from functools import lru_cache

from amts.document import mask, normalize_space, parse_markdown
from amts.document.code import code_lines, fence_language
from amts.document.markup import CODE_MARKER_LINE_RE, CODE_MARKERS, DIRECTIVE_LINE_RE, SLIDE_MARKS
from amts.document.scripts import HAN, HANGUL, KANA, LATIN_WORD_RE
from amts.errors import InputError

#: the script a translation into these languages must use (a text without any is not translated)
_TARGET_SCRIPTS = {"zh": re.compile(f"[{HAN}]"), "ja": re.compile(f"[{HAN}{KANA}]"), "ko": re.compile(f"[{HANGUL}]")}

#: the largest text one segment may be given (a D2L paragraph is ~1 KB; a long code block ~10 KB)
MAX_TEXT_BYTES = 64 * 1024

# Line starts that open a block in CommonMark (or d2lbook). A line like this in an edited paragraph
# turns it into something else: a fence swallows the rest of the file, a heading splits the section.
_BLOCK_OPENERS = [
    (re.compile(r"^\s{0,3}(```|~~~)"), "a code fence ({0})"),
    (re.compile(r"^\s{0,3}#{1,6}(\s|$)"), "a heading marker ({0})"),
    (re.compile(r"^\s{0,3}([-*+]|\d{1,9}[.)])(\s|$)"), "a list marker ({0})"),
    (re.compile(r"^\s{0,3}>"), "a block quote marker ({0})"),
    (re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$"), "a thematic break ({0})"),
    (re.compile(r"^\s{0,3}(=+|-+)\s*$"), "a heading underline ({0})"),
    (re.compile(r"^\s{0,3}\$\$"), "a display math line ({0})"),
    (DIRECTIVE_LINE_RE, "a d2lbook directive ({0})"),
    (CODE_MARKER_LINE_RE, "a notebook marker ({0})"),
]
_HTML_OPENERS = re.compile(r"<!--|<\?|<!\[CDATA\[|^\s{0,3}</?(script|pre|style|textarea|div|table|details)\b", re.I | re.M)


class TextProblem(InputError):
    """A reviewer's text that cannot be written; the message says why."""


class EditError(InputError):
    """The decision cannot be carried out as asked (the message says why); nothing was written.

    ``forceable``: the reviewer may tick "save anyway" (never for code or structure); ``lines``: the
    problems one by one, for the page to list.
    """

    def __init__(self, message: str, forceable: bool = False, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.forceable = forceable
        self.lines = lines or []


def clean_text(text: str) -> None:
    """Refuse what no segment of a Markdown file may hold: control characters, NUL, U+FFFD, huge text."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_TEXT_BYTES:
        raise TextProblem(f"the text is {size} bytes; one segment may have at most {MAX_TEXT_BYTES}")
    for number, char in enumerate(text):
        if char in "\n\r\t":
            continue
        category = unicodedata.category(char)
        if category == "Cc" or category == "Cs" or char in "\ufffd\ufeff" or category == "Co":
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            raise TextProblem(f"character {number + 1} is a control or invalid character ({name}); remove it")


def _openers(text: str) -> list[str]:
    found: list[str] = []
    for line in text.splitlines():
        for pattern, what in _BLOCK_OPENERS:
            match = pattern.match(line)
            if match:
                found.append(what.format(match.group(0).strip() or line.strip()))
                break
    found += [f"HTML that hides or reshapes what follows ({m.group(0).strip()})" for m in _HTML_OPENERS.finditer(text)]
    return found


def _signature(text: str) -> list[str]:
    return [block.kind for block in parse_markdown(text).blocks if block.kind != "blank"]


def _unmatched(items: list[str], others: list[str]) -> list[str]:
    """``items`` in order, less one occurrence of each of ``others`` (a multiset difference)."""
    left = list(items)
    for other in others:
        if other in left:
            left.remove(other)
    return left


def structure_change(proposal: str, edit: str) -> str | None:
    """Why ``edit`` does not keep the block structure of ``proposal`` (None when it does)."""
    before, after = _openers(proposal), _openers(edit)
    extra = _unmatched(after, before)
    if extra:
        return f"the text starts a new block: {extra[0]}; keep the structure of the proposal"
    missing = _unmatched(before, after)
    if missing:
        return f"the proposal's {missing[0]} is gone; keep the structure of the proposal"
    shape_before, shape_after = _signature(proposal), _signature(edit)
    if shape_before != shape_after:
        return (f"the text reads as {' + '.join(shape_after) or 'nothing'}, the proposal as "
                f"{' + '.join(shape_before)}; keep the structure of the proposal")
    return None


_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]+")


def source_share(source: str, target: str) -> tuple[int, int]:
    """(words of ``source``'s prose found again in ``target``'s, words of ``source``'s prose): Latin words
    counted with their repeats, inline code and math left out."""
    words = Counter(w.casefold() for w in _WORD_RE.findall(mask(source).text))
    found = Counter(w.casefold() for w in _WORD_RE.findall(mask(target).text))
    return sum((words & found).values()), sum(words.values())


def untranslated_reason(source: str | None, target: str, tgt: str) -> str | None:
    """Why ``target`` is still untranslated prose (the source text, mostly the source text, or not in
    ``tgt``'s script), else None."""
    prose = mask(source).text if source else ""
    if not re.search(r"[^\W\d_]{2,}", prose):
        return None  # code, math, names: nothing to translate, the text may stay as it is
    if normalize_space(target, tgt) == normalize_space(source, tgt):
        return "the text is still the source text, not a translation"
    script = _TARGET_SCRIPTS.get(tgt.split("-")[0].lower())
    if script is not None and LATIN_WORD_RE.search(prose) and not script.search(target):
        return f"the text is not in the target language ({tgt}): it has none of its script"
    shared, total = source_share(source, target)
    if total >= 4 and shared >= 0.6 * total:
        return f"most of the text is the source text ({shared} of its {total} words), not a translation"
    return None


def translation_problem(source: str | None, target: str, tgt: str) -> str | None:
    """Why ``target`` is not a translation of ``source`` into ``tgt`` that a memory may learn (None if it is)."""
    if not source:
        return "no source text for this segment"
    prose = mask(source).text
    if not re.search(r"[^\W\d_]{2,}", prose):
        return "the segment has no prose to translate (code, math or names only)"
    if not target.strip():
        return "the translation is empty"
    return untranslated_reason(source, target, tgt)


# Slide marks are target-only additions in d2l-zh, link openers carry no target: neither is structure
# that must survive translation one for one (slide marks must survive an edit: see :func:`check_write`).
_OPTIONAL_SPANS = {*SLIDE_MARKS, "[", "![", "<br>", "<br/>"}


def structure_problems(source: str, target: str) -> list[str]:
    """Inline structure of ``source`` (code, math, roles, link targets) missing from or added to ``target``."""
    wanted = Counter(s for s in mask(source).spans if s not in _OPTIONAL_SPANS)
    found = Counter(s for s in mask(target).spans if s not in _OPTIONAL_SPANS)
    problems = [f"missing {span}" for span in sorted((wanted - found).elements())]
    problems += [f"not in source {span}" for span in sorted((found - wanted).elements())]
    return problems


_FENCE_RE = re.compile(r"\A\s*(`{3,}|~{3,})([^\n`]*)\n(.*?)^\s*\1\s*\Z", re.S | re.M)


def code_without_comments(block: str) -> tuple[str, str] | None:
    """The language and the code of a fenced block (None if ``block`` is not one fenced block)."""
    match = _FENCE_RE.match(block)
    if match is None:
        return None
    return fence_language(match.group(2)), match.group(3)


def same_code(source: str, target: str) -> bool:
    """Whether two fenced code blocks differ only in comments and docstrings (which people translate).

    Both are read by the Pygments lexer of the fence's language (:func:`amts.document.code.code_lines`)
    and compared line by line without their comments and docstrings.
    """
    mine, theirs = code_without_comments(source), code_without_comments(target)
    if mine is None or theirs is None or mine[0] != theirs[0]:
        return False
    old_lines, new_lines = mine[1].splitlines(), theirs[1].splitlines()
    if len(old_lines) != len(new_lines):
        return False
    if old_lines == new_lines:
        return True
    mine_code, their_code = code_lines(mine[1], mine[0]), code_lines(theirs[1], mine[0])
    return all("".join(a.split()) == "".join(b.split()) for a, b in zip(mine_code, their_code, strict=False))


@lru_cache(maxsize=64)
def _lexer(language: str):  # noqa: ANN202 - a pygments Lexer
    from pygments.lexers import PythonLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return PythonLexer()


@lru_cache(maxsize=4096)  # a page and its save read the same blocks again
def _skeleton(block: str) -> tuple[str, list[tuple[int, str]], list[tuple[int, str]]] | None:
    """A fenced block read by Pygments: its fence's classes, its code lines (line number in the block, the line
    with comments and docstrings dropped and each string shown as ``"…"``), and its strings (line, text).
    None when ``block`` is not one fenced block."""
    from pygments.token import Comment, String

    match = _FENCE_RE.match(block)
    if match is None:
        return None
    code = match.group(3)
    first = block[: match.start(3)].count("\n") + 1  # block line (1-based) of the code's first line
    pieces: list[str] = []
    strings: list[tuple[int, str]] = []
    in_string = False
    for at, kind, text in _lexer(fence_language(match.group(2))).get_tokens_unprocessed(code):
        line = first + code.count("\n", 0, at)
        marker = text.startswith(tuple(CODE_MARKERS)) and not code[code.rfind("\n", 0, at) + 1 : at].strip()
        string = kind in String and kind not in String.Doc and kind not in String.Affix
        if kind in String.Doc or (kind in Comment and not marker):
            pieces.append("\n" * text.count("\n"))
        elif string and in_string:  # the rest of one literal (Pygments splits quotes, text, escapes)
            strings[-1] = (strings[-1][0], strings[-1][1] + text)
            pieces.append("\n" * text.count("\n"))
        elif string:
            strings.append((line, text))
            pieces.append('"…"' + "\n" * text.count("\n"))
        else:
            pieces.append(text)
        in_string = string
    lines = [(first + n, line.rstrip()) for n, line in enumerate("".join(pieces).split("\n")) if line.strip()]
    info = [word for word in match.group(2).strip().strip("{}").split() if "=" not in word]  # not n=1 metadata
    return " ".join(info), lines, strings


def code_changes(before: str, after: str) -> list[str] | None:
    """How the code of ``after`` differs from ``before``, line by line (comments, docstrings and strings
    are not code: see :func:`string_changes`); None when either is not one fenced code block."""
    old, new = _skeleton(before), _skeleton(after)
    if old is None or new is None:
        return None
    if before == after:
        return []
    found = [] if old[0] == new[0] else [f"line 1: the fence's language «{old[0]}» became «{new[0]}»"]
    a, b = old[1], new[1]
    matcher = difflib.SequenceMatcher(a=[t for _, t in a], b=[t for _, t in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            was = a[i1 + k] if i1 + k < i2 else None
            now = b[j1 + k] if j1 + k < j2 else None
            if was and now:
                found.append(f"line {now[0]}: code `{was[1].strip()}` became `{now[1].strip()}`")
            elif now:
                found.append(f"line {now[0]}: code added `{now[1].strip()}`")
            elif was:
                found.append(f"line {was[0]}: code removed `{was[1].strip()}`")
    return found


def string_changes(before: str, after: str) -> list[str]:
    """The string literals of code block ``after`` that differ from ``before``'s, line by line."""
    old, new = _skeleton(before), _skeleton(after)
    if old is None or new is None:
        return []
    return [f"line {line}: string {was} became {now}" for (_, was), (line, now) in zip(old[2], new[2], strict=False)
            if was != now]


def lost_slide_marks(proposal: str, text: str) -> list[str]:
    """Slide marks (``[**``, ``**]``) of ``proposal`` that ``text`` no longer has: the slides lose that text."""
    wanted = Counter(s for s in mask(proposal).spans if s in SLIDE_MARKS)
    found = Counter(s for s in mask(text).spans if s in SLIDE_MARKS)
    return sorted((wanted - found).elements())


def check_write(
    source: str | None, proposal: str, text: str, tgt: str, *, force: bool = False, restoring: bool = False,
    accepting: bool = False,
) -> list[str]:
    """The one validation of every write: ``text`` replaces ``proposal`` (the text the file holds now).

    Refused outright (:class:`EditError`): invalid characters, an empty text, a new or lost block
    (heading, list marker, fence, directive), a change to code lines. Refused unless ``force``: lost
    placeholders (inline code, math, roles), lost slide marks, changed strings in code, a text that is not a
    translation (the source, mostly the source, not in the target script). Returns the problems ``force``
    let through: a text with any never teaches the memory. ``restoring`` (reject, undo) puts back earlier
    text: only the clean-text and block checks apply. ``accepting``: the text is the proposal, taken as it
    is: its placeholders are compared with the source's, not with its own.
    """
    forced: list[str] = []

    def problem(message: str, lines: list[str] | None = None) -> None:
        if not force:
            raise EditError(message, forceable=True, lines=lines)
        forced.append(message)

    try:
        clean_text(text)
    except TextProblem as error:
        raise EditError(str(error)) from None
    if not text.strip() and not restoring:
        raise EditError("the translation is empty; if it is inside the previous segment, open that one and use "
                        "Merge with next; otherwise Reject")
    if "\n\n" in text.replace("\r\n", "\n").strip("\n") and "\n\n" not in proposal.replace("\r\n", "\n"):
        raise EditError("a blank line would split the paragraph in two; keep it one paragraph")
    change = structure_change(proposal, text)
    if change:
        raise EditError(change)
    if restoring:
        return forced
    code = code_changes(proposal, text)
    if code is not None:
        if code and (source is None or code_changes(source, text)):
            raise EditError("the code changed; only comments, docstrings and strings may be translated",
                            lines=code)
        strings = string_changes(proposal, text)
        if strings:
            problem("strings in the code changed (tick 'save anyway' if they are text shown to readers)", strings)
        return forced
    if source is not None:
        before = set() if accepting else set(structure_problems(source, proposal))
        lost = [p for p in structure_problems(source, text) if p not in before]
        if lost:
            problem("placeholders differ from the source: " + "; ".join(lost), lost)
        slides = lost_slide_marks(proposal, text)
        if slides:
            problem("slide marks removed (" + " ".join(slides) + "): the slides would lose this text; keep "
                    "the slide marks around the same words")
        reason = untranslated_reason(source, text, tgt)
        if reason:
            problem(f"{reason} (save anyway: it will not enter the parallel data)")
    return forced
