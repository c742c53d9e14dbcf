"""``amts update`` end to end on local git repositories: a source book with commits, a translation behind it."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.edition.state import EditionState, StateError, read_state, write_state

runner = CliRunner()

INTRO_EN = """# Introduction

Machine learning finds patterns in data. It needs examples.

The loss is $L = \\sum_i l_i$ over $n$ examples.
"""

INTRO_ZH = """# 引言

机器学习在数据中寻找模式。它需要样本。

损失是 $n$ 个样本上的 $L = \\sum_i l_i$。
"""

OPS_EN = """# Operations

Tensors support addition.

```{.python .input}
x = 1  # one
```
"""

OPS_ZH = """# 运算

张量支持加法。

```{.python .input}
x = 1  # 一
```
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


def commit_files(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: Path) -> dict:
    for key in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{key}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{key}_EMAIL", "test@example.org")
    en, zh = tmp_path / "en", tmp_path / "zh"
    for repo in (en, zh):
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
    first = commit_files(en, {"chapter/intro.md": INTRO_EN, "chapter/ops.md": OPS_EN}, "first")
    # the English changes: a sentence edited, a paragraph added, a formula changed
    second = commit_files(en, {
        "chapter/intro.md": INTRO_EN.replace("It needs examples.", "It needs many examples.")
        .replace("$L = \\sum_i l_i$", "$L = \\frac{1}{n} \\sum_i l_i$") + "\nModels generalize from data.\n",
    }, "second")
    # only mechanical: a formula; and a brand-new section that has no translation yet
    third = commit_files(en, {
        "chapter/ops.md": OPS_EN.replace("x = 1  # one", "x = 2  # one"),
        "chapter/new.md": "# New\n\nA new section.\n",
    }, "third")
    commit_files(zh, {"chapter/intro.md": INTRO_ZH, "chapter/ops.md": OPS_ZH,
                      "amts.toml": '[book]\nsrc = "en"\ntgt = ["zh"]\n\n[update]\nsource = "../en"\n'
                                   'source_url = "https://example.org/book-en"\n'}, "translation")
    monkeypatch.chdir(zh)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return {"en": en, "zh": zh, "first": first, "second": second, "third": third}


def test_update_syncs_commits_records_and_is_idempotent(books: dict) -> None:
    zh = books["zh"]
    missing = runner.invoke(app, ["update"])
    assert missing.exit_code == 2 and "no recorded state" in missing.output
    init = runner.invoke(app, ["update", "--init", books["first"][:8]])
    assert init.exit_code == 0, init.output
    git(zh, "add", "amts-state.toml")
    git(zh, "commit", "-q", "-m", "record the source commit")
    before = git(zh, "rev-parse", "HEAD")

    result = runner.invoke(app, ["update", "--to", books["second"], "--commit"])
    assert result.exit_code == 1, result.output  # synced: a commit to review
    state = read_state(zh / "amts-state.toml")
    assert state is not None and state.commit == books["second"] and state.url == "https://example.org/book-en"
    assert state.report == ".amts/update-report.json"
    # the right commit: one new commit on top, holding exactly the synced file, the report and the state
    assert git(zh, "rev-parse", "HEAD~1") == before
    committed = set(git(zh, "show", "--name-only", "--format=", "HEAD").splitlines())
    assert committed == {"chapter/intro.md", "amts-state.toml", ".amts/update-report.json", ".amts/update-report.md",
                         ".amts/provenance.json"}  # the sentence left in English is recorded as such
    assert books["second"][:12] in git(zh, "log", "-1", "--format=%s")
    assert git(zh, "status", "--porcelain") == ""
    intro = (zh / "chapter" / "intro.md").read_text(encoding="utf-8")
    assert intro.startswith("# 引言\n\n机器学习在数据中寻找模式。")  # the unchanged sentence kept byte for byte
    assert "$L = \\frac{1}{n} \\sum_i l_i$" in intro  # the formula propagated without an engine
    assert "Models generalize from data." in intro  # added, untranslated with the memory engine: to review
    assert (zh / "chapter" / "ops.md").read_text(encoding="utf-8") == OPS_ZH  # unchanged in the source
    report = json.loads((zh / ".amts" / "update-report.json").read_text(encoding="utf-8"))
    assert report["update"]["from"] == books["first"] and report["update"]["to"] == books["second"]
    assert [entry["output"] for entry in report["files"]] == ["chapter/intro.md"]
    statuses = {segment["status"] for segment in report["files"][0]["segments"]}
    assert {"kept", "propagated", "untranslated"} <= statuses
    assert report["words_to_review"] > 0
    assert "Sync report" in (zh / ".amts" / "update-report.md").read_text(encoding="utf-8")

    again = runner.invoke(app, ["update", "--to", books["second"], "--commit"])
    assert again.exit_code == 0, again.output
    assert "nothing to do" in again.output
    assert git(zh, "rev-parse", "HEAD~1") == before and git(zh, "status", "--porcelain") == ""


