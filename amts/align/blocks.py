"""Align the blocks of a document with those of its translation, by content.

Two passes. First the *anchors* -- code, display math, figures, ``:label:`` lines and other
structure, which translation leaves (nearly) unchanged -- are matched by similarity with a
Needleman-Wunsch alignment. Then the prose blocks between two consecutive anchor pairs are aligned by
a Gale-Church style dynamic program whose cost also counts shared inline math, roles, code, link
targets, numbers and kept English terms (:mod:`amts.align.evidence`). Target-only additions (cells
and tabs for frameworks the source lacks, e.g. ``#@tab paddle``) are set aside first and linked 0:1.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from amts.align.dp import cheapest_path
from amts.align.evidence import (
    BLOCK_SHAPES,
    INLINE_EVIDENCE_RE,
    Features,
    Shape,
    features_of,
    length_model,
    link_cost,
)
from amts.document import Block, Document
from amts.document.markup import BEGIN_TAB_RE, END_TAB_RE, TAB_LINE_RE, TAB_MARKERS, tab_names

ANCHOR_MIN_SIMILARITY = 0.5
_NULL_PAIR_COST = BLOCK_SHAPES[1].prior + BLOCK_SHAPES[2].prior
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")
_LETTERS_RE = re.compile(r"[^\W\d_]")
PROSE_KINDS = frozenset({"heading", "paragraph", "list", "blockquote", "table", "html"})


@dataclass
class BlockLink:
    """Source blocks ``src`` are translated by target blocks ``tgt`` (indices into ``Document.blocks``).

    ``score`` is a confidence in [0, 1] (1:0 and 0:1 links score 0); ``shape`` is ``"len(src):len(tgt)"``.
    """

    src: list[int]
    tgt: list[int]
    score: float
    shape: str


def align_documents(src_doc: Document, tgt_doc: Document, src_lang: str, tgt_lang: str) -> list[BlockLink]:
    """Links covering every non-blank block of both documents, in document order."""
    src_tabs = _tabs_of(src_doc)
    target_only = _target_only_blocks(tgt_doc, src_tabs)
    src_items = [
        _Item.of(b, rank, src_doc, src_lang)
        for rank, b in enumerate(b for b in src_doc.blocks if b.kind != "blank")
    ]
    tgt_items = [
        _Item.of(b, rank, tgt_doc, tgt_lang)
        for rank, b in enumerate(b for b in tgt_doc.blocks if b.kind != "blank")
        if b.index not in target_only
    ]
    lengths = length_model(src_lang, tgt_lang)
    src_anchors = [item for item in src_items if item.anchor]
    tgt_anchors = [item for item in tgt_items if item.anchor]
    anchor_pairs = _match_anchors(src_anchors, tgt_anchors)

    links: list[BlockLink] = []
    src_pos = tgt_pos = 0  # positions in src_items / tgt_items
    src_rank = {item.block: n for n, item in enumerate(src_items)}
    tgt_rank = {item.block: n for n, item in enumerate(tgt_items)}
    for src_anchor, tgt_anchor, similarity in [*anchor_pairs, (None, None, 0.0)]:
        src_end = src_rank[src_anchor.block] if src_anchor else len(src_items)
        tgt_end = tgt_rank[tgt_anchor.block] if tgt_anchor else len(tgt_items)
        links.extend(_align_gap(src_items[src_pos:src_end], tgt_items[tgt_pos:tgt_end], lengths))
        if src_anchor and tgt_anchor:
            links.append(BlockLink([src_anchor.block], [tgt_anchor.block], round(similarity, 3), "1:1"))
        src_pos, tgt_pos = src_end + 1, tgt_end + 1
    return _interleave(links, [], sorted(target_only))


@dataclass
class _Item:
    """A non-blank block with what alignment needs to know about it."""

    block: int
    rank: int  # position among the document's non-blank blocks: adjacency for 2:1 / 1:2 links
    anchor: bool
    group: str  # anchors: code/math/figure/structure/...; prose: the block kind
    key: str  # anchors: normalised content compared by similarity
    tabs: frozenset[str]
    features: Features | None

    @classmethod
    def of(cls, block: Block, rank: int, doc: Document, lang: str) -> _Item:
        segments = doc.block_segments(block)
        is_figure = bool(segments) and all(s.kind == "caption" for s in segments)
        if block.kind in PROSE_KINDS and segments and not is_figure:
            text = "\n".join(s.text for s in segments)
            level = len(block.text) - len(block.text.lstrip("#")) if block.kind == "heading" else 0
            features = features_of(text, lang, block.kind, level, len(segments))
            return cls(block.index, rank, False, block.kind, "", frozenset(), features)
        if block.kind == "structure" and _has_prose(block.text):
            # A paragraph line that starts with a role (":numref:`x` shows ...") is read as structure
            # by the document model; it is still prose for alignment.
            features = features_of(block.text, lang, "paragraph")
            return cls(block.index, rank, False, "paragraph", "", frozenset(), features)
        if is_figure:
            return cls(block.index, rank, True, "figure", " ".join(_IMAGE_RE.findall(block.text)), frozenset(), None)
        if block.kind == "code":
            return cls(block.index, rank, True, "code", _code_key(block.text), _code_tabs(block.text), None)
        return cls(block.index, rank, True, block.kind, "".join(block.text.split()), frozenset(), None)


def _code_key(text: str) -> str:
    """Code without fences, comments and indentation: what translators leave alone."""
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")) or (stripped.startswith("#") and not stripped.startswith("#@")):
            continue
        kept.append(stripped)
    return " ".join(kept)


def _code_tabs(text: str) -> frozenset[str]:
    if not any(marker in text for marker in TAB_MARKERS):
        return frozenset()
    return frozenset(t for line in TAB_LINE_RE.findall(text) for t in tab_names(line))


def _has_prose(text: str) -> bool:
    """Whether ``text`` has words once roles, math and code are removed (three or more letters)."""
    return len(_LETTERS_RE.findall(INLINE_EVIDENCE_RE.sub(" ", text))) >= 3


def _tabs_of(doc: Document) -> set[str]:
    tabs = {t for line in TAB_LINE_RE.findall(doc.text) for t in tab_names(line)}
    tabs.update(t for spec in BEGIN_TAB_RE.findall(doc.text) for t in tab_names(spec))
    return tabs


def _target_only_blocks(tgt_doc: Document, src_tabs: set[str]) -> set[int]:
    """Blocks for frameworks only the target has: ``#@tab paddle`` cells, ``:begin_tab:`paddle``` runs."""
    extra = _tabs_of(tgt_doc) - src_tabs - {"all"}
    if not extra:
        return set()
    found: set[int] = set()
    inside = False
    for block in tgt_doc.blocks:
        if block.kind == "blank":
            continue
        if block.kind == "code":
            tabs = _code_tabs(block.text)
            if tabs and tabs <= extra:
                found.add(block.index)
            continue
        begin = BEGIN_TAB_RE.search(block.text)
        if begin and set(tab_names(begin.group(1))) <= extra:
            inside = True
        if inside:
            found.add(block.index)
            if END_TAB_RE.search(block.text[begin.end() if begin else 0 :]):
                inside = False
    return found


