"""The offline demo runs on the embedded example book and keeps the human translations."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.demo import example_book, run_demo


def test_demo_translates_edits_and_syncs(tmp_path: Path):
    lines: list[str] = []
    result = run_demo(tmp_path / "demo", say=lines.append)
    book = tmp_path / "demo" / "book"
    for lang in ("es", "zh"):
        assert result.pairs[lang] >= 15
        synced = (book / lang / "tea.md").read_text(encoding="utf-8")
        human = (example_book() / lang / "tea.md").read_text(encoding="utf-8")
        assert "t_star=200.0" in synced and "t_star=180.0" not in synced  # code follows the source
        assert " 90 " in synced and " 120 " not in synced  # a number propagated into the human text
        # every human paragraph whose source did not change is still there, byte for byte
        unchanged = [p for p in human.split("\n\n") if "120" not in p and "180.0" not in p and "ideal" not in p
                     and "理想值" not in p and "valor ideal" not in p]
        for paragraph in unchanged:
            assert paragraph in synced
        assert result.synced[lang]["kept"] >= 10
        assert result.synced[lang]["propagated"] >= 2
        assert result.words_to_review[lang] < result.words_full[lang] / 5
        assert (book / lang / f"{lang}.coffee.md").exists()
    assert any("work saved" in line for line in lines)


def test_demo_refuses_a_non_empty_workdir(tmp_path: Path):
    (tmp_path / "x").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--workdir", str(tmp_path)])
    assert result.exit_code != 0 and "not empty" in result.output
    assert (tmp_path / "x").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("lang", ["es", "zh"])
def test_example_translations_keep_the_structure_of_the_source(lang: str):
    from amts.document import mask, parse_markdown

    def spans(text: str) -> list[str]:
        return sorted(s for seg in parse_markdown(text).segments for s in mask(seg.text).spans)

    en = (example_book() / "en" / "tea.md").read_text(encoding="utf-8")
    other = (example_book() / lang / "tea.md").read_text(encoding="utf-8")
    assert spans(en) == spans(other)
