"""The unit rules: what the merge does with one unit of the old translation.

A unit is one group of old-source blocks with its translation (see :meth:`MergeState.build_units`).
Like markdown-it's block rules, each rule looks at the unit and either handles it completely (adds its
output parts and report records to the state, returns True) or leaves it to the next rule. The rules
are tried in the order of :data:`UNIT_RULES`; a new rule goes in by name (``UNIT_RULES.before(...)``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable

from amts.document import Block, Document, Segment
from amts.document.markup import BEGIN_TAB_LINE_RE, END_TAB_LINE_RE, LABEL_RE
from amts.sync.adopt import rule_translators_tab
from amts.sync.diff import MOVED, UNCHANGED, diff_sentences
from amts.sync.fallback import add_block_safely, rule_fallback
from amts.sync.lines import merge_code
from amts.sync.reflow import rule_reflowed
from amts.sync.ruler import Ruler
from amts.sync.sentence_rules import merge_segment, translate_segment
from amts.sync.state import (
    FUZZY,
    KEPT,
    PROPAGATED,
    STATUS_ADDED,
    STATUS_DELETED,
    STATUS_MOVED,
    MergeState,
    Record,
    Unit,
    render_range,
)

UnitRule = Callable[[MergeState, Unit], bool]


def rule_deleted(state: MergeState, unit: Unit) -> bool:
    """Every source block of the unit is gone: drop its translation, keep target-only blocks after it."""
    if unit.alive:
        return False
    note = "target-only blocks after it kept" if unit.tail.strip() else ""
    record = state.report(Record(STATUS_DELETED, False, unit.old_text, None, unit.body, None, note, anchor=state.anchor))
    state.collect_orphans(unit, record)
    state.append(unit.trailing())
    return True


def rule_unchanged(state: MergeState, unit: Unit) -> bool:
    """Unchanged (or only moved) source: the old translation byte for byte."""
    if len(unit.alive) != len(unit.link.src) or not unit.kinds <= {UNCHANGED, MOVED}:
        return False
    status = STATUS_MOVED if any(m.moved for m in unit.alive) else KEPT
    state.emit(unit.body, Record(status, False, unit.old_text, unit.new_text, unit.body, unit.body))
    state.append(unit.tail)
    return True


def rule_code_or_math(state: MergeState, unit: Unit) -> bool:
    """No prose on either side (code, math, structure): the new source merged line by line."""
    if any(b.segments for b in unit.old_blocks + unit.new_blocks):
        return False
    new_text = unit.new_text
    merged = merge_code(unit.old_text, new_text, unit.body)
    notes = ["code/math updated from the new source"]
    if merged.kept:
        notes.append(f"{merged.kept} translated line(s) kept")
    if merged.updated:
        notes.append(f"{merged.updated} translated line(s) given the new code")
    for _source, line, why in merged.lost:
        notes.append(f"translated line not carried over ({why}): {line.strip()}")
    record = Record(PROPAGATED, bool(merged.lost), unit.old_text, new_text, unit.body, merged.text, "; ".join(notes))
    state.emit(merged.text, record)
    state.add_orphans(((source, line) for source, line, why in merged.lost if why.endswith("removed")), record)
    state.append(unit.tail)
    return True


def rule_segments_one_to_one(state: MergeState, unit: Unit) -> bool:
    """As many segments in the old source, the new source and the translation: merge them pairwise."""
    olds, news, tgts = unit.segments(state)
    if not (tgts and len(olds) == len(news) == len(tgts)
            and (unit.same_kind or len(unit.old_blocks) == len(unit.new_blocks))):
        return False
    merge_groups(state, unit, [([o], [n], t) for o, n, t in zip(olds, news, tgts, strict=True)])
    return True


def rule_one_target_segment(state: MergeState, unit: Unit) -> bool:
    """The translation is one segment and the new source one block: merge everything into it (unless
    the new block has structure between its segments, a ``:label:`` line say, that the old one had not:
    merged into one segment, it would vanish)."""
    olds, news, tgts = unit.segments(state)
    if not (len(tgts) == 1 and olds and news and len(unit.new_blocks) == 1):
        return False
    if Counter(inner_structure(state.ns, unit.new_blocks)) - Counter(inner_structure(state.os, unit.old_blocks)):
        return False
    merge_groups(state, unit, [(olds, news, tgts[0])])
    return True


def rule_list_items(state: MergeState, unit: Unit) -> bool:
    """A list or table gained or lost items: the new block's layout, the old items' translations."""
    olds, news, tgts = unit.segments(state)
    if not (unit.same_kind and len(olds) == len(tgts) > 1):
        return False
    state.append(merge_items(state, olds, news, tgts, unit.new_blocks[0]))
    state.append(unit.tail)
    return True


def rule_rewritten(state: MergeState, unit: Unit) -> bool:
    """Anything else: the old translation is reported deleted and the new blocks translated anew."""
    record = state.report(Record(STATUS_DELETED, False, unit.old_text, None, unit.body, None,
                                 "rewritten: translated anew below", anchor=state.anchor))
    state.collect_orphans(unit, record)
    for block in unit.new_blocks:
        add_block(state, block.index)
    state.append(unit.trailing())
    return True


#: The unit rules, in the order they are tried (the last one always applies).
UNIT_RULES: Ruler[UnitRule] = Ruler([
    ("fallback", rule_fallback),  # only for units the validity gate rejected (amts.sync.fallback)
    ("reflowed", rule_reflowed),
    ("deleted", rule_deleted),
    ("unchanged", rule_unchanged),
    ("translators_tab", rule_translators_tab),
    ("code_or_math", rule_code_or_math),
    ("segments_one_to_one", rule_segments_one_to_one),
    ("one_target_segment", rule_one_target_segment),
    ("list_items", rule_list_items),
    ("rewritten", rule_rewritten),
])


def apply_unit_rules(state: MergeState, unit: Unit, rules: Ruler[UnitRule] = UNIT_RULES) -> str:
    """Run the unit rules in order; the first that returns True handled the unit. Returns its name."""
    for name, rule in rules:
        if rule(state, unit):
            state.rules_used[name] += 1
            return name
    raise AssertionError("the last unit rule handles every unit")  # pragma: no cover


# ---- what several rules share ----------------------------------------------------------------------
def merge_groups(state: MergeState, unit: Unit, groups: list[tuple[list[Segment], list[Segment], Segment]]) -> None:
    """Merge each group (old-source segments, new-source segments, their target segment) into the
    unit's translation, keeping everything around the target segments as it is."""
    replacements = {target.index: merge_segment(state, olds, news, target) for olds, news, target in groups}
    framed = merge_frame(state, unit, groups[0][2].block) if len(unit.old_blocks) == len(unit.new_blocks) == 1 else None
    ot = state.ot
    if framed is None:
        state.append(render_range(ot, unit.start, unit.end, replacements))
    else:
        head, tail, block = framed
        first, last = ot.block_segments(block)[0], ot.block_segments(block)[-1]
        state.append(ot.text[unit.start : block.start] + head)
        state.append(render_range(ot, first.start, last.end, replacements))
        state.append(tail + ot.text[block.end : unit.end])
    state.append(unit.tail)


