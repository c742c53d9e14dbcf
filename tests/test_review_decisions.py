"""Review decisions: what reaches the memory, undo, merge, edit validation, the journal and the lock."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_review_support import SEGMENTS, make_report, output_text

from amts.memory import Pair, Store
from amts.review import (
    EditError,
    ProjectRoot,
    ReviewLockedError,
    ReviewSession,
    StoreFeedback,
    file_hash,
    load_report,
)
from amts.review.queue import ReviewItem, check_item, same_code
from amts.review.validate import structure_change

PD = "review-test"
PROPOSAL = SEGMENTS[2][5]  # the fuzzy segment's proposal (its old translation)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    make_report(root)
    return root


def open_session(project: Path, store: Path | None) -> ReviewSession:
    queue = load_report(project / "report.json", ProjectRoot(project))
    return ReviewSession(queue, StoreFeedback(store, PD) if store else None)


def pairs(store: Path) -> list[tuple[str, str]]:
    return [(p.source, p.target) for p in Store(store).pairs(PD)] if Store(store).exists(PD) else []


def test_untranslated_text_never_enters_the_memory(project: Path, store: Path) -> None:
    session = open_session(project, store)
    output = project / "zh.pooling.md"
    english = session.queue.get("f0-s4")  # status untranslated: the proposal is the English source
    with pytest.raises(EditError, match="still the source text") as refused:
        session.save(english, "accept", None, file_hash(output))
    assert refused.value.forceable  # a name may stay as it is ...
    kept = session.save(english, "accept", None, file_hash(output), force=True)
    assert kept.decision.decision == "accepted" and pairs(store) == []  # ... and the memory never learns it
    assert "not stored: the text is still the source text" in kept.decision.parallel_data
    session.save(english, "undo")
    with pytest.raises(EditError, match="not in the target language") as refused:
        session.save(english, "edit", "Padding keeps the image border, see :numref:`fig_pad`.", file_hash(output))
    assert refused.value.forceable
    result = session.save(english, "edit", "Padding keeps the image border, see :numref:`fig_pad`.",
                          file_hash(output), force=True)  # the reviewer insists: the file, never the memory
    assert "Padding keeps the image border" in output.read_text(encoding="utf-8")
    assert pairs(store) == [] and "not stored" in result.decision.parallel_data
    session.save(english, "edit", "填充保留图像的边界，见 :numref:`fig_pad`。", file_hash(output))
    assert pairs(store) == [(SEGMENTS[4][3], "填充保留图像的边界，见 :numref:`fig_pad`。")]


def test_edit_then_accept_or_reject_never_gets_stuck(project: Path, store: Path) -> None:
    session = open_session(project, store)
    output = project / "zh.pooling.md"
    item = session.queue.get("f0-s2")
    fixed = "汇聚降低表示的分辨率。它保留每个窗口中的最大值。"
    session.save(item, "edit", fixed, file_hash(output))
    accepted = session.save(item, "accept", None, file_hash(output))  # accepts what is there now: the edit
    assert accepted.decision.target == fixed and session.current_target(item) == fixed
    assert pairs(store) == [(SEGMENTS[2][3], fixed)] and Store(store).describe(PD).version == 1  # no second pair
    again = session.save(item, "edit", fixed.replace("最大值", "最大的值"), file_hash(output))
    assert again.file_changed
    rejected = session.save(item, "reject", None, file_hash(output))
    # the proposal kept the old translation: nothing older to restore, the segment stays open
    assert rejected.decision.decision == "reopened" and not session.is_done(item)
    assert output.read_text(encoding="utf-8") == output_text()
    assert pairs(store) == []  # the memory forgets what the file no longer says
    session.save(item, "edit", fixed, file_hash(output))  # and it can be decided again
    assert session.is_done(item) and pairs(store) == [(SEGMENTS[2][3], fixed)]


def test_reject_restores_the_text_before_the_proposal(tmp_path: Path, store: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "zh.a.md").write_text("# 标题\n\n新的机器译文。\n", encoding="utf-8")
    report = {"version": 1, "src_lang": "en", "tgt_lang": "zh", "files": [{"output": "zh.a.md", "segments": [
        {"id": "x", "status": "propagated", "needs_review": True, "source_old": "Old text.", "source_new": "New text.",
         "target_old": "旧的人工译文。", "target_new": "新的机器译文。", "output_line": 3}]}]}
    (root / "r.json").write_text(json.dumps(report), encoding="utf-8")
    session = ReviewSession(load_report(root / "r.json", ProjectRoot(root)), StoreFeedback(store, PD))
    result = session.save(session.queue.items[0], "reject", None, file_hash(root / "zh.a.md"))
    assert result.decision.decision == "restored" and session.progress() == (1, 1)
    assert (root / "zh.a.md").read_text(encoding="utf-8") == "# 标题\n\n旧的人工译文。\n"
    session.save(session.queue.items[0], "undo")
    assert (root / "zh.a.md").read_text(encoding="utf-8") == "# 标题\n\n新的机器译文。\n"
    assert session.progress() == (0, 1)


def test_undo_takes_back_file_memory_and_state(project: Path, store: Path) -> None:
    seeded = Pair(SEGMENTS[2][3], "人工的旧译文。", "en", "zh", {"origin": "aligned"})
    Store(store).create(PD, [seeded, Pair("Other.", "其他。", "en", "zh", {})])
    session = open_session(project, store)
    output = project / "zh.pooling.md"
    item = session.queue.get("f0-s2")
    kept = session.save(item, "edit", "新的译文。", file_hash(output))  # a human pair is never silently replaced
    assert "keeps its translation" in kept.message and pairs(store)[0] == (SEGMENTS[2][3], "人工的旧译文。")
    session.save(item, "edit", "新的译文。", session.version(item), replace_pair=True)  # the reviewer confirms
    assert pairs(store)[0] == (SEGMENTS[2][3], "新的译文。")
    assert session.undo_last().message == "f0-s2: edited undone"
    assert session.undo_last().message == "f0-s2: edited undone"
    assert output.read_text(encoding="utf-8") == output_text()
    assert pairs(store) == [(SEGMENTS[2][3], "人工的旧译文。"), ("Other.", "其他。")]  # the replaced pair is back
    assert session.decision(item) is None and session.progress() == (0, 4)
    with pytest.raises(EditError, match="no decision to undo"):
        session.save(item, "undo")


def test_merge_two_segments_into_one_translation(project: Path, store: Path) -> None:
    session = open_session(project, store)
    output = project / "zh.pooling.md"
    first, second = session.queue.get("f0-s4"), session.queue.get("f0-s5")
    assert session.merge_partner(first) is second
    both = "填充保留图像的边界（见 :numref:`fig_pad`），步幅 $s$ 跳过窗口的一些位置。"
    session.save(first, "merge", both, file_hash(output))
    text = output.read_text(encoding="utf-8")
    assert both in text and SEGMENTS[5][5] not in text and SEGMENTS[4][5] not in text
    assert session.decision(second).decision == "merged" and session.current_target(second) == ""
    assert pairs(store) == [(SEGMENTS[4][3] + " " + "A stride of $s$ skips positions of the window.", both)]
    assert session.progress() == (2, 4)
    session.save(second, "undo")  # undoing either half undoes the merge
    assert output.read_text(encoding="utf-8") == output_text() and pairs(store) == []
    assert session.progress() == (0, 4)


@pytest.mark.parametrize(("text", "reason"), [
    ("汇聚降低分辨率。\n```python\n它保留最大值。", "code fence"),
    ("# 汇聚降低表示的分辨率。", "heading marker"),
    ("汇聚降低表示的分辨率。\n- 它保留最大值。", "list marker"),
    ("汇聚降低表示的分辨率。<!-- 它保留最大值。", "HTML"),
    ("汇聚降低表示的分辨率。\n> 它保留最大值。", "block quote"),
    ("汇聚\x00降低表示的分辨率。", r"control .*U\+0000"),
    ("汇聚\x1b[31m降低表示的分辨率。", r"control .*U\+001B"),
    ("汇聚\ufffd降低表示的分辨率。", "REPLACEMENT CHARACTER"),
    ("长" * 30_000, "at most"),
])
def test_edits_that_break_the_document_are_refused(project: Path, text: str, reason: str) -> None:
    session = open_session(project, None)
    output = project / "zh.pooling.md"
    with pytest.raises(EditError, match=reason) as refused:
        session.save(session.queue.get("f0-s2"), "edit", text, file_hash(output))
    assert not refused.value.forceable
    assert output.read_text(encoding="utf-8") == output_text()


def test_structure_of_the_proposal_is_the_reference() -> None:
    assert structure_change("# 标题\n", "# 新标题\n") is None  # a heading stays a heading
    assert "heading marker" in structure_change("# 标题\n", "新标题\n")
    assert structure_change("- 一项\n", "- 另一项\n") is None
    assert structure_change("第一行\n第二行", "第一行\n第二行改") is None


def test_a_crash_between_file_and_memory_is_finished_at_restart(project: Path, store: Path) -> None:
    """Killed right after writing the file: the next session replays the journal."""
    fixed = "汇聚降低表示的分辨率。它保留每个窗口中的最大值。"
    script = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from pathlib import Path
from amts.review import ProjectRoot, ReviewSession, StoreFeedback, load_report, file_hash
from amts.review.feedback import StoreFeedback as F
F.add = lambda self, pair: os._exit(9)  # the process dies right after the file was written
project = Path({str(project)!r})
session = ReviewSession(load_report(project / "report.json", ProjectRoot(project)), StoreFeedback(Path({str(store)!r}), {PD!r}))
session.save(session.queue.get("f0-s2"), "edit", {fixed!r}, file_hash(project / "zh.pooling.md"))
"""
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert died.returncode == 9, died.stderr
    output = project / "zh.pooling.md"
    assert fixed in output.read_text(encoding="utf-8")  # the file was written ...
    assert not Store(store).exists(PD) and not (project / "report.review.json").exists()  # ... nothing else
    assert (project / "report.review.json.journal").exists()
    session = open_session(project, store)  # restart
    assert "finished the interrupted decision on f0-s2" in session.recovered
    assert session.decision(session.queue.get("f0-s2")).target == fixed
    assert pairs(store) == [(SEGMENTS[2][3], fixed)]
    assert not (project / "report.review.json.journal").exists()
    # and the item is alive: it can be edited again (no eternal 409)
    session.save(session.queue.get("f0-s2"), "edit", fixed.replace("最大值", "最大的值"), file_hash(output))
    assert open_session(project, store).recovered == ""


