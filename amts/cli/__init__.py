"""The ``amts`` command line: one Typer app, one sub-module per pipeline stage."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    help="amts: machine-translate Markdown books and keep their translations in sync.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """amts: machine-translate Markdown books and keep their translations in sync."""


# Each entry: a module of amts.cli exposing ``register(app)``; it adds its commands or sub-groups.
COMMAND_MODULES = [
    "translate",
    "align",
    "pd",
    "glossary",
    "sync",
    "check",
    "update",
    "job",
    "eval",
    "review",
    "demo",
]

for _name in COMMAND_MODULES:
    importlib.import_module(f"amts.cli.{_name}").register(app)


def main() -> None:
    app()