def inner_structure(doc: Document, blocks: list[Block]) -> list[str]:
    """What stands between the segments of ``blocks`` besides whitespace (labels, figures' attributes...)."""
    out: list[str] = []
    for block in blocks:
        segments = doc.block_segments(block)
        out += [between for a, b in itertools.pairwise(segments) if (between := doc.text[a.end : b.start].strip())]
    return out


def frame(doc: Document, block: Block) -> tuple[str, str]:
    """The structure around a block's prose: what comes before its first segment (``:begin_tab:`` line,
    heading marks, list marker) and after its last one (``:label:`` and ``:end_tab:`` lines...)."""
    segments = doc.block_segments(block)
    if not segments:
        return block.text, ""
    return doc.text[block.start : segments[0].start], doc.text[segments[-1].end : block.end]


def merge_frame(state: MergeState, unit: Unit, target_block: int) -> tuple[str, str, Block] | None:
    """Tab wrappers and labels the source added, removed or renamed around a paragraph, carried into
    its translation (a line merge of the structure before and after the prose); None when unchanged."""
    old_head, old_tail = frame(state.os, unit.old_blocks[0])
    new_head, new_tail = frame(state.ns, unit.new_blocks[0])
    if (old_head, old_tail) == (new_head, new_tail) or not unit.new_blocks[0].segments:
        return None
    block = state.ot.blocks[target_block]
    tgt_head, tgt_tail = frame(state.ot, block)
    head, tail = merge_code(old_head, new_head, tgt_head), merge_code(old_tail, new_tail, tgt_tail)
    head.text, tail.text = _tabs_as_in(new_head, head.text), _tabs_as_in(new_tail, tail.text)
    lost = head.lost + tail.lost
    notes = ["structure around the paragraph updated from the new source"]
    notes += [f"translated structure line not carried over ({why}): {line.strip()}" for _s, line, why in lost]
    state.report(Record(PROPAGATED, bool(lost), old_head + "…" + old_tail, new_head + "…" + new_tail,
                        tgt_head + "…" + tgt_tail, head.text + "…" + tail.text, "; ".join(notes), anchor=state.anchor))
    return head.text, tail.text, block


