"""Old human translations placed by content, whatever happened to the layout.

Before the engine is asked anything, every pending request is looked up among the sentences of the old
pair: the old source is aligned with the old translation at sentence level (the same Gale-Church
alignment with structural evidence the merge uses, :func:`amts.sync.sentence_rules.old_sentence_links`),
which gives *groups*: old source sentences and the target text that translates them (Chinese often
joins two English sentences into one). Where the new source has a group's sentences verbatim, one
after the other -- in a paragraph that was split, joined, re-wrapped or moved -- the group's
translation is placed at the first of them and the others are covered by it.

A translation only moves with the evidence an alignment needs: it carries the same roles (a
``:cite:`` never vanishes with it), its slide marks are balanced, it shares the source's math and
inline code, and its length is plausible for the source's (:func:`credible`). A sentence whose only
change is in its tokens (a new link target) gets its old translation with the tokens replaced.

These are the request rules (:data:`REQUEST_RULES`), run in order before the engine batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from amts.align.evidence import features_of, length_model
from amts.document import Segment, mask, normalize_space
from amts.document.markup import SLIDE_MARKS
from amts.sync.aligning import Link, align_sentence_lists
from amts.sync.ruler import Ruler
from amts.sync.sentence_rules import extents, old_sentence_links
from amts.sync.state import FUZZY, PROPAGATED, STATUS_MOVED, MergeState, Pending, source_sentences
from amts.sync.tokens import propagate, prose_fingerprint, token_change

#: the largest length cost (Gale-Church, in -log probability units) of a translation that may move
MAX_LENGTH_COST = 8.0


@dataclass(frozen=True)
class OldGroup:
    """Old source sentences (wrapping folded) and the target text that translates them."""

    sentences: tuple[str, ...]
    target: str
    whole: bool = False  # all the sentences of a unit and its whole translation (one target segment)

    @property
    def masked(self) -> tuple[str, ...]:
        return tuple(mask(s).text for s in self.sentences)


def old_groups(state: MergeState) -> list[OldGroup]:
    """The sentence groups of the old pair, unit by unit, in old order (where a unit pairs its
    segments one to one, or its translation is one segment), but for translations that are not human
    work (machine, or the source left as it was); computed once per merge."""
    if state.old_groups is None:
        state.old_groups = [g for g in _old_groups(state) if not state.origin(g.target, " ".join(g.sentences))]
    return state.old_groups  # type: ignore[return-value]


def _old_groups(state: MergeState) -> list[OldGroup]:
    groups: list[OldGroup] = []
    for link in state.span_of:
        olds = [state.os.segments[s] for i in link.src for s in state.os.blocks[i].segments]
        tgts = [state.ot.segments[s] for j in link.tgt for s in state.ot.blocks[j].segments]
        if not olds or not tgts:
            continue
        pairs = list(zip(([o] for o in olds), tgts, strict=True)) if len(olds) == len(tgts) else (
            [(olds, tgts[0])] if len(tgts) == 1 else [])
        for old_segments, target in pairs:
            sentences = [normalize_space(s, state.src) for seg in old_segments for s in source_sentences(seg, state.src)]
            t_sents = target.sentences(state.tgt)
            links = old_sentence_links(state, old_segments, target)
            for src, (first, last) in group_spans(links).items():
                text = normalize_space(target.text[t_sents[first].start : t_sents[last].end], state.tgt)
                groups.append(OldGroup(tuple(sentences[i] for i in src), text))
        if not pairs:
            groups += _groups_across_segments(state, olds, tgts)
        if len(tgts) == 1 and (len(olds) > 1 or len(pairs) == 1):
            sentences = [normalize_space(s, state.src) for seg in olds for s in source_sentences(seg, state.src)]
            if len(sentences) > 1:
                groups.append(OldGroup(tuple(sentences), normalize_space(tgts[0].text, state.tgt), whole=True))
    return groups


def _groups_across_segments(state: MergeState, olds: list[Segment], tgts: list[Segment]) -> list[OldGroup]:
    """Groups of a unit whose segments do not pair up (a paragraph translated as a paragraph and a
    list...): all its sentences aligned at once, the groups whose translation lies in one segment kept."""
    sentences = [normalize_space(s, state.src) for seg in olds for s in source_sentences(seg, state.src)]
    targets = [(seg, sentence) for seg in tgts for sentence in seg.sentences(state.tgt)]
    links = align_sentence_lists(sentences, [normalize_space(t.text, state.tgt) for _, t in targets],
                                 state.src, state.tgt)
    groups: list[OldGroup] = []
    for src, (first, last) in group_spans(links).items():
        segment = targets[first][0]
        if segment is not targets[last][0]:
            continue
        text = segment.text[targets[first][1].start : targets[last][1].end]
        groups.append(OldGroup(tuple(sentences[i] for i in src), normalize_space(text, state.tgt)))
    return groups


def group_spans(links: list[Link]) -> dict[tuple[int, ...], tuple[int, int]]:
    """Source sentences -> the target sentences translating them. A source sentence the alignment
    left without translation (the translator joined three sentences into one, a shape the aligner does
    not try) goes with the group before it (leading ones: with the one after)."""
    spans = extents(links)
    out: dict[tuple[int, ...], tuple[int, int]] = {}
    last: tuple[int, ...] | None = None
    leading: list[int] = []
    for link in links:
        if link in spans:
            src = tuple([*leading, *link.src])
            out[src] = spans[link]
            leading, last = [], src
        elif link.src and last is not None:
            out[(*last, *link.src)] = out.pop(last)
            last = (*last, *link.src)
        elif link.src:
            leading.extend(link.src)
    return out


def credible(source: str, target: str, src: str, tgt: str) -> bool:
    """Could ``target`` be the translation of ``source`` on its own? The same roles, balanced slide
    marks and emphasis, some of the source's math and code, a plausible length."""
    if any(target.count(opener) != target.count(closer) for opener, closer in _SLIDE_PAIRS):
        return False
    if mask(target).text.count("*") % 2:
        return False  # half an emphasis: the sentence was cut inside it
    s, t = features_of(source, src, "sentence"), features_of(target, tgt, "sentence")
    if _roles(s.tokens) != _roles(t.tokens):
        return False
    strong = {k for k in s.tokens if not k.startswith(":")}
    if strong and not strong & set(t.tokens):
        return False
    return length_model(src, tgt).cost(s.length, t.length) <= MAX_LENGTH_COST


