"""``amts job start --engine aws-batch``: one Amazon Translate batch job per language pair, in parallel.

The original pipeline, run by the job worker instead of a local engine. Per target language (one
thread each, all at once):

1. the language's pending documents are claimed; the adaptive layer lists the sentences it would
   send (:func:`amts.adapt.batch.sentences_to_send`): exact memory matches are never sent or billed;
2. the sentences go to S3 as HTML and an Amazon job starts with that pair's parallel data
   (``ParallelDataNames``; Amazon applies at most one resource per job). The run is recorded in the
   store *before* the job starts, its job id right after, so a worker killed at any point re-attaches
   to the same Amazon job on ``amts job resume`` (found by its name if the id was lost) instead of
   paying for a second one;
3. the job is polled with backoff; ``amts job stop`` becomes ``StopTextTranslationJob``;
4. the outputs are downloaded, renamed from Amazon's ``<tgt>.<name>.html`` to ``<dir>/<tgt>.<name>``,
   validated by the adaptive layer (:func:`amts.adapt.batch.replay_document`) and written like any
   job output (staged in the store, then written atomically). A document the job did not return is
   a failed task with Amazon's message; ``amts job resume`` sends it again.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amts.document.dialects import use_dialect
from amts.jobs.locations import content_hash, open_location
from amts.jobs.model import JobError, JobSpec, Task, one_line, task_notes
from amts.jobs.store import HEARTBEAT_SECONDS, JobStore

#: Amazon job states after which nothing more happens
FINAL = ("COMPLETED", "COMPLETED_WITH_ERROR", "FAILED", "STOPPED")
Log = Callable[[str], None]


def make_batch_job(spec: JobSpec, progress: Log | None = None) -> Any:
    """An :class:`amts.engines.aws_batch.AwsBatchJob` configured from the job spec, then the environment."""
    from amts.engines.aws_batch import AwsBatchJob, batch_location
    from amts.engines.retry import RetryPolicy

    options = dict(spec.engine_options)
    bucket, prefix, role_arn = batch_location(options)
    if not bucket or not role_arn:
        raise JobError(
            "--engine aws-batch needs --s3 s3://bucket/prefix/ (job files) and --role-arn ARN (the role Amazon "
            "Translate assumes to read and write them); or AMTS_AWS_S3_URI / AMTS_AWS_ROLE_ARN"
        )
    poll = float(options.get("poll") or 10.0)
    return AwsBatchJob(
        bucket=bucket,
        role_arn=role_arn,
        prefix=prefix,
        terminology=options.get("terminology"),
        formality=options.get("formality"),
        region=options.get("region"),
        profile=options.get("profile"),
        poll=RetryPolicy(base_delay=poll, max_delay=max(poll, 120.0), multiplier=1.5, jitter=False, deadline=24 * 3600),
        progress=progress,
    )


def parallel_data_for(spec: JobSpec, store_path: Path | str, lang: str) -> list[str]:
    """The job's parallel-data resource for ``src->lang`` (its Amazon copy has the same name)."""
    from amts.languages import same_language
    from amts.memory import Store

    store = Store(store_path)
    names = [
        name
        for name in spec.parallel_data
        if same_language((info := store.describe(name)).src_lang, spec.src) and same_language(info.tgt_lang, lang)
    ]
    return names[:1]


