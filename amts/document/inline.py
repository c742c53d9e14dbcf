"""Inline structure inside prose, replaced by numbered placeholders that engines must keep.

Masking is deterministic and purely lexical on the raw Markdown of one segment: code spans, roles
(``:numref:`x```), inline and display math, HTML tags, entities, autolinks, link/image brackets and
targets, and d2l slide marks become ``{1}``, ``{2}``, ... so that an engine only ever sees prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from amts.document import markup
from amts.document.markup import Dialect, current_dialect
from amts.document.placeholders import PLACEHOLDER_RE
from amts.errors import AmtsError

# A destination may have spaces around it (CommonMark): ``[PTB]( https://...)`` is a link.
_LINK_CLOSE_RE = re.compile(r"\]\([ \t]*(?:<[^>\n]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?[ \t]*\)")
_MAY_HAVE_INLINE = re.compile(r"[`$<&\[\]{}\\(*]|!!!|\?\?\?")
_BARE_TARGET_RE = re.compile(r"\]\([ \t]*[^)\s]+")
_REF_CLOSE_RE = re.compile(r"\]\[[^\]\n]*\]")


class PlaceholderError(AmtsError, ValueError):
    """A translation lost, duplicated or invented a placeholder: it must not be written."""

    def __init__(self, missing: list[int], extra: list[int], duplicated: list[int]) -> None:
        self.missing, self.extra, self.duplicated = missing, extra, duplicated
        parts = []
        if missing:
            parts.append("lost " + ", ".join(f"{{{n}}}" for n in missing))
        if duplicated:
            parts.append("duplicated " + ", ".join(f"{{{n}}}" for n in duplicated))
        if extra:
            parts.append("invented " + ", ".join(f"{{{n}}}" for n in extra))
        super().__init__("placeholders " + "; ".join(parts))


@dataclass(frozen=True)
class Masked:
    """Prose with placeholders (``text``) and what each placeholder stands for (``spans[n-1]``)."""

    text: str
    spans: tuple[str, ...]

    def unmask(self, translated: str) -> str:
        """Restore placeholders in an engine's output; raise :class:`PlaceholderError` if they differ."""
        check_placeholders(translated, len(self.spans))
        return PLACEHOLDER_RE.sub(lambda m: self.spans[int(m.group(1)) - 1], translated)

    @property
    def has_prose(self) -> bool:
        """Whether anything is left to translate once placeholders are removed."""
        return bool(_LETTER_RE.search(PLACEHOLDER_RE.sub("", self.text)))


_LETTER_RE = re.compile(r"[^\W\d_]")


def check_placeholders(translated: str, count: int) -> None:
    found = [int(m.group(1)) for m in PLACEHOLDER_RE.finditer(translated)]
    seen: set[int] = set()
    duplicated = sorted({n for n in found if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    missing = [n for n in range(1, count + 1) if n not in seen]
    extra = sorted(n for n in seen if not 1 <= n <= count)
    if missing or extra or duplicated:
        raise PlaceholderError(missing, extra, duplicated)


# How line-based checkers pair dollar signs: whatever they see as math must stay exactly as it is,
# even where a closing ``$`` and the next opening ``$`` sit on one line around some prose.
_LINE_DOLLARS_RE = re.compile(r"(?<!\$)\$[^$\n]+\$(?!\$)")


# Every function below works in the ``dialect`` given, else in the one of the book being worked on
# (:func:`amts.document.markup.use_dialect`). Only whether ``$`` is math changes the result, so the
# memoised helpers take that setting.


def structure_spans(raw: str, dialect: Dialect | None = None) -> list[tuple[int, int]]:
    """Character ranges of ``raw`` that are inline structure, sorted, overlaps merged."""
    return list(_analyse(raw, current_dialect(dialect).math)[0])


def link_ranges(raw: str, dialect: Dialect | None = None) -> list[tuple[int, int]]:
    """Whole ``[text](target)`` / ``![caption](path)`` ranges: a sentence break must not fall inside."""
    return list(_analyse(raw, current_dialect(dialect).math)[1])


@lru_cache(maxsize=4096)
def _analyse(raw: str, math: bool = True) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """Structure spans and link ranges of ``raw``, computed once per distinct text (and math setting)."""
    regex = markup.inline_regex(math)
    spans: list[tuple[int, int]] = [m.span() for m in regex.finditer(raw)] if _MAY_HAVE_INLINE.search(raw) else []
    if math and "$" in raw:
        spans.extend(m.span() for m in _LINE_DOLLARS_RE.finditer(raw))
    links = link_pairs(raw, spans) if "]" in raw else []
    for opener, closer in links:
        spans.extend((opener, closer))
    if "](" in raw:  # a target of a malformed link (unclosed, with spaces) is still a target
        spans.extend(m.span() for m in _BARE_TARGET_RE.finditer(raw))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged), tuple((opener[0], closer[1]) for opener, closer in links)


def link_pairs(raw: str, taken: list[tuple[int, int]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Openers ``[``/``![`` and closers ``](target)`` of links and images whose brackets match."""
    blocked = bytearray(len(raw))
    for start, end in taken:
        blocked[start:end] = b"\x01" * (end - start)
    found: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for regex in (_LINK_CLOSE_RE, _REF_CLOSE_RE):
        for close in regex.finditer(raw):
            if blocked[close.start()]:
                continue
            depth, pos = 0, close.start() - 1
            while pos >= 0:
                ch = raw[pos]
                if not blocked[pos] and (pos == 0 or raw[pos - 1] != "\\"):
                    if ch == "]":
                        depth += 1
                    elif ch == "[":
                        if depth == 0:
                            break
                        depth -= 1
                pos -= 1
            if pos < 0:
                continue
            opener_start = pos - 1 if pos > 0 and raw[pos - 1] == "!" else pos
            if any(blocked[opener_start : close.end()]) and any(
                blocked[i] for i in (opener_start, close.end() - 1)
            ):
                continue
            found.append(((opener_start, pos + 1), close.span()))
            blocked[close.start() : close.end()] = b"\x01" * (close.end() - close.start())
    return found


def mask(raw: str, dialect: Dialect | None = None) -> Masked:
    """Replace inline structure in ``raw`` by ``{1}``, ``{2}``, ... in order of appearance."""
    return _mask(raw, current_dialect(dialect).math)


@lru_cache(maxsize=1 << 15)  # parsing, sentence splitting and keys mask the same texts again
def _mask(raw: str, math: bool) -> Masked:
    pieces: list[str] = []
    spans: list[str] = []
    pos = 0
    for start, end in _analyse(raw, math)[0]:
        pieces.append(raw[pos:start])
        spans.append(raw[start:end])
        pieces.append(f"{{{len(spans)}}}")
        pos = end
    pieces.append(raw[pos:])
    return Masked("".join(pieces), tuple(spans))


def strip_structure(raw: str, dialect: Dialect | None = None) -> str:
    """The prose of ``raw`` with inline structure removed (for length ratios and scoring)."""
    return PLACEHOLDER_RE.sub(" ", mask(raw, dialect).text)
