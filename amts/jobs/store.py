"""Job state in the shared amts SQLite store, in tables of its own (``batch_jobs``, ``batch_tasks``).

Every change to a task is one short ``BEGIN IMMEDIATE`` transaction, so any number of worker processes
(and ``amts job status`` readers) share the file safely: WAL journal, generous busy timeout.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from amts.database import connect, migrate, write
from amts.jobs.model import (
    ACTIVE_STATES,
    DONE,
    ERROR,
    PENDING,
    RUNNING,
    STAGED,
    SUBMITTED,
    Job,
    JobError,
    JobSpec,
    Task,
)

#: a worker whose heartbeat is older than this is considered dead even if its pid exists (pid reuse, hang)
HEARTBEAT_STALE_SECONDS = 20.0
HEARTBEAT_SECONDS = 1.0

_SCHEMA = """
CREATE TABLE batch_jobs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    started REAL,
    finished REAL,
    worker_pid INTEGER,
    heartbeat REAL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    skipped TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE batch_tasks (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    lang TEXT NOT NULL,
    document TEXT NOT NULL,
    output TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    error TEXT,
    content_hash TEXT,
    staged_text TEXT,
    translations INTEGER NOT NULL DEFAULT 0,
    counts TEXT NOT NULL DEFAULT '{}',
    notes TEXT NOT NULL DEFAULT '[]',
    pid INTEGER,
    started REAL,
    finished REAL,
    UNIQUE (job_id, lang, document)
);
CREATE INDEX batch_tasks_queue ON batch_tasks (job_id, state, seq);
"""



def _schema_v1(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _schema_v2(db: sqlite3.Connection) -> None:
    """Remote runs: the cloud job that translates one language pair of a job (``--engine aws-batch``)."""
    db.execute(
        """CREATE TABLE batch_remote (
            job_id TEXT NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
            lang TEXT NOT NULL,
            run_key TEXT NOT NULL,
            remote_id TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            documents TEXT NOT NULL DEFAULT '[]',
            characters INTEGER NOT NULL DEFAULT 0,
            details TEXT NOT NULL DEFAULT '{}',
            updated REAL NOT NULL,
            PRIMARY KEY (job_id, lang)
        )"""
    )


_TASK_COLUMNS = (
    "id, job_id, seq, lang, document, output, size, state, error, content_hash, translations, counts, notes, "
    "pid, started, finished"
)
_JOB_COLUMNS = (
    "id, spec, state, created, updated, started, finished, worker_pid, heartbeat, stop_requested, error, skipped"
)


def pid_alive(pid: int | None) -> bool:
    """Whether ``pid`` is a running (not zombie) process."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed child not yet reaped by its parent still answers kill(0): look at its state
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def worker_alive(job: Job, now: float | None = None) -> bool:
    """An active job's worker is alive if its pid runs and its heartbeat is recent."""
    if job.worker_pid is None or not pid_alive(job.worker_pid):
        return False
    now = time.time() if now is None else now
    return job.heartbeat is not None and now - job.heartbeat < HEARTBEAT_STALE_SECONDS


