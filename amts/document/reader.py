"""Reading Markdown files with clear errors for what cannot be a Markdown document."""

from __future__ import annotations

from pathlib import Path

from amts.errors import InputError


class DocumentError(InputError):
    """The input is not a readable Markdown document (missing, binary, not UTF-8)."""


def read_markdown(path: Path) -> str:
    """The file's text exactly (no newline translation); ``DocumentError`` with a one-line reason."""
    if not path.exists():
        raise DocumentError(f"{path}: no such file or directory")
    if path.is_dir():
        raise DocumentError(f"{path}: is a directory")
    return decode_markdown(path.read_bytes(), str(path))


def decode_markdown(data: bytes, name: str) -> str:
    """The bytes of document ``name`` as text exactly, or ``DocumentError`` with a one-line reason."""
    if b"\x00" in data:
        raise DocumentError(f"{name}: binary file (contains NUL bytes), not Markdown")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DocumentError(f"{name}: invalid UTF-8 at byte {error.start} (line {line})") from None
