"""``amts check --since REF``: only what the working tree adds to the translation at REF, each problem at its line.

The edition is built at test time in a temporary git repository from real D2L sections (d2lbook layout: the
English source of ``X.md`` is ``X_origin.md`` beside it); the Chinese edition has many long-standing, deliberate
differences from its origin, which a pull request's check must not report again.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.document.structure import check_markdown

runner = CliRunner()
CHAPTER = "chapter_convolutional-neural-networks"
SECTIONS = ("pooling", "padding-and-strides")


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def edition(d2l: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "d2l-zh"
    (root / "ch").mkdir(parents=True)
    for name in SECTIONS:
        (root / "ch" / f"{name}.md").write_bytes((d2l / "zh" / CHAPTER / f"{name}.md").read_bytes())
        (root / "ch" / f"{name}_origin.md").write_bytes((d2l / "en-origin" / CHAPTER / f"{name}.md").read_bytes())
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "edition")
    monkeypatch.chdir(root)
    return root


def check(*args: str):  # noqa: ANN201 - click's Result
    return runner.invoke(app, ["check", "--origin-suffix", "_origin", *args, "."])


def test_the_edition_has_old_problems_that_since_does_not_report(edition: Path) -> None:
    everything = check()
    assert everything.exit_code == 1 and "structure error(s)" in everything.output
    unchanged = check("--since", "HEAD")
    assert unchanged.exit_code == 0, unchanged.output
    assert "structure matches the source" in unchanged.output


def test_one_broken_label_is_exactly_the_one_error_at_its_line(edition: Path) -> None:
    page = edition / "ch" / "padding-and-strides.md"
    lines = page.read_text(encoding="utf-8").split("\n")
    number = next(n for n, line in enumerate(lines) if line.startswith(":label:`"))
    label = lines[number][len(":label:`"):-1]
    lines[number] = f":label:`{label}x`"
    page.write_text("\n".join(lines), encoding="utf-8")
    result = check("--since", "HEAD")
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if ": error: " in line]
    assert problems == [f"ch/padding-and-strides.md:{number + 1}: error: label `{label}x` here, `{label}` in the "
                        f"source (source line {number + 1})"]


def test_a_renamed_section_keeps_its_old_problems_old(edition: Path) -> None:
    _git(edition, "mv", "ch/pooling.md", "ch/pool.md")
    _git(edition, "mv", "ch/pooling_origin.md", "ch/pool_origin.md")
    assert check("--since", "HEAD").exit_code == 0


def test_a_problem_that_existed_at_the_revision_but_moved_is_not_new(edition: Path) -> None:
    page = edition / "ch" / "pooling.md"
    page.write_text("\n\n\n" + page.read_text(encoding="utf-8"), encoding="utf-8")  # every line moves down
    assert check("--since", "HEAD").exit_code == 0


def test_an_unknown_revision_and_a_folder_outside_git_are_one_line(edition: Path, tmp_path: Path) -> None:
    result = check("--since", "no-such-revision")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "git rev-parse failed" in result.output


def test_check_source_repo_reads_only_the_text_files_of_the_revision(edition: Path, tmp_path: Path) -> None:
    """The source repository is read blob by blob: a revision without the state is one line, never a traceback."""
    source = tmp_path / "d2l-en"
    source.mkdir()
    _git(source, "init", "-q")
    for name in SECTIONS:
        (source / "ch").mkdir(exist_ok=True)
        (source / "ch" / f"{name}.md").write_bytes((edition / "ch" / f"{name}_origin.md").read_bytes())
    _git(source, "add", "-A")
    _git(source, "commit", "-qm", "source")
    ok = runner.invoke(app, ["check", "--source-repo", str(source), "--rev", "HEAD", "."])
    assert ok.exit_code == 1 and "2 file(s) checked" in ok.output
    missing = runner.invoke(app, ["check", "--source-repo", str(source), "--rev", "nope", "."])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


# ---- where problems point, and no cascades -------------------------------------------------------------------


def test_changed_code_is_reported_at_the_changed_line(d2l: Path) -> None:
    text = (d2l / "zh" / CHAPTER / "pooling.md").read_text(encoding="utf-8")
    lines = text.split("\n")
    number = next(n for n, line in enumerate(lines) if line.startswith("def pool2d("))
    lines[number + 2] = lines[number + 2] + "  # changed"
    lines[number + 2] = lines[number + 2].replace("=", "= 1 +", 1)
    found = [(line, message) for line, message, severity in check_markdown(text, "\n".join(lines)) if severity == "error"]
    assert len(found) == 1 and found[0][0] == number + 3 and "code differs" in found[0][1]


def test_a_lost_dollar_is_one_error_not_a_cascade(d2l: Path) -> None:
    text = (d2l / "zh" / "chapter_linear-networks" / "linear-regression.md").read_text(encoding="utf-8")
    display = text.index("\n$$", text.index("$$") - 1)  # a one-line display formula followed by more
    broken = text[: display + 1] + text[display + 2 :]  # `$$x$$` -> `$x$$`
    found = check_markdown(text, broken)
    assert len(found) <= 2 and all(severity == "error" for _, _, severity in found), found
    assert any("`$` not paired" in message for _, message, _ in found)
    inline = text.index("$", text.index("\n\n", 200))
    while text[inline + 1] == "$":
        inline = text.index("$", inline + 2)
    one_less = text[:inline] + text[inline + 1 :]
    found = check_markdown(text, one_less)
    assert [message for _, message, severity in found if severity == "error"] == [
        "`$` not paired in this paragraph: a math delimiter is missing or extra"]
    assert not [message for _, message, severity in found if severity == "warning"]


def test_a_missing_paragraph_points_at_text_not_a_blank_line(d2l: Path) -> None:
    text = (d2l / "zh" / CHAPTER / "pooling.md").read_text(encoding="utf-8")
    paragraphs = text.split("\n\n")
    gone = next(n for n, paragraph in enumerate(paragraphs) if ":numref:" in paragraph and n > 2)
    without = "\n\n".join(paragraphs[:gone] + paragraphs[gone + 1 :])
    found = check_markdown(text, without)
    assert any("reference missing" in message for _, message, _ in found)
    lines = without.split("\n")
    for line, message, _ in found:
        assert lines[line - 1].strip(), f"{message} at blank line {line}"
