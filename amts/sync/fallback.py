"""Where the merged text fails the validity gate, what wrote the failing lines is written again, safely.

The gate (:mod:`amts.sync.validity`) names lines; the merge state knows which unit of the old
translation (or which block the new source added) wrote each output part (``state.owners``). Those
owners are merged again through :func:`rule_fallback`, the first unit rule, in a safe form, raising
the level each round they still fail:

* prose, level 1: the old translation of the block, kept as it was and flagged (``fuzzy``);
* code, level 1: the new source's code with the translators' lines as comments beside the lines
  they translate (:func:`commented_code`);
* level 2: the new source's block, flagged, the old translation shown in the report (``target_old``)
  so no translated line vanishes without a trace;
* a block the new source added: written as the new source has it (no reused translated lines);
* then the unit is not written (a block that duplicates what the page has), shown for review;
* last, neither is what the translators added after it (their target-only blocks), shown for review.

Every fallback is a report record that needs review and says why. A file still invalid after
:data:`MAX_ROUNDS` rounds raises :class:`~amts.sync.validity.InvalidOutputError` (the file is blocked).
"""

from __future__ import annotations

from collections.abc import Callable

from amts.document.markup import TAB_LINE_RE
from amts.document.wellformed import Defect
from amts.sync.lines import line_pieces
from amts.sync.state import (
    FUZZY,
    PROPAGATED,
    STATUS_ADDED,
    STATUS_DELETED,
    UNTRANSLATED,
    MergeState,
    PartOwner,
    Record,
    Unit,
)
from amts.sync.validity import LABEL_MISSING, Inputs, InvalidOutputError, introduced

MAX_ROUNDS = 12
_OMIT_BODY = 3  # the level that leaves the unit out; one more also leaves out what follows it
_TOP_LEVEL = 4
_OMITTED = "not written: the merged text was not valid ({}) even in the new source's form; shown for review"

Rerun = Callable[[dict[tuple, int], dict[tuple, str]], tuple[MergeState, str]]


def rule_fallback(state: MergeState, unit: Unit) -> bool:
    """A unit the gate rejected: written in the safe form of its level (see the module docstring)."""
    key = ("unit", unit.link.src)
    level = state.fallback.get(key, 0)
    if not level:
        return False
    why = state.fallback_reasons.get(key, "")
    if level >= _OMIT_BODY:
        return _omit(state, unit, why, with_tail=level > _OMIT_BODY)
    prose = any(b.segments for b in unit.old_blocks + unit.new_blocks)
    if prose and level == 1 and unit.alive:
        text, status = unit.body, FUZZY
        note = f"old translation of the block kept as it was: the merged text was not valid ({why})"
    elif not prose and level == 1 and unit.alive:
        text, status = commented_code(unit.old_text, unit.new_text, unit.body), PROPAGATED
        note = (f"the new source's code written with the translators' lines as comments beside the lines "
                f"they translate: the merged text was not valid ({why}); old translation shown")
    else:
        text, status = unit.new_text, UNTRANSLATED if prose else PROPAGATED
        note = f"the new source's block written: the merged text was not valid ({why}); old translation shown"
    state.emit(text, Record(status, True, unit.old_text, unit.new_text, unit.body, text, note))
    state.append(_after(text, unit.tail if unit.alive else unit.trailing()))
    return True


def _omit(state: MergeState, unit: Unit, why: str, *, with_tail: bool) -> bool:
    """Leave the unit out (a duplicate of what the page has), then also what the translators added after it."""
    shown = unit.body + (unit.tail if with_tail else "")
    state.report(Record(STATUS_DELETED, True, unit.old_text, unit.new_text, shown, None, _OMITTED.format(why),
                        anchor=state.anchor))
    state.append("\n" if with_tail and unit.tail.endswith("\n") else "" if with_tail else _after("", unit.trailing()))
    return True


def _after(text: str, tail: str) -> str:
    """``tail`` so that the next block starts a line (an old translation may end without a newline)."""
    if text and not text.endswith("\n") and not tail.startswith(("\n", "\r")):
        tail = "\n" + tail
    elif tail.strip() and not tail.endswith("\n"):
        tail += "\n"
    return tail


