"""One link policy: a translation's link targets are the source's, except the book's own links.

A translated edition may point some links at its own pages -- d2l's Chinese edition links its own
forum threads (``https://discuss.d2l.ai/t/2777`` where the English has ``/t/344``). The book declares
that once, as prefixes (``[book] own_links`` in amts.toml); everything else about a link's target
comes from the source. Every command applies the same rule through this module: translate and sync
when they reuse a human translation from the memory (:func:`conform_links`), check and exchange import
when they compare a translation's structure with its source (:func:`same_link_role`).
"""

from __future__ import annotations

from collections.abc import Sequence

from amts.document.inline import structure_spans

LINK_TARGET = "]("


def own_target(span: str, own: Sequence[str]) -> bool:
    """Whether a link closer ``](url)`` points at one of the book's own pages (``own``: URL prefixes)."""
    return bool(own) and span.startswith(LINK_TARGET) and span[len(LINK_TARGET):].startswith(tuple(own))


def same_link_role(source_span: str, target_span: str, own: Sequence[str]) -> bool:
    """Whether a translation's span may stand for the source's: equal, or both the book's own links."""
    return source_span == target_span or (own_target(source_span, own) and own_target(target_span, own))


def _closers(raw: str) -> list[tuple[int, int]]:
    return [(start, end) for start, end in structure_spans(raw) if raw.startswith(LINK_TARGET, start)]


def conform_links(source: str, target: str, own: Sequence[str] = ()) -> str:
    """``target`` (a human translation reused for ``source``) with the source's link targets, in order.

    A target under an own-link prefix stays when the source's is under one too. When the two texts do
    not have as many links, ``target`` is returned as it is (the caller's structure checks decide)."""
    if LINK_TARGET not in target:
        return target
    wanted = [source[start:end] for start, end in _closers(source)]
    found = _closers(target)
    if len(wanted) != len(found):
        return target
    out = target
    for (start, end), span in reversed(list(zip(found, wanted, strict=True))):
        if not same_link_role(span, target[start:end], own):
            out = out[:start] + span + out[end:]
    return out
