"""The job worker: recover what a crash left, then translate (language, document) tasks in processes.

The store is the queue. Each worker process claims one PENDING task at a time and, per document:

1. translates it (engine loaded once per process, parallel data opened read-only once per process);
2. records the output text and its sha256 in the store (task STAGED) -- one transaction;
3. writes the output atomically;
4. marks the task DONE -- one transaction.

A kill at any moment leaves each task in a state a later run handles without translating twice or
rewriting a finished output: RUNNING (nothing recorded) is queued again; STAGED is finished from the
stored text, and its output is left untouched when it already exists with the recorded hash.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from amts.adapt.setup import runs_as_job
from amts.document.dialects import use_dialect
from amts.engines import Engine
from amts.jobs.locations import Location, content_hash, open_location
from amts.jobs.model import (
    COMPLETED,
    COMPLETED_WITH_ERROR,
    DONE,
    ERROR,
    FAILED,
    IN_PROGRESS,
    PENDING,
    RUNNING,
    STAGED,
    STOPPED,
    TERMINAL_STATES,
    JobSpec,
    Task,
    one_line,
    task_notes,
)
from amts.jobs.store import HEARTBEAT_SECONDS, JobStore

Log = Callable[[str], None]


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_job(job_id: str, store_path: Path | str, log: Log | None = None) -> str:
    """Run (or finish) a job in this process and its worker processes; return its final state."""
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    pid = os.getpid()
    store = JobStore(store_path)
    try:
        job = store.get(job_id)
        job_id = job.id
        if not store.claim_job(job.id, pid):
            log(f"job {job.id} already has a live worker (pid {store.get(job.id).worker_pid}); leaving it")
            return store.get(job.id).state
        if job.state in TERMINAL_STATES and not store.tasks(job.id, (PENDING, RUNNING, STAGED)):
            return job.state
        requeued = store.requeue_interrupted(job.id)
        output = open_location(job.spec.output, job.spec.endpoint_url)
        finished = finish_staged(store, job.id, output)
        if requeued or finished:
            log(f"recovered: {requeued} interrupted task(s) queued again, {finished} recorded output(s) finished")
        for task in store.tasks(job.id, (PENDING,)):
            output.remove_partial(task.output)
        with store.transaction():
            store.update_job(job.id, state=IN_PROGRESS, started=job.started or time.time(), finished=None)
        pending = len(store.tasks(job.id, (PENDING,)))
        workers = min(job.spec.workers or default_workers(), max(pending, 1))
        codes: list[int | None] = []
        if pending and not store.stop_requested(job.id):
            log(f"job {job.id}: {pending} task(s) on {workers} worker process(es)")
            store.close()  # never share a SQLite connection across fork
            if runs_as_job(job.spec.engine):  # one service batch job per language pair, in this process
                from amts.jobs.cloud import run_cloud

                codes = run_cloud(job.id, Path(store_path), log)
            else:
                codes = _run_processes(job.id, Path(store_path), workers)
            store = JobStore(store_path)
        state = _final_state(store, job.id, codes)
        log(f"job {job.id}: {state}")
        return state
    except BaseException as error:
        with JobStore(store_path) as failing, failing.transaction():
            failing.update_job(job_id, state=FAILED, error=one_line(error), finished=time.time())
        raise
    finally:
        store.close()


def finish_staged(store: JobStore, job_id: str, output: Location) -> int:
    """Complete tasks whose translation was recorded but whose DONE mark was not, without re-translating.

    An output that already exists with the recorded hash is not rewritten; otherwise it is written
    from the recorded text.
    """
    count = 0
    for task in store.tasks(job_id, (STAGED,)):
        if output.hash_of(task.output) != task.content_hash:
            text = store.staged_text(task.id)
            if text is None:  # cannot happen short of manual edits: translate again rather than lose it
                store.requeue_interrupted(job_id)
                continue
            output.remove_partial(task.output)
            output.write_text(task.output, text)
        store.finish_task(task.id)
        count += 1
    return count


def _run_processes(job_id: str, store_path: Path, workers: int) -> list[int | None]:
    """Fork the worker processes, heartbeat until they are done, return their exit codes."""
    context = multiprocessing.get_context("fork")
    parent = os.getpid()
    processes = [
        context.Process(target=_worker_main, args=(job_id, str(store_path), parent), daemon=False)
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    with JobStore(store_path) as store:
        alive = list(processes)
        while alive:
            multiprocessing.connection.wait([p.sentinel for p in alive], timeout=HEARTBEAT_SECONDS)
            store.heartbeat(job_id, parent)
            alive = [p for p in alive if p.exitcode is None]
    return [p.exitcode for p in processes]


def _final_state(store: JobStore, job_id: str, codes: list[int | None]) -> str:
    counts: dict[str, int] = {}
    for per_state in store.state_counts(job_id).values():
        for state, n in per_state.items():
            counts[state] = counts.get(state, 0) + n
    unfinished = counts.get(PENDING, 0) + counts.get(RUNNING, 0) + counts.get(STAGED, 0)
    error = None
    if unfinished and store.stop_requested(job_id):
        state = STOPPED
    elif unfinished:
        state = FAILED
        bad = [code for code in codes if code]
        error = f"{unfinished} task(s) left unfinished; worker exit codes {bad or codes}; run `amts job resume`"
    elif counts.get(ERROR, 0) == 0:
        state = COMPLETED
    elif counts.get(DONE, 0):
        state = COMPLETED_WITH_ERROR
        error = f"{counts[ERROR]} document(s) failed"
    else:
        state = FAILED
        first = store.tasks(job_id, (ERROR,))[0]
        error = f"every document failed, e.g. {first.document} ({first.lang}): {first.error}"
    with store.transaction():
        store.update_job(job_id, state=state, error=error, finished=time.time())
    return state


# -- inside each worker process ---------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the job worker dies, so no orphan writes after a kill -9."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _worker_main(job_id: str, store_path: str, parent: int) -> None:
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    store = JobStore(store_path)
    try:
        spec = store.get(job_id).spec
        Worker(spec, store, store_path).run(job_id)
    except BaseException:
        traceback.print_exc()
        os._exit(3)
    finally:
        store.close()


class Worker:
    """One process: engine and parallel data loaded once, then tasks until the queue is empty."""

    def __init__(self, spec: JobSpec, store: JobStore, store_path: str) -> None:
        self.spec = spec
        self.store = store
        self.store_path = store_path
        self.source = open_location(spec.input, spec.endpoint_url)
        self.output = open_location(spec.output, spec.endpoint_url)
        self.translators: dict[str, object] = {}
        self.dialect = spec.markdown_dialect()
        self.engines: dict[str, Engine] = {}

    def run(self, job_id: str) -> None:
        pid = os.getpid()
        while not self.store.stop_requested(job_id):
            task = self.store.claim_task(job_id, pid)
            if task is None:
                return
            try:
                self.process(task, pid)
            except Exception as error:  # this document failed; the job goes on
                self.store.fail_task(task.id, one_line(error))

    def process(self, task: Task, pid: int) -> None:
        from amts.adapt.documents import translate_file

        translator = self.translator(task.lang)
        text = self.source.read_text(task.document)
        with use_dialect(self.dialect):  # as recorded when the job started
            output, results = translate_file(task.document, text, translator, self.spec.src, task.lang)  # type: ignore[arg-type]
        notes: list[str] = []
        counts: Counter[str] = Counter()
        for result in results:  # one per document, one per Markdown cell of a notebook
            notes += task_notes(result)
            counts.update(result.counts)
        if not self.store.stage_task(task.id, pid, output, content_hash(output), dict(counts), notes):
            return  # no longer ours (cannot happen while the job has one worker)
        self.output.write_text(task.output, output)
        self.store.finish_task(task.id)

    def translator(self, lang: str) -> object:
        """The adaptive translator for ``lang``; a load error is remembered and fails each task quickly."""
        if lang not in self.translators:
            try:
                self.translators[lang] = self._build(lang)
            except Exception as error:
                self.translators[lang] = error
        found = self.translators[lang]
        if isinstance(found, Exception):
            raise found
        return found

    def _build(self, lang: str) -> object:
        from amts.adapt.setup import MEMORY_ENGINE, SetupError, build_translator, load_engine

        setup = self.spec.setup(self.store_path)
        name = setup.engine_for(lang)
        engine = None
        if name != MEMORY_ENGINE:
            if name not in self.engines:  # one engine per process and name, shared by the language pairs
                self.engines[name] = load_engine(setup, lang)
            engine = self.engines[name]
            if not engine.supports(setup.src, lang):
                raise SetupError(f"engine {name!r} cannot translate {setup.src}->{lang}")
        return build_translator(setup, lang, engine=engine)

