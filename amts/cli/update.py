"""``amts update``: bring a translated edition to the source's newest commit, from its recorded state."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from amts.adapt.setup import MEMORY_ENGINE, TranslationSetup, build_translator
from amts.cli.common import (
    DialectOption,
    NoCacheOption,
    ParallelDataOption,
    SrcOption,
    SyncEngineOption,
    fail,
)
from amts.cli.console import out
from amts.config import book_config
from amts.document.dialects import use_dialect
from amts.edition.branch import (
    BranchPlan,
    back_to_remote_tip,
    nothing_new,
    plan_branch,
    publish_branch,
    start_on_tip,
)
from amts.edition.git import current_branch
from amts.edition.github import GitHub, GitHubError, publish, pull_request_body
from amts.edition.journal import Journal
from amts.edition.state import STATE_NAME, read_state
from amts.edition.update import (
    DEFAULT_REPORT,
    Outcome,
    UpdateResult,
    commit_update,
    init_state,
    update_edition,
)
from amts.languages import normalize
from amts.sync.report import markdown_path

#: the exit code of each outcome (README "Exit codes"): 0 nothing to do; 1 synced, a commit to review
#: (the summary says how many words; none when every change was mechanical); failures 2 or 3
EXIT_CODES = {Outcome.UP_TO_DATE: 0, Outcome.REVIEW: 1, Outcome.SYNCED: 1}


def update(
    edition: Annotated[Path, typer.Argument(help="The translated edition (default: the current folder).")] = Path("."),
    source_repo: Annotated[Path | None, typer.Option("--source-repo", help="Git checkout of the source book "
                                                     "(default: [update] source in amts.toml).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Source revision to sync to (default: [update] ref, "
                                           "else the checkout's HEAD).")] = None,
    init: Annotated[str | None, typer.Option("--init", help="Only record that the edition matches this source "
                                             "commit (the first time, or to re-base by hand).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="The source repository's address, recorded in the state.")] = None,
    engine: SyncEngineOption = None,
    parallel_data: ParallelDataOption = None,
    report: Annotated[Path | None, typer.Option("--report", help=f"The JSON report (and .md beside it); default "
                                                f"EDITION/{DEFAULT_REPORT}.")] = None,
    commit: Annotated[bool, typer.Option("--commit", help="Commit the synced files, report and state in the "
                                         "edition's git repository.")] = False,
    branch: Annotated[str | None, typer.Option("--branch", help="Commit on this branch, created or reset at the "
                                               "current commit (implies --commit).")] = None,
    push: Annotated[str | None, typer.Option("--push", help="Push the branch to this remote (replacing only the bot's own commits; a reviewer's commits are built on).")] = None,
    open_pr: Annotated[bool, typer.Option("--open-pr", help="Open or update the branch's pull request on GitHub "
                                          "(GITHUB_REPOSITORY, GITHUB_TOKEN, GITHUB_API_URL).")] = False,
    base: Annotated[str | None, typer.Option("--base", help="The pull request's base branch (default: the "
                                             "branch checked out before the update).")] = None,
    src: SrcOption = None,
    tgt: Annotated[str | None, typer.Option("--tgt", help="Target language (default: amts.toml's first).")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="amts store file (parallel data).")] = None,
    dialect: DialectOption = None,
    config: Annotated[Path | None, typer.Option("--config", help="Book settings (default: EDITION/amts.toml).")] = None,
    skip: Annotated[list[str] | None, typer.Option("--skip", help="Leave this file of the edition as it is (a path, "
                                                   "folder or glob; repeatable; also [update] skip).")] = None,
    allow_dirty: Annotated[bool, typer.Option("--allow-dirty", help="Update even when tracked files of the edition "
                                              "have uncommitted changes.")] = False,
    no_cache: NoCacheOption = False,
) -> None:
    """Sync the whole edition from the source commit recorded in amts-state.toml to the newest one.

    Exit codes: 0 nothing to do (already synced), 1 synced (review the commit; files that could not be
    synced are listed as blocked), 2 bad input (also uncommitted changes in the edition), 3 an engine or
    service failed."""
    if not edition.is_dir():
        fail(f"{edition}: not a folder")
    book = book_config(config if config else (edition / "amts.toml" if (edition / "amts.toml").is_file() else None),
                       edition)
    settings = book.update
    source = source_repo or settings.get("source")
    if source is None:
        fail("give --source-repo (a git checkout of the source book), or [update] source in amts.toml")
    state_path = edition / STATE_NAME
    if (push or open_pr) and not branch:
        fail("--push and --open-pr need --branch (the pull request's branch)")
    start_branch = current_branch(edition)
    if init is not None:
        language = tgt or (book.tgt[0] if book.tgt else "")  # recorded: later updates need no --tgt
        state = init_state(edition, source, init, url or settings.get("source_url", ""), state_path,
                           normalize(language) if language else "")
        shown = f" ({state.language})" if state.language else " (give --tgt to record its language)"
        out.summary(f"recorded: {edition}{shown} is synced to {state.commit[:12]} ({state_path})", commit=state.commit)
        return
    recorded = read_state(state_path)
    setup = TranslationSetup.from_config(book, src=src, targets=tgt or (recorded.language if recorded else None) or None,
                                         engine=engine, parallel_data=parallel_data, store=store, dialect=dialect,
                                         default_engine=MEMORY_ENGINE, cache=not no_cache)
    chosen = setup.resolve_dialect(Path(source))  # the source book's toolchain config
    out.detail(f"Markdown dialect: {chosen.describe()}")
    src_lang, tgt_lang = setup.src, (setup.targets[0] if setup.targets else None)
    if tgt_lang is None:
        fail("give --tgt, or [book] tgt in amts.toml (amts update --init --tgt LANG records it)")
    engine_name = setup.engine_for(tgt_lang)
    translator = build_translator(setup, tgt_lang, memory_optional=True, warn=out.warning)
    plan = _plan_branch(edition, push, branch)
    skipped_paths = [_edition_path(edition, path) for path in [*settings.get("skip", []), *(skip or [])]]
    committing = bool(commit or branch)
    try:
        with use_dialect(chosen):  # whether $ starts math, in every file synced
            result = update_edition(
                edition, source, translator, src=src_lang, tgt=tgt_lang, engine=engine_name,
                to=to or settings.get("ref", "HEAD"), state_path=state_path,
                report_path=report or settings.get("report") or edition / DEFAULT_REPORT,
                origin_suffix=settings.get("origin_suffix", "_origin"), skip=skipped_paths,
                allow_dirty=allow_dirty, keep_journal=committing, progress=lambda label: out.info(f"syncing {label}"))
    finally:
        if translator.engine is not None:
            translator.engine.close()
    if result.resumed:
        out.info(f"completed an interrupted update to {result.new_commit[:12]} (its journal in {Journal(edition).work})")
    if committing and result.outcome is not Outcome.UP_TO_DATE:
        _commit_and_publish(edition, result, state_path, branch, start_branch, plan, open_pr=open_pr,
                            base=base or start_branch or "main")
    if committing:
        Journal(edition).close()
    _say_outcome(result)


def _commit_and_publish(edition: Path, result: UpdateResult, state_path: Path, branch: str | None, start_branch: str,
                        plan: BranchPlan | None, *, open_pr: bool, base: str) -> None:
    """Commit the update (on ``branch``), push it as ``plan`` says and open or update its pull request."""
    commit_hash = commit_update(edition, result, state_path, branch=branch or "")
    out.info(f"committed {commit_hash[:12]}" + (f" on {branch}" if branch else ""), commit=commit_hash)
    if branch and branch != start_branch:
        out.info(f"the edition's checkout is now on branch {branch} (it was on {start_branch or 'a detached HEAD'}"
                 f"; `git switch {start_branch or '-'}` goes back)", branch=branch)
    reports = [result.report_path, markdown_path(result.report_path)] if result.report_path else []
    if plan is not None and nothing_new(edition, plan, reports):
        out.info(f"{plan.remote}/{plan.branch} already holds this sync (only synced_at and the report would "
                 "change): nothing pushed, the branch is left at its remote tip")
        back_to_remote_tip(edition, plan)
    elif plan is not None:
        publish_branch(edition, plan)
    if open_pr:
        pull = _open_pull_request(edition, result, branch or current_branch(edition), base)
        out.info(f"pull request #{pull.number} {'opened' if pull.created else 'updated'} {pull.url}",
                 number=pull.number, url=pull.url)


def _say_outcome(result: UpdateResult) -> None:
    """What was translated, not synced and blocked, the report, the summary line; then exit with the outcome's code."""
    for name in result.new:
        out.info(f"new section translated: {name}", new=name)
    for line in result.skipped:
        out.warning(line, label="not synced")
    if result.report_path is not None:
        out.info(f"report: {result.report_path} (summary: {markdown_path(result.report_path)})")
        out.written(result.report_path)
    for entry in result.blocked:
        out.warning(f"{entry['file']}:{entry['line']}: not synced, its translation kept: {entry['reason']}",
                    label="blocked")
    out.summary(result.summary_line(), outcome=str(result.outcome), commit=result.new_commit,
                words_to_review=result.words_to_review, blocked=len(result.blocked))
    raise typer.Exit(EXIT_CODES[result.outcome])