def test_update_to_head_translates_new_sections_and_propagates_mechanical_changes(books: dict) -> None:
    zh = books["zh"]
    write_state(zh / "amts-state.toml", EditionState(books["second"], "https://example.org/book-en"))
    result = runner.invoke(app, ["update"])  # to the source checkout's HEAD
    assert result.exit_code == 1, result.output
    assert "x = 2  # 一" in (zh / "chapter" / "ops.md").read_text(encoding="utf-8")  # translated comment kept
    # the new section comes into the edition: the memory engine (no parallel data) cannot translate it,
    # so it stays in English, every sentence to review; nothing is "not synced"
    assert "new section translated: chapter/new.md" in result.output and "not synced" not in result.output
    assert (zh / "chapter" / "new.md").read_text(encoding="utf-8") == "# New\n\nA new section.\n"
    assert "1 new section(s) translated, 0 skipped" in result.output and "review 4 of" in result.output
    assert read_state(zh / "amts-state.toml").commit == books["third"]
    report = json.loads((zh / ".amts" / "update-report.json").read_text(encoding="utf-8"))
    assert report["update"]["new"] == ["chapter/new.md"] and report["update"]["skipped"] == []
    assert "chapter/new.md" in report["update"]["changed"]
    new = next(entry for entry in report["files"] if entry["output"] == "chapter/new.md")
    assert [(s["status"], s["needs_review"]) for s in new["segments"]] == [("untranslated", True)] * 2
    assert report["totals"]["untranslated"] == 2 and report["words_to_review"] == 4
    summary = (zh / ".amts" / "update-report.md").read_text(encoding="utf-8")
    assert "## New sections (translated)\n\n- chapter/new.md" in summary and "## Not synced" not in summary
    assert runner.invoke(app, ["update"]).exit_code == 0


def test_update_translates_new_sections_with_the_configured_engine(books: dict) -> None:
    zh, en = books["zh"], books["en"]
    write_state(zh / "amts-state.toml", EditionState(books["second"]))
    git(en, "rm", "-q", "chapter/intro.md")  # deleted: its translation has no successor
    commit_files(en, {"part/deep.md": "# Deep\n\nNetworks have layers. See :numref:`sec_intro`.\n\n"
                                      "$$y = Wx$$\n\n```python\nlayer = Dense(4)\n```\n"}, "deeper")
    result = runner.invoke(app, ["update", "--engine", "pseudo", "--commit"])
    assert result.exit_code == 1, result.output
    deep = (zh / "part" / "deep.md").read_text(encoding="utf-8")  # the edition's layout: same relative path
    assert deep.startswith("# ⟦") and "Networks" not in deep and ":numref:`sec_intro`" in deep
    assert "$$y = Wx$$" in deep and "```python\nlayer = Dense(4)\n```" in deep  # structure kept exactly
    new = (zh / "chapter" / "new.md").read_text(encoding="utf-8")
    assert "⟦" in new
    # a section deleted from the source stays, listed: a translator's file is never removed silently
    assert (zh / "chapter" / "intro.md").read_text(encoding="utf-8") == INTRO_ZH
    report = json.loads((zh / ".amts" / "update-report.json").read_text(encoding="utf-8"))
    assert report["update"]["new"] == ["chapter/new.md", "part/deep.md"]
    assert any(line.startswith("chapter/intro.md: no successor") for line in report["update"]["skipped"])
    committed = set(git(zh, "show", "--name-only", "--format=", "HEAD").splitlines())
    assert {"chapter/new.md", "part/deep.md", "chapter/ops.md"} <= committed
    assert "chapter/intro.md" not in committed and git(zh, "status", "--porcelain") == ""


