"""One link policy: memory reuse never moves a link; a book that declares its own links (``[book]
own_links``) keeps them, and translate, check and exchange read that one declaration. Real data: the
D2L section whose Chinese edition links its own forum threads (``/t/2777`` for the English ``/t/344``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.document.links import conform_links

pytestmark = pytest.mark.usefixtures("private_home")
SECTION = "chapter_recurrent-modern/machine-translation-and-dataset.md"
TARGETS = re.compile(r"\]\(([^)\s]+)\)")
OWN = "https://discuss.d2l.ai/t/"


def amts(*args: object):  # noqa: ANN201
    done = CliRunner().invoke(app, [str(a) for a in args])
    return done


def test_conform_links_takes_the_sources_targets_except_own_links() -> None:
    source = "See [the docs](https://a.b/en) and [Discussions](https://discuss.d2l.ai/t/344)."
    target = "见[文档](https://a.b/zh)和[讨论](https://discuss.d2l.ai/t/2777)。"
    assert conform_links(source, target) == "见[文档](https://a.b/en)和[讨论](https://discuss.d2l.ai/t/344)。"
    assert conform_links(source, target, (OWN,)) == "见[文档](https://a.b/en)和[讨论](https://discuss.d2l.ai/t/2777)。"
    assert conform_links(source, "没有链接。") == "没有链接。"  # not as many links: left to the structure checks


@pytest.fixture
def setup(d2l: Path, tmp_path: Path) -> dict[str, Path]:
    en, zh = tmp_path / "en", tmp_path / "zh"
    for side, root in ((en, d2l / "en-origin"), (zh, d2l / "zh")):
        side.mkdir()
        shutil.copy(root / SECTION, side / "mt.md")
    pairs = tmp_path / "pairs.tmx"
    assert amts("align", en, zh, "--granularity", "paragraph", "--out", pairs).exit_code == 0
    assert amts("pd", "create", "d2l-en-zh", "--file", pairs).exit_code == 0
    return {"en": en, "zh": zh, "root": tmp_path}


def _translate(paths: dict[str, Path], out: Path) -> str:
    done = amts("translate", paths["en"], "--tgt", "zh", "--engine", "memory", "--parallel-data", "d2l-en-zh",
                "--out", out)
    assert done.exit_code == 0, done.output
    return (out / "zh.mt.md").read_text(encoding="utf-8")


def test_memory_reuse_keeps_the_sources_link_targets(setup: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(setup["root"])
    source = (setup["en"] / "mt.md").read_text(encoding="utf-8")
    output = _translate(setup, setup["root"] / "out")
    assert "discuss.d2l.ai/t/344" in output and "/t/2777" not in output
    assert TARGETS.findall(output) == TARGETS.findall(source)  # every link, in order


def test_a_books_own_links_are_one_declaration_for_translate_check_and_exchange(
        setup: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root = setup["root"]
    (root / "amts.toml").write_text(f'[book]\nown_links = ["{OWN}"]\n', encoding="utf-8")
    monkeypatch.chdir(root)
    output = _translate(setup, root / "out")
    assert "discuss.d2l.ai/t/2777" in output and "/t/344" not in output  # the edition's own forum thread
    others = [t for t in TARGETS.findall(output) if not t.startswith(OWN)]
    assert others == [t for t in TARGETS.findall((setup["en"] / "mt.md").read_text(encoding="utf-8"))
                      if not t.startswith(OWN)]
    checked = amts("check", setup["en"] / "mt.md", root / "out" / "zh.mt.md")
    assert checked.exit_code == 0 and "structure matches the source" in checked.output, checked.output
    assert "link target" not in checked.output, checked.output
    assert amts("exchange", "export", setup["en"], "--tgt", "zh", "--translation", root / "out", "--out",
                root / "x").exit_code == 0
    back = amts("exchange", "import", root / "x", "--out", root / "back")
    assert back.exit_code == 0, back.output
    refused = [line for line in back.stderr.splitlines() if line.startswith("refused:")]
    assert not [line for line in refused if "](" in line], refused  # (the translators changed some math)
    assert TARGETS.findall((root / "back" / "zh.mt.md").read_text(encoding="utf-8")) == TARGETS.findall(output)
