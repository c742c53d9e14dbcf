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
    if path.is_file() and path.stat().st_size == 0:  # SQLite would silently start an empty store in it
        raise DatabaseError(f"{path}: empty file (0 bytes), not an amts store; restore it from a backup, "
                            "or delete it to start a new store")
    if path.is_dir():
        raise DatabaseError(f"{path}: is a folder, not an amts store file")
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
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        raise DatabaseError(_cannot_write(conn, error)) from error
    try:
        yield conn
    except sqlite3.OperationalError as error:
        _rollback(conn)
        raise DatabaseError(_cannot_write(conn, error)) from error
    except BaseException:
        _rollback(conn)
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.OperationalError as error:
        _rollback(conn)
        raise DatabaseError(_cannot_write(conn, error)) from error


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo the open transaction; SQLite has already undone it after some errors (a full disk)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _cannot_write(conn: sqlite3.Connection, error: sqlite3.OperationalError) -> str:
    """One line that names the file and what to do: locked by another process, or read-only."""
    try:
        where = conn.execute("PRAGMA database_list").fetchone()[2] or "the store"
    except sqlite3.Error:
        where = "the store"
    text = str(error)
    if "locked" in text or "busy" in text:
        return (f"{where}: locked by another process for longer than {BUSY_TIMEOUT_MS // 1000} s "
                "(another amts command writing?); nothing written, try again when it has finished")
    if "full" in text:
        return f"{where}: the disk (or the store's size limit) is full; nothing written, free some space and try again"
    if "readonly" in text or "read-only" in text:
        return f"{where}: read-only (check the file's and its folder's permissions); nothing written"
    return f"{where}: cannot write: {text}; nothing written"


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
