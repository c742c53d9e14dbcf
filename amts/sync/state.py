"""The state of one merge, which the merge rules (:mod:`amts.sync.unit_rules`, :mod:`amts.sync.sentence_rules`)
read and extend, the way markdown-it-py's block rules work on ``StateBlock``.

One :class:`MergeState` holds the three parsed texts, the *units* of the old translation, and what the
rules produce: the output *parts* (strings, or functions rendering a string once the engine answered),
the report *records* (each anchored to the part its text was written into), the pending engine
requests, the translated code lines whose block went away (*orphans*) and the labels the new source
renamed. Rules only call the public methods below; nothing else keeps merge state.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from amts.document import Block, Document, Segment, is_cjk_language, normalize_space
from amts.memory import Example
from amts.records import RecordStatus, SegmentRecord
from amts.sync.aligning import Link, align_blocks
from amts.sync.diff import BlockChange
from amts.sync.labels import rename_references
from amts.sync.lines import translated_lines
from amts.sync.parsed import parsed
from amts.sync.provenance import SOURCE, Provenance

KEPT, PROPAGATED, TRANSLATED, FUZZY, UNTRANSLATED, STATUS_ADDED, STATUS_DELETED, STATUS_MOVED = RecordStatus

#: one piece of the output: a string, or a function computing it once the engine has answered
Part = str | Callable[[], str]


@dataclass
class Record(SegmentRecord):
    """One entry of the sync report (see the contract in :mod:`amts.sync.report`), plus where it was written."""

    anchor: int = 0  # part index where ``target_new`` was written (to find its output line)

    def follow_renames(self, renames: dict[str, str], why: str) -> None:
        """Point the references in ``target_new`` at the labels' new names, saying ``why`` in the note."""
        if not self.target_new:
            return
        renamed = rename_references(self.target_new, renames)
        if renamed != self.target_new:
            self.target_new = renamed
            self.note = "; ".join(filter(None, [self.note, why]))


class Pending:
    """An engine/memory request whose answer is filled in after the batch call.

    ``sentences`` are the new source sentences it asks for and ``positions`` their places in the new
    source (ordinals over all its sentences, see :meth:`MergeState.sentence_position`), so that old
    human translations can be placed by content whatever the layout (:mod:`amts.sync.placement`).
    """

    def __init__(self, key: str, fallback: str, fallback_status: str, context: list[Example],
                 sentences: list[str], positions: list[int]) -> None:
        self.key, self.fallback, self.fallback_status, self.context = key, fallback, fallback_status, context
        self.sentences, self.positions = sentences, positions
        self.text: str | None = None
        self.status = fallback_status
        self.note = ""
        self.fallback_placed = False  # the old translation it replaces was placed elsewhere in the output
        self.replaced = ""  # "machine" or "source": the old text it replaces was not human work


@dataclass(frozen=True)
class PartOwner:
    """What wrote some output parts: a unit of the old translation (``("unit", old-source blocks)``) or a
    block the new source added (``("added", new-source block)``), and the new-source blocks it covers."""

    key: tuple
    new_blocks: tuple[int, ...]


@dataclass
class Orphan:
    """A translated code line whose block the new source removed: reused where its source line reappears."""

    source: str  # the old-source line
    line: str  # its translation
    record: Record  # the report record that gets a note (or a review flag) about it


@dataclass
class Reflow:
    """Consecutive units of the old translation continued, in another layout, by a run of new blocks
    (found by :func:`amts.sync.reflow.find_reflows`)."""

    units: list[Link]
    blocks: list[int]


