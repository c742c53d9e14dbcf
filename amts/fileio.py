"""Writing files so that a crash never leaves a half-written output behind."""

from __future__ import annotations

import os
from pathlib import Path

_written: list[Path] = []


def written_files() -> list[Path]:
    """Every file this process wrote, in order (what Ctrl-C reports)."""
    return list(_written)


def forget_written() -> None:
    """Start a new record (each command run in one process, e.g. in tests, reports its own writes)."""
    _written.clear()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 exactly (no newline translation) via a temp file and an atomic rename."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _written.append(path)
