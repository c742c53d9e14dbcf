"""Traps a new user falls into: each is one line on standard error, a documented exit code, and nothing
written or lost (README "Exit codes"). Inputs are real D2L sections (read at test time)."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts import fileio
from amts.cli import app

pytestmark = pytest.mark.usefixtures("private_home")
SECTIONS = ["pooling.md", "padding-and-strides.md", "channels.md"]
CHAPTER = "en-master/chapter_convolutional-neural-networks"


def amts(*args: object):  # noqa: ANN201
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line(result, code: int, *fragments: str) -> str:  # noqa: ANN001
    """The single stderr line of ``result``, checked for its exit code and fragments."""
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and ".tmp" not in lines[0], result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def book(d2l: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    folder.mkdir()
    for name in SECTIONS:
        shutil.copy(d2l / CHAPTER / name, folder / name)
    return folder


def test_an_undecodable_file_is_named_and_nothing_is_written(book: Path, d2l: Path, tmp_path: Path) -> None:
    latin = book / "latin.md"
    latin.write_bytes((d2l / CHAPTER / "pooling.md").read_bytes()[:400] + "\nCaf\u00e9 au lait.\n".encode("latin-1"))
    zh = tmp_path / "zh"
    shutil.copytree(book, zh)
    for command in (["translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", tmp_path / "out"],
                    ["exchange", "export", book, "--tgt", "zh", "--out", tmp_path / "out"],
                    ["align", book, zh, "--out", tmp_path / "out" / "pairs.tmx"]):
        one_line(amts(*command), 2, "latin.md", "UTF-8")
        assert not (tmp_path / "out").exists()
    report = tmp_path / "r.json"
    report.write_bytes(b'{"files": "caf\xe9"}')
    one_line(amts("exchange", "review", report, "--out", tmp_path / "q.po"), 2, "r.json", "UTF-8")
    assert not (tmp_path / "q.po").exists()


def test_undecodable_exchange_files_and_glossaries_are_one_line(tmp_path: Path) -> None:
    """Latin-1 where UTF-8 XML, PO, CSV or TBX is expected: the file named, exit 2, nothing written."""
    for name in ("g.tbx", "g.csv", "x.xlf", "x.po", "pairs.tmx"):
        (tmp_path / name).write_bytes("Caf\u00e9 au lait\n".encode("latin-1"))
    cases = [(["glossary", "check", tmp_path / "g.tbx"], "g.tbx"), (["glossary", "check", tmp_path / "g.csv"], "g.csv"),
             (["exchange", "import", tmp_path / "x.xlf", "--out", tmp_path / "out"], "x.xlf"),
             (["exchange", "import", tmp_path / "x.po", "--source", tmp_path, "--out", tmp_path / "out"], "x.po"),
             (["pd", "create", "p", "--file", tmp_path / "pairs.tmx"], "pairs.tmx")]
    for command, name in cases:
        one_line(amts(*command), 2, name)
        assert not (tmp_path / "out").exists()


def test_a_json_file_that_is_not_a_sync_report_is_one_line(book: Path, tmp_path: Path) -> None:
    for number, text in enumerate(['[]', '{"files": [1, 2]}', '{"files": [{"segments": [{"source_new": 5}]}]}']):
        report = tmp_path / f"r{number}.json"
        report.write_text(text, encoding="utf-8")
        one_line(amts("exchange", "review", report, "--out", tmp_path / "q.po"), 2, report.name, "not a sync report")
    assert not (tmp_path / "q.po").exists()
    one_line(amts("exchange", "export", book, "--tgt", "zh", "--translation", tmp_path / "missing", "--out",
                  tmp_path / "x"), 2, "missing", "--translation")
    assert not (tmp_path / "x").exists()


def _fail_at_write(monkeypatch: pytest.MonkeyPatch, code: int, after: int) -> None:
    """The ``after``+1-th file write fails with ``code`` where the system would (the data reaching disk)."""
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) > after:
            raise OSError(code, os.strerror(code))
        real_fsync(fd)

    monkeypatch.setattr(fileio.os, "fsync", fsync)


def test_a_full_disk_names_the_output_keeps_earlier_outputs_and_leaves_no_temp_file(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert amts("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", out).exit_code == 0
    before = snapshot(out)
    _fail_at_write(monkeypatch, errno.ENOSPC, after=2)  # the first output and its manifest entry, then full
    line = one_line(amts("translate", book, "--tgt", "zh", "--engine", "identity", "--out", out, "--force"), 3,
                    "No space left on device")
    named = line.removeprefix("error: ").split(": ")[0]
    assert Path(named).parent == out and Path(named).name.startswith("zh."), line  # the output, not a temp file
    after = snapshot(out)
    assert set(after) == set(before)  # no temporary file left behind, nothing lost
    assert after[Path(named).name] == before[Path(named).name]  # the file that did not fit is as it was
    assert sum(after[name] != before[name] for name in after if name.endswith(".md")) == 1
    written = fileio.read_manifest(out / fileio.MANIFEST)
    assert set(written) == {name for name in after if name.endswith(".md")}
    for name, entry in written.items():  # every output on disk is the one its manifest entry names
        assert entry["sha256"] == fileio.digest(after[name]), name


def test_a_read_only_folder_names_the_output_not_the_temporary_file(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_mkstemp = tempfile.mkstemp

    def read_only(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - what a read-only mount answers
        fd, name = real_mkstemp(*args, **kwargs)
        os.close(fd)
        os.unlink(name)
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), name)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    out = tmp_path / "out"
    line = one_line(amts("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", out), 2,
                    "Read-only file system")
    assert line.startswith(f"error: {out / 'zh.'}"), line
    assert not [p for p in out.rglob("*") if p.is_file()]


def test_a_full_store_is_one_line_and_keeps_what_it_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.sqlite"
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("en,zh\nHello.,你好。\nTea is good.,茶很好。\n", encoding="utf-8")
    assert amts("pd", "create", "x", "--file", pairs, "--store", store).exit_code == 0
    many = tmp_path / "many.csv"
    many.write_text("en,zh\n" + "".join(f"Sentence number {i} is long enough.,第{i}句。\n" for i in range(20_000)),
                    encoding="utf-8")
    from amts.memory import store as memory_store

    real_connect = memory_store.connect

    def small_disk(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - SQLite's own "disk is full"
        conn = real_connect(*args, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 8}")
        return conn

    monkeypatch.setattr(memory_store, "connect", small_disk)
    one_line(amts("pd", "create", "y", "--file", many, "--store", store), 3, str(store), "full")
    monkeypatch.undo()
    listed = amts("pd", "list", "--store", store)
    assert listed.exit_code == 0 and "x" in listed.stdout and "\ny" not in listed.stdout, listed.output
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_bug_is_exit_70_asking_for_a_report_with_the_traceback_only_under_debug(
        book: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from amts.cli import translate as translate_command

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise KeyError("surprise")

    monkeypatch.setattr(translate_command, "translate_file", broken)
    command = ["translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", tmp_path / "out"]
    line = one_line(amts(*command), 70, "bug in amts", "KeyError", "please report", "--debug")
    assert "amts/cli/translate.py:" in line
    debug = amts(*command, "--debug")
    assert debug.exit_code == 70 and "Traceback" in debug.stderr and "please report" in debug.stderr
    assert not [p for p in (tmp_path / "out").rglob("*") if p.suffix == ".md"]


def _namespace_available() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _namespace_available(), reason="needs user namespaces (unshare -rm) to mount a small tmpfs")
def test_a_real_full_and_read_only_disk(book: Path, tmp_path: Path) -> None:
    """The same on a real 60 KiB tmpfs (disk full) remounted read-only, in a private mount namespace."""
    disk = tmp_path / "disk"
    disk.mkdir()
    run = f"{sys.executable} -m amts translate {book} --tgt zh --engine pseudo --out {disk}/out"
    script = (f"mount -t tmpfs -o size=60k tmpfs {disk} && {run}; echo \"rc=$?\"; ls -A {disk}/out; "
              f"mount -o remount,ro {disk} && {run} --force; echo \"rc=$?\"")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=env,
                          timeout=300)
    errors = done.stderr.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("error: ") for line in errors), done.stderr
    assert "No space left on device" in errors[0] and f"{disk}/out/zh." in errors[0] and ".tmp" not in errors[0]
    assert "Read-only file system" in errors[1] and ".tmp" not in errors[1]
    codes = [line for line in done.stdout.splitlines() if line.startswith("rc=")]
    assert codes == ["rc=3", "rc=2"], done.stdout
    assert not [name for name in done.stdout.split() if name.endswith(".tmp")], done.stdout
