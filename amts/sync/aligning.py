"""The link between the old source and the old translation, from the shared aligner (:mod:`amts.align`).

Sync only needs links as lists of indices; this module adapts whatever the aligner returns to
:class:`Link` so the merge does not depend on the aligner's other fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from amts.document import Document


@dataclass(frozen=True)
class Link:
    src: tuple[int, ...]
    tgt: tuple[int, ...]


def align_blocks(src_doc: Document, tgt_doc: Document, src: str, tgt: str) -> list[Link]:
    """Monotonic links between the non-blank blocks of a document and of its translation."""
    from amts.align import align_documents  # imported late: numpy is only needed when syncing

    links = align_documents(src_doc, tgt_doc, src, tgt)
    return [Link(tuple(link.src), tuple(link.tgt)) for link in links]


def align_sentence_lists(src_sents: Sequence[str], tgt_sents: Sequence[str], src: str, tgt: str) -> list[Link]:
    """Monotonic links between the sentences of one paragraph and of its translation."""
    if not src_sents or not tgt_sents:
        return [Link((i,), ()) for i in range(len(src_sents))] + [Link((), (j,)) for j in range(len(tgt_sents))]
    if len(src_sents) == 1 or len(tgt_sents) == 1:
        return [Link(tuple(range(len(src_sents))), tuple(range(len(tgt_sents))))]
    from amts.align import align_sentences  # imported late, as align_documents

    links = align_sentences(list(src_sents), list(tgt_sents), src, tgt)
    return [Link(tuple(link.src), tuple(link.tgt)) for link in links]

