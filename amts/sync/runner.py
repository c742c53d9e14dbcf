"""Sync jobs over files, folders, git history and the d2lbook ``_origin`` convention, written safely.

Everything is read and merged first; only when every file merged are outputs written (atomically,
in-place targets with a backup). A record of each output written (hashes of its inputs and of the
output) lets a second identical run recognise its own output and do nothing -- no engine calls.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from amts.adapt import AdaptiveTranslator
from amts.database import connect, migrate, write
from amts.document import DocumentError, read_markdown
from amts.errors import AmtsError
from amts.fileio import atomic_write_text
from amts.sync.conserve import ConservationError
from amts.sync.merge import merge_documents
from amts.sync.report import FileReport, SyncReport


class SyncError(AmtsError, RuntimeError):
    """Bad input for a sync run (missing files, not a git repository, ...): nothing was written."""


@dataclass
class Job:
    """One file to sync: texts of the old and new source, where the old target is, where to write."""

    label: str  # how the file is named in messages and the report
    old_source: str
    new_source: str
    old_source_name: str
    new_source_name: str
    old_target: Path
    output: Path
    origin: Path | None = None  # the ``_origin`` file to update to the new source afterwards


def _digest(*texts: str) -> str:
    h = hashlib.sha256()
    for text in texts:
        h.update(hashlib.sha256(text.encode("utf-8")).digest())
    return h.hexdigest()


def _schema_v1(db: sqlite3.Connection) -> None:
    # IF NOT EXISTS: stores written before sync had a migration already hold this table
    db.execute("CREATE TABLE IF NOT EXISTS sync_outputs (output TEXT PRIMARY KEY, inputs TEXT NOT NULL,"
               " result TEXT NOT NULL, report TEXT NOT NULL)")


_MIGRATIONS = [_schema_v1]


class SyncState:
    """What sync last wrote to each output, kept in the amts store (table ``sync_outputs``)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        db = connect(self.path, busy_timeout_ms=30_000)
        migrate(db, "sync", _MIGRATIONS)
        return db

    def lookup(self, output: Path, inputs: str, current_output: str | None) -> dict | None:
        """The stored file report if ``output`` still holds what sync wrote from these inputs."""
        db = self._connect()
        if db is None or current_output is None:
            return None
        row = db.execute("SELECT inputs, result, report FROM sync_outputs WHERE output = ?",
                         (str(output.resolve()),)).fetchone()
        db.close()
        if row and row[0] == inputs and row[1] == _digest(current_output):
            return json.loads(row[2])
        return None

    def remember(self, output: Path, inputs: str, text: str, report: dict) -> None:
        db = self._connect()
        if db is None:
            return
        with write(db):
            db.execute("INSERT OR REPLACE INTO sync_outputs VALUES (?, ?, ?, ?)",
                       (str(output.resolve()), inputs, _digest(text), json.dumps(report, ensure_ascii=False)))
        db.close()


def run_jobs(
    jobs: list[Job],
    translator: AdaptiveTranslator | None,
    report: SyncReport,
    *,
    in_place: bool = False,
    state: SyncState | None = None,
    setup: str = "",
    progress: Callable[[str], None] | None = None,
) -> SyncReport:
    """Merge every job, then write every output; raise :class:`SyncError` before writing on bad input.

    ``setup`` names what else decides the output (engine, parallel data): a run with another setup
    is not the same run and does not reuse a previous output.
    """
    planned: list[tuple[Job, FileReport, str | None, str, str]] = []
    for job in jobs:
        if progress:
            progress(job.label)
        file_report = FileReport(job.old_source_name, job.new_source_name, str(job.old_target), str(job.output))
        try:
            old_target = read_markdown(job.old_target)
        except DocumentError as error:
            raise SyncError(str(error)) from None
        inputs = _digest(setup, job.old_source, job.new_source, old_target)
        current = _read_if_file(job.output)
        # in place, the target *is* the previous output: compare against what was read before it
        cached = state.lookup(job.output, inputs, current) if state else None
        if cached is None and state and job.output == job.old_target and current is not None:
            cached = state.lookup(job.output, _digest(setup, job.old_source, job.new_source, "<in-place>"), current)
        if cached is not None:
            file_report.cached = cached
            report.files.append(file_report)
            planned.append((job, file_report, None, inputs, old_target))
            continue
        try:
            result = merge_documents(job.old_source, job.new_source, old_target, translator, report.src_lang,
                                     report.tgt_lang)
        except ConservationError as error:
            raise SyncError(f"{job.label}: {error}") from None
        file_report.result = result
        file_report.engine_calls = result.engine_calls
        report.files.append(file_report)
        planned.append((job, file_report, result.text, inputs, old_target))
    for number, (job, file_report, text, inputs, old_target) in enumerate(planned):
        if text is not None:
            _write(job, text, old_target, in_place)
            if state:
                key = _digest(setup, job.old_source, job.new_source, "<in-place>") if job.output == job.old_target else inputs
                state.remember(job.output, key, text, file_report.to_json(number))
        if job.origin is not None and _read_if_file(job.origin) != job.new_source:
            atomic_write_text(job.origin, job.new_source)
    return report