_SLIDE_PAIRS = tuple(zip(SLIDE_MARKS[::2], SLIDE_MARKS[1::2], strict=True))


def _roles(tokens: dict[str, float]) -> Counter[str]:
    """The roles of a text: citations exactly, other roles by kind (a translation may fix a label's typo)."""
    out: Counter[str] = Counter()
    for key, count in tokens.items():
        if key.startswith(":"):
            out[key if key.startswith(":cite") else key.split("`", 1)[0]] += int(count)
    return out


def place_old_sentences(state: MergeState) -> None:
    """Requests whose sentences are old ones, in any layout, get the old human translation."""
    open_requests = [p for p in state.pending if p.text is None and p.positions]
    if not open_requests:
        return
    by_first: dict[str, list[OldGroup]] = {}
    wholes: dict[str, list[OldGroup]] = {}
    for group in old_groups(state):
        (wholes if group.whole else by_first).setdefault(group.sentences[0], []).append(group)
    # every new sentence either asked for (a request) or already given its old translation (kept)
    stream = sorted([*((pos, sentence, None) for pos, (sentence, _target) in state.kept_sentences.items()),
                     *((pos, sentence, pending) for pending in open_requests
                       for pos, sentence in zip(pending.positions, pending.sentences, strict=True))], key=lambda x: x[0])
    placed: dict[int, str] = {}  # position -> the translation placed there ("" when covered)
    k = 0
    while k < len(stream):
        group = _longest_group(state, stream, k, by_first.get(stream[k][1], []))
        if group is None:
            k += 1
            continue
        run = stream[k : k + len(group.sentences)]
        translated_already = any(pending is None for _pos, _sentence, pending in run)
        for n, (pos, _sentence, pending) in enumerate(run):
            if pending is not None:
                placed[pos] = group.target if n == 0 and not translated_already else ""
        k += len(group.sentences)
    _place_whole_units(state, stream, wholes, placed)
    _resolve_placed(state, open_requests, placed)


