"""``amts update``: sync a whole translated edition from its recorded source commit to a newer one.

The edition records the source commit it matches (:mod:`amts.edition.state`). An update lists the
Markdown files that changed in the source repository since then, merges each into its translation as
``amts sync --source-repo`` does, translates the sections the source added (with the same translator:
what it cannot translate stays in the source language, reported for review), writes the translations
in place (and d2lbook ``_origin`` files), the report and then the new state -- the state last, so an interrupted update is simply run again. A
second update to the same commit finds the state already there and does nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from amts.adapt import AdaptiveTranslator
from amts.document import read_markdown
from amts.edition.branch import trailer_line
from amts.edition.git import added_files, git, git_jobs, git_show, resolve_commit
from amts.edition.reports import write_report
from amts.edition.state import STATE_NAME, EditionState, StateError, read_state, write_state
from amts.fileio import atomic_write_text
from amts.sync.report import SyncReport, markdown_path
from amts.sync.runner import Job, run_jobs

DEFAULT_REPORT = ".amts/update-report.json"


class Outcome(StrEnum):
    """What an update did; the command line turns it into its exit code."""

    UP_TO_DATE = "up to date"  # nothing to do: already synced to that commit
    SYNCED = "synced"  # new commit recorded; every change was carried over mechanically
    REVIEW = "review needed"  # synced; some sentences were translated or flagged for a reviewer


@dataclass
class UpdateResult:
    outcome: Outcome
    old_commit: str
    new_commit: str
    report: SyncReport | None = None
    changed: list[str] = field(default_factory=list)  # files written, relative to the edition root
    skipped: list[str] = field(default_factory=list)  # changed in the source but not synced (and why)
    report_path: Path | None = None
    new: list[str] = field(default_factory=list)  # sections the source added, translated into the edition

    def summary_line(self) -> str:
        if self.outcome is Outcome.UP_TO_DATE:
            return f"up to date: already synced to {self.new_commit[:12]}; nothing to do"
        assert self.report is not None
        added = f"{len(self.new)} new section(s) translated, " if self.new else ""
        return (f"synced {self.old_commit[:12]}..{self.new_commit[:12]}: {len(self.changed)} file(s) changed, "
                f"{added}{len(self.skipped)} skipped; {self.report.summary_line()}")


def update_edition(
    edition: Path,
    source_repo: Path,
    translator: AdaptiveTranslator | None,
    *,
    src: str,
    tgt: str,
    engine: str = "memory",
    to: str = "HEAD",
    state_path: Path | None = None,
    report_path: Path | None = None,
    origin_suffix: str = "_origin",
    progress: Callable[[str], None] | None = None,
) -> UpdateResult:
    """Sync ``edition`` (a folder laid out like the source book) to ``to`` in ``source_repo``."""
    state_path = state_path or edition / STATE_NAME
    state = read_state(state_path)
    if state is None:
        raise StateError(f"{state_path}: no recorded state; start with `amts update --init COMMIT`, the source "
                         "commit the edition is translated from")
    new_commit = resolve_commit(source_repo, to)
    old_commit = resolve_commit(source_repo, state.commit)
    if new_commit == old_commit:
        return UpdateResult(Outcome.UP_TO_DATE, old_commit, new_commit)
    report_path = report_path or edition / DEFAULT_REPORT
    report = SyncReport(src, tgt, engine)
    with tempfile.TemporaryDirectory(prefix="amts-update-") as staging:
        # outputs go to a staging folder first (sync's in-place mode keeps .bak files; git keeps history)
        found, skipped = git_jobs(source_repo, old_commit, new_commit, edition, Path(staging), origin_suffix)
        jobs = []
        for job in found:
            rel = Path(job.output).relative_to(staging).as_posix()
            olds = [old["old"] for old in (job.moved_from or {}).get("olds", [])]
            if job.moved_from and (edition / rel).exists() and rel not in olds:
                skipped.append(f"{job.label}: {rel} exists already; not overwritten")
                continue
            jobs.append(job)
        written = {Path(job.output).relative_to(staging).as_posix() for job in jobs}
        added = _new_section_jobs(source_repo, old_commit, new_commit, edition, Path(staging), written, skipped)
        jobs += added
        run_jobs(jobs, translator, report, state=None, setup=engine, progress=progress)
        changed = _write_back(edition, Path(staging), jobs, report, origin_suffix,
                              lambda rel: git_show(source_repo, new_commit, rel) is None,
                              new_jobs={id(job) for job in added})
    new = [job.label for job in added]
    data = report.to_json()
    data["update"] = {"source": state.url or str(source_repo), "from": old_commit, "to": new_commit,
                      "changed": changed, "new": new, "skipped": skipped}
    write_report(report_path, data, _skipped_markdown(old_commit, new_commit, skipped, new))
    relative_report = report_path.resolve().relative_to(edition.resolve()).as_posix() \
        if report_path.resolve().is_relative_to(edition.resolve()) else str(report_path)
    write_state(state_path, state.advanced(new_commit, relative_report))
    review = bool(report.blocked) or any(segment["needs_review"] for entry in data["files"] for segment in entry["segments"])
    return UpdateResult(Outcome.REVIEW if review else Outcome.SYNCED, old_commit, new_commit, report, changed,
                        skipped, report_path, new)


def _new_section_jobs(source_repo: Path, old_commit: str, new_commit: str, edition: Path, staging: Path,
                      written: set[str], skipped: list[str]) -> list[Job]:
    """A job per Markdown file the source added since ``old_commit`` that the edition does not have yet:
    merged against an empty old version, so every paragraph is translated (or, when the translator
    cannot, kept in the source language as ``untranslated``, to review) and the report counts it.

    The translation goes where the edition keeps the source's file (the same relative path, as for
    every synced file); a path a restructure job already writes, or a file the edition already has,
    is left alone. The "no translation" line ``git_jobs`` put in ``skipped`` for it is taken out.
    """
    jobs: list[Job] = []
    for name in added_files(source_repo, old_commit, new_commit):
        if name in written or (edition / name).exists() or any(part.startswith(".") for part in Path(name).parts):
            continue
        text = git_show(source_repo, new_commit, name)
        if text is None:
            continue
        jobs.append(Job(name, "", text, "", f"{new_commit[:12]}:{name}", edition / name, staging / name,
                        old_target_text=""))
        line = f"{name}: no translation in {edition}"
        if line in skipped:
            skipped.remove(line)
    return jobs


def _write_back(edition: Path, staging: Path, jobs: list[Job], report: SyncReport, origin_suffix: str,
                gone: Callable[[str], bool], new_jobs: Collection[int] = ()) -> list[str]:
    """Put the staged outputs into the edition; the paths (relative to it) written or removed.

    A job sync matched to a file the source moved (renamed, merged, split) writes the new path; the old
    translations it carries on are removed when the source no longer has their path, so the edition
    keeps the source's layout (git records the move). d2lbook ``_origin`` files follow their section.
    """
    changed: list[str] = []
    carried: set[str] = set()
    # a d2lbook edition keeps an _origin file beside each section: a new section gets one too
    uses_origins = bool(new_jobs) and any(edition.rglob(f"*{origin_suffix}.md"))
    for job, file_report in zip(jobs, report.files, strict=True):
        rel = Path(job.output).relative_to(staging)
        destination = edition / rel
        file_report.output = rel.as_posix()  # relative to the edition root, as review and links want
        if file_report.blocked:
            continue  # not synced (see the report): its translation and origin file stay as they are
        text = read_markdown(job.output)
        if id(job) in new_jobs:  # merged against an empty file: end as the source ends
            text = text.rstrip("\n") + "\n" * (len(job.new_source) - len(job.new_source.rstrip("\n")))
        if not destination.is_file() or text != read_markdown(destination):
            atomic_write_text(destination, text)
            changed.append(rel.as_posix())
        had_origin = job.old_target.with_name(job.old_target.stem + origin_suffix + job.old_target.suffix).is_file() \
            or (id(job) in new_jobs and uses_origins)
        origin = destination.with_name(destination.stem + origin_suffix + destination.suffix)
        if (origin.is_file() or had_origin) and (not origin.is_file() or read_markdown(origin) != job.new_source):
            atomic_write_text(origin, job.new_source)
            changed.append(origin.relative_to(edition).as_posix())
        carried.update(old["old"] for old in (job.moved_from or {}).get("olds", []))
    for old in sorted(carried - {Path(job.output).relative_to(staging).as_posix() for job in jobs}):
        target = edition / old
        if not gone(old) or not target.is_file():
            continue
        for path in (target, target.with_name(target.stem + origin_suffix + target.suffix)):
            if path.is_file():
                path.unlink()
                changed.append(path.relative_to(edition).as_posix())
    return changed


def _skipped_markdown(old: str, new: str, skipped: list[str], added: Collection[str] = ()) -> str:
    lines = ["", f"Source commits: {old[:12]}..{new[:12]}.", ""]
    if added:
        lines += ["## New sections (translated)", "", *(f"- {name}" for name in added), ""]
    if skipped:
        lines += ["## Not synced", "", *(f"- {line}" for line in skipped), ""]
    return "\n".join(lines)


def init_state(edition: Path, source_repo: Path, commit: str, url: str = "", state_path: Path | None = None,
               language: str = "") -> EditionState:
    """Record that ``edition`` (in ``language``) is synced to ``commit`` (the first time, or to re-base by hand)."""
    resolved = resolve_commit(source_repo, commit)
    state = EditionState(resolved, url, language=language).advanced(resolved)
    write_state(state_path or edition / STATE_NAME, state)
    return state


def commit_update(edition: Path, result: UpdateResult, state_path: Path, *, branch: str = "",
                  message: str | None = None) -> str:
    """Commit what the update wrote (files, report, state) in the edition's repository, on ``branch`` if
    given (created or reset at the current commit, so it always holds one sync on top); the hash."""
    paths = [edition / rel for rel in result.changed] + [state_path]
    if result.report_path is not None:
        paths += [result.report_path, markdown_path(result.report_path)]
    if branch:
        git(edition, "switch", "-q", "-C", branch)  # the written files stay in the work tree
    subject = message or f"Sync with the source at {result.new_commit[:12]} (amts update)"
    # a removed file git never tracked (left by an earlier, interrupted run) has nothing to commit
    tracked = set(git(edition, "ls-files", "--full-name", "--", *map(str, paths)).splitlines())
    top = Path(git(edition, "rev-parse", "--show-toplevel")).resolve()
    paths = [path for path in paths if path.exists() or path.resolve().relative_to(top).as_posix() in tracked]
    git(edition, "add", "--", *map(str, paths))
    git(edition, "commit", "-q", "-m", subject, "-m", result.summary_line(), "-m", trailer_line(result.new_commit),
        "--", *map(str, paths))
    return git(edition, "rev-parse", "HEAD")
