"""Tab blocks the translators wrote before the source had them.

Translations of d2lbook books often carry a framework's tab block (``:begin_tab:`pytorch` ... :end_tab:``)
that their old source did not have: the translators followed a later English edition. The old source
has no block for it, so it travels as a target-only block after its neighbour. When the new source adds
a tab block for the same framework right there, that block is the translation of the added one:
adopted (written in its place, flagged for review against the new English) instead of the new block
being translated again beside it -- which gave the output two tab blocks for one framework.
"""

from __future__ import annotations

from amts.align.evidence import features_of
from amts.document import Block
from amts.document.markup import BEGIN_TAB_LINE_RE, BEGIN_TAB_RE
from amts.sync.aligning import Link
from amts.sync.diff import ADDED, DELETED, BlockChange
from amts.sync.placement import credible
from amts.sync.state import FUZZY, STATUS_DELETED, MergeState, Record, Unit


def find_adoptions(state: MergeState, changes: list[BlockChange]) -> None:
    """Pair each target-only tab block after a unit with a tab block for the same framework that the
    new source adds right after that unit's block; the pairs go to ``state.adopted`` and leave the tail."""
    added = {c.new for c in changes if c.kind == ADDED and c.new is not None}
    new_of = {c.old: c.new for c in changes if c.old is not None and c.new is not None and c.kind != DELETED}
    new_blocks = [b for b in state.ns.blocks if b.kind != "blank"]
    position = {b.index: k for k, b in enumerate(new_blocks)}
    for link, (_start, end) in state.span_of.items():
        tail = state.tail_of[link]
        own = [new_of[i] for i in link.src if i in new_of]
        if not own or not BEGIN_TAB_RE.search(tail):
            continue
        waiting = _tab_blocks([b for b in state.ot.blocks if end <= b.start and b.end <= end + len(tail)])
        following = []
        for block in new_blocks[position[max(own)] + 1 :]:
            if block.index not in added:
                break
            following.append(block)
        for block in _tab_blocks(following):
            match = next((t for t in waiting if _marker(t) == _marker(block)), None)
            if match is not None:
                waiting.remove(match)
                _adopt(state, block, match, link)
    _adopt_by_content(state, added)


def _adopt(state: MergeState, block: Block, theirs: Block, link: Link) -> None:
    state.adopted[block.index] = theirs
    state.tail_of[link] = _without(state.tail_of[link], theirs.text)


def _adopt_by_content(state: MergeState, added: set[int]) -> None:
    """An added tab block not right after the translators' one for it: adopted where the translators'
    block translates it (the same framework, and the evidence an alignment needs)."""
    adopted = {b.index for b in state.adopted.values()}
    waiting: list[tuple[Block, Link]] = []
    for link, (_start, end) in state.span_of.items():
        tail = state.tail_of[link]
        if BEGIN_TAB_RE.search(tail):
            blocks = [b for b in state.ot.blocks if end <= b.start and b.end <= end + len(tail)]
            waiting += [(b, link) for b in _tab_blocks(blocks) if b.index not in adopted]
    if not waiting:
        return
    for block in _tab_blocks([state.ns.blocks[i] for i in sorted(added) if i not in state.adopted]):
        prose = " ".join(s.text for s in state.ns.block_segments(block))
        for theirs, link in waiting:
            translation = " ".join(s.text for s in state.ot.block_segments(theirs))
            if (_marker(theirs) == _marker(block) and credible(prose, translation, state.src, state.tgt)
                    and _terms_from(prose, translation, state)):
                waiting.remove((theirs, link))
                _adopt(state, block, theirs, link)
                break


def _terms_from(source: str, translation: str, state: MergeState) -> bool:
    """Whether the translation shares the source's terms: some Latin word of it is the source's, and none
    is foreign to it (translators keep the source's English terms, not another paragraph's)."""
    kept = features_of(translation, state.tgt).words
    return bool(kept) and kept <= features_of(source, state.src).words


def _tab_blocks(blocks: list[Block]) -> list[Block]:
    return [b for b in blocks if b.segments and BEGIN_TAB_LINE_RE.match(_marker(b))]


def _marker(block: Block) -> str:
    return block.text.split("\n", 1)[0].strip()


def _without(tail: str, text: str) -> str:
    """``tail`` without ``text`` and the blank lines after it."""
    at = tail.find(text)
    if at < 0:
        return tail
    rest = tail[at + len(text) :]
    return tail[:at] + rest.lstrip("\n") if rest.strip() else tail[:at] + rest


def rule_translators_tab(state: MergeState, unit: Unit) -> bool:
    """The unit's block became a tab block for a framework its old source had no block for, and the
    translators already wrote one for that framework (a target-only block after the unit): theirs is the
    translation (fuzzy, to check); the unit's own translation, for another framework, goes (reported)."""
    if len(unit.new_blocks) != 1 or not unit.new_blocks[0].segments:
        return False
    marker = _marker(unit.new_blocks[0])
    if not BEGIN_TAB_LINE_RE.match(marker) or any(_marker(b) == marker for b in unit.old_blocks):
        return False
    tail_blocks = [b for b in state.ot.blocks if unit.end <= b.start and b.end <= unit.end + len(unit.tail)]
    theirs = next((b for b in _tab_blocks(tail_blocks) if _marker(b) == marker), None)
    if theirs is None:
        return False
    state.report(Record(STATUS_DELETED, False, unit.old_text, None, unit.body, None,
                        "the translators' own block for this tab takes its place", anchor=state.anchor))
    state.emit(theirs.text, Record(FUZZY, True, unit.old_text, unit.new_text, theirs.text, theirs.text,
                                   "the translators' block for this tab, written before the source had it: "
                                   "check it against the new source"))
    state.append(_without(unit.tail, theirs.text))
    return True
