"""Sentence alignment, pairs from documents, file matching and the ``amts align`` command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from amts.align import align_sentences, document_pairs, match_files
from amts.cli import app
from amts.document import parse_markdown

EN = [
    "We train the model for 10 epochs.",
    "The loss drops quickly.",
    "It then stays flat.",
    "See :numref:`fig_loss` for the curve of $\\ell$.",
]
# The translation joins the second and third sentences with a comma.
ZH = ["我们训练模型10个迭代周期。", "损失迅速下降，之后保持平稳。", "损失$\\ell$的曲线见 :numref:`fig_loss`。"]


def test_two_sentences_joined_by_a_comma_link_two_to_one() -> None:
    links = align_sentences(EN, ZH, "en", "zh")
    assert [(link.src, link.tgt, link.shape) for link in links] == [
        ([0], [0], "1:1"), ([1, 2], [1], "2:1"), ([3], [2], "1:1"),
    ]
    assert all(link.score > 0.5 for link in links)


def test_sentence_only_one_side_has_becomes_null_link() -> None:
    en = ["Set the learning rate to 0.1 with `lr`.", "This is a long aside about history that the translators dropped entirely from the text, with many words.", "Then call `train(net)`."]
    zh = ["用`lr`将学习率设为0.1。", "然后调用`train(net)`。"]
    links = align_sentences(en, zh, "en", "zh")
    assert [(link.src, link.tgt) for link in links] == [([0], [0]), ([1], []), ([2], [1])]
    assert links[1].shape == "1:0" and links[1].score == 0.0


def test_empty_sides() -> None:
    assert align_sentences([], [], "en", "zh") == []
    assert [link.shape for link in align_sentences(["One."], [], "en", "zh")] == ["1:0"]


SRC_DOC = """# Data Loading

We read the data with `read_csv`. Each row holds 3 values.

```python
data = read_csv("x.csv")
```

* First item about $x$.
* Second item about `y`.
"""
TGT_DOC = """# [**数据加载**]

我们用`read_csv`读取数据，每行有3个值。

```python
data = read_csv("x.csv")
```

* 关于$x$的第一项。
* 关于`y`的第二项。
"""


def test_document_pairs_sentence_and_paragraph_with_provenance() -> None:
    src, tgt = parse_markdown(SRC_DOC), parse_markdown(TGT_DOC)
    paragraphs = document_pairs(src, tgt, "en", "zh", "paragraph", "a.md")
    assert [(p.source, p.target) for p in paragraphs] == [
        ("Data Loading", "数据加载"),
        ("We read the data with `read_csv`. Each row holds 3 values.", "我们用`read_csv`读取数据，每行有3个值。"),
        ("First item about $x$.", "关于$x$的第一项。"),
        ("Second item about `y`.", "关于`y`的第二项。"),
    ]
    assert paragraphs[1].provenance == {
        "file": "a.md", "src_lines": "3-3", "tgt_lines": "3-3", "shape": "1:1",
        "score": paragraphs[1].provenance["score"], "origin": "aligned",
    }
    assert paragraphs[3].provenance["src_lines"] == "10-10"
    sentences = document_pairs(src, tgt, "en", "zh", "sentence", "a.md")
    joined = [p for p in sentences if p.provenance["shape"] == "2:1"]
    assert len(joined) == 1 and joined[0].source.startswith("We read")
    assert all("```" not in p.source and "read_csv(" not in p.source for p in sentences)


def test_match_files_by_path_and_d2lbook_origin_layout(tmp_path: Path) -> None:
    (tmp_path / "en" / "ch").mkdir(parents=True)
    (tmp_path / "zh" / "ch").mkdir(parents=True)
    for name in ("a.md", "b.md", "only-en.md"):
        (tmp_path / "en" / "ch" / name).write_text("# A\n", encoding="utf-8")
    for name in ("a.md", "zh.b.md", "only-zh.md"):
        (tmp_path / "zh" / "ch" / name).write_text("# 甲\n", encoding="utf-8")
    matched, unmatched_src, unmatched_tgt = match_files(tmp_path / "en", tmp_path / "zh", "zh")
    assert [name for _, _, name in matched] == ["ch/a.md", "ch/b.md"]
    assert matched[1][1].name == "zh.b.md"
    assert unmatched_src == ["ch/only-en.md"] and unmatched_tgt == ["ch/only-zh.md"]

    book = tmp_path / "book"
    (book / "ch").mkdir(parents=True)
    for name in ("x.md", "x_origin.md", "index.md"):
        (book / "ch" / name).write_text("# X\n", encoding="utf-8")
    matched, unmatched_src, unmatched_tgt = match_files(book, book, "zh")
    assert [(s.name, t.name) for s, t, _ in matched] == [("x_origin.md", "x.md")]
    assert unmatched_src == [] and unmatched_tgt == ["ch/index.md"]


def test_cli_writes_pairs_and_summary(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "zh").mkdir()
    (tmp_path / "en" / "a.md").write_text(SRC_DOC, encoding="utf-8")
    (tmp_path / "zh" / "a.md").write_text(TGT_DOC, encoding="utf-8")
    (tmp_path / "en" / "lonely.md").write_text("# Lonely\n", encoding="utf-8")
    out = tmp_path / "pairs.jsonl"
    runner = CliRunner()
    result = runner.invoke(app, ["align", str(tmp_path / "en"), str(tmp_path / "zh"), "--src", "en", "--tgt", "zh",
                                 "--granularity", "paragraph", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 4 and "数据加载" in out.read_text(encoding="utf-8")
    assert "4 paragraph pairs" in result.output and "lonely.md" in result.output

    tsv = tmp_path / "pairs.tsv"
    result = runner.invoke(app, ["align", str(tmp_path / "en"), str(tmp_path / "zh"), "--out", str(tsv)])
    assert result.exit_code == 0, result.output
    assert tsv.read_text(encoding="utf-8").splitlines()[0] == "en\tzh"

    bad = runner.invoke(app, ["align", str(tmp_path / "en"), str(tmp_path / "zh"), "--granularity", "word",
                              "--out", str(tmp_path / "x.tsv")])
    assert bad.exit_code == 2 and "granularity" in bad.output and not (tmp_path / "x.tsv").exists()
    missing = runner.invoke(app, ["align", str(tmp_path / "nope"), str(tmp_path / "zh"), "--out", str(tsv)])
    assert missing.exit_code == 2 and "no such file" in missing.output