class MergeState:
    """Everything one merge knows and has produced so far (see the module docstring)."""

    def __init__(self, old_src: str, new_src: str, old_tgt: str, src: str, tgt: str,
                 provenance: Provenance | None = None) -> None:
        self.src, self.tgt = src, tgt
        self.provenance = provenance or Provenance()  # what of the old translation amts wrote itself
        self.os = parsed(old_src)
        self.ns = parsed(new_src)
        self.ot = parsed(old_tgt)
        self.parts: list[Part] = []
        self.records: list[Record] = []
        self.pending: list[Pending] = []
        self.orphans: list[Orphan] = []
        self.added_code: list[tuple[int, Record]] = []  # parts holding code blocks the new source added
        self.renames: dict[str, str] = {}  # labels the new source renamed (old -> new)
        self.joiner = "" if is_cjk_language(tgt) else " "
        #: the units of the old translation (see :meth:`build_units`)
        self.link_of: dict[int, Link] = {}  # old-source block -> its link
        self.span_of: dict[Link, tuple[int, int]] = {}  # link -> body start, end in the old target text
        self.tail_of: dict[Link, str] = {}  # link -> what follows its body up to the next unit
        self.preface = old_tgt
        #: how often each named rule handled something (rules are named in their rulers)
        self.rules_used: Counter[str] = Counter()
        self._untranslated: set[str] | None = None  # sentences of old-source blocks with no translation
        self._sentence_base: list[int] | None = None  # per new-source segment: ordinal of its first sentence
        #: sentence links between old-source segments and a target segment, computed once per merge
        self.sentence_links: dict[tuple[tuple[int, ...], int], list[Link]] = {}
        self.reflowed: dict[Link, Reflow] = {}  # units continued in a new layout, by their first (amts.sync.reflow)
        self.adopted: dict[int, Block] = {}  # added new block -> the translators' target-only block for it
        self.reflow_of: dict[Link, Link] = {}  # each unit of a reflow -> the reflow's first unit
        self.old_groups: list | None = None  # the old pair's sentence groups (amts.sync.placement)
        #: new-source sentences given their old translation by a sentence rule: position -> (sentence,
        #: the old translation of its group, wrapping folded)
        self.kept_sentences: dict[int, tuple[str, str]] = {}
        #: which unit (or added block) wrote each part, and where each part starts in the output:
        #: the validity gate maps a defect's line back to what wrote it (:mod:`amts.sync.fallback`)
        self.owners: list[PartOwner | None] = []
        self.part_offsets: list[int] = []
        #: units and added blocks the fallback rule writes in a safe form: owner key -> level
        self.fallback: dict[tuple, int] = {}
        self.fallback_reasons: dict[tuple, str] = {}

    def build_units(self) -> None:
        """Cut the old translation into units: the target blocks linked to one group of old-source
        blocks, plus what follows them up to the next unit (blank lines, target-only blocks)."""
        bodies: list[tuple[int, int, Link]] = []
        for link in align_blocks(self.os, self.ot, self.src, self.tgt):
            for i in link.src:
                self.link_of[i] = link
            if link.src and link.tgt:
                blocks = [self.ot.blocks[j] for j in link.tgt]
                bodies.append((min(b.start for b in blocks), max(b.end for b in blocks), link))
        bodies.sort(key=lambda x: x[0])
        text = self.ot.text
        self.preface = text[: bodies[0][0]] if bodies else text
        for k, (start, end, link) in enumerate(bodies):
            following = bodies[k + 1][0] if k + 1 < len(bodies) else len(text)
            self.span_of[link] = (start, end)
            self.tail_of[link] = text[end:following] if following >= end else ""

    def origin(self, target: str, source: str | None) -> str:
        """Whether a piece of the old translation is human work (``""``), machine-translated
        (``"machine"``) or its source left as it was (``"source"``: also whenever it equals ``source``)."""
        if source is not None and normalize_space(target, self.tgt) == normalize_space(source, self.src):
            return SOURCE
        return self.provenance.origin(target, self.tgt)

    def never_translated(self, new_block: int | None) -> bool:
        """Whether the prose of a new-source block is all sentences of old-source blocks the translation
        never had (a split or re-wrapped paragraph of them): then it stays out, as they did."""
        block = self.ns.blocks[new_block] if new_block is not None else None
        if block is None or block.kind != "paragraph" or len(block.segments) != 1:
            return False
        segment = self.ns.segments[block.segments[0]]
        if self.ns.text[block.start : segment.start].strip() or self.ns.text[segment.end : block.end].strip():
            return False  # tab markers, labels: structure the output needs whatever the prose
        if self._untranslated is None:
            self._untranslated = {normalize_space(s, self.src) for b in self.os.blocks
                                  if b.segments and not (b.index in self.link_of and self.link_of[b.index].tgt)
                                  for seg in self.os.block_segments(b) for s in source_sentences(seg, self.src)}
        return all(normalize_space(s, self.src) in self._untranslated
                   for seg in self.ns.block_segments(block) for s in source_sentences(seg, self.src))

    # ---- output --------------------------------------------------------------------------------
    @property
    def anchor(self) -> int:
        """The index the next output part will have (records point there to find their output line)."""
        return len(self.parts)

    def append(self, part: Part) -> None:
        """Add a piece of output."""
        self.parts.append(part)

    def report(self, record: Record) -> Record:
        """Add a report record (its anchor already set)."""
        self.records.append(record)
        return record

    def emit(self, text: Part, record: Record) -> None:
        """Add a piece of output and the record of what it is."""
        record.anchor = len(self.parts)
        self.parts.append(text)
        self.records.append(record)

    def own(self, first: int, owner: PartOwner) -> None:
        """The parts from index ``first`` to the last one were written by ``owner``."""
        self.owners += [None] * (len(self.parts) - len(self.owners))
        for index in range(first, len(self.parts)):
            self.owners[index] = owner

    def replace_part(self, index: int, text: str) -> None:
        """Replace an output part already added (code lines reused from a removed block)."""
        self.parts[index] = text

    # ---- engine requests -------------------------------------------------------------------------
    def sentence_position(self, segment: Segment, k: int) -> int:
        """The ordinal of the ``k``-th sentence of new-source ``segment`` among all new-source sentences
        (``k`` may run on into the following segments: consecutive segments number consecutively)."""
        if self._sentence_base is None:
            base, total = [], 0
            for each in self.ns.segments:
                base.append(total)
                total += len(source_sentences(each, self.src))
            self._sentence_base = base
        return self._sentence_base[segment.index] + k

    def request(self, source_new: str, source_old: str | None, target_old: str | None, anchor: int,
                sentences: list[str] | None = None, positions: list[int] | None = None,
                replaces: tuple[str, str] | None = None) -> Callable[[], str]:
        """Ask the engine for ``source_new`` (the new ``sentences`` at ``positions``); the old translation
        (``target_old``) is the fallback and the first example. ``replaces`` is an old text that is not
        human work, ``(origin, text)``: shown to the reviewer, neither fallback nor example. Returns the
        part rendering the answer, whose record is filled in then."""
        context = [Example(source_old, target_old, 1.0)] if source_old and target_old else []
        sentences, positions = sentences or [source_new], positions or []
        if target_old is not None:
            pending = Pending(source_new, target_old, FUZZY, context, sentences, positions)
        else:
            pending = Pending(source_new, source_new, UNTRANSLATED, context, sentences, positions)
        self.pending.append(pending)
        shown = target_old if replaces is None else replaces[1]
        record = self.report(Record(pending.fallback_status, True, source_old, source_new, shown, None, anchor=anchor))
        if replaces is not None:
            pending.replaced = replaces[0]

        def resolve() -> str:
            text = pending.text if pending.text is not None else pending.fallback
            _resolve_record(record, pending, text, source_old is None, target_old)
            return text

        return resolve

    # ---- orphans ---------------------------------------------------------------------------------
    def collect_orphans(self, unit: Unit, record: Record) -> None:
        """Remember the translated lines of the unit's code blocks, which the new source removed."""
        old_code = "".join(b.text for b in unit.old_blocks if not b.segments)
        tgt_code = "".join(b.text for b in unit.tgt_blocks if not b.segments)
        if old_code and tgt_code:
            self.add_orphans(translated_lines(old_code, tgt_code), record)

    def add_orphans(self, lines: Iterable[tuple[str, str]], record: Record) -> None:
        """Remember translated code lines ``(old source line, translation)`` whose block went away."""
        self.orphans.extend(Orphan(source, line, record) for source, line in lines)


