"""Labels the source renamed, and the references to them that the old translation still uses.

When a label is renamed (``lstm_0`` -> ``fig_lstm_0``) the source's references change with it, but a
paragraph whose prose changed too keeps its old translation (fuzzy) -- with the old, now broken,
reference. The renames are read off corresponding old/new blocks (labels and reference targets that
changed in place), kept only when the old name is gone from the new source and the new name is not
in the old source, and applied to every ``:numref:``/``:eqref:``/``:ref:``/``:label:``/``:eqlabel:``
in the output that still names the old label. Over a whole book (:func:`book_renames`), a label
renamed in one file is followed by the references to it in the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

from amts.document import Document
from amts.document.markup import LABEL_ROLE_RE, label_family


def _names(text: str) -> list[tuple[str, str]]:
    return [(label_family(m.group(1)), m.group(2)) for m in LABEL_ROLE_RE.finditer(text)]


def label_renames(old: Document, new: Document, pairs: Iterable[tuple[int, int]]) -> dict[str, str]:
    """Old label -> new label, from the (old block, new block) index pairs that correspond."""
    votes: dict[str, set[str]] = {}
    for i, j in pairs:
        a, b = _names(old.blocks[i].text), _names(new.blocks[j].text)
        if a == b:
            continue
        for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op != "replace" or i2 - i1 != j2 - j1:
                continue
            for (fa, x), (fb, y) in zip(a[i1:i2], b[j1:j2], strict=True):
                if x != y and (fa == fb or {fa, fb} == {"label"}):
                    votes.setdefault(x, set()).add(y)
    if not votes:
        return {}
    old_names = {name for _, name in _names(old.text)}
    new_names = {name for _, name in _names(new.text)}
    return {x: next(iter(ys)) for x, ys in votes.items()
            if len(ys) == 1 and x not in new_names and next(iter(ys)) not in old_names}


def rename_references(text: str, renames: dict[str, str]) -> str:
    """``text`` with every role naming a renamed label pointed at its new name."""
    if not renames or "`" not in text:
        return text
    return LABEL_ROLE_RE.sub(lambda m: f":{m.group(1)}:`{renames.get(m.group(2), m.group(2))}`", text)


def book_renames(pairs: Iterable[tuple[str, str, dict[str, str]]]) -> dict[str, str]:
    """Renames seen in any file of a book, kept when the old name is gone from every new source and the
    new name was in no old source: ``pairs`` holds (old source, new source, renames found in that file)."""
    old_names: set[str] = set()
    new_names: set[str] = set()
    votes: dict[str, set[str]] = {}
    for old, new, renames in pairs:
        old_names.update(name for _, name in _names(old))
        new_names.update(name for _, name in _names(new))
        for x, y in renames.items():
            votes.setdefault(x, set()).add(y)
    return {x: next(iter(ys)) for x, ys in votes.items()
            if len(ys) == 1 and x not in new_names and next(iter(ys)) not in old_names}
