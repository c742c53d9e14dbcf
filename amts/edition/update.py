"""``amts update``: sync a whole translated edition from its recorded source commit to a newer one.

The edition records the source commit it matches (:mod:`amts.edition.state`). An update lists the
Markdown files that changed in the source repository since then, merges each into its translation as
``amts sync --source-repo`` does, translates the sections the source added (with the same translator:
what it cannot translate stays in the source language, reported for review), and writes the
translations in place (and d2lbook ``_origin`` files), the report and the new state through a journal
(:mod:`amts.edition.journal`): an update killed anywhere and run again gives the uninterrupted result.
A file that cannot be synced safely is blocked (its translation kept, listed); files a maintainer
skips are left alone. A second update to the same commit finds the state already there and does nothing.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Collection, Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from fnmatch import fnmatch
from pathlib import Path

from amts.adapt import AdaptiveTranslator
from amts.document import read_markdown
from amts.edition.branch import trailer_line
from amts.edition.git import added_files, dirty_files, git, git_jobs, git_show, resolve_commit
from amts.edition.journal import Journal, Write, planned
from amts.edition.reports import report_texts
from amts.edition.state import STATE_NAME, EditionState, StateError, read_state, state_text, write_state
from amts.errors import InputError
from amts.sync.provenance import provenance_of
from amts.sync.report import SyncReport, markdown_path
from amts.sync.runner import Job, run_jobs

DEFAULT_REPORT = ".amts/update-report.json"
#: what amts wrote itself into each file of the edition (machine translations, source text left in), kept
#: across updates: a later update never takes those sentences for the translators' work
PROVENANCE = ".amts/provenance.json"


class Outcome(StrEnum):
    """What an update did; the command line turns it into its exit code."""

    UP_TO_DATE = "up to date"  # nothing to do: already synced to that commit
    SYNCED = "synced"  # new commit recorded; every change was carried over mechanically
    REVIEW = "review needed"  # synced; some sentences were translated or flagged for a reviewer


class DirtyError(InputError):
    """The edition has uncommitted changes to tracked files: the update's commit would take them in."""


@dataclass
class UpdateResult:
    outcome: Outcome
    old_commit: str
    new_commit: str
    changed: list[str] = field(default_factory=list)  # files written, relative to the edition root
    skipped: list[str] = field(default_factory=list)  # changed in the source but not synced (and why)
    report_path: Path | None = None
    new: list[str] = field(default_factory=list)  # sections the source added, translated into the edition
    report_summary: str = ""  # the sync report's summary line
    words_to_review: int = 0
    blocked: list[dict] = field(default_factory=list)  # {"file" (relative to the edition), "line", "reason"}
    resumed: bool = False  # completed from the journal of an interrupted update

    def summary_line(self) -> str:
        if self.outcome is Outcome.UP_TO_DATE:
            still = f"; {len(self.blocked)} file(s) still blocked (see the report)" if self.blocked else ""
            return f"up to date: already synced to {self.new_commit[:12]}; nothing to do{still}"
        added = f"{len(self.new)} new section(s) translated, " if self.new else ""
        return (f"synced {self.old_commit[:12]}..{self.new_commit[:12]}: {len(self.changed)} file(s) changed, "
                f"{added}{len(self.skipped)} skipped; {self.report_summary}")

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("resumed")
        data["outcome"] = str(self.outcome)
        data["report_path"] = str(self.report_path) if self.report_path is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict, *, resumed: bool = False) -> UpdateResult:
        path = data["report_path"]
        return cls(**{**data, "outcome": Outcome(data["outcome"]), "report_path": Path(path) if path else None,
                      "resumed": resumed})


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
    skip: Collection[str] = (),
    allow_dirty: bool = False,
    keep_journal: bool = False,
) -> UpdateResult:
    """Sync ``edition`` (a folder laid out like the source book) to ``to`` in ``source_repo``.

    An interrupted update's journal is carried out first and its result returned. ``skip``: paths
    (relative to the edition, glob patterns allowed) left as they are. ``keep_journal``: the caller
    closes the journal (:meth:`Journal.close`) once it has committed, so that a run killed before its
    commit still commits when run again.
    """
    journal = Journal(edition)
    resumed = journal.resume()
    if resumed is not None:
        if not keep_journal:
            journal.close()
        return UpdateResult.from_json(resumed, resumed=True)
    state_path = state_path or edition / STATE_NAME
    state = read_state(state_path)
    if state is None:
        raise StateError(f"{state_path}: no recorded state; start with `amts update --init COMMIT`, the source "
                         "commit the edition is translated from")
    new_commit = resolve_commit(source_repo, to)
    old_commit = resolve_commit(source_repo, state.commit)
    if new_commit == old_commit and not state.behind:
        journal.close()  # what a run killed before its journal staged
        return UpdateResult(Outcome.UP_TO_DATE, old_commit, new_commit)
    dirty = [] if allow_dirty else dirty_files(edition)
    if dirty:
        shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        raise DirtyError(f"the edition has uncommitted changes to {shown}: commit or stash them first "
                         "(or give --allow-dirty); nothing was changed")
    report_path = report_path or edition / DEFAULT_REPORT
    try:
        writes, result = _plan(edition, source_repo, translator, journal.staging(), state, state_path,
                               (old_commit, new_commit), report_path, src=src, tgt=tgt, engine=engine,
                               origin_suffix=origin_suffix, skip=skip, progress=progress)
    except BaseException:
        journal.close()  # nothing of the edition was written: only the staging goes
        raise
    if not writes:
        journal.close()
        return result
    journal.carry_out(writes, result.to_json())
    if not keep_journal:
        journal.close()
    return result


