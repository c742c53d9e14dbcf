"""A 3-way merge of code (and math) at line level: old source, new source, old translation.

Translators translate comments and docstrings inside code blocks, and sometimes touch the code
itself. Each line of the old translation is paired with the old-source line it stands for (equal
lines directly; inside differing runs by their *skeleton*, the line with string and comment contents
removed, so ``# Hidden layer`` pairs with ``# 隐藏层``). Each old-source line is paired with its
successor in the new source (equal lines, then similar ones). Then the new source is written out:

* a translator's line whose source line is unchanged is written instead of it, wherever it moved;
* a translator's line whose source line changed only in its code (an identifier renamed, a number
  changed) gets the new code around its own comments and strings;
* a translator's line whose source line vanished, or whose comment or string changed, is *lost*: the
  new source line is written and the old translated line is returned in :attr:`LineMerge.lost`, so
  the caller reports it for review. Nothing disappears silently.

Lines the translator added (no source line) follow the source line before them, unless the new
source now has them itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from rapidfuzz import fuzz

from amts.sync.diff import PAIR_THRESHOLD

# string literals (triple-quoted first) and comments (# or //, not inside a string)
_TEXT_RE = re.compile(r'("""|\'\'\'|"|\')(.*?)(\1)|(#|//)(.*)$')
_TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\s+|.")


@dataclass
class LineMerge:
    """The merged text and what happened to the translator's own lines."""

    text: str
    kept: int = 0  # translator lines written as they were
    updated: int = 0  # translator lines whose code was updated from the new source
    lost: list[tuple[str, str, str]] = field(default_factory=list)  # (old source line, its translation, why)


def line_pieces(line: str) -> tuple[list[str], list[str]]:
    """``line`` as code pieces and text pieces (string contents, comment text), alternating:
    ``code[0] text[0] code[1] text[1] ... code[n]``."""
    code: list[str] = []
    text: list[str] = []
    pos = 0
    for match in _TEXT_RE.finditer(line):
        if match.group(4):  # a comment
            code.append(line[pos : match.start(5)])
            text.append(match.group(5))
            pos = match.end(5)
        else:
            code.append(line[pos : match.start(2)])
            text.append(match.group(2))
            pos = match.end(2)
    code.append(line[pos:])
    return code, text


def skeleton(line: str) -> str:
    """The line without the contents of its strings and comments: what a translation keeps."""
    return "\x00".join(line_pieces(line)[0]).strip()


def carry_code_change(old: str, new: str, translated: str) -> str | None:
    """``translated`` (the translation of ``old``) updated to ``new``'s code, or None when that is not
    mechanical (a comment or string the translator changed was changed in the source too)."""
    o_code, o_text = line_pieces(old)
    n_code, n_text = line_pieces(new)
    t_code, t_text = line_pieces(translated)
    if len(o_text) == len(n_text) == len(t_text):
        texts: list[str] = []
        for o, n, t in zip(o_text, n_text, t_text, strict=True):
            if o == n:
                texts.append(t)
            elif o == t:
                texts.append(n)  # the translator left this string alone: take the new one
            else:
                return None
        if t_code == o_code:
            code = n_code
        else:  # the translator also changed the code: carry the source's renames into it
            renamed = _rename_tokens("\x00".join(o_code), "\x00".join(n_code), "\x00".join(t_code))
            if renamed is None:
                return None
            code = renamed.split("\x00")
            if len(code) != len(n_code):
                return None
        return "".join(c + t for c, t in zip(code, [*texts, ""], strict=True))
    if o_text != n_text:
        return None
    return _rename_tokens(old, new, translated)


