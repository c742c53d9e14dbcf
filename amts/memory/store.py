"""Named, versioned parallel-data resources in the one amts SQLite store.

The store file is shared with other parts of amts (jobs, sync, review), so this module owns only
the tables prefixed ``pd_``, opened and migrated through :mod:`amts.database` (component
``parallel_data``).

Concurrency: WAL journal, so readers never block the writer nor see a half-written version; every
write is one ``BEGIN IMMEDIATE`` transaction, and ``busy_timeout`` makes a second writer wait instead
of failing. A version is immutable once committed: ``update``/``append`` add a new one, old ones stay.

Versions made by ``create``/``update`` are snapshots (their ordered pair ids in ``pd_members``); an
``append`` or ``revert`` is stored as a delta on the version before it (``pd_changes``: pairs added or
replaced), so a review decision grows the store by its pair, not by a copy of the memory.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from amts.database import Migration, SchemaError, connect, migrate, write
from amts.errors import InputError
from amts.memory.pairs import Pair

NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
"""Valid resource names (the rule Amazon Translate applies to parallel-data names)."""

class StoreError(InputError):
    """A store operation that cannot be done as asked (bad name, wrong languages, no pairs...)."""


class NotFound(StoreError):
    """No resource (or version) of that name."""


class AlreadyExists(StoreError):
    """``create`` of a name that is taken."""


@dataclass(frozen=True)
class VersionInfo:
    version: int
    pair_count: int
    created: str
    #: how it was made: "create", "update", "append" or "revert"
    action: str


@dataclass(frozen=True)
class ResourceInfo:
    """What ``describe``/``list`` report about one parallel-data resource (its latest version)."""

    name: str
    description: str
    src_lang: str
    tgt_lang: str
    version: int
    pair_count: int
    created: str
    updated: str
    versions: list[VersionInfo] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _schema_v1(conn: sqlite3.Connection) -> None:
    # not executescript: it would COMMIT the migration's transaction half-way
    for statement in (
        """CREATE TABLE pd_resources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            src_lang TEXT NOT NULL,
            tgt_lang TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            latest INTEGER NOT NULL)""",
        """CREATE TABLE pd_versions (
            resource_id INTEGER NOT NULL REFERENCES pd_resources(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            pair_count INTEGER NOT NULL,
            created TEXT NOT NULL,
            action TEXT NOT NULL,
            PRIMARY KEY (resource_id, version))""",
        """CREATE TABLE pd_pairs (
            id INTEGER PRIMARY KEY,
            resource_id INTEGER NOT NULL REFERENCES pd_resources(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            provenance TEXT NOT NULL DEFAULT '{}')""",
        # a version is an ordered list of pair ids; unchanged pairs are shared between versions
        """CREATE TABLE pd_members (
            resource_id INTEGER NOT NULL REFERENCES pd_resources(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            position INTEGER NOT NULL,
            pair_id INTEGER NOT NULL REFERENCES pd_pairs(id) ON DELETE CASCADE,
            PRIMARY KEY (resource_id, version, position))""",
        "CREATE INDEX pd_pairs_resource ON pd_pairs(resource_id)",
        "CREATE INDEX pd_members_pair ON pd_members(pair_id)",
    ):
        conn.execute(statement)


def _schema_v2(conn: sqlite3.Connection) -> None:
    """Versions as deltas: ``base`` names the version a delta applies to (NULL: a snapshot in pd_members)."""
    for statement in (
        "ALTER TABLE pd_versions ADD COLUMN base INTEGER",
        # one row per change: pair_id added (replacing replaced_id in place), or replaced_id removed
        """CREATE TABLE pd_changes (
            resource_id INTEGER NOT NULL REFERENCES pd_resources(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            pair_id INTEGER REFERENCES pd_pairs(id) ON DELETE CASCADE,
            replaced_id INTEGER REFERENCES pd_pairs(id) ON DELETE CASCADE,
            PRIMARY KEY (resource_id, version, seq))""",
        "CREATE INDEX pd_pairs_source ON pd_pairs(resource_id, source)",
    ):
        conn.execute(statement)


_MIGRATIONS: list[Migration] = [_schema_v1, _schema_v2]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def validate_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise StoreError(f"invalid name {name!r}: use 1-256 letters, digits, '-' or '_'")
    return name


class Store:
    """Versioned parallel-data resources in the SQLite file at ``path`` (created on first use).

    Each method uses its own short-lived connection, so one ``Store`` can be shared by threads and
    processes can open the same file at once.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._migrated = False

    def connect(self) -> sqlite3.Connection:
        """A fresh connection to the store file, configured for sharing (the caller closes it)."""
        conn = connect(self.path)
        if not self._migrated:
            try:
                migrate(conn, "parallel_data", _MIGRATIONS)
            except SchemaError as error:
                conn.close()
                raise StoreError(str(error)) from error
            self._migrated = True
        return conn

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._conn() as conn, write(conn):
            yield conn

    # ------------------------------------------------------------------------------------- writes

    def create(self, name: str, pairs: Iterable[Pair], description: str = "") -> ResourceInfo:
        """A new resource whose version 1 holds ``pairs`` (``AlreadyExists`` if the name is taken)."""
        validate_name(name)
        items = list(pairs)
        src, tgt = _languages(items)
        now = _now()
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM pd_resources WHERE name = ?", (name,)).fetchone():
                raise AlreadyExists(f"parallel data {name!r} already exists (use update or append)")
            cursor = conn.execute(
                "INSERT INTO pd_resources (name, description, src_lang, tgt_lang, created, updated, latest) VALUES (?, ?, ?, ?, ?, ?, 1)",
                (name, description, src, tgt, now, now),
            )
            resource_id = int(cursor.lastrowid or 0)
            ids = _insert_pairs(conn, resource_id, items)
            _add_version(conn, resource_id, 1, ids, now, "create")
        return self.describe(name)

    def update(self, name: str, pairs: Iterable[Pair]) -> ResourceInfo:
        """A new version holding exactly ``pairs``; earlier versions stay readable."""
        items = list(pairs)
        with self._write() as conn:
            resource_id, latest = self._check(conn, name, items)
            _add_version(conn, resource_id, latest + 1, _insert_pairs(conn, resource_id, items), _now(), "update")
        return self.describe(name)

    def append(self, name: str, pairs: Iterable[Pair], origin: str = "post-edited") -> ResourceInfo:
        """A new version: the previous one plus ``pairs``; a pair whose source is already there replaces it.

        Pairs without an ``origin`` in their provenance get ``origin`` (post-edits are human work).
        """
        items = []
        for pair in pairs:
            provenance = dict(pair.provenance)
            provenance.setdefault("origin", origin)
            items.append(Pair(pair.source, pair.target, pair.src_lang, pair.tgt_lang, provenance))
        with self._write() as conn:
            resource_id, latest = self._check(conn, name, items)
            current = _version_ids(conn, resource_id, latest)
            present = set(current)
            new_ids = _insert_pairs(conn, resource_id, items)
            # the last pair given for a source wins; a replaced pair keeps its place in the order
            replacement = {pair.source: pair_id for pair, pair_id in zip(items, new_ids, strict=True)}
            changes: list[tuple[int | None, int | None]] = []
            for source, pair_id in replacement.items():
                replaced = [
                    row[0]
                    for row in conn.execute(
                        "SELECT id FROM pd_pairs WHERE resource_id = ? AND source = ? AND id < ?",
                        (resource_id, source, new_ids[0]),
                    )
                    if row[0] in present
                ]
                changes.append((pair_id, replaced[0] if replaced else None))
                changes.extend((None, extra) for extra in replaced[1:])
            _add_delta(conn, resource_id, latest, changes, _apply(current, changes), _now(), "append")
        return self.describe(name)

    def revert(self, name: str, version: int) -> ResourceInfo:
        """A new version that undoes what ``version`` changed: its pairs removed, the ones they replaced back.

        Only what is still there is undone (a pair replaced again since stays as it is now).
        """
        with self._write() as conn:
            row = conn.execute("SELECT id, latest FROM pd_resources WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotFound(f"no parallel data named {name!r}")
            resource_id, latest = int(row[0]), int(row[1])
            delta = conn.execute(
                "SELECT pair_id, replaced_id FROM pd_changes WHERE resource_id = ? AND version = ? ORDER BY seq",
                (resource_id, version),
            ).fetchall()
            if not conn.execute(
                "SELECT 1 FROM pd_versions WHERE resource_id = ? AND version = ?", (resource_id, version)
            ).fetchone():
                raise NotFound(f"{name!r} has no version {version} (latest is {latest})")
            if not delta:  # a snapshot: its delta is what differs from the version before it
                made = _version_ids(conn, resource_id, version)
                before = _version_ids(conn, resource_id, version - 1) if version > 1 else []
                had, has = set(before), set(made)
                delta = [(i, None) for i in made if i not in had] + [(None, i) for i in before if i not in has]
            current = _version_ids(conn, resource_id, latest)
            present = set(current)
            changes: list[tuple[int | None, int | None]] = []
            for added, replaced in delta:
                if added is not None and added in present:
                    changes.append((replaced, added))
                elif added is None and replaced is not None and replaced not in present:
                    changes.append((replaced, None))
            _add_delta(conn, resource_id, latest, changes, _apply(current, changes), _now(), "revert")
        return self.describe(name)

    def delete(self, name: str) -> None:
        """Remove the resource and every version of it (``NotFound`` if absent)."""
        with self._write() as conn:
            cursor = conn.execute("DELETE FROM pd_resources WHERE name = ?", (name,))
            if cursor.rowcount == 0:
                raise NotFound(f"no parallel data named {name!r}")

    def _check(self, conn: sqlite3.Connection, name: str, items: list[Pair]) -> tuple[int, int]:
        row = conn.execute("SELECT id, latest, src_lang, tgt_lang FROM pd_resources WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"no parallel data named {name!r}")
        src, tgt = _languages(items)
        if (src, tgt) != (row[2], row[3]):
            raise StoreError(f"{name!r} is {row[2]}->{row[3]}; these pairs are {src}->{tgt}")
        return int(row[0]), int(row[1])

    # -------------------------------------------------------------------------------------- reads

    def list(self) -> list[ResourceInfo]:
        """Every resource, by name."""
        with self._conn() as conn:
            conn.execute("BEGIN")
            names = [row[0] for row in conn.execute("SELECT name FROM pd_resources ORDER BY name")]
            infos = [_describe(conn, name) for name in names]
            conn.execute("COMMIT")
        return infos

    def exists(self, name: str) -> bool:
        with self._conn() as conn:
            return conn.execute("SELECT 1 FROM pd_resources WHERE name = ?", (name,)).fetchone() is not None

    def describe(self, name: str) -> ResourceInfo:
        with self._conn() as conn:
            conn.execute("BEGIN")
            try:
                return _describe(conn, name)
            finally:
                conn.execute("COMMIT")

    def pairs(self, name: str, version: int | None = None) -> list[Pair]:
        """The pairs of ``version`` (default: the latest), in their order."""
        with self._conn() as conn:
            conn.execute("BEGIN")  # one snapshot: the version cannot change under us
            try:
                row = conn.execute("SELECT id, latest, src_lang, tgt_lang FROM pd_resources WHERE name = ?", (name,)).fetchone()
                if row is None:
                    raise NotFound(f"no parallel data named {name!r}")
                resource_id, latest, src, tgt = row
                wanted = latest if version is None else version
                if not conn.execute("SELECT 1 FROM pd_versions WHERE resource_id = ? AND version = ?", (resource_id, wanted)).fetchone():
                    raise NotFound(f"{name!r} has no version {wanted} (latest is {latest})")
                ids = _version_ids(conn, resource_id, wanted)
                by_id = {
                    row[0]: row[1:]
                    for row in conn.execute(
                        "SELECT id, source, target, provenance FROM pd_pairs WHERE resource_id = ?", (resource_id,)
                    )
                }
                rows = [by_id[pair_id] for pair_id in ids]
            finally:
                conn.execute("COMMIT")
        # one JSON parse for all provenance objects: ten times faster than one per row
        provenances = json.loads("[" + ",".join(row[2] for row in rows) + "]")
        return [Pair(row[0], row[1], src, tgt, prov) for row, prov in zip(rows, provenances, strict=True)]


def _languages(items: list[Pair]) -> tuple[str, str]:
    if not items:
        raise StoreError("no pairs given")
    src, tgt = items[0].src_lang, items[0].tgt_lang
    for number, pair in enumerate(items, 1):
        if (pair.src_lang, pair.tgt_lang) != (src, tgt):
            raise StoreError(f"pair {number} is {pair.src_lang}->{pair.tgt_lang}, not {src}->{tgt}: one resource holds one language pair")
        if not pair.source.strip() or not pair.target.strip():
            raise StoreError(f"pair {number} has an empty {'source' if not pair.source.strip() else 'target'}")
    return src, tgt


def _insert_pairs(conn: sqlite3.Connection, resource_id: int, items: list[Pair]) -> list[int]:
    first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM pd_pairs").fetchone()[0]
    ids = list(range(first, first + len(items)))
    conn.executemany(
        "INSERT INTO pd_pairs (id, resource_id, source, target, provenance) VALUES (?, ?, ?, ?, ?)",
        [
            (pair_id, resource_id, p.source, p.target, json.dumps(p.provenance, ensure_ascii=False, sort_keys=True))
            for pair_id, p in zip(ids, items, strict=True)
        ],
    )
    return ids


def _add_version(conn: sqlite3.Connection, resource_id: int, version: int, ids: list[int], now: str, action: str) -> None:
    conn.executemany(
        "INSERT INTO pd_members (resource_id, version, position, pair_id) VALUES (?, ?, ?, ?)",
        [(resource_id, version, position, pair_id) for position, pair_id in enumerate(ids)],
    )
    conn.execute(
        "INSERT INTO pd_versions (resource_id, version, pair_count, created, action) VALUES (?, ?, ?, ?, ?)",
        (resource_id, version, len(ids), now, action),
    )
    conn.execute("UPDATE pd_resources SET latest = ?, updated = ? WHERE id = ?", (version, now, resource_id))


def _add_delta(
    conn: sqlite3.Connection,
    resource_id: int,
    base: int,
    changes: list[tuple[int | None, int | None]],
    ids: list[int],
    now: str,
    action: str,
) -> None:
    """Version ``base + 1`` as the ``changes`` to ``base``; ``ids`` is its resulting content (for the count)."""
    version = base + 1
    conn.executemany(
        "INSERT INTO pd_changes (resource_id, version, seq, pair_id, replaced_id) VALUES (?, ?, ?, ?, ?)",
        [(resource_id, version, seq, added, replaced) for seq, (added, replaced) in enumerate(changes)],
    )
    conn.execute(
        "INSERT INTO pd_versions (resource_id, version, pair_count, created, action, base) VALUES (?, ?, ?, ?, ?, ?)",
        (resource_id, version, len(ids), now, action, base),
    )
    conn.execute("UPDATE pd_resources SET latest = ?, updated = ? WHERE id = ?", (version, now, resource_id))


def _apply(ids: list[int], changes: list[tuple[int | None, int | None]]) -> list[int]:
    """``ids`` after ``changes``: (new, old) replaces old in place, (new, None) appends, (None, old) removes."""
    out: list[int | None] = list(ids)
    where = {pair_id: n for n, pair_id in enumerate(ids)}
    for added, replaced in changes:
        if replaced is not None and replaced in where:
            position = where.pop(replaced)
            out[position] = added
            if added is not None:
                where[added] = position
        elif added is not None:
            where[added] = len(out)
            out.append(added)
    return [pair_id for pair_id in out if pair_id is not None]


def _version_ids(conn: sqlite3.Connection, resource_id: int, version: int) -> list[int]:
    """The ordered pair ids of ``version``: its snapshot, or the nearest snapshot plus the deltas after it."""
    # a delta always applies to the version just before it, so the chain is contiguous
    row = conn.execute(
        "SELECT MAX(version) FROM pd_versions WHERE resource_id = ? AND version <= ? AND base IS NULL",
        (resource_id, version),
    ).fetchone()
    if row is None or row[0] is None:
        raise StoreError(f"no snapshot before version {version} of resource {resource_id}: the store is damaged")
    wanted = int(row[0])
    ids = [
        row[0]
        for row in conn.execute(
            "SELECT pair_id FROM pd_members WHERE resource_id = ? AND version = ? ORDER BY position", (resource_id, wanted)
        )
    ]
    if wanted == version:
        return ids
    changes: list[tuple[int | None, int | None]] = conn.execute(
        "SELECT pair_id, replaced_id FROM pd_changes WHERE resource_id = ? AND version > ? AND version <= ? "
        "ORDER BY version, seq",
        (resource_id, wanted, version),
    ).fetchall()
    return _apply(ids, changes)


def _describe(conn: sqlite3.Connection, name: str) -> ResourceInfo:
    row = conn.execute(
        "SELECT id, name, description, src_lang, tgt_lang, latest, created, updated FROM pd_resources WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no parallel data named {name!r}")
    versions = [
        VersionInfo(int(v), int(count), created, action)
        for v, count, created, action in conn.execute(
            "SELECT version, pair_count, created, action FROM pd_versions WHERE resource_id = ? ORDER BY version", (row[0],)
        )
    ]
    latest_count = next((v.pair_count for v in versions if v.version == row[5]), 0)
    return ResourceInfo(row[1], row[2], row[3], row[4], int(row[5]), latest_count, row[6], row[7], versions)
