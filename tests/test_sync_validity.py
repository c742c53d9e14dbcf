"""The validity gate, the per-unit fallback, per-file isolation and the pairing guard, on real D2L text."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from amts.cli import app
from amts.document import parse_markdown
from amts.document.wellformed import cell_problem, defects, python_cells
from amts.sync.conserve import ConservationError
from amts.sync.merge import merge_documents
from amts.sync.pairing import MispairedError, check_pair, coverage
from amts.sync.report import SyncReport
from amts.sync.runner import folder_jobs, run_jobs
from amts.sync.validity import Inputs, InvalidOutputError, introduced

CIFAR = "chapter_computer-vision/kaggle-cifar10.md"
DEEP_RNN = "chapter_recurrent-modern/deep-rnn.md"


def _texts(d2l: Path, rel: str, new_rel: str | None = None) -> tuple[str, str, str]:
    return ((d2l / "en-origin" / rel).read_text(encoding="utf-8"),
            (d2l / "en-master" / (new_rel or rel)).read_text(encoding="utf-8"),
            (d2l / "zh" / rel).read_text(encoding="utf-8"))


def _compiling(text: str) -> list[str]:
    return [code for _, code in python_cells(parse_markdown(text)) if cell_problem(code) is None]


def test_glued_markers_and_items_and_an_unclosed_code_span_are_defects_of_a_real_section(d2l: Path) -> None:
    text = (d2l / "zh" / DEEP_RNN).read_text(encoding="utf-8")
    assert defects(text) == []
    glued = text.replace(":end_tab:\n\n:begin_tab:", ":end_tab::begin_tab:", 1)
    assert [d.kind for d in defects(glued)] == ["tab marker not alone on its line"]
    item = re.search(r"^\* [^\n]+\n(?=\* )", text, re.M)
    assert item is not None
    glued = text[: item.end() - 1] + text[item.end():]  # the next bullet written onto this one's line
    assert [d.kind for d in defects(glued)] == ["list item glued onto the line before it"]
    math = next(m for m in re.finditer(r"^[^\n$`]*\$[^$\n]+\$[^\n$]*$", text, re.M) if not m.group(0).startswith(":"))
    lost_dollar = text[: math.start()] + math.group(0).replace("$", "", 1) + text[math.end():]
    assert [d.kind for d in defects(lost_dollar)] == ["inline math $ never closed"]
    fence = text.index("\n```{.python .input}") + 1
    glued_fence = text[:fence].rstrip("\n") + " " + text[fence:]  # the fence written onto the line before it
    assert "code fence not at the start of its line" in [d.kind for d in defects(glued_fence)]
    prose = next(m for m in re.finditer(r"^[^\n`]*`[^`\n]+`[^\n]*$", text, re.M) if not m.group(0).startswith(("`", ":")))
    broken = text[: prose.start()] + prose.group(0).replace("`", "", 1) + text[prose.end():]
    assert [d.kind for d in defects(broken)] == ["code span never closed"]
    # inherited, not introduced: the same defect in the old translation excuses it in the output
    old_source, new_source, _ = _texts(d2l, DEEP_RNN)
    assert introduced(broken, Inputs.of(old_source, new_source, broken)) == []
    assert [d.kind for d in introduced(broken, Inputs.of(old_source, new_source, text))] == ["code span never closed"]


def test_a_cell_the_merge_broke_falls_back_to_the_new_source_code(d2l: Path) -> None:
    """kaggle-cifar10: the translator's lines put back beside changed code left an ``if`` without body."""
    old_source, new_source, old_target = _texts(d2l, CIFAR)
    result = merge_documents(old_source, new_source, old_target, None, "en", "zh")
    assert introduced(result.text, Inputs.of(old_source, new_source, old_target)) == []
    assert len(_compiling(result.text)) >= len(_compiling(new_source))
    broken = [code for _, code in python_cells(parse_markdown(result.text)) if cell_problem(code)]
    assert broken == []
    assert result.fell_back > 0
    fallbacks = [r for r in result.records if "merged text was not valid" in r.note]
    assert fallbacks and all(r.needs_review for r in fallbacks)
    assert any("does not compile" in r.note for r in fallbacks)
    # the translators' docstrings and comments stay in view, as comments of the new code
    commented = [r for r in fallbacks if "as comments" in r.note]
    assert commented
    assert any(line.strip().startswith("# ") and re.search(r"[\u4e00-\u9fff]", line)
               for record in commented for line in record.target_new.splitlines())
    for record in commented:
        assert cell_problem("\n".join(record.target_new.splitlines()[2:-1])) is None


