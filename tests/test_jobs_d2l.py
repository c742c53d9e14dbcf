"""The whole English D2L book to two languages, with a kill -9 of the worker half-way and a resume."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from jobs_helpers import amts, process_gone, status, wait_until

from amts.jobs import JobStore, worker_alive
from amts.jobs.model import DONE, RUNNING
from amts.jobs.store import HEARTBEAT_STALE_SECONDS


@pytest.mark.d2l
@pytest.mark.slow
def test_d2l_job_killed_and_resumed(d2l: Path, tmp_path: Path, store: Path, check_structure) -> None:
    src = d2l / "en-master"
    sources = sorted(p.relative_to(src) for p in src.rglob("*.md"))
    assert len(sources) == 191
    out = tmp_path / "out"
    job_id = amts("job", "start", str(src), "--tgt", "zh", "--tgt", "es", "--engine", "pseudo", "--out", str(out),
                  "--workers", "2").stdout.strip()
    jobs = JobStore(store)

    def done() -> int:
        return sum(c.get(DONE, 0) for c in jobs.state_counts(job_id).values())

    wait_until(lambda: done() >= 60, timeout=300, what="60 documents done")
    job = jobs.get(job_id)
    children = {t.pid for t in jobs.tasks(job_id, (RUNNING,))}
    os.kill(job.worker_pid, signal.SIGKILL)
    assert process_gone(job.worker_pid) and all(process_gone(pid) for pid in children)

    finished_before = {t.output: t for t in jobs.tasks(job_id, (DONE,))}
    assert 60 <= len(finished_before) < 382, "the kill must land mid-way"
    before = {output: (out / output).stat() for output in finished_before}
    assert not worker_alive(jobs.get(job_id)), f"a dead worker is seen at once, not after {HEARTBEAT_STALE_SECONDS}s"
    assert status(job_id)["worker_alive"] is False

    amts("job", "resume", job_id)
    amts("job", "wait", job_id)

    info = status(job_id)
    assert info["state"] == "COMPLETED" and info["error"] is None
    for lang in ("zh", "es"):
        assert info["languages"][lang]["translated_documents"] == 191
    expected = {rel.parent / f"{lang}.{rel.name}" for rel in sources for lang in ("zh", "es")}
    written = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    assert written == expected  # every output present, no duplicates, no leftover temp files
    for output, stat in before.items():  # outputs finished before the kill were not rewritten
        now = (out / output).stat()
        assert (now.st_ino, now.st_mtime_ns, now.st_size) == (stat.st_ino, stat.st_mtime_ns, stat.st_size), output
    tasks = jobs.tasks(job_id)
    assert all(t.translations == 1 for t in tasks)  # no document translated twice
    from amts.jobs.locations import content_hash

    for task in tasks[::17]:
        assert content_hash((out / task.output).read_text(encoding="utf-8")) == task.content_hash
    jobs.close()
    for lang in ("zh", "es"):
        check = check_structure(src, out, lang)
        assert check.returncode == 0, check.stdout + check.stderr
