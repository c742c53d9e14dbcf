"""Tab blocks the translators wrote before the source had them.

Translations of d2lbook books often carry a framework's tab block (``:begin_tab:`pytorch` ... :end_tab:``)
that their old source did not have: the translators followed a later English edition. The old source
has no block for it, so it travels as a target-only block after its neighbour. When the new source adds
a tab block for the same framework right there, that block is the translation of the added one:
adopted (written in its place, flagged for review against the new English) instead of the new block
being translated again beside it -- which gave the output two tab blocks for one framework.
"""

from __future__ import annotations

from amts.document import Block
from amts.document.markup import BEGIN_TAB_LINE_RE, BEGIN_TAB_RE
from amts.sync.diff import ADDED, DELETED, BlockChange
from amts.sync.state import MergeState


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
                state.adopted[block.index] = match
                state.tail_of[link] = _without(state.tail_of[link], match.text)


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
