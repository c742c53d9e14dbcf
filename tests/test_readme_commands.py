"""The README's "Using it" block runs as written, on the example book, from a clean amts home.

Each line of the block is taken from README.md itself; only its placeholders (BOOK/, EN/, OUT/, ID...)
are replaced by folders made from ``amts/examples/book``. Lines that need a cloud account (Amazon)
are left to the cloud tests (a local Amazon Translate protocol server); lines that need the local
LLM skip when it is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "amts" / "examples" / "book"
CLOUD = ("--s3", "aws-batch", "pd publish")


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Using it\n+```sh\n(.*?)```", text, re.S)
    assert block, "README has no 'Using it' block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def llama_available() -> bool:
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    from amts.engines.llama import default_model_path

    return default_model_path().is_file()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"})


def _workspace(root: Path) -> dict[str, str]:
    """Folders for the placeholders, made from the example book (the cwd of every command is ``root``)."""
    shutil.copytree(BOOK / "en", root / "book")
    shutil.copytree(BOOK / "en", root / "en")
    shutil.copytree(BOOK / "zh", root / "zh")
    tea = (BOOK / "en" / "tea.md").read_text(encoding="utf-8")
    newer = tea + "\nGreen tea is not fermented.\n"
    (root / "old.md").write_text(tea, encoding="utf-8")
    (root / "new.md").write_text(newer, encoding="utf-8")
    shutil.copy(BOOK / "zh" / "tea.md", root / "zh.md")
    repo = root / "d2l-en"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "tea.md").write_text(tea, encoding="utf-8")
    _git(repo, "add", "tea.md")
    _git(repo, "commit", "-qm", "A")
    _git(repo, "tag", "A")
    (repo / "tea.md").write_text(newer, encoding="utf-8")
    _git(repo, "commit", "-qam", "B")
    _git(repo, "tag", "B")
    shutil.copytree(BOOK / "zh", root / "d2l-zh")
    (root / "d2l").mkdir()  # not the D2L data: experiment must say so in one line
    return {"BOOK/": "book/", "EN/": "en/", "ZH/": "zh/", "OUT/": "out/", "HYP/": "out/", "REF/": "zh/",
            "D2L/": "d2l/"}


@pytest.mark.slow
def test_readme_using_it_block_runs_as_written(tmp_path: Path) -> None:
    places = _workspace(tmp_path)
    env = {**os.environ, "AMTS_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO)}
    env.pop("AMTS_D2L_DATA", None)
    amts = [sys.executable, "-m", "amts"]
    ran, job_id = [], None
    for line in readme_commands():
        if any(marker in line for marker in CLOUD):
            continue  # Amazon: covered against the local protocol server by the cloud tests
        if "llama" in line and not llama_available():
            continue
        needs_models = "translate" in line and "--engine" not in line and "zh" in line and not llama_available()
        for placeholder, value in places.items():
            line = re.sub(rf"(?<![\w/-]){re.escape(placeholder)}", value, line)
        for part in line.split(" && "):
            args = shlex.split(part.replace(" ID", f" {job_id}"))
            assert args[0] == "amts", part
            if args[1] == "review":
                _check_review(amts + args[1:], env, tmp_path)
                ran.append(part)
                continue
            done = subprocess.run(amts + args[1:], cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=900)
            if needs_models:  # the README says this line needs `make models`: the error says so too
                assert done.returncode == 2 and "make models" in done.stderr, done.stderr
            elif args[1] == "experiment":  # outside the repository, without the D2L data: one line
                assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
                assert "not the D2L data folder" in done.stderr
            else:
                assert done.returncode == 0, (part, done.stdout, done.stderr)
                assert "Traceback" not in done.stderr, (part, done.stderr)
            if args[1:3] == ["job", "start"]:
                job_id = done.stdout.strip().splitlines()[-1]
            ran.append(part)
    assert len(ran) >= 13, ran
    assert (tmp_path / "out" / "zh.tea.md").is_file()
    assert (tmp_path / "out" / "es.tea.md").is_file() or not llama_available()  # the first line, with make models
    assert (tmp_path / "zh.new.md").is_file() and (tmp_path / "r.json").is_file()
    assert (tmp_path / "d2l-zh-new" / "tea.md").is_file() and (tmp_path / "glossary.csv").is_file()
    assert (tmp_path / "BOOK-zh").is_dir()


def edition_commands() -> list[str]:
    """The "Keep an edition in sync" block: init, a weekly update, check."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Keep an edition in sync\n.*?```sh\n(.*?)```", text, re.S)
    assert block, "README has no edition block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


@pytest.mark.slow
def test_readme_edition_block_runs_as_written(tmp_path: Path) -> None:
    """From ``--init`` to a weekly ``update --commit`` (no --tgt: the state records it) and ``check``."""
    source, edition = tmp_path / "book-en", tmp_path / "zh"
    shutil.copytree(BOOK / "en", source)
    shutil.copytree(BOOK / "zh", edition)
    for repo in (source, edition):
        _git(repo, "init", "-q")
        _git(repo, "add", ".")
        _git(repo, "commit", "-qm", "first")
    first = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True,
                           check=True).stdout.strip()
    env = {**os.environ, "AMTS_HOME": str(tmp_path / "home"), "PYTHONPATH": str(REPO),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    expected = {"--init": 0, "--commit": 1, "check": 0}  # README: a sync exits 1 (a commit to review)
    ran = []
    for line in edition_commands():
        args = shlex.split(line.replace("COMMIT", first))
        assert args[0] == "amts", line
        if "--commit" in args:  # the English changed since the edition was translated
            tea = source / "tea.md"
            tea.write_text(tea.read_text(encoding="utf-8") + "\nGreen tea is not fermented.\n", encoding="utf-8")
            _git(source, "commit", "-qam", "second")
        done = subprocess.run([sys.executable, "-m", "amts", *args[1:]], cwd=edition, env=env, capture_output=True,
                              text=True, timeout=600)
        code = next(value for key, value in expected.items() if key in args)
        assert done.returncode == code, (line, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, (line, done.stderr)
        ran.append(line)
    assert len(ran) == 3
    log = subprocess.run(["git", "-C", str(edition), "log", "--oneline"], capture_output=True, text=True).stdout
    assert len(log.splitlines()) == 2  # the update committed the synced edition
    assert "Green tea is not fermented." in (edition / "tea.md").read_text(encoding="utf-8")  # to review


def _check_review(command: list[str], env: dict[str, str], cwd: Path) -> None:
    server = subprocess.Popen([*command, "--port", "0"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in server.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("open:") or len(lines) > 20:
                break
        assert any(line.startswith("open:  http://127.0.0.1:") for line in lines), lines
    finally:
        server.terminate()
        server.wait(timeout=30)
