"""The 3-way merge: old source, new source and old translation -> new translation.

The old translation is cut into *units*: the target blocks linked to one group of old-source blocks,
plus whatever follows them up to the next unit (blank lines and target-only blocks such as
``#@tab paddle`` cells, which so stay attached to their neighbour). Then the new source is walked in
order: a unit whose source did not change is copied byte for byte; a mechanical change is propagated
into it; a modified paragraph is merged sentence by sentence; added blocks are translated. Every
engine request is collected first and sent in one batch through :class:`AdaptiveTranslator`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from amts.adapt import ENGINE, MEMORY, AdaptiveTranslator, Memory
from amts.document import (
    Block,
    Document,
    Segment,
    is_cjk_language,
    mask,
    normalize_space,
    parse_markdown,
    strip_structure,
)
from amts.document.scripts import UNSPACED_RE, count_han
from amts.memory import Example
from amts.sync.aligning import Link, align_blocks, align_sentence_lists
from amts.sync.conserve import check_conservation
from amts.sync.diff import (
    ADDED,
    DELETED,
    MECHANICAL,
    MODIFIED,
    MOVED,
    UNCHANGED,
    BlockChange,
    diff_blocks,
    diff_sentences,
    mechanical_change,
)
from amts.sync.labels import label_renames, rename_references
from amts.sync.lines import merge_code, reuse_lines, translated_lines
from amts.sync.tokens import propagate, token_change, wrap_text, wrapped_in_slide_marks


class RecordStatus(StrEnum):
    """What the merge did with one sentence of the new source (compares equal to its string value)."""

    KEPT = "kept"
    PROPAGATED = "propagated"
    TRANSLATED = "translated"
    FUZZY = "fuzzy"
    UNTRANSLATED = "untranslated"
    ADDED = "added"
    DELETED = "deleted"
    MOVED = "moved"


KEPT, PROPAGATED, TRANSLATED, FUZZY, UNTRANSLATED, STATUS_ADDED, STATUS_DELETED, STATUS_MOVED = RecordStatus
STATUSES = tuple(RecordStatus)


@dataclass
class Record:
    """One entry of the sync report (see the contract in :mod:`amts.sync.report`)."""

    status: str
    needs_review: bool
    source_old: str | None
    source_new: str | None
    target_old: str | None
    target_new: str | None
    note: str = ""
    output_line: int | None = None
    anchor: int = 0  # part index where ``target_new`` was written (to find its output line)

    def follow_renames(self, renames: dict[str, str], why: str) -> None:
        """Point the references in ``target_new`` at the labels' new names, saying ``why`` in the note."""
        if not self.target_new:
            return
        renamed = rename_references(self.target_new, renames)
        if renamed != self.target_new:
            self.target_new = renamed
            self.note = "; ".join(filter(None, [self.note, why]))


@dataclass
class MergeResult:
    text: str
    records: list[Record]
    engine_calls: int
    words_full: int
    warnings: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)  # labels the new source renamed (old -> new)

    @property
    def words_to_review(self) -> int:
        return sum(words(r.source_new or "") for r in self.records if r.needs_review)


def words(markdown: str) -> int:
    """Words a translator reads (structure removed); CJK characters count one each."""
    prose = strip_structure(markdown)
    cjk = count_han(prose)
    return len([w for w in prose.split() if any(c.isalnum() for c in w)]) + cjk


class _Pending:
    """An engine/memory request whose answer is filled in after the batch call."""

    def __init__(self, key: str, fallback: str, fallback_status: str, context: list[Example]) -> None:
        self.key, self.fallback, self.fallback_status, self.context = key, fallback, fallback_status, context
        self.text: str | None = None
        self.status = fallback_status
        self.note = ""


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


Part = str | Callable[[], str]


