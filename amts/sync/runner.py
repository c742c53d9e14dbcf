"""Sync jobs over files, folders and the d2lbook ``_origin`` convention, written safely (jobs from git
history are built by :mod:`amts.edition.git`).

Everything is read and merged first; only when every file merged are outputs written (atomically,
in-place targets with a backup). A record of each output written (hashes of its inputs and of the
output) lets a second identical run recognise its own output and do nothing -- no engine calls.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from amts.adapt import AdaptiveTranslator
from amts.database import connect, migrate, write
from amts.document import DocumentError, read_markdown
from amts.errors import AmtsError
from amts.fileio import atomic_write_text
from amts.sync import restructure
from amts.sync.conserve import ConservationError
from amts.sync.labels import book_renames, rename_references
from amts.sync.merge import MergeResult, merge_documents
from amts.sync.pairing import MispairedError, check_pair
from amts.sync.parsed import parsed
from amts.sync.provenance import Provenance, provenance_of
from amts.sync.report import FileReport, SyncReport
from amts.sync.validity import Inputs, InvalidOutputError, check_output


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
    old_target_text: str | None = None  # the old translation when it is several files joined (a merge)
    moved_from: dict | None = None  # the restructure match this job carries on (old files, scores, evidence)


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

    def written(self, output: Path) -> dict | None:
        """The stored file report of the last output sync wrote at ``output``, whatever it was made from
        (a later sync whose old translation is that file reads what amts wrote into it)."""
        db = self._connect()
        if db is None:
            return None
        row = db.execute("SELECT report FROM sync_outputs WHERE output = ?", (str(output.resolve()),)).fetchone()
        db.close()
        return json.loads(row[0]) if row else None

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
    provenance: Mapping[str, Provenance] | None = None,
) -> SyncReport:
    """Merge every job, then write every output; raise :class:`SyncError` before writing on bad input.

    ``setup`` names what else decides the output (engine, parallel data): a run with another setup
    is not the same run and does not reuse a previous output. What amts itself wrote into an old
    translation (machine translations, source text kept) comes from ``provenance`` (resolved path of
    the old translation -> :class:`Provenance`, e.g. :func:`~amts.sync.provenance.read_provenance` of a
    previous report) or else from the report ``state`` stored when sync wrote that file.
    """
    planned: list[tuple[Job, FileReport, str | None, str, str]] = []
    for job in jobs:
        if progress:
            progress(job.label)
        file_report = FileReport(job.old_source_name, job.new_source_name, str(job.old_target), str(job.output),
                                 moved_from=job.moved_from)
        try:
            old_target = job.old_target_text if job.old_target_text is not None else read_markdown(job.old_target)
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
        report.files.append(file_report)
        known = (provenance or {}).get(str(Path(job.old_target).resolve()))
        if known is None and state is not None:
            known = provenance_of(state.written(Path(job.old_target)))
        result = _merge_or_block(job, old_target, translator, report, file_report, known)
        if result is None:
            planned.append((job, file_report, None, inputs, old_target))
            continue
        file_report.result = result
        file_report.engine_calls = result.engine_calls
        planned.append((job, file_report, result.text, inputs, old_target))
    planned = _follow_book_renames(planned)
    for number, (job, file_report, text, inputs, old_target) in enumerate(planned):
        gated = file_report.result is not None and file_report.result.gated == text
        if text is not None and not gated and not _valid_or_block(job, text, old_target, file_report):
            continue
        if file_report.blocked:
            continue  # its old translation (and its origin file) stay as they are
        if text is not None:
            _write(job, text, old_target, in_place)
            if state:
                key = _digest(setup, job.old_source, job.new_source, "<in-place>") if job.output == job.old_target else inputs
                state.remember(job.output, key, text, file_report.to_json(number))
        if job.origin is not None and _read_if_file(job.origin) != job.new_source:
            atomic_write_text(job.origin, job.new_source)
    return report


def _merge_or_block(job: Job, old_target: str, translator: AdaptiveTranslator | None, report: SyncReport,
                    file_report: FileReport, provenance: Provenance | None = None) -> MergeResult | None:
    """The merge of one job; None when the file is blocked (its old translation stays): a merge that
    cannot be made valid or would lose translated text is that file's problem, not the book's."""
    try:
        check_pair(parsed(job.old_source), parsed(old_target), job.label)
        return merge_documents(job.old_source, job.new_source, old_target, translator, report.src_lang,
                               report.tgt_lang, provenance=provenance)
    except MispairedError as error:
        file_report.block(str(error), error.line)
    except InvalidOutputError as error:
        file_report.block(str(error), error.line)
    except ConservationError as error:
        file_report.block(str(error), error.line)
    return None


def _valid_or_block(job: Job, text: str, old_target: str, file_report: FileReport) -> bool:
    """The gate before the write of a text the merge's gate has not seen (edited by a book-wide rename):
    an invalid output blocks its file."""
    try:
        check_output(text, Inputs.of(job.old_source, job.new_source, old_target))
    except InvalidOutputError as error:
        file_report.block(str(error), error.line)
        return False
    return True


def _follow_book_renames(planned: list) -> list:  # noqa: ANN001 - the run_jobs plan tuples
    """A label renamed in one file: the references to it in every other output follow it."""
    results = [(job, report.result) for job, report, text, *_ in planned if text is not None and report.result]
    renames = book_renames((job.old_source, job.new_source, result.renames) for job, result in results)
    if not renames:
        return planned
    out = []
    for job, file_report, text, inputs, old_target in planned:
        result = file_report.result
        if text is not None and result is not None:
            renamed = rename_references(text, renames)
            if renamed != text:
                for record in result.records:
                    record.follow_renames(renames, "references to a label renamed in another file updated")
                result.text = text = renamed
        out.append((job, file_report, text, inputs, old_target))
    return out


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


def _markdown_files(root: Path) -> dict[str, Path]:
    """The Markdown files under ``root`` by relative path (hidden folders left out)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root)
        if not any(part.startswith(".") for part in rel.parts):
            found[rel.as_posix()] = path
    return found


