"""Alignment quality gates: a tunable score threshold, and untranslated pairs kept out of parallel data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.align import DEFAULT_MIN_SCORE, NO_GATES, AlignmentResult, QualityGates, align_files, align_trees
from amts.cli import app
from amts.memory import Pair, read_pairs

EN = "# Tea\n\nTea is a drink made from leaves.\n\nIt is popular in China and in Britain.\n"
ZH = "# 茶\n\n茶是一种用叶子做的饮料。\n\n它在中国和英国都很受欢迎。\n"


def _pair(source: str, target: str, score: float) -> Pair:
    return Pair(source, target, "en", "zh", {"score": score, "shape": "1:1"})


def test_gate_counts_what_it_leaves_out() -> None:
    result = AlignmentResult(pairs=[_pair("Good.", "好。", 1.0), _pair("Noise.", "无关。", 0.18),
                                    _pair("GPU", "GPU", 1.0), _pair("Same  Text", "same text", 0.9)])
    result.shapes.update({"1:1": 4})
    result.gate(QualityGates())
    assert [p.source for p in result.pairs] == ["Good."]
    assert (result.below_score, result.identical, result.shapes["1:1"]) == (1, 2, 1)
    loose = AlignmentResult(pairs=[_pair("Noise.", "无关。", 0.18), _pair("GPU", "GPU", 1.0)])
    loose.gate(QualityGates(min_score=0.1, keep_identical=True))
    assert len(loose.pairs) == 2
    with pytest.raises(ValueError, match="between 0 and 1"):
        QualityGates(min_score=1.5)


def test_an_untranslated_file_gives_no_parallel_data(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "zh").mkdir()
    for name, target in (("tea.md", ZH), ("contributing.md", EN)):  # the second was never translated
        (tmp_path / "en" / name).write_text(EN, encoding="utf-8")
        (tmp_path / "zh" / name).write_text(target, encoding="utf-8")
    result = align_trees(tmp_path / "en", tmp_path / "zh", "en", "zh", "sentence", workers=1)
    assert {p.provenance["file"] for p in result.pairs} == {"tea.md"}
    assert result.identical == 3 and len(result.pairs) == 3
    everything = align_files(tmp_path / "en" / "contributing.md", tmp_path / "zh" / "contributing.md", "en", "zh", gates=NO_GATES)
    assert len(everything.pairs) == 3


def test_cli_options_tune_the_gates(tmp_path: Path, store: Path) -> None:
    (tmp_path / "en.md").write_text(EN, encoding="utf-8")
    (tmp_path / "same.md").write_text(EN, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["align", str(tmp_path / "en.md"), str(tmp_path / "same.md"), "--out", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 0, result.output
    assert read_pairs(tmp_path / "p.jsonl") == [] and "3 pairs whose target is the source text" in result.output
    result = runner.invoke(app, ["align", str(tmp_path / "en.md"), str(tmp_path / "same.md"), "--out", str(tmp_path / "p.jsonl"), "--keep-identical"])
    assert result.exit_code == 0 and len(read_pairs(tmp_path / "p.jsonl")) == 3
    result = runner.invoke(app, ["align", str(tmp_path / "en.md"), str(tmp_path / "same.md"), "--out", str(tmp_path / "p.jsonl"), "--min-score", "2"])
    assert result.exit_code == 2 and "between 0 and 1" in result.output


@pytest.mark.d2l
@pytest.mark.slow
def test_d2l_book_gates(d2l: Path) -> None:
    """Measured: the default threshold drops only the few wrong pairs; identical pairs are table cells."""
    gated = align_trees(d2l / "en-origin", d2l / "zh", "en", "zh", "paragraph", workers=2)
    assert all(float(p.provenance["score"]) >= DEFAULT_MIN_SCORE for p in gated.pairs)
    assert 1 <= gated.below_score <= 10 and gated.identical > 50
    assert not any(p.source.casefold() == p.target.casefold() for p in gated.pairs)
