"""The 3-way line merge of code blocks: translated comments and docstrings survive source edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amts.document import parse_markdown
from amts.sync import merge_code, merge_documents
from amts.sync.lines import carry_code_change, translated_lines

LENET = "chapter_convolutional-neural-networks/lenet.md"
RNN = "chapter_recurrent-neural-networks/rnn-scratch.md"


def _texts(d2l: Path, rel: str) -> tuple[str, str]:
    return (d2l / "en-origin" / rel).read_text("utf-8"), (d2l / "zh" / rel).read_text("utf-8")


def _translated_code_lines(old: str, target: str) -> list[tuple[str, str]]:
    """Every (source line, translated line) of the code blocks, block by block in order."""
    olds = [b.text for b in parse_markdown(old).blocks if b.kind == "code"]
    tgts = [b.text for b in parse_markdown(target).blocks if b.kind == "code"]
    found: list[tuple[str, str]] = []
    for o in olds:
        for t in tgts:
            if o.split("\n", 2)[:2] == t.split("\n", 2)[:2]:
                found.extend(translated_lines(o, t))
    return found


def test_line_next_to_an_edit_is_kept() -> None:
    old = "def f(a,\n      b):\n    # Add them\n    return a + b\n"
    tgt = "def f(a,\n      b):\n    # 相加\n    return a + b\n"
    new = "def f(a, b):\n    # Add them\n    return a + b\n"
    merged = merge_code(old, new, tgt)
    assert merged.text == "def f(a, b):\n    # 相加\n    return a + b\n"
    assert merged.kept == 1 and not merged.lost


def test_renamed_identifier_is_carried_into_the_translated_line() -> None:
    old = "h = num_hidden  # hidden units\nx = 1\n"
    tgt = "h = num_hidden  # 隐藏单元\nx = 1\n"
    new = "h = num_hiddens  # hidden units\nx = 2\n"
    merged = merge_code(old, new, tgt)
    assert merged.text == "h = num_hiddens  # 隐藏单元\nx = 2\n"
    assert merged.updated == 1


def test_changed_comment_is_reported_with_the_old_translation() -> None:
    old = "x = 1  # one\ny = 2\n"
    tgt = "x = 1  # 一\ny = 2\n"
    new = "x = 1  # the number one\ny = 2\n"
    merged = merge_code(old, new, tgt)
    assert merged.text == new
    assert merged.lost == [("x = 1  # one\n", "x = 1  # 一\n", "its source line changed")]


def test_line_whose_source_line_was_removed_is_reported() -> None:
    old = "# load\nload()\n# run\nrun()\n"
    tgt = "# 加载\nload()\n# 运行\nrun()\n"
    new = "# load\nload()\nrun()\n"
    merged = merge_code(old, new, tgt)
    assert merged.text == "# 加载\nload()\nrun()\n"
    assert [(line, why) for _, line, why in merged.lost] == [("# 运行\n", "its source line was removed")]


def test_translator_only_lines_follow_their_neighbour() -> None:
    old = "a = 1\nb = 2\n"
    tgt = "a = 1\n# 注意: 见上文\nb = 2\n"
    new = "a = 10\nb = 2\nc = 3\n"
    assert merge_code(old, new, tgt).text == "a = 10\n# 注意: 见上文\nb = 2\nc = 3\n"


def test_untranslated_string_takes_the_new_value() -> None:
    assert carry_code_change("f('relu')  # act\n", "g('sigmoid')  # act\n", "f('relu')  # 激活\n") == \
        "g('sigmoid')  # 激活\n"
    assert carry_code_change("f('a')  # x\n", "f('b')  # y\n", "f('a')  # 某\n") is None


@pytest.mark.d2l
def test_lenet_docstring_survives_a_signature_change(d2l: Path) -> None:
    """The real case: the train_ch6 signature was joined onto one line; the docstring below did not change."""
    old, zh = _texts(d2l, LENET)
    signature = re.compile(r"lr,\n\s+device=d2l\.try_gpu\(\)\):")
    assert len(signature.findall(old)) >= 3
    new = signature.sub("lr, device):", old)
    docstrings = [line for source, line in _translated_code_lines(old, zh) if '"""Train a model with a GPU' in source]
    assert docstrings
    result = merge_documents(old, new, zh, None, "en", "zh")
    for line in docstrings:
        assert line in result.text
    assert result.text.count("lr, device):") >= 3
    assert not any(r.needs_review for r in result.records)