def _plan(edition: Path, source_repo: Path, translator: AdaptiveTranslator | None, staging: Path,
          state: EditionState, state_path: Path, commits: tuple[str, str], report_path: Path, *, src: str,
          tgt: str, engine: str, origin_suffix: str, skip: Collection[str],
          progress: Callable[[str], None] | None) -> tuple[list[Write], UpdateResult]:
    """Merge everything into ``staging`` and plan every write (files, report, state last); nothing is written
    into the edition."""
    old_commit, new_commit = commits
    report = SyncReport(src, tgt, engine)
    jobs, added, skipped, skipped_files = _jobs(source_repo, commits, edition, staging, origin_suffix, skip,
                                                state.behind)
    known = _read_provenance(edition)
    run_jobs(jobs, translator, report, state=None, setup=engine, progress=progress,
             provenance={str((edition / rel).resolve()): provenance_of({"provenance": texts})
                         for rel, texts in known.items()})
    writes = _planned_writes(edition, staging, jobs, report, origin_suffix,
                             lambda rel: git_show(source_repo, new_commit, rel) is None,
                             new_jobs={id(job) for job in added})
    changed = [write.path for write in writes]
    new = [job.label for job in added]
    data = report.to_json()
    for entry in data["blocked"]:  # named as the edition names its files, like every output
        entry["file"] = _relative(edition, Path(entry["file"]))
    behind = {name: state.behind.get(name, old_commit)  # taken up again by the next update
              for name in sorted(skipped_files | {entry.output for entry in report.files if entry.blocked})}
    if new_commit == old_commit and not changed and behind == state.behind:
        # only the files left behind were tried again, and they stay as they were: a rerun changes nothing
        return [], UpdateResult(Outcome.UP_TO_DATE, old_commit, new_commit, blocked=data["blocked"])
    data["update"] = {"source": state.url or str(source_repo), "from": old_commit, "to": new_commit,
                      "changed": changed, "new": new, "skipped": skipped, "behind": behind}
    report_json, summary = report_texts(data, _skipped_markdown(old_commit, new_commit, skipped, new))
    advanced = state.advanced(new_commit, _relative(edition, report_path), behind)
    provenance = _provenance_text(known, data)
    writes += [planned(edition, report_path, report_json), planned(edition, markdown_path(report_path), summary)]
    if provenance is not None:
        writes.append(planned(edition, edition / PROVENANCE, provenance))
    writes.append(planned(edition, state_path, state_text(advanced)))
    review = bool(report.blocked) or any(segment["needs_review"] for entry in data["files"] for segment in entry["segments"])
    return writes, UpdateResult(Outcome.REVIEW if review else Outcome.SYNCED, old_commit, new_commit, changed,
                                skipped, report_path, new, report.summary_line(), report.words_to_review,
                                data["blocked"])


def _read_provenance(edition: Path) -> dict[str, dict]:
    """The edition's record of what amts wrote into each file (edition-relative path -> provenance JSON)."""
    path = edition / PROVENANCE
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError) as error:
        raise StateError(f"{path}: not readable ({error}); remove it to start the record again") from None
    return {rel: texts for rel, texts in data.items() if isinstance(texts, dict)} if isinstance(data, dict) else {}


def _provenance_text(known: dict[str, dict], data: dict) -> str | None:
    """The record after this update (None: no change): each synced file takes the provenance of its output,
    blocked files keep theirs."""
    blocked = {entry["file"] for entry in data["blocked"]}
    updated = dict(known)
    for entry in data["files"]:
        output = entry.get("output")
        if not isinstance(output, str) or output in blocked:
            continue
        if entry.get("provenance"):
            updated[output] = entry["provenance"]
        else:
            updated.pop(output, None)
    if updated == known:
        return None
    return json.dumps(dict(sorted(updated.items())), ensure_ascii=False, indent=1) + "\n"


def _relative(edition: Path, path: Path) -> str:
    """``path`` relative to the edition when it is inside it, else as given."""
    resolved, root = path.resolve(), edition.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)


