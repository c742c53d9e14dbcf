"""Where amts keeps its state: one SQLite store shared by parallel data, jobs and review."""

from __future__ import annotations

import os
from pathlib import Path


def amts_home() -> Path:
    """``$AMTS_HOME``, else ``$XDG_DATA_HOME/amts``, else ``~/.local/share/amts``."""
    if os.environ.get("AMTS_HOME"):
        return Path(os.environ["AMTS_HOME"]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "amts"


def store_path(explicit: Path | str | None = None) -> Path:
    """The store file: ``--store PATH`` if given, else ``<amts home>/amts.sqlite``."""
    if explicit:
        return Path(explicit).expanduser()
    return amts_home() / "amts.sqlite"
