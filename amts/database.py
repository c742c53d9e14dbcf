"""The one way amts opens SQLite: shared-file connections, per-component migrations, one-line errors.

Every part of amts that keeps state (the memory's parallel data, jobs, sync's record of what it
wrote, the experiment's engine cache) opens its file with :func:`connect` and creates its tables
only through :func:`migrate`, so the files can be shared by processes and upgraded in place.

* :func:`connect`: WAL journal (readers never block the writer), ``busy_timeout`` so a second writer
  waits instead of failing, ``synchronous=NORMAL`` (a killed process loses nothing committed),
  foreign keys on, autocommit -- callers open transactions explicitly with :func:`write`.
* :func:`migrate`: each component owns its tables and records its schema version in the shared
  ``amts_schema`` table (one row per component) rather than in ``PRAGMA user_version``, which a
  single component cannot own. A file written by a newer amts is refused, never corrupted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from amts.errors import InputError, ServiceError

BUSY_TIMEOUT_MS = 10_000

Migration = Callable[[sqlite3.Connection], None]


class SchemaError(InputError):
    """The file's tables were written by a newer amts (or are not amts tables at all)."""


class DatabaseError(ServiceError):
    """The file cannot be opened or read as an SQLite database (corrupt, locked, unreadable)."""


def connect(path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, threads: bool = False) -> sqlite3.Connection:
    """A connection configured for sharing (see the module docstring); the caller closes it.

    ``threads=True`` lets one connection be used from several threads (the caller serialises).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout_ms / 1000, isolation_level=None,
                               check_same_thread=not threads)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # e.g. a file system without shared memory: still correct, less concurrent
            conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"{path}: cannot open as an amts store: {error}") from error
    return conn


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (``BEGIN IMMEDIATE``) so concurrent writers queue instead
    of deadlocking. A use inside an open transaction joins it."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection, component: str, steps: Sequence[Migration]) -> int:
    """Bring ``component``'s tables to ``len(steps)``: run the steps it has not had yet, atomically.

    ``steps[i]`` upgrades from version i to i+1. Returns the version now in the file.
    """
    conn.execute("CREATE TABLE IF NOT EXISTS amts_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM amts_schema WHERE component = ?", (component,)).fetchone()
    if row and row[0] >= len(steps):
        if row[0] > len(steps):
            raise SchemaError(f"the store's {component} schema is version {row[0]}, newer than this amts knows ({len(steps)})")
        return row[0]
    with write(conn):
        row = conn.execute("SELECT version FROM amts_schema WHERE component = ?", (component,)).fetchone()
        current = row[0] if row else 0
        for step in steps[current:]:
            step(conn)
        conn.execute(
            "INSERT INTO amts_schema (component, version) VALUES (?, ?) "
            "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
            (component, len(steps)),
        )
    return len(steps)
