"""Shared by the engine-cache tests: how many answers a run has stored so far."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def cached_answers(path: Path) -> int:
    """Rows in the engine cache at ``path`` (0 before the run created it)."""
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM translations").fetchone()[0]
        except sqlite3.OperationalError:  # the run is creating it
            return 0