class _Merger:
    def __init__(self, old_src: str, new_src: str, old_tgt: str, src: str, tgt: str) -> None:
        self.src, self.tgt = src, tgt
        self.os = parse_markdown(old_src)
        self.ns = parse_markdown(new_src)
        self.ot = parse_markdown(old_tgt)
        self.parts: list[Part] = []
        self.records: list[Record] = []
        self.pending: list[_Pending] = []
        # translated code lines whose block went away: (old source line, translation, its record)
        self.orphans: list[tuple[str, str, Record]] = []
        self.added_code: list[tuple[int, Record]] = []  # parts holding code blocks the new source added
        self.renames: dict[str, str] = {}  # labels the new source renamed (old -> new)
        self.joiner = "" if is_cjk_language(tgt) else " "

    # ---- units of the old target ----------------------------------------------------------------
    def _build_units(self) -> None:
        links = [link for link in align_blocks(self.os, self.ot, self.src, self.tgt)]
        self.link_of: dict[int, Link] = {}
        self.span_of: dict[Link, tuple[int, int]] = {}  # body start, end in old target text
        bodies: list[tuple[int, int, Link]] = []
        for link in links:
            for i in link.src:
                self.link_of[i] = link
            if link.src and link.tgt:
                blocks = [self.ot.blocks[j] for j in link.tgt]
                start, end = min(b.start for b in blocks), max(b.end for b in blocks)
                bodies.append((start, end, link))
        bodies.sort(key=lambda x: x[0])
        text = self.ot.text
        self.preface = text[: bodies[0][0]] if bodies else text
        self.tail_of: dict[Link, str] = {}
        for k, (start, end, link) in enumerate(bodies):
            following = bodies[k + 1][0] if k + 1 < len(bodies) else len(text)
            self.span_of[link] = (start, end)
            self.tail_of[link] = text[end:following] if following >= end else ""

    # ---- the walk -------------------------------------------------------------------------------
    def run(self) -> None:
        self._build_units()
        changes = diff_blocks(self.os, self.ns, self.src)
        status_of_old = {c.old: c for c in changes if c.old is not None}
        self.renames = label_renames(self.os, self.ns, [(c.old, c.new) for c in changes
                                                        if c.old is not None and c.new is not None])
        self.parts.append(self.preface)
        done: set[Link] = set()
        for change in changes:
            if change.kind == ADDED:
                self._added_block(change.new)
                continue
            link = self.link_of.get(change.old)
            if link is None or not link.tgt:
                self._untargeted(change)
                continue
            if link in done:
                continue
            members = [status_of_old.get(i) for i in link.src]
            alive = [m for m in members if m is not None and m.kind != DELETED]
            if change.kind == DELETED and alive:
                continue  # the group is merged where its first surviving block is
            done.add(link)
            self._unit(link, members, alive)
        self._reuse_orphans()

    def collect_orphans(self, unit: UnitState, record: Record) -> None:
        """Remember the translated lines of the unit's code blocks, which the new source removed."""
        old_code = "".join(b.text for b in unit.old_blocks if not b.segments)
        tgt_code = "".join(b.text for b in unit.tgt_blocks if not b.segments)
        if old_code and tgt_code:
            self.orphans.extend((source, line, record) for source, line in translated_lines(old_code, tgt_code))

    def _reuse_orphans(self) -> None:
        """A translated code line whose block went away is reused where the new source added its source
        line; one whose source line survives elsewhere but could not be placed is flagged for review."""
        if not self.orphans:
            return
        waiting: dict[str, list[str]] = {}
        for source, line, _record in self.orphans:
            waiting.setdefault(source.strip(), []).append(line)
        for index, record in self.added_code:
            text, used = reuse_lines(self.parts[index], waiting)  # type: ignore[arg-type]
            if used:
                self.parts[index] = text
                record.target_new = text
                record.note += f"; {len(used)} translated line(s) reused from a removed block"
        left = {line for lines in waiting.values() for line in lines}
        surviving = {line.strip() for line in self.ns.text.splitlines()}
        for source, line, record in self.orphans:
            if line in left and source.strip() in surviving:
                record.needs_review = True
                record.note = "; ".join(filter(None, [record.note, "translated line not carried over (its "
                                                      f"source line is elsewhere in the new source): {line.strip()}"]))

    def _unit(self, link: Link, members: list[BlockChange | None], alive: list[BlockChange]) -> None:
        """Run the unit rules in order (:data:`UNIT_RULES`); the first that returns True handled it."""
        state = UnitState.of(self, link, members, alive)
        for _name, rule in UNIT_RULES:
            if rule(self, state):
                return
        raise AssertionError("the last unit rule handles every unit")  # pragma: no cover

    def _merge_items(self, olds: list[Segment], news: list[Segment], targets: list[Segment], block) -> Callable[[], str]:  # noqa: ANN001
        anchor = len(self.parts)
        replacements: dict[int, Callable[[], str]] = {}
        for _kind, o, n in diff_sentences([s.text for s in olds], [s.text for s in news], self.src):
            if n is None:
                assert o is not None
                self.records.append(Record(STATUS_DELETED, False, olds[o].text, None, targets[o].text, None,
                                           anchor=anchor))
            elif o is None:
                replacements[news[n].index] = self._translate_segment(news[n], anchor)
            else:
                replacements[news[n].index] = self._merge_segment([olds[o]], [news[n]], targets[o])
        return _render_range(self.ns, block.start, block.end, replacements)

    def _untargeted(self, change) -> None:  # noqa: ANN001
        """An old source block the translation never had: keep leaving it out unless it changed."""
        if change.kind in (MODIFIED, MECHANICAL) and change.new is not None:
            self._added_block(change.new)

    # ---- prose ------------------------------------------------------------------------------------
    def _merge_segment(self, olds: Sequence[Segment], news: Sequence[Segment], target: Segment) -> Callable[[], str]:
        """The new text of ``target`` (lazily, once translations are in), recording each sentence."""
        old_text = "\n".join(s.text for s in olds)
        new_text = "\n".join(s.text for s in news)
        anchor = len(self.parts)
        if normalize_space(old_text, self.src) == normalize_space(new_text, self.src):
            self.records.append(Record(KEPT, False, old_text, new_text, target.text, target.text, anchor=anchor))
            return lambda: target.text
        change = mechanical_change(old_text, new_text)  # normalize_space differs: unchanged ruled out
        if change is not None:
            propagated = propagate(old_text, target.text, change)
            if propagated is not None:
                note = _propagation_note(change)
                marks = wrapped_in_slide_marks(new_text, old_text) if change.slide_added else None
                if marks:
                    propagated = wrap_text(propagated, marks)
                elif change.slide_added:
                    note += "; slide marks not placed in the translation"
                self.records.append(Record(PROPAGATED, False, old_text, new_text, target.text, propagated,
                                           note.strip("; "), anchor=anchor))
                return lambda: propagated
        return self._merge_sentences(olds, news, target, anchor)

    def _merge_sentences(self, olds, news, target: Segment, anchor: int) -> Callable[[], str]:  # noqa: ANN001
        o_sents = [s for seg in olds for s in source_sentences(seg, self.src)]
        n_sents = [s for seg in news for s in source_sentences(seg, self.src)]
        t_sents = target.sentences(self.tgt)
        links = align_sentence_lists([normalize_space(s, self.src) for s in o_sents],
                                     [normalize_space(s.text, self.tgt) for s in t_sents], self.src, self.tgt)
        link_of = {i: link for link in links for i in link.src}
        # target-only sentences travel with the linked sentence before them (leading ones: after them)
        extent: dict[Link, tuple[int, int]] = {}
        last: Link | None = None
        leading: list[int] = []
        for link in links:
            if link.src and link.tgt:
                extent[link] = (min([*link.tgt, *leading]), max(link.tgt))
                leading = []
                last = link
            elif link.tgt and last is not None:
                extent[last] = (extent[last][0], max(link.tgt))
            elif link.tgt:
                leading.extend(link.tgt)
        changes = diff_sentences(o_sents, n_sents, self.src)
        deleted = {o for kind, o, _ in changes if kind == DELETED}
        items: list[tuple[Link | None, list[int], list[str]]] = []  # link, new sentence idxs, kinds
        for kind, o, n in changes:
            if kind == DELETED or n is None:
                continue
            link = link_of.get(o) if o is not None else None
            if link is not None and link not in extent:
                link = None
            if link is not None and items and items[-1][0] is link:
                items[-1][1].append(n)
                items[-1][2].append(kind)
            else:
                items.append((link, [n], [kind]))
        pieces: list[tuple[Callable[[], str], tuple[int, int] | None]] = []
        for link, new_idx, kinds in items:
            source_new = " ".join(normalize_space(n_sents[n], self.src) for n in new_idx)
            if link is None:
                pieces.append((self._request(source_new, None, None, anchor), None))
                continue
            first, final = extent[link]
            span_text = target.text[t_sents[first].start : t_sents[final].end]
            source_old = " ".join(normalize_space(o_sents[i], self.src) for i in link.src)
            intact = not (set(link.src) & deleted) and len(new_idx) == len(link.src)
            if intact and set(kinds) == {UNCHANGED}:
                self.records.append(Record(KEPT, False, source_old, source_new, span_text, span_text, anchor=anchor))
                pieces.append((_const(span_text), (first, final)))
                continue
            if intact and set(kinds) <= {UNCHANGED, MECHANICAL}:
                change = token_change(source_old, source_new)
                propagated = propagate(source_old, span_text, change)
                if propagated is not None:
                    marks = wrapped_in_slide_marks(source_new, source_old) if change.slide_added else None
                    note = _propagation_note(change)
                    if marks:
                        propagated = wrap_text(propagated, marks)
                    elif change.slide_added:
                        note += "; slide marks not placed in the translation"
                    self.records.append(Record(PROPAGATED, False, source_old, source_new, span_text, propagated,
                                               note.strip("; "), anchor=anchor))
                    pieces.append((_const(propagated), (first, final)))
                    continue
            pieces.append((self._request(source_new, source_old, span_text, anchor), (first, final)))
        for link in links:  # old sentences that vanished, for the report
            if link.src and all(i in deleted for i in link.src) and link in extent:
                first, final = extent[link]
                self.records.append(Record(STATUS_DELETED, False, " ".join(o_sents[i] for i in link.src), None,
                                           target.text[t_sents[first].start : t_sents[final].end], None,
                                           anchor=anchor))
        head = target.text[: t_sents[0].start] if t_sents else ""
        tail = target.text[t_sents[-1].end :] if t_sents else ""
        joiner = self.joiner

        def render() -> str:
            out = [head]
            previous: tuple[int, int] | None = None
            for k, (piece, span) in enumerate(pieces):
                if k and span and previous and span[0] == previous[1] + 1:
                    out.append(target.text[t_sents[previous[1]].end : t_sents[span[0]].start])
                    out.append(piece())
                    previous = span
                    continue
                text = piece()
                if k:
                    out.append(_joiner(out[-1], text, joiner))
                out.append(text)
                previous = span
            out.append(tail)
            return "".join(out)

        return render

    def _request(self, source_new: str, source_old: str | None, target_old: str | None, anchor: int) -> Callable[[], str]:
        context = [Example(source_old, target_old, 1.0)] if source_old and target_old else []
        if target_old is not None:
            pending = _Pending(source_new, target_old, FUZZY, context)
        else:
            pending = _Pending(source_new, source_new, UNTRANSLATED, context)
        self.pending.append(pending)
        record = Record(pending.fallback_status, True, source_old, source_new, target_old, None, anchor=anchor)
        self.records.append(record)

        def resolve() -> str:
            text = pending.text if pending.text is not None else pending.fallback
            record.status = pending.status if pending.text is not None else pending.fallback_status
            if record.status == TRANSLATED and source_old is None:
                record.status = STATUS_ADDED
            record.target_new = text
            record.note = pending.note or (
                "source changed; old translation kept" if record.status == FUZZY
                else "no translation available; source text kept" if record.status == UNTRANSLATED else "")
            record.needs_review = record.status not in (STATUS_MOVED, PROPAGATED) and not (
                pending.status == TRANSLATED and pending.note == "exact memory match")
            if target_old is not None and text != target_old and record.status in (STATUS_MOVED, PROPAGATED):
                # another human translation replaces this one: the reviewer sees both
                record.needs_review = True
                record.note += "; replaces the old translation shown"
            return text

        return resolve

    def _added_block(self, index: int | None) -> None:
        if index is None:
            return
        block = self.ns.blocks[index]
        gap = _gap_after(self.ns, index)
        anchor = len(self.parts)
        if not block.segments:
            self.added_code.append((len(self.parts), Record(STATUS_ADDED, False, None, block.text, None, block.text,
                                                            "structure added from the new source")))
            self._emit(block.text, self.added_code[-1][1])
            self.parts.append(gap)
            return
        replacements: dict[int, Callable[[], str]] = {}
        for s in block.segments:
            segment = self.ns.segments[s]
            replacements[s] = self._translate_segment(segment, anchor)
        self.parts.append(_render_range(self.ns, block.start, block.end, replacements))
        self.parts.append(gap)

    def _translate_segment(self, segment: Segment, anchor: int) -> Callable[[], str]:
        sentences = source_sentences(segment, self.src)
        resolvers = [self._request(normalize_space(s, self.src), None, None, anchor) for s in sentences]
        joiner = self.joiner

        def render() -> str:
            out: list[str] = []
            for resolve in resolvers:
                text = resolve()
                if out:
                    out.append(_joiner(out[-1], text, joiner))
                out.append(text)
            return "".join(out)

        return render

    def _emit(self, text: str, record: Record) -> None:
        record.anchor = len(self.parts)
        self.parts.append(text)
        self.records.append(record)

    # ---- translations -------------------------------------------------------------------------------
    def _reuse_old_translations(self) -> None:
        """A request for a sentence the old source already had (moved, or in a rewritten block) gets
        that sentence's human translation, where the old paragraph pairs its sentences one to one;
        a sentence whose only change is in its tokens (a new link target...) gets it propagated."""
        wanted = {mask(p.key).text for p in self.pending}
        where: dict[str, int] = {}
        for segment in self.os.segments:
            for sentence in source_sentences(segment, self.src):
                masked = mask(normalize_space(sentence, self.src)).text
                if masked in wanted:
                    where.setdefault(masked, segment.block)
        found: dict[str, tuple[str, str]] = {}  # masked key -> (old source sentence, its translation)
        for block in sorted(set(where.values())):
            link = self.link_of.get(block)
            if link is None or len(link.src) != 1 or not link.tgt:
                continue
            olds = [self.os.segments[i] for i in self.os.blocks[block].segments]
            tgts = [self.ot.segments[i] for j in link.tgt for i in self.ot.blocks[j].segments]
            if len(olds) != len(tgts):
                continue
            for old, target in zip(olds, tgts, strict=True):
                o_sents = [normalize_space(x, self.src) for x in source_sentences(old, self.src)]
                t_sents = target.sentences(self.tgt)
                for sl in align_sentence_lists(o_sents, [normalize_space(t.text, self.tgt) for t in t_sents],
                                               self.src, self.tgt):
                    if len(sl.src) == 1 and sl.tgt and mask(o_sents[sl.src[0]]).text in wanted:
                        text = target.text[t_sents[min(sl.tgt)].start : t_sents[max(sl.tgt)].end]
                        found.setdefault(mask(o_sents[sl.src[0]]).text,
                                         (o_sents[sl.src[0]], normalize_space(text, self.tgt)))
        for pending in self.pending:
            hit = found.get(mask(pending.key).text)
            if hit is None:
                continue
            old_key, translation = hit
            if old_key != pending.key:
                translation = propagate(old_key, translation, token_change(old_key, pending.key))
                if translation is None:
                    continue
            pending.text = translation
            pending.status = STATUS_MOVED if old_key == pending.key else PROPAGATED
            pending.note = ("unchanged sentence: its old translation reused" if old_key == pending.key
                            else "its old translation reused, tokens updated")

    def translate(self, translator: AdaptiveTranslator | None) -> None:
        if self.pending:
            self._reuse_old_translations()
        if translator is None:
            return
        keys: list[str] = []
        index: dict[str, int] = {}
        context: dict[str, list[Example]] = {}
        for pending in self.pending:
            if pending.text is None and pending.key not in index:
                index[pending.key] = len(keys)
                keys.append(pending.key)
                context[pending.key] = pending.context
        if not keys:
            return
        saved = translator.memory
        translator.memory = _SyncMemory(saved, context)
        try:
            outcomes = translator.translate(keys, self.src, self.tgt)
        finally:
            translator.memory = saved
        if not keys:
            return
        for pending in self.pending:
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

    def render(self) -> str:
        texts: list[str] = []
        offsets: list[int] = []
        pos = 0
        for part in self.parts:
            text = rename_references(part if isinstance(part, str) else part(), self.renames)
            offsets.append(pos)
            texts.append(text)
            pos += len(text)
        out = "".join(texts)
        for record in self.records:
            if record.target_new is None or record.anchor >= len(offsets):
                continue
            record.follow_renames(self.renames, "references to renamed labels updated")
            found = out.find(record.target_new, offsets[record.anchor]) if record.target_new else -1
            if found >= 0:
                record.output_line = out.count("\n", 0, found) + 1
        return out


