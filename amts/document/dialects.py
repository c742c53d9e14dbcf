"""Markdown dialects: what a book's toolchain treats as structure, detected from its configuration.

Most structure is the same everywhere and always kept (code, link targets with or without spaces
around them, footnote labels ``[^x]``, ``<code>``/``<kbd>``/``<samp>``/``<var>`` elements with their
contents, mdBook ``{{#include ...}}`` directives, MkDocs ``!!! note`` and GFM ``[!NOTE]`` admonition
markers, lines that are each one link as in mdBook's ``SUMMARY.md``). What differs is **math**:
``$...$`` is math in d2lbook, GitHub (GFM) and MkDocs with ``pymdownx.arithmatex``, and plain text in
mdBook and CommonMark, where ``$HOME ... $PATH`` must be translated as prose.

The dialect of a book comes from ``amts.toml`` (``[book] dialect = "mdbook"``), else from the files
its toolchain needs, looked for in the book folder and its parents (up to a repository root):
d2lbook ``config.ini`` (with a ``[project]`` or ``[build]`` section), mdBook ``book.toml``, MkDocs
``mkdocs.yml``; else GFM.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from amts.document.markup import DEFAULT, DIALECTS, Dialect, use_dialect
from amts.errors import InputError

_ARITHMATEX_RE = re.compile(r"pymdownx\.arithmatex|mdx_math|markdown_katex|mdx_truly_sane_lists_math", re.I)


def dialect_named(name: str, source: str = "amts.toml") -> Dialect:
    """The dialect called ``name`` (one-line error listing the known ones)."""
    key = name.strip().lower()
    if key not in DIALECTS:
        raise InputError(f"unknown Markdown dialect {name!r}; use one of {', '.join(DIALECTS)}")
    return Dialect(DIALECTS[key].name, DIALECTS[key].math, source)


def detect_dialect(book: Path) -> Dialect:
    """The dialect of the book at ``book`` (a folder or a file in it), from its toolchain's config."""
    folder = book if book.is_dir() else book.parent
    for parent in [folder.resolve(), *folder.resolve().parents]:
        found = _dialect_in(parent)
        if found is not None:
            return found
        if (parent / ".git").exists():
            break
    return DEFAULT


def _dialect_in(folder: Path) -> Dialect | None:
    if (folder / "book.toml").is_file():
        return Dialect("mdbook", False, str(folder / "book.toml"))
    for name in ("mkdocs.yml", "mkdocs.yaml"):
        path = folder / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            return Dialect("mkdocs", bool(_ARITHMATEX_RE.search(text)), str(path))
    config = folder / "config.ini"
    if config.is_file():
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(config.read_text(encoding="utf-8", errors="replace"))
        except configparser.Error:
            return None
        if parser.has_section("project") or parser.has_section("build"):
            return Dialect("d2lbook", True, str(config))
    return None


def choose_dialect(given: str | None, book: Path | None, *, given_in: str = "--dialect") -> Dialect:
    """The one rule every command follows: the dialect named (``--dialect``, else ``[book] dialect`` in
    amts.toml; ``given_in`` says which), else the one detected from ``book``'s toolchain, else GFM."""
    if given:
        return dialect_named(given, given_in)
    return detect_dialect(book) if book is not None and book.exists() else DEFAULT


__all__ = ["DEFAULT", "DIALECTS", "Dialect", "choose_dialect", "detect_dialect", "dialect_named", "use_dialect"]
