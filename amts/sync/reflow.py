"""Paragraphs whose words stayed but whose breaks moved: a unit of the old translation continued, whole,
by a run of new blocks (a paragraph split in two, a list item turned into paragraphs...).

The block diff sees such a split as a modified block and an added one, and the merge would send the
moved sentences to the engine. Found here first, by content (the run's sentences are exactly the unit's,
in order), the unit keeps its translation: cut at the new paragraph breaks where the sentence alignment
has a break there and each piece could stand alone (:func:`amts.sync.placement.credible`), else whole.
"""

from __future__ import annotations

from collections.abc import Iterator

from amts.document import Block, normalize_space
from amts.sync.aligning import Link
from amts.sync.diff import ADDED, DELETED, MOVED, UNCHANGED, BlockChange
from amts.sync.placement import credible, group_spans
from amts.sync.sentence_rules import old_sentence_links
from amts.sync.state import KEPT, MergeState, Record, Reflow, Unit, source_sentences

#: the most new blocks one unit is followed into
MAX_BLOCKS = 8


def find_reflows(state: MergeState, changes: list[BlockChange]) -> dict[int, Link]:
    """Runs of consecutive units (one paragraph split, several joined) whose sentences are exactly those
    of a run of consecutive new blocks, each added or continuing one of them. Kept in ``state.reflowed``
    (by the first unit) and ``state.reflow_of`` (each unit -> the first); returns new block -> first unit."""
    status = {c.old: c for c in changes if c.old is not None}
    free = {c.new for c in changes if c.kind == ADDED and c.new is not None}
    units = sorted(state.span_of, key=lambda link: min(link.src))
    changed = [not all(x is not None and x.kind in (UNCHANGED, MOVED) and not x.moved
                       for x in (status.get(i) for i in link.src)) for link in units]
    claimed: dict[int, Link] = {}
    finder = _Finder(state)
    k = 0
    while k < len(units):
        found = finder.reflow_from(units, changed, k, status, free - set(claimed)) if changed[k] else None
        if found is None:
            k += 1
            continue
        state.reflowed[found.units[0]] = found
        state.reflow_of.update({unit: found.units[0] for unit in found.units})
        claimed.update({block: found.units[0] for block in found.blocks})
        k += len(found.units)
    # an old block the translation never had, only laid out anew: its new blocks stay out as it did
    for link in sorted({link for link in state.link_of.values() if link.src and not link.tgt}, key=lambda x: x.src):
        members = [status.get(i) for i in link.src]
        if all(x is not None and x.kind in (UNCHANGED, MOVED) for x in members):
            continue
        found = finder.reflow_from([link], [True], 0, status, free - set(claimed))
        if found is not None:
            state.reflow_of[link] = link
            claimed.update({block: link for block in found.blocks})
    return claimed


class _Finder:
    """The sentences of old and new blocks (each cut once) and where each new sentence starts a block."""

    def __init__(self, state: MergeState) -> None:
        self.state = state
        self.prose = [b for b in state.ns.blocks if b.kind != "blank"]
        self._old: dict[int, list[str]] = {}
        self._new: dict[int, list[str]] = {}
        self.starting: dict[str, list[int]] = {}  # first sentence -> positions in ``prose``
        for k, block in enumerate(self.prose):
            if block.segments and self.new(block.index):
                self.starting.setdefault(self.new(block.index)[0], []).append(k)

    def old(self, index: int) -> list[str]:
        if index not in self._old:
            self._old[index] = _sentences(self.state, [self.state.os.blocks[index]], self.state.os)
        return self._old[index]

    def new(self, index: int) -> list[str]:
        if index not in self._new:
            self._new[index] = _sentences(self.state, [self.state.ns.blocks[index]], self.state.ns)
        return self._new[index]

    def reflow_from(self, units: list[Link], changed: list[bool], k: int, status: dict,  # noqa: ANN001
                    free: set[int]) -> Reflow | None:
        """The reflow of ``units[k]`` and the fewest units after it, if any."""
        sentences: list[str] = []
        own: set[int] = set()
        for m in range(k, min(k + MAX_BLOCKS, len(units))):
            if not changed[m]:
                return None  # a unit the new source keeps as it was is no part of a reflow
            link = units[m]
            members = [status.get(i) for i in link.src]
            own |= {x.new for x in members if x is not None and x.kind != DELETED and x.new is not None}
            sentences += [s for i in link.src for s in self.old(i)]
            if len(sentences) < 2:
                continue
            olds = [i for unit in units[k : m + 1] for i in unit.src]
            structure = _structure(self.state.os, olds)
            for run in self.runs_of(sentences, own | free):
                if (m > k or len(run) != len(olds)) and _structure(self.state.ns, run) == structure:
                    return Reflow(units[k : m + 1], run)
        return None

    def runs_of(self, sentences: list[str], allowed: set[int]) -> Iterator[list[int]]:
        """Runs of consecutive new blocks (all in ``allowed``) whose sentences are ``sentences``: blocks
        of structure only (a ``:begin_tab:`` line) may stand between them, and after them."""
        for k in self.starting.get(sentences[0], []):
            found: list[str] = []
            run: list[int] = []
            for nxt in self.prose[k : k + MAX_BLOCKS]:
                if nxt.index not in allowed or found != sentences[: len(found)]:
                    break
                run.append(nxt.index)
                if len(found) == len(sentences) and not nxt.segments:
                    yield list(run)  # with the structure that closes it
                found += self.new(nxt.index)
                if found == sentences and nxt.segments:
                    yield list(run)


