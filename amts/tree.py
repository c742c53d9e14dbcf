"""Which files of a book are translated, and where their translations go.

Outputs are named ``<out>/<relative folder>/<tgt>.<file name>``, as the original pipeline's batch jobs
name them, so a translated tree can be compared with its source by relative path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


def discover(root: Path, notebooks: bool = False) -> tuple[list[SourceFile], list[Path]]:
    """Markdown files under ``root`` (or ``root`` itself) and the other files that will be skipped.

    With ``notebooks``, Jupyter notebooks count as translatable too (their Markdown cells).
    """
    suffixes = TRANSLATABLE_SUFFIXES + (NOTEBOOK_SUFFIXES if notebooks else ())
    if root.is_file():
        return [SourceFile(root, Path(root.name))], []
    files: list[SourceFile] = []
    skipped: list[Path] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in suffixes:
            files.append(SourceFile(path, relative))
        else:
            skipped.append(relative)
    return files, skipped


def strip_language_prefix(name: str, languages: set[str] | None = None) -> tuple[str | None, str]:
    """``"zh.intro.md"`` -> ``("zh", "intro.md")``; names without a language prefix -> ``(None, name)``."""
    head, _, rest = name.partition(".")
    looks_like_language = rest and rest.count(".") >= 1 and 2 <= len(head) <= 5 and head.replace("-", "").isalpha()
    if looks_like_language and (languages is None or head in languages):
        return head, rest
    return None, name
