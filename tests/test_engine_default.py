"""``amts translate`` without ``--engine``: the book's amts.toml, else the best engine installed for the
pair, named in the summary; never a test engine's pseudo text unless asked; where no engine exists for
the pair, one line saying what to install or configure, and nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.adapt.setup import TranslationSetup, choose_engine
from amts.config import BookConfig
from amts.engines import engine_class

pytestmark = pytest.mark.usefixtures("private_home")
PSEUDO = "\u27e6"  # the pseudo engine's brackets


def amts(*args: object):  # noqa: ANN201
    from amts.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def book(d2l: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    folder.mkdir()
    shutil.copy(d2l / "en-master/chapter_convolutional-neural-networks/pooling.md", folder / "pooling.md")
    return folder


def test_no_test_engine_and_no_network_engine_is_ever_chosen() -> None:
    for tgt in ("zh", "es", "fi", "ja"):
        try:
            name, engine = choose_engine(TranslationSetup.from_config(BookConfig(), targets=[tgt]), tgt)
        except Exception:  # noqa: BLE001 - nothing installed for the pair is checked below
            continue
        engine.close()
        cls = engine_class(name)
        assert not getattr(cls, "for_tests", False) and not getattr(cls, "needs_network", False), (tgt, name)


def test_a_pair_without_an_installed_engine_is_one_line_naming_what_to_install(book: Path, tmp_path: Path) -> None:
    done = amts("translate", book, "--tgt", "fi", "--out", tmp_path / "out")  # Finnish: no offline engine ships
    assert done.exit_code == 2, done.output
    line = done.stderr.strip()
    assert line.count("\n") == 0 and line.startswith("error: no installed engine translates en->fi")
    assert "make models" in line and "--engine" in line and "amts.toml" in line
    assert not (tmp_path / "out").exists()


def test_the_best_installed_engine_is_used_and_named(book: Path, tmp_path: Path) -> None:
    if not shutil.which("apertium"):
        pytest.skip("apertium (Debian) not installed: en->es has no offline engine here")
    done = amts("translate", book, "--tgt", "es", "--out", tmp_path / "out")
    assert done.exit_code == 0, done.output
    assert "into es with apertium:" in done.stderr
    assert PSEUDO not in (tmp_path / "out" / "es.pooling.md").read_text(encoding="utf-8")
    # the store's parallel data for the pair is the memory, first (named in the summary too)
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("en,es\nPooling,Agrupación de la prueba\n", encoding="utf-8")
    assert amts("pd", "create", "mine-en-es", "--file", pairs).exit_code == 0
    again = amts("translate", book, "--tgt", "es", "--out", tmp_path / "again")
    assert again.exit_code == 0 and "into es with apertium (memory: mine-en-es): 1 reused from memory" in again.stderr
    assert "# Agrupación de la prueba" in (tmp_path / "again" / "es.pooling.md").read_text(encoding="utf-8")


def test_the_books_engine_and_an_engine_asked_for_are_named(book: Path, tmp_path: Path) -> None:
    (book / "amts.toml").write_text('[book]\nengine = "identity"\n', encoding="utf-8")
    done = amts("translate", book, "--tgt", "fi", "--out", tmp_path / "a")
    assert done.exit_code == 0 and "into fi with identity:" in done.stderr, done.output
    asked = amts("translate", book, "--tgt", "fi", "--tgt", "de", "--engine", "pseudo", "--engine", "de=identity",
                 "--out", tmp_path / "b")
    assert asked.exit_code == 0 and "into fi with pseudo, de with identity:" in asked.stderr, asked.output
    assert PSEUDO in (tmp_path / "b" / "fi.pooling.md").read_text(encoding="utf-8")


def test_one_translator_with_auto_names_the_engine_it_chose() -> None:
    """sync and update build one translator: ``--engine auto`` resolves there too."""
    if not shutil.which("apertium"):
        pytest.skip("apertium (Debian) not installed")
    from amts.adapt.setup import build_translator

    setup = TranslationSetup.from_config(BookConfig(), targets=["es"], engine="auto")
    translator = build_translator(setup, "es")
    assert setup.engine_for("es") == "apertium" and translator.engine is not None
    translator.engine.close()
