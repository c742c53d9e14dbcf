"""Amazon Translate batch jobs: the one place Amazon applies parallel data ("active custom translation").

A job translates a folder of ``text/html`` files in S3. amts writes one HTML file per Markdown file
(one ``<p id="sN">`` per masked sentence, placeholders in ``translate="no"`` spans, see
:mod:`amts.engines.aws_html`), uploads them, starts ``start_text_translation_job`` with
``ParallelDataNames``, polls ``describe_text_translation_job`` with backoff, and downloads the outputs.
Amazon names each output ``<code>.<input name>`` under ``<output uri>/<account>-TranslateText-<job id>/``
(``<code>`` is Amazon's language code, :mod:`amts.engines.aws_languages`); amts renames
``<dir>/<code>.<name>.md.html`` to its own layout ``<dir>/<tgt>.<name>.md`` with the user's tag.
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

from amts.engines.aws import (
    aws_call,
    check_resource_names,
    error_code,
    make_client,
    name_list,
    translate_settings,
)
from amts.engines.aws_html import from_html_document, to_html_document
from amts.engines.aws_languages import amazon_code, amazon_codes
from amts.engines.aws_parallel import as_engine_error, check_bucket_region, engine_error, split_s3_uri
from amts.engines.aws_prices import PRICES_OPTION
from amts.engines.base import Engine, EngineError, EngineUnavailable, Request
from amts.engines.retry import RetryPolicy
from amts.fileio import atomic_write_bytes
from amts.tree import output_relative

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
    return output_relative(relative, tgt)


@dataclass
class Submission:
    """A started Amazon job and where its files are: enough to re-attach to it after a crash."""

    job_id: str
    run_key: str  # <prefix>/<run>: input under <run_key>/input/, output under <run_key>/output/
    bucket: str

    @property
    def input_key(self) -> str:
        return f"{self.run_key}/input/"

    @property
    def output_key(self) -> str:
        return f"{self.run_key}/output/"


#: what Amazon answers StartTextTranslationJob when its limit of concurrent jobs is reached
RUNNING_JOBS_LIMIT = "LimitExceededException"
#: the namespace of amts's job idempotency tokens (uuid5 of the run, job and language pair)
TOKEN_NAMESPACE = uuid.UUID("6f1d7a52-2a55-5d8e-9a40-7c1f3b1e2d11")


def client_token(*parts: str) -> str:
    """A deterministic ``ClientToken``: the same run (amts job, language pair, run folder) always
    gives the same token, so Amazon recognises a repeated start and starts no second job."""
    return str(uuid.uuid5(TOKEN_NAMESPACE, "/".join(parts)))


def job_name(run_key: str) -> str:
    """The Amazon job name of a run: unique, and how a run whose job id was lost is found again."""
    return "amts-" + run_key.rsplit("/", 1)[-1]


def billed_characters(documents: Mapping[str, Sequence[str]]) -> int:
    """Characters of prose Amazon will translate (and bill) per target language for these segments."""
    return sum(len(segment) for segments in documents.values() for segment in segments)


class AwsBatchJob:
    """Run batch translation jobs over many documents and target languages.

    ``bucket``/``prefix`` hold each job's input and output (``<prefix>/<run>/input/`` and ``.../output/``);
    ``role_arn`` is the IAM role Amazon Translate assumes to read and write them. :meth:`run` does the
    whole round trip; :meth:`submit`, :meth:`wait`, :meth:`stop` and :meth:`download` are its steps,
    for callers that record the job id and re-attach to it later (``amts job``).
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
        self.parallel_data = check_resource_names(name_list(parallel_data), "parallel data")
        self.terminology = check_resource_names(name_list(terminology), "terminology")
        self.settings = translate_settings(formality, profanity, brevity)
        self.translate = translate or make_client("translate", region, profile)
        self.s3 = s3 or make_client("s3", region, profile)
        self.policy = policy or RetryPolicy()
        self.poll = poll or RetryPolicy(
            base_delay=10, max_delay=120, multiplier=1.5, jitter=False, deadline=6 * 3600
        )
        self.sleep = sleep
        self.progress = progress or (lambda message: None)
        self._region_checked = False

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
        submission = self.submit(documents, src, targets)
        details = self.wait(submission.job_id)
        return self.finish(submission, details, documents, targets, download_to)

    def submit(
        self,
        documents: Mapping[str, Sequence[str]],
        src: str,
        targets: Sequence[str],
        parallel_data: Sequence[str] | None = None,
    ) -> Submission:
        """Upload the documents as HTML and start the job (``parallel_data`` overrides the default)."""
        amazon_codes(src, *targets)  # an unsupported language is refused before anything is uploaded
        submission = self.upload(documents, src)
        self.start(submission, src, targets, parallel_data)
        return submission

    def upload(self, documents: Mapping[str, Sequence[str]], src: str) -> Submission:
        """Write one HTML input per document under a new run folder; the job is not started yet."""
        if not documents:
            raise EngineError("aws batch: nothing to translate")
        self.check_region()
        run_key = f"{self.prefix}/{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}".lstrip("/")
        submission = Submission("", run_key, self.bucket)
        for relative, segments in documents.items():
            body = to_html_document(segments, src).encode("utf-8")
            key = submission.input_key + relative + INPUT_SUFFIX
            as_engine_error(
                f"upload s3://{self.bucket}/{key}",
                lambda k=key, b=body: aws_call(
                    self.s3, "put_object", self.policy, Bucket=self.bucket, Key=k, Body=b, ContentType="text/html"
                ),
            )
        self.progress(f"uploaded {len(documents)} document(s) to s3://{self.bucket}/{submission.input_key}")
        return submission

    def start(
        self,
        submission: Submission,
        src: str,
        targets: Sequence[str],
        parallel_data: Sequence[str] | None = None,
        *,
        token: str | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> str:
        """Start the job over an uploaded run; its name is :func:`job_name` of the run (to find it again).

        ``token`` (default: :func:`client_token` of the run) is Amazon's idempotency token: starting the
        same run again -- after a crash before its job id was recorded -- gives back the same job.
        While Amazon's limit of running jobs is reached the start waits for a slot; ``should_stop()``
        true ends the wait and returns ``""`` (nothing started).
        """
        submission.job_id = self._start(
            f"s3://{self.bucket}/{submission.input_key}",
            f"s3://{self.bucket}/{submission.output_key}",
            src,
            targets,
            submission.run_key,
            self.parallel_data if parallel_data is None else list(parallel_data),
            token or client_token(submission.run_key, src, *targets),
            should_stop,
        )
        if submission.job_id:
            self.progress(f"started Amazon Translate job {submission.job_id}")
        return submission.job_id

    def check_region(self) -> None:
        """The bucket must be in the Region of the Translate endpoint (Amazon refuses it otherwise)."""
        if not self._region_checked:
            check_bucket_region(self.s3, self.bucket, self.translate.meta.region_name, self.policy)
            self._region_checked = True

    def finish(
        self,
        submission: Submission,
        details: Mapping[str, Any],
        documents: Mapping[str, Sequence[str]],
        targets: Sequence[str],
        download_to: Path | None = None,
    ) -> BatchResult:
        """Raise for FAILED/STOPPED; otherwise download what the job produced."""
        status = details.get("JobStatus", "")
        if status in ("FAILED", "STOPPED"):
            raise BatchJobFailed(submission.job_id, status, details.get("Message", ""))
        result = BatchResult(submission.job_id, status, details=dict(details))
        self.download(submission, documents, targets, result, download_to)
        if status == "COMPLETED_WITH_ERROR":
            message = details.get("Message", "")
            self.progress(f"job {submission.job_id} completed with errors" + (f": {message}" if message else ""))
        return result

    def _start(
        self, input_uri: str, output_uri: str, src: str, targets: Sequence[str], run_key: str,
        parallel_data: list[str], token: str, should_stop: Callable[[], bool] | None,
    ) -> str:
        params: dict[str, Any] = {
            "JobName": job_name(run_key),
            "InputDataConfig": {"S3Uri": input_uri, "ContentType": "text/html"},
            "OutputDataConfig": {"S3Uri": output_uri},
            "DataAccessRoleArn": self.role_arn,
            "SourceLanguageCode": amazon_code(src),
            "TargetLanguageCodes": amazon_codes(*targets),
            "ClientToken": token,  # the same token again: Amazon starts one job, not two
        }
        if parallel_data:
            params["ParallelDataNames"] = parallel_data
        if self.terminology:
            params["TerminologyNames"] = self.terminology
        if self.settings:
            params["Settings"] = self.settings
        waited = 0.0
        for delay in self.poll.delays():
            try:
                answer = aws_call(self.translate, "start_text_translation_job", self.policy, **params)
                return answer["JobId"]
            except Exception as error:
                if error_code(error) != RUNNING_JOBS_LIMIT:
                    raise engine_error("start_text_translation_job", error) from error
            if should_stop and should_stop():
                self.progress(f"stopped while waiting for a free job slot ({waited:.0f}s waited)")
                return ""
            self.progress(
                f"Amazon's limit of running jobs is reached: waiting {delay:.0f}s for a slot "
                f"({waited:.0f}s waited so far)"
            )
            self.sleep(delay)
            waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    def describe(self, job_id: str) -> dict[str, Any]:
        answer = as_engine_error(
            f"job {job_id}",
            lambda: aws_call(self.translate, "describe_text_translation_job", self.policy, JobId=job_id),
        )
        return dict(answer.get("TextTranslationJobProperties", {}))

    def find(self, job_name: str) -> list[dict[str, Any]]:
        """The jobs called ``job_name`` (all pages of ``list_text_translation_jobs``), oldest first."""
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Filter": {"JobName": job_name}, "MaxResults": 100}
            if token:
                params["NextToken"] = token
            page = as_engine_error(
                "list jobs",
                lambda p=params: aws_call(self.translate, "list_text_translation_jobs", self.policy, **p),
            )
            found.extend(page.get("TextTranslationJobPropertiesList", []))
            token = page.get("NextToken")
            if not token:
                return found

    def stop(self, job_id: str) -> str:
        """Ask Amazon to stop the job; returns the state it reports (STOP_REQUESTED, or already final)."""
        answer = as_engine_error(
            f"stop job {job_id}",
            lambda: aws_call(self.translate, "stop_text_translation_job", self.policy, JobId=job_id),
        )
        return answer.get("JobStatus", "")

    def wait(
        self,
        job_id: str,
        should_stop: Callable[[], bool] | None = None,
        on_state: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll with backoff until the job is final; ``should_stop()`` true asks Amazon to stop it."""
        started = time.monotonic()
        last = ""
        stopping = False
        for delay in self.poll.delays():
            details = self.describe(job_id)
            status = details.get("JobStatus", "")
            if status != last:
                self.progress(f"job {job_id}: {status}")
                last = status
                if on_state:
                    on_state(details)
            if status in FINISHED:
                return details
            if should_stop and not stopping and should_stop():
                stopping = True
                self.progress(f"job {job_id}: stop requested")
                self.stop(job_id)
                continue  # look again at once
            if self.poll.deadline is not None and time.monotonic() - started + delay > self.poll.deadline:
                raise EngineError(
                    f"Amazon Translate job {job_id} still {status} after {self.poll.deadline:.0f}s"
                )
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def sent_segments(self, submission: Submission, relative: str) -> list[str]:
        """The masked segments a run uploaded for ``relative`` (read back from its HTML input)."""
        key = submission.input_key + relative + INPUT_SUFFIX
        body = as_engine_error(
            f"download {key}",
            lambda: aws_call(self.s3, "get_object", self.policy, Bucket=self.bucket, Key=key),
        )
        document = body["Body"].read().decode("utf-8")
        found = from_html_document(document, document.count('<p id="s'))
        return [segment or "" for segment in found]

    def download(
        self,
        submission: Submission,
        documents: Mapping[str, Sequence[str]],
        targets: Sequence[str],
        result: BatchResult,
        download_to: Path | None,
    ) -> None:
        output_key = submission.output_key
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
            for tgt in targets:  # Amazon names outputs by its code; ours keep the user's tag
                code = amazon_code(tgt)
                if name.startswith(code + "."):
                    by_name[(tgt, posixpath.join(folder, name[len(code) + 1 :]))] = key
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


#: the options :func:`batch_location` reads
LOCATION_OPTIONS = ("bucket", "prefix", "s3_uri", "role_arn")


def batch_location(options: Mapping[str, Any]) -> tuple[str, str, str]:
    """Where a batch job's files go and the role Amazon assumes: ``(bucket, prefix, role_arn)``.

    The options ``bucket`` (+ ``prefix``) or ``s3_uri`` first, else ``AMTS_AWS_S3_URI``, else
    ``AMTS_AWS_BUCKET`` (prefix ``amts``); ``role_arn``, else ``AMTS_AWS_ROLE_ARN``. An empty bucket
    or role means nothing named it: the caller says which of its own settings to give.
    """
    bucket, prefix = str(options.get("bucket") or ""), str(options.get("prefix") or "")
    s3_uri = "" if bucket else str(options.get("s3_uri") or os.environ.get("AMTS_AWS_S3_URI") or "")
    if s3_uri:
        bucket, uri_prefix = split_s3_uri(s3_uri)
        prefix = prefix or uri_prefix
    bucket = bucket or os.environ.get("AMTS_AWS_BUCKET", "")
    role_arn = str(options.get("role_arn") or os.environ.get("AMTS_AWS_ROLE_ARN", ""))
    return bucket, prefix or "amts", role_arn


class AwsBatchEngine(Engine):
    """The batch job as an :class:`Engine`: one job per ``translate`` call (slow, but parallel data
    applies). For a whole book use ``amts job start --engine aws-batch`` (one job per language pair)."""

    name = "aws-batch"
    title = "Amazon Translate batch jobs"
    package = "boto3"
    needs_network = True
    runs_as_job = True
    batch_size = 100_000

    def __init__(self, **options: Any) -> None:
        bucket, prefix, role_arn = batch_location(options)
        if not bucket or not role_arn:
            raise EngineUnavailable(
                "aws-batch needs bucket (or s3_uri) and role_arn: options, or AMTS_AWS_S3_URI (or AMTS_AWS_BUCKET) "
                "and AMTS_AWS_ROLE_ARN"
            )
        for key in (*LOCATION_OPTIONS, PRICES_OPTION):  # where files go and what it costs: not the job's
            options.pop(key, None)
        self.job = AwsBatchJob(bucket=bucket, role_arn=role_arn, prefix=prefix, **options)

    def supports(self, src: str, tgt: str) -> bool:
        """True when Amazon has a code for both tags; otherwise raises the one-line refusal."""
        amazon_codes(src, tgt)
        return True

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        result = self.job.run({"segments.md": [r.text for r in requests]}, src, [tgt])
        outputs = result.translations[tgt]["segments.md"]
        lost = sum(out is None for out in outputs)
        if lost:  # never guess a translation Amazon did not return
            raise EngineError(
                f"Amazon Translate job {result.job_id} returned no output for {lost} of {len(outputs)} segments"
            )
        return [out for out in outputs if out is not None]
