"""A persistent cache in front of an engine, so re-running an experiment never re-translates.

Local LLMs take seconds per sentence; the experiment sends the same requests (same text, same
retrieved examples) again on every run. Outputs are keyed by everything that can change them: engine
name, model and options, language pair, masked text, examples and glossary, and which attempt it is
(the adaptive pipeline retries a failed output once, and engines answer a retry differently).
The whole :class:`~amts.engines.Translation` is kept -- text, trust, note and review flag -- so a
cached llama run keeps its review flag and its back-translation veto.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from amts.adapt.setup import engine_signature
from amts.database import connect, migrate, write
from amts.engines import Engine, Request, Translation


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
    """Wrap ``inner``: answers from the cache when it can, asks ``inner`` only for what is missing."""

    def __init__(self, inner: Engine, path: Path, options: Mapping[str, object] | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.batch_size = inner.batch_size
        self.checks_script = inner.checks_script
        self.always_review = inner.always_review
        # the engine part of the setup's signature: which model answers matters as much as the engine
        self.identity = engine_signature(inner, options)
        self.db = connect(path)
        migrate(self.db, "engine_cache", _MIGRATIONS)
        self.hits = 0
        self.misses = 0
        self.asked: Counter[str] = Counter()

    def new_round(self) -> None:
        """Start a new document: within one, asking the same request again is the pipeline's retry,
        which must reach the engine (its second attempt differs) and is cached as attempt 2."""
        self.asked.clear()

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
        found: dict[str, Translation] = {}
        for key in set(keys):
            row = self.db.execute("SELECT output, trusted, note, review FROM translations WHERE key = ?",
                                  (key,)).fetchone()
            if row is not None:
                text, trusted, note, review = row
                found[key] = Translation(text, True if trusted is None else bool(trusted), note or "",
                                         self.always_review if review is None else bool(review))
        missing = [i for i, key in enumerate(keys) if key not in found]
        self.hits += len(requests) - len(missing)
        self.misses += len(missing)
        if missing:
            outputs = self.inner.results([requests[i] for i in missing], src, tgt)
            with write(self.db):  # committed per batch: an interrupted run keeps what it paid for
                for i, output in zip(missing, outputs, strict=True):
                    found[keys[i]] = output
                    self.db.execute(
                        "INSERT OR REPLACE INTO translations (key, output, trusted, note, review) VALUES (?, ?, ?, ?, ?)",
                        (keys[i], output.text, int(output.trusted), output.note, int(output.review)),
                    )
        return [found[key] for key in keys]

    def close(self) -> None:
        self.db.close()
        self.inner.close()
