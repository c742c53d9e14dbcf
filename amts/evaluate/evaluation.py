"""Score a translated file or tree against a reference translation, paragraph by paragraph."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from amts.document import parse_markdown, read_markdown
from amts.evaluate.files import FileMatch, match_files
from amts.evaluate.metrics import METRICS, Scorer, Scores, TerStats
from amts.evaluate.paragraphs import BlockAligner, DocumentAlignment, align_paragraphs, default_block_aligner


@dataclass
class DocumentResult:
    relative: str
    scores: Scores
    alignment: DocumentAlignment


@dataclass
class Evaluation:
    """Per-document and corpus-level scores, with what is needed to reproduce them."""

    lang: str
    strip_markup: bool
    documents: list[DocumentResult]
    corpus: Scores
    signatures: dict[str, str]
    aligner: str
    only_in_hyp: list[str] = field(default_factory=list)
    only_in_ref: list[str] = field(default_factory=list)

    @property
    def mean_bleu(self) -> float:
        """Average of per-document BLEU (0-1): how the original tables summarised their articles."""
        scored = [d.scores.bleu_unit for d in self.documents if d.scores.segments]
        return sum(scored) / len(scored) if scored else 0.0

    @property
    def unaligned(self) -> tuple[int, int]:
        return (
            sum(len(d.alignment.unaligned_hyp_lines) for d in self.documents),
            sum(len(d.alignment.unaligned_ref_lines) for d in self.documents),
        )

    def to_dict(self) -> dict:
        return {
            "lang": self.lang,
            "strip_markup": self.strip_markup,
            "aligner": self.aligner,
            "signatures": self.signatures,
            "corpus": {**self.corpus.as_dict(), "mean_document_bleu": round(self.mean_bleu, 4)},
            "documents": [
                {
                    "file": d.relative,
                    **d.scores.as_dict(),
                    "hyp_paragraphs": d.alignment.hyp_paragraphs,
                    "ref_paragraphs": d.alignment.ref_paragraphs,
                    "unaligned_hyp_lines": d.alignment.unaligned_hyp_lines,
                    "unaligned_ref_lines": d.alignment.unaligned_ref_lines,
                }
                for d in self.documents
            ],
            "only_in_hyp": self.only_in_hyp,
            "only_in_ref": self.only_in_ref,
        }

    def to_csv(self) -> str:
        """One row per document plus a ``(corpus)`` row; signatures travel in the JSON form."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["file", "paragraphs", "bleu", "bleu_100", "chrf", "ter", "unaligned_hyp", "unaligned_ref"])
        for d in self.documents:
            writer.writerow(_csv_row(d.relative, d.scores, len(d.alignment.unaligned_hyp_lines), len(d.alignment.unaligned_ref_lines)))
        writer.writerow(_csv_row("(corpus)", self.corpus, *self.unaligned))
        return out.getvalue()


def _csv_row(name: str, scores: Scores, unaligned_hyp: int, unaligned_ref: int) -> list[object]:
    return [
        name, scores.segments, f"{scores.bleu_unit:.4f}", f"{scores.bleu:.2f}", _fmt(scores.chrf, 2),
        _fmt(scores.ter, 2), unaligned_hyp, unaligned_ref,
    ]


def _fmt(value: float | None, digits: int) -> str:
    """Metrics that were not computed print empty, never as a made-up 0."""
    return "" if value is None else f"{value:.{digits}f}"


def evaluate_texts(
    documents: Sequence[tuple[str, str, str]],
    lang: str,
    *,
    strip_markup: bool = False,
    aligner: BlockAligner | None = None,
    aligner_name: str | None = None,
    metrics: Sequence[str] = METRICS,
) -> Evaluation:
    """Score ``(name, hypothesis Markdown, reference Markdown)`` triples; both sides are in ``lang``."""
    if aligner is None:
        aligner_name, aligner = default_block_aligner()
    scorer = Scorer(lang, metrics)
    results: list[DocumentResult] = []
    all_hyps: list[str] = []
    all_refs: list[str] = []
    all_ter: list[TerStats] = []
    for name, hyp_text, ref_text in documents:
        alignment = align_paragraphs(
            parse_markdown(hyp_text), parse_markdown(ref_text), lang,
            strip_markup=strip_markup, aligner=aligner, aligner_name=aligner_name,
        )
        hyps = [p.hyp for p in alignment.pairs]
        refs = [p.ref for p in alignment.pairs]
        ter = scorer.ter_stats(hyps, refs)
        all_hyps += hyps
        all_refs += refs
        all_ter += ter
        results.append(DocumentResult(name, scorer.score(hyps, refs, ter), alignment))
    return Evaluation(
        lang=lang,
        strip_markup=strip_markup,
        documents=results,
        corpus=scorer.score(all_hyps, all_refs, all_ter),
        signatures=scorer.signatures(),
        aligner=aligner_name or "custom",
    )


def evaluate_paths(
    hyp: Path,
    ref: Path,
    lang: str,
    *,
    strip_markup: bool = False,
    only: Iterable[str] | None = None,
    aligner: BlockAligner | None = None,
    metrics: Sequence[str] = METRICS,
) -> Evaluation:
    """Score a file or tree of translations against references matched by relative path.

    Raises :class:`~amts.evaluate.files.MatchError` or :class:`~amts.document.DocumentError` on bad input.
    """
    matched: FileMatch = match_files(hyp, ref, lang, only)
    texts = [(p.relative, read_markdown(p.hyp), read_markdown(p.ref)) for p in matched.pairs]
    evaluation = evaluate_texts(texts, lang, strip_markup=strip_markup, aligner=aligner, metrics=metrics)
    evaluation.only_in_hyp = matched.only_in_hyp
    evaluation.only_in_ref = matched.only_in_ref
    return evaluation