# ---- the unit rules ---------------------------------------------------------------------------------
# A unit is one group of old-source blocks with its translation (see :meth:`_Merger._build_units`).
# Like markdown-it's block rules, each rule looks at the unit and either handles it completely (appends
# its output parts and report records, returns True) or leaves it to the next rule.


@dataclass
class UnitState:
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
    def of(cls, merger: _Merger, link: Link, members: list[BlockChange | None], alive: list[BlockChange]) -> UnitState:
        start, end = merger.span_of[link]
        return cls(link, members, alive, start, end, merger.ot.text[start:end], merger.tail_of[link],
                   "".join(merger.os.blocks[i].text for i in link.src), [merger.os.blocks[i] for i in link.src],
                   [merger.ns.blocks[m.new] for m in alive if m.new is not None],
                   [merger.ot.blocks[j] for j in link.tgt])

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

    def segments(self, merger: _Merger) -> tuple[list[Segment], list[Segment], list[Segment]]:
        """Old-source, new-source and target segments of the unit."""
        olds = [merger.os.segments[s] for b in self.old_blocks for s in b.segments]
        news = [merger.ns.segments[s] for b in self.new_blocks for s in b.segments]
        tgts = [merger.ot.segments[s] for b in self.tgt_blocks for s in b.segments]
        if self.same_kind and len(self.tgt_blocks) > 1:
            # one source block linked to several target blocks: merge into the one shaped like it and
            # leave the others (target-only additions the link swallowed) as they are
            alike = [b for b in self.tgt_blocks if b.kind == self.old_blocks[0].kind and len(b.segments) == len(olds)]
            if len(alike) == 1:
                tgts = [merger.ot.segments[s] for s in alike[0].segments]
        return olds, news, tgts

    def trailing(self) -> str:
        """The tail, without its leading blank lines when the body is gone (or "" when all blank)."""
        return self.tail.lstrip("\r\n") if self.tail.strip() else ""


