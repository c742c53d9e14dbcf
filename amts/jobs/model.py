"""What a batch job is: its spec, its states (named as Amazon Translate names them) and its tasks."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from amts.document.dialects import Dialect, choose_dialect
from amts.errors import AmtsError

if TYPE_CHECKING:
    from amts.adapt.documents import DocumentTranslation
    from amts.adapt.setup import TranslationSetup


class JobState(StrEnum):
    """Job states, as ``describe_text_translation_job`` reports them."""

    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    COMPLETED_WITH_ERROR = "COMPLETED_WITH_ERROR"
    FAILED = "FAILED"
    STOPPED = "STOPPED"


class TaskState(StrEnum):
    """Task states: one task is one (target language, document)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"  # claimed by a worker process, translation under way
    STAGED = "STAGED"  # translation recorded in the store, output being written
    DONE = "DONE"  # output written with the recorded content hash
    ERROR = "FAILED"  # this document failed; the job goes on


SUBMITTED, IN_PROGRESS, COMPLETED, COMPLETED_WITH_ERROR, FAILED, STOPPED = JobState
JOB_STATES = tuple(JobState)
ACTIVE_STATES = (SUBMITTED, IN_PROGRESS)
TERMINAL_STATES = (COMPLETED, COMPLETED_WITH_ERROR, FAILED, STOPPED)

PENDING, RUNNING, STAGED, DONE, ERROR = TaskState
TASK_STATES = tuple(TaskState)


class JobError(AmtsError, RuntimeError):
    """A job cannot be created, found, resumed or stopped (one-line reason)."""


@dataclass
class JobSpec:
    """Everything a worker needs to run the job; stored as JSON so resume needs nothing else."""

    input: str  # local folder/file or s3://bucket/prefix/
    output: str  # local folder or s3://bucket/prefix/
    src: str
    tgts: list[str]
    engine: str
    parallel_data: list[str] = field(default_factory=list)  # parallel-data resources in the store
    workers: int = 0  # 0: one per core
    name: str = ""
    endpoint_url: str | None = None  # S3 endpoint (else boto3's own: AWS_ENDPOINT_URL_S3, ...)
    engine_options: dict[str, object] = field(default_factory=dict)  # options of ``engine``
    examples: int = 4  # similar pairs retrieved per sentence when parallel data is given
    engines: dict[str, str] = field(default_factory=dict)  # engine per target language (amts.toml [engines])
    engine_settings: dict[str, dict[str, object]] = field(default_factory=dict)  # options per engine name
    glossary: str | None = None  # glossary CSV
    #: settings taken from amts.toml: unusable ones are warned about and left out, as translate does
    optional: list[str] = field(default_factory=list)
    #: the Markdown dialect of the input (resolved when the job starts; None: GFM)
    dialect: str | None = None
    #: answers of network engines kept in the segment cache (``--no-cache``: False)
    cache: bool = True

    @classmethod
    def from_setup(cls, setup: TranslationSetup, input: str, output: str, **job: object) -> JobSpec:
        """The spec of a job translating ``input`` as ``setup`` says (``job``: workers, name, endpoint_url)."""
        return cls(input=input, output=output, src=setup.src, tgts=list(setup.targets), engine=setup.engine,
                   parallel_data=list(setup.parallel_data), engine_options=setup.options_for(setup.engine),
                   examples=setup.examples, engines=dict(setup.engines),
                   engine_settings={name: dict(values) for name, values in setup.engine_options.items()},
                   glossary=str(setup.glossary) if setup.glossary else None, optional=sorted(setup.optional),
                   dialect=setup.dialect, cache=setup.cache, **job)  # type: ignore[arg-type]

    def setup(self, store: Path | str) -> TranslationSetup:
        """The translation setup every worker process builds its translators from."""
        from amts.adapt.setup import TranslationSetup

        options = {name: dict(values) for name, values in self.engine_settings.items()}
        options.setdefault(self.engine, {}).update(self.engine_options)
        return TranslationSetup(src=self.src, targets=list(self.tgts), engine=self.engine, engines=dict(self.engines),
                                engine_options=options, parallel_data=list(self.parallel_data),
                                glossary=Path(self.glossary) if self.glossary else None, store=Path(store),
                                examples=self.examples, optional=frozenset(self.optional), dialect=self.dialect,
                                cache=self.cache)

    def markdown_dialect(self) -> Dialect:
        """The dialect recorded when the job started (GFM for a job recorded before dialects were)."""
        return choose_dialect(self.dialect, None, given_in="job")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> JobSpec:
        return cls(**json.loads(text))


@dataclass
class Task:
    id: int
    job_id: str
    seq: int
    lang: str
    document: str  # path relative to the input, POSIX separators
    output: str  # path relative to the output: <rel dir>/<lang>.<name>
    size: int
    state: str
    error: str | None = None
    content_hash: str | None = None  # sha256 of the output's UTF-8 bytes
    translations: int = 0  # times a translation was recorded: 1 for every done document
    counts: dict[str, int] = field(default_factory=dict)  # sentence statuses (engine, memory, ...)
    notes: list[str] = field(default_factory=list)  # parser warnings and sentences needing review
    pid: int | None = None
    started: float | None = None
    finished: float | None = None


@dataclass
class Job:
    id: str
    spec: JobSpec
    state: str
    created: float
    updated: float
    started: float | None = None
    finished: float | None = None
    worker_pid: int | None = None
    heartbeat: float | None = None
    stop_requested: bool = False
    error: str | None = None
    skipped: list[str] = field(default_factory=list)  # input files that are not Markdown

    @property
    def name(self) -> str:
        return self.spec.name


def one_line(error: BaseException) -> str:
    """How a failed task or job records its error: ``Type: first line``."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def task_notes(result: DocumentTranslation) -> list[str]:
    """What a task records about one translated document: parser warnings, then the reported sentences."""
    notes = [f"warning: {w}" for w in result.document.warnings]
    notes += [f"{r.outcome.status} line {r.line}: {r.outcome.message or r.outcome.source[:60]}" for r in result.problems()]
    return notes