def test_a_glued_end_tab_from_a_translation_without_final_newline_is_not_written(d2l: Path) -> None:
    old_source, new_source, old_target = _texts(d2l, DEEP_RNN)
    assert not old_target.endswith("\n")
    result = merge_documents(old_source, new_source, old_target, None, "en", "zh")
    assert ":end_tab::begin_tab:" not in result.text
    assert introduced(result.text, Inputs.of(old_source, new_source, old_target)) == []


def test_a_duplicated_tab_block_is_caught_against_the_inputs(d2l: Path) -> None:
    old_source, new_source, old_target = _texts(d2l, DEEP_RNN)
    block = re.search(r":begin_tab:`paddle`\n.*?:end_tab:", old_target, re.S)
    assert block is not None
    doubled = old_target.replace(block.group(0), block.group(0) + "\n\n" + block.group(0), 1)
    found = introduced(doubled, Inputs.of(old_source, new_source, old_target))
    assert [d.kind for d in found] == ["tab block for paddle duplicated"]


def _book(d2l: Path, tmp_path: Path, sections: list[str], broken: str | None = None) -> tuple[Path, Path, Path]:
    roots = {}
    for name in ("en-origin", "en-master", "zh"):
        for rel in sections:
            path = tmp_path / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text((d2l / name / rel).read_text(encoding="utf-8"), encoding="utf-8")
        roots[name] = tmp_path / name
    if broken is not None:  # a translation whose old target is another section's: mis-paired
        (roots["zh"] / sections[0]).write_text((d2l / "zh" / broken).read_text(encoding="utf-8"), encoding="utf-8")
    return roots["en-origin"], roots["en-master"], roots["zh"]


def test_a_mispaired_file_is_blocked_and_the_rest_of_the_book_written(d2l: Path, tmp_path: Path) -> None:
    sections = ["chapter_recurrent-modern/gru.md", DEEP_RNN]
    old, new, zh = _book(d2l, tmp_path, sections, broken="chapter_preliminaries/ndarray.md")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sync", "--old-source", str(old), "--new-source", str(new), "--old-target",
                                      str(zh), "--out", str(out), "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 1, result.output
    assert not (out / sections[0]).exists()
    assert (out / DEEP_RNN).is_file()
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [Path(b["file"]).name for b in report["blocked"]] == ["gru.md"]
    assert "not a translation" in report["blocked"][0]["reason"]
    assert "## Blocked" in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_a_wrong_old_target_is_refused_before_anything_is_written(d2l: Path, tmp_path: Path) -> None:
    case = d2l / "sync"
    out = tmp_path / "m.md"
    result = CliRunner().invoke(app, ["sync", "--old-source", str(case / "approx-training/en_old.md"), "--new-source",
                                      str(case / "approx-training/en_new.md"), "--old-target",
                                      str(case / "bert-dataset/zh_old.md"), "--out", str(out)])
    assert result.exit_code == 2
    assert "not a translation of the old source" in result.output
    assert not out.exists()


def test_every_real_pair_passes_the_pairing_guard(d2l: Path) -> None:
    for case in sorted((d2l / "sync").iterdir()):
        check_pair(parse_markdown((case / "en_old.md").read_text(encoding="utf-8")),
                   parse_markdown((case / "zh_old.md").read_text(encoding="utf-8")))
    with pytest.raises(MispairedError):
        check_pair(parse_markdown((d2l / "sync/approx-training/en_old.md").read_text(encoding="utf-8")),
                   parse_markdown((d2l / "sync/bert-dataset/zh_old.md").read_text(encoding="utf-8")))
    share, _ = coverage(*(parse_markdown(t) for t in _texts(d2l, CIFAR)[::2]))
    assert share > 0.75


