"""Provenance: what amts itself wrote (source text kept, machine translations) is never taken for human work
by a later sync. Real D2L sections, read at test time."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.sync import merge_documents
from amts.sync.provenance import Provenance, read_provenance


def test_a_sentence_identical_to_its_source_is_not_human_work() -> None:
    old = "# Title\n\nThe first sentence. The second sentence stays in English.\n"
    zh = "# 标题\n\n第一句。The second sentence stays in English.\n"
    new = old.replace("stays in English", "was edited")
    result = merge_documents(old, new, zh, None, "en", "zh")
    edited = [r for r in result.records if r.source_new and "was edited" in r.source_new]
    assert [(r.status, r.target_new) for r in edited] == [("untranslated", "The second sentence was edited.")]
    assert "stays in English" not in result.text and "第一句。" in result.text
    assert result.provenance.source == ["The second sentence was edited."]


def test_a_machine_translation_is_translated_anew_not_kept_as_fuzzy() -> None:
    old = "# Title\n\nA human sentence. A machine sentence.\n"
    zh = "# 标题\n\n人的句子。机器的句子。\n"
    new = old.replace("A machine sentence.", "A machine sentence, edited.")
    human = merge_documents(old, new, zh, None, "en", "zh")
    assert [r.status for r in human.records if r.source_new and "edited" in r.source_new] == ["fuzzy"]
    told = merge_documents(old, new, zh, None, "en", "zh", provenance=Provenance(machine=["机器的句子。"]))
    assert [r.status for r in told.records if r.source_new and "edited" in r.source_new] == ["untranslated"]
    assert "机器的句子" not in told.text and "人的句子。" in told.text


@pytest.mark.d2l
def test_a_later_sync_reads_what_the_previous_one_left_in_english(d2l: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Two syncs in a row, as a community runs them: the second one's old translation is the first one's
    output. English the first left in is not "the old translation, fuzzy" when its English changes."""
    for name in ("en_old.md", "en_new.md", "zh_old.md"):
        shutil.copy(d2l / "sync" / "pooling" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AMTS_HOME", str(tmp_path / "home"))
    first = CliRunner().invoke(app, ["sync", "--old-source", "en_old.md", "--new-source", "en_new.md",
                                     "--old-target", "zh_old.md", "--out", "zh1.md", "--report", "r1.json",
                                     "--engine", "memory", "--tgt", "zh"])
    assert first.exit_code == 0, first.output
    report = json.loads(Path("r1.json").read_text("utf-8"))
    left = report["files"][0]["provenance"]["source"]
    assert left and all(text in Path("zh1.md").read_text("utf-8") for text in left)
    assert read_provenance(report, tmp_path)[str((tmp_path / "zh1.md").resolve())].source == left
    # the authors edit one of the sentences the first sync left in English
    sentence = max(left, key=len)
    edited_source = Path("en_new.md").read_text("utf-8")
    words = sentence.split()
    assert " ".join(words[:4]) in " ".join(edited_source.split())
    edited = _edit_sentence(edited_source, words[0], words[1])
    Path("en_newer.md").write_text(edited, "utf-8")
    second = CliRunner().invoke(app, ["sync", "--old-source", "en_new.md", "--new-source", "en_newer.md",
                                      "--old-target", "zh1.md", "--out", "zh2.md", "--report", "r2.json",
                                      "--engine", "memory", "--tgt", "zh"])
    assert second.exit_code == 0, second.output
    segments = json.loads(Path("r2.json").read_text("utf-8"))["files"][0]["segments"]
    changed = [s for s in segments if s["source_new"] and "(edited)" in s["source_new"]]
    assert changed and all(s["status"] == "untranslated" and s["needs_review"] for s in changed)
    assert not [s for s in segments if s["status"] == "fuzzy" and s["target_old"] and sentence in s["target_old"]]


def _edit_sentence(text: str, first: str, second: str) -> str:
    """``text`` with ``(edited)`` inserted after the first occurrence of the words ``first second``."""
    at = text.index(first + " " + second) if first + " " + second in text else text.index(first + "\n" + second)
    cut = at + len(first)
    return text[:cut] + " (edited)" + text[cut:]
