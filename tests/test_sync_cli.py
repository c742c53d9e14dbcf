"""``amts sync`` end to end on small books of our own: file, folder, git and ``_origin`` modes, safety."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app

OLD_EN = """# Pools

Pooling reduces the resolution of a representation.
It keeps the strongest signal in each window of size $2$.

```python
x = pool(y, 2)
```

We use `pool` from the toolbox. See :numref:`sec_conv` for details.

Training takes a while.
"""

NEW_EN = """# [**Pools**]

Pooling reduces the resolution of a representation.
It keeps the largest value in each window of size $3$.

```python
x = pool(y, 3)
```

We use `pool2d` from the toolbox. See :numref:`sec_conv` for details.

A new paragraph explains strides.

Training takes a while.
"""

OLD_ZH = """# 汇聚

汇聚降低表示的分辨率。它保留每个大小为 $2$ 的窗口中最强的信号。

```python
x = pool(y, 2)
```

```python
#@tab paddle
x = paddle_pool(y, 2)
```

我们使用工具箱中的 `pool`。详见 :numref:`sec_conv`。

训练需要一段时间。
"""

runner = CliRunner()


def _write(folder: Path, **files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", "/")).write_text(text, "utf-8")


def _sync(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["sync", *args])
    return result.exit_code, result.output


@pytest.fixture
def book(tmp_path: Path, store: Path) -> Path:
    _write(tmp_path, **{"old_en.md": OLD_EN, "new_en.md": NEW_EN, "zh.md": OLD_ZH})
    return tmp_path


def test_file_mode_merges_and_reports(book: Path) -> None:
    out, report = book / "out" / "zh.md", book / "report.json"
    code, output = _sync("--old-source", str(book / "old_en.md"), "--new-source", str(book / "new_en.md"),
                         "--old-target", str(book / "zh.md"), "--out", str(out), "--report", str(report))
    assert code == 0, output
    text = out.read_text("utf-8")
    assert "# [**汇聚**]" in text  # slide marks around a whole heading are placed
    assert "训练需要一段时间。" in text  # unchanged paragraph kept
    assert "x = paddle_pool(y, 2)" in text  # target-only cell kept
    assert "x = pool(y, 3)" in text  # code from the new source
    assert "我们使用工具箱中的 `pool2d`。" in text  # inline code change propagated, no engine
    assert "A new paragraph explains strides." in text  # offline: added text stays in English, flagged
    data = json.loads(report.read_text("utf-8"))
    assert data["engine"] == "memory" and data["engine_calls"] == 0
    statuses = {s["status"] for s in data["files"][0]["segments"]}
    assert {"kept", "propagated", "untranslated"} <= statuses
    for segment in data["files"][0]["segments"]:
        if segment["target_new"]:
            assert segment["target_new"] in text
            if segment["output_line"]:
                assert segment["target_new"].split("\n")[0] in text.splitlines()[segment["output_line"] - 1]
    assert 0 < data["words_to_review"] < data["words_full"]
    assert (book / "report.md").read_text("utf-8").startswith("# Sync report")


def test_engine_calls_only_for_changed_sentences_and_rerun_is_free(book: Path) -> None:
    args = ["--old-source", str(book / "old_en.md"), "--new-source", str(book / "new_en.md"),
            "--old-target", str(book / "zh.md"), "--out", str(book / "out.md"), "--engine", "counting",
            "--report", str(book / "r.json")]
    code, output = _sync(*args)
    assert code == 0, output
    first = json.loads((book / "r.json").read_text("utf-8"))
    # "It keeps the largest value..." (changed) and "A new paragraph..." (added)
    assert first["engine_calls"] == 2
    text = (book / "out.md").read_text("utf-8")
    code, output = _sync(*args)
    assert code == 0, output
    second = json.loads((book / "r.json").read_text("utf-8"))
    assert second["engine_calls"] == 0
    assert (book / "out.md").read_text("utf-8") == text
    assert second["totals"] == first["totals"]


def test_in_place_keeps_a_backup_and_bad_input_writes_nothing(book: Path) -> None:
    target = book / "zh.md"
    code, output = _sync("--old-source", str(book / "old_en.md"), "--new-source", str(book / "missing.md"),
                         "--old-target", str(target), "--in-place")
    assert code == 2 and "missing.md" in output
    assert target.read_text("utf-8") == OLD_ZH
    code, output = _sync("--old-source", str(book / "old_en.md"), "--new-source", str(book / "new_en.md"),
                         "--old-target", str(target))
    assert code == 2 and "--in-place" in output
    code, output = _sync("--old-source", str(book / "old_en.md"), "--new-source", str(book / "new_en.md"),
                         "--old-target", str(target), "--in-place")
    assert code == 0, output
    assert (book / "zh.md.bak").read_text("utf-8") == OLD_ZH
    assert target.read_text("utf-8") != OLD_ZH
    synced = target.read_text("utf-8")
    code, output = _sync("--old-source", str(book / "old_en.md"), "--new-source", str(book / "new_en.md"),
                         "--old-target", str(target), "--in-place")
    assert code == 0, output
    assert target.read_text("utf-8") == synced  # recognised its own output: not merged twice
    assert (book / "zh.md.bak").read_text("utf-8") == OLD_ZH


def test_engine_failure_leaves_target_untouched(book: Path) -> None:
    code, output = _sync("--old-source", str(book / "old_en.md"), "--new-source", str(book / "new_en.md"),
                         "--old-target", str(book / "zh.md"), "--in-place", "--engine", "no-such-engine")
    assert code == 2 and "no-such-engine" in output
    assert (book / "zh.md").read_text("utf-8") == OLD_ZH and not (book / "zh.md.bak").exists()


def test_origin_suffix_updates_the_origin_and_second_run_changes_nothing(tmp_path: Path, store: Path) -> None:
    zh, en = tmp_path / "zh" / "chapter", tmp_path / "en" / "chapter"
    _write(zh, **{"pools.md": OLD_ZH, "pools_origin.md": OLD_EN, "untranslated.md": "# x\n"})
    _write(en, **{"pools.md": NEW_EN})
    args = ["--origin-suffix", "_origin", "--target-dir", str(tmp_path / "zh"), "--new-source", str(tmp_path / "en"),
            "--in-place", "--engine", "counting", "--report", str(tmp_path / "r.json")]
    code, output = _sync(*args)
    assert code == 0, output
    assert "untranslated.md" in output  # skipped: no origin beside it
    assert (zh / "pools_origin.md").read_text("utf-8") == NEW_EN
    synced = (zh / "pools.md").read_text("utf-8")
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["engine_calls"] == 2
    code, output = _sync(*args)
    assert code == 0, output
    assert (zh / "pools.md").read_text("utf-8") == synced
    data = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert data["engine_calls"] == 0 and set(s["status"] for s in data["files"][0]["segments"]) == {"kept"}


def test_folder_mode(tmp_path: Path, store: Path) -> None:
    _write(tmp_path / "old" / "c", **{"a.md": OLD_EN, "b.md": "Only English.\n"})
    _write(tmp_path / "new" / "c", **{"a.md": NEW_EN, "b.md": "Only English, changed.\n", "new.md": "New.\n"})
    _write(tmp_path / "zh" / "c", **{"a.md": OLD_ZH})
    code, output = _sync("--old-source", str(tmp_path / "old"), "--new-source", str(tmp_path / "new"),
                         "--old-target", str(tmp_path / "zh"), "--out", str(tmp_path / "out"))
    assert code == 0, output
    assert (tmp_path / "out" / "c" / "a.md").is_file()
    assert not (tmp_path / "out" / "c" / "b.md").exists() and "b.md" in output


def test_git_mode(tmp_path: Path, store: Path) -> None:
    repo = tmp_path / "en"
    _write(repo / "chapter", **{"pools.md": OLD_EN})

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                              env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
                                   "PATH": "/usr/bin:/bin"}).stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "old")
    old = git("rev-parse", "HEAD")
    (repo / "chapter" / "pools.md").write_text(NEW_EN, "utf-8")
    git("commit", "-qam", "new")
    _write(tmp_path / "zh" / "chapter", **{"pools.md": OLD_ZH})
    code, output = _sync("--source-repo", str(repo), "--from", old, "--to", "HEAD", "--target-dir",
                         str(tmp_path / "zh"), "--out", str(tmp_path / "out"))
    assert code == 0, output
    assert "我们使用工具箱中的 `pool2d`。" in (tmp_path / "out" / "chapter" / "pools.md").read_text("utf-8")
    code, output = _sync("--source-repo", str(repo), "--from", "nope", "--to", "HEAD", "--target-dir",
                         str(tmp_path / "zh"), "--out", str(tmp_path / "out"))
    assert code == 2 and "nope" in output


def test_report_summary_never_overwrites_an_output(book: Path) -> None:
    """--report r.json writes r.md beside it: refused, before anything is written, when r.md is the output."""
    out = book / "r.md"
    code, output = _sync("--old-source", str(book / "old_en.md"), "--new-source", str(book / "new_en.md"),
                         "--old-target", str(book / "zh.md"), "--out", str(out), "--report", str(book / "r.json"))
    assert code != 0
    assert "summary" in output and "r.md" in output and "output" in output
    assert not out.exists() and not (book / "r.json").exists()
    code, output = _sync("--old-source", str(book / "old_en.md"), "--new-source", str(book / "new_en.md"),
                         "--old-target", str(book / "zh.md"), "--out", str(book / "o.md"),
                         "--report", str(book / "zh.md"))
    assert code != 0 and "input" in output
    assert (book / "zh.md").read_text("utf-8") == OLD_ZH
