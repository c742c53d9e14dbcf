"""``amts job``: batch translation jobs that run in the background and survive a crash."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from amts.adapt.setup import TranslationSetup, runs_as_job
from amts.cli.common import DialectOption, ExamplesOption, GlossaryOption, NoCacheOption, fail, languages
from amts.cli.console import out as say
from amts.config import book_config
from amts.home import store_path
from amts.jobs import (
    ACTIVE_STATES,
    COMPLETED,
    Job,
    JobError,
    JobSpec,
    JobStore,
    log_path,
    resume_job,
    start_job,
    stop_job,
    worker_alive,
)
from amts.jobs.model import DONE, ERROR, PENDING, RUNNING, STAGED

job_app = typer.Typer(help="Batch translation jobs: start, watch, stop and resume.", no_args_is_help=True)

StoreOption = typer.Option(None, "--store", help="The amts store file (default: $AMTS_HOME/amts.sqlite).")
JobIdArgument = typer.Argument(..., help="Job id (or a unique prefix, or its name).")


def _open(explicit: Path | None) -> JobStore:
    path = store_path(explicit)
    if not path.exists():
        fail(f"no amts store at {path}: no jobs yet")
    return JobStore(path)


def _get(store: JobStore, job_id: str) -> Job:
    return store.get(job_id)


def _when(stamp: float | None) -> str:
    return datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M:%S") if stamp else "-"


def _shown_state(job: Job) -> str:
    if job.state in ACTIVE_STATES and not worker_alive(job):
        return f"{job.state} (worker dead: amts job resume {job.id})"
    if job.state in ACTIVE_STATES and job.stop_requested:
        return f"{job.state} (stopping)"
    return job.state


def status_dict(store: JobStore, job: Job) -> dict:
    """The job's status as JSON-ready data (what ``amts job status --json`` prints)."""
    tasks = store.tasks(job.id)
    languages: dict[str, dict] = {}
    for lang in job.spec.tgts:
        mine = [t for t in tasks if t.lang == lang]
        sentences: dict[str, int] = {}
        for task in mine:
            for status, n in task.counts.items():
                sentences[status] = sentences.get(status, 0) + n
        languages[lang] = {
            "input_documents": len(mine),
            "translated_documents": sum(t.state == DONE for t in mine),
            "documents_with_errors": sum(t.state == ERROR for t in mine),
            "in_progress": sum(t.state in (RUNNING, STAGED) for t in mine),
            "pending": sum(t.state == PENDING for t in mine),
            "sentences": sentences,
        }
    return {
        "id": job.id,
        "name": job.name,
        "state": job.state,
        "worker_alive": worker_alive(job) if job.state in ACTIVE_STATES else None,
        "worker_pid": job.worker_pid,
        "stop_requested": job.stop_requested,
        "error": job.error,
        "spec": json.loads(job.spec.to_json()),
        "created": job.created,
        "started": job.started,
        "finished": job.finished,
        "languages": languages,
        "skipped": job.skipped,
        "errors": [{"lang": t.lang, "document": t.document, "error": t.error} for t in tasks if t.state == ERROR],
        "documents": [
            {"lang": t.lang, "document": t.document, "output": t.output, "state": t.state,
             "content_hash": t.content_hash, "sentences": t.counts, "error": t.error}
            for t in tasks
        ],
        "log": str(log_path(store.path, job.id)),
        "remote": {
            lang: {k: record[k] for k in ("remote_id", "run_key", "state", "message", "characters", "details")}
            for lang, record in store.remotes(job.id).items()
        },
    }