def preflight(spec: JobSpec, store_path: Path | str) -> None:
    """Before a job is recorded: the settings are complete, credentials and network work, the bucket
    is in the Translate Region, and each language's parallel data is ACTIVE on Amazon -- one line each."""
    from amts.engines import EngineError
    from amts.engines.aws import aws_call, check_resource_names
    from amts.engines.aws_languages import amazon_codes

    amazon_codes(spec.src, *spec.tgts)  # one line naming the closest code Amazon has
    check_resource_names(spec.parallel_data, "parallel data")
    batch = make_batch_job(spec)
    try:
        batch.check_region()
        for lang in spec.tgts:
            for name in parallel_data_for(spec, store_path, lang):
                try:
                    props = aws_call(batch.translate, "get_parallel_data", batch.policy, Name=name)[
                        "ParallelDataProperties"
                    ]
                except EngineError:
                    raise
                except Exception as error:  # noqa: BLE001 - a ClientError: say which resource
                    raise JobError(
                        f"parallel data {name!r} on Amazon Translate: {error} (publish it: amts pd publish {name} --s3 ...)"
                    ) from None
                if props.get("Status") != "ACTIVE":
                    raise JobError(f"parallel data {name!r} on Amazon Translate is {props.get('Status')}, not ACTIVE")
    except EngineError as error:
        raise JobError(str(error)) from None


@dataclass
class Estimate:
    """What one language pair will send: the characters Amazon bills, and what they cost.

    With parallel data the job is billed at the Active Custom Translation rate; ``standard_characters``
    is what the pair would send without it (the memory then answers nothing), at the standard rate.
    """

    lang: str
    documents: int
    sentences: int
    characters: int
    parallel_data: list[str]
    standard_characters: int = 0
    costs: dict[str, float] = field(default_factory=dict)  # mode -> USD


def estimate(spec: JobSpec, store_path: Path | str) -> list[Estimate]:
    """Per target language, the documents, sentences and characters that will be sent (and billed),
    and their cost in each mode from the price table (:mod:`amts.engines.aws_prices`)."""
    from amts.adapt.setup import load_memory
    from amts.engines.aws_languages import amazon_codes
    from amts.engines.aws_prices import PRICES_OPTION, cost, price_table

    amazon_codes(spec.src, *spec.tgts)
    prices = price_table(spec.engine_options.get(PRICES_OPTION))
    texts = _readable_texts(spec)
    found = []
    for lang in spec.tgts:
        names = parallel_data_for(spec, store_path, lang)
        sent = _sentences(spec, texts, lang, load_memory(spec.setup(store_path), lang))
        found.append(
            Estimate(lang, sum(1 for s in sent if s), sum(len(s) for s in sent),
                     sum(len(x) for s in sent for x in s), names)
        )  # fmt: skip
        bare = _sentences(spec, texts, lang, None) if names else sent
        found[-1].standard_characters = sum(len(x) for s in bare for x in s)
        found[-1].costs["standard"] = cost(found[-1].standard_characters, "standard", prices)
        if names:
            found[-1].costs["active_custom_translation"] = cost(
                found[-1].characters, "active_custom_translation", prices
            )
    return found


def _readable_texts(spec: JobSpec) -> list[str]:
    source = open_location(spec.input, spec.endpoint_url)
    documents, _ = source.documents()
    texts = []
    for relative, _size in documents:
        try:
            texts.append(source.read_text(relative))
        except Exception:  # noqa: BLE001 - an unreadable document fails as a task, and costs nothing
            continue
    return texts


def _sentences(spec: JobSpec, texts: list[str], lang: str, memory: Any) -> list[list[str]]:
    from amts.adapt.batch import sentences_to_send

    with use_dialect(spec.markdown_dialect()):  # what is prose, and so sent, depends on it
        return [sentences_to_send(text, spec.src, lang, memory) for text in texts]


#: the environment variable naming a point where the worker kills itself (crash tests only)
FAULT_VARIABLE = "AMTS_TEST_KILL_AT"


def fault_point(name: str) -> None:
    """Crash tests: die here, at once and without cleanup (SIGKILL), when the variable names this point."""
    if os.environ.get(FAULT_VARIABLE) == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _credentials_failed(error: BaseException) -> bool:
    """Credentials expired or refused mid-job (not a bad request): the Amazon jobs themselves go on."""
    from amts.engines import EngineUnavailable

    return isinstance(error, EngineUnavailable) and "credentials" in str(error)


