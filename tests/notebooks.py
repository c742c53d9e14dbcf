"""A small Jupyter notebook shared by the tests that translate notebooks (`amts translate`, jobs)."""

from __future__ import annotations

import json

SMALL_NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A title\n", "\n", "Some prose with $x$.\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": ["# a comment in code\n", "x = 1\n"]},
    ],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
}


def small_notebook_text() -> str:
    return json.dumps(SMALL_NOTEBOOK)


def assert_small_notebook_translated(text: str) -> None:
    """The markdown cell is translated with its math kept; the code cell comes out unchanged."""
    markdown, code = json.loads(text)["cells"]
    assert code == SMALL_NOTEBOOK["cells"][1]
    assert "$x$" in "".join(markdown["source"]) and "A title" not in "".join(markdown["source"])
