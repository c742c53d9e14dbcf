"""Match hypothesis files to reference files by relative path.

Translated trees written by ``amts translate`` name files ``<lang>.<name>``; references usually do
not. Both are reduced to the same key (the relative path with the target-language prefix removed) so
``amts eval out/ book-zh/`` pairs ``out/ch1/zh.intro.md`` with ``book-zh/ch1/intro.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from amts.errors import InputError
from amts.tree import discover, strip_language_prefix


class MatchError(InputError):
    """The inputs cannot be compared (missing path, nothing in common)."""


@dataclass(frozen=True)
class FilePair:
    relative: str  # posix path, language prefix removed
    hyp: Path
    ref: Path


@dataclass
class FileMatch:
    pairs: list[FilePair]
    only_in_hyp: list[str] = field(default_factory=list)
    only_in_ref: list[str] = field(default_factory=list)


def file_key(relative: Path | str, lang: str) -> str:
    """``ch1/zh.intro.md`` -> ``ch1/intro.md`` for ``lang="zh"``; other names are kept as they are."""
    path = PurePosixPath(str(relative).replace("\\", "/"))
    _, name = strip_language_prefix(path.name, {lang})
    return str(path.with_name(name))


def _selected(key: str, only: Iterable[str], lang: str) -> bool:
    for wanted in only:
        wanted = file_key(wanted.strip("/"), lang)
        if key == wanted or key.startswith(wanted + "/"):
            return True
    return False


def match_files(hyp: Path, ref: Path, lang: str, only: Iterable[str] | None = None) -> FileMatch:
    """Pairs of files to compare; ``only`` keeps relative paths (or folders) listed in it."""
    for path in (hyp, ref):
        if not path.exists():
            raise MatchError(f"{path}: no such file or directory")
    if hyp.is_file() and ref.is_file():
        return FileMatch([FilePair(file_key(ref.name, lang), hyp, ref)])
    if hyp.is_file() != ref.is_file():
        raise MatchError(f"compare a file with a file or a folder with a folder: {hyp}, {ref}")
    hyp_files = {file_key(f.relative, lang): f.path for f in discover(hyp)[0]}
    ref_files = {file_key(f.relative, lang): f.path for f in discover(ref)[0]}
    only = list(only or [])
    if only:
        hyp_files = {k: v for k, v in hyp_files.items() if _selected(k, only, lang)}
        ref_files = {k: v for k, v in ref_files.items() if _selected(k, only, lang)}
    common = sorted(hyp_files.keys() & ref_files.keys())
    if not common:
        scope = f" among {', '.join(only)}" if only else ""
        raise MatchError(f"no Markdown file of {hyp} has a counterpart in {ref}{scope}")
    return FileMatch(
        pairs=[FilePair(key, hyp_files[key], ref_files[key]) for key in common],
        only_in_hyp=sorted(hyp_files.keys() - ref_files.keys()),
        only_in_ref=sorted(ref_files.keys() - hyp_files.keys()),
    )
