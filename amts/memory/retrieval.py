"""Translation-memory retrieval: exact lookup, CAT-style fuzzy matches and term lookup.

* Exact: the source with its whitespace normalised (line wrapping folded as in
  :func:`amts.document.normalize_space`). When a source has several translations, human work wins over
  machine output (post-edited > aligned/imported > machine), then the later pair.
* Fuzzy: the match percentage CAT tools show, 100 x rapidfuzz's normalised Levenshtein similarity of
  the two sources, computed on the *masked* text (each inline code span, math, role or tag counts as
  one character, so a long formula does not swamp the prose), minus one point per inline element
  that differs, and capped at 99 unless the sources are identical. A word/character-bigram inverted
  index picks a few hundred candidates first, so a query over 100k segments costs milliseconds.
* Terms: a :class:`~amts.memory.terms.TermMatcher` (optional) finds the entries of a term list in a
  sentence.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from amts.document import mask, normalize_space
from amts.document.placeholders import PLACEHOLDER_RE
from amts.document.scripts import HAN, HAN_RE
from amts.languages import same_language
from amts.memory.pairs import Example, Pair

if TYPE_CHECKING:
    from amts.memory.store import Store
    from amts.memory.terms import TermMatcher

#: origins whose targets are machine output; anything else is taken as human work
MACHINE_ORIGINS = frozenset({"machine", "mt", "raw-mt", "engine", "machine-translated"})
_ORIGIN_RANK = {"post-edited": 3, "reviewed": 3}

_TOKEN_RE = re.compile(f"[{HAN}]+|[^\\W_]+")
_MARK = "\ue000"  # one private-use character stands for any inline element in match texts

CANDIDATES = 150
"""How many prefiltered candidates get a real Levenshtein score."""
RAREST = 10
"""How many of the query's rarest words select candidates."""


def origin_rank(provenance: Mapping[str, object]) -> int:
    """2 for human pairs, 3 for post-edited/reviewed ones, 1 for machine output."""
    origin = str(provenance.get("origin", "")).lower()
    if origin in MACHINE_ORIGINS:
        return 1
    return _ORIGIN_RANK.get(origin, 2)


