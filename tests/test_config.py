"""Per-book amts.toml: parsing, discovery, and `amts translate` taking its defaults from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.config import ConfigError, book_config, find_config, load_config

CONFIG = """
[book]
src = "en"
tgt = ["fr", "de"]
out = "build/tr"
engine = "pseudo"
parallel_data = "d2l-en-zh"
glossary = "terms/glossary.csv"
store = ".amts/store.sqlite"
examples = 3

[engines]
de = "identity"

[engine.openai]
base_url = "http://127.0.0.1:8080/v1"
model = "local"
"""

CHAPTER = "# Title\n\nSome prose with `code` here.\n\n```python\nx = 1\n```\n"


def write_book(root: Path, config: str = CONFIG) -> Path:
    book = root / "book"
    (book / "chapter").mkdir(parents=True)
    (book / "chapter" / "intro.md").write_text(CHAPTER)
    (book / "amts.toml").write_text(config)
    return book


def test_load_config_resolves_paths_relative_to_the_file(tmp_path: Path) -> None:
    book = write_book(tmp_path)
    config = load_config(book / "amts.toml")
    assert (config.src, config.tgt, config.engine, config.examples) == ("en", ["fr", "de"], "pseudo", 3)
    assert config.out == (book / "build" / "tr").resolve()
    assert config.glossary == (book / "terms" / "glossary.csv").resolve()
    assert config.store == (book / ".amts" / "store.sqlite").resolve()
    assert config.parallel_data == "d2l-en-zh"
    assert config.engine_for("de") == "identity" and config.engine_for("fr") == "pseudo"
    assert config.options_for("openai") == {"base_url": "http://127.0.0.1:8080/v1", "model": "local"}
    assert config.options_for("aws") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[book]\ntarget = ['fr']\n", "book.target: unknown key"),
        ("[book]\ntgt = 'fr'\n", "book.tgt: must be a list of strings, not a string"),
        ("[book]\nexamples = true\n", "book.examples: must be an integer, not true or false"),
        ("[books]\n", "books: unknown section"),
        ("[check]\nstrict = 'yes'\n", "check.strict: must be true or false, not a string"),
        ("[engines]\nfr = 3\n", "engines: must map"),
        ("[engine]\nopenai = 1\n", "engine: must hold one table"),
        ("[book\n", "not valid TOML"),
    ],
)
def test_bad_config_is_a_one_line_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "amts.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as error:
        load_config(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_config_found_in_current_folder_first_then_book_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = write_book(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert find_config(book / "chapter" / "intro.md") == book / "amts.toml"  # parents of the file
    (elsewhere / "amts.toml").write_text("[book]\ntgt = ['ja']\n")
    assert find_config(book) == elsewhere / "amts.toml"
    assert book_config(None, book).tgt == ["ja"]
    assert book_config(book / "amts.toml", None).tgt == ["fr", "de"]
    with pytest.raises(ConfigError, match="no such config file"):
        book_config(tmp_path / "missing.toml")


def test_translate_takes_defaults_from_the_book_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = write_book(tmp_path)
    monkeypatch.chdir(tmp_path)  # no amts.toml here: the book folder's is used
    result = CliRunner().invoke(app, ["translate", str(book)])
    assert result.exit_code == 0, result.output
    out = book / "build" / "tr" / "chapter"
    french = (out / "fr.intro.md").read_text()
    assert french != CHAPTER and "`code`" in french and "```python\nx = 1\n```" in french  # pseudo engine
    assert (out / "de.intro.md").read_text() == CHAPTER  # [engines] de = "identity"
    assert "amts.toml" not in result.output  # the config is not reported as a skipped file


def test_command_line_options_win_over_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = write_book(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "cli-out"
    result = CliRunner().invoke(app, ["translate", str(book), "--tgt", "es", "--engine", "identity", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "chapter" / "es.intro.md").read_text() == CHAPTER
    assert not (book / "build").exists()


def test_translate_without_targets_anywhere_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = write_book(tmp_path, "[book]\nout = 'x'\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["translate", str(book)])
    assert result.exit_code == 2 and "no target language" in result.output


def test_unknown_engine_option_in_config_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = write_book(tmp_path, "[book]\ntgt = ['fr']\nout = 'o'\nengine = 'pseudo'\n[engine.pseudo]\nspeed = 3\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["translate", str(book)])
    assert result.exit_code == 2 and "engine.pseudo" in result.output and "takes no" in result.output
