"""Align a document with its translation: blocks by content, then sentences inside blocks.

Contract used by sync and evaluation:

- ``align_documents(src_doc, tgt_doc, src_lang, tgt_lang) -> list[BlockLink]``: links covering every
  non-blank block of both documents, in document order (monotonic), shapes 1:1, 1:2, 2:1, 1:3, 3:1,
  1:0, 0:1. ``BlockLink(src: list[int], tgt: list[int], score: float in [0, 1], shape: "a:b")`` holds
  indices into ``Document.blocks``. Code, display math, figures and structure lines are anchors and
  are linked 1:1 when (nearly) the same; target-only additions (``#@tab paddle`` cells,
  ``:begin_tab:`paddle``` runs) are linked 0:1, code that changed beyond recognition 1:0 + 0:1.
  1:0 / 0:1 links score 0.
- ``align_sentences(src_sentences, tgt_sentences, src_lang, tgt_lang) -> list[SentenceLink]``: the same
  for the sentences of aligned paragraphs; shapes 1:1, 2:1, 1:2, 1:0, 0:1.
- ``align_files(src_path, tgt_path, src_lang, tgt_lang, granularity)`` and
  ``align_trees(src_dir, tgt_dir, src_lang, tgt_lang, granularity, progress)`` ->
  ``AlignmentResult(pairs, unmatched_src, unmatched_tgt, files, shapes)``; ``match_files`` pairs files
  by relative path (or ``<name>_origin.md`` -> ``<name>.md``, the d2lbook layout);
  ``document_pairs(src_doc, tgt_doc, ...)`` for parsed documents. ``align_files``/``align_trees``
  apply ``QualityGates(min_score=0.5, keep_identical=False)``: pairs scoring under the threshold and
  pairs whose target is the source text are left out and counted (``below_score``, ``identical``). Each ``Pair`` carries provenance
  ``file``, ``src_lines`` "a-b", ``tgt_lines`` "c-d" (1-based), ``shape``, ``score``, ``origin="aligned"``.
"""

from amts.align.blocks import BlockLink, align_documents
from amts.align.files import (
    DEFAULT_MIN_SCORE,
    GRANULARITIES,
    NO_GATES,
    AlignmentResult,
    QualityGates,
    align_files,
    align_trees,
    document_pairs,
    match_files,
)
from amts.align.sentences import SentenceLink, align_sentences, split_long_pair

__all__ = [
    "DEFAULT_MIN_SCORE",
    "GRANULARITIES",
    "NO_GATES",
    "AlignmentResult",
    "QualityGates",
    "BlockLink",
    "SentenceLink",
    "align_documents",
    "align_files",
    "align_sentences",
    "align_trees",
    "document_pairs",
    "match_files",
    "split_long_pair",
]
