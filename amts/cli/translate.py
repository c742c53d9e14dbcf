"""``amts translate``: translate a file or a folder tree into one or more languages."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from amts.adapt import AdaptiveTranslator
from amts.adapt.documents import translate_markdown
from amts.cli.common import fail, load_engine
from amts.document import DocumentError, read_markdown
from amts.fileio import atomic_write_text
from amts.tree import discover

console = Console(stderr=True)


def translate(
    path: Path = typer.Argument(..., help="A Markdown file or a folder of them."),
    src: str = typer.Option("en", "--src", help="Source language (ISO 639-1)."),
    tgt: list[str] = typer.Option(..., "--tgt", help="Target language; repeat for several."),
    engine: str = typer.Option("pseudo", "--engine", help="Engine name (amts engines lists them)."),
    out: Path = typer.Option(..., "--out", help="Output folder: <out>/<rel dir>/<tgt>.<name>."),
) -> None:
    """Translate PATH; every code block, math, role and link target is kept exactly."""
    if not path.exists():
        fail(f"{path}: no such file or directory")
    files, skipped = discover(path)
    if not files:
        fail(f"{path}: no Markdown files found")
    texts: dict[Path, str] = {}
    for source in files:  # read everything first: bad input writes nothing
        try:
            texts[source.path] = read_markdown(source.path)
        except DocumentError as error:
            fail(str(error))
    for name in skipped:
        console.print(f"[yellow]skipped[/] {name} (not Markdown)")
    translators = {lang: AdaptiveTranslator(load_engine(engine, src, lang)) for lang in tgt}
    totals: dict[str, int] = {}
    with Progress(console=console, transient=True, disable=len(files) == 1) as progress:
        task = progress.add_task("translating", total=len(files) * len(tgt))
        for source in files:
            for lang in tgt:
                result = translate_markdown(texts[source.path], translators[lang], src, lang)
                for warning in result.document.warnings:
                    console.print(f"[yellow]warning[/] {source.relative}: {warning}")
                for record in result.problems():
                    console.print(
                        f"[yellow]{record.outcome.status}[/] {source.relative}:{record.line}: "
                        f"{record.outcome.message or record.outcome.source[:60]}"
                    )
                atomic_write_text(source.output(out, lang), result.text)
                for status, count in result.counts.items():
                    totals[status] = totals.get(status, 0) + count
                progress.advance(task)
    summary = ", ".join(f"{count} {status}" for status, count in sorted(totals.items())) or "no prose"
    console.print(f"translated {len(files)} file(s) into {', '.join(tgt)}: {summary} sentences -> {out}")


def register(app: typer.Typer) -> None:
    app.command()(translate)