def tokens(text: str) -> list[str]:
    """Lower-cased words; CJK runs become character bigrams (Chinese has no spaces)."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(text.lower()):
        word = match.group()
        if HAN_RE.match(word):
            out.extend(word[i : i + 2] for i in range(max(1, len(word) - 1)))
        else:
            out.append(word)
    return out


@dataclass(frozen=True)
class Match:
    """A fuzzy match: the pair, its CAT match percentage and the share of query words it contains."""

    source: str
    target: str
    score: float
    overlap: float
    provenance: Mapping[str, object]

    def example(self) -> Example:
        return Example(self.source, self.target, self.score)


@dataclass(frozen=True)
class _Entry:
    source: str
    target: str
    match_text: str
    spans: tuple[str, ...]
    provenance: Mapping[str, object]


def _match_form(text: str) -> tuple[str, tuple[str, ...]]:
    masked = mask(text)
    return PLACEHOLDER_RE.sub(_MARK, masked.text), masked.spans


class TranslationMemory:
    """An in-memory index over parallel data for one language pair (implements ``amts.adapt.Memory``)."""

    def __init__(
        self,
        pairs: Iterable[Pair],
        src_lang: str,
        tgt_lang: str,
        glossary: TermMatcher | None = None,
        min_match: float = 50.0,
    ) -> None:
        self.src_lang, self.tgt_lang = src_lang, tgt_lang
        self.glossary = glossary
        self.min_match = min_match
        best: dict[str, tuple[int, Pair]] = {}
        for pair in pairs:
            if not self._serves(pair.src_lang, pair.tgt_lang):
                continue
            key = normalize_space(pair.source, src_lang)
            rank = origin_rank(pair.provenance)
            if key and pair.target.strip() and (key not in best or rank >= best[key][0]):
                best[key] = (rank, pair)
        self._exact: dict[str, str] = {key: pair.target for key, (_, pair) in best.items()}
        self._entries: list[_Entry] = []
        for key, (_, pair) in best.items():
            text, spans = _match_form(key)
            self._entries.append(_Entry(key, pair.target, text, spans, pair.provenance))
        self._build_index()

    @classmethod
    def from_store(
        cls, store: Store, name: str, version: int | None = None, glossary: TermMatcher | None = None, min_match: float = 50.0
    ) -> TranslationMemory:
        """The memory of one version (default: the latest) of a stored parallel-data resource."""
        info = store.describe(name)
        return cls(store.pairs(name, version), info.src_lang, info.tgt_lang, glossary=glossary, min_match=min_match)

    def __len__(self) -> int:
        return len(self._entries)

    # --------------------------------------------------------------------------------- index

    def _build_index(self) -> None:
        postings: dict[str, list[int]] = {}
        for index, entry in enumerate(self._entries):
            for token in set(tokens(entry.match_text)):
                postings.setdefault(token, []).append(index)
        count = max(1, len(self._entries))
        self._postings = {token: np.asarray(ids, dtype=np.int32) for token, ids in postings.items()}
        self._idf = {token: math.log(1 + count / len(ids)) for token, ids in postings.items()}
        self._lengths = np.asarray([len(e.match_text) for e in self._entries] or [0], dtype=np.float32)
        self._texts = [entry.match_text for entry in self._entries]

    def _candidates(self, query_tokens: set[str], length: int) -> np.ndarray:
        known = sorted((t for t in query_tokens if t in self._postings), key=lambda t: len(self._postings[t]))
        if not known:
            return np.empty(0, dtype=np.int32)
        # A match of 50% or more shares most words, hence most of the rarest ones: the rarest few query
        # words select the candidates; very common words select half the memory and say little.
        limit = max(50, len(self._entries) // 20)
        chosen = [t for t in known[:RAREST] if len(self._postings[t]) <= limit] or known[:3]
        ids = np.concatenate([self._postings[t] for t in chosen])
        weights = np.concatenate([np.full(len(self._postings[t]), self._idf[t], dtype=np.float32) for t in chosen])
        order = np.argsort(ids, kind="stable")  # sorting beats np.unique's hashing by 20x here
        ids, weights = ids[order], weights[order]
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        hit = ids[starts]
        if len(hit) > CANDIDATES:
            scores = np.add.reduceat(weights, starts)
            lengths = self._lengths[hit]
            ratio = np.minimum(lengths, length) / np.maximum(np.maximum(lengths, length), 1)
            # Levenshtein similarity can never exceed the length ratio: rank by shared words x that bound
            rank = scores * ratio
            hit = hit[np.argpartition(-rank, CANDIDATES)[:CANDIDATES]]
        return hit

    # ------------------------------------------------------------------------------- lookups

    def _serves(self, src: str, tgt: str) -> bool:
        """Whether this memory is for ``src``->``tgt``: BCP 47 tags by language (``zh-CN`` serves ``zh``)."""
        if src == self.src_lang and tgt == self.tgt_lang:
            return True
        return same_language(src, self.src_lang) and same_language(tgt, self.tgt_lang)

    def exact(self, source: str, src: str, tgt: str) -> str | None:
        """The stored translation of ``source`` (whitespace-normalised), or None."""
        if not self._serves(src, tgt):
            return None
        found = self._exact.get(source)  # keys are normalised: a hit on the raw text is a hit
        if found is None:
            found = self._exact.get(self._key(source))
        return found

    def _key(self, source: str) -> str:
        """``normalize_space`` with a fast path: for ASCII text it is just whitespace folding."""
        return " ".join(source.split()) if source.isascii() else normalize_space(source, self.src_lang)

    def matches(self, source: str, k: int = 5, min_match: float | None = None) -> list[Match]:
        """The ``k`` best fuzzy matches of ``source`` at or above ``min_match`` percent, best first."""
        floor = self.min_match if min_match is None else min_match
        key = self._key(source)
        text, spans = _match_form(key)
        query_tokens = set(tokens(text))
        if not self._entries or not query_tokens or k <= 0:
            return []
        candidates = self._candidates(query_tokens, len(text))
        if len(candidates) == 0:
            return []
        choices = [self._texts[i] for i in candidates]
        raw = process.extract(
            text, choices, scorer=Levenshtein.normalized_similarity, limit=k + 5, score_cutoff=max(0.0, floor - 1) / 100
        )
        found: list[Match] = []
        for _, similarity, position in raw:
            entry = self._entries[int(candidates[position])]
            score = similarity * 100
            if entry.source != key:
                differing = 0
                if spans != entry.spans:
                    mine, theirs = Counter(spans), Counter(entry.spans)
                    differing = max(sum((mine - theirs).values()), sum((theirs - mine).values()))
                score = min(99.0, score - min(10, differing))
            score = round(max(0.0, score), 1)
            if score < floor:
                continue
            entry_tokens = set(tokens(entry.match_text))
            overlap = len(query_tokens & entry_tokens) / len(query_tokens)
            found.append(Match(entry.source, entry.target, score, round(overlap, 3), entry.provenance))
        found.sort(key=lambda m: (-m.score, -m.overlap, -origin_rank(m.provenance)))
        return found[:k]

    def similar(self, source: str, src: str, tgt: str, k: int) -> list[Example]:
        """The ``k`` best fuzzy matches as engine examples (score = match percentage)."""
        if not self._serves(src, tgt):
            return []
        return [m.example() for m in self.matches(source, k)]

    def terms_for(self, source: str) -> dict[str, str]:
        """Glossary entries found in ``source`` (empty without a glossary)."""
        return self.glossary.terms_for(source) if self.glossary else {}

    terms = terms_for
