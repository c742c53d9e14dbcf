"""Crash-safe writes for an update: the whole plan is written ahead, then carried out.

An update computes every text first (outputs staged in the edition's ``.amts/work/``, never in the
system's temporary folder), then writes the journal -- for each file the hash of its text before and its
new text (or its removal), the report and the state last -- and only then writes the files. A run killed
anywhere leaves either no journal (nothing of the edition written yet: run again from scratch) or a
complete one, which the next run carries out before anything else (roll forward): the result is the
one the interrupted run would have written. ``.amts/work/`` ignores itself in git (a ``.gitignore``
of ``*``) and is removed when the update ends; a stale one is emptied at start.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import signal
from dataclasses import asdict, dataclass
from pathlib import Path

from amts.edition.state import StateError
from amts.fileio import atomic_write_text

WORK = Path(".amts") / "work"
JOURNAL = "journal.json"
#: test-only fault injection (tests/test_update_crash.py): SIGKILL the update just before its Nth write,
#: counting the journal as write 1 and its removal as the last
KILL_AT_WRITE = "AMTS_TEST_KILL_AT_WRITE"
_WRITES = itertools.count(1)  # the writes of this process, for KILL_AT_WRITE


@dataclass
class Write:
    """One planned change of a file: ``new`` text, or None to remove it; ``old`` the SHA-256 of its bytes
    before (None when it did not exist), so that a roll-forward never overwrites someone else's edit."""

    path: str  # relative to the edition root (absolute when outside it, e.g. a --report elsewhere)
    new: str | None
    old: str | None


def digest(path: Path) -> str | None:
    """The SHA-256 of the file's bytes; None when there is no such file."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def planned(edition: Path, path: Path, new: str | None) -> Write:
    """The write of ``new`` to ``path`` (None: its removal), with the file's present hash."""
    resolved, root = path.resolve(), edition.resolve()
    shown = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(resolved)
    return Write(shown, new, digest(path))


class Journal:
    """The edition's write-ahead journal and staging folder (``.amts/work/``)."""

    def __init__(self, edition: Path) -> None:
        self.edition = edition
        self.work = edition / WORK
        self.path = self.work / JOURNAL

    def pending(self) -> dict | None:
        """The plan of an update that was interrupted after writing it, if any."""
        if not self.path.is_file():
            return None
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:  # the journal is written atomically: not ours
            raise StateError(f"{self.path}: unreadable update journal ({error}); remove it to start again") from None

    def staging(self) -> Path:
        """An empty staging folder inside the work folder (what an interrupted run staged is removed)."""
        staging = self.work / "staging"
        if staging.exists():
            shutil.rmtree(staging)
        for stale in self.work.glob(f".{JOURNAL}.*.tmp"):  # a journal write killed halfway
            stale.unlink()
        staging.mkdir(parents=True)
        (self.work / ".gitignore").write_text("*\n", encoding="utf-8")
        return staging

    def carry_out(self, writes: list[Write], result: dict) -> None:
        """Write the journal, then every planned file in order (the state last)."""
        self._before_write()
        atomic_write_text(self.path, json.dumps({"version": 1, "result": result,
                                                 "writes": [asdict(w) for w in writes]}, ensure_ascii=False))
        self.roll_forward(writes)

    def roll_forward(self, writes: list[Write]) -> None:
        """Bring every planned file to its new text; one already there is left alone, one that is neither
        what the plan found nor what it writes (edited since) is refused before anything is written."""
        todo = []
        for write in writes:
            path = self.edition / write.path
            now = digest(path)
            new = None if write.new is None else hashlib.sha256(write.new.encode("utf-8")).hexdigest()
            if now == new:
                continue
            if now != write.old:
                raise StateError(f"{path}: changed since an interrupted update planned to write it; "
                                 f"remove {self.path} to discard that update, then run again")
            todo.append((path, write.new))
        for path, new in todo:
            for stale in path.parent.glob(f".{path.name}.*.tmp"):  # a write killed halfway
                stale.unlink()
            self._before_write()
            if new is None:
                path.unlink()
            else:
                atomic_write_text(path, new)

    def resume(self) -> dict | None:
        """Carry out an interrupted update's plan; its result (None when there was none)."""
        data = self.pending()
        if data is None:
            return None
        self.roll_forward([Write(**w) for w in data["writes"]])
        return data["result"]

    def close(self) -> None:
        """The update is complete: the journal and the staging go."""
        if self.work.exists():
            self._before_write()
            self.path.unlink(missing_ok=True)
            shutil.rmtree(self.work)

    @staticmethod
    def _before_write() -> None:
        if os.environ.get(KILL_AT_WRITE) == str(next(_WRITES)):
            os.kill(os.getpid(), signal.SIGKILL)