def test_a_source_file_the_edition_never_translated_stays_listed(books: dict) -> None:
    zh, en = books["zh"], books["en"]
    git(zh, "rm", "-q", "chapter/ops.md")  # the translators left this section out on purpose
    git(zh, "commit", "-q", "-m", "ops.md left out")
    write_state(zh / "amts-state.toml", EditionState(books["second"]))
    result = runner.invoke(app, ["update"])
    assert result.exit_code == 1, result.output
    assert not (zh / "chapter" / "ops.md").exists()  # it was in the source before: not a new section
    assert "not synced: chapter/ops.md: no translation" in result.output
    assert (zh / "chapter" / "new.md").is_file() and en.is_dir()


def test_a_new_section_gets_its_origin_file_in_a_d2lbook_edition(books: dict) -> None:
    zh = books["zh"]
    (zh / "chapter" / "ops_origin.md").write_text(OPS_EN, encoding="utf-8")
    write_state(zh / "amts-state.toml", EditionState(books["second"]))
    assert runner.invoke(app, ["update"]).exit_code == 1
    assert (zh / "chapter" / "new_origin.md").read_text(encoding="utf-8") == "# New\n\nA new section.\n"


def test_update_errors_are_one_line_and_write_nothing(books: dict) -> None:
    zh = books["zh"]
    write_state(zh / "amts-state.toml", EditionState("0" * 40))
    result = runner.invoke(app, ["update"])
    assert result.exit_code == 2 and "no commit '0000000000" in result.output
    assert read_state(zh / "amts-state.toml").commit == "0" * 40
    assert not (zh / ".amts").exists()
    (zh / "amts-state.toml").write_text("[source]\nurl = 1\n", encoding="utf-8")
    with pytest.raises(StateError):
        read_state(zh / "amts-state.toml")
    bad = runner.invoke(app, ["update"])
    assert bad.exit_code == 2 and "amts-state.toml" in bad.output