def _rename_tokens(old: str, new: str, target: str) -> str | None:
    """Apply the token replacements that turn ``old`` into ``new`` to ``target`` (each changed run of
    tokens must occur in ``target`` as often as in ``old``)."""
    o = _TOKEN_RE.findall(old)
    n = _TOKEN_RE.findall(new)
    edits: list[tuple[str, str, int]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, o, n, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if j1 == j2 and "".join(o[i1:i2]).strip():
            return None  # code removed from the line: not a rename, the line changed
        if i1 == i2:  # pure insertion: anchor it on the token before (or after)
            if i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            elif i2 < len(o):
                i2, j2 = i2 + 1, j2 + 1
            else:
                return None
        before = "".join(o[i1:i2])
        if not before.strip():
            return None
        edits.append((before, "".join(n[j1:j2]), len(_occurrences("".join(o[:i1]), before))))
    out = target
    for before, after, occurrence in reversed(edits):
        found = _occurrences(out, before)
        if len(found) != len(_occurrences(old, before)):
            return None
        start = found[occurrence]
        out = out[:start] + after + out[start + len(before) :]
    return out


def _occurrences(text: str, token: str) -> list[int]:
    """Start offsets of ``token`` in ``text``, as a whole word where it starts/ends with a word character."""
    left = r"(?<![A-Za-z0-9_])" if re.match(r"\w", token) else ""
    right = r"(?![A-Za-z0-9_])" if re.search(r"\w$", token) else ""
    return [m.start() for m in re.finditer(left + re.escape(token) + right, text)]


def _pair(old: list[str], new: list[str], key, threshold: float = PAIR_THRESHOLD) -> list[tuple[int, int]]:  # noqa: ANN001
    """Monotonic pairing of the lines of two runs, maximising similarity of ``key(line)``."""
    from amts.sync.diff import pair_matrix

    if not old or not new:
        return []
    okeys, nkeys = [key(x) for x in old], [key(x) for x in new]
    sim = [[fuzz.ratio(a, b) / 100.0 if a or b else 1.0 for b in nkeys] for a in okeys]
    return [(i, j) for i, j in pair_matrix(sim) if sim[i][j] >= threshold]


def _line_pairs(a: list[str], b: list[str], key) -> tuple[dict[int, int], set[int]]:  # noqa: ANN001
    """Equal lines paired first, then the lines of each differing run by similarity: ``a`` index ->
    ``b`` index, and the set of ``a`` indices whose pair is equal."""
    pairs: dict[int, int] = {}
    equal: set[int] = set()
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                pairs[i1 + k] = j1 + k
                equal.add(i1 + k)
        elif i2 > i1 and j2 > j1:
            for i, j in _pair(a[i1:i2], b[j1:j2], key):
                pairs[i1 + i] = j1 + j
    return pairs, equal


def merge_code(old_source: str, new_source: str, target: str) -> LineMerge:
    """Merge at line level; see the module docstring."""
    if target == old_source:
        return LineMerge(new_source)
    old = old_source.splitlines(keepends=True)
    new = new_source.splitlines(keepends=True)
    tgt = target.splitlines(keepends=True)
    o2t, _ = _line_pairs(old, tgt, skeleton)
    o2n, same = _line_pairs(old, new, lambda line: line.strip())
    # lines the translator added follow the old-source line before them (-1: the start)
    extra: dict[int, list[str]] = {}
    t2o = {t: o for o, t in o2t.items()}
    last = -1
    provided = set(new) - set(old)  # lines the new source brings itself (a translator may have had them first)
    # ... or had them first translated: the same code with a translated comment or string
    by_skeleton = {skeleton(line): line for line in provided if any(ch.isalnum() for ch in skeleton(line))}
    translated_new: dict[str, str] = {}  # a line the new source brings -> the translators' version of it
    for t, line in enumerate(tgt):
        if t in t2o:
            last = t2o[t]
        elif line in provided:
            continue
        elif not is_plain_code(line) and by_skeleton.get(skeleton(line)) not in (None, *translated_new):
            translated_new[by_skeleton[skeleton(line)]] = line
        else:
            extra.setdefault(last, []).append(line)
    n2o = {n: o for o, n in o2n.items()}
    result = LineMerge("")
    out: list[str] = list(extra.get(-1, []))
    done = -1  # old lines up to here are dealt with

    def settle_deleted(upto: int) -> None:
        """Old lines before ``upto`` that have no successor: their translator lines are lost."""
        for i in range(done + 1, upto):
            if i in o2n:
                continue
            t = o2t.get(i)
            if t is not None and tgt[t] != old[i]:
                result.lost.append((old[i], tgt[t], "its source line was removed"))
            emit_extras(i, changed=True)

    def emit_extras(i: int, changed: bool) -> None:
        """The translator's own lines after old line ``i``: they stay, near where they were -- except
        plain code next to a source line that changed, which the new source supersedes (reported)."""
        for line in extra.get(i, []):
            if changed and is_plain_code(line):
                result.lost.append((old[i], line, "the translators' own code line next to a changed source line"))
            else:
                out.append(line)

    for j, line in enumerate(new):
        i = n2o.get(j)
        if i is None:
            out.append(translated_new.pop(line, line))
            continue
        settle_deleted(i)
        done = i
        t = o2t.get(i)
        if t is None:
            if i not in same:
                out.append(line)  # the translator dropped the old line; the source rewrote it
        elif tgt[t] == old[i] or tgt[t] == line:
            out.append(line)
        elif i in same:
            out.append(tgt[t])
            result.kept += 1
        else:
            carried = carry_code_change(old[i], line, tgt[t])
            if carried is None:
                out.append(line)
                result.lost.append((old[i], tgt[t], "its source line changed"))
            else:
                out.append(carried)
                result.updated += 1
        emit_extras(i, changed=i not in same)
    settle_deleted(len(old))
    result.text = "".join(out)
    return result


def is_plain_code(line: str) -> bool:
    """A line with nothing translated on it: ASCII, no comment or string text."""
    return line.isascii() and not any(t.strip() for t in line_pieces(line)[1])


def merge_lines(old_source: str, new_source: str, target: str) -> str:
    """The merged text only (see :func:`merge_code`)."""
    return merge_code(old_source, new_source, target).text


def translated_lines(old_source: str, target: str) -> list[tuple[str, str]]:
    """(old-source line, the translator's version of it) for every line the translator changed."""
    old = old_source.splitlines(keepends=True)
    tgt = target.splitlines(keepends=True)
    o2t, _ = _line_pairs(old, tgt, skeleton)
    return [(old[i], tgt[t]) for i, t in sorted(o2t.items()) if tgt[t] != old[i] and tgt[t].strip()]


def reuse_lines(text: str, translations: dict[str, list[str]]) -> tuple[str, list[str]]:
    """``text`` (new code) with each line whose stripped form is a key of ``translations`` replaced by
    the next translated line for it (re-indented like the new line); also returns the lines used."""
    out: list[str] = []
    used: list[str] = []
    for line in text.splitlines(keepends=True):
        waiting = translations.get(line.strip())
        if waiting:
            translated = waiting.pop(0)
            body = line.rstrip("\r\n")
            indent = body[: len(body) - len(body.lstrip())]
            out.append(indent + translated.strip() + line[len(body) :])
            used.append(translated)
        else:
            out.append(line)
    return "".join(out), used
