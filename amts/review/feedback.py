"""Reviewed pairs flow back into a named parallel-data resource of the amts store."""

from __future__ import annotations

from pathlib import Path

from amts.memory import Example, NotFound, Pair, Store, TermMatcher, TranslationMemory


class StoreFeedback:
    """Post-edits go to ``name`` in the store as new versions; similar pairs come from its latest one.

    The resource is created on the first post-edit if it does not exist yet, so a reviewer can start
    from a sync made without parallel data. Glossary terms: ``glossary`` if given, else the term-like
    pairs of the parallel data itself.
    """

    def __init__(
        self,
        store_path: Path,
        name: str,
        glossary: TermMatcher | None = None,
        description: str = "post-edited in amts review",
    ) -> None:
        self.store = Store(store_path)
        self.name = name
        self.description = description
        self.glossary = glossary
        self._memory: TranslationMemory | None = None
        self._version = -1

    def add(self, pair: Pair) -> str:
        try:
            info = self.store.append(self.name, [pair], origin="post-edited")
        except NotFound:
            info = self.store.create(self.name, [pair], description=self.description)
        return f"{info.name} v{info.version}"

    def similar(self, source: str, src: str, tgt: str, k: int) -> list[Example]:
        memory = self._translation_memory()
        return memory.similar(source, src, tgt, k) if memory is not None else []

    def terms_for(self, source: str) -> dict[str, str]:
        if self.glossary is not None:
            return self.glossary.terms_for(source)
        memory = self._translation_memory()
        return memory.terms_for(source) if memory is not None else {}

    def _translation_memory(self) -> TranslationMemory | None:
        """The retrieval index of the latest version, rebuilt only when a new version appears."""
        if not self.store.path.exists():
            return None
        try:
            version = self.store.describe(self.name).version
        except NotFound:
            return None
        if version != self._version:
            pairs = self.store.pairs(self.name, version)
            glossary = self.glossary or TermMatcher.from_pairs(pairs)
            self._memory = TranslationMemory(pairs, pairs[0].src_lang, pairs[0].tgt_lang, glossary=glossary)
            self._version = version
        return self._memory