def run_cloud(job_id: str, store_path: Path, log: Log) -> list[int | None]:
    """Run every language pair's Amazon job at once, heartbeating the job until all are done."""
    with JobStore(store_path) as store, use_dialect(store.get(job_id).spec.markdown_dialect()):
        spec = store.get(job_id).spec
        langs = sorted({t.lang for t in store.tasks(job_id) if t.state in ("PENDING", "RUNNING")})
        errors: dict[str, BaseException] = {}

        def one(lang: str) -> None:
            try:
                LanguageRun(job_id, lang, spec, store_path, log).run()
            except BaseException as error:  # noqa: BLE001 - recorded on the tasks, reported by the worker
                errors[lang] = error

        # each thread runs in a copy of this context, so it masks with the job's dialect
        threads = [threading.Thread(target=contextvars.copy_context().run, args=(one, lang), name=f"amts-{lang}")
                   for lang in langs]
        for thread in threads:
            thread.start()
        pid = os.getpid()
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=HEARTBEAT_SECONDS / max(1, len(threads)))
            store.heartbeat(job_id, pid)
    return [3 if lang in errors else 0 for lang in langs]


class LanguageRun:
    """One language pair of a job: at most one Amazon job at a time, recorded in the store."""

    def __init__(self, job_id: str, lang: str, spec: JobSpec, store_path: Path, log: Log) -> None:
        self.job_id, self.lang, self.spec, self.store_path = job_id, lang, spec, store_path
        self.log = lambda message: log(f"{spec.src}->{lang}: {message}")
        self.store = JobStore(store_path)
        self.source = open_location(spec.input, spec.endpoint_url)
        self.output = open_location(spec.output, spec.endpoint_url)

    def run(self) -> None:
        from amts.adapt.setup import load_memory

        tasks = self.store.claim_language(self.job_id, self.lang, os.getpid())
        if not tasks:
            return
        pending = {t.document: t for t in tasks}
        try:
            self.memory = load_memory(self.spec.setup(self.store_path), self.lang)
            self.batch = make_batch_job(self.spec, self.log)
            self.texts: dict[str, str] = {}
            for document, task in list(pending.items()):
                try:
                    self.texts[document] = self.source.read_text(document)
                except Exception as error:  # this document failed; the others go on
                    self.store.fail_task(task.id, one_line(error))
                    del pending[document]
            record = self.store.remote(self.job_id, self.lang)
            if record and record["state"] not in ("FAILED", "STOPPED", ""):
                fresh = record["state"] not in FINAL
                self._finish_run(record, pending, fresh=fresh)
            if pending and not self.store.stop_requested(self.job_id):
                self._new_run(pending)
        except BaseException as error:
            message = one_line(error)
            if _credentials_failed(error):
                message += (
                    f" -- Amazon jobs already started keep running: once the credentials work again, run "
                    f"`amts job resume {self.job_id}` (a new `amts job start` would pay twice)"
                )
            for task in pending.values():
                self.store.fail_task(task.id, message)
            raise
        finally:
            self.store.release([t.id for t in pending.values()])  # stopped: back to the queue
            self.store.close()

    def _new_run(self, pending: dict[str, Task]) -> None:
        from amts.adapt.batch import sentences_to_send
        from amts.engines.aws_batch import billed_characters

        documents = {
            document: sentences
            for document in pending
            if (sentences := sentences_to_send(self.texts[document], self.spec.src, self.lang, self.memory))
        }
        if not documents:  # everything is in the memory: nothing to send, nothing to pay
            for document in list(pending):
                self._write(pending.pop(document), {})
            return
        characters = billed_characters(documents)
        submission = self.batch.upload(documents, self.spec.src)
        self.store.set_remote(
            self.job_id, self.lang, run_key=submission.run_key, remote_id="", state="UPLOADED", message="",
            documents=sorted(documents), characters=characters, details={},
        )  # fmt: skip
        names = parallel_data_for(self.spec, self.store_path, self.lang)
        self._start(submission, names)
        if not submission.job_id:  # stopped while Amazon's job slots were all taken
            return
        fault_point("after-job-start")
        self.store.set_remote(self.job_id, self.lang, remote_id=submission.job_id, state="SUBMITTED")
        self.log(f"Amazon job {submission.job_id}: {len(documents)} document(s), {characters:,} characters")
        record = self.store.remote(self.job_id, self.lang)
        assert record is not None
        self._finish_run(record, pending, fresh=True)

    def _start(self, submission: Any, names: list[str]) -> str:
        """Start the run's Amazon job with a token derived from the amts job, the pair and the run:
        a start repeated after a crash gets the job already started, never a second one."""
        from amts.engines.aws_batch import client_token

        token = client_token(self.job_id, self.spec.src, self.lang, submission.run_key)
        return self.batch.start(
            submission, self.spec.src, [self.lang], names, token=token,
            should_stop=lambda: self.store.stop_requested(self.job_id),
        )  # fmt: skip

    def _finish_run(self, record: dict, pending: dict[str, Task], *, fresh: bool) -> None:
        """Wait for the recorded Amazon job, then write what it produced for the pending documents."""
        from amts.engines.aws_batch import BatchResult, Submission, job_name

        job_id = record["remote_id"]
        if not job_id:  # killed between start and recording the id: find the job by its name
            found = self.batch.find(job_name(record["run_key"]))
            if not found:  # not listed (never started, or not yet visible): the same token gives the same job
                submission = Submission("", record["run_key"], self.batch.bucket)
                job_id = self._start(submission, parallel_data_for(self.spec, self.store_path, self.lang))
                if not job_id:
                    return
            else:
                job_id = found[-1]["JobId"]
            self.store.set_remote(self.job_id, self.lang, remote_id=job_id, state="SUBMITTED")
        details = self.batch.wait(
            job_id,
            should_stop=lambda: self.store.stop_requested(self.job_id),
            on_state=lambda d: self.store.set_remote(
                self.job_id, self.lang, state=d.get("JobStatus", ""), message=d.get("Message", ""),
                details=d.get("JobDetails", {}),
            ),  # fmt: skip
        )
        status = details.get("JobStatus", "")
        in_run = [d for d in record["documents"] if d in pending]
        if status == "STOPPED":
            return  # the tasks go back to the queue; resume starts a new run
        if status == "FAILED":
            message = f"Amazon Translate job {job_id} FAILED: {details.get('Message') or 'no message'}"
            for document in in_run:
                self.store.fail_task(pending.pop(document).id, message)
            return
        submission = Submission(job_id, record["run_key"], self.batch.bucket)
        documents = {d: self.batch.sent_segments(submission, d) for d in in_run}  # what was sent, not re-derived
        result = BatchResult(job_id, status, details=details)
        self.batch.download(submission, documents, [self.lang], result, None)
        lost = {m.split(":", 1)[1] for m in result.missing}
        for document in in_run:
            if document in lost:
                if fresh:
                    why = details.get("Message") or "see the job's details folder in S3"
                    self.store.fail_task(
                        pending.pop(document).id,
                        f"Amazon Translate job {job_id} {status} returned no output for this document ({why})",
                    )
                continue  # an earlier run lost it: the next run sends it again
            outputs = dict(zip(documents[document], result.translations[self.lang][document], strict=True))
            self._write(pending.pop(document), outputs)

    def _write(self, task: Task, outputs: dict[str, str | None]) -> None:
        from amts.adapt.batch import replay_document

        done = replay_document(self.texts[task.document], outputs, self.spec.src, self.lang, self.memory,
                               engine_name=self.spec.engine)
        notes = task_notes(done)
        if self.store.stage_task(task.id, os.getpid(), done.text, content_hash(done.text), dict(done.counts), notes):
            self.output.write_text(task.output, done.text)
            self.store.finish_task(task.id)