def test_state_file_is_plain_toml_for_people(tmp_path: Path) -> None:
    path = tmp_path / "amts-state.toml"
    write_state(path, EditionState("abc", 'https://example.org/"quoted"', "2026-01-01T00:00:00Z", "r.json"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Written by `amts update`")
    assert tomllib.loads(text)["source"] == {"url": 'https://example.org/"quoted"', "commit": "abc",
                                             "synced_at": "2026-01-01T00:00:00Z", "report": "r.json"}
    assert read_state(path) == EditionState("abc", 'https://example.org/"quoted"', "2026-01-01T00:00:00Z", "r.json")


def test_update_opens_then_updates_one_pull_request(books: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.github_server import FakeGitHub

    zh, en = books["zh"], books["en"]
    remote = zh.parent / "zh-remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(zh, "remote", "add", "origin", str(remote))
    write_state(zh / "amts-state.toml", EditionState(books["first"], "https://github.example/acme/book-en"))
    git(zh, "add", "amts-state.toml")
    git(zh, "commit", "-q", "-m", "state")
    git(zh, "push", "-q", "origin", "main")
    args = ["update", "--to", books["second"], "--branch", "amts/update", "--push", "origin", "--open-pr"]
    with FakeGitHub("s3cret") as github:
        monkeypatch.setenv("GITHUB_API_URL", github.url)
        monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
        monkeypatch.setenv("GITHUB_REPOSITORY", "acme/book-zh")
        monkeypatch.setenv("GITHUB_RUN_ID", "77")
        monkeypatch.setenv("GITHUB_TOKEN", "wrong")
        refused = runner.invoke(app, args)
        assert refused.exit_code == 3 and "HTTP 401 Bad credentials" in refused.output
        git(zh, "switch", "-q", "main")
        git(zh, "checkout", "-q", "--", ".")
        monkeypatch.setenv("GITHUB_TOKEN", "s3cret")
        result = runner.invoke(app, args + ["--base", "main"])
        assert result.exit_code == 1, result.output
        # the branch on the remote holds one sync commit on top of main
        tip = git(remote, "rev-parse", "amts/update")
        assert git(remote, "rev-parse", "amts/update~1") == git(remote, "rev-parse", "main")
        assert books["second"][:12] in git(remote, "log", "-1", "--format=%s", "amts/update")
        assert len(github.pulls) == 1
        pull = github.pulls[0]
        assert (pull["head"]["ref"], pull["base"]["ref"]) == ("amts/update", "main")
        body = pull["body"]
        assert f"`{books['first'][:12]}..{books['second'][:12]}`" in body
        assert f"https://github.example/acme/book-en/compare/{books['first']}...{books['second']}" in body
        assert "**Words to review:" in body and "| kept |" in body.replace("| kept | ", "| kept |")
        intro = (zh / "chapter" / "intro.md").read_text(encoding="utf-8").splitlines()
        added = next(n for n, line in enumerate(intro, 1) if "Models generalize" in line)
        assert f"[chapter/intro.md:{added}](https://github.example/acme/book-zh/blob/amts/update/chapter/intro.md#L{added})" in body
        assert "https://github.example/acme/book-zh/actions/runs/77" in body
        assert len(github.comments) == 1 and "# Sync report" in github.comments[0]["body"]

        # the source moves on: the same pull request and comment are updated, not duplicated
        git(zh, "switch", "-q", "main")
        third = runner.invoke(app, ["update", "--branch", "amts/update", "--push", "origin", "--open-pr"])
        assert third.exit_code == 1, third.output
        assert len(github.pulls) == 1 and len(github.comments) == 1
        assert books["third"][:12] in github.pulls[0]["body"] and "chapter/new.md" in github.pulls[0]["body"]
        assert "### New sections translated (1)\n\n- `chapter/new.md`" in github.pulls[0]["body"]
        assert git(remote, "rev-parse", "amts/update") != tip
        assert git(remote, "rev-parse", "amts/update~1") == git(remote, "rev-parse", "main")

        # already synced on this branch: nothing to do, no request at all
        calls = len(github.requests)
        again = runner.invoke(app, ["update", "--branch", "amts/update", "--push", "origin", "--open-pr"])
        assert again.exit_code == 0 and "nothing to do" in again.output
        assert len(github.requests) == calls
    assert en.exists()


def test_pull_request_body_lists_the_first_items_and_fits_github_limits() -> None:
    from amts.edition.github import MAX_TEXT, _fit, pull_request_body

    segments = [{"status": "untranslated", "needs_review": True, "source_new": f"Sentence {n} " + "word " * 40,
                 "output_line": n + 1} for n in range(40)]
    segments.append({"status": "kept", "needs_review": False, "source_new": "Kept.", "output_line": 99})
    data = {"engine": "memory", "engine_calls": 0, "totals": {"kept": 1, "untranslated": 40, "fuzzy": 0},
            "words_to_review": 1680, "words_full": 1681,
            "files": [{"output": "part one/a b.md", "segments": segments}],
            "update": {"source": "/srv/en", "from": "a" * 40, "to": "b" * 40, "skipped": ["x.md: added"]}}
    body = pull_request_body(data, web_url="https://github.example", repository="o/r", branch="amts/update")
    assert "### To review (15 of 40)" in body and body.count("**untranslated**") == 15
    assert "[part one/a b.md:1](https://github.example/o/r/blob/amts/update/part%20one/a%20b.md#L1)" in body
    assert "| kept | untranslated |" in body and "fuzzy" not in body.split("**Words")[0]
    assert "of /srv/en" in body and "- x.md: added" in body and "Sentence 0" in body
    assert len(_fit("x" * (MAX_TEXT + 10))) <= MAX_TEXT and _fit("short") == "short"


def test_commit_leaves_out_a_removed_file_git_never_tracked(books: dict) -> None:
    """An interrupted run may leave an untracked file a later update removes: the commit is made without it."""
    from amts.edition.update import Outcome, UpdateResult, commit_update

    zh = books["zh"]
    write_state(zh / "amts-state.toml", EditionState(books["first"]))
    (zh / "chapter" / "intro.md").write_text(INTRO_ZH + "\n更多。\n", encoding="utf-8")
    result = UpdateResult(Outcome.SYNCED, books["first"], books["second"],
                          changed=["chapter/intro.md", "chapter/left-by-a-killed-run.md"])
    commit_update(zh, result, zh / "amts-state.toml")
    assert git(zh, "status", "--porcelain") == ""
    assert git(zh, "show", "--name-only", "--format=", "HEAD").split() == ["amts-state.toml", "chapter/intro.md"]


def test_update_carries_a_translation_to_where_the_source_moved_it(books: dict) -> None:
    zh, en = books["zh"], books["en"]
    write_state(zh / "amts-state.toml", EditionState(books["third"]))
    git(zh, "add", "amts-state.toml")
    git(zh, "commit", "-q", "-m", "state")
    git(en, "mv", "chapter/ops.md", "chapter/operations.md")  # a section moved, its text unchanged
    moved = commit_files(en, {}, "rename ops")
    result = runner.invoke(app, ["update", "--commit"])
    assert result.exit_code == 1, result.output
    assert not (zh / "chapter" / "ops.md").exists(), result.output
    text = (zh / "chapter" / "operations.md").read_text(encoding="utf-8")
    assert text.startswith("# 运算\n\n张量支持加法。") and "# 一" in text  # the translation came along
    status = git(zh, "show", "--name-status", "--format=", "HEAD").splitlines()
    assert {name for line in status for name in line.split()[1:]} >= {"chapter/ops.md", "chapter/operations.md"}
    assert read_state(zh / "amts-state.toml").commit == moved
    report = json.loads((zh / ".amts" / "update-report.json").read_text(encoding="utf-8"))
    assert [entry["output"] for entry in report["files"]] == ["chapter/operations.md"]
    assert git(zh, "status", "--porcelain") == ""


def test_update_keeps_d2lbook_origin_files_in_step(books: dict) -> None:
    zh = books["zh"]
    (zh / "chapter" / "intro_origin.md").write_text(INTRO_EN, encoding="utf-8")
    write_state(zh / "amts-state.toml", EditionState(books["first"]))
    result = runner.invoke(app, ["update", "--to", books["second"]])
    assert result.exit_code == 1, result.output
    assert (zh / "chapter" / "intro_origin.md").read_text(encoding="utf-8") == git(
        books["en"], "show", f"{books['second']}:chapter/intro.md") + "\n"
    assert not list(zh.rglob("*.bak"))  # git keeps the history: no backup files in the edition


def test_check_against_the_recorded_source_commit(books: dict) -> None:
    zh = books["zh"]
    write_state(zh / "amts-state.toml", EditionState(books["first"]))
    assert runner.invoke(app, ["update", "--to", books["second"]]).exit_code == 1
    # the translation matches the source at the commit it is synced to, not at another one
    ok = runner.invoke(app, ["check", "--source-repo", "../en", "."])
    assert ok.exit_code == 0, ok.output
    assert "2 file(s) checked: structure matches the source" in ok.output
    old = runner.invoke(app, ["check", "--source-repo", "../en", "--rev", books["first"], ".", "--strict"])
    assert old.exit_code == 1, old.output
    assert "chapter/intro.md:5: error: inline math not in the source: `$L = \\frac{1}{n} \\sum_i l_i$`" in old.output
    no_state = runner.invoke(app, ["check", "--source-repo", "../en", "chapter"])
    assert no_state.exit_code == 2 and "no recorded source commit" in no_state.output


def test_machine_text_of_one_update_is_not_taken_for_human_work_by_the_next(books: dict) -> None:
    """What an update's engine wrote is recorded in the edition (.amts/provenance.json): when the English of
    such a sentence changes, the next update does not keep it as "the translators' text, fuzzy"."""
    zh, en = books["zh"], books["en"]
    write_state(zh / "amts-state.toml", EditionState(books["third"]))
    git(zh, "add", "-A")
    git(zh, "commit", "-q", "-m", "state")
    commit_files(en, {"chapter/extra.md": "# Extra\n\nModels learn from data.\n\nThey need examples.\n"}, "extra")
    first = runner.invoke(app, ["update", "--engine", "pseudo", "--commit"])
    assert first.exit_code == 1, first.output
    written = (zh / "chapter" / "extra.md").read_text(encoding="utf-8")
    assert "⟦" in written and "They need examples" not in written
    recorded = json.loads((zh / ".amts" / "provenance.json").read_text(encoding="utf-8"))
    assert recorded["chapter/extra.md"]["machine"]
    assert ".amts/provenance.json" in git(zh, "show", "--name-only", "--format=", "HEAD").splitlines()
    commit_files(en, {"chapter/extra.md": "# Extra\n\nModels learn from data.\n\nThey need many examples.\n"}, "edit")
    second = runner.invoke(app, ["update", "--engine", "memory", "--commit"])
    assert second.exit_code == 1, second.output
    report = json.loads((zh / ".amts" / "update-report.json").read_text(encoding="utf-8"))
    segment = next(s for entry in report["files"] if entry["output"] == "chapter/extra.md"
                   for s in entry["segments"] if "many examples" in (s.get("source_new") or ""))
    assert segment["status"] != "fuzzy" and segment["needs_review"]
    assert "They need many examples." in (zh / "chapter" / "extra.md").read_text(encoding="utf-8")
