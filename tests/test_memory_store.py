"""The versioned parallel-data store: versions, appends, validation and concurrent access."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from amts.database import connect, migrate
from amts.memory import AlreadyExists, NotFound, Pair, Store, StoreError


def _pairs(n: int, tag: str = "", lang: tuple[str, str] = ("en", "zh")) -> list[Pair]:
    return [Pair(f"sentence {i}{tag}", f"句子 {i}{tag}", *lang, {"origin": "aligned", "line": i}) for i in range(n)]


def test_create_describe_and_read_back(store: Path) -> None:
    memory = Store(store)
    info = memory.create("d2l-en-zh", _pairs(3), description="aligned book")
    assert (info.name, info.version, info.pair_count, info.src_lang, info.tgt_lang) == ("d2l-en-zh", 1, 3, "en", "zh")
    assert info.description == "aligned book" and info.created == info.updated
    assert [v.action for v in info.versions] == ["create"]
    back = memory.pairs("d2l-en-zh")
    assert back == _pairs(3)
    assert store.exists()
    assert sqlite3.connect(store).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_create_refuses_existing_and_bad_names(store: Path) -> None:
    memory = Store(store)
    memory.create("a", _pairs(1))
    with pytest.raises(AlreadyExists):
        memory.create("a", _pairs(2))
    assert memory.describe("a").pair_count == 1
    for bad in ("", "with space", "slash/name", "x" * 257, "dot.name"):
        with pytest.raises(StoreError, match="invalid name"):
            memory.create(bad, _pairs(1))
    memory.create("x" * 256, _pairs(1))


def test_update_makes_a_new_version_and_keeps_the_old(store: Path) -> None:
    memory = Store(store)
    memory.create("tm", _pairs(3))
    info = memory.update("tm", _pairs(2, tag="-v2"))
    assert info.version == 2 and info.pair_count == 2
    assert [(v.version, v.pair_count, v.action) for v in info.versions] == [(1, 3, "create"), (2, 2, "update")]
    assert memory.pairs("tm", 1) == _pairs(3)
    assert memory.pairs("tm") == memory.pairs("tm", 2) == _pairs(2, tag="-v2")
    with pytest.raises(NotFound, match="no version 7"):
        memory.pairs("tm", 7)


def test_append_replaces_same_source_and_marks_post_edits(store: Path) -> None:
    memory = Store(store)
    memory.create("tm", _pairs(3))
    edits = [Pair("sentence 1", "句子一（已修改）", "en", "zh"), Pair("a new one", "新句子", "en", "zh")]
    info = memory.append("tm", edits)
    assert info.version == 2 and info.pair_count == 4
    latest = memory.pairs("tm")
    assert [p.source for p in latest] == ["sentence 0", "sentence 1", "sentence 2", "a new one"]
    assert latest[1].target == "句子一（已修改）" and latest[1].provenance == {"origin": "post-edited"}
    assert latest[0].provenance == {"origin": "aligned", "line": 0}
    assert memory.pairs("tm", 1)[1].target == "句子 1"


def test_language_and_content_checks(store: Path) -> None:
    memory = Store(store)
    with pytest.raises(StoreError, match="no pairs"):
        memory.create("empty", [])
    with pytest.raises(StoreError, match="pair 2"):
        memory.create("mixed", [_pairs(1)[0], Pair("a", "b", "en", "de")])
    with pytest.raises(StoreError, match="empty target"):
        memory.create("blank", [Pair("a", " ", "en", "zh")])
    memory.create("tm", _pairs(1))
    with pytest.raises(StoreError, match="en->zh"):
        memory.update("tm", _pairs(1, lang=("en", "ja")))
    assert memory.describe("tm").version == 1
    assert [info.name for info in memory.list()] == ["tm"]


def test_missing_resources(store: Path) -> None:
    memory = Store(store)
    for call in (lambda: memory.describe("nope"), lambda: memory.pairs("nope"), lambda: memory.delete("nope"),
                 lambda: memory.update("nope", _pairs(1)), lambda: memory.append("nope", _pairs(1))):
        with pytest.raises(NotFound, match="nope"):
            call()


def test_delete_removes_every_version_and_row(store: Path) -> None:
    memory = Store(store)
    memory.create("a", _pairs(3))
    memory.update("a", _pairs(4))
    memory.create("b", _pairs(2))
    memory.delete("a")
    assert [info.name for info in memory.list()] == ["b"]
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pd_pairs").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM pd_members").fetchone()[0] == 2


def test_list_orders_by_name_with_counts(store: Path) -> None:
    memory = Store(store)
    memory.create("zeta", _pairs(1))
    memory.create("alpha", _pairs(5))
    assert [(i.name, i.pair_count) for i in memory.list()] == [("alpha", 5), ("zeta", 1)]


def test_other_components_share_the_file(store: Path) -> None:
    memory = Store(store)
    memory.create("tm", _pairs(2))
    conn = memory.connect()
    steps = [lambda c: c.execute("CREATE TABLE jobs_demo (id INTEGER PRIMARY KEY, state TEXT)")]
    assert migrate(conn, "jobs-demo", steps) == 1
    assert migrate(conn, "jobs-demo", steps) == 1  # idempotent
    conn.execute("INSERT INTO jobs_demo (state) VALUES ('queued')")
    conn.close()
    assert Store(store).pairs("tm") == _pairs(2)
    with connect(store) as conn:
        rows = dict(conn.execute("SELECT component, version FROM amts_schema"))
    assert rows == {"parallel_data": 2, "jobs-demo": 1}


def test_a_newer_schema_is_refused(store: Path) -> None:
    Store(store).create("tm", _pairs(1))
    with connect(store) as conn:
        conn.execute("UPDATE amts_schema SET version = 99 WHERE component = 'parallel_data'")
    with pytest.raises(StoreError, match="newer"):
        Store(store).list()


def test_a_reader_keeps_its_snapshot_while_a_writer_commits(store: Path) -> None:
    memory = Store(store)
    memory.create("tm", _pairs(200))
    reader = memory.connect()
    reader.execute("BEGIN")
    first = reader.execute("SELECT COUNT(*) FROM pd_members WHERE version = 1").fetchone()[0]
    # another writer commits a new version while the reader's transaction is open: WAL lets it through
    writer = Store(store)
    writer.update("tm", _pairs(50, tag="-new"))
    assert reader.execute("SELECT MAX(version) FROM pd_versions").fetchone()[0] == 1
    assert reader.execute("SELECT COUNT(*) FROM pd_members WHERE version = 1").fetchone()[0] == first == 200
    reader.execute("COMMIT")
    assert reader.execute("SELECT MAX(version) FROM pd_versions").fetchone()[0] == 2
    reader.close()
    assert memory.describe("tm").pair_count == 50


def test_concurrent_readers_and_writers_see_whole_versions(store: Path) -> None:
    memory = Store(store)
    memory.create("tm", _pairs(300))
    errors: list[BaseException] = []
    seen: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                pairs = Store(store).pairs("tm")
                seen.add(len(pairs))
                # every version is all of one update: never a mix of two
                assert len({p.source.rsplit("-", 1)[-1] if "-" in p.source else "" for p in pairs}) == 1
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def write(tag: str) -> None:
        try:
            for round_ in range(5):
                Store(store).update("tm", _pairs(100 + round_ * 50, tag=f"-{tag}{round_}"))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(tag,)) for tag in "ab"]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert not errors, errors
    info = memory.describe("tm")
    assert info.version == 11 and [v.version for v in info.versions] == list(range(1, 12))
    assert seen <= {300, 100, 150, 200, 250}


def test_appends_are_deltas_not_copies(store: Path) -> None:
    """A post-edit adds its pair: the store grows by the pair, never by a copy of the memory."""
    memory = Store(store)
    memory.create("book", _pairs(5000))
    size_before = _size(store)
    for n in range(20):
        memory.append("book", [Pair(f"sentence {n * 7}", f"修改后的句子 {n}", "en", "zh", {})])
    assert _size(store) - size_before < 60_000  # a copy per version would be 20 x 5000 member rows
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pd_members").fetchone()[0] == 5000
        assert conn.execute("SELECT COUNT(*) FROM pd_changes").fetchone()[0] == 20
    pairs = memory.pairs("book")
    assert len(pairs) == 5000  # each one replaced its source's pair, in place
    assert pairs[7].target == "修改后的句子 1" and pairs[8].target == "句子 8"
    assert memory.pairs("book", 1) == _pairs(5000)  # old versions read back unchanged
    assert memory.pairs("book", 3)[7].target == "修改后的句子 1" and memory.pairs("book", 2)[7].target == "句子 7"
    # an update is a snapshot again; appends after it are deltas on it
    memory.update("book", _pairs(3))
    memory.append("book", [Pair("new one", "新的", "en", "zh", {})])
    assert [p.source for p in memory.pairs("book")] == ["sentence 0", "sentence 1", "sentence 2", "new one"]
    assert [v.action for v in memory.describe("book").versions][-3:] == ["append", "update", "append"]


def test_revert_undoes_one_append(store: Path) -> None:
    memory = Store(store)
    memory.create("tm", _pairs(3))
    edited = memory.append("tm", [Pair("sentence 1", "改过的句子", "en", "zh", {})])
    added = memory.append("tm", [Pair("brand new", "全新", "en", "zh", {})])
    memory.revert("tm", edited.version)  # the replaced pair comes back in its place
    assert memory.pairs("tm") == _pairs(3) + [Pair("brand new", "全新", "en", "zh", {"origin": "post-edited"})]
    info = memory.revert("tm", added.version)  # an added pair goes away
    assert memory.pairs("tm") == _pairs(3) and info.pair_count == 3 and info.versions[-1].action == "revert"
    info = memory.revert("tm", 1)  # a snapshot is undone as well: what it added goes
    assert memory.pairs("tm") == [] and info.pair_count == 0
    with pytest.raises(NotFound, match="no version 99"):
        memory.revert("tm", 99)


def test_a_version_1_store_is_migrated(tmp_path: Path) -> None:
    """A store written before deltas (schema 1) keeps its versions and takes deltas afterwards."""
    from amts.memory.store import _schema_v1

    path = tmp_path / "old.sqlite"
    with connect(path) as conn:  # what the old code wrote: a snapshot per version
        migrate(conn, "parallel_data", [_schema_v1])
        conn.execute("INSERT INTO pd_resources VALUES (1, 'tm', '', 'en', 'zh', 'x', 'x', 1)")
        conn.execute("INSERT INTO pd_versions VALUES (1, 1, 1, 'x', 'create')")
        conn.execute("INSERT INTO pd_pairs VALUES (1, 1, 'a', '甲', '{}')")
        conn.execute("INSERT INTO pd_members VALUES (1, 1, 0, 1)")
    memory = Store(path)
    memory.append("tm", [Pair("b", "乙", "en", "zh", {})])
    assert [(p.source, p.target) for p in memory.pairs("tm")] == [("a", "甲"), ("b", "乙")]
    assert [(p.source, p.target) for p in memory.pairs("tm", 1)] == [("a", "甲")]


def _size(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size
