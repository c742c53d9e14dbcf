"""``amts translate``: translate a file or a folder tree into one or more languages."""

from __future__ import annotations

from pathlib import Path

import typer

from amts.adapt.documents import DocumentTranslation, translate_file
from amts.adapt.setup import TranslationSetup, build_translators
from amts.cli.common import NoCacheOption, engine_choice, engines_by_language, fail, languages, report_kept
from amts.cli.console import out as say
from amts.config import CONFIG_NAME, book_config
from amts.document import DocumentError, read_markdown
from amts.document.dialects import use_dialect
from amts.document.notebook import markdown_cells
from amts.fileio import atomic_write_text, guard_outputs
from amts.tree import find_sources


def translate(
    path: Path = typer.Argument(..., help="A Markdown file or a folder of them."),
    src: str | None = typer.Option(
        None, "--src", help="Source language (BCP 47: en, zh, zh-CN, pt-BR...); default: amts.toml, else en."
    ),
    tgt: list[str] | None = typer.Option(
        None, "--tgt", help="Target language; repeat for several (default: amts.toml)."
    ),
    engine: list[str] | None = typer.Option(
        None, "--engine", help="Engine name, or LANG=NAME for one target language (repeat); default: amts.toml, else the best "
        "engine installed for the pair (auto)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder: <out>/<rel dir>/<tgt>.<name> (default: amts.toml)."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Book settings (default: amts.toml here or in the book folder)."
    ),
    parallel_data: list[str] | None = typer.Option(
        None, "--parallel-data", help="Parallel data in the store used as memory and examples; repeat per language pair."
    ),
    glossary: Path | None = typer.Option(None, "--glossary", help="Glossary CSV (amts glossary mine) or TBX (.tbx); default: amts.toml."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default: amts.toml, else $AMTS_HOME/amts.sqlite)."),
    examples: int | None = typer.Option(
        None, "--examples", min=0, help="Most similar pairs given to the engine per sentence (default: amts.toml, else 4)."
    ),
    dialect: str | None = typer.Option(
        None, "--dialect", help="Markdown dialect: d2lbook, gfm, mdbook, mkdocs or commonmark (default: amts.toml, else detected)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite outputs edited by hand since amts wrote them."),
    no_cache: NoCacheOption = False,
) -> None:
    """Translate PATH; every code block, math, role and link target is kept exactly."""
    book = book_config(config, path)  # options not given on the command line come from the book's amts.toml
    every_language, per_language = engine_choice(engine or [])
    setup = TranslationSetup.from_config(book, src=src, targets=tgt, engine=every_language,
                                         parallel_data=parallel_data, glossary=glossary, store=store,
                                         examples=examples, dialect=dialect, cache=not no_cache)
    chosen = setup.resolve_dialect(path)
    say.detail(f"Markdown dialect: {chosen.describe()}")
    with use_dialect(chosen):  # math or not, for every file of the book
        if not setup.targets:
            fail("no target language: give --tgt or set book.tgt in amts.toml")
        setup.src, setup.targets = languages(setup.src, setup.targets)
        setup.engines.update(engines_by_language(per_language, setup.targets))
        src, tgt, out = setup.src, setup.targets, out or book.out
        if out is None:
            fail("no output folder: give --out or set book.out in amts.toml")
        if not path.exists():
            fail(f"{path}: no such file or directory")
        if out.exists() and not out.is_dir():
            fail(f"{out}: --out names a file; give a folder (outputs go to <out>/<dir>/<lang>.<name>)")
        found = find_sources(path, notebooks=True, exclude=[p for p in (out, book.out) if p is not None],
                             skip_outputs=True)
        files, skipped = found.files, found.skipped
        for excluded in found.excluded:
            say.info(f"not translating {path / excluded}: amts output (outputs are never inputs)",
                     excluded=str(path / excluded))
        if not files:
            fail(f"{path}: no Markdown files found")
        texts = _read_all(files)
        # every resource checked before anything is written; errors are one line (AmtsError)
        translators = build_translators(setup, warn=say.warning)
        for name in skipped:
            if Path(name).name != CONFIG_NAME:  # the book's own amts.toml is expected there
                say.warning(f"{name} (not Markdown)", label="skipped")
        totals: dict[str, int] = {}
        written = 0
        with guard_outputs([out], force=force) as guard, \
                say.progress(len(files) * len(tgt), "translating") as progress:
            for source in files:
                for lang in tgt:
                    progress.working_on(f"{source.relative} -> {lang}")
                    text, results = translate_file(source.path.name, texts[source.path], translators[lang], src, lang)
                    for result in results:
                        for warning in result.document.warnings:
                            say.problem(source.relative, None, "warning", warning)
                        for record in result.problems():
                            message = record.outcome.message or record.outcome.source[:60]
                            say.problem(source.relative, record.line, record.outcome.status,
                                        f"{lang}: {message}" if len(tgt) > 1 else message)
                        _add_counts(totals, result)
                    target = source.output(out, lang)
                    if atomic_write_text(target, text):
                        written += 1
                        say.written(target)
                    progress.advance(source.relative)
        kept = report_kept(guard)
        used = {lang: setup.engine_for(lang) for lang in tgt}
        memory = f" (memory: {', '.join(setup.parallel_data)})" if setup.parallel_data else ""
        engines = ", ".join(f"{lang} with {name}" for lang, name in used.items()) + memory
        say.summary(f"translated {len(files)} file(s) into {engines}: {_summary(totals)} -> {out}{kept}"
                    f"{say.problems_note()}", files=len(files), written=written, kept=len(guard.kept),
                    languages=list(tgt), engines=used, sentences=totals, out=str(out))


def _read_all(files: list) -> dict[Path, str]:
    """Every file's text, read before anything is written: bad input writes nothing."""
    texts: dict[Path, str] = {}
    for source in files:
        try:
            texts[source.path] = read_markdown(source.path)
            if source.path.suffix.lower() == ".ipynb":
                markdown_cells(texts[source.path])
        except DocumentError as error:
            fail(str(error) if str(source.path) in str(error) else f"{source.path}: {error}")
    return texts


def _add_counts(totals: dict[str, int], result: DocumentTranslation) -> None:
    """Add one document's sentences by status, its glossary violations and its review flags to ``totals``."""
    for status, count in result.counts.items():
        totals[status] = totals.get(status, 0) + count
    totals["violations"] = totals.get("violations", 0) + sum(len(r.outcome.violations) for r in result.sentences)
    totals["review"] = totals.get("review", 0) + sum(r.outcome.needs_review for r in result.sentences)


def _summary(totals: dict[str, int]) -> str:
    """Sentence counts in pipeline order, e.g. ``12 reused from memory, 3 translated, 1 untranslated``."""
    labels = [("kept", "kept"), ("memory", "reused from memory"), ("engine", "translated"),
              ("untranslated", "untranslated"), ("failed", "failed")]
    parts = [f"{totals.get(status, 0)} {label}" for status, label in labels if status != "kept" or totals.get(status)]
    parts += [f"{count} {status}" for status, count in sorted(totals.items())
              if status not in dict(labels) | {"violations": "", "review": ""}]
    review = f", {totals['review']} engine outputs flagged for review" if totals.get("review") else ""
    return f"{', '.join(parts)} sentences, {totals.get('violations', 0)} glossary violations{review}"


def register(app: typer.Typer) -> None:
    app.command()(translate)
