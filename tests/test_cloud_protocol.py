"""amts's Amazon Translate code over real HTTP: boto3 -> our Translate protocol server, which reads and
writes moto's S3 server. Signing, JSON serialisation, error parsing, pagination and amts's retries run
for real; each failure path Amazon documents is provoked on the wire."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cloud_fixtures import ROLE, Cloud, cloud  # noqa: F401 - the fixture

from amts.adapt.batch import translate_files_with_job
from amts.engines import EngineError, EngineUnavailable, Request
from amts.engines.aws import AwsTranslateEngine, import_terminology, make_client
from amts.engines.aws_batch import AwsBatchJob, BatchJobFailed, job_name
from amts.engines.aws_parallel import list_parallel_data, publish_parallel_data
from amts.engines.retry import RetryPolicy
from amts.errors import AmtsError
from amts.memory.pairs import Pair

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
POLL = RetryPolicy(base_delay=0.05, max_delay=0.1, jitter=False, deadline=30)
PAIRS = [
    Pair("Deep learning is fun.", "深度学习很有趣。", "en", "zh"),
    Pair("- a list item", "- 列表项", "en", "zh"),
    Pair("Deep learning is fun.", "El aprendizaje profundo es divertido.", "en", "es"),
]


def publish(name: str, uri: str, **options: object):
    return publish_parallel_data(PAIRS, name, uri, "en", "zh", policy=FAST, poll=POLL, **options)


def test_publish_create_then_update_through_throttling(cloud: Cloud) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="pd-data")
    cloud.translate.fail_next("CreateParallelData", "TooManyRequestsException", "Rate exceeded", status=429)
    created = publish("d2l-en-zh", "s3://pd-data/parallel/")
    assert (created.action, created.status) == ("created", "ACTIVE")
    assert cloud.translate.calls.count("CreateParallelData") == 2  # throttled once, retried
    assert created.properties["ImportedRecordCount"] == 2 and created.report.escaped == 2
    body = cloud.s3.get_object(Bucket="pd-data", Key="parallel/d2l-en-zh.en-zh.csv")["Body"].read().decode()
    assert body.splitlines()[2] == "\\- a list item,\\- 列表项"
    updated = publish("d2l-en-zh", "s3://pd-data/parallel/")
    assert (updated.action, updated.status) == ("updated", "ACTIVE")
    assert [p["Name"] for p in list_parallel_data(make_client("translate"), FAST)] == ["d2l-en-zh"]


def test_list_parallel_data_follows_next_token(cloud: Cloud) -> None:  # noqa: F811
    for i in range(7):
        cloud.translate.parallel_data[f"pd-{i}"] = {"Name": f"pd-{i}", "Status": "ACTIVE"}
    client = make_client("translate")
    original = client.list_parallel_data
    pages: list[int] = []

    def small_pages(**params: object) -> dict:
        answer = original(**{**params, "MaxResults": 3})
        pages.append(len(answer["ParallelDataPropertiesList"]))
        return answer

    client.list_parallel_data = small_pages
    assert [p["Name"] for p in list_parallel_data(client, FAST)] == [f"pd-{i}" for i in range(7)]
    assert pages == [3, 3, 1]


def test_failed_import_carries_amazon_message(cloud: Cloud) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="pd-data")
    cloud.translate.import_failure = "Input file has no valid records"
    with pytest.raises(EngineError, match="failed to import: Input file has no valid records"):
        publish("broken", "s3://pd-data/")


def test_bucket_in_another_region_is_refused_before_upload(cloud: Cloud) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="far-away", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with pytest.raises(EngineError, match="far-away is in eu-west-1 but Amazon Translate is called in us-east-1"):
        publish("d2l", "s3://far-away/pd/")
    assert "CreateParallelData" not in cloud.translate.calls
    assert "Contents" not in cloud.s3.list_objects_v2(Bucket="far-away")


def test_expired_credentials_fail_at_once(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    cloud.translate.expired.add("session-of-yesterday")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-of-yesterday")
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="refused the credentials \\(ExpiredTokenException\\)") as error:
        list_parallel_data(make_client("translate"), FAST)
    assert isinstance(error.value, AmtsError) and time.monotonic() - started < 3
    assert cloud.translate.calls == ["ListParallelData"]  # not retried


def test_wrong_secret_is_a_signature_error(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(EngineUnavailable, match="InvalidSignatureException"):
        list_parallel_data(make_client("translate"), FAST)


def test_unreachable_endpoint_fails_fast(monkeypatch: pytest.MonkeyPatch, aws_env: None) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSLATE", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="cannot reach http://127.0.0.1"):
        list_parallel_data(make_client("translate"), RetryPolicy(attempts=5, base_delay=1.0))
    assert time.monotonic() - started < 3


def test_no_credentials_is_one_line(monkeypatch: pytest.MonkeyPatch, no_aws_credentials: None) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="no AWS credentials"):
        list_parallel_data(make_client("translate"), FAST)
    assert time.monotonic() - started < 3


BOOK = {
    "intro/index.md": "# Introduction\n\nDeep learning is fun.\nIt uses $x^2$ and `code`.\n",
    "rnn/rnn.md": "Recurrent networks keep a state $h_t$.\n\nThis sentence is in the memory.\n",
}


class Memory:
    def exact(self, source: str, src: str, tgt: str) -> str | None:
        return "这句话在记忆中。" if source == "This sentence is in the memory." else None

    def similar(self, source: str, src: str, tgt: str, k: int) -> list:
        return []


def test_batch_job_with_parallel_data_over_http(cloud: Cloud, tmp_path: Path) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="book")
    publish("d2l-en-zh", "s3://book/parallel/")
    cloud.translate.fail_next("StartTextTranslationJob", "TooManyRequestsException", "slow down", status=429)
    cloud.translate.fail_next("DescribeTextTranslationJob", "ThrottlingException", "Rate exceeded")
    job = AwsBatchJob(bucket="book", role_arn=ROLE, prefix="jobs", parallel_data="d2l-en-zh", policy=FAST, poll=POLL)
    result = translate_files_with_job(BOOK, "en", ["zh"], job, tmp_path / "out", memory=Memory())
    assert result.job.status == "COMPLETED" and not result.problems
    assert cloud.translate.calls.count("StartTextTranslationJob") == 2
    assert sorted(result.job.renamed) == ["intro/zh.index.md", "rnn/zh.rnn.md"]
    intro = (tmp_path / "out" / "intro" / "zh.index.md").read_text()
    # the parallel data's own pair steered the output (active custom translation); structure kept
    assert intro == "# [中] Introduction\n\n深度学习很有趣。\n[中] It uses $x^2$ and `code`.\n"
    rnn = (tmp_path / "out" / "rnn" / "zh.rnn.md").read_text()
    assert "这句话在记忆中。" in rnn
    inputs = [k["Key"] for k in cloud.s3.list_objects_v2(Bucket="book", Prefix="jobs/")["Contents"] if "/input/" in k["Key"]]
    sent = "".join(cloud.s3.get_object(Bucket="book", Key=k)["Body"].read().decode() for k in inputs)
    assert "in the memory" not in sent  # a human translation is never sent
    described = job.find(job_name(inputs[0].split("/input/")[0]))
    assert [j["JobStatus"] for j in described] == ["COMPLETED"]


def test_completed_with_error_reports_lost_documents(cloud: Cloud, tmp_path: Path) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="book")
    cloud.translate.failing_documents.add("rnn/")
    job = AwsBatchJob(bucket="book", role_arn=ROLE, policy=FAST, poll=POLL)
    result = translate_files_with_job(BOOK, "en", ["zh"], job, tmp_path)
    assert result.job.status == "COMPLETED_WITH_ERROR" and result.job.missing == ["zh:rnn/rnn.md"]
    assert result.problems and all("rnn/zh.rnn.md" in p and "no output" in p for p in result.problems)
    assert (tmp_path / "rnn" / "zh.rnn.md").read_text() == BOOK["rnn/rnn.md"]  # source kept, reported


def test_failed_job_and_stop(cloud: Cloud) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="book")
    job = AwsBatchJob(bucket="book", role_arn="arn:aws:iam::123456789012:role/no-access", policy=FAST, poll=POLL)
    with pytest.raises(BatchJobFailed, match="FAILED: Amazon Translate could not assume the role"):
        job.run({"a.md": ["Hello."]}, "en", ["zh"])
    cloud.translate.job_seconds = 30
    job = AwsBatchJob(bucket="book", role_arn=ROLE, policy=FAST, poll=POLL)
    submission = job.submit({"a.md": ["Hello."]}, "en", ["zh"])
    details = job.wait(submission.job_id, should_stop=lambda: True)
    assert details["JobStatus"] == "STOPPED" and "StopTextTranslationJob" in cloud.translate.calls


def test_unknown_parallel_data_and_unsupported_pair(cloud: Cloud) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="book")
    job = AwsBatchJob(bucket="book", role_arn=ROLE, parallel_data="missing", policy=FAST, poll=POLL)
    with pytest.raises(EngineError, match="ResourceNotFoundException.*missing could not be found"):
        job.submit({"a.md": ["Hello."]}, "en", ["zh"])
    with pytest.raises(EngineError, match="UnsupportedLanguagePairException"):
        AwsBatchJob(bucket="book", role_arn=ROLE, policy=FAST).submit({"a.md": ["Hi."]}, "en", ["hi"])


def test_terminology_and_realtime_in_flight(cloud: Cloud) -> None:  # noqa: F811
    report = import_terminology("d2l-terms", {"tensor": "张量", "-bad": "x"}, "en", "zh", policy=FAST)
    assert report.terms == 1 and report.properties["TermCount"] == 1 and report.skipped[0][0] == "-bad"
    cloud.translate.latency = 0.1
    cloud.translate.fail_next("TranslateText", "TooManyRequestsException", "slow down", status=429)
    engine = AwsTranslateEngine(terminology="d2l-terms", concurrency=8, policy=FAST)
    texts = [f"A tensor {{1}} number {i}." for i in range(24)]
    started = time.monotonic()
    out = engine.translate([Request(t) for t in texts], "en", "zh")
    elapsed = time.monotonic() - started
    assert out == [f"[中] A 张量 {{1}} number {i}." for i in range(24)]  # order kept, span kept
    assert cloud.translate.max_in_flight >= 4 and elapsed < 24 * 0.1 / 2
    with pytest.raises(EngineError, match="TextSizeLimitExceededException|exceeds TranslateText"):
        engine.translate([Request("word " * 2500)], "en", "zh")


def test_realtime_throttling_retry_after_holds_all_requests(cloud: Cloud) -> None:  # noqa: F811
    cloud.translate.latency = 0.02
    cloud.translate.fail_next("TranslateText", "TooManyRequestsException", "slow down", status=429, retry_after=0.5)
    engine = AwsTranslateEngine(concurrency=4, policy=RetryPolicy(attempts=3, base_delay=0.0, max_delay=5))
    arrivals: list[float] = []
    original = cloud.translate.handle

    def timed(*args: object) -> tuple[int, dict]:
        arrivals.append(time.monotonic())
        return original(*args)  # type: ignore[arg-type]

    cloud.translate.handle = timed  # type: ignore[method-assign]
    started = time.monotonic()
    out = engine.translate([Request(f"Sentence {i}.") for i in range(12)], "en", "es")
    assert out == [f"[es] Sentence {i}." for i in range(12)]
    # the refused call waited for Retry-After, and so did every call sent after the refusal
    assert time.monotonic() - started >= 0.5
    late = [t for t in arrivals if t - arrivals[0] > 0.1]
    assert late and all(t - arrivals[0] >= 0.45 for t in late)


def test_server_validates_requests_like_amazon(cloud: Cloud) -> None:  # noqa: F811
    """botocore's own checks switched off, the server still refuses what Amazon's service model does
    not allow (lengths, patterns, enums, required members), with Amazon's ValidationException."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    client = boto3.client("translate", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    cases = [
        ({"Text": "Hi", "SourceLanguageCode": "en", "TargetLanguageCode": "zh-Hans"}, "length less than or equal to 5"),
        ({"Text": "", "SourceLanguageCode": "en", "TargetLanguageCode": "zh"}, "length greater than or equal to 1"),
        ({"Text": "Hi", "SourceLanguageCode": "en", "TargetLanguageCode": "zh", "Settings": {"Formality": "POLITE"}},
         "enum value set"),
        ({"Text": "Hi", "SourceLanguageCode": "en"}, "Value null at 'targetLanguageCode'"),
    ]  # fmt: skip
    for params, message in cases:
        with pytest.raises(ClientError) as caught:
            client.translate_text(**params)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert message in caught.value.response["Error"]["Message"]
    for name in ("_d2l-zh", "d2l__zh"):
        with pytest.raises(ClientError, match="regular expression pattern"):
            client.get_parallel_data(Name=name)
    assert client.translate_text(Text="Hi", SourceLanguageCode="en", TargetLanguageCode="zh")["TranslatedText"] == "[中] Hi"
