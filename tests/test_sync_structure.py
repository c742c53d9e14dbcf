"""Tab wrappers and labels that the source adds, removes or renames are carried into the translation."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from amts.sync import merge_documents

FRAME_RE = re.compile(r":(?:label|eqlabel|begin_tab):`[^`]*`|:end_tab:")


def _frame_tokens(text: str) -> Counter[str]:
    return Counter(FRAME_RE.findall(text))


def test_wrapper_added_and_label_renamed() -> None:
    old = "# T\n\nSome text here.\n\n![A figure.](f.svg)\n:label:`fig_a`\n"
    new = "# T\n\n:begin_tab:`pytorch`\nSome text here.\n:end_tab:\n\n![A figure.](f.svg)\n:label:`fig_b`\n"
    tgt = "# 标题\n\n这里有一些文字。\n\n![一个图。](f.svg)\n:label:`fig_a`\n"
    result = merge_documents(old, new, tgt, None, "en", "zh")
    assert result.text == "# 标题\n\n:begin_tab:`pytorch`\n这里有一些文字。\n:end_tab:\n\n![一个图。](f.svg)\n:label:`fig_b`\n"
    assert not any(r.needs_review for r in result.records)


def test_wrapper_removed() -> None:
    old = ":begin_tab:`mxnet`\nOnly for MXNet.\n:end_tab:\n"
    new = "Only for MXNet.\n"
    tgt = ":begin_tab:`mxnet`\n仅适用于MXNet。\n:end_tab:\n"
    assert merge_documents(old, new, tgt, None, "en", "zh").text == "仅适用于MXNet。\n"


@pytest.mark.d2l
@pytest.mark.parametrize("rel", [
    "chapter_recurrent-modern/lstm.md",  # lstm_0 -> fig_lstm_0, and a wrapper added
    "chapter_convolutional-neural-networks/lenet.md",
    "chapter_preliminaries/autograd.md",
    "chapter_recurrent-modern/deep-rnn.md",
])
def test_real_wrappers_and_labels_follow_the_source(d2l: Path, rel: str) -> None:
    old, new, zh = ((d2l / folder / rel).read_text("utf-8") for folder in ("en-origin", "en-master", "zh"))
    assert _frame_tokens(old) != _frame_tokens(new)
    expected = _frame_tokens(zh)
    expected.update(_frame_tokens(new))
    expected.subtract(_frame_tokens(old))
    result = merge_documents(old, new, zh, None, "en", "zh")
    assert _frame_tokens(result.text) == +expected


def test_references_to_a_renamed_label_follow_it_in_kept_translations() -> None:
    """The paragraph's prose changed (fuzzy: old translation kept) and so did its reference target."""
    old = "![A cell.](c.svg)\n:label:`lstm_0`\n\nAs :numref:`lstm_0` shows, gates help.\n"
    new = "![A cell.](c.svg)\n:label:`fig_lstm_0`\n\nAs :numref:`fig_lstm_0` shows, the gates help a lot.\n"
    tgt = "![一个单元。](c.svg)\n:label:`lstm_0`\n\n如 :numref:`lstm_0` 所示，门有帮助。\n"
    result = merge_documents(old, new, tgt, None, "en", "zh")
    assert result.text == "![一个单元。](c.svg)\n:label:`fig_lstm_0`\n\n如 :numref:`fig_lstm_0` 所示，门有帮助。\n"
    fuzzy = [r for r in result.records if r.status == "fuzzy"]
    assert fuzzy and fuzzy[0].needs_review and fuzzy[0].target_new in result.text


@pytest.mark.d2l
def test_real_label_renames_reach_every_reference(d2l: Path) -> None:
    rel = "chapter_recurrent-modern/lstm.md"
    old, new, zh = ((d2l / folder / rel).read_text("utf-8") for folder in ("en-origin", "en-master", "zh"))
    result = merge_documents(old, new, zh, None, "en", "zh")
    for gone in ("lstm_0", "lstm_1", "lstm_3"):
        assert f"`{gone}`" in zh and f"`{gone}`" not in new
        assert f"`{gone}`" not in result.text


def test_a_label_renamed_in_one_file_is_followed_in_another(tmp_path: Path) -> None:
    from amts.sync.report import SyncReport
    from amts.sync.runner import folder_jobs, run_jobs

    books = {"old": ("# RNN\n:label:`sec_rnn_scratch`\n\nText.\n", "See :numref:`sec_rnn_scratch` for the model.\n"),
             "new": ("# RNN\n:label:`sec_rnn-scratch`\n\nText.\n",
                     "See :numref:`sec_rnn-scratch` and :numref:`sec_gru` for the whole model, as built there.\n"),
             "zh": ("# 循环神经网络\n:label:`sec_rnn_scratch`\n\n文字。\n", "模型见 :numref:`sec_rnn_scratch`。\n")}
    for name, (a, b) in books.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.md").write_text(a, "utf-8")
        (tmp_path / name / "b.md").write_text(b, "utf-8")
    jobs, _ = folder_jobs(tmp_path / "old", tmp_path / "new", tmp_path / "zh", tmp_path / "out")
    report = run_jobs(jobs, None, SyncReport("en", "zh", "memory"))
    assert (tmp_path / "out" / "b.md").read_text("utf-8") == "模型见 :numref:`sec_rnn-scratch`。\n"
    assert (tmp_path / "out" / "a.md").read_text("utf-8").startswith("# 循环神经网络\n:label:`sec_rnn-scratch`\n")
    fuzzy = [r for f in report.files for r in f.result.records if r.status == "fuzzy"]
    assert fuzzy and all(r.target_new in (tmp_path / "out" / "b.md").read_text("utf-8") for r in fuzzy)
