"""The project root: the only place the review server may read or write files."""

from __future__ import annotations

from pathlib import Path

from amts.errors import AmtsError


class OutsideRootError(AmtsError, PermissionError):
    """A path resolves (after ``..`` and symlinks) to somewhere outside the project root."""


class ProjectRoot:
    """Resolve user- or report-supplied paths, refusing anything that escapes the root.

    Every path is fully resolved (``..`` collapsed, symlinks followed) before the check, so neither
    ``../../etc/passwd`` nor a symlink inside the root that points out of it gets through.
    """

    def __init__(self, root: Path | str) -> None:
        self.path = Path(root).expanduser().resolve(strict=True)
        if not self.path.is_dir():
            raise NotADirectoryError(f"{root}: project root is not a directory")

    def resolve(self, path: Path | str, base: Path | None = None) -> Path:
        """``path`` (relative to ``base`` or the root) as an absolute path inside the root."""
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = (base or self.path) / candidate
        resolved = candidate.resolve(strict=False)
        if not resolved.is_relative_to(self.path):
            raise OutsideRootError(f"{path}: outside the project root {self.path}")
        return resolved

    def contains(self, path: Path | str) -> bool:
        try:
            self.resolve(path)
        except OutsideRootError:
            return False
        return True

    def relative(self, path: Path) -> str:
        """How a resolved path inside the root is shown to the reviewer (POSIX, root-relative)."""
        return path.resolve().relative_to(self.path).as_posix()
