"""Book-level translation through a batch service (Amazon Translate batch jobs), in two passes.

A batch service translates whole files long after they were sent, so the adaptive layer runs twice
over each document, through the very same code path (:func:`translate_markdown`):

1. :func:`sentences_to_send` runs it with an engine that only *records* what it is asked: exactly the
   masked sentences the layer would send -- sentences and paragraphs the memory answers exactly are
   never among them, so a human translation is never sent (nor billed);
2. :func:`replay_document` runs it again with an engine that answers from the job's outputs, so
   validation (placeholders, script) and reporting are those of every other engine. A sentence the
   job lost is reported and kept in the source language, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amts.adapt.documents import DocumentTranslation, translate_markdown
from amts.adapt.pipeline import AdaptiveTranslator, Memory
from amts.engines import Engine, Request

#: what a segment the job lost is replayed as: ``{0}`` is never a valid placeholder, so validation fails
_LOST = "{0}"
LOST_MESSAGE = "no output for this sentence in the batch job"


class _Recorder(Engine):
    """Records the masked segments it is asked for; answers with the source (never written)."""

    name = "batch-recorder"
    batch_size = 100_000
    checks_script = False

    def __init__(self) -> None:
        self.seen: dict[str, None] = {}

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        for request in requests:
            self.seen.setdefault(request.text, None)
        return [request.text for request in requests]


class _Replay(Engine):
    """Answers from a finished batch job's outputs (masked source -> masked translation)."""

    batch_size = 100_000

    def __init__(self, name: str, outputs: Mapping[str, str | None]) -> None:
        self.name = name
        self.outputs = outputs

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        return [self.outputs.get(r.text) or _LOST for r in requests]


def sentences_to_send(text: str, src: str, tgt: str, memory: Memory | None = None) -> list[str]:
    """The masked sentences of ``text`` an engine must translate into ``tgt``, each once, in order."""
    recorder = _Recorder()
    translate_markdown(text, AdaptiveTranslator(recorder, memory=memory, examples=0), src, tgt)
    return list(recorder.seen)


def replay_document(
    text: str,
    outputs: Mapping[str, str | None],
    src: str,
    tgt: str,
    memory: Memory | None = None,
    *,
    engine_name: str,
) -> DocumentTranslation:
    """Translate ``text`` with the job's outputs; lost sentences carry :data:`LOST_MESSAGE`."""
    translator = AdaptiveTranslator(_Replay(engine_name, outputs), memory=memory, examples=0)
    done = translate_markdown(text, translator, src, tgt)
    from amts.document import mask

    for record in done.problems():
        if outputs.get(mask(record.outcome.source).text) is None:
            record.outcome.message = LOST_MESSAGE
    return done


@dataclass
class BookBatchResult:
    job: Any  # amts.engines.aws_batch.BatchResult
    written: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "<file>:<line>: <status>: <message>"


def translate_files_with_job(
    files: Mapping[str, str],
    src: str,
    targets: Sequence[str],
    job: Any,
    out: Path,
    memory: Memory | None = None,
    download_to: Path | None = None,
) -> BookBatchResult:
    """Translate many Markdown files (relative path -> text) in ONE Amazon batch job (``job`` is an
    :class:`amts.engines.aws_batch.AwsBatchJob`) and write ``out/<dir>/<tgt>.<name>``.

    A sentence is left out of the upload only when every target has it in the memory (one job
    translates every target). ``amts job start --engine aws-batch`` runs one job per language pair.
    """
    from amts.engines.aws_batch import AwsBatchEngine, BatchResult, our_name
    from amts.fileio import atomic_write_text

    documents: dict[str, list[str]] = {}
    for relative, text in files.items():
        needed: dict[str, None] = {}
        for tgt in targets:
            needed.update(dict.fromkeys(sentences_to_send(text, src, tgt, memory)))
        if needed:
            documents[relative] = list(needed)
    batch = job.run(documents, src, targets, download_to) if documents else BatchResult("", "SKIPPED")
    result = BookBatchResult(batch)
    for tgt in targets:
        outputs: dict[str, str | None] = {}
        for relative, segments in documents.items():
            translated = batch.translations.get(tgt, {}).get(relative, [None] * len(segments))
            outputs.update(zip(segments, translated, strict=True))
        for relative, text in files.items():
            done = replay_document(text, outputs, src, tgt, memory, engine_name=AwsBatchEngine.name)
            target_path = out / our_name(relative, tgt)
            atomic_write_text(target_path, done.text)
            result.written.append(target_path)
            for status, count in done.counts.items():
                result.counts[status] = result.counts.get(status, 0) + count
            for record in done.problems():
                result.problems.append(
                    f"{our_name(relative, tgt)}:{record.line}: {record.outcome.status}: {record.outcome.message}"
                )
    return result