def _anchor_similarities(src: list[_Item], tgt: list[_Item]) -> dict[tuple[int, int], float]:
    """Similarity in [0, 1] of every same-group anchor pair at or above the threshold."""
    sims: dict[tuple[int, int], float] = {}
    if not src or not tgt:
        return sims
    matrix = process.cdist(
        [item.key for item in src], [item.key for item in tgt], scorer=fuzz.ratio,
        score_cutoff=ANCHOR_MIN_SIMILARITY * 100, dtype=np.uint8,
    )
    for i, j in zip(*np.nonzero(matrix), strict=True):
        a, b = src[i], tgt[j]
        if a.group != b.group:
            continue
        similarity = 1.0 if a.key == b.key else matrix[i, j] / 100
        if a.tabs != b.tabs:
            if a.tabs and b.tabs and not (a.tabs & b.tabs) and "all" not in a.tabs | b.tabs:
                continue
            similarity -= 0.15
        if similarity >= ANCHOR_MIN_SIMILARITY:
            sims[int(i), int(j)] = similarity
    return sims


def _match_anchors(src: list[_Item], tgt: list[_Item]) -> list[tuple[_Item, _Item, float]]:
    """Monotone matching of anchors maximising total similarity above the threshold."""
    n, m = len(src), len(tgt)
    sims = _anchor_similarities(src, tgt)
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]  # 0 diag, 1 skip src, 2 skip tgt
    for i in range(1, n + 1):
        row, prev = score[i], score[i - 1]
        for j in range(1, m + 1):
            best, how = prev[j], 1
            if row[j - 1] > best:
                best, how = row[j - 1], 2
            similarity = sims.get((i - 1, j - 1))
            if similarity is not None:
                gain = prev[j - 1] + similarity - ANCHOR_MIN_SIMILARITY + 0.01
                if gain > best:
                    best, how = gain, 0
            row[j], move[i][j] = best, how
    pairs: list[tuple[_Item, _Item, float]] = []
    i, j = n, m
    while i and j:
        how = move[i][j]
        if how == 0:
            pairs.append((src[i - 1], tgt[j - 1], sims[i - 1, j - 1]))
            i, j = i - 1, j - 1
        elif how == 1:
            i -= 1
        else:
            j -= 1
    pairs.reverse()
    return pairs


