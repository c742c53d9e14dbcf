"""The original pipeline's baseline, re-measured: raw 2020 machine translation vs the published Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.evaluate import evaluate_paths

pytestmark = pytest.mark.d2l


def test_raw_mt_baseline_bleu_on_the_five_sections(d2l: Path, eval_sections: list[str]) -> None:
    result = evaluate_paths(d2l / "raw-mt" / "zh", d2l / "zh", "zh", only=eval_sections, metrics=("bleu", "chrf"))
    assert [d.relative for d in result.documents] == sorted(eval_sections)
    # measured independently: about 0.585 on 147 aligned paragraphs
    assert 0.55 <= result.corpus.bleu_unit <= 0.62
    assert 130 <= result.corpus.segments <= 160
    for document in result.documents:
        assert 0.4 < document.scores.bleu_unit < 0.8, document.relative
        assert document.scores.segments >= 0.9 * document.alignment.ref_paragraphs
    # prose only is harder: the identical markup no longer inflates the score
    stripped = evaluate_paths(d2l / "raw-mt" / "zh", d2l / "zh", "zh", only=eval_sections, strip_markup=True,
                              metrics=("bleu",))
    assert stripped.corpus.bleu < result.corpus.bleu


def test_cli_prints_per_section_scores(d2l: Path, eval_sections: list[str]) -> None:
    only = [arg for section in eval_sections for arg in ("--only", section)]
    done = CliRunner().invoke(
        app, ["eval", str(d2l / "raw-mt" / "zh"), str(d2l / "zh"), "--tgt", "zh", "--format", "csv",
              "--metrics", "bleu", *only],
    )
    assert done.exit_code == 0, done.output
    rows = [line.split(",") for line in done.stdout.strip().splitlines()[1:]]
    assert len(rows) == 6
    assert rows[-1][0] == "(corpus)"
    assert 0.55 <= float(rows[-1][2]) <= 0.62
