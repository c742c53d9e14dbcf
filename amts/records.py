"""The shape of one segment of a sync report: written by sync, read by review and exchange.

Declared once here, below the layers, so that the writer (:mod:`amts.sync`) and the readers
(:mod:`amts.review`) agree on the fields without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RecordStatus(StrEnum):
    """What the merge did with one sentence of the new source (compares equal to its string value)."""

    KEPT = "kept"
    PROPAGATED = "propagated"
    TRANSLATED = "translated"
    FUZZY = "fuzzy"
    UNTRANSLATED = "untranslated"
    ADDED = "added"
    DELETED = "deleted"
    MOVED = "moved"


STATUSES = tuple(RecordStatus)
#: statuses whose target a reviewer looks at even when a report does not say so (old, hand-written reports)
REVIEW_STATUSES = frozenset({RecordStatus.TRANSLATED, RecordStatus.FUZZY, RecordStatus.UNTRANSLATED,
                             RecordStatus.ADDED})


@dataclass
class SegmentRecord:
    """One segment of a sync report: what the merge did, the texts before and after, where it went."""

    status: str
    needs_review: bool
    source_old: str | None
    source_new: str | None
    target_old: str | None
    target_new: str | None
    note: str = ""
    output_line: int | None = None  # 1-based line of ``target_new`` in the output

    def to_json(self, segment_id: str) -> dict:
        """The report's JSON form of this segment (the key order is part of the contract)."""
        return {"id": segment_id, "status": self.status, "needs_review": self.needs_review,
                "source_old": self.source_old, "source_new": self.source_new, "target_old": self.target_old,
                "target_new": self.target_new, "output_line": self.output_line, "note": self.note}

    @staticmethod
    def fields_from_json(segment: dict) -> dict:
        """The record's fields read from a report segment, tolerant of old or hand-written reports."""
        status = str(segment.get("status", RecordStatus.TRANSLATED))
        return {"status": status, "needs_review": bool(segment.get("needs_review", status in REVIEW_STATUSES)),
                "source_old": segment.get("source_old"), "source_new": segment.get("source_new"),
                "target_old": segment.get("target_old"), "target_new": segment.get("target_new"),
                "note": str(segment.get("note") or ""), "output_line": segment.get("output_line")}


_TEXT_FIELDS = ("id", "status", "source_old", "source_new", "target_old", "target_new", "note")


def report_segments(data: object, name: str) -> list[tuple[dict, list[dict]]]:
    """Each file entry of a sync report with its segments, or :class:`InputError` naming what is wrong.

    A reader of a report (review, exchange) checks its shape once here, so a hand-edited or foreign
    JSON file is one line, never a crash in the middle of reading it."""
    from amts.errors import InputError

    def bad(why: str) -> InputError:
        return InputError(f"{name}: not a sync report ({why})")

    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise bad("no 'files' list")
    found = []
    for number, entry in enumerate(data["files"], 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("segments", []), list):
            raise bad(f"file entry {number} is not an object with a 'segments' list")
        segments = entry.get("segments", [])
        for index, segment in enumerate(segments, 1):
            if not isinstance(segment, dict):
                raise bad(f"file entry {number}, segment {index} is not an object")
            wrong = [key for key in _TEXT_FIELDS if segment.get(key) is not None and not isinstance(segment[key], str)]
            if wrong:
                raise bad(f"file entry {number}, segment {index}: {wrong[0]} is not text")
        found.append((entry, segments))
    return found