@pytest.mark.d2l
def test_rnn_scratch_comments_survive_a_rename(d2l: Path) -> None:
    """num_hidden -> num_hiddens everywhere in the source: every translated comment stays, no English comes back."""
    old, zh = _texts(d2l, RNN)
    new = re.sub(r"\bnum_hidden\b", "num_hiddens", old)
    result = merge_documents(old, new, zh, None, "en", "zh")
    pairs = _translated_code_lines(old, zh)
    assert len(pairs) >= 10
    for source, line in pairs:
        if "num_hidden" not in source:
            assert line in result.text, line
    assert not re.search(r"\bnum_hidden\b", result.text)
    assert not any(r.needs_review for r in result.records)


@pytest.mark.d2l
def test_changed_docstring_is_flagged_for_review(d2l: Path) -> None:
    old, zh = _texts(d2l, LENET)
    new = old.replace('"""Train a model with a GPU (defined in Chapter 6)."""', '"""Train a model on one GPU."""')
    result = merge_documents(old, new, zh, None, "en", "zh")
    flagged = [r for r in result.records if r.needs_review and "用GPU训练模型" in (r.target_old or "")]
    assert flagged and all("its source line changed" in r.note for r in flagged)
    assert all("用GPU训练模型" in r.note for r in flagged)


def test_translators_code_split_is_reported_not_mangled() -> None:
    """The translation split a line the source then rewrote differently: new code, both old lines reported."""
    old = "#@tab tf\na, b, c, v = 2, 4, 6, t([3])\nrun(a)\n"
    tgt = "#@tab tf\na, b = 2, 4\nc, v = 6, t([3])\nrun(a)\n"
    new = "%%tab tf\na, b, c = 2, 4, 6\nv = t([3])\nrun(a)\n"
    merged = merge_code(old, new, tgt)
    assert merged.text == new
    assert sorted(line for _, line, _ in merged.lost) == ["a, b = 2, 4\n", "c, v = 6, t([3])\n"]


_EDIT = st.sampled_from(["delete", "insert", "modify", "duplicate"])


@pytest.mark.d2l
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_edits_keep_every_line_whose_source_survives(d2l: Path, data: st.DataObject) -> None:
    """Property: a translated line whose source line is still in the new code, unchanged and unique,
    is in the merged code; every other translated line is in the output or reported lost."""
    old, zh = _texts(d2l, data.draw(st.sampled_from([RNN, LENET, "chapter_multilayer-perceptrons/kaggle-house-price.md"])))
    olds = [b.text for b in parse_markdown(old).blocks if b.kind == "code"]
    tgts = [b.text for b in parse_markdown(zh).blocks if b.kind == "code"]
    pairs = [(o, t) for o in olds for t in tgts if o.split("\n", 2)[:2] == t.split("\n", 2)[:2] and o != t]
    source, target = data.draw(st.sampled_from(pairs))
    lines = source.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 5))):
        k = data.draw(st.integers(1, len(lines) - 2))  # never the fences
        edit = data.draw(_EDIT)
        if edit == "delete" and len(lines) > 3:
            del lines[k]
        elif edit == "insert":
            lines.insert(k, "    extra_call(42)  # a new line\n")
        elif edit == "modify":
            lines[k] = lines[k].rstrip("\n") + "  # changed\n"
        elif edit == "duplicate":
            lines.insert(k, lines[k])
    new = "".join(lines)
    merged = merge_code(source, new, target)
    out = merged.text.splitlines(keepends=True)
    lost = [line for _, line, _ in merged.lost]
    for src_line, translated in translated_lines(source, target):
        if new.count(src_line) == 1 and source.count(src_line) == 1 and translated.strip() not in new:
            assert translated in out, (src_line, translated)
        else:
            assert translated in out or translated in lost or src_line not in new, (src_line, translated)
