"""The segment and sentence rules: how one paragraph (segment) of the old translation gets its new text.

A segment whose source is unchanged keeps its translation; a mechanical change (numbers, math, links,
slide marks) is propagated into it; otherwise it is merged sentence by sentence: the old source's
sentences are aligned with the translation's, diffed against the new source's, and each run of new
sentences goes through :data:`SENTENCE_RULES` (kept, propagated, or sent to the engine with the old
translation as fallback). Both lists are :class:`~amts.sync.ruler.Ruler` s: rules are added by name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from amts.document import Segment, normalize_space
from amts.document.scripts import UNSPACED_RE
from amts.sync.aligning import Link, align_sentence_lists
from amts.sync.diff import DELETED, MECHANICAL, UNCHANGED, diff_sentences, mechanical_change
from amts.sync.provenance import SOURCE
from amts.sync.ruler import Ruler
from amts.sync.state import KEPT, PROPAGATED, STATUS_DELETED, MergeState, Part, Record, source_sentences
from amts.sync.tokens import TokenChange, propagate, token_change, wrap_text, wrapped_in_slide_marks


def propagation(source_old: str, source_new: str, target_old: str, change: TokenChange, anchor: int) -> Record | None:
    """The record of ``change`` (a mechanical source change) carried into ``target_old``, or None when a
    changed token is not in the translation; slide marks wrapping the whole new text wrap the translation."""
    propagated = propagate(source_old, target_old, change)
    if propagated is None:
        return None
    note = _propagation_note(change)
    marks = wrapped_in_slide_marks(source_new, source_old) if change.slide_added else None
    if marks:
        propagated = wrap_text(propagated, marks)
    elif change.slide_added:
        note += "; slide marks not placed in the translation"
    return Record(PROPAGATED, False, source_old, source_new, target_old, propagated, note.strip("; "), anchor=anchor)


def _propagation_note(change: TokenChange) -> str:
    parts = [f"{old} -> {new}" for old, new, _ in change.replaced]
    note = "tokens: " + ", ".join(parts) if parts else ""
    if change.slide_removed:
        note += "; slide marks removed"
    return note or "re-wrapped"


def _const(text: str) -> Callable[[], str]:
    return lambda: text


# ---- segment rules ----------------------------------------------------------------------------------
@dataclass
class SegmentMerge:
    """One target segment to merge: the old- and new-source segments it stands for."""

    olds: Sequence[Segment]
    news: Sequence[Segment]
    target: Segment
    anchor: int  # the output part its records point at

    @property
    def old_text(self) -> str:
        return "\n".join(s.text for s in self.olds)

    @property
    def new_text(self) -> str:
        return "\n".join(s.text for s in self.news)


SegmentRule = Callable[[MergeState, SegmentMerge], "Part | None"]


def segment_unchanged(state: MergeState, job: SegmentMerge) -> Part | None:
    """The source is the same up to wrapping: the translation as it is."""
    old_text, new_text, target = job.old_text, job.new_text, job.target
    if normalize_space(old_text, state.src) != normalize_space(new_text, state.src) or state.origin(target.text, old_text):
        return None  # changed, or not human work (asked for again sentence by sentence)
    state.report(Record(KEPT, False, old_text, new_text, target.text, target.text, anchor=job.anchor))
    return _const(target.text)


def segment_mechanical(state: MergeState, job: SegmentMerge) -> Part | None:
    """Only tokens changed (numbers, math, links, slide marks): the change carried into the translation."""
    if state.origin(job.target.text, job.old_text) == SOURCE:
        return None
    change = mechanical_change(job.old_text, job.new_text)  # after segment_unchanged: unchanged ruled out
    record = propagation(job.old_text, job.new_text, job.target.text, change, job.anchor) if change else None
    if record is None:
        return None
    state.report(record)
    return _const(record.target_new or "")


def segment_sentences(state: MergeState, job: SegmentMerge) -> Part | None:
    """Anything else: merged sentence by sentence (:data:`SENTENCE_RULES`)."""
    return merge_sentences(state, job)


#: How a segment is merged, in the order tried (the last one always applies).
SEGMENT_RULES: Ruler[SegmentRule] = Ruler([
    ("unchanged", segment_unchanged),
    ("mechanical", segment_mechanical),
    ("sentences", segment_sentences),
])


def merge_segment(state: MergeState, olds: Sequence[Segment], news: Sequence[Segment], target: Segment) -> Callable[[], str]:
    """The new text of ``target`` (lazily, once translations are in), recording each sentence."""
    job = SegmentMerge(olds, news, target, state.anchor)
    for name, rule in SEGMENT_RULES:
        part = rule(state, job)
        if part is not None:
            state.rules_used["segment:" + name] += 1
            return part if callable(part) else _const(part)
    raise AssertionError("the last segment rule handles every segment")  # pragma: no cover


# ---- sentence rules ---------------------------------------------------------------------------------
@dataclass
class SentenceRun:
    """New-source sentences that continue one aligned group of old sentences (or none: added ones)."""

    source_new: str
    source_old: str | None  # None: the sentences are new
    target_old: str | None  # the translation of the old group
    intact: bool  # the old group survives whole, in as many new sentences
    kinds: set[str]  # how each sentence changed
    anchor: int
    sentences: list[str]  # the new sentences (wrapping folded)
    positions: list[int]  # their ordinals in the new source


SentenceRule = Callable[[MergeState, SentenceRun], "Part | None"]


def sentence_added(state: MergeState, run: SentenceRun) -> Part | None:
    """New sentences: translated one by one (so each can also be found among the old sentences)."""
    if run.source_old is not None:
        return None
    parts = [state.request(sentence, None, None, run.anchor, [sentence], [position])
             for sentence, position in zip(run.sentences, run.positions, strict=True)]
    return parts[0] if len(parts) == 1 else _joined(parts, state.joiner)


def sentence_unchanged(state: MergeState, run: SentenceRun) -> Part | None:
    """The old sentences, unchanged: their translation (asked for again if it is the source left as it was)."""
    if not (run.intact and run.kinds == {UNCHANGED}) or run.target_old is None:
        return None
    if state.origin(run.target_old, run.source_old) == SOURCE:
        return state.request(run.source_new, None, None, run.anchor, run.sentences, run.positions,
                             (SOURCE, run.target_old))
    state.report(Record(KEPT, False, run.source_old, run.source_new, run.target_old, run.target_old, anchor=run.anchor))
    _remember_kept(state, run)
    return _const(run.target_old)


def sentence_mechanical(state: MergeState, run: SentenceRun) -> Part | None:
    """Only tokens changed: the change carried into the translation."""
    if not (run.intact and run.kinds <= {UNCHANGED, MECHANICAL}) or run.source_old is None or run.target_old is None:
        return None
    if state.origin(run.target_old, run.source_old) == SOURCE:
        return None
    change = token_change(run.source_old, run.source_new)
    record = propagation(run.source_old, run.source_new, run.target_old, change, run.anchor)
    if record is None:
        return None
    state.report(record)
    _remember_kept(state, run)
    return _const(record.target_new or "")


def _remember_kept(state: MergeState, run: SentenceRun) -> None:
    """Note where old translations were kept, so a request next to them is not given them again."""
    target = normalize_space(run.target_old or "", state.tgt)
    for position, sentence in zip(run.positions, run.sentences, strict=False):
        state.kept_sentences[position] = (sentence, target)


def sentence_changed(state: MergeState, run: SentenceRun) -> Part | None:
    """Changed sentences: translated anew, the old translation as first example and as fallback -- when
    it is human work; a machine translation or source text left as it was is neither."""
    origin = state.origin(run.target_old, run.source_old) if run.target_old is not None else ""
    if origin:
        return state.request(run.source_new, None, None, run.anchor, run.sentences, run.positions,
                             (origin, run.target_old or ""))
    return state.request(run.source_new, run.source_old, run.target_old, run.anchor, run.sentences, run.positions)


#: How a run of new sentences gets its translation, in the order tried (the last one always applies).
SENTENCE_RULES: Ruler[SentenceRule] = Ruler([
    ("added", sentence_added),
    ("unchanged", sentence_unchanged),
    ("mechanical", sentence_mechanical),
    ("changed", sentence_changed),
])


def apply_sentence_rules(state: MergeState, run: SentenceRun) -> Part:
    """The part of the first sentence rule that handles ``run``."""
    for name, rule in SENTENCE_RULES:
        part = rule(state, run)
        if part is not None:
            state.rules_used["sentence:" + name] += 1
            return part
    raise AssertionError("the last sentence rule handles every run")  # pragma: no cover


@dataclass
class SentenceAlignment:
    """The sentences of one segment merge: old source, new source, target, and how they correspond."""

    olds: list[str]
    news: list[str]
    targets: list  # the target segment's sentences (with offsets in it)
    links: list[Link]  # old source sentences <-> target sentences
    extent: dict[Link, tuple[int, int]]  # each linked group's first and last target sentence
    changes: list[tuple[str, int | None, int | None]]  # old -> new sentence diff

    @classmethod
    def of(cls, state: MergeState, job: SegmentMerge) -> SentenceAlignment:
        o_sents = [s for seg in job.olds for s in source_sentences(seg, state.src)]
        n_sents = [s for seg in job.news for s in source_sentences(seg, state.src)]
        t_sents = job.target.sentences(state.tgt)
        links = old_sentence_links(state, job.olds, job.target)
        changes = diff_sentences(o_sents, n_sents, state.src)
        return cls(o_sents, n_sents, t_sents, links, extents(links), changes)

    @property
    def deleted(self) -> set[int]:
        return {o for kind, o, _ in self.changes if kind == DELETED and o is not None}

    def target_text(self, target: Segment, span: tuple[int, int]) -> str:
        return target.text[self.targets[span[0]].start : self.targets[span[1]].end]

    def runs(self) -> list[tuple[Link | None, list[int], list[str]]]:
        """The new sentences in order, grouped by the old linked group they continue (None: new)."""
        link_of = {i: link for link in self.links for i in link.src}
        runs: list[tuple[Link | None, list[int], list[str]]] = []
        for kind, o, n in self.changes:
            if kind == DELETED or n is None:
                continue
            link = link_of.get(o) if o is not None else None
            if link is not None and link not in self.extent:
                link = None
            if link is not None and runs and runs[-1][0] is link:
                runs[-1][1].append(n)
                runs[-1][2].append(kind)
            else:
                runs.append((link, [n], [kind]))
        return runs


def old_sentence_links(state: MergeState, olds: Sequence[Segment], target: Segment) -> list[Link]:
    """How the sentences of old-source segments ``olds`` are translated in ``target`` (Gale-Church with
    structural evidence, :func:`amts.align.align_sentences`), computed once per merge."""
    key = (tuple(seg.index for seg in olds), target.index)
    links = state.sentence_links.get(key)
    if links is None:
        o_sents = [normalize_space(s, state.src) for seg in olds for s in source_sentences(seg, state.src)]
        t_sents = [normalize_space(s.text, state.tgt) for s in target.sentences(state.tgt)]
        links = state.sentence_links[key] = align_sentence_lists(o_sents, t_sents, state.src, state.tgt)
    return links


def extents(links: list[Link]) -> dict[Link, tuple[int, int]]:
    """Each linked group's target sentences; target-only sentences travel with the linked sentence
    before them (leading ones: after them)."""
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
    return extent


def merge_sentences(state: MergeState, job: SegmentMerge) -> Callable[[], str]:
    """The segment merged sentence by sentence: each run of new sentences through the sentence rules,
    the old sentences that vanished reported deleted, the target's spacing kept between kept runs."""
    plan = SentenceAlignment.of(state, job)
    target, deleted = job.target, plan.deleted
    pieces: list[tuple[Part, tuple[int, int] | None]] = []
    first = job.news[0] if job.news else None
    for link, new_idx, kinds in plan.runs():
        sentences = [normalize_space(plan.news[n], state.src) for n in new_idx]
        positions = [state.sentence_position(first, n) for n in new_idx] if first else []
        if link is None:
            run = SentenceRun(" ".join(sentences), None, None, False, set(kinds), job.anchor, sentences, positions)
            pieces.append((apply_sentence_rules(state, run), None))
            continue
        span = plan.extent[link]
        source_old = " ".join(normalize_space(plan.olds[i], state.src) for i in link.src)
        intact = not (set(link.src) & deleted) and len(new_idx) == len(link.src)
        run = SentenceRun(" ".join(sentences), source_old, plan.target_text(target, span), intact, set(kinds),
                          job.anchor, sentences, positions)
        pieces.append((apply_sentence_rules(state, run), span))
    for link in plan.links:  # old sentences that vanished, for the report
        if link.src and all(i in deleted for i in link.src) and link in plan.extent:
            state.report(Record(STATUS_DELETED, False, " ".join(plan.olds[i] for i in link.src), None,
                                plan.target_text(target, plan.extent[link]), None, anchor=job.anchor))
    return _render_sentences(target, plan.targets, pieces, state.joiner)


