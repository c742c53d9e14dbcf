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
    try:
        from amts.align import align_documents
    except ImportError:
        return _fallback_blocks(src_doc, tgt_doc)

    links = align_documents(src_doc, tgt_doc, src, tgt)
    return [Link(tuple(link.src), tuple(link.tgt)) for link in links]


def align_sentence_lists(src_sents: Sequence[str], tgt_sents: Sequence[str], src: str, tgt: str) -> list[Link]:
    """Monotonic links between the sentences of one paragraph and of its translation."""
    if not src_sents or not tgt_sents:
        return [Link((i,), ()) for i in range(len(src_sents))] + [Link((), (j,)) for j in range(len(tgt_sents))]
    if len(src_sents) == 1 or len(tgt_sents) == 1:
        return [Link(tuple(range(len(src_sents))), tuple(range(len(tgt_sents))))]
    try:
        from amts.align import align_sentences
    except ImportError:
        if len(src_sents) == len(tgt_sents):
            return [Link((i,), (i,)) for i in range(len(src_sents))]
        return [Link(tuple(range(len(src_sents))), tuple(range(len(tgt_sents))))]

    links = align_sentences(list(src_sents), list(tgt_sents), src, tgt)
    return [Link(tuple(link.src), tuple(link.tgt)) for link in links]


# --- temporary stand-in until amts.align lands (removed once it does) -------------------------------
def _fallback_blocks(src_doc: Document, tgt_doc: Document) -> list[Link]:
    from difflib import SequenceMatcher

    def signature(block) -> str:  # noqa: ANN001
        if block.kind == "code":
            lines = block.text.splitlines()
            return "code:" + (lines[1] if len(lines) > 1 and lines[1].startswith("#@tab") else "")
        if block.kind == "heading":
            return "h" + str(len(block.text) - len(block.text.lstrip("#")))
        return block.kind

    s = [b for b in src_doc.blocks if b.kind != "blank"]
    t = [b for b in tgt_doc.blocks if b.kind != "blank"]
    out: list[Link] = []
    matcher = SequenceMatcher(None, [signature(b) for b in s], [signature(b) for b in t], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        n = min(i2 - i1, j2 - j1) if op != "equal" else i2 - i1
        for k in range(n):
            out.append(Link((s[i1 + k].index,), (t[j1 + k].index,)))
        for i in range(i1 + n, i2):
            out.append(Link((s[i].index,), ()))
        for j in range(j1 + n, j2):
            out.append(Link((), (t[j].index,)))
    return out
