"""Turning the command-line argument (report, folder, file or job id) into a review queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from amts.review.paths import ProjectRoot
from amts.review.queue import QueueError, ReviewQueue, load_report, load_translations
from amts.tree import strip_language_prefix

MARKDOWN = {".md", ".markdown"}


def is_sync_report(path: Path) -> bool:
    """A JSON file with a ``files`` list: the sync report contract."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("files"), list)


def sidecar_report(path: Path) -> Path | None:
    """A sync report lying beside translated output: ``<file>.report.json``, or one in the folder."""
    if path.is_file():
        candidates = [path.with_name(path.name + ".report.json"), path.with_suffix(".report.json")]
    else:
        candidates = sorted(path.glob("*.json"))
    return next((c for c in candidates if c.name != ".amts-review.json" and is_sync_report(c)), None)


def open_target(
    target: str,
    root: ProjectRoot,
    *,
    src: str = "en",
    tgt: str | None = None,
    source: Path | None = None,
    glossary: object | None = None,
    job: Callable[[str], ReviewQueue] | None = None,
) -> ReviewQueue:
    """The queue for ``target``: a sync report, a translated file/folder, or (through ``job``, which the
    caller supplies: review and jobs are siblings) a batch job id."""
    path = Path(target).expanduser()
    if path.exists():
        path = root.resolve(path, base=Path.cwd())
        if path.is_file() and path.suffix.lower() == ".json":  # read once (a whole book's report is ~10 MB)
            return load_report(path, root, glossary)
        report = sidecar_report(path)
        if report is not None:
            return load_report(report, root, glossary)
        if path.suffix.lower() == ".json":
            raise QueueError(f"{target}: not a sync report (no 'files' list)")
        return _translated(path, root, src, tgt, source, glossary)
    if job is not None and "/" not in target and not target.endswith((".json", ".md")):
        return job(target)
    raise QueueError(f"{target}: no such file, folder or job")


def _translated(
    path: Path, root: ProjectRoot, src: str, tgt: str | None, source: Path | None, glossary: object | None
) -> ReviewQueue:
    """Translated Markdown named ``<tgt>.<name>`` (amts translate's layout); sources matched by name."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in MARKDOWN)
    outputs: list[Path] = []
    languages: set[str] = set()
    for file in files:
        lang, _ = strip_language_prefix(file.name)
        if lang is not None and (tgt is None or lang == tgt):
            outputs.append(file)
            languages.add(lang)
    if not outputs:
        raise QueueError(f"{path}: no translated Markdown (<lang>.<name>.md) to review")
    if len(languages) > 1:
        raise QueueError(f"{path}: translations into {', '.join(sorted(languages))}; choose one with --tgt")
    lang = languages.pop()
    sources: dict[Path, Path] = {}
    if source is not None:
        source = root.resolve(source, base=Path.cwd())
        for output in outputs:
            _, name = strip_language_prefix(output.name)
            relative = output.parent.relative_to(path) if path.is_dir() else Path()
            candidate = source / relative / name if source.is_dir() else source
            if candidate.is_file():
                sources[output.resolve()] = candidate
    return load_translations(outputs, root, path, src, lang, sources, glossary)