def test_an_unclosed_code_span_in_a_translation_blocks_only_its_file(d2l: Path, tmp_path: Path) -> None:
    """The translators' own broken span: the file is synced with it (inherited) or blocked, never the book."""
    sections = ["chapter_recurrent-modern/gru.md", DEEP_RNN]
    old, new, zh = _book(d2l, tmp_path, sections)
    target = zh / sections[0]
    text = target.read_text(encoding="utf-8")
    span = next(m for m in re.finditer(r"`[A-Za-z_]+`", text) if text[m.start() - 1] != "`")
    target.write_text(text[: span.start()] + text[span.start() + 1:], encoding="utf-8")
    jobs, _ = folder_jobs(old, new, zh, tmp_path / "out")
    report = run_jobs(jobs, None, SyncReport("en", "zh", "memory"))
    assert (tmp_path / "out" / DEEP_RNN).is_file()
    written = tmp_path / "out" / sections[0]
    assert written.is_file() or [Path(b["file"]).name for b in report.blocked] == ["gru.md"]
    if written.is_file():
        inputs = Inputs.of((old / sections[0]).read_text(encoding="utf-8"),
                           (new / sections[0]).read_text(encoding="utf-8"), target.read_text(encoding="utf-8"))
        assert introduced(written.read_text(encoding="utf-8"), inputs) == []


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_edits_never_produce_an_invalid_file(d2l: Path, data: st.DataObject) -> None:
    """Delete, duplicate, move or join lines of the new source at random: the output is valid, or the file is
    refused (invalid or losing text: blocked, its old translation kept)."""
    section = data.draw(st.sampled_from([DEEP_RNN, CIFAR, "chapter_convolutional-neural-networks/pooling.md",
                                         "chapter_preliminaries/calculus.md"]))
    old_source, new_source, old_target = _texts(d2l, section)
    lines = new_source.split("\n")
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(lines) - 1))
        edit = data.draw(st.sampled_from(["delete", "duplicate", "move", "join"]))
        line = lines[at]
        if edit == "join" and at + 1 < len(lines):
            lines[at] += lines.pop(at + 1)
        elif edit == "delete":
            del lines[at]
        elif edit == "duplicate":
            lines.insert(at, line)
        elif edit == "move":
            del lines[at]
            lines.insert(data.draw(st.integers(0, len(lines))), line)
    edited = "\n".join(lines)
    try:
        result = merge_documents(old_source, edited, old_target, None, "en", "zh")
    except (InvalidOutputError, ConservationError):
        return
    assert introduced(result.text, Inputs.of(old_source, edited, old_target)) == []


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def _commit(repo: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "step")
    return _git(repo, "rev-parse", "HEAD")


def test_update_writes_the_edition_but_a_blocked_file(d2l: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      store: Path) -> None:
    """A translation that is not its source's (another section's Chinese): blocked, left as it was, exit 1;
    the other section is synced."""
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "test@example.org")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    en, zh = tmp_path / "en", tmp_path / "zh"
    for repo in (en, zh):
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
    sections = {"gru.md": "chapter_recurrent-modern/gru.md", "deep-rnn.md": DEEP_RNN}
    first = _commit(en, {name: (d2l / "en-origin" / rel).read_text(encoding="utf-8") for name, rel in sections.items()})
    second = _commit(en, {name: (d2l / "en-master" / rel).read_text(encoding="utf-8") for name, rel in sections.items()})
    wrong = (d2l / "zh" / "chapter_preliminaries/ndarray.md").read_text(encoding="utf-8")
    _commit(zh, {"gru.md": wrong, "deep-rnn.md": (d2l / "zh" / DEEP_RNN).read_text(encoding="utf-8"),
                 "amts.toml": '[book]\nsrc = "en"\ntgt = ["zh"]\n\n[update]\nsource = "../en"\n'})
    monkeypatch.chdir(zh)
    assert CliRunner().invoke(app, ["update", "--init", first]).exit_code == 0
    result = CliRunner().invoke(app, ["update", "--to", second])
    assert result.exit_code == 1, result.output
    assert (zh / "gru.md").read_text(encoding="utf-8") == wrong
    assert (zh / "deep-rnn.md").read_text(encoding="utf-8") != (d2l / "zh" / DEEP_RNN).read_text(encoding="utf-8")
    report = json.loads((zh / ".amts" / "update-report.json").read_text(encoding="utf-8"))
    assert [Path(b["file"]).name for b in report["blocked"]] == ["gru.md"]