def _place_whole_units(state: MergeState, stream: list[tuple[int, str, Pending | None]],
                       wholes: dict[str, list[OldGroup]], placed: dict[int, str]) -> None:
    """A paragraph whose sentences all reappear, one after the other, and are all asked for (the merge
    found no block to merge them into), but whose sentence alignment could not place them all: its
    whole translation goes where its first sentence now is. The content is the same, so it needs no
    other evidence: whatever the translators wrote for it (even a free rendering) stays."""
    for k, (_pos, sentence, pending) in enumerate(stream):
        if pending is None:
            continue
        for group in wholes.get(sentence, []):
            run = stream[k : k + len(group.sentences)]
            if (len(run) == len(group.sentences) and any(pos not in placed for pos, _s, _p in run)
                    and all(p is not None and s == group.sentences[n] and pos == run[0][0] + n
                            for n, (pos, s, p) in enumerate(run))):
                for n, (pos, _s, _p) in enumerate(run):
                    placed[pos] = group.target if n == 0 else ""
                break


def _longest_group(state: MergeState, stream: list[tuple[int, str, Pending | None]], k: int,
                   candidates: list[OldGroup]) -> OldGroup | None:
    """The longest credible group whose sentences are those of ``stream`` from ``k`` on, at consecutive
    positions, with at least one of them asked for; sentences already kept must be kept with the
    group's own translation (the merge kept it where the layout did not change)."""
    best: OldGroup | None = None
    for group in candidates:
        size = len(group.sentences)
        run = stream[k : k + size]
        if (len(run) < size or (best is not None and size <= len(best.sentences))
                or not all(run[n][1] == group.sentences[n] and run[n][0] == run[0][0] + n for n in range(size))
                or all(pending is None for _pos, _sentence, pending in run)):
            continue
        kept = {state.kept_sentences[pos][1] for pos, _sentence, pending in run if pending is None}
        if kept <= {group.target} and credible(" ".join(group.sentences), group.target, state.src, state.tgt):
            best = group
    return best


def _resolve_placed(state: MergeState, requests: list[Pending], placed: dict[int, str]) -> None:
    """Each request all of whose sentences were placed (or covered) gets those translations."""
    placed_prose = "".join(prose_fingerprint(text) for text in placed.values() if text)
    for pending in requests:
        if not all(pos in placed for pos in pending.positions):
            continue
        pieces = [placed[pos] for pos in pending.positions if placed[pos]]
        pending.text = state.joiner.join(pieces)
        pending.status = STATUS_MOVED
        pending.note = ("unchanged sentence: its old translation reused" if pieces
                        else "unchanged sentence: translated with the sentence before it")
        if pending.fallback_status == FUZZY:  # the old translation it replaces: placed elsewhere?
            pending.fallback_placed = prose_fingerprint(pending.fallback) in placed_prose


def propagate_old_sentences(state: MergeState) -> None:
    """A request for one sentence whose only change since the old source is in its tokens (a new link
    target, a number) gets the old sentence's translation with the tokens replaced."""
    wanted = {mask(p.key).text: p for p in state.pending if p.text is None and len(p.sentences) == 1}
    if not wanted:
        return
    found: dict[str, OldGroup] = {}
    for group in old_groups(state):
        if len(group.sentences) == 1 and group.masked[0] in wanted:
            found.setdefault(group.masked[0], group)
    for pending in state.pending:
        group = found.get(mask(pending.key).text) if pending.text is None and len(pending.sentences) == 1 else None
        if group is None or not credible(group.sentences[0], group.target, state.src, state.tgt):
            continue
        translation = propagate(group.sentences[0], group.target, token_change(group.sentences[0], pending.key))
        if translation is not None:
            pending.text, pending.status = translation, PROPAGATED
            pending.note = "its old translation reused, tokens updated"


RequestRule = Callable[[MergeState], None]

#: What answers engine requests before the engine, in order (each leaves the rest to the next).
REQUEST_RULES: Ruler[RequestRule] = Ruler([
    ("placed", place_old_sentences),
    ("propagated", propagate_old_sentences),
])
