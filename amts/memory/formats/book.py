"""A book's Markdown files as translation units for other tools, and back, byte for byte.

``book_units`` turns one Markdown file into a :class:`UnitFile`: one unit per prose segment (heading,
paragraph, list item, table cell, caption), id ``s<segment index>``, source = the segment's raw
Markdown, target = an existing translation's segment when given, and the whole file as skeleton.
``assemble`` does the reverse: the skeleton is parsed again, each unit's target replaces its segment,
everything else stays byte for byte. A target whose inline structure differs from its source (a lost
code span, a changed link target) is not used: the source stays, and the report says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from amts.document import Document, DocumentError, Segment, parse_markdown
from amts.memory.formats.base import FormatError
from amts.memory.formats.units import Unit, UnitState, structure_differs
from amts.memory.formats.xliff import UnitFile


def segment_id(index: int) -> str:
    """The unit id of segment ``index`` (an XML NMTOKEN; PO's msgctxt adds the file: ``a.md#s3``)."""
    return f"s{index}"


_STRUCTURE_KINDS = ("code", "math", "structure", "html", "front_matter", "rule")


def _signature(document: Document) -> list[tuple[str, str]]:
    """Blocks as (kind, text of structure blocks): what a translation keeps, to pair blocks by."""
    return [(b.kind, b.text if b.kind in _STRUCTURE_KINDS else "") for b in document.blocks if b.kind != "blank"]


def paired_targets(document: Document, translated: Document) -> dict[int, str]:
    """Segment index -> the translation's text of that segment, where the two documents pair up.

    Structure blocks (code, math, HTML...) that are the same in both are anchors; between two anchors
    the prose blocks pair one to one only when both sides have as many blocks of the same kinds, and
    inside a pair of blocks the segments only when both have as many. Anything ambiguous gets no
    target (the caller counts it): a wrong target is worse than none.
    """
    src_blocks = [b for b in document.blocks if b.kind != "blank"]
    tgt_blocks = [b for b in translated.blocks if b.kind != "blank"]
    src_sig, tgt_sig = _signature(document), _signature(translated)
    matcher = SequenceMatcher(None, src_sig, tgt_sig, autojunk=False)
    anchors = [(-1, -1)]
    for match in matcher.get_matching_blocks():
        anchors += [(match.a + k, match.b + k) for k in range(match.size) if src_sig[match.a + k][1]]
    anchors.append((len(src_blocks), len(tgt_blocks)))
    pairs: list[tuple[int, int]] = []
    for (a0, b0), (a1, b1) in zip(anchors, anchors[1:], strict=False):
        if a1 - a0 == b1 - b0 and src_sig[a0 + 1 : a1] == tgt_sig[b0 + 1 : b1]:
            pairs += [(a0 + k, b0 + k) for k in range(1, a1 - a0)]
        if a1 < len(src_blocks):
            pairs.append((a1, b1))
    targets: dict[int, str] = {}
    for i, j in pairs:
        src, tgt = src_blocks[i], tgt_blocks[j]
        if len(src.segments) == len(tgt.segments):
            for s_index, t_index in zip(src.segments, tgt.segments, strict=True):
                targets[s_index] = translated.segments[t_index].text
    return targets


def book_units(text: str, original: str, translation: str | None = None, *, state: str = UnitState.TRANSLATED) -> UnitFile:
    """The units of one Markdown file; ``translation`` (amts's output for it) pre-fills the targets.

    ``UnitFile.unpaired`` counts the segments a translation was given for but could not be paired
    with (their units have no target).
    """
    document = parse_markdown(text)
    targets: dict[int, str] = {}
    if translation is not None:
        targets = paired_targets(document, parse_markdown(translation))
    units = []
    for segment in document.segments:
        if not segment.masked.has_prose:
            continue
        target = targets.get(segment.index, "")
        unit_state = state if target and target != segment.text else UnitState.NEW
        units.append(Unit(segment_id(segment.index), segment.text, target if unit_state != UnitState.NEW else "",
                          unit_state, [], original, segment.line + 1))
    unit_file = UnitFile(original, units, text)
    if translation is not None:
        unit_file.unpaired = sum(1 for unit in units if int(unit.id[1:]) not in targets)
    return unit_file


@dataclass
class AssemblyReport:
    """What went into an assembled file: units used, left in the source language, refused (with why),
    not final (fuzzy, initial, needs review: left as they were unless accepted), missing from the file."""

    used: int = 0
    untranslated: int = 0
    needs_review: int = 0  # not final but used (``accept_fuzzy``)
    not_final: int = 0  # not final and left in the source language
    refused: list[str] = field(default_factory=list)  # "s12 (line 40): inline structure lost '`x`'"
    missing: list[str] = field(default_factory=list)  # "s7 (line 21)": a segment no unit of the file stands for

    def summary(self) -> str:
        parts = [f"{self.used} segments translated", f"{self.untranslated} left in the source language"]
        if self.not_final:
            parts.append(f"{self.not_final} not final (fuzzy or needs review) left in the source language")
        if self.needs_review:
            parts.append(f"{self.needs_review} not final but taken (--accept-fuzzy)")
        if self.refused:
            parts.append(f"{len(self.refused)} refused (structure changed)")
        if self.missing:
            parts.append(f"{len(self.missing)} missing from the file")
        return ", ".join(parts)


def assemble(unit_file: UnitFile, skeleton: str | None = None, *, accept_fuzzy: bool = False,
             own_links: Sequence[str] = ()) -> tuple[str, AssemblyReport]:
    """The translated Markdown of ``unit_file`` (its own skeleton, or ``skeleton`` for PO) and a report.

    A unit finds its segment by id (``s3``), else -- for files a tool re-numbered (``xliff2po``,
    ``po2xliff``) -- by its source text. A target that is not final is used only with ``accept_fuzzy``.
    A target may point links under the book's ``own_links`` prefixes at its own pages.
    """
    text = unit_file.skeleton if unit_file.skeleton is not None else skeleton
    if text is None:
        raise FormatError(f"{unit_file.original}: no skeleton in the file; give the source Markdown")
    try:
        document = parse_markdown(text)
    except DocumentError as error:
        raise FormatError(f"{unit_file.original}: the skeleton is not Markdown amts can read ({error})") from None
    report = AssemblyReport()
    replacements: dict[int, str] = {}
    placed = _place_units(unit_file, document)
    for unit, segment in placed:
        if not unit.target.strip() or unit.state == UnitState.NEW:
            report.untranslated += 1
            continue
        if not unit.final and not accept_fuzzy:
            report.not_final += 1
            continue
        why = structure_differs(segment.text, unit.target, own_links)
        if why:
            report.refused.append(f"{unit.id} (line {segment.line + 1}): {why}")
            continue
        report.needs_review += not unit.final
        if unit.target != segment.text:
            replacements[segment.index] = unit.target
        report.used += 1
    covered = {segment.index for _, segment in placed}
    report.missing = [f"{segment_id(s.index)} (line {s.line + 1})" for s in document.segments
                      if s.masked.has_prose and s.index not in covered]
    return document.render(replacements), report


def _place_units(unit_file: UnitFile, document: Document) -> list[tuple[Unit, Segment]]:
    """Each unit with the segment it stands for: by id, else by source text (the first one not taken)."""
    by_id = {segment_id(s.index): s for s in document.segments}
    by_text: dict[str, list[Segment]] = {}
    for segment in document.segments:
        by_text.setdefault(segment.text, []).append(segment)
    taken: set[int] = set()
    placed = []
    for unit in unit_file.units:
        segment = by_id.get(unit.id)
        if segment is not None and unit.source != segment.text and unit.source not in by_text:
            raise FormatError(f"{unit_file.original}: the source of unit {unit.id!r} was changed (line {segment.line + 1})")
        if segment is None or segment.text != unit.source or segment.index in taken:
            segment = next((s for s in by_text.get(unit.source, []) if s.index not in taken), None)
        if segment is None:
            raise FormatError(f"{unit_file.original}: unit {unit.id!r} is not a segment of the skeleton "
                              "(neither its id nor its source text)")
        taken.add(segment.index)
        placed.append((unit, segment))
    return placed
