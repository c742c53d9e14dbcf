"""Reviewed pairs flow back into a named parallel-data resource of the amts store."""

from __future__ import annotations

from pathlib import Path

from amts.engines import Example
from amts.memory import Pair
from amts.memory.store import NotFound, Store


class StoreFeedback:
    """Post-edits go to ``name`` in the store as new versions; similar pairs come from its latest one.

    The resource is created on the first post-edit if it does not exist yet, so a reviewer can start
    from a sync made without parallel data.
    """

    def __init__(self, store_path: Path, name: str, description: str = "post-edited in amts review") -> None:
        self.store = Store(store_path)
        self.name = name
        self.description = description
        self._memory: object | None = None
        self._memory_version = -1

    def add(self, pair: Pair) -> str:
        try:
            info = self.store.append(self.name, [pair], origin="post-edited")
        except NotFound:
            info = self.store.create(self.name, [pair], description=self.description)
        return f"{info.name} v{info.version}"

    def similar(self, source: str, src: str, tgt: str, k: int) -> list[Example]:
        memory = self._translation_memory()
        if memory is None:
            return []
        return list(memory.similar(source, src, tgt, k))  # type: ignore[attr-defined]

    def _translation_memory(self) -> object | None:
        """The retrieval index of the latest version, rebuilt only when a new version appears."""
        try:
            from amts.memory import TranslationMemory  # type: ignore[attr-defined]
        except ImportError:  # retrieval not available in this build: the page says "no similar pairs"
            return None
        try:
            version = self.store.describe(self.name).version
        except NotFound:
            return None
        if version != self._memory_version:
            self._memory = TranslationMemory(self.store.pairs(self.name))
            self._memory_version = version
        return self._memory
