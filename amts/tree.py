"""Which files of a book are translated, and where their translations go.

Outputs are named ``<out>/<relative folder>/<tgt>.<file name>``, as the original pipeline's batch jobs
name them, so a translated tree can be compared with its source by relative path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from amts.fileio import MANIFEST, is_output_tree, read_manifest

TRANSLATABLE_SUFFIXES = (".md",)
NOTEBOOK_SUFFIXES = (".ipynb",)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    relative: Path  # relative to the input root (just the name for a single file)

    def output(self, out_dir: Path, tgt: str) -> Path:
        return output_path(out_dir, self.relative, tgt)


def output_path(out_dir: Path, relative: Path, tgt: str) -> Path:
    return out_dir / relative.parent / f"{tgt}.{relative.name}"


def output_relative(document: str, tgt: str) -> str:
    """``ch/intro.md`` -> ``ch/zh.intro.md``: :func:`output_path` for POSIX keys (S3, job tasks)."""
    return output_path(Path(), Path(document), tgt).as_posix()


@dataclass
class Discovery:
    """What :func:`find_sources` found: files to translate, files skipped, output trees left out."""

    files: list[SourceFile]
    skipped: list[Path]
    excluded: list[Path]  # output folders inside the input (relative to the root): never inputs


def discover(root: Path, notebooks: bool = False, exclude: Iterable[Path] = (),
             skip_outputs: bool = False) -> tuple[list[SourceFile], list[Path]]:
    """Markdown files under ``root`` (or ``root`` itself) and the other files that will be skipped.

    With ``notebooks``, Jupyter notebooks count as translatable too (their Markdown cells). Output
    trees inside ``root`` are left out with ``skip_outputs`` (see :func:`find_sources`).
    """
    found = find_sources(root, notebooks, exclude, skip_outputs)
    return found.files, found.skipped


def find_sources(root: Path, notebooks: bool = False, exclude: Iterable[Path] = (),
                 skip_outputs: bool = False) -> Discovery:
    """Like :func:`discover`, and says which output folders inside ``root`` it left out.

    Outputs are never inputs: a folder in ``exclude`` (the ``--out`` of this run, the book's configured
    ``out``) or holding amts's output manifest (what an earlier run wrote) is not searched, so a second
    run with ``out`` inside the book does not translate its own outputs (``zh.zh.intro.md``).
    The manifests count only with ``skip_outputs`` (commands that translate their input): eval, align
    and review read translations, which are amts's outputs, on purpose.
    """
    suffixes = TRANSLATABLE_SUFFIXES + (NOTEBOOK_SUFFIXES if notebooks else ())
    if root.is_file():
        return Discovery([SourceFile(root, Path(root.name))], [], [])
    root_resolved = root.resolve()
    excluded_paths = {Path(p).resolve() for p in exclude}
    files: list[SourceFile] = []
    skipped: list[Path] = []
    excluded: list[Path] = []
    # outputs written beside their sources (--out = the book itself): the manifest lists them
    written_here = ({(root / key).resolve() for key in read_manifest(root / MANIFEST)}
                    if skip_outputs and is_output_tree(root) else set())
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        keep = []
        for name in sorted(dirs):
            child = here / name
            if name.startswith("."):
                continue
            resolved = child.resolve()
            if resolved != root_resolved and (resolved in excluded_paths or (skip_outputs and is_output_tree(child))):
                excluded.append(child.relative_to(root))
                continue
            keep.append(name)
        dirs[:] = keep
        for name in names:
            if name.startswith("."):
                continue
            path = here / name
            relative = path.relative_to(root)
            if written_here and path.resolve() in written_here:
                excluded.append(relative)
                continue
            if path.suffix.lower() in suffixes:
                files.append(SourceFile(path, relative))
            else:
                skipped.append(relative)
    files.sort(key=lambda f: f.path)
    skipped.sort()
    return Discovery(files, skipped, sorted(excluded))


def strip_language_prefix(name: str, languages: set[str] | None = None) -> tuple[str | None, str]:
    """``"zh.intro.md"`` -> ``("zh", "intro.md")``; names without a language prefix -> ``(None, name)``."""
    head, _, rest = name.partition(".")
    looks_like_language = rest and rest.count(".") >= 1 and 2 <= len(head) <= 5 and head.replace("-", "").isalpha()
    if looks_like_language and (languages is None or head in languages):
        return head, rest
    return None, name
