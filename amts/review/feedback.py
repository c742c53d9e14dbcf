"""Reviewed pairs flow back into a named parallel-data resource of the amts store."""

from __future__ import annotations

import threading
from pathlib import Path

from amts.memory import Example, NotFound, Pair, Store, TranslationMemory


class StoreFeedback:
    """Post-edits go to ``name`` in the store as new versions; similar pairs come from it.

    The resource is created on the first post-edit if it does not exist yet, so a reviewer can start
    from a sync made without parallel data. Each post-edit is a delta version (the store keeps its
    pair, not a copy); undo reverts exactly that version.

    Matches: the index of the version found at first use is built once (an 11k-pair book takes
    seconds); pairs written during this review are kept in a small index of their own, rebuilt on
    every decision, and win over the base index for the same source.
    """

    def __init__(self, store_path: Path, name: str, description: str = "post-edited in amts review") -> None:
        self.store = Store(store_path)
        self.name = name
        self.description = description
        self._base: TranslationMemory | None = None
        self._base_version = -1
        self._added: dict[int, Pair] = {}  # version -> the pair it added, during this review
        self._reverted: set[int] = set()
        self._recent: TranslationMemory | None = None
        self._building = threading.Lock()
        self._by_source: dict[str, Pair] | None = None  # the base version's pairs, by source

    def warm(self) -> threading.Thread:
        """Build the match index in the background (seconds for a book), so the first segment page is quick."""
        thread = threading.Thread(target=self._base_memory, name="amts-review-index", daemon=True)
        thread.start()
        return thread

    def add(self, pair: Pair) -> tuple[str, int]:
        try:
            info = self.store.append(self.name, [pair], origin="post-edited")
        except NotFound:
            info = self.store.create(self.name, [pair], description=self.description)
        self._added[info.version] = pair
        self._recent = None
        if self._by_source is not None:
            self._by_source.pop(pair.source, None)  # replaced on purpose, or new: this review's own now
        return f"{info.name} v{info.version}", info.version

    def revert(self, version: int) -> tuple[str, int]:
        info = self.store.revert(self.name, version)
        self._by_source = None  # a replaced pair may be back
        if version in self._added:
            del self._added[version]
        elif self._base is not None:  # a pair of the base version came back or went: rebuild once
            self._base_version = -1
        self._recent = None
        return f"{info.name} v{info.version} (took back v{version})", info.version

    def latest(self) -> int:
        if not self.store.path.exists():
            return 0
        try:
            return self.store.describe(self.name).version
        except NotFound:
            return 0

    def existing(self, source: str) -> Pair | None:
        """The pair for ``source`` that this review did not write (a human's, or an earlier review's), if any:
        a post-edit never silently replaces it (``Store.append`` would)."""
        if any(pair.source == source for pair in self._added.values()):
            return None  # this review's own earlier post-edit: the reviewer is revising it
        if self._by_source is None:
            version = self.latest()
            pairs = self.store.pairs(self.name, version) if version else []
            self._by_source = {pair.source: pair for pair in pairs}
        return self._by_source.get(source)

    def indexing(self) -> bool:
        """Whether the match index is being built right now (a page need not wait for it)."""
        return self._building.locked()

    def similar(self, source: str, src: str, tgt: str, k: int) -> list[Example]:
        found: dict[str, Example] = {}
        recent = self._recent_memory(src, tgt)
        if recent is not None:
            for example in recent.similar(source, src, tgt, k):
                found[example.source] = example
        base = self._base_memory()
        if base is not None:
            for example in base.similar(source, src, tgt, k + len(found)):
                found.setdefault(example.source, example)
        return sorted(found.values(), key=lambda e: -e.score)[:k]

    def _recent_memory(self, src: str, tgt: str) -> TranslationMemory | None:
        if not self._added:
            return None
        if self._recent is None:
            self._recent = TranslationMemory(list(self._added.values()), src, tgt)
        return self._recent

    def _base_memory(self) -> TranslationMemory | None:
        """The retrieval index of the store as it was before this review's own pairs."""
        with self._building:
            return self._build_base()

    def _build_base(self) -> TranslationMemory | None:
        if self._base_version == -1 or self._base is None:
            version = self.latest()
            if not version:
                return None
            pairs = self.store.pairs(self.name, version)
            ours = {(p.source, p.target) for p in self._added.values()}
            pairs = [p for p in pairs if (p.source, p.target) not in ours]
            if not pairs:
                return None
            self._base = TranslationMemory(pairs, pairs[0].src_lang, pairs[0].tgt_lang)
            self._base_version = version
        return self._base