def test_one_server_per_report(project: Path) -> None:
    first = open_session(project, None)
    first.hold("http://127.0.0.1:1111/")
    second = open_session(project, None)
    with pytest.raises(ReviewLockedError, match="already being reviewed by amts review pid .* at http://127.0.0.1:1111/"):
        second.hold()
    first.close()
    second.hold()  # free again once the first server stopped
    second.close()


def test_store_growth_per_decision_is_the_pair(project: Path, store: Path) -> None:
    book = [Pair(f"Sentence number {n} of a long book.", f"长书的第 {n} 句。", "en", "zh", {}) for n in range(5000)]
    Store(store).create(PD, book)
    session = open_session(project, store)
    output = project / "zh.pooling.md"

    def size() -> int:
        with sqlite3.connect(store) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return store.stat().st_size

    before = size()
    item = session.queue.get("f0-s2")
    for n in range(10):
        session.save(item, "edit", f"汇聚降低表示的分辨率，第 {n} 次修改。", file_hash(output))
    assert size() - before < 40_000  # a copy of the memory per version would be ~10 x 5000 rows
    assert len(Store(store).pairs(PD)) == 5001


def test_code_blocks_with_translated_comments_are_not_structure_flags() -> None:
    source = "```python\n# Compute the sum\nx = a + b  # add them\n```\n"
    assert same_code(source, "```python\n# 计算和\nx = a + b  # 相加\n```\n")
    assert not same_code(source, "```python\n# 计算和\nx = a - b\n```\n")
    item = ReviewItem("fuzzy", True, source, source, None, "```python\n# 计算和\nx = a + b  # 相加\n```\n",
                      output_line=1, id="x", file_index=0, output=Path("a.md"), output_rel="a.md")
    check_item(item)
    assert item.flags == []


