"""``amts translate``: translate a file or a folder tree into one or more languages."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from amts.adapt import AdaptiveTranslator
from amts.adapt.documents import DocumentTranslation, translate_markdown
from amts.cli.common import fail, load_engine
from amts.config import CONFIG_NAME, BookConfig, ConfigError, book_config
from amts.document import DocumentError, read_markdown
from amts.document.notebook import markdown_cells, translate_notebook
from amts.engines import Engine
from amts.fileio import atomic_write_text
from amts.tree import discover

console = Console(stderr=True)


def translate(
    path: Path = typer.Argument(..., help="A Markdown file or a folder of them."),
    src: str | None = typer.Option(
        None, "--src", help="Source language (ISO 639-1); default: amts.toml, else en."
    ),
    tgt: list[str] | None = typer.Option(
        None, "--tgt", help="Target language; repeat for several (default: amts.toml)."
    ),
    engine: str | None = typer.Option(None, "--engine", help="Engine name; default: amts.toml, else pseudo."),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder: <out>/<rel dir>/<tgt>.<name> (default: amts.toml)."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Book settings (default: amts.toml here or in the book folder)."
    ),
) -> None:
    """Translate PATH; every code block, math, role and link target is kept exactly."""
    try:  # options not given on the command line come from the book's amts.toml
        book = book_config(config, path)
    except ConfigError as error:
        fail(str(error))
    src = src or book.src or "en"
    tgt = tgt or book.tgt
    out = out or book.out
    if not tgt:
        fail("no target language: give --tgt or set book.tgt in amts.toml")
    if out is None:
        fail("no output folder: give --out or set book.out in amts.toml")
    if not path.exists():
        fail(f"{path}: no such file or directory")
    files, skipped = discover(path, notebooks=True)
    if not files:
        fail(f"{path}: no Markdown files found")
    texts: dict[Path, str] = {}
    for source in files:  # read everything first: bad input writes nothing
        try:
            texts[source.path] = read_markdown(source.path)
            if source.path.suffix.lower() == ".ipynb":
                markdown_cells(texts[source.path])
        except DocumentError as error:
            fail(str(error))
    translators = {
        lang: AdaptiveTranslator(
            _configured_engine(engine or book.engine_for(lang) or "pseudo", src, lang, book)
        )
        for lang in tgt
    }
    for name in skipped:
        if Path(name).name != CONFIG_NAME:  # the book's own amts.toml is expected there
            console.print(f"[yellow]skipped[/] {name} (not Markdown)")
    totals: dict[str, int] = {}
    with Progress(console=console, transient=True, disable=len(files) == 1) as progress:
        task = progress.add_task("translating", total=len(files) * len(tgt))
        for source in files:
            for lang in tgt:
                text, results = _translate_file(source.path, texts[source.path], translators[lang], src, lang)
                for result in results:
                    for warning in result.document.warnings:
                        console.print(f"[yellow]warning[/] {source.relative}: {warning}")
                    for record in result.problems():
                        console.print(
                            f"[yellow]{record.outcome.status}[/] {source.relative}:{record.line}: "
                            f"{record.outcome.message or record.outcome.source[:60]}"
                        )
                    for status, count in result.counts.items():
                        totals[status] = totals.get(status, 0) + count
                atomic_write_text(source.output(out, lang), text)
                progress.advance(task)
    summary = ", ".join(f"{count} {status}" for status, count in sorted(totals.items())) or "no prose"
    console.print(f"translated {len(files)} file(s) into {', '.join(tgt)}: {summary} sentences -> {out}")


def _configured_engine(name: str, src: str, tgt: str, book: BookConfig) -> Engine:
    """Load an engine with its ``[engine.<name>]`` options from amts.toml."""
    try:
        return load_engine(name, src, tgt, **book.options_for(name))
    except TypeError as error:  # an option the engine does not take
        fail(f"{book.path}: engine.{name}: {error}")


def _translate_file(
    path: Path, text: str, translator: AdaptiveTranslator, src: str, tgt: str
) -> tuple[str, list[DocumentTranslation]]:
    """A Markdown file, or a notebook whose Markdown cells are translated one by one."""
    if path.suffix.lower() != ".ipynb":
        result = translate_markdown(text, translator, src, tgt)
        return result.text, [result]
    results: list[DocumentTranslation] = []

    def cell(markdown: str) -> str:
        results.append(translate_markdown(markdown, translator, src, tgt))
        return results[-1].text

    return translate_notebook(text, cell), results


def register(app: typer.Typer) -> None:
    app.command()(translate)
