"""Helpers shared by CLI commands: one-line errors and engine loading."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from amts.errors import AmtsError

if TYPE_CHECKING:
    from amts.engines import Engine


class CommandError(AmtsError):
    """A command cannot go on; printed as one line (see :func:`amts.cli.report_error`)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = code


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop the command with a one-line error and exit code ``code`` (README "Exit codes")."""
    raise CommandError(message, code)


def load_engine(name: str, src: str, tgt: str, **options: object) -> Engine:
    from amts.engines import EngineError, get_engine
    from amts.engines.registry import engine_names

    if name not in engine_names():  # a typo is bad input (exit 2), not a failing service
        fail(f"unknown engine {name!r}; known: {', '.join(engine_names())}")
    try:
        engine = get_engine(name, **options)
    except EngineError as error:
        fail(str(error), getattr(error, "exit_code", 2))
    if not engine.supports(src, tgt):
        fail(f"engine {name!r} cannot translate {src}->{tgt}")
    return engine
