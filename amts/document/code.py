"""Code in a book: what is code and what is comment, read by the Pygments lexer of its language.

Translators translate comments and docstrings, never code; every comparison of code (``amts check``,
review's "only comments changed") strips them here, so they all agree on what a comment is. Code
markers on a line of their own (``#@save``, ``#@tab``) look like comments but are structure, and are kept.
"""

from __future__ import annotations

from functools import lru_cache

from amts.document.markup import CODE_MARKERS


def fence_language(info: str) -> str:
    """The language a fence's info string names (``{.python .input}`` -> ``python``; none: ``python``)."""
    return (info.strip().split() or ["python"])[0].strip("{}.")


@lru_cache(maxsize=64)
def _lexer(language: str):  # noqa: ANN202 - a pygments Lexer; building one compiles its regular expressions
    from pygments.lexers import PythonLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return PythonLexer()


def code_lines(code: str, language: str = "python") -> list[str]:
    """Each line of ``code`` without its comments and docstrings, stripped ("" where nothing else is).

    Lexed whole, with the lexer of ``language`` (Python for an unknown one), so a ``#`` in a string or a
    docstring over several lines is read as the language reads it; there is one entry per line of ``code``.
    """
    from pygments.token import Comment, String

    pieces: list[str] = []
    for at, kind, text in _lexer(language).get_tokens_unprocessed(code):
        if kind in String.Doc or (kind in Comment and not _is_marker_line(code, at, text)):
            pieces.append("\n" * text.count("\n"))
        else:
            pieces.append(text)
    return [line.strip() for line in "".join(pieces).split("\n")][: code.count("\n") + 1]


def _is_marker_line(code: str, at: int, comment: str) -> bool:
    """Whether the comment at ``at`` is a code marker alone on its line (``#@save`` above a function)."""
    return comment.startswith(tuple(CODE_MARKERS)) and not code[code.rfind("\n", 0, at) + 1 : at].strip()


def block_code_lines(block: str) -> list[tuple[int, str]]:
    """(line offset, code) of the non-empty code lines of a Markdown code block: its fences left out,
    comments and docstrings removed (:func:`code_lines`, in the language the opening fence names)."""
    lines = block.splitlines()
    fenced = [n for n in (0, len(lines) - 1) if n >= 0 and lines[n].strip().startswith(("```", "~~~"))]
    first = 1 if 0 in fenced else 0
    last = len(lines) - 1 if len(lines) > 1 and len(lines) - 1 in fenced else len(lines)
    language = fence_language(lines[0].strip().lstrip("`~")) if first else "python"
    code = code_lines("\n".join(lines[first:last]), language)
    return [(first + n, line) for n, line in enumerate(code) if line]
