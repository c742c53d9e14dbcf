"""Align the sentences of a paragraph with those of its translation.

The same cost as for blocks (length in comparable units, shared inline math, roles, code, numbers and
kept terms) over sentences, with the shapes translation really produces: Chinese often joins two
English sentences with a comma (2:1), sometimes splits one (1:2), rarely drops or adds one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from amts.align.dp import cheapest_path
from amts.align.evidence import SENTENCE_SHAPES, Shape, features_of, length_model, link_cost

_NULL_PAIR_COST = SENTENCE_SHAPES[1].prior + SENTENCE_SHAPES[2].prior


@dataclass
class SentenceLink:
    """Sentences ``src`` (indices) are translated by sentences ``tgt``; score in [0, 1]."""

    src: list[int]
    tgt: list[int]
    score: float
    shape: str


def align_sentences(
    src_sentences: Sequence[str], tgt_sentences: Sequence[str], src_lang: str, tgt_lang: str
) -> list[SentenceLink]:
    """Links covering every sentence of both lists, in order (1:1, 2:1, 1:2, 1:0, 0:1)."""
    n, m = len(src_sentences), len(tgt_sentences)
    if n == 1 and m == 1:
        return [SentenceLink([0], [0], 1.0, "1:1")]
    src_features = [features_of(text, src_lang, "sentence") for text in src_sentences]
    tgt_features = [features_of(text, tgt_lang, "sentence") for text in tgt_sentences]
    src_pairs = [a.merged(b) for a, b in zip(src_features, src_features[1:], strict=False)]
    tgt_pairs = [a.merged(b) for a, b in zip(tgt_features, tgt_features[1:], strict=False)]
    lengths = length_model(src_lang, tgt_lang)

    def cost(i: int, j: int, shape: Shape) -> float:
        src = src_features[i] if shape.src == 1 else src_pairs[i]
        tgt = tgt_features[j] if shape.tgt == 1 else tgt_pairs[j]
        return link_cost(shape, src, tgt, lengths)

    band = None if n * m <= 900 else 10
    links: list[SentenceLink] = []
    for i, j, shape, step in cheapest_path(n, m, SENTENCE_SHAPES, cost, band):
        both = shape.src and shape.tgt
        score = _confidence(step) if both else 0.0
        links.append(SentenceLink(list(range(i, i + shape.src)), list(range(j, j + shape.tgt)), score, shape.name))
    return links


def _confidence(cost: float) -> float:
    x = cost - _NULL_PAIR_COST
    return round(1 / (1 + math.exp(x)) if x > -50 else 1.0, 3)


def split_long_pair(source: str, target: str, src_lang: str, tgt_lang: str) -> list[tuple[str, str]] | None:
    """A paragraph pair as sentence pairs (1:1, 2:1, 1:2 links), or None if a sentence has no partner.

    Used to make paragraph pairs fit Amazon's 1,000-byte field limit (``amts.memory.formats.amazon``).
    """
    from amts.document import is_cjk_language, split_sentences

    sources = [source[s.start : s.end].strip() for s in split_sentences(source, src_lang)]
    targets = [target[s.start : s.end].strip() for s in split_sentences(target, tgt_lang)]
    if len(sources) < 2 and len(targets) < 2:
        return None
    links = align_sentences(sources, targets, src_lang, tgt_lang)
    if any(not (link.src and link.tgt) for link in links):
        return None

    def join(texts: list[str], lang: str) -> str:
        return ("" if is_cjk_language(lang) else " ").join(texts)

    return [(join([sources[i] for i in link.src], src_lang), join([targets[j] for j in link.tgt], tgt_lang)) for link in links]
