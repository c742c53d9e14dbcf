"""Expected failures are one line on standard error with a documented exit code, and nothing written."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts import database
from amts.cli import app

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "amts" / "examples" / "book"
runner = CliRunner()


pytestmark = pytest.mark.usefixtures("private_home")


def one_line(result, code: int, *fragments: str) -> str:  # noqa: ANN001
    """The single error line of ``result``, checked for its exit code and fragments."""
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def amts(*args: object):  # noqa: ANN201
    return runner.invoke(app, [str(a) for a in args])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pairs(tmp_path: Path) -> Path:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("en,zh\nHello.,你好。\nTea is good.,茶很好。\n", encoding="utf-8")
    return pairs


def test_amazon_without_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    no_aws_credentials: None) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    done = amts("translate", BOOK / "en", "--tgt", "zh", "--engine", "aws", "--out", tmp_path / "o")
    one_line(done, 3, "credentials")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("engine", ["aws", "openai"])
def test_network_engines_fail_fast_when_unreachable(engine: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    if engine == "aws":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSLATE", url)
    else:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{url}/v1")
        monkeypatch.setenv("OPENAI_API_KEY", "x")
        monkeypatch.setenv("AMTS_OPENAI_MODEL", "some-model")
    start = time.monotonic()
    done = amts("translate", BOOK / "en", "--tgt", "zh", "--engine", engine, "--out", tmp_path / "o")
    one_line(done, 3, "127.0.0.1", "AWS_ENDPOINT_URL_TRANSLATE" if engine == "aws" else "OPENAI_BASE_URL")
    assert time.monotonic() - start < 30
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "zero-length"])
def test_a_damaged_store_is_one_line(damage: str, tmp_path: Path) -> None:
    good = tmp_path / "good.sqlite"
    assert amts("pd", "create", "x", "--file", _pairs(tmp_path), "--store", good).exit_code == 0
    with sqlite3.connect(good) as conn:  # everything in the main file, so a truncation really cuts it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store = tmp_path / f"{damage}.sqlite"
    data = good.read_bytes()
    store.write_bytes({"truncated": data[:3000], "garbage": os.urandom(5000), "zero-length": b""}[damage])
    for command in (["pd", "list"], ["pd", "create", "y", "--file", _pairs(tmp_path)],
                    ["translate", BOOK / "en", "--tgt", "zh", "--engine", "memory", "--parallel-data", "x",
                     "--out", tmp_path / "o"]):
        one_line(amts(*command, "--store", store), 3, str(store))
    assert store.stat().st_size == {"truncated": 3000, "garbage": 5000, "zero-length": 0}[damage]
    assert not (tmp_path / "o").exists()


def test_a_read_only_store_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.sqlite"
    assert amts("pd", "create", "x", "--file", _pairs(tmp_path), "--store", store).exit_code == 0
    real_connect = sqlite3.connect

    def read_only(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - as on a read-only mount
        return real_connect(f"file:{path}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(database.sqlite3, "connect", read_only)
    one_line(amts("pd", "create", "y", "--file", _pairs(tmp_path), "--store", store), 3, "read-only")


def test_a_locked_store_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.sqlite"
    assert amts("pd", "create", "x", "--file", _pairs(tmp_path), "--store", store).exit_code == 0
    monkeypatch.setattr(database.connect, "__kwdefaults__", {"busy_timeout_ms": 300, "threads": False})
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep(60)\n", str(store)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        one_line(amts("pd", "create", "y", "--file", _pairs(tmp_path), "--store", store), 3, "locked")
    finally:
        holder.kill()
        holder.wait()


def test_a_notebook_whose_cells_is_not_a_list(tmp_path: Path) -> None:
    book = tmp_path / "nb"
    book.mkdir()
    (book / "intro.md").write_text("# Intro\n\nHello.\n", encoding="utf-8")
    (book / "x.ipynb").write_text('{"cells": {"a": 1}, "metadata": {}, "nbformat": 4}', encoding="utf-8")
    done = amts("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", tmp_path / "o")
    one_line(done, 2, str(book / "x.ipynb"), "'cells' is a dict, not a list")
    assert not (tmp_path / "o").exists()


def test_pd_create_from_a_folder_without_pairs(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    one_line(amts("pd", "create", "x", "--file", tmp_path / "folder"), 2, "no csv", "nothing imported")
