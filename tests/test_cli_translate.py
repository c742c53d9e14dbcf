"""``amts translate`` on small trees: naming, several languages, clear errors that write nothing."""

from __future__ import annotations

from pathlib import Path

from notebooks import assert_small_notebook_translated, small_notebook_text
from typer.testing import CliRunner

from amts.cli import app

runner = CliRunner()


def write_book(root: Path) -> None:
    (root / "part").mkdir(parents=True)
    (root / "intro.md").write_text("# Intro\n\nThe book starts here. It has $x$.\n", encoding="utf-8")
    (root / "part" / "one.md").write_text("Text with `code`.\n\n```python\nx = 1\n```\n", encoding="utf-8")
    (root / "part" / "figure.png").write_bytes(b"\x89PNG\r\n")


def test_outputs_are_named_lang_dot_file_for_each_language(tmp_path: Path):
    book, out = tmp_path / "book", tmp_path / "out"
    write_book(book)
    result = runner.invoke(app, ["translate", str(book), "--tgt", "zh", "--tgt", "es", "--engine", "pseudo",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*.md"))
    assert names == ["es.intro.md", "part/es.one.md", "part/zh.one.md", "zh.intro.md"]
    translated = (out / "zh.intro.md").read_text(encoding="utf-8")
    assert "$x$" in translated and "The book" not in translated
    assert "x = 1" in (out / "part" / "zh.one.md").read_text(encoding="utf-8")
    assert "skipped" in result.output and "figure.png" in result.output


def test_single_file_goes_to_out_dir(tmp_path: Path):
    book = tmp_path / "book"
    write_book(book)
    result = runner.invoke(app, ["translate", str(book / "intro.md"), "--tgt", "es", "--engine", "identity",
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "es.intro.md").read_bytes() == (book / "intro.md").read_bytes()


def assert_fails_cleanly(tmp_path: Path, target: Path, expected: str, engine: str = "pseudo") -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["translate", str(target), "--tgt", "zh", "--engine", engine, "--out", str(out)])
    assert result.exit_code != 0
    assert expected in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1, result.output
    assert not out.exists() or not any(out.rglob("*"))


def test_missing_path(tmp_path: Path):
    assert_fails_cleanly(tmp_path, tmp_path / "nope.md", "no such file")


def test_invalid_utf8_in_a_folder_writes_nothing(tmp_path: Path):
    book = tmp_path / "book"
    write_book(book)
    (book / "part" / "bad.md").write_bytes(b"caf\xe9 au lait\n")
    assert_fails_cleanly(tmp_path, book, "invalid UTF-8")


def test_binary_file(tmp_path: Path):
    (tmp_path / "b.md").write_bytes(b"abc\x00def")
    assert_fails_cleanly(tmp_path, tmp_path / "b.md", "binary")


def test_unknown_engine(tmp_path: Path):
    book = tmp_path / "book"
    write_book(book)
    assert_fails_cleanly(tmp_path, book, "unknown engine", engine="no-such-engine")


def test_notebook_markdown_cells_are_translated_code_cells_kept(tmp_path: Path):
    (tmp_path / "nb.ipynb").write_text(small_notebook_text(), encoding="utf-8")
    result = runner.invoke(app, ["translate", str(tmp_path / "nb.ipynb"), "--tgt", "zh", "--engine", "pseudo",
                                 "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert_small_notebook_translated((tmp_path / "o" / "zh.nb.ipynb").read_text(encoding="utf-8"))


def test_broken_notebook_is_refused(tmp_path: Path):
    (tmp_path / "nb.ipynb").write_text("{not json", encoding="utf-8")
    assert_fails_cleanly(tmp_path, tmp_path / "nb.ipynb", "not a Jupyter notebook")
