"""Amazon Translate batch jobs: the one place Amazon applies parallel data ("active custom translation").

A job translates a folder of ``text/html`` files in S3. amts writes one HTML file per Markdown file
(one ``<p id="sN">`` per masked sentence, placeholders in ``translate="no"`` spans, see
:mod:`amts.engines.aws_html`), uploads them, starts ``start_text_translation_job`` with
``ParallelDataNames``, polls ``describe_text_translation_job`` with backoff, and downloads the outputs.
Amazon names each output ``<tgt>.<input name>`` under ``<output uri>/<account>-TranslateText-<job id>/``;
amts renames ``<dir>/<tgt>.<name>.md.html`` to its own layout ``<dir>/<tgt>.<name>.md``.
"""

from __future__ import annotations

import os
import posixpath
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amts.engines.aws import aws_call, make_client, name_list, translate_settings
from amts.engines.aws_html import from_html_document, to_html_document
from amts.engines.aws_parallel import as_engine_error, split_s3_uri
from amts.engines.base import Engine, EngineError, EngineUnavailable, Request
from amts.engines.retry import RetryPolicy
from amts.fileio import atomic_write_bytes

FINISHED = ("COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED")
INPUT_SUFFIX = ".html"


class BatchJobFailed(EngineError):
    """The job ended FAILED or STOPPED; the message is Amazon's ``Message``."""

    def __init__(self, job_id: str, status: str, message: str) -> None:
        self.job_id, self.status, self.message = job_id, status, message
        super().__init__(f"Amazon Translate job {job_id} {status}: {message or 'no message'}")


@dataclass
class BatchResult:
    """Translated masked segments per target language and input document (``None`` = missing)."""

    job_id: str
    status: str
    translations: dict[str, dict[str, list[str | None]]] = field(default_factory=dict)
    #: our relative output path (``<dir>/<tgt>.<name>``) -> Amazon's S3 key it came from
    renamed: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # "<tgt>:<document>" with no output
    details: dict[str, Any] = field(default_factory=dict)  # DescribeTextTranslationJob properties


def our_name(relative: str, tgt: str) -> str:
    """``dir/name.md`` -> ``dir/<tgt>.name.md``: the layout of :func:`amts.tree.output_path`."""
    folder, name = posixpath.split(relative)
    return posixpath.join(folder, f"{tgt}.{name}")