def _is_tab_line(line: str) -> bool:
    return bool(BEGIN_TAB_LINE_RE.match(line) or END_TAB_LINE_RE.match(line))


def _tabs_as_in(new: str, merged: str) -> str:
    """``merged`` with the tab markers of ``new``: which framework a block is for is the source's
    structure, so a marker the translators had for another one gives way (never two openers)."""
    tabs = [line for line in new.splitlines(keepends=True) if _is_tab_line(line)]
    if [line.strip() for line in merged.splitlines() if _is_tab_line(line)] == [line.strip() for line in tabs]:
        return merged
    kept = [line for line in merged.splitlines(keepends=True) if not _is_tab_line(line)]
    opening = [line for line in tabs if BEGIN_TAB_LINE_RE.match(line)]
    return "".join(opening + kept + [line for line in tabs if line not in opening])


def merge_items(state: MergeState, olds: list[Segment], news: list[Segment], targets: list[Segment],
                block: Block) -> Callable[[], str]:
    """The new list or table ``block`` with each item merged from the old item it continues, if any."""
    anchor = state.anchor
    replacements: dict[int, Callable[[], str]] = {}
    for _kind, o, n in diff_sentences([s.text for s in olds], [s.text for s in news], state.src):
        if n is None:
            assert o is not None
            state.report(Record(STATUS_DELETED, False, olds[o].text, None, targets[o].text, None, anchor=anchor))
        elif o is None:
            replacements[news[n].index] = translate_segment(state, news[n], anchor)
        else:
            replacements[news[n].index] = merge_segment(state, [olds[o]], [news[n]], targets[o])
    return render_range(state.ns, block.start, block.end, replacements)


def add_block(state: MergeState, index: int | None) -> None:
    """A block of the new source with no translation: its prose translated, its code copied."""
    if index is None:
        return
    block = state.ns.blocks[index]
    gap = _gap_after(state.ns, index)
    if add_block_safely(state, index, gap):
        return
    adopted = state.adopted.get(index)
    if adopted is not None:  # the translators' own block for it (amts.sync.adopt)
        state.emit(adopted.text, Record(FUZZY, True, None, block.text, adopted.text, adopted.text,
                                        "the translators' block for this tab, written before the source had it: "
                                        "check it against the new source"))
        state.append(gap)
        return
    anchor = state.anchor
    if not block.segments and _labels_placed_by_translators(state, block.text):
        state.report(Record(KEPT, False, None, block.text, None, None,
                            "label already in the translation, where the translators put it", anchor=anchor))
        return
    if not block.segments:
        record = Record(STATUS_ADDED, False, None, block.text, None, block.text, "structure added from the new source")
        state.added_code.append((state.anchor, record))
        state.emit(block.text, record)
        state.append(gap)
        return
    replacements = {s: translate_segment(state, state.ns.segments[s], anchor) for s in block.segments}
    state.append(render_range(state.ns, block.start, block.end, replacements))
    state.append(gap)


def _labels_placed_by_translators(state: MergeState, text: str) -> bool:
    """Whether ``text`` is only labels the old translation defines and its old source did not: the
    translators placed them ahead of the source, so adding them again would define them twice."""
    if LABEL_RE.sub("", text).strip():
        return False
    labels = LABEL_RE.findall(text)
    return bool(labels) and all(label in LABEL_RE.findall(state.ot.text) and label not in LABEL_RE.findall(state.os.text)
                                for label in labels)


def _gap_after(doc: Document, index: int) -> str:
    """The blank lines after block ``index`` in ``doc`` (how an inserted block is separated)."""
    following = doc.blocks[index + 1] if index + 1 < len(doc.blocks) else None
    if following is not None and following.kind == "blank":
        return following.text
    return "\n" if doc.blocks[index].text.endswith("\n") else "\n\n"
