"""The adaptive translation layer between documents and engines.

Per sentence, in this order: exact match in the translation memory (a human translation is reused,
never re-translated); otherwise the engine, steered by the most similar pairs and the glossary; then
validation (placeholders, script). An output that fails validation is retried once, then the source is
kept and the sentence reported -- never written broken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from amts.document import PlaceholderError, is_cjk_language, mask, strip_structure
from amts.document.links import conform_links
from amts.document.scripts import HAN_RE, LATIN_WORD_RE
from amts.engines import Engine, EngineError, Request, Translation
from amts.memory import Example, Violation, missing_terms


class Status(StrEnum):
    """Where one sentence's translation came from (compares equal to its plain string value)."""

    KEPT = "kept"
    MEMORY = "memory"
    ENGINE = "engine"
    UNTRANSLATED = "untranslated"
    FAILED = "failed"


KEPT, MEMORY, ENGINE, UNTRANSLATED, FAILED = Status


class Memory(Protocol):
    """What the adaptive layer needs from a translation memory (see :mod:`amts.memory`)."""

    def exact(self, source: str, src: str, tgt: str) -> str | None: ...

    def similar(self, source: str, src: str, tgt: str, k: int) -> list[Example]: ...


class Terms(Protocol):
    """What the adaptive layer needs from a glossary: the terms of a sentence and their translations
    (:class:`amts.adapt.glossary.Glossary`, or a memory's :class:`amts.memory.TermMatcher`)."""

    def terms_for(self, source: str) -> dict[str, str]: ...


@dataclass
class Outcome:
    """The translation of one sentence and where it came from."""

    source: str
    target: str
    status: Status
    message: str = ""
    examples: list[Example] = field(default_factory=list)
    #: glossary terms of the source whose translation an engine output does not use (never for memory reuse)
    violations: list[Violation] = field(default_factory=list)
    #: an engine output a person must look at even though it passed validation (weak engines)
    needs_review: bool = False




def wrong_script(source: str, target: str, tgt: str) -> bool:
    """A CJK target with no CJK at all for a source with words is untranslated text, not a translation."""
    if is_cjk_language(tgt):
        prose = mask(source).text
        return bool(LATIN_WORD_RE.search(prose)) and not HAN_RE.search(target)
    return False


class AdaptiveTranslator:
    """Translate sentence keys (Markdown with inline markup, wrapping folded)."""

    def __init__(
        self,
        engine: Engine | None,
        memory: Memory | None = None,
        glossary: Terms | None = None,
        examples: int = 4,
        own_links: Sequence[str] = (),
    ) -> None:
        self.engine = engine
        self.memory = memory
        self.glossary = glossary
        self.k = examples
        #: link prefixes the translation points at its own pages (the book's one link policy, amts.document.links)
        self.own_links = tuple(own_links)
        self.engine_calls = 0
        #: what built this translator (:meth:`amts.adapt.setup.TranslationSetup.signature`): the key of caches
        self.signature = ""

    def recall(self, source: str, src: str, tgt: str) -> str | None:
        """A human translation of exactly ``source`` from the memory (e.g. a paragraph pair), or None.

        Its link targets are the source's (except the book's own links): reuse never moves a link."""
        found = self.memory.exact(source, src, tgt) if self.memory else None
        return conform_links(source, found, self.own_links) if found is not None else None

    def translate(self, sources: Sequence[str], src: str, tgt: str) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(sources)
        pending: list[int] = []
        for i, source in enumerate(sources):
            found = self.recall(source, src, tgt)
            if found is not None:
                outcomes[i] = Outcome(source, found, MEMORY)
            elif self.engine is None:
                outcomes[i] = Outcome(source, source, UNTRANSLATED, "no exact match in the memory")
            else:
                pending.append(i)
        if pending and self.engine is not None:
            for i, outcome in zip(pending, self._with_engine([sources[i] for i in pending], src, tgt), strict=True):
                outcomes[i] = outcome
        return [o for o in outcomes if o is not None]

    def _with_engine(self, sources: list[str], src: str, tgt: str) -> list[Outcome]:
        assert self.engine is not None
        self.engine.new_round()  # asking a request again below is its retry
        masked = [mask(s) for s in sources]
        requests = [self._request(s, m.text, src, tgt) for s, m in zip(sources, masked, strict=True)]
        raw = self._call(requests, src, tgt)
        results: list[Outcome] = []
        retry: list[int] = []
        for i, (source, m, out) in enumerate(zip(sources, masked, raw, strict=True)):
            outcome = self._validate(source, m, out, tgt, requests[i])
            if outcome.status == FAILED:
                retry.append(i)
            results.append(outcome)
        if retry:
            again = self._call([requests[i] for i in retry], src, tgt)
            for i, out in zip(retry, again, strict=True):
                outcome = self._validate(sources[i], masked[i], out, tgt, requests[i])
                if outcome.status == FAILED:
                    outcome = Outcome(sources[i], sources[i], FAILED, outcome.message + " (after one retry)")
                results[i] = outcome
        return results

    def _request(self, source: str, masked_text: str, src: str, tgt: str) -> Request:
        examples: list[Example] = []
        if self.memory and self.k:
            examples = [Example(mask(e.source).text, mask(e.target).text, e.score) for e in self.memory.similar(source, src, tgt, self.k)]
        glossary = self.glossary.terms_for(source) if self.glossary else {}
        return Request(masked_text, tuple(examples), glossary)

    def _call(self, requests: list[Request], src: str, tgt: str) -> list[Translation]:
        assert self.engine is not None
        out: list[Translation] = []
        size = max(1, self.engine.batch_size)
        for start in range(0, len(requests), size):
            batch = requests[start : start + size]
            self.engine_calls += len(batch)
            translated = self.engine.results(batch, src, tgt)
            if len(translated) != len(batch):
                raise EngineError(f"{self.engine.name} returned {len(translated)} outputs for {len(batch)} inputs")
            out.extend(translated)
        return out

    def _validate(self, source: str, m, out: Translation, tgt: str, request: Request) -> Outcome:  # noqa: ANN001
        examples = list(request.examples)
        try:
            target = m.unmask(out.text.strip())
        except PlaceholderError as error:
            return Outcome(source, source, FAILED, str(error), examples)
        assert self.engine is not None
        note = out.note
        if not out.trusted:
            return Outcome(source, source, FAILED, note, examples)
        if getattr(self.engine, "checks_script", True) and wrong_script(source, target, tgt):
            return Outcome(source, source, FAILED, f"output is not in the {tgt} script", examples)
        violations = missing_terms(request.glossary, strip_structure(target)) if request.glossary else []
        message = "; ".join(filter(None, ["glossary: " + "; ".join(map(str, violations)) if violations else "", note]))
        return Outcome(source, target, ENGINE, message, examples, violations, needs_review=out.review)