def _align_gap(src: list[_Item], tgt: list[_Item], lengths) -> list[BlockLink]:  # noqa: ANN001
    """Align the prose between two anchor pairs; unmatched anchors there become 1:0 / 0:1."""
    src_prose = [item for item in src if not item.anchor]
    tgt_prose = [item for item in tgt if not item.anchor]
    src_nulls = [item.block for item in src if item.anchor]
    tgt_nulls = [item.block for item in tgt if item.anchor]
    if not src_prose or not tgt_prose:
        links = [BlockLink([i.block], [], 0.0, "1:0") for i in src_prose]
        links += [BlockLink([], [i.block], 0.0, "0:1") for i in tgt_prose]
        links.sort(key=lambda link: (link.src or link.tgt)[0])
        return _interleave(links, src_nulls, tgt_nulls)
    src_merged = _merged_features(src_prose)
    tgt_merged = _merged_features(tgt_prose)

    def cost(i: int, j: int, shape: Shape) -> float:
        src_f = src_merged[shape.src][i] if shape.src else None
        tgt_f = tgt_merged[shape.tgt][j] if shape.tgt else None
        if (shape.src and src_f is None) or (shape.tgt and tgt_f is None):
            return math.inf
        return link_cost(shape, src_f, tgt_f, lengths)

    band = None if len(src_prose) * len(tgt_prose) <= 400 else 12
    links: list[BlockLink] = []
    for i, j, shape, step in cheapest_path(len(src_prose), len(tgt_prose), BLOCK_SHAPES, cost, band):
        src_blocks = [item.block for item in src_prose[i : i + shape.src]]
        tgt_blocks = [item.block for item in tgt_prose[j : j + shape.tgt]]
        score = 0.0 if not (src_blocks and tgt_blocks) else _confidence(step)
        links.append(BlockLink(src_blocks, tgt_blocks, score, shape.name))
    return _interleave(links, src_nulls, tgt_nulls)


def _confidence(cost: float) -> float:
    """Link cost -> [0, 1]: 0.5 where linking costs as much as leaving both sides unlinked."""
    x = cost - _NULL_PAIR_COST
    return round(1 / (1 + math.exp(x)) if x > -50 else 1.0, 3)


def _merged_features(prose: list[_Item]) -> dict[int, list[Features | None]]:
    """Features of runs of 1, 2 and 3 prose blocks starting at each position (None: not adjacent)."""
    out: dict[int, list[Features | None]] = {1: [item.features for item in prose]}
    for size in (2, 3):
        runs: list[Features | None] = []
        for start in range(len(prose)):
            run = prose[start : start + size]
            adjacent = len(run) == size and all(
                b.rank - a.rank == 1 for a, b in zip(run, run[1:], strict=False)
            )
            if not adjacent or any(item.group == "heading" for item in run):
                runs.append(None)
                continue
            merged = run[0].features
            for item in run[1:]:
                merged = merged.merged(item.features)  # type: ignore[union-attr]
            runs.append(merged)
        out[size] = runs
    return out


def _interleave(links: list[BlockLink], src_nulls: list[int], tgt_nulls: list[int]) -> list[BlockLink]:
    """Insert 1:0 links for ``src_nulls`` and 0:1 links for ``tgt_nulls`` where they belong in order."""
    if not src_nulls and not tgt_nulls:
        return links
    out: list[BlockLink] = []
    s = t = 0
    for link in links:
        if link.src:
            while s < len(src_nulls) and src_nulls[s] < link.src[0]:
                out.append(BlockLink([src_nulls[s]], [], 0.0, "1:0"))
                s += 1
        if link.tgt:
            while t < len(tgt_nulls) and tgt_nulls[t] < link.tgt[0]:
                out.append(BlockLink([], [tgt_nulls[t]], 0.0, "0:1"))
                t += 1
        out.append(link)
    out.extend(BlockLink([b], [], 0.0, "1:0") for b in src_nulls[s:])
    out.extend(BlockLink([], [b], 0.0, "0:1") for b in tgt_nulls[t:])
    return out
