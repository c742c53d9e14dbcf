"""Jupyter notebooks: only Markdown cells are prose; code cells and outputs are never touched."""

from __future__ import annotations

import json
from collections.abc import Callable

from amts.document.reader import DocumentError


def translate_notebook(text: str, translate_markdown: Callable[[str], str]) -> str:
    """Apply ``translate_markdown`` to every Markdown cell of a notebook (nbformat 4 JSON)."""
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise DocumentError(f"not a Jupyter notebook: {error}") from None
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        joined = "".join(source) if isinstance(source, list) else source
        translated = translate_markdown(joined)
        cell["source"] = translated.splitlines(keepends=True) if isinstance(source, list) else translated
    return json.dumps(notebook, ensure_ascii=False, indent=1) + "\n"


def markdown_cells(text: str) -> list[str]:
    """The Markdown cells' text, for validation and tests."""
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise DocumentError(f"not a Jupyter notebook: {error}") from None
    out = []
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            out.append("".join(source) if isinstance(source, list) else source)
    return out
