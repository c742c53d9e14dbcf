"""The conservation check: nothing of the old translation vanishes without a report segment.

Property tests apply generated source edits (blocks deleted, moved, inserted, sentences changed,
identifiers renamed, comments edited, tab wrappers and labels added or renamed) to real D2L sections
and assert that every piece of the old translation is in the output or accounted for.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amts.document import parse_markdown
from amts.document.wellformed import cell_problem, python_cells
from amts.sync import merge_documents
from amts.sync.conserve import ConservationError, check_conservation, lost_pieces
from amts.sync.merge import Record

SECTIONS = [
    "chapter_recurrent-neural-networks/rnn-scratch.md",
    "chapter_convolutional-neural-networks/lenet.md",
    "chapter_multilayer-perceptrons/dropout.md",
    "chapter_preliminaries/autograd.md",
    "chapter_recurrent-modern/lstm.md",
]


def test_a_silent_drop_is_refused() -> None:
    old = "Hello.\n\n```python\nx = 1  # one\n```\n"
    tgt = "你好。\n\n```python\nx = 1  # 一\n```\n"
    with pytest.raises(ConservationError, match="code line at line 4"):
        check_conservation(old, old, tgt, "你好。\n\n```python\nx = 1  # one\n```\n", [], "zh")
    with pytest.raises(ConservationError, match="sentence at line 1"):
        check_conservation(old, old, tgt, "\n```python\nx = 1  # 一\n```\n", [], "zh")
    # the same loss is fine once a segment that needs review shows the old text
    shown = Record("propagated", True, old, old, tgt, "", "")
    check_conservation(old, old, tgt, "\n```python\nx = 1  # one\n```\n", [shown], "zh")


def test_list_items_writing_an_empty_code_span_are_not_taken_for_lost() -> None:
    """A style guide's items write ``(``)`` alone: over the whole output text one such run pairs with the next
    one, which hid the items between them from the check (a real d2l edition's file was refused every week)."""
    items = "* Tools\n    * Consider these as words without accents (``)\n    * Sequential class\n" \
            "        * Without accents (``)\n"
    old = f"# Style\n\n{items}\nKeep lines short.\n"
    new = f"# Style\n\n{items}\nKeep lines short. Use the Cambridge style.\n"
    target = f"# Stil\n\n{items.replace('Tools', 'Araçlar')}\nSatırları kısa tutun.\n"
    result = merge_documents(old, new, target, None, "en", "tr")  # raises ConservationError if it finds a loss
    assert "Consider these as words without accents (``)" in result.text and "Araçlar" in result.text


def test_a_marker_may_go_only_with_its_source() -> None:
    old = ":begin_tab:`mxnet`\nText.\n:end_tab:\n"
    tgt = ":begin_tab:`mxnet`\n文字。\n:end_tab:\n"
    with pytest.raises(ConservationError, match="begin_tab"):
        check_conservation(old, old, tgt, "文字。\n:end_tab:\n", [], "zh")
    check_conservation(old, "Text.\n:end_tab:\n", tgt, "文字。\n:end_tab:\n", [], "zh")


_IDENT = re.compile(r"\b[a-z_][a-z0-9_]{3,}\b")


@st.composite
def edited(draw, text: str) -> str:  # noqa: ANN001
    """``text`` with a few generated edits of the kinds real source updates make."""
    doc = parse_markdown(text)
    blocks = [b.text for b in doc.blocks]
    for _ in range(draw(st.integers(1, 4))):
        real = [k for k, b in enumerate(blocks) if b.strip()]
        k = draw(st.sampled_from(real))
        block = blocks[k]
        kind = draw(st.sampled_from(["delete", "move", "insert", "sentence", "rename", "comment", "drop_line",
                                     "wrap", "label"]))
        if kind == "delete":
            blocks[k] = ""
        elif kind == "move":
            blocks.insert(draw(st.integers(0, len(blocks))), blocks.pop(k))
        elif kind == "insert":
            blocks.insert(k, "A new paragraph the authors added, with `code` and $x$.\n\n")
        elif kind == "sentence" and block[:1].isalpha():
            blocks[k] = block.replace(". ", ". Indeed, this changed. ", 1) if ". " in block else "Now " + block
        elif kind == "rename" and block.startswith("```"):
            names = sorted(set(_IDENT.findall(block)))
            if names:
                name = draw(st.sampled_from(names))
                text_all = "".join(blocks)
                blocks = [re.sub(rf"\b{name}\b", name + "_v2", b) for b in blocks] if text_all else blocks
        elif kind == "comment" and "# " in block:
            blocks[k] = block.replace("# ", "# Note: ", 1)
        elif kind == "drop_line" and block.startswith("```") and block.count("\n") > 3:
            lines = block.splitlines(keepends=True)
            del lines[draw(st.integers(1, len(lines) - 2))]
            blocks[k] = "".join(lines)
        elif kind == "wrap" and block[:1].isalpha():
            blocks[k] = ":begin_tab:`pytorch`\n" + block.rstrip("\n") + "\n:end_tab:\n"
        elif kind == "label" and ":label:`" in block:
            blocks[k] = block.replace(":label:`", ":label:`new_", 1)
    return "".join(blocks)


@pytest.mark.d2l
@pytest.mark.parametrize("rel", SECTIONS)
def test_generated_edits_never_lose_translation_silently(d2l: Path, rel: str) -> None:
    old = (d2l / "en-origin" / rel).read_text("utf-8")
    zh = (d2l / "zh" / rel).read_text("utf-8")

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(edited(old))
    def check(new: str) -> None:
        result = merge_documents(old, new, zh, None, "en", "zh", check=False)
        lost = lost_pieces(old, new, zh, result.text, result.records, "zh")
        assert not lost, [piece.describe() for piece in lost]

    check()


@pytest.mark.d2l
def test_whole_book_passes_the_check(d2l: Path) -> None:
    """en-origin -> en-master with zh: every section merges with the conservation check and the validity
    gate on (they raise otherwise), and no Python cell of an output is broken unless its inputs had it."""
    checked = 0
    for path in sorted((d2l / "en-origin").rglob("*.md")):
        rel = path.relative_to(d2l / "en-origin")
        if not (d2l / "zh" / rel).is_file() or not (d2l / "en-master" / rel).is_file():
            continue
        new, target = (d2l / "en-master" / rel).read_text("utf-8"), (d2l / "zh" / rel).read_text("utf-8")
        result = merge_documents(path.read_text("utf-8"), new, target, None, "en", "zh")
        inherited = {code for text in (new, target) for _, code in python_cells(parse_markdown(text)) if cell_problem(code)}
        broken = [code for _, code in python_cells(parse_markdown(result.text)) if cell_problem(code)]
        assert set(broken) <= inherited, f"{rel}: {[cell_problem(code) for code in broken]}"
        checked += 1
    assert checked >= 100