_AFTER_SLIDE_CLOSER = re.compile(r"(?<=[.!?])(?:\*\*[\])])\s+(?=\S)")


def source_sentences(segment: Segment, lang: str) -> list[str]:
    """The segment's sentences; also cut after a slide mark that closes a sentence (``...end.**] Next``),
    which the masked splitter cannot see because the mark is a placeholder there."""
    out: list[str] = []
    for sentence in segment.sentences(lang):
        text, pos = sentence.text, 0
        for match in _AFTER_SLIDE_CLOSER.finditer(text):
            cut = match.start() + 3
            out.append(text[pos:cut])
            pos = match.end()
        out.append(text[pos:])
    return out


def _resolve_record(record: Record, pending: Pending, text: str, added: bool, target_old: str | None) -> None:
    """Fill in the record of an engine request once its answer (or its fallback) is known."""
    record.status = pending.status if pending.text is not None else pending.fallback_status
    if record.status == TRANSLATED and added:
        record.status = STATUS_ADDED
    record.target_new = text
    record.note = pending.note or (
        "source changed; old translation kept" if record.status == FUZZY
        else "no translation available; source text kept" if record.status == UNTRANSLATED else "")
    if pending.replaced:
        record.note += ("; the old text was " + ("a machine translation" if pending.replaced == "machine"
                                                 else "the source left as it was") + ", not human work")
    record.needs_review = record.status not in (STATUS_MOVED, PROPAGATED) and not (
        pending.status == TRANSLATED and pending.note == "exact memory match")
    if (target_old is not None and text != target_old and record.status in (STATUS_MOVED, PROPAGATED)
            and not pending.fallback_placed):
        # another human translation replaces this one: the reviewer sees both
        record.needs_review = True
        record.note += "; replaces the old translation shown"


