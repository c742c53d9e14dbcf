"""Each Markdown text parsed once per merge: the merge, the pairing guard, the validity gate, the fallback
and the conservation check all ask for the same three texts (and the output), so their documents are
kept here for the few texts of the file being synced.

A :class:`~amts.document.Document` is read, never changed, by everything in sync: sharing one is safe.
"""

from __future__ import annotations

from collections import OrderedDict

from amts.document import Document, parse_markdown
from amts.document.markup import current_dialect

#: the texts of one file (old source, new source, old target, output and a fallback output or two)
KEEP = 8
_parsed: OrderedDict[tuple[str, object], Document] = OrderedDict()


def parsed(text: str) -> Document:
    """``parse_markdown(text)`` with the current dialect, parsed once while the file is being synced."""
    key = (text, current_dialect())
    document = _parsed.get(key)
    if document is None:
        document = _parsed[key] = parse_markdown(text)
        while len(_parsed) > KEEP:
            _parsed.popitem(last=False)
    else:
        _parsed.move_to_end(key)
    return document
