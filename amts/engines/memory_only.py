"""``memory``: the name for "no engine" -- translation memory and glossary only.

A sentence with no exact match in the parallel data is left in the source language and reported as
untranslated, never silently. The translation setup (:mod:`amts.adapt.setup`) turns this name into
"no engine"; this marker only gives the choice a place in the engine table, so ``--engine memory``
and ``amts.toml`` can express it and engine listings show it.
"""

from __future__ import annotations

from collections.abc import Sequence

from amts.engines.base import Engine, EngineError, Request


class MemoryOnlyEngine(Engine):
    """A marker: the translation setup builds a translator without an engine when it is named."""

    name = "memory"
    checks_script = False

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        raise EngineError(
            "the memory engine translates nothing itself: build the translator with amts.adapt.setup "
            "(build_translator), so unmatched sentences are reported untranslated"
        )