def _plan_branch(edition: Path, remote: str | None, branch: str | None) -> BranchPlan | None:
    """With ``--branch B --push REMOTE``: read the remote's B first; when it holds a reviewer's commits the
    update goes on from there (said, since it switches the checkout to B), never replacing them."""
    if not (remote and branch):
        return None
    plan = plan_branch(edition, remote, branch)
    if plan.continue_on_tip:
        out.info(plan.describe())
        start_on_tip(edition, plan)
    return plan


def _edition_path(edition: Path, given: str) -> str:
    """A --skip path as the edition names it: relative to the edition when it is a path from here into it."""
    here = Path(given).resolve()
    root = edition.resolve()
    if Path(given).exists() and here.is_relative_to(root):
        return here.relative_to(root).as_posix()
    return given.removeprefix("./")


def _open_pull_request(edition: Path, result, branch: str, base: str):  # noqa: ANN001, ANN202
    """The GitHub step: everything it needs comes from the environment a workflow gives it."""
    repository, token = os.environ.get("GITHUB_REPOSITORY", ""), os.environ.get("GITHUB_TOKEN", "")
    if not repository or not token:
        raise GitHubError("--open-pr needs GITHUB_REPOSITORY (owner/name) and GITHUB_TOKEN in the environment")
    web = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    run = os.environ.get("GITHUB_RUN_ID")
    run_url = f"{web}/{repository}/actions/runs/{run}" if run else ""
    report_path = result.report_path
    data = json.loads(report_path.read_text(encoding="utf-8"))
    shown = report_path.resolve().relative_to(edition.resolve()).as_posix()
    body = pull_request_body(data, web_url=web, repository=repository, branch=branch, run_url=run_url,
                             report_path=shown)
    github = GitHub(repository, token, os.environ.get("GITHUB_API_URL", "https://api.github.com"))
    try:
        return publish(github, branch=branch, base=base, title=f"Sync with the source at {result.new_commit[:12]}",
                       body=body, report=markdown_path(report_path).read_text(encoding="utf-8"))
    finally:
        github.close()


def register(app: typer.Typer) -> None:
    app.command()(update)
