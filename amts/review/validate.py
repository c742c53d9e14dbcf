"""What a reviewer's text must satisfy before it is written: clean text, the proposal's block structure,
and -- before it may teach the memory -- a real translation in the target language.
"""

from __future__ import annotations

import re
import unicodedata

from amts.document import mask, normalize_space, parse_markdown
from amts.document.markup import CODE_MARKER_LINE_RE, DIRECTIVE_LINE_RE
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


def untranslated_reason(source: str | None, target: str, tgt: str) -> str | None:
    """Why ``target`` is still untranslated prose (the source text, or not in ``tgt``'s script), else None."""
    prose = mask(source).text if source else ""
    if not re.search(r"[^\W\d_]{2,}", prose):
        return None  # code, math, names: nothing to translate, the text may stay as it is
    if normalize_space(target, tgt) == normalize_space(source, tgt):
        return "the text is still the source text, not a translation"
    script = _TARGET_SCRIPTS.get(tgt.split("-")[0].lower())
    if script is not None and LATIN_WORD_RE.search(prose) and not script.search(target):
        return f"the text is not in the target language ({tgt}): it has none of its script"
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