@dataclass
class Unit:
    """Everything the unit rules look at: the linked old-source blocks, their changes, the translation."""

    link: Link
    members: list[BlockChange | None]  # the change of each old-source block of the link (None: none)
    alive: list[BlockChange]  # the members that survive in the new source, in new order
    start: int  # the unit's body in the old target text
    end: int
    body: str
    tail: str  # what follows the body up to the next unit (blank lines, target-only blocks)
    old_text: str
    old_blocks: list[Block]
    new_blocks: list[Block]
    tgt_blocks: list[Block]

    @classmethod
    def of(cls, state: MergeState, link: Link, members: list[BlockChange | None], alive: list[BlockChange]) -> Unit:
        """The unit of ``link`` in ``state``."""
        start, end = state.span_of[link]
        return cls(link, members, alive, start, end, state.ot.text[start:end], state.tail_of[link],
                   "".join(state.os.blocks[i].text for i in link.src), [state.os.blocks[i] for i in link.src],
                   [state.ns.blocks[m.new] for m in alive if m.new is not None],
                   [state.ot.blocks[j] for j in link.tgt])

    @property
    def new_text(self) -> str:
        return "".join(b.text for b in self.new_blocks)

    @property
    def kinds(self) -> set[str]:
        return {m.kind for m in self.members if m is not None}

    @property
    def same_kind(self) -> bool:
        """One old block became one new block of the same kind (a paragraph stayed a paragraph)."""
        return len(self.old_blocks) == len(self.new_blocks) == 1 and self.old_blocks[0].kind == self.new_blocks[0].kind

    def segments(self, state: MergeState) -> tuple[list[Segment], list[Segment], list[Segment]]:
        """Old-source, new-source and target segments of the unit."""
        olds = [state.os.segments[s] for b in self.old_blocks for s in b.segments]
        news = [state.ns.segments[s] for b in self.new_blocks for s in b.segments]
        tgts = [state.ot.segments[s] for b in self.tgt_blocks for s in b.segments]
        if self.same_kind and len(self.tgt_blocks) > 1:
            # one source block linked to several target blocks: merge into the one shaped like it and
            # leave the others (target-only additions the link swallowed) as they are
            alike = [b for b in self.tgt_blocks if b.kind == self.old_blocks[0].kind and len(b.segments) == len(olds)]
            if len(alike) == 1:
                tgts = [state.ot.segments[s] for s in alike[0].segments]
        return olds, news, tgts

    def trailing(self) -> str:
        """The tail, without its leading blank lines when the body is gone (or "" when all blank)."""
        return self.tail.lstrip("\r\n") if self.tail.strip() else ""


def render_range(doc: Document, start: int, end: int, replacements: dict[int, Callable[[], str]]) -> Callable[[], str]:
    """``doc.text[start:end]`` with some segments replaced (their new text computed at render time)."""

    def render() -> str:
        out: list[str] = []
        pos = start
        for segment in doc.segments:
            if segment.index not in replacements or segment.start < start or segment.end > end:
                continue
            out.append(doc.text[pos : segment.start])
            out.append(doc.format_segment(segment, replacements[segment.index]()))
            pos = segment.end
        out.append(doc.text[pos:end])
        return "".join(out)

    return render
