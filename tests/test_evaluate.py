"""amts eval: paragraph-aligned scoring of two translations with sacrebleu."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.document import parse_markdown
from amts.evaluate import (
    MatchError,
    Scorer,
    align_paragraphs,
    evaluate_paths,
    evaluate_texts,
    file_key,
    match_files,
)

REF = """# 近似训练
:label:`sec_approx`

跳元模型的主要思想是使用softmax运算来计算条件概率，如 :eqref:`eq_a` 所示。

```python
print("code is never scored")
```

负采样修改了原目标函数。给定中心词$w_c$的上下文窗口，任意上下文词来自该窗口。

## 层序Softmax

作为另一种近似训练方法，层序softmax使用二叉树。
"""

# The same text translated differently: one paragraph reworded, one extra paddle cell, no math change.
HYP = """# 近似训练
:label:`sec_approx`

跳过图模型的主要思想是使用softmax运算来计算条件概率，如 :eqref:`eq_a` 所示。

```python
print("code is never scored")
```

```python
#@tab paddle
print("extra cell")
```

负取样修改了原来的目标函数。鉴于中心字$w_c$的上下文窗口，任何上下文单词来自此窗口。

## 分层 Softmax

作为另一种近似训练方法，分层softmax使用二叉树。
"""


def test_identical_translations_score_perfectly() -> None:
    result = evaluate_texts([("a.md", REF, REF)], "zh")
    assert result.corpus.segments == 5  # two headings and three paragraphs; code is never scored
    assert result.corpus.bleu == pytest.approx(100.0)
    assert result.corpus.ter == pytest.approx(0.0)
    assert result.corpus.chrf == pytest.approx(100.0)


def test_paragraphs_are_paired_by_content_not_position() -> None:
    alignment = align_paragraphs(parse_markdown(HYP), parse_markdown(REF), "zh")
    assert len(alignment.pairs) == 5
    by_ref_line = {p.ref_line: p for p in alignment.pairs}
    # the reference's "负采样" paragraph (line 10) pairs with the hypothesis's (line 15), not the extra cell
    assert by_ref_line[10].hyp_line == 15
    assert by_ref_line[10].hyp.startswith("负取样")
    assert all(p.shape == "1:1" for p in alignment.pairs)
    assert not alignment.unaligned_hyp_lines and not alignment.unaligned_ref_lines


def test_different_wording_scores_below_identical_and_reports_signatures() -> None:
    result = evaluate_texts([("a.md", HYP, REF)], "zh")
    assert 0 < result.corpus.bleu < 100
    assert result.corpus.ter > 0
    assert "tok:zh" in result.signatures["BLEU"]
    assert "asian:yes" in result.signatures["TER"]
    english = evaluate_texts([("a.md", "The cat sat.\n", "The cat sat.\n")], "en")
    assert "tok:13a" in english.signatures["BLEU"]


def test_strip_markup_scores_prose_only() -> None:
    marked = "如 :eqref:`eq_a` 所示，[**变量**]是$x$。\n"
    plain = "如 :eqref:`eq_b` 所示，变量是$y$。\n"
    with_markup = evaluate_texts([("a.md", marked, plain)], "zh")
    prose_only = evaluate_texts([("a.md", marked, plain)], "zh", strip_markup=True)
    assert with_markup.corpus.bleu < 100
    assert prose_only.corpus.bleu == pytest.approx(100.0)
    assert prose_only.documents[0].alignment.pairs[0].hyp == "如所示，变量是。"


def test_bleu_only_leaves_other_metrics_out() -> None:
    result = evaluate_texts([("a.md", HYP, REF)], "zh", metrics=("bleu",))
    assert result.corpus.chrf is None and result.corpus.ter is None
    assert set(result.signatures) == {"BLEU"}


def test_corpus_ter_equals_sacrebleu_corpus_ter() -> None:
    from sacrebleu.metrics import TER

    hyps = ["我们的猫很好", "跳过图模型的思想", "x y z"]
    refs = ["我们的狗很好", "跳元模型的主要思想", "x z y w"]
    expected = TER(normalized=True, asian_support=True).corpus_score(hyps, [refs]).score
    assert Scorer("zh", workers=1).score(hyps, refs).ter == pytest.approx(expected)
    assert Scorer("zh", workers=2).score(hyps, refs).ter == pytest.approx(expected)


def test_unknown_metric_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        Scorer("zh", metrics=("meteor",))


def test_file_keys_understand_language_prefixes() -> None:
    assert file_key("ch1/zh.intro.md", "zh") == "ch1/intro.md"
    assert file_key("ch1/intro.md", "zh") == "ch1/intro.md"
    assert file_key("ch1/es.intro.md", "zh") == "ch1/es.intro.md"


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_trees_match_by_relative_path(tmp_path: Path) -> None:
    hyp = _tree(tmp_path / "out", {"ch1/zh.a.md": HYP, "ch1/zh.b.md": REF, "ch2/zh.only-hyp.md": REF})
    ref = _tree(tmp_path / "ref", {"ch1/a.md": REF, "ch1/b.md": REF, "ch3/only-ref.md": REF})
    matched = match_files(hyp, ref, "zh")
    assert [p.relative for p in matched.pairs] == ["ch1/a.md", "ch1/b.md"]
    assert matched.only_in_hyp == ["ch2/only-hyp.md"]
    assert matched.only_in_ref == ["ch3/only-ref.md"]
    assert [p.relative for p in match_files(hyp, ref, "zh", only=["ch1/b.md"]).pairs] == ["ch1/b.md"]
    with pytest.raises(MatchError):
        match_files(hyp, ref, "zh", only=["ch9"])
    result = evaluate_paths(hyp, ref, "zh", metrics=("bleu",))
    assert result.documents[1].scores.bleu == pytest.approx(100.0)
    assert result.documents[0].scores.bleu < 100


runner = CliRunner()


def test_cli_eval_json_and_csv(tmp_path: Path) -> None:
    hyp = _tree(tmp_path / "out", {"zh.a.md": HYP})
    ref = _tree(tmp_path / "ref", {"a.md": REF})
    done = runner.invoke(app, ["eval", str(hyp), str(ref), "--tgt", "zh", "--format", "json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["documents"][0]["file"] == "a.md"
    assert 0 < data["corpus"]["bleu"] < 1
    assert data["corpus"]["bleu_100"] == pytest.approx(data["corpus"]["bleu"] * 100, abs=0.01)
    assert "tok:zh" in data["signatures"]["BLEU"]
    done = runner.invoke(app, ["eval", str(hyp), str(ref), "--tgt", "zh", "--format", "csv", "--metrics", "bleu"])
    assert done.exit_code == 0, done.output
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("file,paragraphs,bleu")
    assert lines[-1].startswith("(corpus),5,")


def test_cli_eval_table_prints_signatures(tmp_path: Path) -> None:
    done = runner.invoke(app, ["eval", str(_tree(tmp_path / "h", {"a.md": HYP})), str(_tree(tmp_path / "r", {"a.md": REF})),
                               "--tgt", "zh"])
    assert done.exit_code == 0, done.output
    assert "BLEU signature: nrefs:1" in done.stdout
    assert "corpus" in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing-dir", "{ref}", "--tgt", "zh"], "no such file"),
        (["{ref}", "{ref}", "--tgt", "zh", "--format", "xml"], "--format"),
        (["{ref}", "{ref}", "--tgt", "zh", "--metrics", "bleu,meteor"], "unknown metric"),
        (["{ref}", "{ref}/a.md", "--tgt", "zh"], "file with a file"),
    ],
)
def test_cli_eval_bad_input_is_one_line_error(tmp_path: Path, args: list[str], message: str) -> None:
    ref = _tree(tmp_path / "ref", {"a.md": REF})
    done = runner.invoke(app, ["eval", *[a.format(ref=ref) for a in args]])
    assert done.exit_code == 2
    assert message in done.output
