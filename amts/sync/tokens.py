"""Non-linguistic tokens of a text and how to carry their changes into a translation mechanically.

A change that touches only math, inline code, roles, link targets, slide marks, numbers or line
wrapping does not need a translator: the token that changed in the source is replaced in the old
translation, where it appears verbatim (translators copy structure and numbers as they are).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from amts.document import strip_structure
from amts.document.inline import structure_spans
from amts.document.markup import SLIDE_MARKS, SLIDE_PAIRS

_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?(?![A-Za-z0-9_])")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def is_slide_mark(self) -> bool:
        return self.text in SLIDE_MARKS


def tokens(raw: str) -> list[Token]:
    """Inline structure spans and numbers of ``raw``, in order, with their offsets in ``raw``."""
    found = [Token(raw[a:b], a, b) for a, b in _disjoint(structure_spans(raw))]
    pos = 0
    gaps: list[tuple[int, int]] = []
    for token in found:
        gaps.append((pos, token.start))
        pos = token.end
    gaps.append((pos, len(raw)))
    for a, b in gaps:
        for match in _NUMBER_RE.finditer(raw, a, b):
            found.append(Token(match.group(0), match.start(), match.end()))
    found.sort(key=lambda t: t.start)
    return found


def _disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = 0
    for start, end in spans:
        if start >= pos:
            out.append((start, end))
            pos = end
    return out


def prose_fingerprint(raw: str) -> str:
    """What a translator translates: prose with structure, numbers and all whitespace removed."""
    prose = strip_structure(raw)
    prose = _NUMBER_RE.sub("", prose)
    return _SPACE_RE.sub("", prose)


@dataclass
class TokenChange:
    """How the tokens of an old source text became those of a new one (prose being unchanged)."""

    replaced: list[tuple[str, str, int]]  # (old token, new token, occurrence index among old's equals)
    slide_added: bool
    slide_removed: bool
    other: bool  # a token appeared or vanished: cannot be placed without understanding the text

    @property
    def mechanical(self) -> bool:
        return not self.other

    @property
    def empty(self) -> bool:
        return not (self.replaced or self.slide_added or self.slide_removed or self.other)


def token_change(old: str, new: str) -> TokenChange:
    """Compare the token sequences of ``old`` and ``new`` (slide marks are looked at separately)."""
    old_all, new_all = tokens(old), tokens(new)
    old_tokens = [t for t in old_all if not t.is_slide_mark]
    new_tokens = [t for t in new_all if not t.is_slide_mark]
    old_slides = [t.text for t in old_all if t.is_slide_mark]
    new_slides = [t.text for t in new_all if t.is_slide_mark]
    change = TokenChange([], bool(new_slides) and new_slides != old_slides, bool(old_slides) and not new_slides, False)
    old_texts = [t.text for t in old_tokens]
    new_texts = [t.text for t in new_tokens]
    matcher = SequenceMatcher(None, old_texts, new_texts, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                occurrence = old_texts[:i].count(old_texts[i])
                change.replaced.append((old_texts[i], new_texts[j], occurrence))
        else:
            change.other = True
    return change


def propagate(old_source: str, target: str, change: TokenChange) -> str | None:
    """``target`` with ``change`` applied, or ``None`` when a changed token cannot be found in it."""
    out = target
    source_tokens = [t.text for t in tokens(old_source)]
    for old_token, new_token, occurrence in change.replaced:
        in_source = source_tokens.count(old_token)
        positions = [t for t in tokens(out) if t.text == old_token]
        if not positions:
            return None
        if len(positions) == in_source:
            chosen = positions[occurrence]
        elif len(positions) == 1:
            chosen = positions[0]
        else:
            return None
        out = out[: chosen.start] + new_token + out[chosen.end :]
    if change.slide_removed:
        out = remove_slide_marks(out)
    return out


def remove_slide_marks(text: str) -> str:
    pieces: list[str] = []
    pos = 0
    for token in tokens(text):
        if token.is_slide_mark:
            pieces.append(text[pos : token.start])
            pos = token.end
    pieces.append(text[pos:])
    return "".join(pieces)


def wrapped_in_slide_marks(new: str, old: str) -> tuple[str, str] | None:
    """``("[**", "**]")`` when ``new`` is ``old`` (up to spacing) wrapped whole in a pair of slide marks."""
    stripped = new.strip()
    for opener, closer in SLIDE_PAIRS.items():
        if stripped.startswith(opener) and stripped.endswith(closer):
            inner = stripped[len(opener) : -len(closer)]
            if _SPACE_RE.sub(" ", inner.strip()) == _SPACE_RE.sub(" ", old.strip()):
                return opener, closer
    return None


def wrap_text(text: str, marks: tuple[str, str]) -> str:
    """Put slide marks around ``text``, outside its surrounding whitespace (unless it has some already)."""
    if any(token.is_slide_mark for token in tokens(text)):
        return text  # the translators placed their own slide marks
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{marks[0]}{text.strip()}{marks[1]}{trail}"
