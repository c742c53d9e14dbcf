"""Pair the paragraphs of two translations of the same source, through their document structure.

A hypothesis and a reference rarely have the same paragraphs in the same places (post-editors add
code cells and slide marks, engines merge or split), so scoring them line by line would compare the
wrong texts. The block aligner of :mod:`amts.align` is used on the two documents with the *same*
language on both sides; only links that have prose on both sides are scored, the rest are counted as
unaligned so a reader can see how much of the text the score covers.

The aligner is a parameter (``BlockAligner``) so evaluation can switch aligners without code changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from amts.document import Block, Document, is_cjk_language, normalize_space, strip_structure
from amts.document.scripts import UNSPACED

#: ``(hyp_doc, ref_doc, lang) -> [(hyp block indices, ref block indices)]`` in document order.
BlockAligner = Callable[[Document, Document, str], Sequence[tuple[Sequence[int], Sequence[int]]]]

#: Block kinds whose text is prose; with ``strip_markup`` only these are scored.
PROSE_KINDS = frozenset({"heading", "paragraph", "list", "blockquote", "table"})


_SPACE_BY_CJK = re.compile(rf"(?<=[{UNSPACED}]) +| +(?=[{UNSPACED}])")


@dataclass(frozen=True)
class ParagraphPair:
    """One scored unit: the hypothesis and reference texts of one alignment link."""

    hyp: str
    ref: str
    hyp_line: int  # 1-based first line in the hypothesis file
    ref_line: int
    shape: str  # "1:1", "2:1", ... (prose blocks on each side)


@dataclass
class DocumentAlignment:
    pairs: list[ParagraphPair]
    hyp_paragraphs: int
    ref_paragraphs: int
    unaligned_hyp_lines: list[int] = field(default_factory=list)  # 1-based
    unaligned_ref_lines: list[int] = field(default_factory=list)
    aligner: str = ""


def block_text(document: Document, block: Block, lang: str, strip_markup: bool = False) -> str:
    """The prose of ``block`` on one line: wrapping folded, markup kept unless ``strip_markup``."""
    pieces = []
    for segment in document.block_segments(block):
        text = normalize_space(segment.text, lang)
        if strip_markup:
            text = " ".join(strip_structure(text).split())
            if is_cjk_language(lang):  # removed markup leaves spaces Chinese never had
                text = _SPACE_BY_CJK.sub("", text)
        if text:
            pieces.append(text)
    return ("" if is_cjk_language(lang) else " ").join(pieces)


def is_scored(block: Block, strip_markup: bool) -> bool:
    """Blocks with prose segments; ``strip_markup`` also drops non-prose kinds (html, figures, ...)."""
    if not block.segments:
        return False
    return block.kind in PROSE_KINDS if strip_markup else True


def shared_block_aligner(hyp: Document, ref: Document, lang: str) -> list[tuple[list[int], list[int]]]:
    """The project's block aligner (:func:`amts.align.align_documents`), same language on both sides."""
    from amts.align import align_documents  # type: ignore[attr-defined]

    return [(list(link.src), list(link.tgt)) for link in align_documents(hyp, ref, lang, lang)]


def default_block_aligner() -> tuple[str, BlockAligner]:
    """The aligner evaluation uses unless told otherwise, with the name reports print."""
    return "amts.align", shared_block_aligner


def align_paragraphs(
    hyp: Document,
    ref: Document,
    lang: str,
    *,
    strip_markup: bool = False,
    aligner: BlockAligner | None = None,
    aligner_name: str | None = None,
) -> DocumentAlignment:
    """Scored paragraph pairs of two translations (both in ``lang``) and what could not be paired."""
    if aligner is None:
        aligner_name, aligner = default_block_aligner()
    scored_hyp = [b.index for b in hyp.blocks if is_scored(b, strip_markup)]
    scored_ref = [b.index for b in ref.blocks if is_scored(b, strip_markup)]
    wanted_hyp, wanted_ref = set(scored_hyp), set(scored_ref)
    pairs: list[ParagraphPair] = []
    paired_hyp: set[int] = set()
    paired_ref: set[int] = set()
    joiner = "" if is_cjk_language(lang) else " "
    for hyp_ids, ref_ids in aligner(hyp, ref, lang):
        hyp_prose = [i for i in hyp_ids if i in wanted_hyp]
        ref_prose = [i for i in ref_ids if i in wanted_ref]
        if not hyp_prose or not ref_prose:
            continue
        hyp_text = joiner.join(block_text(hyp, hyp.blocks[i], lang, strip_markup) for i in hyp_prose)
        ref_text = joiner.join(block_text(ref, ref.blocks[i], lang, strip_markup) for i in ref_prose)
        if not hyp_text.strip() or not ref_text.strip():
            continue
        paired_hyp.update(hyp_prose)
        paired_ref.update(ref_prose)
        pairs.append(
            ParagraphPair(
                hyp_text,
                ref_text,
                hyp.blocks[hyp_prose[0]].line + 1,
                ref.blocks[ref_prose[0]].line + 1,
                f"{len(hyp_prose)}:{len(ref_prose)}",
            )
        )
    return DocumentAlignment(
        pairs=pairs,
        hyp_paragraphs=len(scored_hyp),
        ref_paragraphs=len(scored_ref),
        unaligned_hyp_lines=[hyp.blocks[i].line + 1 for i in scored_hyp if i not in paired_hyp],
        unaligned_ref_lines=[ref.blocks[i].line + 1 for i in scored_ref if i not in paired_ref],
        aligner=aligner_name or getattr(aligner, "__name__", "custom"),
    )