class AwsBatchJob:
    """Run one batch translation job over many documents and target languages.

    ``bucket``/``prefix`` hold the job's input and output (``<prefix>/<job>/input/`` and ``.../output/``);
    ``role_arn`` is the IAM role Amazon Translate assumes to read and write them.
    """

    def __init__(
        self,
        *,
        bucket: str,
        role_arn: str,
        prefix: str = "amts",
        parallel_data: str | Sequence[str] | None = None,
        terminology: str | Sequence[str] | None = None,
        formality: str | None = None,
        profanity: bool = False,
        brevity: bool = False,
        region: str | None = None,
        profile: str | None = None,
        translate: Any = None,
        s3: Any = None,
        policy: RetryPolicy | None = None,
        poll: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        if not bucket or not role_arn:
            raise EngineError("aws batch: a bucket and a data access role ARN are required")
        self.bucket, self.role_arn, self.prefix = bucket, role_arn, prefix.strip("/")
        self.parallel_data = name_list(parallel_data)
        self.terminology = name_list(terminology)
        self.settings = translate_settings(formality, profanity, brevity)
        self.translate = translate or make_client("translate", region, profile)
        self.s3 = s3 or make_client("s3", region, profile)
        self.policy = policy or RetryPolicy()
        self.poll = poll or RetryPolicy(
            base_delay=10, max_delay=120, multiplier=1.5, jitter=False, deadline=6 * 3600
        )
        self.sleep = sleep
        self.progress = progress or (lambda message: None)

    def run(
        self,
        documents: Mapping[str, Sequence[str]],
        src: str,
        targets: Sequence[str],
        download_to: Path | None = None,
    ) -> BatchResult:
        """Upload, start, poll, download; ``documents`` maps a relative path to its masked segments.

        With ``download_to``, Amazon's raw HTML outputs are also saved there under our names.
        """
        if not documents:
            raise EngineError("aws batch: nothing to translate")
        run_key = f"{self.prefix}/{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        input_key, output_key = f"{run_key}/input/", f"{run_key}/output/"
        for relative, segments in documents.items():
            body = to_html_document(segments, src).encode("utf-8")
            key = input_key + relative + INPUT_SUFFIX
            as_engine_error(
                f"upload s3://{self.bucket}/{key}",
                lambda k=key, b=body: aws_call(
                    self.s3,
                    "put_object",
                    self.policy,
                    Bucket=self.bucket,
                    Key=k,
                    Body=b,
                    ContentType="text/html",
                ),
            )
        self.progress(f"uploaded {len(documents)} document(s) to s3://{self.bucket}/{input_key}")
        job_id = self._start(
            f"s3://{self.bucket}/{input_key}", f"s3://{self.bucket}/{output_key}", src, targets, run_key
        )
        self.progress(f"started Amazon Translate job {job_id}")
        details = self._wait(job_id)
        status = details.get("JobStatus", "")
        if status in ("FAILED", "STOPPED"):
            raise BatchJobFailed(job_id, status, details.get("Message", ""))
        result = BatchResult(job_id, status, details=details)
        self._download(output_key, documents, targets, result, download_to)
        if status == "COMPLETED_WITH_ERROR":
            self.progress(f"job {job_id} completed with errors: {details.get('Message', '')}".rstrip(": "))
        return result

    def _start(self, input_uri: str, output_uri: str, src: str, targets: Sequence[str], run_key: str) -> str:
        params: dict[str, Any] = {
            "JobName": "amts-" + run_key.rsplit("/", 1)[-1],
            "InputDataConfig": {"S3Uri": input_uri, "ContentType": "text/html"},
            "OutputDataConfig": {"S3Uri": output_uri},
            "DataAccessRoleArn": self.role_arn,
            "SourceLanguageCode": src,
            "TargetLanguageCodes": list(targets),
            "ClientToken": uuid.uuid4().hex,
        }
        if self.parallel_data:
            params["ParallelDataNames"] = self.parallel_data
        if self.terminology:
            params["TerminologyNames"] = self.terminology
        if self.settings:
            params["Settings"] = self.settings
        answer = as_engine_error(
            "start_text_translation_job",
            lambda: aws_call(self.translate, "start_text_translation_job", self.policy, **params),
        )
        return answer["JobId"]

    def _wait(self, job_id: str) -> dict[str, Any]:
        started = time.monotonic()
        last = ""
        for delay in self.poll.delays():
            answer = as_engine_error(
                f"job {job_id}",
                lambda: aws_call(self.translate, "describe_text_translation_job", self.policy, JobId=job_id),
            )
            details = dict(answer.get("TextTranslationJobProperties", {}))
            status = details.get("JobStatus", "")
            if status != last:
                self.progress(f"job {job_id}: {status}")
                last = status
            if status in FINISHED:
                return details
            if self.poll.deadline is not None and time.monotonic() - started + delay > self.poll.deadline:
                raise EngineError(
                    f"Amazon Translate job {job_id} still {status} after {self.poll.deadline:.0f}s"
                )
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _download(
        self,
        output_key: str,
        documents: Mapping[str, Sequence[str]],
        targets: Sequence[str],
        result: BatchResult,
        download_to: Path | None,
    ) -> None:
        keys: list[str] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": output_key}
            if token:
                params["ContinuationToken"] = token
            page = as_engine_error(
                "list outputs", lambda p=params: aws_call(self.s3, "list_objects_v2", self.policy, **p)
            )
            keys.extend(item["Key"] for item in page.get("Contents", []))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        by_name: dict[tuple[str, str], str] = {}
        for key in keys:
            relative = _job_relative(key[len(output_key) :])
            if relative is None or not relative.endswith(INPUT_SUFFIX):
                continue
            folder, name = posixpath.split(relative[: -len(INPUT_SUFFIX)])
            for tgt in targets:
                if name.startswith(tgt + "."):
                    by_name[(tgt, posixpath.join(folder, name[len(tgt) + 1 :]))] = key
        for tgt in targets:
            per_doc = result.translations.setdefault(tgt, {})
            for relative, segments in documents.items():
                key = by_name.get((tgt, relative))
                if key is None:
                    result.missing.append(f"{tgt}:{relative}")
                    per_doc[relative] = [None] * len(segments)
                    continue
                body = as_engine_error(
                    f"download {key}",
                    lambda k=key: aws_call(self.s3, "get_object", self.policy, Bucket=self.bucket, Key=k),
                )
                data = body["Body"].read()
                per_doc[relative] = from_html_document(data.decode("utf-8"), len(segments))
                ours = our_name(relative, tgt)
                result.renamed[ours] = key
                if download_to is not None:
                    atomic_write_bytes(Path(download_to) / (ours + INPUT_SUFFIX), data)


def _job_relative(path: str) -> str | None:
    """Strip Amazon's ``<account>-TranslateText-<job id>/`` folder; skip its ``details/`` files."""
    parts = path.split("/")
    if parts and "TranslateText" in parts[0]:
        parts = parts[1:]
    if not parts or parts[0] == "details":
        return None
    return "/".join(parts)


class AwsBatchEngine(Engine):
    """The batch job as an :class:`Engine`: one job per ``translate`` call (slow, but parallel data
    applies). For a whole book in one job use :class:`AwsBatchJob` directly."""

    name = "aws-batch"
    batch_size = 100_000

    def __init__(
        self,
        bucket: str | None = None,
        role_arn: str | None = None,
        s3_uri: str | None = None,
        **options: Any,
    ) -> None:
        if s3_uri and not bucket:
            bucket, prefix = split_s3_uri(s3_uri)
            options.setdefault("prefix", prefix or "amts")
        bucket = bucket or os.environ.get("AMTS_AWS_BUCKET")
        role_arn = role_arn or os.environ.get("AMTS_AWS_ROLE_ARN")
        if not bucket or not role_arn:
            raise EngineUnavailable(
                "aws-batch needs bucket and role_arn (options, or AMTS_AWS_BUCKET / AMTS_AWS_ROLE_ARN)"
            )
        self.job = AwsBatchJob(bucket=bucket, role_arn=role_arn, **options)

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        result = self.job.run({"segments.md": [r.text for r in requests]}, src, [tgt])
        outputs = result.translations[tgt]["segments.md"]
        lost = sum(out is None for out in outputs)
        if lost:  # never guess a translation Amazon did not return
            raise EngineError(
                f"Amazon Translate job {result.job_id} returned no output for {lost} of {len(outputs)} segments"
            )
        return [out for out in outputs if out is not None]


#: what a segment Amazon lost is replayed as: ``{0}`` is never a valid placeholder, so validation fails
_LOST = "{0}"
LOST_MESSAGE = "no output for this sentence in the Amazon Translate job"


class _ReplayEngine(Engine):
    """Hands the adaptive layer the outputs a finished batch job already produced."""

    name = "aws-batch"
    batch_size = 100_000

    def __init__(self, outputs: Mapping[str, str | None]) -> None:
        self.outputs = outputs

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        return [self.outputs.get(r.text) or _LOST for r in requests]


@dataclass
class BookBatchResult:
    job: BatchResult
    written: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "<file>:<line>: <status>: <message>"


def translate_files_with_job(
    files: Mapping[str, str],
    src: str,
    targets: Sequence[str],
    job: AwsBatchJob,
    out: Path,
    memory: Any = None,
    download_to: Path | None = None,
) -> BookBatchResult:
    """Translate many Markdown files (relative path -> text) in ONE batch job and write
    ``out/<dir>/<tgt>.<name>``; sentences with an exact match in ``memory`` are never sent."""
    from amts.adapt import AdaptiveTranslator
    from amts.adapt.documents import translate_markdown
    from amts.document import mask, parse_markdown
    from amts.fileio import atomic_write_text

    documents: dict[str, list[str]] = {}
    for relative, text in files.items():
        seen: dict[str, None] = {}
        for segment in parse_markdown(text).segments:
            for sentence in segment.sentences(src):
                key = sentence.key(src)
                if memory is not None and all(memory.exact(key, src, tgt) is not None for tgt in targets):
                    continue
                masked = mask(key)
                if masked.has_prose:
                    seen.setdefault(masked.text, None)
        if seen:
            documents[relative] = list(seen)
    result = BookBatchResult(
        job.run(documents, src, targets, download_to) if documents else BatchResult("", "SKIPPED")
    )
    for tgt in targets:
        outputs: dict[str, str | None] = {}
        for relative, segments in documents.items():
            translated = result.job.translations.get(tgt, {}).get(relative, [None] * len(segments))
            outputs.update(zip(segments, translated, strict=True))
        translator = AdaptiveTranslator(_ReplayEngine(outputs), memory=memory, examples=0)
        for relative, text in files.items():
            done = translate_markdown(text, translator, src, tgt)
            target_path = out / our_name(relative, tgt)
            atomic_write_text(target_path, done.text)
            result.written.append(target_path)
            for status, count in done.counts.items():
                result.counts[status] = result.counts.get(status, 0) + count
            for record in done.problems():
                lost = outputs.get(mask(record.outcome.source).text) is None
                message = LOST_MESSAGE if lost else record.outcome.message
                record.outcome.message = message
                result.problems.append(
                    f"{our_name(relative, tgt)}:{record.line}: {record.outcome.status}: {message}"
                )
    return result