def restructured_jobs(old_files: dict[str, str], new_files: dict[str, str], translated: dict[str, Path],
                      output_for: Callable[[str], Path], names: tuple[Callable[[str], str], Callable[[str], str]],
                      *, in_place: bool = False, origin_suffix: str | None = None) -> tuple[list[Job], list[str], set[str]]:
    """Jobs for the new files that carry on old translated files under another path (renamed, moved,
    merged, split), matched by content (:mod:`amts.sync.restructure`); skipped lines for the rest.

    ``translated`` maps each translated old path to its translation; ``output_for`` gives where the
    translation of a new path goes; ``names`` say how old and new source files are named in the report.
    Also returns the new paths these jobs write (a same-path job for them is replaced: a merge into a
    file that kept its path joins its old translation with the others).
    """
    plan = restructure.plan(old_files, new_files, set(translated))
    jobs: list[Job] = []
    skipped: list[str] = []
    handled: set[str] = set()
    for match in plan.moves():
        output = output_for(match.new)
        label = f"{match.new} (from {' + '.join(match.olds)})"
        if in_place and output.exists() and match.new not in match.olds:
            skipped.append(f"{label}: {output} exists already; not overwritten")
            continue
        targets = [translated[old] for old in match.olds]
        joined_target = restructure.joined([_read(t) for t in targets]) if len(targets) > 1 else None
        origin = None
        if in_place and origin_suffix is not None and any(
                t.with_name(t.stem + origin_suffix + t.suffix).is_file() for t in targets):
            origin = output.with_name(output.stem + origin_suffix + output.suffix)  # d2lbook: the new origin
        jobs.append(Job(label, restructure.joined([old_files[o] for o in match.olds]), new_files[match.new],
                        " + ".join(names[0](o) for o in match.olds), names[1](match.new), targets[0], output,
                        origin=origin, old_target_text=joined_target, moved_from=match.to_json()))
        handled.add(match.new)
        if in_place:
            skipped.extend(f"{old}: kept as it was (its translation is carried on in {output})"
                           for old in match.olds if old != match.new)
    for old in plan.unmatched:
        best = plan.best.get(old)
        hint = f" (closest: {best[0]}, score {best[1]:.2f})" if best else ""
        skipped.append(f"{old}: no successor in the new source{hint}; its translation is not carried over")
    return jobs, skipped, handled


