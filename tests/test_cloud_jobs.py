"""Batch jobs that never pay twice and never fail for Amazon's own limits: a worker killed between
StartTextTranslationJob and recording its job id starts no second Amazon job (the ClientToken is
derived from the amts job, the pair and the run); Amazon's limit of running jobs is a queue; expired
credentials say to resume. Against the local protocol server (which honours ClientToken like Amazon)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cloud_fixtures import ROLE, Cloud, cloud  # noqa: F401 - the fixture
from jobs_helpers import amts, process_gone, status, wait_until

from amts.jobs import log_path
from amts.jobs.cloud import FAULT_VARIABLE

BOOK = {"intro.md": "# Introduction\n\nDeep learning is fun.\n", "part/one.md": "Networks keep a state.\n"}


def start(book: Path, out: Path) -> str:
    return amts("job", "start", str(book), "--engine", "aws-batch", "--tgt", "zh", "--tgt", "es", "--out", str(out),
                "--s3", "s3://amts-book/jobs/", "--role-arn", ROLE, "--poll", "0.05").stdout.strip()  # fmt: skip


def make_book(root: Path) -> Path:
    for relative, text in BOOK.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def written(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md"))


def test_killed_between_start_and_record_reattaches_to_one_amazon_job(
    cloud: Cloud, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    cloud.s3.create_bucket(Bucket="amts-book")
    cloud.translate.list_hidden = True  # the new job is not listed yet: only the token can recognise it
    monkeypatch.setenv(FAULT_VARIABLE, "after-job-start")  # the worker dies right after its first start
    book, out = make_book(tmp_path / "book"), tmp_path / "out"
    job_id = start(book, out)
    assert process_gone(status(job_id)["worker_pid"], timeout=60)
    remote = status(job_id)["remote"]
    assert remote and not any(r["remote_id"] for r in remote.values())  # the job id was never recorded
    started = {j.props["JobId"] for j in cloud.translate.jobs.values()}
    assert started  # ... but Amazon started the job(s)
    monkeypatch.delenv(FAULT_VARIABLE)
    amts("job", "resume", job_id)
    assert amts("job", "wait", job_id, check=False).returncode == 0
    assert len(cloud.translate.jobs) == 2  # one Amazon job per language pair, never a second one
    ids = {lang: r["remote_id"] for lang, r in status(job_id)["remote"].items()}
    assert started <= set(ids.values()) == set(cloud.translate.jobs)  # reattached to those started
    tokens = cloud.translate.sent("StartTextTranslationJob", "ClientToken")
    assert len(set(tokens)) == 2 and len(tokens) > 2  # the start was repeated with the same token
    assert written(out) == ["es.intro.md", "part/es.one.md", "part/zh.one.md", "zh.intro.md"]


def test_running_jobs_limit_waits_for_a_slot(cloud: Cloud, store: Path, tmp_path: Path) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="amts-book")
    cloud.translate.hold_jobs(10, seconds=1.0)  # the account's 10 slots, taken until a moment after a refusal
    book, out = make_book(tmp_path / "book"), tmp_path / "out"
    job_id = start(book, out)
    assert amts("job", "wait", job_id, check=False).returncode == 0
    info = status(job_id)
    assert info["state"] == "COMPLETED" and not info["errors"]
    assert "limit of running jobs is reached: waiting" in log_path(store, job_id).read_text(encoding="utf-8")
    assert cloud.translate.calls.count("StartTextTranslationJob") > 2  # refused, waited, started
    assert len(cloud.translate.jobs) == 12 and written(out) == [
        "es.intro.md", "part/es.one.md", "part/zh.one.md", "zh.intro.md"]


def test_expired_credentials_say_resume_and_resume_pays_once(cloud: Cloud, store: Path, tmp_path: Path) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="amts-book")
    cloud.translate.job_seconds = 3600  # Amazon takes its time
    book, out = make_book(tmp_path / "book"), tmp_path / "out"
    job_id = start(book, out)
    wait_until(lambda: len(status(job_id)["remote"]) == 2 and all(
        r["remote_id"] for r in status(job_id)["remote"].values()), what="both Amazon jobs started")
    cloud.translate.expired.add("testing")  # the session's credentials expire while Amazon works
    wait_until(lambda: status(job_id)["state"] not in ("IN_PROGRESS", "PENDING"), timeout=60, what="job failed")
    errors = status(job_id)["errors"]
    assert errors and all(f"amts job resume {job_id}" in e["error"] for e in errors)
    cloud.translate.expired.clear()
    cloud.translate.job_seconds = 0.3
    amts("job", "resume", job_id)
    assert amts("job", "wait", job_id, check=False).returncode == 0
    assert cloud.translate.calls.count("StartTextTranslationJob") == 2  # reattached, nothing paid twice
    assert len(written(out)) == 4
