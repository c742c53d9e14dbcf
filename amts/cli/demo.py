"""``amts demo``: the whole offline workflow on the embedded example book."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from amts.cli.common import fail
from amts.cli.console import out as say


def demo(
    workdir: Path | None = typer.Option(None, "--workdir", help="Empty folder for the demo (default: a new temp folder)."),
) -> None:
    """Translate -> edit the source -> sync, on a small book, fully offline; prints what happened."""
    from amts.demo import run_demo

    target = workdir or Path(tempfile.mkdtemp(prefix="amts-demo-"))
    try:
        run_demo(target, say=say.data)
    except FileExistsError as error:
        fail(str(error))


def register(app: typer.Typer) -> None:
    app.command()(demo)