def report_paths(report: Path, jobs: list[Job]) -> tuple[Path, Path]:
    """Where the JSON report and its Markdown summary go; :class:`SyncError` (before anything is done)
    when either would overwrite a file the run reads or writes."""
    from amts.sync.report import markdown_path

    summary = markdown_path(report)
    taken: dict[Path, str] = {}
    for job in jobs:
        for path, role in ((Path(job.old_source_name), "an input"), (Path(job.new_source_name), "an input"),
                           (job.old_target, "an input"), (job.output, "an output"), (job.origin, "an input")):
            if path is not None:
                taken.setdefault(path.resolve(), role)
    for path, what in ((report, "--report"), (summary, "the report's summary")):
        role = taken.get(path.resolve())
        if role is not None:
            raise SyncError(f"{what} {path} is {role} of this sync: choose another report path")
    return report, summary


def _read_if_file(path: Path) -> str | None:
    try:
        return read_markdown(path) if path.is_file() else None
    except DocumentError:
        return None


def _write(job: Job, text: str, old_target: str, in_place: bool) -> None:
    if job.output == job.old_target:
        if text == old_target:
            return  # nothing changed: no write, no backup
        if not in_place:
            raise SyncError(f"{job.output}: refusing to overwrite the old target without --in-place")
        backup = job.output.with_name(job.output.name + ".bak")
        atomic_write_text(backup, old_target)
    atomic_write_text(job.output, text)


# ---- building jobs ----------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        return read_markdown(path)
    except DocumentError as error:
        raise SyncError(str(error)) from None


def file_job(old_source: Path, new_source: Path, old_target: Path, output: Path) -> Job:
    return Job(str(old_target), _read(old_source), _read(new_source), str(old_source), str(new_source),
               old_target, output)


def folder_jobs(old_source: Path, new_source: Path, old_target: Path, out: Path) -> tuple[list[Job], list[str]]:
    """One job per Markdown file present in all three folders (same relative paths); the rest skipped."""
    jobs: list[Job] = []
    skipped: list[str] = []
    for path in sorted(new_source.rglob("*.md")):
        rel = path.relative_to(new_source)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if not (old_target / rel).is_file():
            skipped.append(f"{rel}: no translation in {old_target}")
            continue
        if not (old_source / rel).is_file():
            skipped.append(f"{rel}: new file, not in {old_source} (translate it instead)")
            continue
        jobs.append(Job(str(rel), _read(old_source / rel), _read(path), str(old_source / rel), str(path),
                        old_target / rel, out / rel))
    return jobs, skipped


def origin_jobs(target: Path, new_source: Path, suffix: str, out: Path | None) -> tuple[list[Job], list[str]]:
    """d2lbook: the old source of ``X.md`` is ``X<suffix>.md`` beside it; sync updates it afterwards."""
    jobs: list[Job] = []
    skipped: list[str] = []
    if target.is_file():
        pairs = [(target, new_source, Path(target.name))]
    else:
        if not new_source.is_dir():
            raise SyncError(f"{new_source}: must be a folder when the target is a folder")
        pairs = [(p, new_source / p.relative_to(target), p.relative_to(target))
                 for p in sorted(target.rglob("*.md")) if not p.stem.endswith(suffix)]
    for tgt_path, new_path, rel in pairs:
        origin = tgt_path.with_name(tgt_path.stem + suffix + tgt_path.suffix)
        if not origin.is_file():
            skipped.append(f"{rel}: no {origin.name} beside it")
            continue
        if not new_path.is_file():
            skipped.append(f"{rel}: not in the new source {new_path.parent}")
            continue
        output = tgt_path if out is None else (out / rel if target.is_dir() else out)
        jobs.append(Job(str(rel), _read(origin), _read(new_path), str(origin), str(new_path), tgt_path, output,
                        origin=origin if out is None else None))
    return jobs, skipped


def git_show(repo: Path, commit: str, path: str) -> str | None:
    """``git show COMMIT:path``; ``None`` when the file does not exist at that commit."""
    done = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True)
    if done.returncode != 0:
        return None
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise SyncError(f"{path} at {commit}: not UTF-8") from None


def git_jobs(repo: Path, start: str, end: str, target_dir: Path, out: Path | None,
             suffix: str = "_origin") -> tuple[list[Job], list[str]]:
    """Every Markdown file that changed in ``repo`` between two commits and has a translation."""
    for commit in (start, end):
        check = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise SyncError(f"{repo}: no commit {commit!r} (or not a git repository)")
    listed = subprocess.run(["git", "-C", str(repo), "diff", "--name-only", start, end, "--", "*.md"],
                            capture_output=True, text=True)
    if listed.returncode != 0:
        raise SyncError(f"{repo}: git diff failed: {listed.stderr.strip()}")
    jobs: list[Job] = []
    skipped: list[str] = []
    for name in sorted(filter(None, listed.stdout.splitlines())):
        target = target_dir / name
        if not target.is_file():
            skipped.append(f"{name}: no translation in {target_dir}")
            continue
        old, new = git_show(repo, start, name), git_show(repo, end, name)
        if old is None or new is None:
            skipped.append(f"{name}: {'added' if old is None else 'deleted'} between {start} and {end}")
            continue
        origin = target.with_name(target.stem + suffix + target.suffix)
        jobs.append(Job(name, old, new, f"{start}:{name}", f"{end}:{name}", target,
                        target if out is None else out / name,
                        origin=origin if out is None and origin.is_file() else None))
    return jobs, skipped
