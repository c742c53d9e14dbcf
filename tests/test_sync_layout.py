"""Sentences follow content, not layout: a human sentence whose English survives verbatim survives a split,
a join, a re-wrap or a reordering of paragraphs, and a translation only moves with the evidence an
alignment needs. Real D2L sections, read at test time."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amts.document import parse_markdown
from amts.sync import MergeResult, merge_documents
from amts.sync.placement import credible
from amts.sync.tokens import prose_fingerprint

SECTIONS = [
    "chapter_convolutional-neural-networks/padding-and-strides.md",
    "chapter_attention-mechanisms/attention-cues.md",
    "chapter_multilayer-perceptrons/dropout.md",
    "chapter_linear-networks/softmax-regression.md",
    "chapter_recurrent-modern/beam-search.md",
]


def _texts(d2l: Path, rel: str) -> tuple[str, str]:
    return (d2l / "en-origin" / rel).read_text("utf-8"), (d2l / "zh" / rel).read_text("utf-8")


def _lost_sentences(old_target: str, output: str) -> list[str]:
    """The old translation's sentences whose prose is not in ``output``."""
    out = prose_fingerprint(output)
    return [s.text for seg in parse_markdown(old_target).segments for s in seg.sentences("zh")
            if any(ch.isalpha() for ch in prose_fingerprint(s.text)) and prose_fingerprint(s.text) not in out]


def _plain_paragraphs(text: str) -> list[tuple[int, int, int]]:
    """(block start, block end, segment index) of paragraphs with nothing around their prose."""
    doc = parse_markdown(text)
    found = []
    for block in doc.blocks:
        segments = doc.block_segments(block)
        if (block.kind == "paragraph" and len(segments) == 1 and not segments[0].continuation
                and text[block.start : segments[0].start].strip() == "" and text[segments[0].end : block.end].strip() == ""):
            found.append((block.start, block.end, segments[0].index))
    return found


