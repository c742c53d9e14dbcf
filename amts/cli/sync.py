"""``amts sync``: update a translation after its source changed, keeping every unchanged human sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from amts.adapt.setup import MEMORY_ENGINE, TranslationSetup, build_translator
from amts.cli.common import (
    DialectOption,
    ExamplesOption,
    GlossaryOption,
    NoCacheOption,
    ParallelDataOption,
    SrcOption,
    SyncEngineOption,
    fail,
    languages,
    output_file,
    report_kept,
)
from amts.cli.console import out as say
from amts.config import book_config
from amts.document import parse_markdown, read_markdown
from amts.document.dialects import use_dialect
from amts.edition.git import git_jobs
from amts.edition.reports import report_paths, write_report
from amts.engines import EngineError
from amts.fileio import guard_outputs
from amts.sync.pairing import check_pair
from amts.sync.report import SyncReport
from amts.sync.runner import SyncError, SyncState, file_job, folder_jobs, origin_jobs, run_jobs


def sync(
    old_source: Annotated[Path | None, typer.Option("--old-source", help="What the translation was made from (file or folder).")] = None,
    new_source: Annotated[Path | None, typer.Option("--new-source", help="The updated source (file or folder).")] = None,
    old_target: Annotated[Path | None, typer.Option("--old-target", help="The current translation (file or folder).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where the new translation goes (file or folder).")] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="Overwrite the target; keeps <name>.bak.")] = False,
    source_repo: Annotated[Path | None, typer.Option("--source-repo", help="Git repository of the source book.")] = None,
    from_commit: Annotated[str | None, typer.Option("--from", help="Commit the translation was made from.")] = None,
    to_commit: Annotated[str | None, typer.Option("--to", help="Commit to sync to.")] = None,
    target_dir: Annotated[Path | None, typer.Option("--target-dir", help="Translated book (git and origin modes).")] = None,
    origin_suffix: Annotated[str | None, typer.Option("--origin-suffix", help="d2lbook: old source is <name><suffix>.md beside each target.")] = None,
    engine: SyncEngineOption = None,
    parallel_data: ParallelDataOption = None,
    store: Annotated[Path | None, typer.Option("--store", help="amts store file (default: amts.toml, else "
                                               "$AMTS_HOME/amts.sqlite).")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the JSON report here and a readable summary beside it (R.json -> R.md); never over an input or output.")] = None,
    src: SrcOption = None,
    tgt: Annotated[str | None, typer.Option("--tgt", help="Target language (default: amts.toml's, else zh).")] = None,
    glossary: GlossaryOption = None,
    examples: ExamplesOption = None,
    dialect: DialectOption = None,
    config: Annotated[Path | None, typer.Option("--config", help="Book settings (default: amts.toml here or in "
                                                "the book folder).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite outputs edited by hand since amts wrote them.")] = False,
    no_cache: NoCacheOption = False,
) -> None:
    """Sync a translation to a new source version: unchanged paragraphs are kept byte for byte,
    mechanical changes propagated, only changed sentences translated."""
    if src is not None or tgt is not None:  # checked first: a bad tag is reported before any work
        languages(src or "en", [tgt or "zh"])
    if report is not None:
        output_file(report, "--report")
    jobs, skipped = _jobs(old_source, new_source, old_target, out, in_place, source_repo, from_commit,
                          to_commit, target_dir, origin_suffix)
    report_files = report_paths(report, jobs) if report is not None else None
    if len(jobs) == 1 and old_target is not None and old_target.is_file():  # one file: refused, not blocked
        check_pair(parse_markdown(jobs[0].old_source), parse_markdown(read_markdown(jobs[0].old_target)),
                   str(jobs[0].old_target))
    for job in jobs:
        if job.moved_from is not None:
            olds = ", ".join(f"{o['old']} (score {o['score']:.2f})" for o in job.moved_from["olds"])
            say.info(f"restructured: {job.moved_from['new']} carries on {olds}", new=job.moved_from["new"],
                     olds=job.moved_from["olds"])
    for line in skipped:
        say.warning(line, label="skipped")
    if not jobs:
        fail("nothing to sync" + (f" ({len(skipped)} file(s) skipped)" if skipped else ""))
    book = new_source or source_repo or target_dir
    setup = _setup(config, book, src, tgt, engine, parallel_data, glossary, store, examples, dialect)
    setup.cache = not no_cache
    chosen = setup.resolve_dialect(book)  # before the translator: the signature names it
    say.detail(f"Markdown dialect: {chosen.describe()}")
    setup.src, setup.targets = languages(setup.src, setup.targets[:1])
    src, tgt = setup.src, setup.targets[0]
    translator = build_translator(setup, tgt, warn=say.warning, memory_optional=True)
    sync_report = SyncReport(src, tgt, setup.engine_for(tgt), skipped=list(skipped))
    started: list[str] = []

    def step(label: str) -> None:  # called as each file starts: the previous one is done
        if started:
            bar.advance()
        started.append(label)
        bar.working_on(label)
        say.detail(f"syncing {label}")

    try:
        with use_dialect(chosen), guard_outputs([out] if out is not None else [], force=force) as guard, \
                say.progress(len(jobs), "syncing") as bar:
            run_jobs(jobs, translator, sync_report, in_place=in_place or out is None,
                     state=SyncState(setup.store_file), setup=translator.signature, progress=step)
    except (SyncError, EngineError) as error:
        fail(f"{error} (nothing written)")
    finally:
        if translator.engine is not None:
            translator.engine.close()
    if report_files is not None:
        write_report(report_files[0], sync_report.to_json())
        say.detail(f"report written to {report_files[0]} (summary: {report_files[1]})")
    for file_report in sync_report.files:
        if file_report.result is None:
            continue
        for record in file_report.result.records:
            if record.status in ("fuzzy", "untranslated"):
                say.problem(file_report.output, record.output_line, record.status, (record.source_new or "")[:70])
    kept = report_kept(guard)
    say.summary(sync_report.summary_line() + kept + say.problems_note())
    blocked = sync_report.blocked
    if blocked:
        for entry in blocked:
            say.warning(f"{entry['file']}:{entry['line']}: not synced, old translation kept: {entry['reason']}",
                        label="blocked")
        fail(f"{len(blocked)} file(s) blocked, the rest written (see the report)", code=1)


def _jobs(old_source, new_source, old_target, out, in_place, source_repo, from_commit, to_commit,  # noqa: ANN001
          target_dir, origin_suffix):  # noqa: ANN202
    if out is not None and in_place:
        raise SyncError("give either --out or --in-place, not both")
    single_file = source_repo is None and origin_suffix is None and old_target is not None and old_target.is_file()
    if out is not None and single_file and out.is_dir():
        raise SyncError(f"{out}: --out names a folder; give the file to write (e.g. {out / old_target.name})")
    if out is not None and not single_file and out.exists() and not out.is_dir():
        raise SyncError(f"{out}: --out names a file; give a folder for a folder sync")
    if source_repo is not None:
        if not (from_commit and to_commit and target_dir):
            raise SyncError("--source-repo needs --from, --to and --target-dir")
        if not target_dir.is_dir():
            raise SyncError(f"{target_dir}: not a folder")
        if out is None and not in_place:
            raise SyncError("give --out DIR, or --in-place to update --target-dir")
        return git_jobs(source_repo, from_commit, to_commit, target_dir, out, origin_suffix or "_origin")
    if origin_suffix is not None:
        target = target_dir or old_target
        if target is None or new_source is None:
            raise SyncError("--origin-suffix needs --target-dir (or --old-target) and --new-source")
        if not target.exists() or not new_source.exists():
            raise SyncError(f"{target if not target.exists() else new_source}: no such file or directory")
        if out is None and not in_place:
            raise SyncError("give --out, or --in-place to update the targets and their origin files")
        return origin_jobs(target, new_source, origin_suffix, out)
    if old_source is None or new_source is None or old_target is None:
        raise SyncError("give --old-source, --new-source and --old-target (or --source-repo, or --origin-suffix)")
    for path in (old_source, new_source, old_target):
        if not path.exists():
            raise SyncError(f"{path}: no such file or directory")
    if out is None and not in_place:
        raise SyncError("give --out, or --in-place to overwrite --old-target")
    if old_source.is_dir() or new_source.is_dir() or old_target.is_dir():
        if not (old_source.is_dir() and new_source.is_dir() and old_target.is_dir()):
            raise SyncError("--old-source, --new-source and --old-target must all be files or all folders")
        return folder_jobs(old_source, new_source, old_target, out or old_target)
    return [file_job(old_source, new_source, old_target, out or old_target)], []


def _setup(config: Path | None, book: Path | None, src: str | None, tgt: str | None, engine: str | None,
           parallel_data: list[str] | None, glossary: Path | None, store: Path | None, examples: int | None,
           dialect: str | None = None) -> TranslationSetup:
    """The book's amts.toml under the command line's options, as ``translate`` reads it; sync
    translates into one language: ``--tgt``, else the book's only target, else zh."""
    setup = TranslationSetup.from_config(book_config(config, book), src=src, targets=tgt, engine=engine,
                                         parallel_data=parallel_data, glossary=glossary, store=store,
                                         examples=examples, dialect=dialect, default_engine=MEMORY_ENGINE)
    if len(setup.targets) > 1:
        fail(f"amts.toml lists several target languages ({', '.join(setup.targets)}): give --tgt")
    setup.targets = setup.targets or ["zh"]
    return setup


def register(app: typer.Typer) -> None:
    app.command()(sync)
