"""``amts update`` killed (SIGKILL) anywhere in its write phase and run again gives exactly the uninterrupted
result; a file that cannot be synced is blocked, not the edition; a dirty edition is refused untouched.

The source repository and the edition are built from the D2L data: commit 1 holds a handful of
``en-origin`` sections, commit 2 the same sections from ``en-master``; the edition holds their ``zh``
translations, recorded at commit 1 with ``amts update --init``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ["chapter_preliminaries/pandas.md", "chapter_preliminaries/lookup-api.md",
            "chapter_optimization/adadelta.md", "chapter_recurrent-modern/deep-rnn.md",
            "chapter_multilayer-perceptrons/index.md"]
BROKEN = "chapter_preliminaries/pandas.md"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def commit_copies(repo: Path, root: Path, message: str) -> None:
    for name in SECTIONS:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / name, repo / name)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def book(d2l: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "test@example.org")
    en, zh, tmp = tmp_path / "en", tmp_path / "zh", tmp_path / "tmp"
    for folder in (en, zh, tmp):
        folder.mkdir()
    for repo in (en, zh):
        git(repo, "init", "-q", "-b", "main")
    commit_copies(en, d2l / "en-origin", "origin")
    commit_copies(en, d2l / "en-master", "master")
    commit_copies(zh, d2l / "zh", "translation")
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp), "AMTS_HOME": str(tmp_path / "home")}
    env.pop("AMTS_TEST_KILL_AT_WRITE", None)
    book = {"en": en, "zh": zh, "tmp": tmp, "env": env}
    assert update(book, "--init", "HEAD~1", "--tgt", "zh").returncode == 0
    git(zh, "add", "amts-state.toml")
    git(zh, "commit", "-q", "-m", "recorded")
    book["base"] = git(zh, "rev-parse", "HEAD")
    return book


def update(book: dict, *args: str, kill_at: int | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(book["env"])
    if kill_at is not None:
        env["AMTS_TEST_KILL_AT_WRITE"] = str(kill_at)
    return subprocess.run([sys.executable, "-m", "amts", "update", "--source-repo", str(book["en"]), *args],
                          cwd=book["zh"], env=env, capture_output=True, text=True, timeout=300)


def snapshot(zh: Path) -> dict[str, str]:
    """Every file of the edition's work tree (the state's timestamp aside) and what HEAD changed."""
    files = {p.relative_to(zh).as_posix(): p.read_text(encoding="utf-8") for p in sorted(zh.rglob("*"))
             if p.is_file() and ".git" not in p.relative_to(zh).parts}
    files["amts-state.toml"] = "\n".join(line for line in files["amts-state.toml"].splitlines()
                                         if not line.startswith("synced_at"))
    files["<committed>"] = git(zh, "diff", "--name-status", "HEAD~1", "HEAD")
    files["<status>"] = git(zh, "status", "--porcelain")
    return files


def reset(book: dict) -> None:
    git(book["zh"], "reset", "-q", "--hard", book["base"])
    git(book["zh"], "clean", "-q", "-f", "-d", "-x")


def no_staging_left(book: dict) -> None:
    assert not (book["zh"] / ".amts" / "work").exists()
    assert list(book["tmp"].iterdir()) == []  # nothing in the system's temporary folder either


def test_an_update_killed_at_any_write_then_run_again_gives_the_clean_result(book: dict) -> None:
    clean = update(book, "--commit")
    assert clean.returncode == 1, clean.stderr
    expected = snapshot(book["zh"])
    committed = sorted(line.split("\t")[1] for line in expected["<committed>"].splitlines())
    assert committed == sorted([*SECTIONS, ".amts/provenance.json", ".amts/update-report.json",
                                ".amts/update-report.md", "amts-state.toml"])
    no_staging_left(book)
    # writes: 1 the journal, then the five sections, the report, its summary, the record of what amts wrote
    # (English left in), the state, the journal's removal
    last = 1 + len(SECTIONS) + 4 + 1
    for kill_at in (1, 2, 4, 1 + len(SECTIONS), last - 1, last):
        reset(book)
        killed = update(book, "--commit", kill_at=kill_at)
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr[-400:])
        again = update(book, "--commit")
        assert again.returncode == 1, (kill_at, again.stderr[-400:])
        assert snapshot(book["zh"]) == expected, kill_at
        no_staging_left(book)
    third = update(book, "--commit")
    assert third.returncode == 0 and "nothing to do" in third.stderr + third.stdout


def test_a_file_with_an_unclosed_code_span_is_blocked_and_the_rest_committed(book: dict) -> None:
    broken = book["zh"] / BROKEN
    original = broken.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines, 1) if line.count("`") == 2 and not line.startswith(":"))
    lines[number - 1] = lines[number - 1].replace("`", "", 1)
    before = "".join(lines)
    broken.write_text(before, encoding="utf-8")
    git(book["zh"], "commit", "-q", "-a", "-m", "a translator's slip")
    done = update(book, "--commit")
    assert done.returncode == 1, done.stderr
    assert f"{BROKEN}:{number}: not synced, its translation kept" in done.stderr
    assert "1 file(s) blocked" in done.stderr
    assert broken.read_text(encoding="utf-8") == before
    committed = git(book["zh"], "diff", "--name-only", "HEAD~1", "HEAD").splitlines()
    assert sorted(set(SECTIONS) - {BROKEN}) == sorted(name for name in committed if name in SECTIONS)
    report = (book["zh"] / ".amts" / "update-report.md").read_text(encoding="utf-8")
    assert f"{BROKEN}:{number}" in report
    assert git(book["zh"], "status", "--porcelain") == ""
    no_staging_left(book)
    # the state moved on, but remembers the file is behind: once fixed, the next update takes it up
    origin = git(book["en"], "rev-parse", "HEAD~1")
    assert f'[behind]\n"{BROKEN}" = "{origin}"' in (book["zh"] / "amts-state.toml").read_text(encoding="utf-8")
    # run again before anyone fixed it: still blocked, nothing written or committed, and it says so
    head = git(book["zh"], "rev-parse", "HEAD")
    rerun = update(book, "--commit")
    assert rerun.returncode == 0 and "1 file(s) still blocked" in rerun.stderr + rerun.stdout, rerun.stderr
    assert git(book["zh"], "rev-parse", "HEAD") == head and git(book["zh"], "status", "--porcelain") == ""
    broken.write_text(original, encoding="utf-8")
    git(book["zh"], "commit", "-q", "-a", "-m", "fixed")
    again = update(book, "--commit")
    assert again.returncode == 1, again.stderr
    assert git(book["zh"], "diff", "--name-only", "HEAD~1", "HEAD", "--", "*.md").splitlines() == [
        ".amts/update-report.md", BROKEN]
    assert "[behind]" not in (book["zh"] / "amts-state.toml").read_text(encoding="utf-8")
    assert update(book).returncode == 0


def test_a_skipped_file_keeps_its_text_and_is_listed(book: dict) -> None:
    (book["zh"] / "amts.toml").write_text(f'[update]\nskip = ["{SECTIONS[1]}"]\n', encoding="utf-8")
    done = update(book, "--skip", SECTIONS[2])
    assert done.returncode == 1, done.stderr
    changed = git(book["zh"], "diff", "--name-only").splitlines()
    assert set(changed) == set(SECTIONS) - {SECTIONS[1], SECTIONS[2]} | {"amts-state.toml"}
    for name in SECTIONS[1:3]:
        assert f"{name}: skipped" in done.stderr


def test_a_dirty_edition_is_refused_untouched(book: dict) -> None:
    edited = book["zh"] / SECTIONS[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n译者的修改。\n", encoding="utf-8")
    before = snapshot(book["zh"])
    refused = update(book, "--commit")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        f"error: the edition has uncommitted changes to {SECTIONS[0]}: commit or stash them first "
        "(or give --allow-dirty); nothing was changed"]
    assert snapshot(book["zh"]) == before
    no_staging_left(book)
    allowed = update(book, "--allow-dirty")
    assert allowed.returncode == 1, allowed.stderr