def rule_deleted(merger: _Merger, unit: UnitState) -> bool:
    """Every source block of the unit is gone: drop its translation, keep target-only blocks after it."""
    if unit.alive:
        return False
    note = "target-only blocks after it kept" if unit.tail.strip() else ""
    record = Record(STATUS_DELETED, False, unit.old_text, None, unit.body, None, note, anchor=len(merger.parts))
    merger.records.append(record)
    merger.collect_orphans(unit, record)
    merger.parts.append(unit.trailing())
    return True


def rule_unchanged(merger: _Merger, unit: UnitState) -> bool:
    """Unchanged (or only moved) source: the old translation byte for byte."""
    if len(unit.alive) != len(unit.link.src) or not unit.kinds <= {UNCHANGED, MOVED}:
        return False
    status = STATUS_MOVED if any(m.moved for m in unit.alive) else KEPT
    merger._emit(unit.body, Record(status, False, unit.old_text, unit.new_text, unit.body, unit.body))
    merger.parts.append(unit.tail)
    return True


def rule_code_or_math(merger: _Merger, unit: UnitState) -> bool:
    """No prose on either side (code, math, structure): the new source merged line by line."""
    if any(b.segments for b in unit.old_blocks + unit.new_blocks):
        return False
    new_text = unit.new_text
    merged = merge_code(unit.old_text, new_text, unit.body)
    notes = ["code/math updated from the new source"]
    if merged.kept:
        notes.append(f"{merged.kept} translated line(s) kept")
    if merged.updated:
        notes.append(f"{merged.updated} translated line(s) given the new code")
    for _source, line, why in merged.lost:
        notes.append(f"translated line not carried over ({why}): {line.strip()}")
    record = Record(PROPAGATED, bool(merged.lost), unit.old_text, new_text, unit.body, merged.text, "; ".join(notes))
    merger._emit(merged.text, record)
    merger.orphans.extend((source, line, record) for source, line, why in merged.lost if why.endswith("removed"))
    merger.parts.append(unit.tail)
    return True


