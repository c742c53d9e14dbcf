"""The one small interface every translation engine implements.

Engines see *masked* text: prose in which every piece of inline structure (math, code, roles, link
targets, ...) has been replaced by a numbered placeholder ``{1}``, ``{2}``, ... that they must copy
unchanged. Validation of placeholders happens in :mod:`amts.document.inline`, not in engines.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from amts.errors import ServiceError

if TYPE_CHECKING:  # the annotation only: importing amts.memory loads its formats, numpy and langcodes
    from amts.memory.pairs import Example


#: attributes naming the model an engine loaded: a new model must not reuse old cached outputs
MODEL_ATTRIBUTES = ("model_dir", "model_path", "model", "model_name")


class EngineError(ServiceError):
    """An engine could not translate (misconfigured, unreachable, unsupported language pair...)."""


class EngineUnavailable(EngineError):
    """The engine's software, model or credentials are not present on this machine."""


@dataclass
class Request:
    """One masked segment to translate, with what the adaptive layer retrieved for it."""

    text: str
    examples: Sequence[Example] = field(default_factory=tuple)
    glossary: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Translation:
    """What an engine answers for one request: the text, and whether (and why) it can be trusted.

    ``trusted=False``: the engine itself doubts the output (e.g. back-translation disagrees); the
    adaptive layer retries once, then keeps the source and reports the sentence. ``review``: usable,
    but a person must look at it (weak models). ``note`` says why, for the report.
    """

    text: str
    trusted: bool = True
    note: str = ""
    review: bool = False


class Engine(ABC):
    """Translate a batch of masked segments from ``src`` to ``tgt`` (BCP 47 tags, e.g. ``zh``, ``pt-BR``).

    :meth:`results` answers one :class:`Translation` per request, in order; it is what the adaptive
    layer and wrappers (caches) call. Most engines only implement :meth:`translate` (one string per
    request) and declare ``always_review``; an engine that judges its own outputs overrides
    :meth:`results`. Either may raise :class:`EngineError` for the whole batch; per-segment quality
    problems are found by the caller's validation.
    """

    name: str = "engine"
    #: how tables and reports name the engine
    title: str = ""
    #: the library that does the work, whose version a report prints (None: nothing beyond amts)
    package: str | None = None
    #: seconds per sentence on a CPU: evaluations run it on a part of the data only
    slow: bool = False
    #: how many requests the caller should put in one ``translate`` call
    batch_size: int = 32
    #: whether outputs are real translations (checked for the target script); false for test engines
    checks_script: bool = True

    #: whether every output of this engine must be looked at by a person (weak models)
    always_review: bool = False
    #: sends the text to a service over the network (an account, a bill): used only when named
    needs_network: bool = False
    #: translates whole documents as the service's own asynchronous batch jobs: ``amts job`` hands each
    #: language pair over whole instead of running segment workers
    runs_as_job: bool = False
    #: for tests and benchmarks: usable by name, never listed to users nor chosen for them
    for_tests: bool = False
    #: attributes whose values change the outputs (endpoint, model, sampling, settings): part of every
    #: cache key (:meth:`cache_identity`); the loaded model's attributes are always part of it
    output_options: tuple[str, ...] = ()
    #: called with each answer as it arrives (set by :class:`~amts.engines.cache.CachedEngine`), so
    #: an answer paid for is kept even when a later request of the same batch fails
    on_answer: Callable[[Request, Translation], None] | None = None

    @abstractmethod
    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        """The output texts alone, one per request."""

    def results(self, requests: Sequence[Request], src: str, tgt: str) -> list[Translation]:
        """One :class:`Translation` per request (default: the texts, flagged by ``always_review``)."""
        return [Translation(text, review=self.always_review)
                for text in self.translate(requests, src, tgt)]

    def supports(self, src: str, tgt: str) -> bool:
        """Whether this engine can translate the pair at all (checked before a job starts)."""
        return True

    def cache_identity(self) -> dict[str, object]:
        """Everything about this engine that can change an output: its name, the model it loaded and
        its :attr:`output_options` (a cache keys every answer by it)."""
        identity: dict[str, object] = {"engine": self.name}
        for attr in (*MODEL_ATTRIBUTES, *self.output_options):
            if getattr(self, attr, None) is not None:
                identity[attr] = getattr(self, attr)
        for attr in MODEL_ATTRIBUTES:  # another model file put at the same path is another model
            if isinstance(identity.get(attr), str | Path) and (stamp := _file_stamp(Path(identity[attr]))):
                identity[f"{attr}_file"] = stamp
        return identity

    def answered(self, request: Request, result: Translation) -> Translation:
        """Hand one answer to :attr:`on_answer` (network engines call it as each answer arrives)."""
        if self.on_answer is not None:
            self.on_answer(request, result)
        return result

    def new_round(self) -> None:  # noqa: B027 - optional hook
        """A new set of requests begins: asking one again before the next round is a retry (a cache
        then asks the engine instead of answering what failed validation)."""

    def translate_texts(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        """Convenience for callers without examples or glossary."""
        return self.translate([Request(t) for t in texts], src, tgt)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release models, sessions or subprocesses."""


def _file_stamp(path: Path) -> str:
    """Size and modification time of a model file (or of the files of a model folder); "" if absent."""
    try:
        files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        return ";".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
    except OSError:
        return ""