def start(
    input: Annotated[str, typer.Argument(help="Folder (or file) of Markdown documents, or s3://bucket/prefix/.")],
    tgt: Annotated[list[str] | None, typer.Option("--tgt", help="Target language; repeat for several "
                                                  "(default: amts.toml).")] = None,
    src: str | None = typer.Option(None, "--src", help="Source language (default: amts.toml, else en)."),
    engine: str | None = typer.Option(None, "--engine", help="Engine name; 'memory' uses the parallel data only "
                                      "(default: amts.toml)."),
    out: str | None = typer.Option(None, "--out", help="Output folder or s3://bucket/prefix/: "
                                   "<out>/<rel dir>/<tgt>.<name> (default: amts.toml)."),
    parallel_data: list[str] | None = typer.Option(  # noqa: B008
        None, "--parallel-data", help="Parallel-data resource in the store (repeat for several language pairs; "
        "default: amts.toml)."
    ),
    glossary: GlossaryOption = None,
    examples: ExamplesOption = None,
    dialect: DialectOption = None,
    config: Path | None = typer.Option(None, "--config", help="Book settings (default: amts.toml here or in the "
                                       "input folder)."),
    name: str = typer.Option("", "--name", help="A name for the job (usable instead of its id)."),
    workers: int = typer.Option(0, "--workers", help="Worker processes (default: one per core)."),
    endpoint_url: str = typer.Option(None, "--s3-endpoint", help="S3 endpoint URL (default: boto3's own)."),
    s3: str = typer.Option(None, "--s3", help="aws-batch: s3://bucket/prefix/ for the Amazon jobs' files."),
    role_arn: str = typer.Option(None, "--role-arn", help="aws-batch: IAM role Amazon Translate assumes for S3."),
    region: str = typer.Option(None, "--region", help="aws-batch: AWS Region (default: boto3's)."),
    profile: str = typer.Option(None, "--profile", help="aws-batch: AWS profile (default: boto3's chain)."),
    terminology: str = typer.Option(None, "--terminology", help="aws-batch: custom terminology name on Amazon."),
    poll: float | None = typer.Option(None, "--poll", help="aws-batch: first seconds between status checks (default 10; grows to 120)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="aws-batch: print what would be sent and billed; start nothing."),
    store: Path = StoreOption,
    no_cache: NoCacheOption = False,
) -> None:
    """Start a job and return at once; it runs in a background worker process.

    With ``--engine aws-batch`` each language pair is one Amazon Translate batch job (with that pair's
    ``--parallel-data``, published by ``amts pd publish``); the characters to be billed are printed first.
    """
    local = None if input.startswith("s3://") else Path(input)
    book = book_config(config, local)
    setup = TranslationSetup.from_config(book, src=src, targets=tgt, engine=engine, parallel_data=parallel_data,
                                         glossary=glossary, store=store, examples=examples, dialect=dialect,
                                         default_engine="", cache=not no_cache)
    chosen = setup.resolve_dialect(local)  # recorded in the job: every worker parses the same way
    say.detail(f"Markdown dialect: {chosen.describe()}")
    if setup.targets:
        setup.src, setup.targets = languages(setup.src, setup.targets)
    if not all(setup.engine_for(lang) for lang in setup.targets) or not setup.targets and not setup.engine:
        fail("no engine: give --engine or set book.engine in amts.toml")
    out = out or (str(book.out) if book.out else None)
    if out is None:
        fail("no output folder: give --out or set book.out in amts.toml")
    engine, store = setup.engine, setup.store
    batch_engine = runs_as_job(engine)
    if batch_engine:
        given = {"s3_uri": s3, "role_arn": role_arn, "region": region, "profile": profile,
                 "terminology": terminology, "poll": poll}
        options = {k: v for k, v in given.items() if v not in (None, "")}
        setup.engine_options.setdefault(engine, {}).update(options)
    spec = JobSpec.from_setup(setup, input, out, workers=workers, name=name, endpoint_url=endpoint_url)
    if batch_engine:
        _print_billing(spec, store_path(store))
        if dry_run:
            say.summary("dry run: nothing uploaded, no job started")
            return
    elif dry_run:
        fail("--dry-run prints what Amazon would bill: it is for --engine aws-batch")
    job = start_job(store_path(store), spec, warn=say.warning)
    with JobStore(store_path(store)) as jobs:
        tasks = len(jobs.tasks(job.id))
    say.info(f"started job {job.id} ({tasks} tasks, worker pid {job.worker_pid}); watch: amts job wait {job.id}")
    for skipped in job.skipped[:10]:
        say.warning(f"{skipped} (not Markdown)", label="skipped")
    if say.json:
        say.emit("job", id=job.id, tasks=tasks, worker_pid=job.worker_pid)
    else:
        say.data(job.id)


def _print_billing(spec: JobSpec, store_path: Path) -> None:
    """Per language pair: documents, sentences and characters that go to Amazon (and are billed)."""
    from amts.jobs.cloud import estimate
    from amts.jobs.control import check_setup, validate_spec

    try:
        validate_spec(spec)
        check_setup(store_path, spec)
        estimates = estimate(spec, store_path)
    except (JobError, OSError) as error:
        fail(str(error).splitlines()[0] if str(error) else type(error).__name__)
    total = 0
    for found in estimates:
        total += found.characters
        steering = f", parallel data {found.parallel_data[0]}" if found.parallel_data else ""
        say.info(
            f"{spec.src}->{found.lang}: {found.characters:,} characters to be billed "
            f"({found.sentences:,} sentence(s) in {found.documents:,} document(s){steering})",
            lang=found.lang, characters=found.characters, sentences=found.sentences, documents=found.documents,
            costs=found.costs,
        )
        say.info(f"{spec.src}->{found.lang}: {_costs_line(found)}", lang=found.lang, costs=found.costs)
    say.summary(
        f"total: {total:,} characters billed by Amazon Translate (sentences with an exact memory match are not sent; "
        "jobs with parallel data are billed at the Active Custom Translation rate)"
    )


def _costs_line(found: Any) -> str:
    """The estimated cost of one pair in each mode it can run in, with the price table's date."""
    from amts.engines.aws_prices import PRICES_DATE, usd

    standard = f"{usd(found.costs['standard'])} standard ({found.standard_characters:,} characters, no parallel data)"
    dated = f"prices of {PRICES_DATE}, override with [engine.aws-batch] prices in amts.toml"
    if "active_custom_translation" not in found.costs:
        return f"estimated {standard}; {dated}"
    active = usd(found.costs["active_custom_translation"])
    return f"estimated {active} with parallel data (Active Custom Translation rate), {standard}; {dated}"


def status(
    job_id: str = JobIdArgument,
    as_json: bool = typer.Option(False, "--json", help="Print the full status as JSON."),
    store: Path = StoreOption,
) -> None:
    """Show a job's state, per-language document counts and errors."""
    with _open(store) as jobs:
        job = _get(jobs, job_id)
        info = status_dict(jobs, job)
    if as_json:
        say.data(json.dumps(info, indent=2, ensure_ascii=False))
        return
    spec = job.spec
    say.data(f"job {job.id} {job.name}".rstrip())
    say.data(f"state     {_shown_state(job)}")
    say.data(f"engine    {spec.engine}" + (f" + parallel data {', '.join(spec.parallel_data)}" if spec.parallel_data else ""))
    say.data(f"input     {spec.input} ({spec.src})")
    say.data(f"output    {spec.output}")
    say.data(f"created   {_when(job.created)}  started {_when(job.started)}  finished {_when(job.finished)}")
    rows = []
    for lang, counts in info["languages"].items():
        sentences = ", ".join(f"{n} {s}" for s, n in sorted(counts["sentences"].items())) or "-"
        rows.append((f"{spec.src}->{lang}", counts["input_documents"], counts["translated_documents"],
                     counts["documents_with_errors"], counts["in_progress"], counts["pending"], sentences))
    say.table(("language", "documents", "translated", "with errors", "in progress", "pending", "sentences"), rows)
    for lang, remote in info.get("remote", {}).items():
        line = f"amazon    {spec.src}->{lang}: job {remote['remote_id'] or '(starting)'} {remote['state']}"
        line += f", {remote['characters']:,} characters"
        say.data(line + (f" - {remote['message']}" if remote["message"] else ""))
    if job.error:
        say.data(f"error: {job.error}")
    for item in info["errors"][:20]:
        say.data(f"{item['document']}: failed: {item['lang']}: {item['error']}")
    if len(info["errors"]) > 20:
        say.data(f"... and {len(info['errors']) - 20} more (amts job status {job.id} --json)")


def list_jobs(store: Path = StoreOption) -> None:
    """List jobs, oldest first."""
    path = store_path(store)
    if not path.exists():
        say.info("no jobs")
        return
    rows = []
    with JobStore(path) as jobs:
        for job in jobs.jobs():
            counts = jobs.state_counts(job.id)
            done = sum(c.get(DONE, 0) for c in counts.values())
            failed = sum(c.get(ERROR, 0) for c in counts.values())
            total = sum(sum(c.values()) for c in counts.values())
            rows.append((job.id, job.name, _shown_state(job), f"{job.spec.src}->{','.join(job.spec.tgts)}",
                         f"{done}/{total}", failed, _when(job.created)))
    say.table(("id", "name", "state", "languages", "done", "failed", "created"), rows)


def wait(
    job_id: str = JobIdArgument,
    interval: float = typer.Option(0.5, "--interval", help="Seconds between polls."),
    store: Path = StoreOption,
) -> None:
    """Follow a job with a progress bar until it ends; exit 0 only if it COMPLETED."""
    with _open(store) as jobs:
        job = _get(jobs, job_id)
        total = len(jobs.tasks(job.id))
        with say.progress(total, f"job {job.id}") as bar:
            while True:
                job = jobs.get(job.id)
                counts = jobs.state_counts(job.id)
                finished = sum(c.get(DONE, 0) + c.get(ERROR, 0) for c in counts.values())
                failed = sum(c.get(ERROR, 0) for c in counts.values())
                label = f"{job.state.lower()}" + (f" ({failed} failed)" if failed else "")
                remote = jobs.remotes(job.id)
                if remote:  # aws-batch: where each language's Amazon job is
                    label += " [" + ", ".join(f"{lang} {r['state'].lower()}" for lang, r in sorted(remote.items())) + "]"
                bar.update(finished, label)
                if job.state not in ACTIVE_STATES:
                    break
                if not worker_alive(job):
                    fail(f"job {job.id}: its worker died (pid {job.worker_pid}); run: amts job resume {job.id}", 1)
                time.sleep(interval)
    if job.state != COMPLETED:
        fail(f"job {job.id} ended {job.state}" + (f": {job.error}" if job.error else ""), 1)
    say.summary(f"job {job.id} COMPLETED: {finished} document translation(s) in {job.spec.output}")


def stop(job_id: str = JobIdArgument, store: Path = StoreOption) -> None:
    """Stop a job after the documents being translated now; resume it later with ``amts job resume``."""
    job = stop_job(store_path(store), job_id)  # a JobError is an AmtsError: the CLI prints it as one line
    if job.state in ACTIVE_STATES:
        say.summary(f"job {job.id}: stop requested; the worker stops after its current documents")
    else:
        say.summary(f"job {job.id}: {job.state}")


def resume(job_id: str = JobIdArgument, store: Path = StoreOption) -> None:
    """Finish a stopped, failed or crashed job; finished documents are not translated or written again."""
    job = resume_job(store_path(store), job_id)  # a JobError is an AmtsError: the CLI prints it as one line
    say.info(f"resumed job {job.id} (worker pid {job.worker_pid}); watch: amts job wait {job.id}")
    say.data(job.id)


def register(app: typer.Typer) -> None:
    job_app.command()(start)
    job_app.command()(status)
    job_app.command("list")(list_jobs)
    job_app.command()(wait)
    job_app.command()(stop)
    job_app.command()(resume)
    app.add_typer(job_app, name="job")
