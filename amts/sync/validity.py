"""The validity gate: sync writes a file only if it is a valid book page wherever its inputs were.

Independent of how the merge built the output, the gate reads the output text as a build would
(:mod:`amts.document.wellformed`: fences, tab markers, ``$$``, code spans, slide marks, labels, list
items, Python cells that compile) and compares it with the new source and the old translation: a
defect one of them already has (the same kind on the same line text) is inherited, not the output's
fault. Two more checks compare counts: every label of the new source is defined (unless the old
translation already lacked it), and no framework has more ``:begin_tab:`` blocks than the new source
and the old translation have (a duplicated tab block).

:func:`introduced` lists what the output introduces; :func:`check_output` raises
:class:`InvalidOutputError` with the first of them. The merge falls back per unit where the output
fails (:func:`amts.sync.merge.merge_documents`); run_jobs blocks a file that still fails.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from amts.document import Document
from amts.document.wellformed import Defect, defects, labels, tab_blocks
from amts.errors import AmtsError
from amts.sync.parsed import parsed

#: a defect whose line is in the new source (what the output lacks), not in the output
LABEL_MISSING = "label of the new source missing"


class InvalidOutputError(AmtsError):
    """The merged file would not be a valid book page where its inputs were: it is not written."""

    def __init__(self, problems: list[Defect]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"the merged text is not a valid page: {first.describe()}{more}")

    @property
    def line(self) -> int:
        return self.problems[0].line


@dataclass(frozen=True)
class Inputs:
    """The texts a sync output is judged against (parsed once; their own defects found only when needed)."""

    old_source: Document
    new_source: Document
    old_target: Document

    @classmethod
    def of(cls, old_source: str | Document, new_source: str | Document, old_target: str | Document) -> Inputs:
        return cls(*(t if isinstance(t, Document) else parsed(t) for t in (old_source, new_source, old_target)))


def introduced(output: str | Document, inputs: Inputs) -> list[Defect]:
    """The defects of ``output`` that neither the new source nor the old translation has."""
    doc = output if isinstance(output, Document) else parsed(output)
    found = defects(doc)
    if found:
        inherited = Counter(d.key for d in defects(inputs.new_source)) | Counter(d.key for d in defects(inputs.old_target))
        fresh: list[Defect] = []
        for defect in found:
            if inherited[defect.key] > 0:
                inherited[defect.key] -= 1
            else:
                fresh.append(defect)
        found = fresh
    found += _missing_labels(doc, inputs)
    found += _extra_tab_blocks(doc, inputs)
    return sorted(found, key=lambda d: d.line)


def check_output(output: str | Document, inputs: Inputs) -> None:
    """Raise :class:`InvalidOutputError` if ``output`` introduces a defect."""
    problems = introduced(output, inputs)
    if problems:
        raise InvalidOutputError(problems)


def _missing_labels(doc: Document, inputs: Inputs) -> list[Defect]:
    """A label of the new source the output does not define (the old translation lacking it excuses it)."""
    have = labels(doc)
    wanted = labels(inputs.new_source)
    excused = set(labels(inputs.old_source)) - set(labels(inputs.old_target))
    lines = inputs.new_source.text.split("\n")
    return [Defect(LABEL_MISSING, line, lines[line - 1], "line of the new source")
            for name, line in wanted.items() if name not in have and name not in excused]


def _extra_tab_blocks(doc: Document, inputs: Inputs) -> list[Defect]:
    """More ``:begin_tab:`` blocks for a framework than both inputs have: a tab block duplicated."""
    new, old = tab_blocks(inputs.new_source), tab_blocks(inputs.old_target)
    out: list[Defect] = []
    lines = doc.text.split("\n")
    for name, at in tab_blocks(doc).items():
        allowed = max(len(new.get(name, [])), len(old.get(name, [])))
        if len(at) > allowed:
            out.append(Defect(f"tab block for {name} duplicated", at[-1], lines[at[-1] - 1],
                              f"{len(at)} blocks, the inputs {allowed}"))
    return out