def _cut_after_sentence(text: str, k: int) -> str | None:
    """``text`` with one paragraph's prose split (a blank line) after its ``k``-th sentence."""
    doc = parse_markdown(text)
    candidates = [(start, doc.segments[s]) for start, _end, s in _plain_paragraphs(text)
                  if len(doc.segments[s].sentences("en")) > 1]
    if not candidates:
        return None
    _start, segment = candidates[k % len(candidates)]
    sentences = segment.sentences("en")
    wanted = sum(not ch.isspace() for ch in segment.text[: sentences[(k // len(candidates)) % (len(sentences) - 1)].end])
    pos = segment.start
    while wanted:
        wanted -= not text[pos].isspace()
        pos += 1
    rest = text[pos:]
    return text[:pos] + "\n\n" + rest.lstrip(" \t\n")


@st.composite
def layout_edited(draw, text: str) -> str:  # noqa: ANN001
    """``text`` with a few generated layout-only edits: no word changes."""
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["split", "join", "rewrap", "reorder"]))
        paragraphs = _plain_paragraphs(text)
        k = draw(st.integers(0, 10_000))
        if kind == "split":
            text = _cut_after_sentence(text, k) or text
            continue
        if not paragraphs:
            continue
        start, end, _ = paragraphs[k % len(paragraphs)]
        if kind == "rewrap":
            words = text[start:end].split()
            width = draw(st.sampled_from([30, 60, 10_000]))
            lines, line = [], ""
            for word in words:
                if line and len(line) + len(word) >= width:
                    lines.append(line)
                    line = ""
                line = f"{line} {word}" if line else word
            text = text[:start] + "\n".join([*lines, line]) + "\n" + text[end:]
            continue
        following = [p for p in paragraphs if p[0] > end and text[end : p[0]].strip() == ""]
        if not following:
            continue
        nxt_start, nxt_end, _ = following[0]
        if kind == "join":
            text = text[:end] + text[nxt_start:]
        else:  # reorder: the two paragraphs swap places
            text = text[:start] + text[nxt_start:nxt_end] + text[end:nxt_start] + text[start:end] + text[nxt_end:]
    return text


@pytest.mark.d2l
@pytest.mark.parametrize("rel", SECTIONS)
def test_layout_only_edits_keep_every_human_sentence(d2l: Path, rel: str) -> None:
    old, zh = _texts(d2l, rel)

    @settings(max_examples=10, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(layout_edited(old))
    def check(new: str) -> None:
        result = merge_documents(old, new, zh, None, "en", "zh")
        assert _lost_sentences(zh, result.text) == []
        flagged = [(r.status, r.source_new) for r in result.records if r.needs_review]
        assert flagged == []

    check()


def _split_before(d2l: Path, words: str) -> tuple[str, MergeResult]:
    """padding-and-strides.md with a paragraph split before ``words``: the old translation and the merge."""
    old, zh = _texts(d2l, "chapter_convolutional-neural-networks/padding-and-strides.md")
    cut = old.index(words)
    return zh, merge_documents(old, old[:cut].rstrip(" \n") + "\n\n" + old[cut:], zh, None, "en", "zh")


@pytest.mark.d2l
def test_a_paragraph_split_keeps_its_translation(d2l: Path) -> None:
    """The case of the issue: "As motivation, note that..." starts a paragraph of its own."""
    zh, result = _split_before(d2l, "As motivation, note that")
    assert result.words_to_review == 0
    assert _lost_sentences(zh, result.text) == []
    assert result.rules_used["reflowed"] == 1
    assert not [r for r in result.records if r.status == "deleted"]
    assert result.text.count("本节我们将介绍*填充*（padding）和*步幅*（stride）") == 1
    assert "As motivation" not in result.text


@pytest.mark.d2l
def test_a_split_paragraph_is_cut_where_its_translation_breaks(d2l: Path) -> None:
    """Each part of a split paragraph gets the Chinese sentences aligned with its English ones."""
    _zh, result = _split_before(d2l, "Choosing odd kernel sizes has the benefit")
    assert result.words_to_review == 0
    before, _after = result.text.split("选择奇数的好处是", 1)
    assert before.endswith("例如1、3、5或7。\n\n")  # the Chinese paragraph is cut where the English one is
    assert [r.note for r in result.records if r.status == "kept" and "paragraph breaks" in r.note] == [
        "paragraph breaks changed: translation cut at the new breaks"]


@pytest.mark.d2l
def test_a_moved_sentence_takes_no_translation_without_evidence(d2l: Path) -> None:
    """Cases of the issue: a citation or a slide mark may not vanish with a reused translation."""
    assert not credible("For instance, we can design a model trained with reinforcement learning "
                        ":cite:`Mnih.Heess.Graves.ea.2014`.", "然而，注意力机制的设计有许多替代方案。", "en", "zh")
    assert not credible("We can [**query the device where the tensor is located.**]",
                        "我们可以[**查询张量所在的设备。", "en", "zh")
    assert not credible("*Graphical processing units* (GPUs) proved to be a game changer.",
                        "然而，用GPU训练神经网络改变了这一格局。*", "en", "zh")
    assert credible("We can [**query the device where the tensor is located.**]",
                    "我们可以[**查询张量所在的设备**]。", "en", "zh")


@pytest.mark.d2l
def test_a_relaid_block_the_translation_never_had_stays_out(d2l: Path) -> None:
    """kaggle-cifar10's summary: one English list with tab lines inside, that the translators had laid out
    as separate tab blocks (the aligner cannot link them); en-master lays it out the same way. The
    English is not added again beside the Chinese (that duplicated the tab blocks)."""
    rel = "chapter_computer-vision/kaggle-cifar10.md"
    old, new, zh = ((d2l / folder / rel).read_text("utf-8") for folder in ("en-origin", "en-master", "zh"))
    result = merge_documents(old, new, zh, None, "en", "zh")
    summary = result.text[result.text.index("## 小结") : result.text.index("## 练习")]
    assert "We can use convolutional" not in summary and "We can read datasets" not in summary
    assert summary.count(":begin_tab:`mxnet`") == 1 and "图像增广和混合编程" in summary
    assert "[Discussions](https://discuss.d2l.ai/t/2830)" in result.text


@pytest.mark.d2l
def test_tab_blocks_the_translators_wrote_ahead_are_adopted_and_markers_follow_the_source(d2l: Path) -> None:
    """linear-algebra: the Chinese already had the tab blocks en-master adds: they are taken, not doubled.
    custom-layer: a paragraph becomes a tab block for another framework than the translators' own:
    the opener is the new source's, never two openers in a row."""
    rel = "chapter_preliminaries/linear-algebra.md"
    old, new, zh = ((d2l / folder / rel).read_text("utf-8") for folder in ("en-origin", "en-master", "zh"))
    result = merge_documents(old, new, zh, None, "en", "zh")
    assert result.text.count(":begin_tab:`pytorch`") == new.count(":begin_tab:`pytorch`")
    adopted = [r for r in result.records if "the translators' block for this tab" in r.note]
    assert adopted and all(r.needs_review and r.target_new in result.text for r in adopted)
    old = (d2l / "en-origin" / "chapter_deep-learning-computation" / "custom-layer.md").read_text("utf-8")
    zh = (d2l / "zh" / "chapter_deep-learning-computation" / "custom-layer.md").read_text("utf-8")
    new = (d2l / "en-master" / "chapter_builders-guide" / "custom-layer.md").read_text("utf-8")
    lines = merge_documents(old, new, zh, None, "en", "zh", check=False).text.splitlines()
    assert not [a for a, b in zip(lines, lines[1:], strict=False) if a.startswith(":begin_tab:") and b.startswith(":begin_tab:")]


@pytest.mark.d2l
def test_a_tab_block_is_adopted_by_content_only_with_its_terms(d2l: Path) -> None:
    """pooling: the translators' tensorflow blocks stand elsewhere than en-master's; each is adopted by the
    block it translates (its English terms are that block's), never by another tensorflow block."""
    rel = "chapter_convolutional-neural-networks/pooling.md"
    old, new, zh = ((d2l / folder / rel).read_text("utf-8") for folder in ("en-origin", "en-master", "zh"))
    result = merge_documents(old, new, zh, None, "en", "zh")
    adopted = {r.source_new.split("\n")[1][:40]: r.target_new for r in result.records
               if "the translators' block for this tab" in r.note and r.source_new}
    assert "MXNet和PyTorch" in adopted["Note that the output for the TensorFlow "]
    assert "Note that unlike other frameworks, Tens" not in adopted  # no Chinese block says this
    assert result.fell_back == 0


@pytest.mark.d2l
def test_a_label_the_translators_placed_ahead_is_not_added_twice(d2l: Path) -> None:
    """calculus: the Chinese had :label:`subsec_calculus-grad` before its old source did; en-master adds it."""
    rel = "chapter_preliminaries/calculus.md"
    old, new, zh = ((d2l / folder / rel).read_text("utf-8") for folder in ("en-origin", "en-master", "zh"))
    assert ":label:`subsec_calculus-grad`" in zh and ":label:`subsec_calculus-grad`" not in old
    result = merge_documents(old, new, zh, None, "en", "zh")
    assert result.text.count(":label:`subsec_calculus-grad`") == 1
    assert [r.note for r in result.records if r.source_new == ":label:`subsec_calculus-grad`\n"] == [
        "label already in the translation, where the translators put it"]


@pytest.mark.d2l
def test_a_math_line_is_not_reused_as_a_translation(d2l: Path) -> None:
    """sequence: the translation's display math laid out otherwise (``$$`` on its own line) is no
    translated line to put into the math en-master adds: the added block keeps its opening ``$$``."""
    rel = "chapter_recurrent-neural-networks/sequence.md"
    old, new, zh = ((d2l / folder / rel).read_text("utf-8") for folder in ("en-origin", "en-master", "zh"))
    result = merge_documents(old, new, zh, None, "en", "zh")
    assert "$$\\begin{aligned}\n\\hat{x}_{605}" in result.text and result.fell_back == 0


@pytest.mark.d2l
def test_a_translators_line_of_code_the_new_source_now_has_replaces_it(d2l: Path) -> None:
    """text-preprocessing -> text-sequence: the Chinese had ``def unk(self):  # 未知词元的索引为0`` before its
    old source; en-master adds that method: the translated line stands for it, not a second bodiless def."""
    old = (d2l / "en-origin" / "chapter_recurrent-neural-networks" / "text-preprocessing.md").read_text("utf-8")
    zh = (d2l / "zh" / "chapter_recurrent-neural-networks" / "text-preprocessing.md").read_text("utf-8")
    new = (d2l / "en-master" / "chapter_recurrent-neural-networks" / "text-sequence.md").read_text("utf-8")
    text = merge_documents(old, new, zh, None, "en", "zh").text
    assert "def unk(self):  # 未知词元的索引为0\n        return self.token_to_idx['<unk>']" in text
    assert text.count("def unk(self):") == new.count("def unk(self):")