def commented_code(old_source: str, new_source: str, target: str) -> str:
    """The new source's code with each line only the translators wrote (a translated comment or
    docstring, a line whose strings they translated) as a comment after the new line that preceded it
    in their block: a comment never breaks a cell, and the translation stays in view for the reviewer."""
    new_lines = new_source.splitlines(keepends=True)
    old_lines = {line.strip() for line in old_source.splitlines()}
    anchor = _code_start(new_lines)
    after: dict[int, list[str]] = {}
    for line in target.splitlines():
        stripped = line.strip()
        found = next((k for k in range(anchor + 1, len(new_lines) - 1) if new_lines[k].strip() == stripped), None)
        if found is not None and stripped:
            anchor = found
            continue
        if not stripped or stripped in old_lines or stripped.startswith(("```", "~~~")):
            continue  # a source line the new source changed or dropped: shown in the report only
        words = " ".join(piece.strip() for piece in line_pieces(line)[1] if piece.strip())
        if words:
            after.setdefault(anchor, []).append(f"{line[: len(line) - len(line.lstrip())]}# {words}\n")
    return "".join(line + "".join(after.get(k, [])) for k, line in enumerate(new_lines))


def _code_start(lines: list[str]) -> int:
    """The index of the last line of a code block's head: its opening fence, then a tab marker line."""
    start = 0
    if len(lines) > 1 and TAB_LINE_RE.match(lines[1]):
        start = 1
    return start


def add_block_safely(state: MergeState, index: int, gap: str) -> bool:
    """A block the new source added, which the gate rejected: written as the new source has it."""
    key = ("added", index)
    level = state.fallback.get(key, 0)
    if not level:
        return False
    block = state.ns.blocks[index]
    if level > 1:
        state.report(Record(STATUS_DELETED, True, None, block.text, None, None,
                            _OMITTED.format(state.fallback_reasons.get(key, "")), anchor=state.anchor))
        return True
    status = UNTRANSLATED if block.segments else STATUS_ADDED
    note = f"written as the new source has it: the merged text was not valid ({state.fallback_reasons.get(key, '')})"
    state.emit(block.text, Record(status, bool(block.segments), None, block.text, None, block.text, note))
    state.append(gap)
    return True


def make_valid(state: MergeState, text: str, inputs: Inputs, rerun: Rerun) -> tuple[MergeState, str, int]:
    """The merge (state, text) once every failing owner is written safely; also how many owners fell
    back. Raises :class:`InvalidOutputError` when no safe form makes the text valid."""
    levels: dict[tuple, int] = {}
    reasons: dict[tuple, str] = {}
    for _round in range(MAX_ROUNDS):
        problems = introduced(text, inputs)
        if not problems:
            return state, text, len(levels)
        raised = False
        for owner, problem in _owners(state, text, problems):
            if levels.get(owner.key, 0) < _TOP_LEVEL:
                levels[owner.key] = levels.get(owner.key, 0) + 1
                reasons[owner.key] = problem.describe()
                raised = True
        if not raised:
            raise InvalidOutputError(problems)
        state, text = rerun(levels, reasons)
    problems = introduced(text, inputs)
    if problems:
        raise InvalidOutputError(problems)
    return state, text, len(levels)


def _owners(state: MergeState, text: str, problems: list[Defect]) -> list[tuple[PartOwner, Defect]]:
    """The owners of the parts each problem's line is in (for a label the new source has and the output
    lacks: the owner of the new-source block it is in)."""
    offsets = state.part_offsets + [len(text)]
    spans = []  # (first line, last line, owner) of each non-empty part
    for index, owner in enumerate(state.owners):
        start, end = offsets[index], offsets[index + 1] if index + 1 < len(offsets) else len(text)
        if owner is not None and end > start:
            spans.append((text.count("\n", 0, start) + 1, text.count("\n", 0, end - 1) + 1, owner))
    found: list[tuple[PartOwner, Defect]] = []
    for problem in problems:
        if problem.kind == LABEL_MISSING:
            blocks = {b.index for b in state.ns.blocks if b.line < problem.line <= b.line + max(b.text.count("\n"), 1)}
            found += [(owner, problem) for *_, owner in spans if blocks & set(owner.new_blocks)]
            continue
        lines = {problem.line, problem.related} - {0}
        found += [(owner, problem) for first, last, owner in spans if any(first <= n <= last for n in lines)]
    return found
