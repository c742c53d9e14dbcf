"""Jupyter notebooks: only Markdown cells are prose; code cells and outputs are never touched."""

from __future__ import annotations

import json
from collections.abc import Callable

from amts.document.reader import DocumentError


def translate_notebook(text: str, translate_markdown: Callable[[str], str]) -> str:
    """Apply ``translate_markdown`` to every Markdown cell of a notebook (nbformat 4 JSON)."""
    notebook, cells = read_notebook(text)
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        translated = translate_markdown(cell_source(cell))
        cell["source"] = translated.splitlines(keepends=True) if isinstance(source, list) else translated
    return json.dumps(notebook, ensure_ascii=False, indent=1) + "\n"


def markdown_cells(text: str) -> list[str]:
    """The Markdown cells' text, for validation and tests."""
    _, cells = read_notebook(text)
    out = []
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            out.append(cell_source(cell))
    return out


def cell_source(cell: dict) -> str:
    """A cell's text: nbformat stores it as one string or as a list of lines."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_notebook(text: str, name: str = "") -> tuple[dict, list[dict]]:
    """The notebook and its cells; :class:`DocumentError` (naming ``name``) for anything not shaped like
    nbformat 4. The one reader of notebooks: translation, checks and tests all read them here."""
    not_one = f"{name}: not a Jupyter notebook" if name else "not a Jupyter notebook"
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise DocumentError(f"{not_one}: {error}") from None
    if not isinstance(notebook, dict) or "cells" not in notebook:
        raise DocumentError(f"{not_one}: no 'cells' list at the top level")
    cells = notebook["cells"]
    if not isinstance(cells, list):
        raise DocumentError(f"{not_one}: 'cells' is a {type(cells).__name__}, not a list")
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise DocumentError(f"{not_one}: cell {number} is a {type(cell).__name__}, not an object")
        source = cell.get("source", "")
        if not isinstance(source, str) and not (isinstance(source, list) and all(isinstance(x, str) for x in source)):
            raise DocumentError(f"{not_one}: cell {number}'s source is not text")
    return notebook, cells
