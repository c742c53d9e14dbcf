"""Align a document with its translation: blocks by content, then sentences inside blocks.

Contract used by sync and evaluation (implemented in :mod:`amts.align.blocks`/:mod:`amts.align.sentences`):

- ``align_documents(src_doc, tgt_doc, src_lang, tgt_lang) -> list[BlockLink]``: links covering every
  non-blank block of both documents, in document order (monotonic), shapes 1:1, 1:2, 2:1, 1:3, 3:1,
  1:0, 0:1 and n:n for structure; code/math/figure blocks are used as anchors and linked too.
  ``BlockLink(src: list[int], tgt: list[int], score: float in [0, 1], shape: "a:b")`` holds indices
  into ``Document.blocks``; target-only additions (``#@tab paddle`` cells, ``:begin_tab:`paddle```
  runs) are linked 0:1, code that changed beyond recognition becomes 1:0 + 0:1.
- ``align_sentences(src_sents, tgt_sents, src_lang, tgt_lang) -> list[SentenceLink]``.
"""

from amts.align.blocks import BlockLink, align_documents

__all__ = ["BlockLink", "align_documents"]