def test_glossary_flags_only_for_real_terms() -> None:
    from amts.memory import TermMatcher

    glossary = TermMatcher({"Time": "Time", "Data": "数据", "stride": "步幅"})
    item = ReviewItem("fuzzy", True, None, "Time of the data with a stride.", None, "时间和步长。",
                      output_line=1, id="x", file_index=0, output=Path("a.md"), output_rel="a.md")
    check_item(item, glossary, "zh")
    assert item.problems == ["Data -> 数据 not used", "stride -> 步幅 not used"]  # never "Time -> Time"
    english = ReviewItem("untranslated", True, None, "The data.", None, "The data.", output_line=1,
                         id="y", file_index=0, output=Path("a.md"), output_rel="a.md")
    check_item(english, glossary, "zh")
    assert "glossary" not in english.flags  # untranslated already says it all


@pytest.mark.d2l
def test_a_kept_english_segment_is_still_untranslated_at_the_next_sync(d2l: Path, tmp_path: Path, store: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The defect's consequence: English kept on purpose never returns from the memory as a translation."""
    import shutil

    from typer.testing import CliRunner

    from amts.cli import app as cli_app
    from amts.review.sources import open_target

    project = tmp_path / "book"
    project.mkdir()
    for name in ("en_old.md", "en_new.md", "zh_old.md"):
        shutil.copy(d2l / "sync" / "pooling" / name, project / name)
    monkeypatch.chdir(project)
    sync = ["sync", "--old-source", "en_old.md", "--new-source", "en_new.md", "--old-target", "zh_old.md",
            "--engine", "memory", "--parallel-data", PD]
    Store(store).create(PD, [Pair("Unrelated.", "无关。", "en", "zh", {})])
    assert CliRunner().invoke(cli_app, [*sync, "--out", "zh.md", "--report", "r.json"]).exit_code == 0
    root = ProjectRoot(project)
    session = ReviewSession(open_target(str(project / "r.json"), root), StoreFeedback(store, PD))
    english = [i for i in session.queue.items if i.status == "untranslated" and i.source_new and len(i.source_new) > 40]
    assert english
    for item in english:  # the reviewer keeps all of them as they are, on purpose
        session.save(item, "accept", None, file_hash(item.output), force=True)
    assert all(target != source for source, target in pairs(store))
    assert CliRunner().invoke(cli_app, [*sync, "--out", "zh2.md", "--report", "r2.json"]).exit_code == 0
    again = {s["source_new"]: s for s in json.loads((project / "r2.json").read_text("utf-8"))["files"][0]["segments"]}
    for item in english:
        assert again[item.source_new]["status"] == "untranslated" and again[item.source_new]["needs_review"]


def test_pages_do_not_wait_for_the_match_index(project: Path, store: Path) -> None:
    """At start the index of a big parallel data is built in the background; a page shows matches later."""
    Store(store).create(PD, [Pair(SEGMENTS[2][2], "旧译文。", "en", "zh", {"origin": "aligned"})])
    session = open_session(project, store)
    item = session.queue.get("f0-s2")
    feedback = session.feedback
    with feedback._building:  # noqa: SLF001 - as if warm() were still building it
        assert session.matches_pending() and session.similar(item) == []
    feedback.warm().join(timeout=60)
    assert not session.matches_pending()
    assert [e.target for e in session.similar(item)] == ["旧译文。"]


def test_one_check_for_every_write_on_d2l_text(d2l: Path) -> None:
    """check_write on a real list item of the pooling section: accepting a proposal that lost math is
    refused (forceable, and then reported so the memory never learns it); the text written back by reject
    or undo only needs its blocks; `译文：` + the English is no translation."""
    from amts.review.validate import check_write

    old = (d2l / "sync" / "pooling" / "en_new.md").read_text(encoding="utf-8")
    source = next(line[3:] for line in old.splitlines() if line.startswith("1. ") and "$" in line)
    lost_math = "假设汇聚层的输入大小为 c×h×w，这个汇聚层的计算成本是多少？"
    with pytest.raises(EditError, match="placeholders differ") as refused:
        check_write(source, lost_math, lost_math, "zh", accepting=True)
    assert refused.value.forceable
    assert check_write(source, lost_math, lost_math, "zh", accepting=True, force=True)  # reported, never stored
    assert check_write(source, lost_math, "What is it?", "zh", restoring=True) == []
    with pytest.raises(EditError, match="most of the text is the source text"):
        check_write(source, lost_math, "译文：" + source, "zh")
    with pytest.raises(EditError, match="list marker"):
        check_write(source, lost_math, lost_math + "\n1. ", "zh")