def rule_segments_one_to_one(merger: _Merger, unit: UnitState) -> bool:
    """As many segments in the old source, the new source and the translation: merge them pairwise."""
    olds, news, tgts = unit.segments(merger)
    if not (tgts and len(olds) == len(news) == len(tgts)
            and (unit.same_kind or len(unit.old_blocks) == len(unit.new_blocks))):
        return False
    _merge_groups(merger, unit, [([o], [n], t) for o, n, t in zip(olds, news, tgts, strict=True)])
    return True


def rule_one_target_segment(merger: _Merger, unit: UnitState) -> bool:
    """The translation is one segment and the new source one block: merge everything into it."""
    olds, news, tgts = unit.segments(merger)
    if not (len(tgts) == 1 and olds and news and len(unit.new_blocks) == 1):
        return False
    _merge_groups(merger, unit, [(olds, news, tgts[0])])
    return True


def rule_list_items(merger: _Merger, unit: UnitState) -> bool:
    """A list or table gained or lost items: the new block's layout, the old items' translations."""
    olds, news, tgts = unit.segments(merger)
    if not (unit.same_kind and len(olds) == len(tgts) > 1):
        return False
    merger.parts.append(merger._merge_items(olds, news, tgts, unit.new_blocks[0]))
    merger.parts.append(unit.tail)
    return True


