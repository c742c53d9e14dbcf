"""The original cloud pipeline from the command line, against the local servers (Amazon Translate
protocol server + moto S3): publish parallel data, publish a glossary, start a two-language batch job
(one Amazon job per language pair, in parallel), wait, outputs renamed to ``<dir>/<lang>.<file>``.
The job worker is the real detached process; it reaches the servers through boto3's endpoint settings."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from cloud_fixtures import ROLE, Cloud, cloud  # noqa: F401 - the fixture
from jobs_helpers import amts, process_gone, status, wait_until

from amts.jobs import JobStore
from amts.memory import Pair, write_pairs

BOOK = {
    "intro/index.md": (
        "# Introduction\n\n"
        "Deep learning is fun.\n"
        "It uses $x^2$ and `code`.\n\n"
        "```python\nprint('code stays')\n```\n"
    ),
    "rnn/rnn.md": "Recurrent networks keep a state $h_t$.\n\nThis sentence is in the memory.\n",
}
PAIRS = {
    "zh": [Pair("Deep learning is fun.", "深度学习很有趣。", "en", "zh"),
           Pair("This sentence is in the memory.", "这句话在记忆中。", "en", "zh"),
           Pair("- a list item", "- 列表项", "en", "zh")],
    "es": [Pair("Deep learning is fun.", "El aprendizaje profundo es divertido.", "en", "es"),
           Pair("This sentence is in the memory.", "Esta frase está en la memoria.", "en", "es")],
}  # fmt: skip


def make_book(root: Path) -> Path:
    for relative, text in BOOK.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def publish_both(tmp_path: Path) -> None:
    for lang, pairs in PAIRS.items():
        write_pairs(pairs, tmp_path / f"{lang}.csv")
        amts("pd", "create", f"d2l-en-{lang}", "--file", str(tmp_path / f"{lang}.csv"))
        published = amts("pd", "publish", f"d2l-en-{lang}", "--s3", "s3://amts-book/parallel/", "--poll", "0.05")
        assert f"created d2l-en-{lang} (en->{lang}) on Amazon Translate: ACTIVE" in published.stderr


def job_args(book: Path, out: Path, *extra: str) -> list[str]:
    return [
        "job", "start", str(book), "--engine", "aws-batch", "--tgt", "zh", "--tgt", "es",
        "--parallel-data", "d2l-en-zh", "--parallel-data", "d2l-en-es", "--out", str(out),
        "--s3", "s3://amts-book/jobs/", "--role-arn", ROLE, "--poll", "0.05", *extra,
    ]  # fmt: skip


def test_whole_cloud_pipeline(cloud: Cloud, store: Path, tmp_path: Path) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="amts-book")
    publish_both(tmp_path)
    zh_csv = cloud.s3.get_object(Bucket="amts-book", Key="parallel/d2l-en-zh.en-zh.csv")["Body"].read().decode()
    assert "\\- a list item,\\- 列表项" in zh_csv  # Amazon's CSV rules applied, and said so:
    again = amts("pd", "publish", "d2l-en-zh", "--s3", "s3://amts-book/parallel/", "--poll", "0.05")
    assert "fields escaped" in again.stderr and "updated d2l-en-zh" in again.stderr

    listed = amts("pd", "list", "--aws")
    assert "d2l-en-zh" in listed.stdout and "d2l-en-es" in listed.stdout and "ACTIVE" in listed.stdout
    described = amts("pd", "describe", "d2l-en-zh", "--aws")
    assert "s3://amts-book/parallel/d2l-en-zh.en-zh.csv" in described.stdout and "3 imported" in described.stdout

    (tmp_path / "terms.csv").write_text("en,zh\nnetworks,网络\n", encoding="utf-8")
    terms = amts("glossary", "publish", "d2l-terms", "--file", str(tmp_path / "terms.csv"))
    assert "imported terminology d2l-terms (en->zh): 1 terms" in terms.stderr

    book, out = make_book(tmp_path / "book"), tmp_path / "out"
    dry = amts(*job_args(book, out, "--dry-run"))
    # the memory answers 2 of 5 zh/es sentences: only the other 3 (and their characters) are billed
    assert "en->zh: 68 characters to be billed (3 sentence(s) in 2 document(s), parallel data d2l-en-zh)" in dry.stderr
    assert "total: 136 characters" in dry.stderr and "dry run" in dry.stderr
    assert "StartTextTranslationJob" not in cloud.translate.calls and not out.exists()

    job_id = amts(*job_args(book, out)).stdout.strip()
    waited = amts("job", "wait", job_id, check=False)
    assert waited.returncode == 0, waited.stderr
    info = status(job_id)
    assert info["state"] == "COMPLETED" and not info["errors"]
    assert {lang: r["state"] for lang, r in info["remote"].items()} == {"zh": "COMPLETED", "es": "COMPLETED"}
    assert {lang: r["characters"] for lang, r in info["remote"].items()} == {"zh": 68, "es": 68}

    # one Amazon job per language pair, each with its own parallel data, running at the same time
    jobs = {j.props["TargetLanguageCodes"][0]: j.props for j in cloud.translate.jobs.values()}
    assert sorted(jobs) == ["es", "zh"] and cloud.translate.calls.count("StartTextTranslationJob") == 2
    assert jobs["zh"]["ParallelDataNames"] == ["d2l-en-zh"] and jobs["es"]["ParallelDataNames"] == ["d2l-en-es"]
    assert jobs["zh"]["SubmittedTime"] < jobs["es"]["EndTime"] and jobs["es"]["SubmittedTime"] < jobs["zh"]["EndTime"]

    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md"))
    assert written == ["intro/es.index.md", "intro/zh.index.md", "rnn/es.rnn.md", "rnn/zh.rnn.md"]
    assert (out / "intro/zh.index.md").read_text() == (
        "# [中] Introduction\n\n深度学习很有趣。\n[中] It uses $x^2$ and `code`.\n\n```python\nprint('code stays')\n```\n"
    )
    assert (out / "rnn/es.rnn.md").read_text() == (
        "[es] Recurrent networks keep a state $h_t$.\n\nEsta frase está en la memoria.\n"
    )
    sent = [
        cloud.s3.get_object(Bucket="amts-book", Key=item["Key"])["Body"].read().decode()
        for item in cloud.s3.list_objects_v2(Bucket="amts-book", Prefix="jobs/")["Contents"]
        if "/input/" in item["Key"]
    ]
    assert len(sent) == 4 and not any("in the memory" in body for body in sent)  # never sent, never billed
    shown = amts("job", "status", job_id)
    assert "amazon    en->zh: job" in shown.stdout and "COMPLETED, 68 characters" in shown.stdout


def test_killed_worker_reattaches_and_stop_stops_amazon(cloud: Cloud, store: Path, tmp_path: Path) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="amts-book")
    publish_both(tmp_path)
    book, out = make_book(tmp_path / "book"), tmp_path / "out"
    cloud.translate.job_seconds = 3600  # Amazon takes its time
    job_id = amts(*job_args(book, out)).stdout.strip()
    wait_until(lambda: len(status(job_id)["remote"]) == 2 and all(
        r["remote_id"] for r in status(job_id)["remote"].values()), what="both Amazon jobs started")
    pid = status(job_id)["worker_pid"]
    os.kill(pid, signal.SIGKILL)  # the machine dies while Amazon works
    assert process_gone(pid)
    cloud.translate.job_seconds = 0.3  # Amazon finishes meanwhile
    amts("job", "resume", job_id)
    assert amts("job", "wait", job_id, check=False).returncode in (0, 1)
    wait_until(lambda: status(job_id)["state"] != "IN_PROGRESS", what="job end")
    # the resumed worker re-attached to the two running Amazon jobs: nothing was started (or paid) twice
    assert cloud.translate.calls.count("StartTextTranslationJob") == 2

    # stop: the Amazon jobs are stopped, the tasks wait for resume
    cloud.translate.job_seconds = 3600
    second = amts(*job_args(book, tmp_path / "out2")).stdout.strip()
    wait_until(lambda: all(r["remote_id"] for r in status(second)["remote"].values())
               and len(status(second)["remote"]) == 2, what="Amazon jobs submitted")
    amts("job", "stop", second)
    wait_until(lambda: status(second)["state"] == "STOPPED", what="stopped")
    assert cloud.translate.calls.count("StopTextTranslationJob") == 2
    assert {r["state"] for r in status(second)["remote"].values()} == {"STOPPED"}
    cloud.translate.job_seconds = 0.3
    amts("job", "resume", second)
    assert amts("job", "wait", second, check=False).returncode == 0
    assert (tmp_path / "out2" / "rnn" / "zh.rnn.md").is_file()


def test_job_with_a_lost_document_and_one_line_failures(
    cloud: Cloud, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    cloud.s3.create_bucket(Bucket="amts-book")
    cloud.s3.create_bucket(Bucket="far-away", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    publish_both(tmp_path)
    book, out = make_book(tmp_path / "book"), tmp_path / "out"
    cloud.translate.failing_documents.add("rnn/")
    # the Amazon settings from the book's amts.toml instead of options
    (book / "amts.toml").write_text(
        f'[engine.aws-batch]\ns3_uri = "s3://amts-book/jobs/"\nrole_arn = "{ROLE}"\npoll = 0.05\n', encoding="utf-8"
    )
    job_id = amts("job", "start", str(book), "--engine", "aws-batch", "--tgt", "zh", "--tgt", "es",
                  "--parallel-data", "d2l-en-zh", "--parallel-data", "d2l-en-es", "--out", str(out)).stdout.strip()
    assert status(job_id)["spec"]["engine_options"]["s3_uri"] == "s3://amts-book/jobs/"
    assert amts("job", "wait", job_id, check=False).returncode == 1
    info = status(job_id)
    assert info["state"] == "COMPLETED_WITH_ERROR"
    assert {(e["lang"], e["document"]) for e in info["errors"]} == {("zh", "rnn/rnn.md"), ("es", "rnn/rnn.md")}
    assert all("COMPLETED_WITH_ERROR returned no output for this document" in e["error"] for e in info["errors"])
    assert not (out / "rnn" / "zh.rnn.md").exists() and (out / "intro" / "zh.index.md").is_file()
    cloud.translate.failing_documents.clear()
    amts("job", "resume", job_id)
    assert amts("job", "wait", job_id, check=False).returncode == 0
    assert (out / "rnn" / "zh.rnn.md").is_file()  # sent again in a new Amazon job for that document only

    refused = amts("pd", "publish", "d2l-en-zh", "--s3", "s3://far-away/pd/", check=False)
    assert refused.returncode != 0 and "far-away is in eu-west-1" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    (book / "amts.toml").unlink()
    no_role = amts("job", "start", str(book), "--engine", "aws-batch", "--tgt", "zh", "--out", str(out), check=False)
    assert no_role.returncode == 2 and "--s3 s3://bucket/prefix/" in no_role.stderr

    cloud.translate.expired.add("testing")
    started = time.monotonic()
    expired = amts("pd", "list", "--aws", check=False)
    assert expired.returncode == 3 and "ExpiredTokenException" in expired.stderr
    assert len(expired.stderr.strip().splitlines()) == 1 and time.monotonic() - started < 5
    late = amts(*job_args(book, tmp_path / "out3"), check=False)
    assert late.returncode == 2 and "ExpiredTokenException" in late.stderr
    assert len(JobStore(store).jobs()) == 1  # the refused job was never recorded


def test_dry_run_prices_each_pair_in_both_modes(store: Path, tmp_path: Path) -> None:
    """With parallel data fewer characters are sent but at the Active Custom Translation rate: the dry
    run shows both costs, from the dated price table, which the book's amts.toml can override."""
    for lang, pairs in PAIRS.items():
        write_pairs(pairs, tmp_path / f"{lang}.csv")
        amts("pd", "create", f"d2l-en-{lang}", "--file", str(tmp_path / f"{lang}.csv"))
    book = make_book(tmp_path / "book")
    dry = amts(*job_args(book, tmp_path / "out", "--dry-run"))
    # zh: 68 characters with parallel data; without it 120: the 2 sentences the memory answered (52) are sent too
    assert "en->zh: 68 characters to be billed" in dry.stderr
    assert ("en->zh: estimated USD 0.0041 with parallel data (Active Custom Translation rate), "
            "USD 0.0018 standard (120 characters, no parallel data); prices of 2026-12-04") in dry.stderr
    (book / "amts.toml").write_text(
        "[engine.aws-batch]\nprices = { standard = 1000000.0, active_custom_translation = 2000000.0 }\n",
        encoding="utf-8",
    )
    priced = amts(*job_args(book, tmp_path / "out", "--dry-run"))
    assert "en->es: estimated USD 136.00 with parallel data (Active Custom Translation rate), USD 120.00 standard" in priced.stderr
    (book / "amts.toml").write_text("[engine.aws-batch]\nprices = { premium = 1.0 }\n", encoding="utf-8")
    bad = amts(*job_args(book, tmp_path / "out", "--dry-run"), check=False)
    assert bad.returncode == 2 and "prices: unknown mode 'premium'" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
