"""The 3-way merge: old source, new source and old translation -> new translation.

The old translation is cut into *units*: the target blocks linked to one group of old-source blocks,
plus whatever follows them up to the next unit (blank lines and target-only blocks such as
``#@tab paddle`` cells, which so stay attached to their neighbour). Then the new source is walked in
order: a unit whose source did not change is copied byte for byte; a mechanical change is propagated
into it; a modified paragraph is merged sentence by sentence; added blocks are translated. Every
engine request is collected first and sent in one batch through :class:`AdaptiveTranslator`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from amts.adapt import ENGINE, MEMORY, AdaptiveTranslator, Memory
from amts.document import Document, strip_structure
from amts.document.scripts import count_han
from amts.memory import Example
from amts.records import STATUSES, RecordStatus
from amts.sync.adopt import find_adoptions
from amts.sync.conserve import check_conservation
from amts.sync.diff import ADDED, DELETED, MECHANICAL, MODIFIED, diff_blocks
from amts.sync.fallback import make_valid
from amts.sync.labels import label_renames, rename_references
from amts.sync.lines import is_plain_code, reuse_lines
from amts.sync.placement import REQUEST_RULES
from amts.sync.provenance import Provenance, written_by_amts
from amts.sync.reflow import find_reflows
from amts.sync.state import (
    FUZZY,
    KEPT,
    TRANSLATED,
    MergeState,
    PartOwner,
    Record,
    Unit,
)
from amts.sync.unit_rules import add_block, apply_unit_rules
from amts.sync.validity import Inputs

__all__ = ["STATUSES", "MergeResult", "Record", "RecordStatus", "merge_documents", "words"]


@dataclass
class MergeResult:
    """The merged text, the report records, and what it cost."""

    text: str
    records: list[Record]
    engine_calls: int
    words_full: int
    warnings: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)  # labels the new source renamed (old -> new)
    rules_used: Counter[str] = field(default_factory=Counter)  # which named merge rules handled what
    fell_back: int = 0  # units and added blocks written in a safe form because the merge was not valid
    gated: str | None = None  # the text the validity gate passed (a later edit, a book-wide rename, is gated again)
    provenance: Provenance = field(default_factory=Provenance)  # what of ``text`` is not human work

    @property
    def words_to_review(self) -> int:
        return sum(words(r.source_new or "") for r in self.records if r.needs_review)


def words(markdown: str) -> int:
    """Words a translator reads (structure removed); CJK characters count one each."""
    prose = strip_structure(markdown)
    cjk = count_han(prose)
    return len([w for w in prose.split() if any(c.isalnum() for c in w)]) + cjk


class _SyncMemory:
    """The parallel-data memory, plus the old translation of the changed sentence as first example."""

    def __init__(self, base: Memory | None, context: dict[str, list[Example]]) -> None:
        self.base, self.context = base, context

    def exact(self, source: str, src: str, tgt: str) -> str | None:
        return self.base.exact(source, src, tgt) if self.base else None

    def similar(self, source: str, src: str, tgt: str, k: int) -> list[Example]:
        found = list(self.context.get(source, []))
        if self.base:
            found.extend(self.base.similar(source, src, tgt, k))
        return found[:k] if k else found


def walk(state: MergeState) -> None:
    """Walk the new source in order: each unit of the old translation through the unit rules where its
    first surviving source block now is, added blocks translated; then orphaned code lines reused."""
    state.build_units()
    changes = diff_blocks(state.os, state.ns, state.src)
    status_of_old = {c.old: c for c in changes if c.old is not None}
    state.renames = label_renames(state.os, state.ns, [(c.old, c.new) for c in changes
                                                       if c.old is not None and c.new is not None])
    state.append(state.preface)
    claimed = find_reflows(state, changes)
    find_adoptions(state, changes)
    done: set = set()
    for change in changes:
        first = state.anchor
        if change.kind == ADDED and change.new in claimed:
            link = claimed[change.new]  # a block continuing an old unit in a new layout (amts.sync.reflow)
        elif change.kind == ADDED:
            if not state.never_translated(change.new):
                add_block(state, change.new)
                state.own(first, PartOwner(("added", change.new), (change.new,)))
            continue
        else:
            link = state.link_of.get(change.old)  # type: ignore[arg-type]
        if link is None or not link.tgt:
            # an old source block the translation never had: keep leaving it out unless it changed
            if (change.kind in (MODIFIED, MECHANICAL) and change.new is not None and link not in state.reflow_of
                    and not state.never_translated(change.new)):
                add_block(state, change.new)
                state.own(first, PartOwner(("added", change.new), (change.new,)))
            continue
        link = state.reflow_of.get(link, link)  # a unit continued in a new layout with others: with the first
        if link in done:
            continue
        members = [status_of_old.get(i) for i in link.src]
        alive = [m for m in members if m is not None and m.kind != DELETED]
        if change.kind == DELETED and (alive or link in state.reflowed):
            continue  # the group is merged where its first surviving block (or its continuation) is
        done.add(link)
        apply_unit_rules(state, Unit.of(state, link, members, alive))
        state.own(first, PartOwner(("unit", link.src), tuple(m.new for m in alive if m.new is not None)))
    reuse_orphans(state)


def reuse_orphans(state: MergeState) -> None:
    """A translated code line whose block went away is reused where the new source added its source
    line; one whose source line survives elsewhere but could not be placed is flagged for review."""
    if not state.orphans:
        return
    waiting: dict[str, list[str]] = {}
    for orphan in state.orphans:
        if not is_plain_code(orphan.line):  # a translation, not a line of code or math laid out otherwise
            waiting.setdefault(orphan.source.strip(), []).append(orphan.line)
    for index, record in state.added_code:
        text, used = reuse_lines(state.parts[index], waiting)  # type: ignore[arg-type]
        if used:
            state.replace_part(index, text)
            record.target_new = text
            record.note += f"; {len(used)} translated line(s) reused from a removed block"
    left = {line for lines in waiting.values() for line in lines}
    surviving = {line.strip() for line in state.ns.text.splitlines()}
    for orphan in state.orphans:
        if orphan.line in left and orphan.source.strip() in surviving:
            record = orphan.record
            record.needs_review = True
            record.note = "; ".join(filter(None, [record.note, "translated line not carried over (its "
                                                  f"source line is elsewhere in the new source): {orphan.line.strip()}"]))


def translate(state: MergeState, translator: AdaptiveTranslator | None) -> None:
    """Answer the pending requests: old human translations first (:data:`REQUEST_RULES`), then one
    batch to the engine."""
    if state.pending:
        for name, rule in REQUEST_RULES:
            rule(state)
            state.rules_used["request:" + name] += 1
    if translator is None:
        return
    keys: list[str] = []
    index: dict[str, int] = {}
    context: dict[str, list[Example]] = {}
    for pending in state.pending:
        if pending.text is None and pending.key not in index:
            index[pending.key] = len(keys)
            keys.append(pending.key)
            context[pending.key] = pending.context
    if not keys:
        return
    saved = translator.memory
    translator.memory = _SyncMemory(saved, context)
    try:
        outcomes = translator.translate(keys, state.src, state.tgt)
    finally:
        translator.memory = saved
    for pending in state.pending:
        if pending.key not in index:
            continue
        outcome = outcomes[index[pending.key]]
        if outcome.status in (ENGINE, MEMORY):
            pending.text = outcome.target
            pending.status = TRANSLATED
            pending.note = "exact memory match" if outcome.status == MEMORY else ""
        elif outcome.message:
            kept = "old translation kept" if pending.fallback_status == FUZZY else "source text kept"
            pending.note = f"source changed; {kept} ({outcome.message})"


def render(state: MergeState) -> str:
    """The output text (references to renamed labels updated), each record given its output line."""
    texts: list[str] = []
    offsets: list[int] = []
    pos = 0
    for part in state.parts:
        text = rename_references(part if isinstance(part, str) else part(), state.renames)
        offsets.append(pos)
        texts.append(text)
        pos += len(text)
    out = "".join(texts)
    state.part_offsets = offsets
    for record in state.records:
        if record.target_new is None or record.anchor >= len(offsets):
            continue
        record.follow_renames(state.renames, "references to renamed labels updated")
        found = out.find(record.target_new, offsets[record.anchor]) if record.target_new else -1
        if found >= 0:
            record.output_line = out.count("\n", 0, found) + 1
    return out

def merge_documents(
    old_source: str,
    new_source: str,
    old_target: str,
    translator: AdaptiveTranslator | None,
    src: str,
    tgt: str,
    *,
    check: bool = True,
    provenance: Provenance | None = None,
) -> MergeResult:
    """Build the new translation of ``new_source`` from ``old_target`` (translation of ``old_source``).

    With ``check`` (always, in sync) the conservation check runs on the result: it raises
    :class:`~amts.sync.conserve.ConservationError` if a piece of the old translation would vanish
    without a report segment accounting for it. ``provenance`` says which texts of ``old_target`` amts
    wrote itself (:mod:`amts.sync.provenance`); they are not taken for human work.
    """
    state = MergeState(old_source, new_source, old_target, src, tgt, provenance)
    calls_before = translator.engine_calls if translator else 0
    if old_source == new_source:
        records = _all_kept(state)
        return MergeResult(old_target, records, 0, _words_full(state.ns),
                           provenance=written_by_amts(records, old_target, provenance))

    answers: dict[str, tuple[str, str, str]] = {}  # what the engine said, so a fallback rerun does not ask again

    def merge(levels: dict[tuple, int], reasons: dict[tuple, str]) -> tuple[MergeState, str]:
        again = MergeState(old_source, new_source, old_target, src, tgt, provenance) if levels else state
        again.fallback, again.fallback_reasons = levels, reasons
        walk(again)
        for pending in again.pending:
            if pending.key in answers:
                pending.text, pending.status, pending.note = answers[pending.key]
        translate(again, translator)
        answers.update((p.key, (p.text, p.status, p.note)) for p in again.pending if p.text is not None)
        return again, render(again)

    state, text = merge({}, {})
    fell_back = 0
    if check:
        state, text, fell_back = make_valid(state, text, Inputs(state.os, state.ns, state.ot), merge)
        check_conservation(old_source, new_source, old_target, text, state.records, tgt, state.os, state.ot)
    calls = (translator.engine_calls - calls_before) if translator else 0
    return MergeResult(text, state.records, calls, _words_full(state.ns), state.ot.warnings + state.ns.warnings,
                       state.renames, state.rules_used, fell_back, text if check else None,
                       written_by_amts(state.records, text, provenance))


def _all_kept(state: MergeState) -> list[Record]:
    """Nothing changed: one kept record per unit, for a complete report without any work."""
    state.build_units()
    out: list[Record] = []
    for link, (start, end) in state.span_of.items():
        body = state.ot.text[start:end]
        source = "".join(state.os.blocks[i].text for i in link.src)
        out.append(Record(KEPT, False, source, source, body, body, output_line=state.ot.text.count("\n", 0, start) + 1))
    return out


def _words_full(doc: Document) -> int:
    return sum(words(segment.text) for segment in doc.segments)