def rule_rewritten(merger: _Merger, unit: UnitState) -> bool:
    """Anything else: the old translation is reported deleted and the new blocks translated anew."""
    record = Record(STATUS_DELETED, False, unit.old_text, None, unit.body, None, "rewritten: translated anew below",
                    anchor=len(merger.parts))
    merger.records.append(record)
    merger.collect_orphans(unit, record)
    for block in unit.new_blocks:
        merger._added_block(block.index)
    merger.parts.append(unit.trailing())
    return True


def _merge_groups(merger: _Merger, unit: UnitState, groups: list[tuple[list[Segment], list[Segment], Segment]]) -> None:
    replacements = {target.index: merger._merge_segment(olds, news, target) for olds, news, target in groups}
    framed = _merge_frame(merger, unit, groups[0][2].block) if len(unit.old_blocks) == len(unit.new_blocks) == 1 else None
    if framed is None:
        merger.parts.append(_render_range(merger.ot, unit.start, unit.end, replacements))
    else:
        head, tail, block = framed
        first, last = merger.ot.block_segments(block)[0], merger.ot.block_segments(block)[-1]
        merger.parts.append(merger.ot.text[unit.start : block.start] + head)
        merger.parts.append(_render_range(merger.ot, first.start, last.end, replacements))
        merger.parts.append(tail + merger.ot.text[block.end : unit.end])
    merger.parts.append(unit.tail)


