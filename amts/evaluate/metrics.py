"""Corpus scores with sacrebleu, configured once so every number carries a reproducible signature.

BLEU uses sacrebleu's ``zh`` tokenizer for Chinese targets (character-level for CJK, as the original
tables did) and ``13a`` otherwise; TER turns on ``asian_support`` for CJK targets so it does not see a
whole Chinese sentence as one word (sacrebleu applies it only together with ``normalized``). Scores are
kept on sacrebleu's 0-100 scale; ``bleu_unit`` gives the 0-1 form the original tables printed (0.585).

TER is slow on character-tokenised paragraphs (sacrebleu's shift search is pure Python), so it is
computed once per segment and summed -- corpus TER is total edits / total reference length, exactly
what ``TER.corpus_score`` computes -- and callers that only need BLEU can leave it out.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from sacrebleu.metrics import BLEU, CHRF, TER

from amts.document import is_cjk_language

METRICS = ("bleu", "chrf", "ter")


@dataclass(frozen=True)
class Scores:
    """Corpus-level scores of ``segments`` aligned hypothesis/reference paragraphs (None: not computed)."""

    segments: int
    bleu: float  # 0-100
    chrf: float | None  # 0-100
    ter: float | None  # 0-100+, lower is better
    hyp_length: int  # BLEU tokens, for the brevity penalty
    ref_length: int

    @property
    def bleu_unit(self) -> float:
        """BLEU on the 0-1 scale of the original pipeline's tables."""
        return self.bleu / 100.0

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "segments": self.segments,
            "bleu": round(self.bleu_unit, 4),
            "bleu_100": round(self.bleu, 2),
            "chrf": None if self.chrf is None else round(self.chrf, 2),
            "ter": None if self.ter is None else round(self.ter, 2),
            "hyp_length": self.hyp_length,
            "ref_length": self.ref_length,
        }


@dataclass(frozen=True)
class TerStats:
    """One segment's TER statistics; they add up to the corpus score."""

    edits: float
    ref_length: float


def _segment_ter(job: tuple[str, str, bool]) -> TerStats:
    hyp, ref, cjk = job
    score = TER(normalized=cjk, asian_support=cjk).sentence_score(hyp, [ref])
    return TerStats(score.num_edits, score.ref_length)


def bleu_tokenizer(lang: str) -> str:
    return "zh" if lang.split("-")[0].lower() == "zh" else "13a"


class Scorer:
    """sacrebleu's BLEU (always), chrF and TER (optional) for one target language."""

    def __init__(self, lang: str, metrics: Sequence[str] = METRICS, workers: int | None = None) -> None:
        unknown = set(metrics) - set(METRICS)
        if unknown:
            raise ValueError(f"unknown metric(s) {', '.join(sorted(unknown))}; known: {', '.join(METRICS)}")
        self.lang = lang
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self.bleu = BLEU(tokenize=bleu_tokenizer(lang))
        self.chrf = CHRF() if "chrf" in metrics else None
        cjk = is_cjk_language(lang)
        self.ter = TER(normalized=cjk, asian_support=cjk) if "ter" in metrics else None

    def ter_stats(self, hypotheses: Sequence[str], references: Sequence[str]) -> list[TerStats]:
        """Per-segment TER statistics (empty when TER is off); compute once, sum for any grouping."""
        if self.ter is None:
            return []
        if len(hypotheses) != len(references):
            raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
        jobs = [(hyp, ref, is_cjk_language(self.lang)) for hyp, ref in zip(hypotheses, references, strict=True)]
        workers = min(self.workers, len(jobs))
        if workers <= 1:
            return [_segment_ter(job) for job in jobs]
        # pure-Python TER: one segment per core; forkserver, as a forked child of a threaded process can deadlock
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
            return list(pool.map(_segment_ter, jobs, chunksize=1))

    def score(
        self, hypotheses: Sequence[str], references: Sequence[str], ter_stats: Sequence[TerStats] | None = None
    ) -> Scores:
        """Corpus scores; an empty corpus scores 0 (nothing could be aligned) rather than crashing."""
        if len(hypotheses) != len(references):
            raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
        if not hypotheses:
            return Scores(0, 0.0, None if self.chrf is None else 0.0, None if self.ter is None else 0.0, 0, 0)
        hyps, refs = list(hypotheses), [list(references)]
        bleu = self.bleu.corpus_score(hyps, refs)
        ter = None
        if self.ter is not None:
            stats = list(ter_stats) if ter_stats is not None else self.ter_stats(hypotheses, references)
            total_ref = sum(s.ref_length for s in stats)
            edits = sum(s.edits for s in stats)
            ter = 100.0 * edits / total_ref if total_ref else (100.0 if edits else 0.0)
        return Scores(
            segments=len(hyps),
            bleu=bleu.score,
            chrf=None if self.chrf is None else self.chrf.corpus_score(hyps, refs).score,
            ter=ter,
            hyp_length=bleu.sys_len,
            ref_length=bleu.ref_len,
        )

    def signatures(self) -> dict[str, str]:
        """sacrebleu's signatures: print them next to the numbers so anyone can recompute them."""
        for metric in (self.bleu, self.chrf, self.ter):  # sacrebleu knows nrefs only once it has scored
            if metric is not None:
                metric.corpus_score(["a"], [["a"]])
        out = {"BLEU": str(self.bleu.get_signature())}
        if self.chrf is not None:
            out["chrF"] = str(self.chrf.get_signature())
        if self.ter is not None:
            out["TER"] = str(self.ter.get_signature())
        return out