def folder_jobs(old_source: Path, new_source: Path, old_target: Path, out: Path,
                *, restructured: bool = True) -> tuple[list[Job], list[str]]:
    """One job per Markdown file of the new source with a translated predecessor: at the same relative
    path, or (``restructured``) found by content under another path; the rest skipped."""
    jobs: list[Job] = []
    skipped: list[str] = []
    old_paths, new_paths = _markdown_files(old_source), _markdown_files(new_source)
    translated = {rel: old_target / rel for rel in old_paths if (old_target / rel).is_file()}
    handled: set[str] = set()
    if restructured and any(rel not in new_paths for rel in translated):
        old_files = {rel: _read(p) for rel, p in old_paths.items()}
        new_files = {rel: _read(p) for rel, p in new_paths.items()}
        jobs, skipped, handled = restructured_jobs(
            old_files, new_files, translated, lambda rel: out / rel,
            (lambda rel: str(old_source / rel), lambda rel: str(new_source / rel)), in_place=out == old_target)
    for rel, path in new_paths.items():
        if rel in handled:
            continue
        if rel not in old_paths:
            skipped.append(f"{rel}: new file, not in {old_source} (translate it instead)")
        elif rel not in translated:
            skipped.append(f"{rel}: no translation in {old_target}")
        else:
            jobs.append(Job(rel, _read(old_paths[rel]), _read(path), str(old_paths[rel]), str(path),
                            old_target / rel, out / rel))
    jobs.sort(key=lambda job: job.output)
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
    gone: dict[str, tuple[Path, Path]] = {}  # translated files whose path the new source no longer has
    for tgt_path, new_path, rel in pairs:
        origin = tgt_path.with_name(tgt_path.stem + suffix + tgt_path.suffix)
        if not origin.is_file():
            skipped.append(f"{rel}: no {origin.name} beside it")
            continue
        if not new_path.is_file():
            gone[rel.as_posix()] = (tgt_path, origin)
            continue
        output = tgt_path if out is None else (out / rel if target.is_dir() else out)
        jobs.append(Job(str(rel), _read(origin), _read(new_path), str(origin), str(new_path), tgt_path, output,
                        origin=origin if out is None else None))
    if not gone or not target.is_dir():
        skipped.extend(f"{rel}: not in the new source {new_source}" for rel in gone)
        return jobs, skipped
    # a restructured book: find where the sections whose path is gone went, by content
    origins = {Path(job.label).as_posix(): (job.old_target, Path(job.old_source_name)) for job in jobs}
    origins.update(gone)
    old_files = {rel: _read(origin) for rel, (_t, origin) in origins.items()}
    new_files = {rel: _read(p) for rel, p in _markdown_files(new_source).items()}
    root = out if out is not None else target
    moved, rest, handled = restructured_jobs(
        old_files, new_files, {rel: t for rel, (t, _o) in origins.items()}, lambda rel: root / rel,
        (lambda rel: str(origins[rel][1]), lambda rel: str(new_source / rel)), in_place=out is None,
        origin_suffix=suffix)
    jobs = [job for job in jobs if Path(job.label).as_posix() not in handled] + moved
    skipped.extend(rest)
    return jobs, skipped
