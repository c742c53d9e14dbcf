"""The one small interface every translation engine implements.

Engines see *masked* text: prose in which every piece of inline structure (math, code, roles, link
targets, ...) has been replaced by a numbered placeholder ``{1}``, ``{2}``, ... that they must copy
unchanged. Validation of placeholders happens in :mod:`amts.document.inline`, not in engines.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from amts.errors import ServiceError
from amts.memory.pairs import Example


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


class Engine(ABC):
    """Translate a batch of masked segments from ``src`` to ``tgt`` (ISO 639-1 codes).

    ``translate`` returns one string per request, in order. It may raise :class:`EngineError`
    for the whole batch; per-segment quality problems are found by the caller's validation.
    """

    name: str = "engine"
    #: how many requests the caller should put in one ``translate`` call
    batch_size: int = 32
    #: whether outputs are real translations (checked for the target script); false for test engines
    checks_script: bool = True

    @abstractmethod
    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]: ...

    #: whether every output of this engine must be looked at by a person (weak models)
    always_review: bool = False

    def review_note(self, masked_source: str) -> tuple[bool, str]:
        """(trusted, note) about this engine's last output for ``masked_source``.

        An engine that checks its own output (e.g. by back-translation) says here that it does not
        trust it; the adaptive layer then retries once and reports the sentence instead of using it.
        """
        return True, ""

    def supports(self, src: str, tgt: str) -> bool:
        """Whether this engine can translate the pair at all (checked before a job starts)."""
        return True

    def translate_texts(self, texts: Sequence[str], src: str, tgt: str) -> list[str]:
        """Convenience for callers without examples or glossary."""
        return self.translate([Request(t) for t in texts], src, tgt)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release models, sessions or subprocesses."""
