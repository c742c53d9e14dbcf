"""``memory``: the name for "no engine" -- translation memory and glossary only.

A sentence with no exact match in the parallel data is left in the source language and reported as
untranslated, never silently. That is what ``AdaptiveTranslator(engine=None)`` does; this marker
only gives the choice a name in the engine registry, so ``--engine memory`` and ``amts.toml`` can
express it and engine listings show it.
"""

from __future__ import annotations

from collections.abc import Sequence

from amts.engines.base import Engine, EngineError, Request


class MemoryOnlyEngine(Engine):
    """A marker: callers that see it must pass ``engine=None`` to the adaptive translator."""

    name = "memory"
    checks_script = False

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        raise EngineError(
            "the memory engine translates nothing itself: use AdaptiveTranslator(engine=None) "
            "so unmatched sentences are reported untranslated"
        )


def is_memory_only(engine: Engine | None) -> bool:
    """Whether ``engine`` means "memory and glossary only" (``None`` or the marker)."""
    return engine is None or isinstance(engine, MemoryOnlyEngine)
