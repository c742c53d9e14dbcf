"""Word-level differences between two versions of a text, for highlighting what changed."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# Latin words and numbers stay whole; every other visible character (CJK, punctuation) is its own
# token, so a Chinese edit is highlighted character by character instead of as one huge "word".
_TOKEN_RE = re.compile(r"\s+|[A-Za-z0-9_\u00C0-\u024F]+|[^\s]")


@dataclass(frozen=True)
class Piece:
    """A run of text that is ``equal`` in both versions, only in the old (``delete``) or the new (``insert``)."""

    op: str
    text: str


def tokenize(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


def word_diff(old: str, new: str) -> tuple[list[Piece], list[Piece]]:
    """The old text with deletions marked and the new text with insertions marked.

    Whitespace-only differences (re-wrapping) are not reported as changes: tokens are compared with
    runs of whitespace folded, which is how a reviewer reads a re-wrapped paragraph.
    """
    old_tokens, new_tokens = tokenize(old), tokenize(new)
    fold = [(" " if t.isspace() else t) for t in old_tokens], [(" " if t.isspace() else t) for t in new_tokens]
    matcher = difflib.SequenceMatcher(a=fold[0], b=fold[1], autojunk=False)
    old_pieces: list[Piece] = []
    new_pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(old_pieces, "equal", "".join(old_tokens[i1:i2]))
            _append(new_pieces, "equal", "".join(new_tokens[j1:j2]))
            continue
        if i2 > i1:
            _append(old_pieces, "delete", "".join(old_tokens[i1:i2]))
        if j2 > j1:
            _append(new_pieces, "insert", "".join(new_tokens[j1:j2]))
    return _bridge(old_pieces), _bridge(new_pieces)


def _bridge(pieces: list[Piece]) -> list[Piece]:
    """Join two changes separated by a lone space: ``<del>strongest signal</del>``, not two marks."""
    out: list[Piece] = []
    for piece in pieces:
        if (
            len(out) >= 2
            and piece.op != "equal"
            and out[-1].op == "equal"
            and out[-1].text.isspace()
            and out[-2].op == piece.op
        ):
            space = out.pop()
            out[-1] = Piece(piece.op, out[-1].text + space.text + piece.text)
        else:
            out.append(piece)
    return out


def _append(pieces: list[Piece], op: str, text: str) -> None:
    """Add ``text``, merging with the previous piece of the same kind; lone spaces never marked."""
    if not text:
        return
    if op != "equal" and text.isspace():
        op = "equal"
    if pieces and pieces[-1].op == op:
        pieces[-1] = Piece(op, pieces[-1].text + text)
    else:
        pieces.append(Piece(op, text))


def line_diff(old: str, new: str) -> tuple[list[Piece], list[Piece]]:
    """Line by line (code): the old lines with removed ones marked ``delete``, the new with added ``insert``.
    One piece a line, so a page shows code as code (monospace, one line per line)."""
    a, b = old.splitlines(), new.splitlines()
    old_lines: list[Piece] = []
    new_lines: list[Piece] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old_lines += [Piece("equal" if tag == "equal" else "delete", line) for line in a[i1:i2]]
        new_lines += [Piece("equal" if tag == "equal" else "insert", line) for line in b[j1:j2]]
    return old_lines, new_lines