def frame(doc: Document, block: Block) -> tuple[str, str]:
    """The structure around a block's prose: what comes before its first segment (``:begin_tab:`` line,
    heading marks, list marker) and after its last one (``:label:`` and ``:end_tab:`` lines...)."""
    segments = doc.block_segments(block)
    if not segments:
        return block.text, ""
    return doc.text[block.start : segments[0].start], doc.text[segments[-1].end : block.end]


def _merge_frame(merger: _Merger, unit: UnitState, target_block: int) -> tuple[str, str, Block] | None:
    """Tab wrappers and labels the source added, removed or renamed around a paragraph, carried into
    its translation (a line merge of the structure before and after the prose); None when unchanged."""
    old_head, old_tail = frame(merger.os, unit.old_blocks[0])
    new_head, new_tail = frame(merger.ns, unit.new_blocks[0])
    if (old_head, old_tail) == (new_head, new_tail) or not unit.new_blocks[0].segments:
        return None
    block = merger.ot.blocks[target_block]
    tgt_head, tgt_tail = frame(merger.ot, block)
    head, tail = merge_code(old_head, new_head, tgt_head), merge_code(old_tail, new_tail, tgt_tail)
    lost = head.lost + tail.lost
    notes = ["structure around the paragraph updated from the new source"]
    notes += [f"translated structure line not carried over ({why}): {line.strip()}" for _s, line, why in lost]
    merger.records.append(Record(PROPAGATED, bool(lost), old_head + "…" + old_tail, new_head + "…" + new_tail,
                                 tgt_head + "…" + tgt_tail, head.text + "…" + tail.text, "; ".join(notes),
                                 anchor=len(merger.parts)))
    return head.text, tail.text, block


