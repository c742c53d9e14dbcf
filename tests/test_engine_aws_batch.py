"""A whole Amazon Translate batch job with parallel data: Stubber for Translate (validated against the
real API model), moto for S3. A fake "Amazon worker" runs when the job is polled: it reads the HTML
inputs from (moto) S3, translates prose outside ``translate="no"`` spans, and writes ``<tgt>.<file>``
outputs where Amazon does, so upload, create, start, poll, download and rename all run for real."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from amts.adapt.batch import translate_files_with_job
from amts.engines import EngineError, EngineUnavailable
from amts.engines.aws import make_client
from amts.engines.aws_batch import AwsBatchEngine, AwsBatchJob, BatchJobFailed, batch_location
from amts.engines.aws_parallel import publish_parallel_data
from amts.engines.retry import RetryPolicy
from amts.memory.pairs import Pair

BUCKET = "amts-book"
ROLE = "arn:aws:iam::123456789012:role/amts-translate"
FAST = RetryPolicy(attempts=4, base_delay=0.0, max_delay=0.0)
POLL = RetryPolicy(attempts=1, base_delay=0.0, max_delay=0.0, jitter=False, deadline=60)


@pytest.fixture
def aws(aws_env: None):
    with mock_aws():
        s3 = make_client("s3", "us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        translate = make_client("translate", "us-east-1")
        with Stubber(translate) as stubber:
            yield s3, translate, stubber
            stubber.assert_no_pending_responses()


def fake_translate_html(document: str) -> str:
    """Uppercase prose inside each <p>, leave translate="no" spans alone (as Amazon does)."""

    def paragraph(match: re.Match[str]) -> str:
        parts = re.split(r'(<span translate="no"[^>]*>.*?</span>)', match.group(2))
        inner = "".join(p if p.startswith("<span") else html.escape(html.unescape(p).upper(), False) for p in parts)
        return f"{match.group(1)}中:{inner}</p>"

    return re.sub(r"(<p id=\"s\d+\">)(.*?)</p>", paragraph, document, flags=re.S)


class FakeAmazonWorker:
    """Called instead of sleeping between polls: on the first call it 'runs' the job."""

    def __init__(self, s3, job_id: str, targets: list[str], drop: str | None = None) -> None:
        self.s3, self.job_id, self.targets, self.drop = s3, job_id, targets, drop
        self.sleeps = 0

    def __call__(self, seconds: float) -> None:
        self.sleeps += 1
        if self.sleeps > 1:
            return
        listing = self.s3.list_objects_v2(Bucket=BUCKET)
        for item in listing.get("Contents", []):
            key = item["Key"]
            if "/input/" not in key:
                continue
            run, relative = key.split("/input/", 1)
            folder, name = relative.rsplit("/", 1) if "/" in relative else ("", relative)
            body = self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
            for tgt in self.targets:
                if self.drop and relative.startswith(self.drop):
                    continue
                out = f"{run}/output/123456789012-TranslateText-{self.job_id}/"
                out += f"{folder}/" if folder else ""
                self.s3.put_object(Bucket=BUCKET, Key=f"{out}{tgt}.{name}", Body=fake_translate_html(body).encode())
            details = f"{run}/output/123456789012-TranslateText-{self.job_id}/details/zh.auxiliary-translation-details.json"
            self.s3.put_object(Bucket=BUCKET, Key=details, Body=b"{}")


def job_properties(job_id: str, status: str, message: str | None = None) -> dict:
    props = {"JobId": job_id, "JobStatus": status, "SourceLanguageCode": "en", "TargetLanguageCodes": ["zh"]}
    if message:
        props["Message"] = message
    return {"TextTranslationJobProperties": props}


BOOK = {
    "chapter_intro/index.md": (
        "# Introduction\n\n"
        "Deep learning uses :numref:`fig_net` and $x^2$ often.\n"
        "A line that wraps\ninside a paragraph.\n\n"
        "```python\nprint('code stays')\n```\n\n"
        "- A list item with `code`.\n"
    ),
    "chapter_rnn/rnn.md": "Recurrent networks keep a state $h_t$.\n\nThis sentence is in the memory.\n",
}


def test_whole_batch_job_with_parallel_data(aws, tmp_path: Path) -> None:
    s3, translate, stubber = aws
    job_id = "a1b2c3d4"
    pairs = [
        Pair("- Gradient descent\nconverges.", "- 梯度下降收敛。", "en", "zh"),
        Pair("Use the \"loss\".", "使用“损失”。", "en", "zh"),
    ]
    # --- parallel data: upload CSV to S3, then create (it does not exist yet), then wait for ACTIVE
    stubber.add_client_error("get_parallel_data", "ResourceNotFoundException", "no such parallel data", 400)
    stubber.add_client_error("create_parallel_data", "ThrottlingException", "Rate exceeded", 400)
    stubber.add_response(
        "create_parallel_data",
        {"Name": "d2l-en-zh", "Status": "CREATING"},
        expected_params={
            "Name": "d2l-en-zh",
            "ParallelDataConfig": {"S3Uri": f"s3://{BUCKET}/parallel/d2l-en-zh.en-zh.csv", "Format": "CSV"},
            "ClientToken": ANY,
        },
    )
    stubber.add_response("get_parallel_data", {"ParallelDataProperties": {"Name": "d2l-en-zh", "Status": "CREATING"}})
    stubber.add_response("get_parallel_data", {"ParallelDataProperties": {"Name": "d2l-en-zh", "Status": "ACTIVE"}})
    published = publish_parallel_data(
        pairs, "d2l-en-zh", f"s3://{BUCKET}/parallel/", "en", "zh",
        translate=translate, s3=s3, policy=FAST, poll=POLL, sleep=lambda s: None,
    )  # fmt: skip
    assert (published.action, published.status) == ("created", "ACTIVE")
    uploaded = s3.get_object(Bucket=BUCKET, Key="parallel/d2l-en-zh.en-zh.csv")["Body"].read().decode()
    assert list(csv.reader(io.StringIO(uploaded))) == [
        ["en", "zh"],
        ["\\- Gradient descent converges.", "\\- 梯度下降收敛。"],
        ['Use the "loss".', "使用“损失”。"],
    ]

    # --- the batch job: start (throttled once), poll (SUBMITTED, throttled, IN_PROGRESS, COMPLETED)
    stubber.add_client_error("start_text_translation_job", "TooManyRequestsException", "slow down", 429)
    stubber.add_response(
        "start_text_translation_job",
        {"JobId": job_id, "JobStatus": "SUBMITTED"},
        expected_params={
            "JobName": ANY,
            "InputDataConfig": {"S3Uri": ANY, "ContentType": "text/html"},
            "OutputDataConfig": {"S3Uri": ANY},
            "DataAccessRoleArn": ROLE,
            "SourceLanguageCode": "en",
            "TargetLanguageCodes": ["zh"],
            "ParallelDataNames": ["d2l-en-zh"],
            "ClientToken": ANY,
        },
    )
    stubber.add_response("describe_text_translation_job", job_properties(job_id, "SUBMITTED"), {"JobId": job_id})
    stubber.add_client_error("describe_text_translation_job", "ThrottlingException", "Rate exceeded", 400)
    stubber.add_response("describe_text_translation_job", job_properties(job_id, "IN_PROGRESS"), {"JobId": job_id})
    stubber.add_response("describe_text_translation_job", job_properties(job_id, "COMPLETED"), {"JobId": job_id})
    worker = FakeAmazonWorker(s3, job_id, ["zh"])
    job = AwsBatchJob(
        bucket=BUCKET, role_arn=ROLE, prefix="jobs", parallel_data="d2l-en-zh",
        translate=translate, s3=s3, policy=FAST, poll=POLL, sleep=worker,
    )  # fmt: skip

    class Memory:  # one sentence a human already translated: never uploaded
        def exact(self, source: str, src: str, tgt: str) -> str | None:
            return "这句话在记忆中。" if source == "This sentence is in the memory." else None

        def similar(self, source: str, src: str, tgt: str, k: int) -> list:
            return []

    out, raw = tmp_path / "out", tmp_path / "raw"
    result = translate_files_with_job(BOOK, "en", ["zh"], job, out, memory=Memory(), download_to=raw)

    inputs = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="jobs/")["Contents"] if "/input/" in o["Key"]]
    assert sorted(k.split("/input/")[1] for k in inputs) == ["chapter_intro/index.md.html", "chapter_rnn/rnn.md.html"]
    rnn_input = s3.get_object(Bucket=BUCKET, Key=[k for k in inputs if "rnn" in k][0])["Body"].read().decode()
    assert "in the memory" not in rnn_input and 'translate="no"' in rnn_input

    assert result.job.job_id == job_id and result.job.status == "COMPLETED" and not result.problems
    assert sorted(result.job.renamed) == ["chapter_intro/zh.index.md", "chapter_rnn/zh.rnn.md"]
    assert all(f"TranslateText-{job_id}" in key for key in result.job.renamed.values())
    assert (raw / "chapter_intro" / "zh.index.md.html").is_file()  # Amazon's output under our name

    intro = (out / "chapter_intro" / "zh.index.md").read_text()
    assert intro.startswith("# 中:INTRODUCTION\n")
    assert "中:DEEP LEARNING USES :numref:`fig_net` AND $x^2$ OFTEN." in intro
    assert "```python\nprint('code stays')\n```\n" in intro  # code untouched
    assert "- 中:A LIST ITEM WITH `code`." in intro  # list marker outside the segment, code span kept
    rnn = (out / "chapter_rnn" / "zh.rnn.md").read_text()
    assert "中:RECURRENT NETWORKS KEEP A STATE $h_t$." in rnn and "这句话在记忆中。" in rnn
    assert result.counts["memory"] == 1 and result.counts["engine"] >= 5
    assert worker.sleeps >= 2  # polled more than once, with backoff delays in between


def test_lost_output_is_reported_not_guessed(aws, tmp_path: Path) -> None:
    s3, translate, stubber = aws
    stubber.add_response("start_text_translation_job", {"JobId": "j2", "JobStatus": "SUBMITTED"})
    stubber.add_response("describe_text_translation_job", job_properties("j2", "IN_PROGRESS"))
    stubber.add_response(
        "describe_text_translation_job", job_properties("j2", "COMPLETED_WITH_ERROR", "1 document failed")
    )
    worker = FakeAmazonWorker(s3, "j2", ["zh"], drop="chapter_rnn")
    job = AwsBatchJob(bucket=BUCKET, role_arn=ROLE, translate=translate, s3=s3, policy=FAST, poll=POLL, sleep=worker)
    result = translate_files_with_job(BOOK, "en", ["zh"], job, tmp_path)
    assert result.job.missing == ["zh:chapter_rnn/rnn.md"]
    assert result.problems and all("chapter_rnn/zh.rnn.md" in p and "no output" in p for p in result.problems)
    assert (tmp_path / "chapter_rnn" / "zh.rnn.md").read_text() == BOOK["chapter_rnn/rnn.md"]  # source kept


def test_failed_job_is_reported_with_its_message(aws) -> None:
    s3, translate, stubber = aws
    stubber.add_response("start_text_translation_job", {"JobId": "j3", "JobStatus": "SUBMITTED"})
    stubber.add_response(
        "describe_text_translation_job",
        job_properties("j3", "FAILED", "The role does not have access to the S3 input location"),
    )
    job = AwsBatchJob(bucket=BUCKET, role_arn=ROLE, translate=translate, s3=s3, policy=FAST, poll=POLL, sleep=lambda s: None)
    with pytest.raises(BatchJobFailed, match="j3 FAILED: The role does not have access") as failure:
        job.run({"a.md": ["Hello."]}, "en", ["zh"])
    assert isinstance(failure.value, EngineError) and failure.value.status == "FAILED"


def test_parallel_data_update_failure_carries_message(aws) -> None:
    s3, translate, stubber = aws
    stubber.add_response("get_parallel_data", {"ParallelDataProperties": {"Name": "pd", "Status": "ACTIVE"}})
    stubber.add_response("update_parallel_data", {"Name": "pd", "Status": "ACTIVE", "LatestUpdateAttemptStatus": "UPDATING"})
    stubber.add_response(
        "get_parallel_data",
        {"ParallelDataProperties": {"Name": "pd", "Status": "ACTIVE", "LatestUpdateAttemptStatus": "FAILED",
                                    "Message": "Input file has no valid records"}},
    )  # fmt: skip
    with pytest.raises(EngineError, match="no valid records"):
        publish_parallel_data(
            [Pair("One.", "一。", "en", "zh")], "pd", f"s3://{BUCKET}/pd.csv", "en", "zh",
            translate=translate, s3=s3, policy=FAST, poll=POLL, sleep=lambda s: None,
        )  # fmt: skip


def test_batch_location_reads_options_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """One rule for the engine and ``amts job start``: options first, then AMTS_AWS_S3_URI, AMTS_AWS_BUCKET."""
    for name in ("AMTS_AWS_S3_URI", "AMTS_AWS_BUCKET", "AMTS_AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    assert batch_location({}) == ("", "amts", "")
    assert batch_location({"s3_uri": "s3://b/jobs/x/", "role_arn": ROLE}) == ("b", "jobs/x/", ROLE)
    assert batch_location({"bucket": "b", "s3_uri": "s3://other/p/", "role_arn": ROLE}) == ("b", "amts", ROLE)
    assert batch_location({"s3_uri": "s3://b/p/", "prefix": "mine"})[:2] == ("b", "mine")
    monkeypatch.setenv("AMTS_AWS_BUCKET", "env-bucket")
    monkeypatch.setenv("AMTS_AWS_ROLE_ARN", ROLE)
    assert batch_location({}) == ("env-bucket", "amts", ROLE)
    monkeypatch.setenv("AMTS_AWS_S3_URI", "s3://uri-bucket/files/")
    assert batch_location({}) == ("uri-bucket", "files/", ROLE)
    assert batch_location({"s3_uri": "s3://opt/q"})[:2] == ("opt", "q")
    with pytest.raises(EngineError, match="not an S3 URI"):
        batch_location({"s3_uri": "bucket/key"})


def test_batch_engine_takes_its_location_from_options(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AMTS_AWS_S3_URI", "AMTS_AWS_BUCKET", "AMTS_AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(EngineUnavailable, match="bucket"):
        AwsBatchEngine(s3_uri="s3://b/p/")
    engine = AwsBatchEngine(s3_uri="s3://b/p/", role_arn=ROLE, translate=object(), s3=object(), formality="formal")
    assert (engine.job.bucket, engine.job.prefix, engine.job.role_arn) == ("b", "p", ROLE)
    assert engine.job.settings == {"Formality": "FORMAL"}