def _jobs(source_repo: Path, commits: tuple[str, str], edition: Path, staging: Path, origin_suffix: str,
          skip: Collection[str], behind: dict[str, str]) -> tuple[list[Job], list[Job], list[str], set[str]]:
    """The sync jobs (changed and new sections), the new sections' among them, the "not synced" lines and
    the files skipped. A file left ``behind`` by an earlier update is synced from the commit it matches."""
    old_commit, new_commit = commits
    found, skipped = git_jobs(source_repo, old_commit, new_commit, edition, staging, origin_suffix)
    found += _behind_jobs(source_repo, new_commit, edition, staging, behind, found)
    jobs = []
    skipped_files: set[str] = set()
    for job in found:
        rel = Path(job.output).relative_to(staging).as_posix()
        olds = [old["old"] for old in (job.moved_from or {}).get("olds", [])]
        if job.moved_from and (edition / rel).exists() and rel not in olds:
            skipped.append(f"{job.label}: {rel} exists already; not overwritten")
        elif _skipped_by(skip, [rel, *olds]):
            skipped.append(f"{job.label}: skipped (--skip or [update] skip); its translation kept as it is")
            skipped_files.add(rel)
        else:
            jobs.append(job)
    written = {Path(job.output).relative_to(staging).as_posix() for job in jobs}
    added = []
    for job in _new_section_jobs(source_repo, old_commit, new_commit, edition, staging, written, skipped):
        if _skipped_by(skip, [job.label]):
            skipped.append(f"{job.label}: new in the source, skipped (--skip or [update] skip); not translated")
        else:
            added.append(job)
    return jobs + added, added, skipped, skipped_files


def _behind_jobs(source_repo: Path, new_commit: str, edition: Path, staging: Path, behind: dict[str, str],
                 found: list[Job]) -> list[Job]:
    """Jobs for the files an earlier update left behind (blocked, skipped), from the commit each matches;
    the job of such a file the source changed again starts from there too (its old source replaced)."""
    by_output = {Path(job.output).relative_to(staging).as_posix(): job for job in found if not job.moved_from}
    jobs = []
    for name, commit in sorted(behind.items()):
        old, new = git_show(source_repo, commit, name), git_show(source_repo, new_commit, name)
        if old is None or new is None or not (edition / name).is_file():
            continue  # gone from the source since, or from the edition: nothing to take up
        if name in by_output:
            by_output[name].old_source, by_output[name].old_source_name = old, f"{commit}:{name}"
        elif old != new:
            jobs.append(Job(name, old, new, f"{commit}:{name}", f"{new_commit}:{name}", edition / name, staging / name))
    return jobs


def _skipped_by(patterns: Collection[str], paths: Iterable[str]) -> bool:
    """Whether a maintainer's skip list names one of these edition paths (a path, a folder or a glob)."""
    return any(path == pattern or path.startswith(pattern.rstrip("/") + "/") or fnmatch(path, pattern)
               for pattern in patterns for path in paths)


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


def _planned_writes(edition: Path, staging: Path, jobs: list[Job], report: SyncReport, origin_suffix: str,
                    gone: Callable[[str], bool], new_jobs: Collection[int] = ()) -> list[Write]:
    """The writes that put the staged outputs into the edition (nothing is written here).

    A job sync matched to a file the source moved (renamed, merged, split) writes the new path; the old
    translations it carries on are removed when the source no longer has their path, so the edition
    keeps the source's layout (git records the move). d2lbook ``_origin`` files follow their section.
    """
    writes: list[Write] = []
    carried: set[str] = set()
    # a d2lbook edition keeps an _origin file beside each section: a new section gets one too
    uses_origins = bool(new_jobs) and any(path for path in edition.rglob(f"*{origin_suffix}.md")
                                          if not path.is_relative_to(staging))
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
            writes.append(planned(edition, destination, text))
        had_origin = job.old_target.with_name(job.old_target.stem + origin_suffix + job.old_target.suffix).is_file() \
            or (id(job) in new_jobs and uses_origins)
        origin = destination.with_name(destination.stem + origin_suffix + destination.suffix)
        if (origin.is_file() or had_origin) and (not origin.is_file() or read_markdown(origin) != job.new_source):
            writes.append(planned(edition, origin, job.new_source))
        carried.update(old["old"] for old in (job.moved_from or {}).get("olds", []))
    for old in sorted(carried - {Path(job.output).relative_to(staging).as_posix() for job in jobs}):
        target = edition / old
        if not gone(old) or not target.is_file():
            continue
        writes += [planned(edition, path, None) for path in
                   (target, target.with_name(target.stem + origin_suffix + target.suffix)) if path.is_file()]
    return writes


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
    if (edition / PROVENANCE).is_file():
        paths.append(edition / PROVENANCE)
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
    if subprocess.run(["git", "-C", str(edition), "diff", "--cached", "--quiet", "--", *map(str, paths)]).returncode == 0:
        return git(edition, "rev-parse", "HEAD")  # committed already (an update resumed after its commit)
    git(edition, "commit", "-q", "-m", subject, "-m", result.summary_line(), "-m", trailer_line(result.new_commit),
        "--", *map(str, paths))
    return git(edition, "rev-parse", "HEAD")
