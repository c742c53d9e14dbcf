"""Our parallel data -> an Amazon Translate parallel data resource (CSV in S3, create or update).

Amazon's rules for the CSV, and what amts does about each:

* one pair a line, no newline inside a field -> wrapping is folded, every run of whitespace is one space;
* ``"`` inside a field is doubled -> the :mod:`csv` writer quotes and doubles;
* a field may not start with ``+ - = @`` (spreadsheet-formula guard; Markdown lists and negative
  numbers hit it) -> the character gets a Markdown backslash escape (``\\-``), which renders the
  same, so the example still means what it meant;
* a source field over 1,000 bytes makes Amazon *silently* skip the line -> such a pair is split into
  sentence pairs when both sides have the same number of sentences, otherwise it is dropped; both
  cases are counted and reported, never silent.
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from amts.document import split_sentences
from amts.engines.aws import FORBIDDEN_FIELD_START, aws_call, error_code, make_client
from amts.engines.base import EngineError
from amts.engines.retry import RetryPolicy
from amts.memory.pairs import Pair

MAX_SOURCE_BYTES = 1000


@dataclass
class ParallelDataReport:
    """How the pairs became CSV lines: nothing Amazon would skip is sent without a count here."""

    written: int = 0
    escaped: int = 0
    split: int = 0  # long pairs split into sentence pairs
    dropped_long: list[str] = field(default_factory=list)  # sources (truncated) dropped as too long
    dropped_empty: int = 0
    duplicates: int = 0

    def summary(self) -> str:
        parts = [f"{self.written} pairs written"]
        if self.escaped:
            parts.append(f"{self.escaped} fields escaped (leading + - = @)")
        if self.split:
            parts.append(f"{self.split} long pairs split into sentences")
        if self.dropped_long:
            parts.append(f"{len(self.dropped_long)} pairs dropped (source over {MAX_SOURCE_BYTES} bytes)")
        if self.dropped_empty:
            parts.append(f"{self.dropped_empty} empty pairs dropped")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicates dropped")
        return ", ".join(parts)


def escape_field(text: str) -> tuple[str, bool]:
    """One line, single spaces; a leading ``+ - = @`` gets a Markdown backslash escape."""
    folded = " ".join(text.split())
    if folded and folded[0] in FORBIDDEN_FIELD_START:
        return "\\" + folded, True
    return folded, False


def unescape_field(text: str) -> str:
    """Inverse of the leading-character escape (for reading our own CSV back)."""
    if len(text) >= 2 and text[0] == "\\" and text[1] in FORBIDDEN_FIELD_START:
        return text[1:]
    return text


def _split_long(source: str, target: str, src: str, tgt: str) -> list[tuple[str, str]] | None:
    """Sentence pairs of a too-long pair when both sides split into the same number of sentences."""
    sources = [source[s.start : s.end].strip() for s in split_sentences(source, src)]
    targets = [target[s.start : s.end].strip() for s in split_sentences(target, tgt)]
    if len(sources) < 2 or len(sources) != len(targets):
        return None
    if any(len(s.encode("utf-8")) > MAX_SOURCE_BYTES for s in sources):
        return None
    return list(zip(sources, targets, strict=True))


def parallel_data_csv(pairs: Iterable[Pair], src: str, tgt: str) -> tuple[bytes, ParallelDataReport]:
    """The CSV Amazon Translate imports (header ``src,tgt``), and a report of every change made."""
    report = ParallelDataReport()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([src, tgt])
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        if pair.src_lang != src or pair.tgt_lang != tgt:
            continue
        source, target = " ".join(pair.source.split()), " ".join(pair.target.split())
        if not source or not target:
            report.dropped_empty += 1
            continue
        chunks = [(source, target)]
        if len(source.encode("utf-8")) > MAX_SOURCE_BYTES:
            chunks = _split_long(source, target, src, tgt) or []
            if chunks:
                report.split += 1
            else:
                report.dropped_long.append(source[:80])
                continue
        for chunk_source, chunk_target in chunks:
            field_source, escaped_source = escape_field(chunk_source)
            field_target, escaped_target = escape_field(chunk_target)
            if (field_source, field_target) in seen:
                report.duplicates += 1
                continue
            seen.add((field_source, field_target))
            report.escaped += escaped_source + escaped_target
            writer.writerow([field_source, field_target])
            report.written += 1
    return buffer.getvalue().encode("utf-8"), report


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key/prefix`` -> (bucket, key/prefix)."""
    if not uri.startswith("s3://") or len(uri) <= 5:
        raise EngineError(f"not an S3 URI: {uri!r} (expected s3://bucket/key)")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


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
) -> ParallelDataResult:
    """Upload the pairs as CSV to ``s3_uri`` (a key ending in .csv, or a prefix) and create or update
    the parallel data resource ``name`` from it; with ``wait``, poll until Amazon finished importing.
    """
    policy = policy or RetryPolicy()
    data, report = parallel_data_csv(pairs, src, tgt)
    if not report.written:
        raise EngineError(f"parallel data {name!r}: no {src}->{tgt} pairs to upload")
    bucket, key = split_s3_uri(s3_uri)
    if not key or key.endswith("/"):
        key = f"{key}{name}.{src}-{tgt}.csv"
    uri = f"s3://{bucket}/{key}"
    s3 = s3 or make_client("s3", region, profile)
    translate = translate or make_client("translate", region, profile)
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
            raise _engine_error(f"parallel data {name!r}", error) from error
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
            translate, name, updating=exists, policy=policy, poll=poll, sleep=sleep
        )
        result.status = result.properties.get("Status", result.status)
    return result


def wait_for_parallel_data(
    translate: Any,
    name: str,
    *,
    updating: bool,
    policy: RetryPolicy,
    poll: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll ``get_parallel_data`` with backoff until the import finished; a failure raises with its message."""
    poll = poll or RetryPolicy(base_delay=5, max_delay=60, multiplier=1.5, jitter=False, deadline=3600)
    started = time.monotonic()
    for delay in poll.delays():
        answer = as_engine_error(
            f"parallel data {name!r}", lambda: aws_call(translate, "get_parallel_data", policy, Name=name)
        )
        props = dict(answer.get("ParallelDataProperties", {}))
        state = props.get("LatestUpdateAttemptStatus") if updating else props.get("Status")
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


def _engine_error(what: str, error: BaseException) -> EngineError:
    return error if isinstance(error, EngineError) else EngineError(f"{what}: {error}")


def as_engine_error(what: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as error:
        raise _engine_error(what, error) from error
