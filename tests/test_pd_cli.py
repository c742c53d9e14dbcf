"""``amts pd``: the parallel-data commands end to end through the real CLI app."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from amts.cli import app
from amts.memory import Pair, Store, read_pairs, write_pairs

runner = CliRunner()

PAIRS = [
    Pair("Hello, world.", "你好，世界。", "en", "zh"),
    Pair('He said "yes".', "他说“是”。", "en", "zh"),
    Pair("- not a list", "- 不是列表", "en", "zh"),
]


def _run(*args: str):  # noqa: ANN202 - click Result
    return runner.invoke(app, ["pd", *args])


def test_create_list_describe_update_export_delete(tmp_path: Path, store: Path) -> None:
    source = tmp_path / "book.csv"
    write_pairs(PAIRS, source)
    result = _run("create", "d2l", "--file", str(source), "--description", "the book")
    assert result.exit_code == 0, result.output
    assert Store(store).pairs("d2l")[1].source == 'He said "yes".'  # default store: $AMTS_HOME

    listed = _run("list")
    assert listed.exit_code == 0 and "d2l" in listed.output and "en->zh" in listed.output

    tmx = tmp_path / "more.tmx"
    write_pairs(PAIRS[:2], tmx)
    assert _run("update", "d2l", "--file", str(tmx)).exit_code == 0
    described = _run("describe", "d2l")
    assert described.exit_code == 0
    assert "the book" in described.output and "update" in described.output and "create" in described.output

    out = tmp_path / "v1.tsv"
    exported = _run("export", "d2l", "--version", "1", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert [p.source for p in read_pairs(out)] == [p.source for p in PAIRS]
    to_stdout = _run("export", "d2l", "--format", "jsonl")
    assert to_stdout.exit_code == 0 and len(to_stdout.stdout.strip().splitlines()) == 2

    assert _run("delete", "d2l", "--yes").exit_code == 0
    assert Store(store).list() == []


def test_explicit_store_path(tmp_path: Path, store: Path) -> None:
    source = tmp_path / "p.jsonl"
    write_pairs(PAIRS, source)
    elsewhere = tmp_path / "other" / "amts.sqlite"
    assert _run("create", "x", "--file", str(source), "--store", str(elsewhere)).exit_code == 0
    assert Store(elsewhere).describe("x").pair_count == 3
    assert not store.exists() or Store(store).list() == []


def test_malformed_file_is_refused_with_line_and_nothing_imported(tmp_path: Path, store: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("en,zh\nok,好\nalso ok,也好\nbroken row\n", encoding="utf-8")
    result = _run("create", "bad", "--file", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:4: expected 2 columns" in result.output and "nothing imported" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert Store(store).list() == []


def test_update_with_a_bad_file_keeps_the_current_version(tmp_path: Path, store: Path) -> None:
    good = tmp_path / "good.csv"
    write_pairs(PAIRS, good)
    _run("create", "tm", "--file", str(good))
    bad = tmp_path / "bad.tmx"
    bad.write_text('<tmx version="1.4"><header srclang="en"/><body>\n<tu><tuv xml:lang="en"><seg>a</seg></tuv>\n</body></tmx>', encoding="utf-8")
    result = _run("update", "tm", "--file", str(bad))
    assert result.exit_code == 2 and ":3:" in result.output
    assert Store(store).describe("tm").version == 1


def test_one_line_errors(tmp_path: Path, store: Path) -> None:
    good = tmp_path / "good.csv"
    write_pairs(PAIRS, good)
    cases = [
        (("create", "bad name", "--file", str(good)), "invalid name"),
        (("create", "x", "--file", str(tmp_path / "missing.csv")), "no such file"),
        (("create", "x", "--file", str(good), "--src", "fr"), "source language"),
        (("describe", "nothing"), "no parallel data named 'nothing'"),
        (("export", "nothing"), "no parallel data named 'nothing'"),
        (("export", "x", "--format", "xlsx"), "unknown format"),
        (("delete", "nothing", "--yes"), "no parallel data named 'nothing'"),
    ]
    for args, message in cases:
        result = _run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
        assert result.output.startswith("error:")
    _run("create", "x", "--file", str(good))
    duplicate = _run("create", "x", "--file", str(good))
    assert duplicate.exit_code == 2 and "already exists" in duplicate.output
    bad_version = _run("export", "x", "--version", "3")
    assert bad_version.exit_code == 2 and "no version 3" in bad_version.output


def test_delete_asks_first(tmp_path: Path, store: Path) -> None:
    good = tmp_path / "good.csv"
    write_pairs(PAIRS, good)
    _run("create", "x", "--file", str(good))
    refused = runner.invoke(app, ["pd", "delete", "x"], input="n\n")
    assert refused.exit_code != 0 and Store(store).exists("x")
    accepted = runner.invoke(app, ["pd", "delete", "x"], input="y\n")
    assert accepted.exit_code == 0 and not Store(store).exists("x")


def test_update_append_adds_to_the_latest_version(tmp_path: Path, store: Path) -> None:
    good = tmp_path / "good.csv"
    write_pairs(PAIRS, good)
    _run("create", "x", "--file", str(good))
    extra = tmp_path / "extra.csv"
    write_pairs([Pair("Hello, world.", "世界你好。", "en", "zh"), Pair("New.", "新。", "en", "zh")], extra)
    assert _run("update", "x", "--file", str(extra), "--append").exit_code == 0
    pairs = Store(store).pairs("x")
    assert [p.target for p in pairs] == ["世界你好。", "他说“是”。", "- 不是列表", "新。"]
