"""Review decisions, kept in a JSON sidecar next to what is reviewed so a session can be resumed.

Each segment has a history of decisions; the last one counts, and undo removes it. The states:

- ``accepted``: the proposal is right as it is;
- ``edited``: the reviewer's text replaced the proposal (also "use this match");
- ``merged``: the segment's translation is inside the previous segment's (two sources, one target);
- ``restored``: rejected, and the text that was there before the proposal is back in the file;
- ``reopened``: rejected, nothing to restore: the segment still needs a translation (not done).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from amts.errors import InputError
from amts.fileio import atomic_write_text


class State(StrEnum):
    ACCEPTED = "accepted"
    EDITED = "edited"
    MERGED = "merged"
    RESTORED = "restored"
    REOPENED = "reopened"

    @property
    def done(self) -> bool:
        """Whether the segment needs nothing more from a reviewer."""
        return self is not State.REOPENED



@dataclass
class Decision:
    decision: State
    file: str  # output file, root-relative
    target: str | None  # the segment's text in the file after the decision
    previous: str | None  # the text it replaced (the proposal, or an earlier decision's text)
    at: str  # ISO time, UTC
    sha256: str = ""  # of the output file after the decision
    parallel_data: str = ""  # "<name> v<version>" the pair went to, or why it did not
    #: the store version this decision's pair made (undo reverts exactly that version)
    memory_version: int | None = None
    #: for a merge: the segment whose translation holds this one's (or the one merged into this one)
    merged_with: str = ""
    serial: int = 0  # order of decisions in the whole review (undo of "the last decision")
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.decision = State(self.decision)


class ReviewState:
    """Decision histories by segment id; every change is written at once, atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.history: dict[str, list[Decision]] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                if data.get("version", 1) == 1:  # one decision per segment, "rejected" meant restored
                    self.history = {
                        key: [Decision(**{**value, "decision": _v1_state(value["decision"])})]
                        for key, value in data.get("decisions", {}).items()
                    }
                else:
                    self.history = {
                        key: [Decision(**value) for value in values] for key, values in data["history"].items()
                    }
            except (ValueError, TypeError, KeyError) as error:
                raise InputError(f"{path}: unreadable review state ({error}); move it away to start over") from None
        self.serial = max((d.serial for values in self.history.values() for d in values), default=0)

    @property
    def decisions(self) -> dict[str, Decision]:
        """The current decision of every decided segment."""
        return {key: values[-1] for key, values in self.history.items() if values}

    def get(self, item_id: str) -> Decision | None:
        values = self.history.get(item_id)
        return values[-1] if values else None

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def record(self, item_id: str, decision: Decision, save: bool = True) -> None:
        if not decision.serial:
            decision.serial = self.next_serial()
        self.history.setdefault(item_id, []).append(decision)
        if save:
            self.save()

    def has(self, item_id: str, serial: int) -> bool:
        return any(d.serial == serial for d in self.history.get(item_id, []))

    def pop(self, item_id: str, save: bool = True) -> Decision | None:
        values = self.history.get(item_id)
        if not values:
            return None
        decision = values.pop()
        if not values:
            del self.history[item_id]
        if save:
            self.save()
        return decision

    def last_decided(self) -> str | None:
        """The segment whose current decision was made last (what "undo" undoes)."""
        current = [(d.serial, key) for key, d in self.decisions.items()]
        return max(current)[1] if current else None

    def save(self) -> None:
        payload = {"version": 2, "history": {k: [asdict(d) for d in v] for k, v in self.history.items()}}
        atomic_write_text(self.path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")


def _v1_state(value: str) -> State:
    return State.RESTORED if value == "rejected" else State(value)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
