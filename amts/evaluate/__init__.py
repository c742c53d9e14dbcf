"""Evaluation: score translations against references (BLEU, chrF, TER) and reproduce the paper tables.

- :func:`evaluate_paths` / :func:`evaluate_texts`: paragraph-aligned scoring of two translations.
- :mod:`amts.evaluate.experiment`: the EN<->ZH table on the five D2L sections (``amts experiment``).
"""

from amts.evaluate.evaluation import DocumentResult, Evaluation, evaluate_paths, evaluate_texts
from amts.evaluate.files import FileMatch, FilePair, MatchError, file_key, match_files
from amts.evaluate.metrics import Scorer, Scores, bleu_tokenizer
from amts.evaluate.paragraphs import (
    BlockAligner,
    DocumentAlignment,
    ParagraphPair,
    align_paragraphs,
    default_block_aligner,
)

__all__ = [
    "BlockAligner",
    "DocumentAlignment",
    "DocumentResult",
    "Evaluation",
    "FileMatch",
    "FilePair",
    "MatchError",
    "ParagraphPair",
    "Scorer",
    "Scores",
    "align_paragraphs",
    "bleu_tokenizer",
    "default_block_aligner",
    "evaluate_paths",
    "evaluate_texts",
    "file_key",
    "match_files",
]