def _sentences(state: MergeState, blocks: list[Block], doc) -> list[str]:  # noqa: ANN001
    return [normalize_space(s, state.src) for b in blocks for seg in doc.block_segments(b)
            for s in source_sentences(seg, state.src)]


def _structure(doc, blocks: list[int]) -> list[str]:  # noqa: ANN001
    """What the blocks hold besides their prose (tab markers, labels, list markers...), line by line:
    a layout change keeps it, so the translation's own structure stays right."""
    out: list[str] = []
    for index in blocks:
        block, pos = doc.blocks[index], doc.blocks[index].start
        rest = []
        for segment in doc.block_segments(block):
            rest.append(doc.text[pos : segment.start])
            pos = segment.end
        rest.append(doc.text[pos : block.end])
        out += [line.strip() for line in "".join(rest).splitlines() if line.strip()]
    return out


def rule_reflowed(state: MergeState, unit: Unit) -> bool:
    """The unit's sentences (and those of the units after it it was joined with) continue, unchanged, in a
    run of new blocks: the translation is kept, cut at the new paragraph breaks where it can be."""
    reflow = state.reflowed.get(unit.link)
    if reflow is None:
        return False
    new_blocks = [state.ns.blocks[b] for b in reflow.blocks]
    if len(reflow.units) == 1:
        cut = _cut(state, unit, new_blocks)
        text, tail = cut or unit.body, unit.tail
        note = "paragraph breaks changed: translation " + ("cut at the new breaks" if cut else "kept whole")
    else:  # joined: each unit's translation with what followed it, in the old layout
        units = [unit, *(Unit.of(state, link, [], []) for link in reflow.units[1:])]
        text = "".join(u.body + u.tail for u in units[:-1]) + units[-1].body
        tail = units[-1].tail
        note = "paragraphs joined: their translations kept, in their old paragraphs"
    old_text = "".join(state.os.blocks[i].text for link in reflow.units for i in link.src)
    body = unit.body if len(reflow.units) == 1 else text
    state.emit(text, Record(KEPT, False, old_text, "".join(b.text for b in new_blocks), body, text, note))
    state.append(tail)
    return True


def _cut(state: MergeState, unit: Unit, new_blocks: list[Block]) -> str | None:
    """The unit's body with its one translated paragraph cut where the new source breaks it, or None
    when a break falls inside a sentence group or a piece would not stand on its own."""
    olds = [state.os.segments[s] for b in unit.old_blocks for s in b.segments]
    tgts = [state.ot.segments[s] for b in unit.tgt_blocks for s in b.segments]
    if len(olds) != 1 or len(tgts) != 1 or tgts[0].continuation or tgts[0].kind != "paragraph":
        return None
    target, t_sents = tgts[0], tgts[0].sentences(state.tgt)
    sentences = _sentences(state, unit.old_blocks, state.os)
    spans = sorted(group_spans(old_sentence_links(state, olds, target)).items())
    pieces: list[str] = []
    start = 0
    for block in new_blocks:
        end = start + len(_sentences(state, [block], state.ns))
        inside = [(src, span) for src, span in spans if src[0] >= start and src[-1] < end]
        if sum(len(src) for src, _ in inside) != end - start:
            return None  # a group straddles the break, or sentences have no translation
        first, last = inside[0][1][0], inside[-1][1][1]
        piece = target.text[t_sents[first].start : t_sents[last].end]
        if not credible(" ".join(sentences[start:end]), piece, state.src, state.tgt):
            return None
        pieces.append(piece)
        start = end
    if any(b[1][0] != a[1][1] + 1 for a, b in zip(spans, spans[1:], strict=False)):
        return None  # target sentences between groups would be lost
    gaps = [state.ns.text[a.end : b.start] for a, b in zip(new_blocks, new_blocks[1:], strict=False)]
    body_start = state.ot.text[unit.start : target.start] + target.text[: t_sents[0].start]
    body_end = target.text[t_sents[-1].end :] + state.ot.text[target.end : unit.end]
    out = body_start + pieces[0]
    for gap, piece in zip(gaps, pieces[1:], strict=True):
        out += "\n" + gap + piece
    return out + body_end
