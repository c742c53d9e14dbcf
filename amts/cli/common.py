"""Helpers shared by CLI commands: one-line errors, the translation setup's options, output guards.

Engines are loaded by the translation setup (:mod:`amts.adapt.setup`), not here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from amts.errors import AmtsError

if TYPE_CHECKING:
    from amts.fileio import OutputGuard


# The translation setup's options (amts.adapt.setup), worded once for the commands that take them.
SrcOption = Annotated[str | None, typer.Option("--src", help="Source language (default: amts.toml, else en).")]
SyncEngineOption = Annotated[str | None, typer.Option(
    "--engine", help="Engine for changed sentences; 'memory' = none (default: amts.toml, else memory).")]
ParallelDataOption = Annotated[list[str] | None, typer.Option(
    "--parallel-data", help="Parallel data in the store used as memory and examples; repeat per language pair "
    "(default: amts.toml).")]
GlossaryOption = Annotated[Path | None, typer.Option("--glossary", help="Glossary CSV, or TBX (.tbx) (default: amts.toml).")]
ExamplesOption = Annotated[int | None, typer.Option(
    "--examples", min=0, help="Most similar pairs given to the engine per sentence (default: amts.toml, else 4).")]
DialectOption = Annotated[str | None, typer.Option(
    "--dialect", help="Markdown dialect: d2lbook, gfm, mdbook, mkdocs or commonmark (default: amts.toml, else "
    "detected from the book's book.toml, mkdocs.yml or config.ini).")]
NoCacheOption = Annotated[bool, typer.Option(
    "--no-cache", help="Ask the network engine again for segments it already answered (default: answers kept in "
    "the engine cache beside the store are reused, never requested twice).")]

class CommandError(AmtsError):
    """A command cannot go on; printed as one line (see :func:`amts.cli.report_error`)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = code


def fail(message: str, code: int = 2) -> NoReturn:
    """Stop the command with a one-line error and exit code ``code`` (README "Exit codes")."""
    raise CommandError(message, code)


def output_file(path: Path, option: str = "--out") -> Path:
    """Refuse an output file path that is an existing folder, before anything is written."""
    if path.is_dir():
        fail(f"{path}: {option} names a folder; give a file name")
    return path


def languages(src: str, targets: list[str]) -> tuple[str, list[str]]:
    """BCP 47 tags, normalised; unknown tags and a target that is the source language refused (one line)."""
    from amts.languages import check_pair, normalize

    chosen: list[str] = []
    for lang in targets:
        _, target = check_pair(src, lang)
        if target not in chosen:
            chosen.append(target)
    return normalize(src), chosen


def engine_choice(values: list[str]) -> tuple[str | None, dict[str, str]]:
    """``--engine NAME`` (every language) and ``--engine LANG=NAME`` (one language, repeatable)."""
    every: str | None = None
    per_language: dict[str, str] = {}
    for value in values:
        lang, sep, name = value.partition("=")
        name = name.strip() if sep else value.strip()
        if not name:
            fail(f"--engine {value}: no engine name")
        if not sep:
            if every is not None and every != name:
                fail(f"--engine given twice for every language: {every} and {name} (use LANG=NAME for one language)")
            every = name
        else:
            if lang.strip() in per_language and per_language[lang.strip()] != name:
                fail(f"--engine given twice for {lang}: {per_language[lang.strip()]} and {name}")
            per_language[lang.strip()] = name
    return every, per_language


def engines_by_language(per_language: dict[str, str], targets: list[str]) -> dict[str, str]:
    """``{zh: llama}`` keyed by the target tags they name (``zh`` matches ``zh-CN``); others refused."""
    from amts.languages import normalize, same_language

    chosen: dict[str, str] = {}
    for lang, name in per_language.items():
        tag = normalize(lang)
        match = next((t for t in targets if same_language(t, tag)), None)
        if match is None:
            fail(f"--engine {lang}={name}: {tag} is not a target language ({', '.join(targets)})")
        chosen[match] = name
    return chosen


def report_kept(guard: OutputGuard) -> str:
    """Report each output kept because it was edited by hand; a summary fragment (or '')."""
    from amts.cli.console import out

    for kept in guard.kept:
        out.problem(kept.path, None, "kept", f"{kept.reason}; not overwritten (--force overwrites)")
    for path in guard.overwritten:
        out.warning(f"{path}: edited by hand, overwritten (--force)")
    return f"; {len(guard.kept)} output(s) edited by hand kept" if guard.kept else ""
