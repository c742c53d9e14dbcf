"""Align a document with its translation: blocks by content, then sentences inside blocks.

Contract used by sync and evaluation (implemented in :mod:`amts.align.blocks`/:mod:`amts.align.sentences`):

- ``align_documents(src_doc, tgt_doc, src_lang, tgt_lang) -> list[BlockLink]``: links covering every
  non-blank block of both documents, in document order (monotonic), shapes 1:1, 1:2, 2:1, 1:3, 3:1,
  1:0, 0:1 and n:n for structure; code/math/figure blocks are used as anchors and linked too.
- ``align_sentences(src_sents, tgt_sents, src_lang, tgt_lang) -> list[SentenceLink]``.
"""
