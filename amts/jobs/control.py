"""Starting, resuming and stopping jobs: the calls behind ``amts job``; the work runs in a detached worker."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from amts.adapt.setup import runs_as_job
from amts.jobs.locations import open_location
from amts.jobs.model import ACTIVE_STATES, TERMINAL_STATES, Job, JobError, JobSpec, JobState
from amts.jobs.store import JobStore, worker_alive


def log_path(store_path: Path, job_id: str) -> Path:
    """Where a job's worker writes its log: beside the store, ``jobs/<id>.log``."""
    return Path(store_path).parent / "jobs" / f"{job_id}.log"


def spawn_worker(store_path: Path, job_id: str) -> int:
    """Start ``python -m amts.jobs.worker`` detached from this terminal; return its pid."""
    log = log_path(store_path, job_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "amts.jobs.worker", job_id, "--store", str(Path(store_path).resolve())],
            stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )
    return process.pid


def validate_spec(spec: JobSpec) -> None:
    if not spec.tgts:
        raise JobError("give at least one target language (--tgt)")
    if spec.src in spec.tgts:
        raise JobError(f"target language {spec.src!r} is the source language")
    if len(set(spec.tgts)) != len(spec.tgts):
        raise JobError("a target language is given twice")
    if spec.workers < 0:
        raise JobError("--workers must be at least 1")


def check_setup(store_path: Path, spec: JobSpec, warn: Callable[[str], None] | None = None) -> None:
    """Engines exist; parallel data and glossary exist and fit the job's languages (as translate checks)."""
    from amts.adapt.setup import MEMORY_ENGINE
    from amts.adapt.setup import check_setup as check
    from amts.errors import InputError

    setup = spec.setup(store_path)
    if not spec.parallel_data and any(setup.engine_for(tgt) == MEMORY_ENGINE for tgt in spec.tgts):
        raise JobError("engine 'memory' translates from parallel data only: give --parallel-data")
    try:
        check(setup, warn=warn)
    except InputError as error:  # the setup's or the glossary file's one-line reason
        raise JobError(str(error)) from None


def start_job(store_path: Path, spec: JobSpec, *, spawn: bool = True, warn: Callable[[str], None] | None = None) -> Job:
    """Validate the spec, list the input, record the job with its tasks and start its worker.

    ``warn``: told about amts.toml settings that cannot be used yet (as ``translate`` warns)."""
    validate_spec(spec)
    check_setup(store_path, spec, warn)
    if not spec.input.startswith("s3://"):
        spec.input = str(Path(spec.input).expanduser().resolve())
    if not spec.output.startswith("s3://"):
        spec.output = str(Path(spec.output).expanduser().resolve())
    try:
        documents, skipped = open_location(spec.input, spec.endpoint_url).documents(exclude=[spec.output])
        open_location(spec.output, spec.endpoint_url).check_writable()
    except JobError:
        raise
    except Exception as error:  # missing folder, unknown bucket, no credentials, ...
        raise JobError(str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    if not documents:
        raise JobError(f"{spec.input}: no Markdown files found")
    if runs_as_job(spec.engine):
        from amts.jobs.cloud import preflight

        preflight(spec, store_path)
    with JobStore(store_path) as store:
        job = store.create_job(spec, documents, skipped)
        if spawn:
            with store.transaction():
                store.update_job(job.id, worker_pid=spawn_worker(store_path, job.id), heartbeat=time.time())
        return store.get(job.id)


def resume_job(store_path: Path, job_id: str, *, spawn: bool = True) -> Job:
    """Start a new worker for a job that is not finished and has no live worker.

    Tasks a crash interrupted are queued again, recorded translations are finished without
    re-translating, and documents that failed are tried once more (their input may have been fixed).
    """
    with JobStore(store_path) as store:
        with store.transaction():
            job = store.get(job_id)
            if job.state == JobState.COMPLETED:
                raise JobError(f"job {job.id} is already COMPLETED")
            if job.state in ACTIVE_STATES and worker_alive(job):
                raise JobError(f"job {job.id} is {job.state} with a live worker (pid {job.worker_pid})")
            store.retry_failed(job.id)
            # spawned inside the transaction: a concurrent resume waits, then sees this live worker
            pid = spawn_worker(store_path, job.id) if spawn else None
            store.update_job(
                job.id, state=JobState.SUBMITTED, stop_requested=0, error=None, finished=None, worker_pid=pid,
                heartbeat=time.time(),
            )
        return store.get(job.id)


def stop_job(store_path: Path, job_id: str) -> Job:
    """Ask the worker to stop after the documents it is translating; a job without a live worker stops now."""
    with JobStore(store_path) as store:
        with store.transaction():
            job = store.get(job_id)
            if job.state in TERMINAL_STATES:
                raise JobError(f"job {job.id} is already {job.state}")
            if worker_alive(job):
                store.update_job(job.id, stop_requested=1)
            else:
                store.update_job(job.id, stop_requested=1, state=JobState.STOPPED, finished=time.time())
        return store.get(job.id)
