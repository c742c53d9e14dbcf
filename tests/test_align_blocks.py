"""Block alignment: by content, monotone, covering every non-blank block of both documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from amts.align import BlockLink, align_documents
from amts.document import Document, parse_markdown

SRC = """# Training a Model
:label:`sec_train`

We first load the data with `load_data` and define the loss $\\ell(y, \\hat{y})$.

A short remark.

```{.python .input}
#@tab pytorch
net = nn.Linear(4, 1)
loss = nn.MSELoss()
```

As shown in :numref:`fig_loss`, the loss falls quickly over 10 epochs.
It then stays flat, see [the docs](https://example.org/docs).

$$\\mathbf{w} \\leftarrow \\mathbf{w} - \\eta \\nabla \\ell$$

## Summary

* Training minimises $\\ell$.
* We used 10 epochs.
"""

# The translation merges the first two paragraphs, adds a paddle cell and a slide mark.
TGT = """# 训练模型
:label:`sec_train`

我们首先用`load_data`加载数据，并定义损失$\\ell(y, \\hat{y})$。这只是一个简短的说明。

```{.python .input}
#@tab pytorch
net = nn.Linear(4, 1)
# 均方误差
loss = nn.MSELoss()
```

```{.python .input}
#@tab paddle
net = paddle.nn.Linear(4, 1)
```

如 :numref:`fig_loss`所示，[**损失在10个迭代周期内迅速下降**]，
之后保持平稳，参见[文档](https://example.org/docs)。

$$\\mathbf{w} \\leftarrow \\mathbf{w} - \\eta \\nabla \\ell$$

## 小结

* 训练最小化$\\ell$。
* 我们使用了10个迭代周期。
"""


def _line_links(src: Document, tgt: Document, links: list[BlockLink]) -> list[tuple[list[int], list[int]]]:
    """Links as 1-based first lines of their blocks: easy to read in a failing assertion."""
    return [([src.blocks[i].line + 1 for i in link.src], [tgt.blocks[i].line + 1 for i in link.tgt]) for link in links]


def assert_covering_and_monotone(src: Document, tgt: Document, links: list[BlockLink]) -> None:
    src_seen = [i for link in links for i in link.src]
    tgt_seen = [i for link in links for i in link.tgt]
    assert src_seen == [b.index for b in src.blocks if b.kind != "blank"]
    assert tgt_seen == [b.index for b in tgt.blocks if b.kind != "blank"]
    for link in links:
        assert link.shape == f"{len(link.src)}:{len(link.tgt)}"
        assert 0.0 <= link.score <= 1.0


def test_aligns_by_content_with_merges_anchors_and_target_only_cells() -> None:
    src, tgt = parse_markdown(SRC), parse_markdown(TGT)
    links = align_documents(src, tgt, "en", "zh")
    assert_covering_and_monotone(src, tgt, links)
    assert _line_links(src, tgt, links) == [
        ([1], [1]),  # heading
        ([2], [2]),  # label
        ([4, 6], [4]),  # two English paragraphs, one Chinese
        ([8], [6]),  # code: same code, a comment added
        ([], [13]),  # paddle cell only the translation has
        ([14], [18]),  # paragraph with role, number and link target
        ([17], [21]),  # display math
        ([19], [23]),  # heading
        ([21], [25]),  # list
    ]
    shapes = [link.shape for link in links]
    assert shapes[2] == "2:1" and shapes[4] == "0:1"
    assert all(link.score > 0.5 for link in links if link.src and link.tgt)


def test_changed_code_and_missing_paragraph_become_null_links() -> None:
    src = parse_markdown("Intro with $x$.\n\n```python\nprint(1)\n```\n\nEnd with :numref:`a`.\n")
    tgt = parse_markdown("介绍$x$。\n\n```python\nimport totally.different as module\nmodule.run()\n```\n")
    links = align_documents(src, tgt, "en", "zh")
    assert_covering_and_monotone(src, tgt, links)
    assert (links[0].src, links[0].tgt) == ([0], [0])
    assert sorted((link.src, link.tgt) for link in links[1:]) == [([], [2]), ([2], []), ([4], [])]


def test_empty_documents() -> None:
    assert align_documents(parse_markdown(""), parse_markdown(""), "en", "zh") == []
    src = parse_markdown("# Only source\n")
    links = align_documents(src, parse_markdown(""), "en", "zh")
    assert [(link.src, link.tgt, link.shape) for link in links] == [([0], [], "1:0")]


@pytest.mark.d2l
def test_whole_book_links_cover_both_sides_and_drop_paddle_cells(d2l: Path) -> None:
    shapes: dict[str, int] = {}
    for src_path in sorted((d2l / "en-origin").rglob("*.md")):
        tgt_path = d2l / "zh" / src_path.relative_to(d2l / "en-origin")
        src = parse_markdown(src_path.read_text(encoding="utf-8"))
        tgt = parse_markdown(tgt_path.read_text(encoding="utf-8"))
        links = align_documents(src, tgt, "en", "zh")
        assert_covering_and_monotone(src, tgt, links)
        for link in links:
            shapes[link.shape] = shapes.get(link.shape, 0) + 1
            for i in link.tgt:
                block = tgt.blocks[i]
                if block.kind == "code" and "\n#@tab paddle\n" in block.text:
                    assert not link.src, f"{tgt_path}:{block.line + 1}: paddle cell linked to source"
    assert shapes["1:1"] > 0.85 * sum(shapes.values()) - shapes.get("0:1", 0)
