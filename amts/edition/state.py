"""The recorded sync state of a translated edition: which source repository and commit it is synced to.

It lives in the translation repository as ``amts-state.toml`` beside ``amts.toml`` -- a separate file,
because amts rewrites it after every update while ``amts.toml`` is written by people (and keeps their
comments). It is small, plain TOML, written atomically, and meant to be read in a pull request's diff::

    # Written by `amts update`: the source commit this edition is synced to.
    [source]
    url = "https://github.com/d2l-ai/d2l-en"
    commit = "0123456789abcdef0123456789abcdef01234567"
    synced_at = "2026-12-02T11:00:00Z"
    report = ".amts/update-report.json"

    [edition]
    language = "zh"

    [behind]                      # files an update blocked or skipped: the source commit each still matches
    "chapter/x.md" = "89abcdef0123456789abcdef0123456789abcdef"

``language`` is the edition's language, recorded by ``amts update --init`` so that later updates need
no ``--tgt`` (``amts.toml`` and ``--tgt`` still win). ``[behind]`` lets the next update take those files
up again from the commit their translation matches, though the edition as a whole moved on.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from amts.errors import InputError
from amts.fileio import atomic_write_text

STATE_NAME = "amts-state.toml"


class StateError(InputError):
    """A state file amts cannot read: the message names the file and what is wrong."""


@dataclass(frozen=True)
class EditionState:
    """Where the edition's source is and the commit of it that the translation matches."""

    commit: str
    url: str = ""
    synced_at: str = ""
    report: str = ""
    language: str = ""  # the edition's language (BCP 47)
    behind: dict[str, str] = field(default_factory=dict)  # file -> the older source commit its translation matches

    def advanced(self, commit: str, report: str = "", behind: dict[str, str] | None = None) -> EditionState:
        """The state after syncing to ``commit`` now (``behind``: the files left at an older commit)."""
        now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return EditionState(commit, self.url, now, report or self.report, self.language,
                            self.behind if behind is None else behind)


def read_state(path: Path) -> EditionState | None:
    """The recorded state, ``None`` when the file does not exist; :class:`StateError` when it is malformed."""
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise StateError(f"{path}: not valid TOML: {error}") from None
    source = data.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("commit"), str) or not source["commit"]:
        raise StateError(f"{path}: needs a [source] table with the synced commit (commit = \"...\")")
    unknown = sorted(set(source) - {"commit", "url", "synced_at", "report"})
    if unknown:
        raise StateError(f"{path}: source.{unknown[0]}: unknown key")
    edition = data.get("edition", {})
    if not isinstance(edition, dict) or not isinstance(edition.get("language", ""), str):
        raise StateError(f"{path}: [edition] language must be a language tag, e.g. language = \"zh\"")
    behind = data.get("behind", {})
    if not isinstance(behind, dict) or not all(isinstance(v, str) and v for v in behind.values()):
        raise StateError(f"{path}: [behind] maps files to source commits, e.g. \"chapter/x.md\" = \"0123abcd...\"")
    return EditionState(source["commit"], str(source.get("url", "")), str(source.get("synced_at", "")),
                        str(source.get("report", "")), edition.get("language", ""), dict(behind))


def write_state(path: Path, state: EditionState) -> None:
    """Write the state file atomically (a crash leaves the previous state, never half a file)."""
    atomic_write_text(path, state_text(state))


def state_text(state: EditionState) -> str:
    """The state file's text."""
    lines = ["# Written by `amts update`: the source commit this edition is synced to.",
             "# Change it by hand only to re-base the edition on another commit.", "[source]"]
    for key in ("url", "commit", "synced_at", "report"):
        value = getattr(state, key)
        if value:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")  # a JSON string is a TOML string
    if state.language:
        lines += ["[edition]", f"language = {json.dumps(state.language)}"]
    if state.behind:
        lines += ["[behind]", *(f"{json.dumps(name, ensure_ascii=False)} = {json.dumps(commit)}"
                                for name, commit in sorted(state.behind.items()))]
    return "\n".join(lines) + "\n"
