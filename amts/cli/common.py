"""Helpers shared by CLI commands: one-line errors and engine loading."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from amts.engines import Engine, EngineError, get_engine

_err = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    _err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_engine(name: str, src: str, tgt: str, **options: object) -> Engine:
    try:
        engine = get_engine(name, **options)
    except EngineError as error:
        fail(str(error))
    if not engine.supports(src, tgt):
        fail(f"engine {name!r} cannot translate {src}->{tgt}")
    return engine