def _render_sentences(target: Segment, t_sents: list, pieces: list[tuple[Part, tuple[int, int] | None]],
                      joiner: str) -> Callable[[], str]:
    """Join the pieces: the target's own text between consecutive kept spans, else the joiner."""
    head = target.text[: t_sents[0].start] if t_sents else ""
    tail = target.text[t_sents[-1].end :] if t_sents else ""

    def render() -> str:
        out = [head]
        previous: tuple[int, int] | None = None
        for k, (piece, span) in enumerate(pieces):
            text = piece if isinstance(piece, str) else piece()
            if not text:
                continue  # sentences whose translation was placed with the one before them
            if k and span and previous and span[0] == previous[1] + 1:
                out.append(target.text[t_sents[previous[1]].end : t_sents[span[0]].start])
            elif len(out) > 1:
                out.append(join_between(out[-1], text, joiner))
            out.append(text)
            previous = span
        out.append(tail)
        return "".join(out)

    return render


def join_between(before: str, after: str, joiner: str) -> str:
    """No space between CJK sentences; a space where either side is Latin text (e.g. kept English)."""
    if joiner == "" and before and after and not (UNSPACED_RE.match(before[-1]) or UNSPACED_RE.match(after[0])):
        return " "
    return joiner


def translate_segment(state: MergeState, segment: Segment, anchor: int) -> Callable[[], str]:
    """A new segment, each sentence sent to the engine (joined as the target language joins them)."""
    resolvers = []
    for k, sentence in enumerate(source_sentences(segment, state.src)):
        key = normalize_space(sentence, state.src)
        resolvers.append(state.request(key, None, None, anchor, [key], [state.sentence_position(segment, k)]))
    return _joined(resolvers, state.joiner)


def _joined(parts: list[Callable[[], str]], joiner: str) -> Callable[[], str]:
    """The parts' texts joined as the target language joins sentences (an empty part adds nothing)."""

    def render() -> str:
        out: list[str] = []
        for part in parts:
            text = part()
            if out and text:
                out.append(join_between(out[-1], text, joiner))
            if text:
                out.append(text)
        return "".join(out)

    return render