class JobStore:
    """Jobs and their tasks in the amts store file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = connect(self.path, busy_timeout_ms=60_000, threads=True)
        migrate(self.db, "jobs", [_schema_v1, _schema_v2])

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so concurrent writers queue instead of deadlocking.

        Nested uses join the outer transaction."""
        with write(self.db):
            yield self.db

    # -- jobs -------------------------------------------------------------------------------------
    def create_job(self, spec: JobSpec, documents: Sequence[tuple[str, int]], skipped: Sequence[str] = ()) -> Job:
        """A SUBMITTED job with one PENDING task per (language, document); largest documents first."""
        from amts.jobs.locations import output_relative

        job_id = uuid.uuid4().hex[:12]
        now = time.time()
        order = sorted(documents, key=lambda item: (-item[1], item[0]))
        with self.transaction() as db:
            db.execute(
                "INSERT INTO batch_jobs (id, name, spec, state, created, updated, skipped) VALUES (?,?,?,?,?,?,?)",
                (job_id, spec.name, spec.to_json(), SUBMITTED, now, now, json.dumps(list(skipped))),
            )
            rows = []
            for position, (document, size) in enumerate(order):
                for lang_index, lang in enumerate(spec.tgts):
                    seq = position * len(spec.tgts) + lang_index  # language pairs interleave
                    rows.append((job_id, seq, lang, document, output_relative(document, lang), size, PENDING))
            db.executemany(
                "INSERT INTO batch_tasks (job_id, seq, lang, document, output, size, state) VALUES (?,?,?,?,?,?,?)",
                rows,
            )
        return self.get(job_id)

    def resolve(self, job_id: str) -> str:
        """A job id from a full id, a unique prefix of one, or a job name."""
        rows = self.db.execute(
            "SELECT id FROM batch_jobs WHERE id = ? OR id LIKE ? OR name = ? ORDER BY created",
            (job_id, job_id.replace("%", "").replace("_", "") + "%", job_id),
        ).fetchall()
        ids = [r[0] for r in rows]
        if job_id in ids:
            return job_id
        if not ids or not job_id:
            raise JobError(f"no job {job_id!r} in {self.path}")
        if len(ids) > 1:
            raise JobError(f"{job_id!r} matches {len(ids)} jobs: {', '.join(ids[:5])}; give more of the id")
        return ids[0]

    def get(self, job_id: str) -> Job:
        job_id = self.resolve(job_id)
        row = self.db.execute(f"SELECT {_JOB_COLUMNS} FROM batch_jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row)

    def jobs(self) -> list[Job]:
        rows = self.db.execute(f"SELECT {_JOB_COLUMNS} FROM batch_jobs ORDER BY created").fetchall()
        return [_job(r) for r in rows]

    def update_job(self, job_id: str, **fields: object) -> None:
        fields["updated"] = time.time()
        names = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE batch_jobs SET {names} WHERE id = ?", (*fields.values(), job_id))

    def claim_job(self, job_id: str, pid: int) -> bool:
        """Make ``pid`` the job's worker unless another live worker already owns it."""
        with self.transaction():
            job = self.get(job_id)
            if job.worker_pid not in (None, pid) and worker_alive(job):
                return False
            self.update_job(job_id, worker_pid=pid, heartbeat=time.time())
            return True

    def heartbeat(self, job_id: str, pid: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE batch_jobs SET heartbeat = ? WHERE id = ? AND worker_pid = ?", (time.time(), job_id, pid)
            )

    def stop_requested(self, job_id: str) -> bool:
        row = self.db.execute("SELECT stop_requested FROM batch_jobs WHERE id = ?", (job_id,)).fetchone()
        return bool(row and row[0])

    # -- tasks ------------------------------------------------------------------------------------
    def tasks(self, job_id: str, states: Sequence[str] | None = None) -> list[Task]:
        query = f"SELECT {_TASK_COLUMNS} FROM batch_tasks WHERE job_id = ?"
        args: list[object] = [job_id]
        if states:
            query += f" AND state IN ({','.join('?' * len(states))})"
            args.extend(states)
        return [_task(r) for r in self.db.execute(query + " ORDER BY seq", args).fetchall()]

    def state_counts(self, job_id: str) -> dict[str, Counter[str]]:
        """``{lang: Counter(task state -> documents)}``."""
        counts: dict[str, Counter[str]] = {}
        for lang, state, n in self.db.execute(
            "SELECT lang, state, COUNT(*) FROM batch_tasks WHERE job_id = ? GROUP BY lang, state", (job_id,)
        ):
            counts.setdefault(lang, Counter())[state] = n
        return counts

    def staged_text(self, task_id: int) -> str | None:
        row = self.db.execute("SELECT staged_text FROM batch_tasks WHERE id = ?", (task_id,)).fetchone()
        return row[0] if row else None

    def claim_task(self, job_id: str, pid: int) -> Task | None:
        """The next PENDING task, now RUNNING for ``pid``; None when the queue is empty."""
        with self.transaction() as db:
            row = db.execute(
                "SELECT id FROM batch_tasks WHERE job_id = ? AND state = ? ORDER BY seq LIMIT 1", (job_id, PENDING)
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE batch_tasks SET state = ?, pid = ?, started = ?, error = NULL WHERE id = ?",
                (RUNNING, pid, time.time(), row[0]),
            )
            return _task(db.execute(f"SELECT {_TASK_COLUMNS} FROM batch_tasks WHERE id = ?", row).fetchone())

    def stage_task(
        self, task_id: int, pid: int, text: str, content_hash: str, counts: dict[str, int], notes: list[str]
    ) -> bool:
        """Record a finished translation *before* its output is written (false if the task was taken away)."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE batch_tasks SET state = ?, staged_text = ?, content_hash = ?, counts = ?, notes = ?, "
                "translations = translations + 1 WHERE id = ? AND state = ? AND pid = ?",
                (STAGED, text, content_hash, json.dumps(counts), json.dumps(notes), task_id, RUNNING, pid),
            )
            return cursor.rowcount == 1

    def finish_task(self, task_id: int) -> None:
        """The output is written: mark done and drop the staged copy."""
        with self.transaction() as db:
            db.execute(
                "UPDATE batch_tasks SET state = ?, staged_text = NULL, finished = ? WHERE id = ? AND state = ?",
                (DONE, time.time(), task_id, STAGED),
            )

    def fail_task(self, task_id: int, error: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE batch_tasks SET state = ?, error = ?, staged_text = NULL, finished = ? WHERE id = ?",
                (ERROR, error, time.time(), task_id),
            )

    def requeue_interrupted(self, job_id: str) -> int:
        """Tasks whose worker died before recording a translation go back to the queue."""
        with self.transaction() as db:
            return db.execute(
                "UPDATE batch_tasks SET state = ?, pid = NULL, started = NULL WHERE job_id = ? AND state = ?",
                (PENDING, job_id, RUNNING),
            ).rowcount

    def claim_language(self, job_id: str, lang: str, pid: int) -> list[Task]:
        """Every PENDING task of one language, now RUNNING for ``pid`` (a cloud run takes them together)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE batch_tasks SET state = ?, pid = ?, started = ?, error = NULL "
                "WHERE job_id = ? AND lang = ? AND state = ?",
                (RUNNING, pid, time.time(), job_id, lang, PENDING),
            )
        return [t for t in self.tasks(job_id, (RUNNING,)) if t.lang == lang and t.pid == pid]

    def release(self, task_ids: Sequence[int]) -> None:
        """Tasks a stopped run did not finish go back to the queue."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE batch_tasks SET state = ?, pid = NULL, started = NULL WHERE id = ? AND state = ?",
                [(PENDING, task_id, RUNNING) for task_id in task_ids],
            )

    def remote(self, job_id: str, lang: str) -> dict | None:
        """The recorded cloud run of ``lang`` (run_key, remote_id, state, message, documents...), or None."""
        row = self.db.execute(
            "SELECT run_key, remote_id, state, message, documents, characters, details, updated "
            "FROM batch_remote WHERE job_id = ? AND lang = ?",
            (job_id, lang),
        ).fetchone()
        if row is None:
            return None
        keys = ("run_key", "remote_id", "state", "message", "documents", "characters", "details", "updated")
        record = dict(zip(keys, row, strict=True))
        record["documents"] = json.loads(record["documents"])
        record["details"] = json.loads(record["details"])
        return record

    def remotes(self, job_id: str) -> dict[str, dict]:
        langs = [r[0] for r in self.db.execute("SELECT lang FROM batch_remote WHERE job_id = ?", (job_id,))]
        return {lang: record for lang in langs if (record := self.remote(job_id, lang)) is not None}

    def set_remote(self, job_id: str, lang: str, **fields: object) -> None:
        """Create or update the cloud run record of ``lang`` (one transaction)."""
        values = {k: json.dumps(v) if k in ("documents", "details") else v for k, v in fields.items()}
        values["updated"] = time.time()
        with self.transaction() as db:
            exists = db.execute(
                "SELECT 1 FROM batch_remote WHERE job_id = ? AND lang = ?", (job_id, lang)
            ).fetchone()
            if exists:
                names = ", ".join(f"{name} = ?" for name in values)
                db.execute(
                    f"UPDATE batch_remote SET {names} WHERE job_id = ? AND lang = ?", (*values.values(), job_id, lang)
                )
            else:
                values.setdefault("run_key", "")
                values.setdefault("state", "")
                names = ", ".join(["job_id", "lang", *values])
                marks = ", ".join("?" * (len(values) + 2))
                db.execute(f"INSERT INTO batch_remote ({names}) VALUES ({marks})", (job_id, lang, *values.values()))

    def retry_failed(self, job_id: str) -> int:
        with self.transaction() as db:
            return db.execute(
                "UPDATE batch_tasks SET state = ?, error = NULL, pid = NULL, started = NULL, finished = NULL "
                "WHERE job_id = ? AND state = ?",
                (PENDING, job_id, ERROR),
            ).rowcount


def is_active(job: Job) -> bool:
    return job.state in ACTIVE_STATES


def _job(row: tuple) -> Job:
    (job_id, spec, state, created, updated, started, finished, pid, heartbeat, stop, error, skipped) = row
    return Job(
        job_id, JobSpec.from_json(spec), state, created, updated, started, finished, pid, heartbeat,
        bool(stop), error, json.loads(skipped),
    )


def _task(row: tuple) -> Task:
    values = list(row)
    values[11] = json.loads(values[11])
    values[12] = json.loads(values[12])
    return Task(*values)
