"""Restructured books: which new source file carries on which old one, found by content.

Books move, rename, merge and split sections between versions. As git does for renames, files are
paired by path first; an old file whose path is gone is then matched by content against every new
file: both are cut into *shingles* (hashes of 5-word windows, prose and code alike), shingles common
to many files (imports, boilerplate links) are ignored, and the score of a candidate is the share of
the old file's shingles found in it. The best candidate wins if it scores at least MIN_SCORE, or if it
stands out clearly from the next one (a rewritten section keeps little text but still far more than any
other file); every other candidate scoring MIN_SCORE is a split. A new file may take several old files (a merge: their texts and
translations are joined in the order they appear in it); an old file may go to several new files
(a split: each gets its whole translation, the merge keeps what its part needs). Every match is
listed with its score and evidence (shared shingles, identical blocks, labels kept); every old file
that found no successor is listed too.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

#: share of an old file's content a new file must contain to carry it on
MIN_SCORE = 0.3
#: below MIN_SCORE, the best candidate is taken if it has at least this score and beats the next one
#: by this factor (a smaller one when it has the old file's name)
WEAK_SCORE = 0.08
DISTINCT = 3.0
DISTINCT_SAME_NAME = 1.5
NAME_BONUS = 1.5
#: a shingle found in more new files than this is boilerplate, not evidence
COMMON_IN = 3
_WORD_RE = re.compile(r"\w+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n")
_LABEL_RE = re.compile(r":(?:eq)?label:`([^`]+)`")
SHINGLE = 5


@dataclass
class Match:
    """The new file ``new`` carries on the old files ``olds`` (same path first, then by content)."""

    new: str
    olds: list[str]
    scores: dict[str, float] = field(default_factory=dict)  # old -> share of it found in ``new``
    evidence: dict[str, str] = field(default_factory=dict)  # old -> why

    @property
    def moved(self) -> bool:
        return self.olds != [self.new]

    def to_json(self) -> dict:
        return {"new": self.new, "olds": [{"old": o, "score": round(self.scores.get(o, 1.0), 3),
                                           "evidence": self.evidence.get(o, "same path")} for o in self.olds]}


@dataclass
class Plan:
    """How the files of the old source map onto the new one."""

    matches: list[Match]
    unmatched: list[str]  # old files with no successor
    best: dict[str, tuple[str, float]] = field(default_factory=dict)  # old -> closest new file and its score

    def moves(self) -> list[Match]:
        return [m for m in self.matches if m.moved]

    def to_json(self) -> dict:
        return {"matches": [m.to_json() for m in self.moves()], "no_successor": list(self.unmatched)}


@dataclass
class _Profile:
    shingles: dict[int, int]  # shingle -> first position
    keys: frozenset[int]
    blocks: set[str]
    labels: set[str]


def _profile(text: str) -> _Profile:
    words = _WORD_RE.findall(text.lower())
    windows = list(map(hash, zip(*(words[k:] for k in range(SHINGLE)), strict=False)))
    shingles = dict(zip(reversed(windows), range(len(windows) - 1, -1, -1), strict=True))  # first position wins
    blocks = {" ".join(b.split()) for b in _BLANK_LINES_RE.split(text) if len(b) > 40}
    return _Profile(shingles, frozenset(shingles), blocks, set(_LABEL_RE.findall(text)))


def plan(old: Mapping[str, str], new: Mapping[str, str], wanted: set[str] | None = None,
         min_score: float = MIN_SCORE) -> Plan:
    """Pair old files (``wanted``: those worth carrying on, e.g. translated) with new files.

    ``old`` and ``new`` map relative paths to texts.
    """
    wanted = set(old) if wanted is None else wanted & set(old)
    matches = {rel: Match(rel, [rel]) for rel in sorted(set(new)) if rel in old and rel in wanted}
    orphans = sorted(rel for rel in wanted if rel not in new)
    if not orphans:
        return Plan(list(matches.values()), [])
    profiles_old = {rel: _profile(old[rel]) for rel in orphans}
    profiles_new = {rel: _profile(text) for rel, text in new.items()}
    frequency: Counter[int] = Counter()
    for profile in profiles_new.values():
        frequency.update(profile.keys)
    common = {s for s, n in frequency.items() if n > COMMON_IN}
    unmatched: list[str] = []
    best: dict[str, tuple[str, float]] = {}
    for rel in orphans:
        mine = set(profiles_old[rel].shingles) - common
        scored: list[tuple[float, str, set[int]]] = []
        for new_rel, profile in profiles_new.items():
            shared = mine & profile.keys
            if shared:
                scored.append((len(shared) / len(mine), new_rel, shared))
        scored.sort(key=lambda x: (-x[0] * _name_bonus(rel, x[1]), x[1]))
        chosen = [x for x in scored if x[0] >= min_score]
        if scored and not chosen and _distinct(rel, scored):
            chosen = scored[:1]
        if not chosen:
            unmatched.append(rel)
            if scored:
                best[rel] = (scored[0][1], scored[0][0])
            continue
        for score, new_rel, shared in chosen:
            profile = profiles_new[new_rel]
            match = matches.setdefault(new_rel, Match(new_rel, []))
            match.olds.append(rel)
            match.scores[rel] = score
            blocks = len(profiles_old[rel].blocks & profile.blocks)
            labels = sorted(profiles_old[rel].labels & profile.labels)
            match.evidence[rel] = (f"{len(shared)} of {len(mine)} distinctive 5-word shingles, {blocks} identical blocks"
                                   + (", same file name" if _name_bonus(rel, new_rel) > 1 else "")
                                   + (f", labels kept: {', '.join(labels[:3])}" if labels else ""))
            match.evidence[rel + "\0pos"] = str(statistics.median(profile.shingles[s] for s in shared))
    for match in matches.values():  # a merge: the old files in the order their text appears in the new one
        if len(match.olds) > 1:
            head = [o for o in match.olds if o == match.new]
            rest = sorted((o for o in match.olds if o != match.new),
                          key=lambda o: float(match.evidence.get(o + "\0pos", "0")))
            match.olds = head + rest
        for key in [k for k in match.evidence if k.endswith("\0pos")]:
            del match.evidence[key]
    return Plan(sorted(matches.values(), key=lambda m: m.new), unmatched, best)


def _name_bonus(old: str, new: str) -> float:
    return NAME_BONUS if old.rsplit("/", 1)[-1] == new.rsplit("/", 1)[-1] else 1.0


def _distinct(old: str, scored: list[tuple[float, str, set[int]]]) -> bool:
    """A weak best candidate still wins when it stands out clearly from the next one."""
    score, new, _ = scored[0]
    if score < WEAK_SCORE:
        return False
    runner_up = scored[1][0] * _name_bonus(old, scored[1][1]) if len(scored) > 1 else 0.0
    needed = DISTINCT_SAME_NAME if _name_bonus(old, new) > 1 else DISTINCT
    return score * _name_bonus(old, new) >= needed * runner_up


def joined(texts: list[str]) -> str:
    """Several files as one text, each ending in a newline and separated by a blank line."""
    return "\n".join(t if t.endswith("\n") else t + "\n" for t in texts)
