"""Every command picks the book's Markdown dialect as ``translate`` does: sync (file, folder, git and
``_origin`` modes), jobs and update on the small mdBook book of tests/data (our own writing).

In mdBook ``$`` is not math: read as GFM, ``*$HOME/.garden/bin*. Check ... `$PATH`` pairs up as
inline math and a sync cannot even keep the old translation of the paragraph.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from jobs_helpers import amts

DATA = Path(__file__).resolve().parent / "data"
MDBOOK = DATA / "mdbook-book"
CH01, CH02 = "ch01-getting-started.md", "ch02-collections.md"
FOOTNOTE = re.compile(r"\[\^[^\]]+\]:?")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin"}


def _dollar_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "$" in line and not line.startswith("$ ")]


def _edit(src: Path) -> None:
    """The new source: one changed paragraph in each chapter, the ``$`` lines left as they were."""
    ch01 = src / CH01
    ch01.write_text(ch01.read_text("utf-8").replace("to stop a running task", "to stop a task that runs"), "utf-8")
    ch02 = src / CH02
    ch02.write_text(ch02.read_text("utf-8").replace("Gardeners who prefer speed", "Gardeners who want speed"), "utf-8")


@pytest.fixture
def book(tmp_path: Path, store: Path) -> Path:
    """old/ (the mdBook book), new/ (edited), zh/ (its pseudo translation, same names as the source)."""
    shutil.copytree(MDBOOK, tmp_path / "old")
    shutil.copytree(MDBOOK, tmp_path / "new")
    _edit(tmp_path / "new" / "src")
    amts("translate", str(tmp_path / "old" / "src"), "--tgt", "zh", "--engine", "pseudo", "--out", str(tmp_path / "tr"))
    (tmp_path / "zh").mkdir()
    for source in (tmp_path / "old" / "src").glob("*.md"):
        shutil.copy(tmp_path / "tr" / f"zh.{source.name}", tmp_path / "zh" / source.name)
    return tmp_path


def _assert_synced(old_target: Path, output: Path, new_source: Path) -> None:
    for name in (CH01, CH02):
        old, new = (old_target / name).read_text("utf-8"), (output / name).read_text("utf-8")
        assert new != old, name  # the changed paragraph was translated again
        assert _dollar_lines(new) == _dollar_lines(old), name  # $HOME, $PATH, `$` lines byte-identical
        assert FOOTNOTE.findall(new) == FOOTNOTE.findall((new_source / name).read_text("utf-8")), name
    assert "$HOME" in (output / CH01).read_text("utf-8") and "`$PATH`" in (output / CH01).read_text("utf-8")


def test_sync_file_and_folder_modes_use_the_mdbook_dialect(book: Path) -> None:
    result = amts("sync", "--old-source", str(book / "old" / "src"), "--new-source", str(book / "new" / "src"),
                  "--old-target", str(book / "zh"), "--out", str(book / "out"), "--engine", "pseudo", "-v")
    assert "Markdown dialect: mdbook" in result.output
    _assert_synced(book / "zh", book / "out", book / "new" / "src")
    for name in (CH01, CH02):
        amts("sync", "--old-source", str(book / "old" / "src" / name), "--new-source", str(book / "new" / "src" / name),
             "--old-target", str(book / "zh" / name), "--out", str(book / "file-out" / name), "--engine", "pseudo")
    _assert_synced(book / "zh", book / "file-out", book / "new" / "src")
    # --dialect names another one: the option wins; GFM pairs `$HOME ... $PATH` as math, and the sync still
    # keeps every `$` line of this book byte for byte (a file it could not keep would be blocked, exit 1)
    gfm = amts("sync", "--old-source", str(book / "old" / "src"), "--new-source", str(book / "new" / "src"),
               "--old-target", str(book / "zh"), "--out", str(book / "gfm"), "--engine", "pseudo",
               "--dialect", "gfm", "-v", check=False)
    assert gfm.exit_code == 0 and "Markdown dialect: gfm" in gfm.output
    _assert_synced(book / "zh", book / "gfm", book / "new" / "src")
    assert amts("sync", "--old-source", str(book / "old" / "src"), "--new-source", str(book / "new" / "src"),
                "--old-target", str(book / "zh"), "--out", str(book / "x"), "--dialect", "asciidoc",
                check=False).exit_code == 2


def test_sync_origin_mode_uses_the_mdbook_dialect(book: Path) -> None:
    for source in (book / "old" / "src").glob("*.md"):
        shutil.copy(source, book / "zh" / f"{source.stem}_origin.md")
    before = {path.name: path.read_text("utf-8") for path in (book / "zh").glob("*.md")}
    amts("sync", "--origin-suffix", "_origin", "--target-dir", str(book / "zh"), "--new-source",
         str(book / "new" / "src"), "--out", str(book / "out"), "--engine", "pseudo")
    for name, text in before.items():  # --out: the translated book itself is untouched
        assert (book / "zh" / name).read_text("utf-8") == text
    _assert_synced(book / "zh", book / "out", book / "new" / "src")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=GIT_ENV).stdout.strip()


def test_sync_git_mode_uses_the_mdbook_dialect(book: Path) -> None:
    repo = book / "repo"
    shutil.copytree(book / "old", repo)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "old")
    old = _git(repo, "rev-parse", "HEAD")
    _edit(repo / "src")
    _git(repo, "commit", "-qam", "new")
    (book / "edition").mkdir()
    shutil.copytree(book / "zh", book / "edition" / "src")
    amts("sync", "--source-repo", str(repo), "--from", old, "--to", "HEAD", "--target-dir", str(book / "edition"),
         "--out", str(book / "out"), "--engine", "pseudo")
    _assert_synced(book / "zh", book / "out" / "src", repo / "src")


def test_a_job_uses_the_dialect_translate_uses(book: Path) -> None:
    source = book / "old" / "src"
    job_id = amts("job", "start", str(source), "--tgt", "zh", "--engine", "pseudo", "--out", str(book / "job"),
                  "--workers", "1").stdout.strip()
    amts("job", "wait", job_id)
    for path in source.glob("*.md"):  # byte for byte what translate wrote with the mdBook dialect
        assert (book / "job" / f"zh.{path.name}").read_text("utf-8") == (book / "tr" / f"zh.{path.name}").read_text("utf-8")
    chapter = (book / "job" / f"zh.{CH01}").read_text("utf-8")
    assert "*$HOME/." in chapter and "`$PATH`" in chapter
    assert FOOTNOTE.findall((book / "job" / f"zh.{CH02}").read_text("utf-8")) == FOOTNOTE.findall(
        (source / CH02).read_text("utf-8"))


def test_update_uses_the_dialect_of_the_source_book(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = book / "repo"
    shutil.copytree(book / "old", repo)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "old")
    _edit(repo / "src")
    _git(repo, "commit", "-qam", "new")
    edition = book / "edition"
    edition.mkdir()
    shutil.copytree(book / "zh", edition / "src")
    monkeypatch.chdir(edition)
    amts("update", "--init", "HEAD~1", "--source-repo", str(repo))
    result = amts("update", "--source-repo", str(repo), "--tgt", "zh", "--engine", "pseudo", "-v", check=False)
    assert result.exit_code == 1, result.output  # synced, to review
    assert "Markdown dialect: mdbook" in result.output
    _assert_synced(book / "zh", edition / "src", repo / "src")


def test_an_amazon_batch_job_sends_what_its_dialect_calls_prose(tmp_path: Path, store: Path) -> None:
    from amts.jobs.cloud import estimate
    from amts.jobs.model import JobSpec

    def sent(dialect: str | None) -> int:
        spec = JobSpec(input=str(MDBOOK / "src"), output=str(tmp_path / "out"), src="en", tgts=["zh"],
                       engine="aws-batch", dialect=dialect)
        return estimate(spec, store)[0].characters

    # read as GFM, "$HOME/.garden/bin*. Check that ... your `$" is math, kept and not sent
    assert sent("mdbook") > sent(None) == sent("gfm")
