"""TBX glossaries, read and written: translate-toolkit (GPL, test oracle only) reads what amts writes and
amts reads what it writes; ``--glossary g.tbx`` works wherever a CSV glossary does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.adapt.glossary import Glossary, GlossaryError, Term
from amts.cli import app

pytestmark = pytest.mark.usefixtures("private_home")
TERMS = [Term("pooling", "汇聚", 12, "bracket"), Term("convolutional layer", "卷积层", 7, "aligned"),
         Term("stride", "步幅", 0, "manual"), Term("a < b & c", "甲 < 乙 & 丙", 1, "")]


def test_written_tbx_reads_back_and_in_translate_toolkit(tmp_path: Path) -> None:
    glossary = Glossary(TERMS, "en", "zh")
    path = tmp_path / "g.tbx"
    glossary.save(path)
    back = Glossary.load(path)
    assert (back.src_lang, back.tgt_lang) == ("en", "zh") and list(back) == list(glossary)
    tbx = pytest.importorskip("translate.storage.tbx")
    store = tbx.tbxfile.parsefile(str(path))
    assert [(unit.source, unit.target) for unit in store.units] == [(t.source, t.target) for t in TERMS]


def test_a_tbx_from_translate_toolkit_loads(tmp_path: Path) -> None:
    tbx = pytest.importorskip("translate.storage.tbx")
    store = tbx.tbxfile(sourcelanguage="en", targetlanguage="zh")
    for term in TERMS:
        store.addsourceunit(term.source).target = term.target
    path = tmp_path / "tt.tbx"
    path.write_bytes(bytes(store))
    loaded = Glossary.load(path)
    assert loaded.mapping() == {t.source: t.target for t in TERMS}


def test_tbx_v3_and_a_multilingual_file(tmp_path: Path) -> None:
    v3 = tmp_path / "v3.tbx"
    v3.write_text('<?xml version="1.0"?><tbx type="TBX-Core" style="dca" xml:lang="en" '
                  'xmlns="urn:iso:std:iso:30042:ed-2"><text><body><conceptEntry id="c1">'
                  '<langSec xml:lang="en"><termSec><term>pooling</term></termSec></langSec>'
                  '<langSec xml:lang="zh"><termSec><term>汇聚</term></termSec></langSec>'
                  '</conceptEntry></body></text></tbx>', encoding="utf-8")
    assert Glossary.load(v3).mapping() == {"pooling": "汇聚"}
    three = tmp_path / "three.tbx"
    three.write_text(v3.read_text(encoding="utf-8").replace(
        "</conceptEntry>", '<langSec xml:lang="ja"><termSec><term>プーリング</term></termSec></langSec></conceptEntry>'),
        encoding="utf-8")
    with pytest.raises(GlossaryError, match="one language pair; this TBX has en, zh, ja"):
        Glossary.load(three)


def test_translate_and_check_take_a_tbx_glossary(d2l: Path, tmp_path: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(d2l / "en-master/chapter_convolutional-neural-networks/pooling.md", book / "pooling.md")
    Glossary(TERMS, "en", "zh").save(tmp_path / "g.tbx")
    runner = CliRunner()
    checked = runner.invoke(app, ["glossary", "check", str(tmp_path / "g.tbx")])
    assert checked.exit_code == 0 and "4 terms en->zh" in checked.output, checked.output
    done = runner.invoke(app, ["translate", str(book), "--tgt", "zh", "--engine", "pseudo", "--glossary",
                               str(tmp_path / "g.tbx"), "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    violations = int(done.stderr.split(" glossary violations")[0].rsplit(" ", 1)[1])
    assert violations > 0  # the pseudo engine uses none of the terms: the glossary was read and applied
    (tmp_path / "g.xml").write_text((tmp_path / "g.tbx").read_text(encoding="utf-8"), encoding="utf-8")
    wrong = runner.invoke(app, ["glossary", "check", str(tmp_path / "g.xml")])
    assert wrong.exit_code == 2 and "TBX" in wrong.stderr and wrong.stderr.count("\n") == 1
