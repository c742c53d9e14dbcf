"""The one base class of every error amts expects: the command line prints it as one line.

Any exception that is *not* an :class:`AmtsError` is a bug and keeps its traceback (``--debug``
shows it for expected errors too). Subclasses keep their historical second base (``ValueError``,
``RuntimeError``...) so ``except ValueError`` in callers keeps working.
"""

from __future__ import annotations


class AmtsError(Exception):
    """An expected failure a user can act on: bad input, missing model, unreachable service..."""

    #: the process exit code the command line uses for this kind of failure (documented in the README)
    exit_code: int = 2


class InputError(AmtsError, ValueError):
    """A path, file or option the user gave cannot be used as it is."""


class ServiceError(AmtsError, RuntimeError):
    """A service amts talks to (engine, cloud, store) failed or is unreachable."""

    exit_code = 3
