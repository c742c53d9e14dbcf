"""Review decisions, kept in a JSON sidecar next to what is reviewed so a session can be resumed."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from amts.fileio import atomic_write_text

ACCEPTED, EDITED, REJECTED = "accepted", "edited", "rejected"
DECISIONS = (ACCEPTED, EDITED, REJECTED)


@dataclass
class Decision:
    decision: str  # accepted | edited | rejected
    file: str  # output file, root-relative
    target: str | None  # the segment's text in the file after the decision
    previous: str | None  # the text it replaced (the proposal, or an earlier edit)
    at: str  # ISO time, UTC
    sha256: str = ""  # of the output file after the decision
    parallel_data: str = ""  # "<name> v<version>" the pair went to, or why it did not


class ReviewState:
    """Decisions by segment id; every change is written at once, atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.decisions: dict[str, Decision] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.decisions = {key: Decision(**value) for key, value in data.get("decisions", {}).items()}
            except (ValueError, TypeError) as error:
                raise ValueError(f"{path}: unreadable review state ({error}); move it away to start over") from None

    def get(self, item_id: str) -> Decision | None:
        return self.decisions.get(item_id)

    def record(self, item_id: str, decision: Decision) -> None:
        self.decisions[item_id] = decision
        payload = {"version": 1, "decisions": {key: asdict(value) for key, value in self.decisions.items()}}
        atomic_write_text(self.path, json.dumps(payload, ensure_ascii=False, indent=1) + "\n")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
