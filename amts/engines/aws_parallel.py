"""Our parallel data -> an Amazon Translate parallel data resource (CSV in S3, create or update).

Amazon's rules for the CSV (line breaks, quotes, leading ``+ - = @``, 1,000-byte fields, repeated
sources) are applied by :mod:`amts.memory.formats.amazon`, the same code every CSV/TSV export uses;
its report counts every pair changed, split or dropped.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from amts.engines.aws import aws_call, check_resource_name, error_code, make_client
from amts.engines.aws_languages import amazon_code
from amts.engines.base import EngineError
from amts.engines.retry import RetryPolicy
from amts.memory.formats.amazon import (
    MAX_FIELD_BYTES,
    AmazonReport,
    amazon_table,
    escape_field,
    unescape_field,
)
from amts.memory.pairs import Pair

MAX_SOURCE_BYTES = MAX_FIELD_BYTES
ParallelDataReport = AmazonReport

__all__ = [
    "MAX_SOURCE_BYTES",
    "ParallelDataReport",
    "escape_field",
    "parallel_data_csv",
    "publish_parallel_data",
    "unescape_field",
]


def parallel_data_csv(pairs: Iterable[Pair], src: str, tgt: str) -> tuple[bytes, ParallelDataReport]:
    """The CSV Amazon Translate imports (header: Amazon's codes of ``src,tgt``), and a report of every change."""
    text, report = amazon_table(pairs, amazon_code(src), amazon_code(tgt), ",")
    return text.encode("utf-8"), report


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key/prefix`` -> (bucket, key/prefix)."""
    if not uri.startswith("s3://") or len(uri) <= 5:
        raise EngineError(f"not an S3 URI: {uri!r} (expected s3://bucket/key)")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def check_bucket_region(s3: Any, bucket: str, region: str | None, policy: RetryPolicy | None = None) -> str:
    """The bucket's Region; an error in one line when it is not ``region``.

    Amazon Translate reads parallel data and job files only from buckets in the Region of the
    endpoint it is called at ("the folder must be in the same Region as the API endpoint").
    """
    answer = as_engine_error(
        f"S3 bucket {bucket}", lambda: aws_call(s3, "head_bucket", policy or RetryPolicy(), Bucket=bucket)
    )
    headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    found = answer.get("BucketRegion") or headers.get("x-amz-bucket-region") or "us-east-1"
    if region and found != region:
        raise EngineError(
            f"S3 bucket {bucket} is in {found} but Amazon Translate is called in {region}; Amazon reads only "
            f"buckets in its own Region: use --region {found} or a bucket in {region}"
        )
    return found


@dataclass
class ParallelDataResult:
    name: str
    s3_uri: str
    action: str  # created | updated
    status: str
    report: ParallelDataReport
    properties: dict[str, Any] = field(default_factory=dict)


def publish_parallel_data(
    pairs: Iterable[Pair],
    name: str,
    s3_uri: str,
    src: str,
    tgt: str,
    *,
    translate: Any = None,
    s3: Any = None,
    region: str | None = None,
    profile: str | None = None,
    description: str = "",
    policy: RetryPolicy | None = None,
    wait: bool = True,
    poll: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> ParallelDataResult:
    """Upload the pairs as CSV to ``s3_uri`` (a key ending in .csv, or a prefix) and create or update
    the parallel data resource ``name`` from it; with ``wait``, poll until Amazon finished importing.
    """
    policy = policy or RetryPolicy()
    check_resource_name(name, "parallel data")
    data, report = parallel_data_csv(pairs, src, tgt)
    if not report.written:
        raise EngineError(f"parallel data {name!r}: no {src}->{tgt} pairs to upload")
    bucket, key = split_s3_uri(s3_uri)
    if not key or key.endswith("/"):
        key = f"{key}{name}.{src}-{tgt}.csv"
    uri = f"s3://{bucket}/{key}"
    s3 = s3 or make_client("s3", region, profile)
    translate = translate or make_client("translate", region, profile)
    check_bucket_region(s3, bucket, translate.meta.region_name, policy)
    as_engine_error(
        f"upload {uri}",
        lambda: aws_call(s3, "put_object", policy, Bucket=bucket, Key=key, Body=data, ContentType="text/csv"),
    )
    config = {"S3Uri": uri, "Format": "CSV"}
    try:
        aws_call(translate, "get_parallel_data", policy, Name=name)
        exists = True
    except Exception as error:
        if error_code(error) != "ResourceNotFoundException":
            raise engine_error(f"parallel data {name!r}", error) from error
        exists = False
    params: dict[str, Any] = {"Name": name, "ParallelDataConfig": config, "ClientToken": uuid.uuid4().hex}
    if description:
        params["Description"] = description[:256]
    operation = "update_parallel_data" if exists else "create_parallel_data"
    answer = as_engine_error(
        f"parallel data {name!r}", lambda: aws_call(translate, operation, policy, **params)
    )
    result = ParallelDataResult(
        name, uri, "updated" if exists else "created", answer.get("Status", ""), report
    )
    if wait:
        result.properties = wait_for_parallel_data(
            translate, name, updating=exists, policy=policy, poll=poll, sleep=sleep, progress=progress
        )
        result.status = result.properties.get("Status", result.status)
    return result


def list_parallel_data(translate: Any, policy: RetryPolicy | None = None) -> list[dict[str, Any]]:
    """Every parallel data resource of the account in the client's Region (all pages)."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"MaxResults": 100}
        if token:
            params["NextToken"] = token
        page = as_engine_error(
            "list parallel data", lambda p=params: aws_call(translate, "list_parallel_data", policy or RetryPolicy(), **p)
        )
        found.extend(page.get("ParallelDataPropertiesList", []))
        token = page.get("NextToken")
        if not token:
            return found


def wait_for_parallel_data(
    translate: Any,
    name: str,
    *,
    updating: bool,
    policy: RetryPolicy,
    poll: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Poll ``get_parallel_data`` with backoff until the import finished; a failure raises with its message."""
    poll = poll or RetryPolicy(base_delay=5, max_delay=60, multiplier=1.5, jitter=False, deadline=3600)
    started = time.monotonic()
    last = None
    for delay in poll.delays():
        answer = as_engine_error(
            f"parallel data {name!r}", lambda: aws_call(translate, "get_parallel_data", policy, Name=name)
        )
        props = dict(answer.get("ParallelDataProperties", {}))
        state = props.get("LatestUpdateAttemptStatus") if updating else props.get("Status")
        if progress and state != last:
            progress(f"parallel data {name}: {state}")
        last = state
        if state == "ACTIVE":
            return props
        if state == "FAILED":
            raise EngineError(
                f"parallel data {name!r} failed to import: {props.get('Message', 'no message')}"
            )
        if poll.deadline is not None and time.monotonic() - started + delay > poll.deadline:
            raise EngineError(f"parallel data {name!r} still {state} after {poll.deadline:.0f}s")
        sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def engine_error(what: str, error: BaseException) -> EngineError:
    return error if isinstance(error, EngineError) else EngineError(f"{what}: {error}")


def as_engine_error(what: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as error:
        raise engine_error(what, error) from error
