"""The one base class of every error amts expects: the command line prints it as one line.

Any exception that is *not* an :class:`AmtsError` is a bug: the command line prints one line asking
to report it and exits 70 (``--debug`` shows the traceback, for expected errors too). Subclasses keep
their historical second base (``ValueError``, ``RuntimeError``, ``OSError``...) so ``except ValueError``
in callers keeps working.
"""

from __future__ import annotations

import errno
from pathlib import Path


class AmtsError(Exception):
    """An expected failure a user can act on: bad input, missing model, unreachable service..."""

    #: the process exit code the command line uses for this kind of failure (documented in the README)
    exit_code: int = 2


class InputError(AmtsError, ValueError):
    """A path, file or option the user gave cannot be used as it is."""


class ServiceError(AmtsError, RuntimeError):
    """A service amts talks to (engine, cloud, store) failed or is unreachable."""

    exit_code = 3


#: errors of the machine rather than of the path the user gave: exit 3, like a failed service
MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.ENOMEM, errno.EMFILE, errno.ENFILE})


class FileError(AmtsError, OSError):
    """A file the user named cannot be read or written (read-only, disk full, no permission...).

    The message names the user's file, never a temporary file beside it; the exit code is 3 when the
    machine failed (disk full, I/O error), else 2 (a path amts cannot use)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.errno = code
        self.exit_code = 3 if code in MACHINE_ERRNOS else 2


def file_error(error: OSError, path: str | Path, doing: str = "cannot write") -> FileError:
    """``error`` (from a write to ``path`` or to a temporary file beside it) as one line naming ``path``."""
    if isinstance(error, FileError):
        return error
    reason = error.strerror or str(error) or type(error).__name__
    return FileError(f"{path}: {doing}: {reason}" if doing else f"{path}: {reason}", error.errno)
