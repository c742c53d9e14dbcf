"""What changed between two versions of a source document, block by block and sentence by sentence.

Blocks are compared on keys with wrapping folded, so re-wrapping a paragraph is no change. Inside a
run of differing blocks, old and new blocks are paired by similarity (in order); a block that vanished
in one place and reappears identical elsewhere is *moved*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from rapidfuzz import fuzz

from amts.document import Block, Document, normalize_space
from amts.sync.tokens import TokenChange, prose_fingerprint, token_change


class Change(StrEnum):
    """How a block or sentence changed between two source versions."""

    UNCHANGED = "unchanged"
    MECHANICAL = "mechanical"  # only math, code, roles, links, slide marks, numbers changed
    MODIFIED = "modified"
    ADDED = "added"
    DELETED = "deleted"
    MOVED = "moved"


UNCHANGED, MECHANICAL, MODIFIED, ADDED, DELETED, MOVED = Change

PAIR_THRESHOLD = 0.5
MOVE_THRESHOLD = 0.8


@dataclass
class BlockChange:
    """One entry of the block diff: ``old``/``new`` are block indices (None when absent)."""

    kind: str
    old: int | None
    new: int | None
    moved: bool = False  # paired across other blocks (kind then says how its text changed)


def block_key(block: Block, lang: str) -> str:
    if block.kind == "code":
        return block.text.rstrip("\n")
    return normalize_space(block.text, lang)


def diff_blocks(old: Document, new: Document, lang: str) -> list[BlockChange]:
    """Changes in new-document order; deleted blocks are placed where they used to be."""
    old_blocks = [b for b in old.blocks if b.kind != "blank"]
    new_blocks = [b for b in new.blocks if b.kind != "blank"]
    old_keys = [block_key(b, lang) for b in old_blocks]
    new_keys = [block_key(b, lang) for b in new_blocks]
    changes: list[BlockChange] = []
    matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            changes.extend(BlockChange(UNCHANGED, old_blocks[i].index, new_blocks[j].index)
                           for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
            continue
        pairs = _pair_by_similarity(old_blocks[i1:i2], new_blocks[j1:j2], lang)
        changes.extend(_region_changes(old_blocks[i1:i2], new_blocks[j1:j2], pairs, old, new, lang))
    _find_moves(changes, old, new, lang)
    return changes


def _similarity(a: Block, b: Block, lang: str) -> float:
    if (a.kind == "code") != (b.kind == "code") or bool(a.segments) != bool(b.segments):
        return 0.0
    score = fuzz.ratio(block_key(a, lang), block_key(b, lang)) / 100.0
    if a.kind == "code" and a.text.split("\n", 2)[:2] != b.text.split("\n", 2)[:2]:
        score *= 0.8  # probably another notebook cell (other fence info or #@tab line)
    return score


def _pair_by_similarity(olds: Sequence[Block], news: Sequence[Block], lang: str) -> list[tuple[int, int]]:
    """Monotonic pairing maximising total similarity above the threshold (small DP over one region)."""
    if not olds or not news:
        return []
    return pair_matrix([[_similarity(a, b, lang) for b in news] for a in olds])


def _region_changes(olds, news, pairs, old: Document, new: Document, lang: str) -> list[BlockChange]:  # noqa: ANN001
    out: list[BlockChange] = []
    i = j = 0
    for pi, pj in [*pairs, (len(olds), len(news))]:
        out.extend(BlockChange(DELETED, olds[k].index, None) for k in range(i, pi))
        out.extend(BlockChange(ADDED, None, news[k].index) for k in range(j, pj))
        if pi < len(olds) and pj < len(news):
            out.append(BlockChange(classify_pair(olds[pi], news[pj], lang), olds[pi].index, news[pj].index))
        i, j = pi + 1, pj + 1
    return out


def classify_pair(old_block: Block, new_block: Block, lang: str) -> str:
    """unchanged (up to wrapping) / mechanical / modified, for two blocks known to correspond."""
    if block_key(old_block, lang) == block_key(new_block, lang):
        return UNCHANGED
    if not old_block.segments or not new_block.segments:
        return MECHANICAL  # code, math, structure: the new source's own text is the answer
    return classify_text(old_block.text, new_block.text, lang)


def classify_text(old_text: str, new_text: str, lang: str) -> str:
    if normalize_space(old_text, lang) == normalize_space(new_text, lang):
        return UNCHANGED
    return MECHANICAL if mechanical_change(old_text, new_text) is not None else MODIFIED


def mechanical_change(old_text: str, new_text: str) -> TokenChange | None:
    """The token change from ``old_text`` to ``new_text`` when it is mechanical (same prose, only
    tokens replaced), else None; for texts already known to differ beyond wrapping."""
    if prose_fingerprint(old_text) != prose_fingerprint(new_text):
        return None
    change = token_change(old_text, new_text)
    return change if change.mechanical else None


def _find_moves(changes: list[BlockChange], old: Document, new: Document, lang: str) -> None:
    """Pair a deleted block with an added block of identical text: the block moved."""
    deleted: dict[str, list[BlockChange]] = {}
    for change in changes:
        if change.kind == DELETED and change.old is not None:
            deleted.setdefault(block_key(old.blocks[change.old], lang), []).append(change)
    for change in changes:
        if change.kind != ADDED or change.new is None:
            continue
        candidates = deleted.get(block_key(new.blocks[change.new], lang))
        if candidates:
            gone = candidates.pop(0)
            change.kind, change.old, change.moved = MOVED, gone.old, True
            changes.remove(gone)
    # moved and edited: a deleted and an added paragraph that are nearly the same text
    left = [c for c in changes if c.kind == DELETED and c.old is not None and old.blocks[c.old].segments]
    for change in changes:
        if change.kind != ADDED or change.new is None or not new.blocks[change.new].segments or not left:
            continue
        block = new.blocks[change.new]
        scored = [(_similarity(old.blocks[c.old], block, lang), n) for n, c in enumerate(left)]  # type: ignore[index]
        score, best = max(scored)
        if score >= MOVE_THRESHOLD:
            gone = left.pop(best)
            change.kind = classify_pair(old.blocks[gone.old], block, lang)  # type: ignore[index]
            change.old, change.moved = gone.old, True
            changes.remove(gone)


def diff_sentences(old: Sequence[str], new: Sequence[str], lang: str) -> list[tuple[str, int | None, int | None]]:
    """Sentence-level changes (kind, old index, new index) in new order; kinds as for blocks."""
    out: list[tuple[str, int | None, int | None]] = []
    matcher = SequenceMatcher(None, [normalize_space(s, lang) for s in old],
                              [normalize_space(s, lang) for s in new], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend((UNCHANGED, i, j) for i, j in zip(range(i1, i2), range(j1, j2), strict=True))
            continue
        sim = [[fuzz.ratio(old[i], new[j]) / 100.0 for j in range(j1, j2)] for i in range(i1, i2)]
        pairs = pair_matrix(sim)
        i, j = 0, 0
        for pi, pj in [*pairs, (i2 - i1, j2 - j1)]:
            out.extend((DELETED, i1 + k, None) for k in range(i, pi))
            out.extend((ADDED, None, j1 + k) for k in range(j, pj))
            if pi < i2 - i1 and pj < j2 - j1:
                out.append((classify_text(old[i1 + pi], new[j1 + pj], lang), i1 + pi, j1 + pj))
            i, j = pi + 1, pj + 1
    return out


def pair_matrix(sim: list[list[float]]) -> list[tuple[int, int]]:
    n = len(sim)
    m = len(sim[0]) if n else 0
    if not n or not m:
        return []
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = sim[i][j] + best[i + 1][j + 1] if sim[i][j] >= PAIR_THRESHOLD else -1.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if sim[i][j] >= PAIR_THRESHOLD and best[i][j] == sim[i][j] + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs
