"""A persistent segment cache in front of an engine: an answer received is never requested again.

Network engines bill per request and local LLMs take seconds per sentence; ``translate``, ``sync``,
``update`` and ``job`` (through :func:`amts.adapt.setup.load_engine`) and the experiment send the same
requests again on every run, and after an interrupted run. Answers are keyed by everything that can
change them: the engine's :meth:`~amts.engines.Engine.cache_identity` (endpoint, model, every option
that changes output, the prompt's version), the language pair, the masked text, the examples and
glossary sent with it, and which attempt it is (the adaptive layer retries a failed output once, and
engines answer a retry differently). Each answer is committed as it arrives
(:attr:`~amts.engines.Engine.on_answer`), so a run killed mid-batch keeps what it paid for.
The whole :class:`~amts.engines.Translation` is kept -- text, trust, note and review flag -- so a
cached llama run keeps its review flag and its back-translation veto (the retry is attempt 2).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from amts.database import connect, migrate, write
from amts.engines.base import Engine, Request, Translation


def _schema_v1(db: sqlite3.Connection) -> None:
    # IF NOT EXISTS: caches written before the cache had migrations already hold this table
    db.execute("CREATE TABLE IF NOT EXISTS translations (key TEXT PRIMARY KEY, output TEXT NOT NULL)")


def _schema_v2(db: sqlite3.Connection) -> None:
    """Whole results, not only texts; rows from before keep NULL there: the engine's defaults."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(translations)")}
    for column, kind in (("trusted", "INTEGER"), ("note", "TEXT"), ("review", "INTEGER")):
        if column not in columns:
            db.execute(f"ALTER TABLE translations ADD COLUMN {column} {kind}")


_MIGRATIONS = [_schema_v1, _schema_v2]


class CachedEngine(Engine):
    """Wrap ``inner``: answers from the cache when it can, asks ``inner`` only for what is missing.

    Other attributes (``model``, ``concurrency``...) are read from ``inner``, so a setup's signature
    and a job's checks see the engine itself.
    """

    def __init__(self, inner: Engine, path: Path) -> None:
        self.inner = inner
        for attr in ("name", "title", "package", "slow", "batch_size", "checks_script", "always_review",
                     "needs_network", "runs_as_job", "for_tests"):
            setattr(self, attr, getattr(inner, attr))
        self.identity = json.dumps(inner.cache_identity(), sort_keys=True, ensure_ascii=False, default=str)
        self.db = connect(path, threads=True)  # answers arrive on the engine's worker threads
        migrate(self.db, "engine_cache", _MIGRATIONS)
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.asked: Counter[str] = Counter()
        self._pending: dict[int, str] = {}  # id(request) -> key, while ``inner`` answers them

    def __getattr__(self, name: str) -> object:
        if name == "inner":  # not set yet: no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def cache_identity(self) -> dict[str, object]:
        return self.inner.cache_identity()

    def new_round(self) -> None:
        """Start a new set of requests: within one, asking the same request again is the pipeline's
        retry, which must reach the engine (its second attempt differs) and is cached as attempt 2."""
        self.asked.clear()
        self.inner.new_round()

    def key(self, request: Request, src: str, tgt: str) -> str:
        payload = json.dumps(
            [self.identity, src, tgt, request.text, [[e.source, e.target] for e in request.examples],
             sorted(request.glossary.items())],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def supports(self, src: str, tgt: str) -> bool:
        return self.inner.supports(src, tgt)

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        return [result.text for result in self.results(requests, src, tgt)]

    def results(self, requests: Sequence[Request], src: str, tgt: str) -> list[Translation]:
        keys = []
        for request in requests:
            key = self.key(request, src, tgt)
            self.asked[key] += 1
            keys.append(key if self.asked[key] == 1 else f"{key}#{self.asked[key]}")
        found = {key: result for key in set(keys) if (result := self._find(key)) is not None}
        missing = [i for i, key in enumerate(keys) if key not in found]
        self.hits += len(requests) - len(missing)
        self.misses += len(missing)
        if missing:
            asked = [requests[i] for i in missing]
            self._pending = {id(request): keys[i] for i, request in zip(missing, asked, strict=True)}
            self.inner.on_answer = self._keep
            try:
                outputs = self.inner.results(asked, src, tgt)
            finally:
                self.inner.on_answer = None
            for i, output in zip(missing, outputs, strict=True):
                found[keys[i]] = output
                self._store(keys[i], output)  # engines that do not report each answer
        return [found[key] for key in keys]

    def _find(self, key: str) -> Translation | None:
        with self.lock:
            row = self.db.execute("SELECT output, trusted, note, review FROM translations WHERE key = ?",
                                  (key,)).fetchone()
        if row is None:
            return None
        text, trusted, note, review = row
        return Translation(text, True if trusted is None else bool(trusted), note or "",
                           self.always_review if review is None else bool(review))

    def _keep(self, request: Request, result: Translation) -> None:
        key = self._pending.get(id(request))
        if key is not None:
            self._store(key, result)

    def _store(self, key: str, output: Translation) -> None:
        with self.lock, write(self.db):  # committed per answer: an interrupted run keeps what it paid for
            self.db.execute(
                "INSERT OR REPLACE INTO translations (key, output, trusted, note, review) VALUES (?, ?, ?, ?, ?)",
                (key, output.text, int(output.trusted), output.note, int(output.review)),
            )

    def close(self) -> None:
        self.db.close()
        self.inner.close()
