"""The conservation check: no piece of the old translation disappears from a sync without a trace.

Run on every merge before anything is written. The pieces of the old translation are its sentences,
the lines translators wrote in code blocks (the comments and strings of lines the old source does not
have), and its structure markers (``:begin_tab:``/``:end_tab:``, ``:label:``/``:eqlabel:`` and roles
such as ``:numref:``). Each piece must be

* in the output (sentences compared on their prose, so a mechanical edit of a number or a reference
  keeps them; code lines on their translated text, so a renamed identifier keeps them), or
* shown to the reviewer: in the old target of a report segment that needs review, or
* gone with its source: in the old target of a segment whose source was deleted; for markers, as
  many fewer as the source has fewer.

A piece that is none of these is a bug in the merge: :func:`check_conservation` raises
:class:`ConservationError` naming it, and sync writes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from amts.document import Document
from amts.document.markup import CONSERVED_RE
from amts.errors import AmtsError
from amts.sync.lines import line_pieces
from amts.sync.parsed import parsed
from amts.sync.tokens import prose_fingerprint


class ConservationError(AmtsError):
    """The merge would drop part of the old translation without reporting it (a bug; nothing written)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line  # 1-based line of the first lost piece in the old translation


@dataclass(frozen=True)
class Lost:
    """A piece of the old translation that is neither in the output nor accounted for."""

    kind: str  # sentence, code line, marker
    text: str
    line: int  # 1-based line in the old translation

    def describe(self) -> str:
        flat = " ".join(self.text.split())
        return f"{self.kind} at line {self.line} of the old translation: {flat[:80]}"


_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")
_WORD_RE = re.compile(r"\w+", re.ASCII)


def _translated_parts(line: str) -> list[str]:
    """What a translator wrote on a code line: its non-ASCII runs (a translation into another script),
    else the text of its comments and strings; [] for a line of plain code."""
    if not line.isascii():
        return _NON_ASCII_RE.findall(line)
    return [t.strip() for t in line_pieces(line)[1] if t.strip()]


def _shape(line: str) -> str:
    return _WORD_RE.sub("w", line.strip())


def _has_prose(fingerprint: str) -> bool:
    return any(ch.isalpha() for ch in fingerprint)


def lost_pieces(old_source: str, new_source: str, old_target: str, output: str,
                records: Sequence[object], tgt: str, old_doc: Document | None = None,
                target_doc: Document | None = None) -> list[Lost]:
    """Every piece of ``old_target`` that ``output`` and the report ``records`` do not account for."""
    old_doc = old_doc or parsed(old_source)
    target_doc = target_doc or parsed(old_target)
    shown = "\n".join(r.target_old or "" for r in records if r.needs_review)  # type: ignore[attr-defined]
    gone = "\n".join(r.target_old or "" for r in records  # type: ignore[attr-defined]
                     if r.source_new is None and r.target_old)  # type: ignore[attr-defined]
    accounted = shown + "\n" + gone
    # each output segment on its own as well as the whole text: over the whole text one unpaired backtick
    # run (a list item writing ``) pairs with the next one and hides the prose between them
    out_prose = prose_fingerprint(output) + "\n" + "\n".join(
        prose_fingerprint(segment.text) for segment in parsed(output).segments)
    accounted_prose = prose_fingerprint(accounted)
    lost: list[Lost] = []
    for segment in target_doc.segments:
        for sentence in segment.sentences(tgt):
            key = prose_fingerprint(sentence.text)
            if not _has_prose(key) or key in out_prose or key in accounted_prose:
                continue
            line = target_doc.text.count("\n", 0, segment.start + sentence.start) + 1
            lost.append(Lost("sentence", sentence.text, line))
    source_lines = {line.strip() for b in old_doc.blocks if not b.segments for line in b.text.splitlines()}
    out_lines: list[str] = []  # the output's lines and their shapes, split only if a plain-code line needs them
    out_shapes: set[str] = set()
    for block in target_doc.blocks:
        if block.kind == "blank" or block.segments:
            continue
        for k, line in enumerate(block.text.splitlines()):
            stripped = line.strip()
            if not stripped or stripped in source_lines:
                continue  # not the translator's: the source's line, or nothing
            keys = _translated_parts(line)
            if keys and all(key in output or key in accounted for key in keys):
                continue
            if not keys and not out_lines:
                out_lines = [x.strip() for x in output.splitlines()]
                out_shapes = {_shape(x) for x in out_lines}
            if not keys and (_shape(line) in out_shapes or stripped in accounted
                             or process.extractOne(stripped, out_lines, scorer=fuzz.ratio, score_cutoff=80)):
                continue  # a code edit of the translators: the same code, maybe with renamed identifiers
            lost.append(Lost("code line", line, block.line + k + 1))
    lost.extend(_lost_markers(old_source, new_source, old_target, output, accounted))
    return lost


def _lost_markers(old_source: str, new_source: str, old_target: str, output: str, accounted: str) -> list[Lost]:
    removed = Counter(CONSERVED_RE.findall(old_source))
    removed.subtract(Counter(CONSERVED_RE.findall(new_source)))
    have = Counter(CONSERVED_RE.findall(output))
    excused = Counter(CONSERVED_RE.findall(accounted))
    lost: list[Lost] = []
    for marker, count in Counter(CONSERVED_RE.findall(old_target)).items():
        missing = count - max(0, removed[marker]) - have[marker] - excused[marker]
        if missing > 0:
            at = old_target.find(marker)
            lost.append(Lost("marker", marker, old_target.count("\n", 0, at) + 1))
    return lost


def check_conservation(old_source: str, new_source: str, old_target: str, output: str,
                       records: Sequence[object], tgt: str, old_doc: Document | None = None,
                       target_doc: Document | None = None) -> None:
    """Raise :class:`ConservationError` naming the first pieces that would be lost silently."""
    lost = lost_pieces(old_source, new_source, old_target, output, records, tgt, old_doc, target_doc)
    if lost:
        more = f" (and {len(lost) - 3} more)" if len(lost) > 3 else ""
        raise ConservationError("sync would lose part of the old translation without reporting it: "
                                + "; ".join(piece.describe() for piece in lost[:3]) + more, lost[0].line)