UnitRule = Callable[[_Merger, UnitState], bool]

#: The unit rules, in the order they are tried (the last one always applies).
UNIT_RULES: list[tuple[str, UnitRule]] = [
    ("deleted", rule_deleted),
    ("unchanged", rule_unchanged),
    ("code_or_math", rule_code_or_math),
    ("segments_one_to_one", rule_segments_one_to_one),
    ("one_target_segment", rule_one_target_segment),
    ("list_items", rule_list_items),
    ("rewritten", rule_rewritten),
]


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


_CJK_EDGE = UNSPACED_RE


def _joiner(before: str, after: str, joiner: str) -> str:
    """No space between CJK sentences; a space where either side is Latin text (e.g. kept English)."""
    if joiner == "" and before and after and not (_CJK_EDGE.match(before[-1]) or _CJK_EDGE.match(after[0])):
        return " "
    return joiner


def _const(text: str) -> Callable[[], str]:
    return lambda: text


def _propagation_note(change) -> str:  # noqa: ANN001
    parts = [f"{old} -> {new}" for old, new, _ in change.replaced]
    note = "tokens: " + ", ".join(parts) if parts else ""
    if change.slide_removed:
        note += "; slide marks removed"
    return note or "re-wrapped"


def _gap_after(doc: Document, index: int) -> str:
    """The blank lines after block ``index`` in ``doc`` (how an inserted block is separated)."""
    following = doc.blocks[index + 1] if index + 1 < len(doc.blocks) else None
    if following is not None and following.kind == "blank":
        return following.text
    return "\n" if doc.blocks[index].text.endswith("\n") else "\n\n"


def _render_range(doc: Document, start: int, end: int, replacements: dict[int, Callable[[], str]]) -> Callable[[], str]:
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


def merge_documents(
    old_source: str,
    new_source: str,
    old_target: str,
    translator: AdaptiveTranslator | None,
    src: str = "en",
    tgt: str = "zh",
    *,
    check: bool = True,
) -> MergeResult:
    """Build the new translation of ``new_source`` from ``old_target`` (translation of ``old_source``).

    With ``check`` (always, in sync) the conservation check runs on the result: it raises
    :class:`~amts.sync.conserve.ConservationError` if a piece of the old translation would vanish
    without a report segment accounting for it.
    """
    merger = _Merger(old_source, new_source, old_target, src, tgt)
    calls_before = translator.engine_calls if translator else 0
    if old_source == new_source:
        return MergeResult(old_target, _all_kept(merger), 0, _words_full(merger.ns))
    merger.run()
    merger.translate(translator)
    text = merger.render()
    if check:
        check_conservation(old_source, new_source, old_target, text, merger.records, tgt, merger.os, merger.ot)
    calls = (translator.engine_calls - calls_before) if translator else 0
    return MergeResult(text, merger.records, calls, _words_full(merger.ns), merger.ot.warnings + merger.ns.warnings,
                       merger.renames)


def _all_kept(merger: _Merger) -> list[Record]:
    """Nothing changed: one kept record per unit, for a complete report without any work."""
    merger._build_units()
    out: list[Record] = []
    for link, (start, end) in merger.span_of.items():
        body = merger.ot.text[start:end]
        source = "".join(merger.os.blocks[i].text for i in link.src)
        out.append(Record(KEPT, False, source, source, body, body, output_line=merger.ot.text.count("\n", 0, start) + 1))
    return out


def _words_full(doc: Document) -> int:
    return sum(words(segment.text) for segment in doc.segments)
