"""Which sentences of a translation are not human work: left in the source language, or machine-translated.

A sync writes them into its report (``"provenance"`` of each file entry: ``{"machine": [...],
"source": [...]}``, the exact texts written). The next sync of that output reads them back
(:func:`provenance_of`, from the stored report or a report file) and treats those sentences as what they
are: a changed sentence is translated anew, never kept as "the old human translation, fuzzy"; an old
sentence left in the source language is asked for again; neither is reused elsewhere as a human
translation. A target sentence identical to its source sentence is never human work, report or not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from amts.document import normalize_space
from amts.records import RecordStatus

MACHINE = "machine"
SOURCE = "source"


@dataclass
class Provenance:
    """Target texts written by an engine (``machine``) or left in the source language (``source``)."""

    machine: list[str] = field(default_factory=list)
    source: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.machine or self.source)

    def origin(self, target: str, lang: str) -> str:
        """``"machine"``, ``"source"`` or ``""`` (human, as far as is known) for a piece of translation:
        it is what amts wrote when it lies within one of the texts recorded."""
        text = normalize_space(target, lang)
        if not text:
            return ""
        for kind, texts in ((SOURCE, self.source), (MACHINE, self.machine)):
            if any(text in normalize_space(written, lang) for written in texts):
                return kind
        return ""

    def to_json(self) -> dict:
        return {MACHINE: list(self.machine), SOURCE: list(self.source)}


def written_by_amts(records: Iterable, output: str, carried: Provenance | None = None) -> Provenance:
    """The provenance of a merge's output: what its records say amts wrote (engine translations, source
    text kept), plus what the old translation's provenance says of texts still in the output."""
    out = Provenance()
    for record in records:
        text = record.target_new
        if not text:
            continue
        if record.status == RecordStatus.UNTRANSLATED:
            out.source.append(text)
        elif record.status in (RecordStatus.TRANSLATED, RecordStatus.ADDED) and record.note != "exact memory match":
            out.machine.append(text)
    if carried:
        out.machine += [t for t in carried.machine if t in output and t not in out.machine]
        out.source += [t for t in carried.source if t in output and t not in out.source]
    return out


def provenance_of(file_entry: Mapping | None) -> Provenance:
    """The provenance recorded in one file entry of a sync report (empty for reports without it)."""
    recorded = (file_entry or {}).get("provenance") or {}
    return Provenance(list(recorded.get(MACHINE) or []), list(recorded.get(SOURCE) or []))


def read_provenance(report: Mapping, base: Path) -> dict[str, Provenance]:
    """Each output of a saved sync report (its path resolved against ``base``, the report's folder
    or the folder the sync ran in) -> its provenance: what a later sync of those outputs passes on."""
    found: dict[str, Provenance] = {}
    for entry in report.get("files") or []:
        output = entry.get("output")
        if isinstance(output, str) and entry.get("provenance"):
            found[str((base / output).resolve())] = provenance_of(entry)
    return found
