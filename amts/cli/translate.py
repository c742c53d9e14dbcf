"""``amts translate``: translate a file or a folder tree into one or more languages."""

from __future__ import annotations

from pathlib import Path

import typer

from amts.adapt import AdaptiveTranslator
from amts.adapt.documents import DocumentTranslation, translate_markdown
from amts.adapt.glossary import Glossary, GlossaryError
from amts.cli.common import fail, load_engine
from amts.cli.console import out as say
from amts.config import CONFIG_NAME, BookConfig, ConfigError, book_config
from amts.document import DocumentError, read_markdown
from amts.document.notebook import markdown_cells, translate_notebook
from amts.engines import Engine
from amts.fileio import atomic_write_text
from amts.home import store_path
from amts.languages import same_language
from amts.memory import Store, StoreError, TranslationMemory
from amts.tree import discover


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
    parallel_data: list[str] | None = typer.Option(
        None, "--parallel-data", help="Parallel data in the store used as memory and examples; repeat per language pair."
    ),
    glossary: Path | None = typer.Option(None, "--glossary", help="Glossary CSV (amts glossary mine); default: amts.toml."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default: amts.toml, else $AMTS_HOME/amts.sqlite)."),
    examples: int | None = typer.Option(
        None, "--examples", min=0, help="Most similar pairs given to the engine per sentence (default: amts.toml, else 4)."
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
    adaptation = _adaptation(src, tgt, parallel_data or ([book.parallel_data] if book.parallel_data else []),
                             glossary or book.glossary, store or book.store, from_config=not parallel_data,
                             glossary_from_config=glossary is None)
    k = examples if examples is not None else (book.examples if book.examples is not None else 4)
    translators = {}
    for lang in tgt:
        name = engine or book.engine_for(lang) or "pseudo"
        memory, terms = adaptation.get(lang, (None, None))
        if name == MEMORY_ENGINE and memory is None:
            fail(f"engine {MEMORY_ENGINE!r} needs --parallel-data with {src}->{lang} pairs")
        translators[lang] = AdaptiveTranslator(
            None if name == MEMORY_ENGINE else _configured_engine(name, src, lang, book),
            memory=memory, glossary=terms, examples=k,
        )
    for name in skipped:
        if Path(name).name != CONFIG_NAME:  # the book's own amts.toml is expected there
            say.warning(f"{name} (not Markdown)", label="skipped")
    totals: dict[str, int] = {}
    written = 0
    with say.progress(len(files) * len(tgt), "translating") as progress:
        for source in files:
            for lang in tgt:
                progress.working_on(f"{source.relative} -> {lang}")
                text, results = _translate_file(source.path, texts[source.path], translators[lang], src, lang)
                for result in results:
                    for warning in result.document.warnings:
                        say.problem(source.relative, None, "warning", warning)
                    for record in result.problems():
                        say.problem(source.relative, record.line, record.outcome.status,
                                    record.outcome.message or record.outcome.source[:60])
                    for status, count in result.counts.items():
                        totals[status] = totals.get(status, 0) + count
                    totals["violations"] = totals.get("violations", 0) + sum(
                        len(r.outcome.violations) for r in result.sentences
                    )
                    totals["review"] = totals.get("review", 0) + sum(r.outcome.needs_review for r in result.sentences)
                target = source.output(out, lang)
                atomic_write_text(target, text)
                written += 1
                say.written(target)
                progress.advance(source.relative)
    say.summary(f"translated {len(files)} file(s) into {', '.join(tgt)}: {_summary(totals)} -> {out}{say.problems_note()}",
                files=len(files), written=written, languages=list(tgt), sentences=totals, out=str(out))


MEMORY_ENGINE = "memory"
"""Not an engine: memory and glossary only, the rest stays in the source language and is reported."""


def _summary(totals: dict[str, int]) -> str:
    """Sentence counts in pipeline order, e.g. ``12 reused from memory, 3 translated, 1 untranslated``."""
    labels = [("kept", "kept"), ("memory", "reused from memory"), ("engine", "translated"),
              ("untranslated", "untranslated"), ("failed", "failed")]
    parts = [f"{totals.get(status, 0)} {label}" for status, label in labels if status != "kept" or totals.get(status)]
    parts += [f"{count} {status}" for status, count in sorted(totals.items())
              if status not in dict(labels) | {"violations": "", "review": ""}]
    review = f", {totals['review']} engine outputs flagged for review" if totals.get("review") else ""
    return f"{', '.join(parts)} sentences, {totals.get('violations', 0)} glossary violations{review}"


def _adaptation(
    src: str, tgt: list[str], names: list[str], glossary_file: Path | None, store: Path | None,
    from_config: bool = False,
    glossary_from_config: bool = False,
) -> dict[str, tuple[TranslationMemory | None, Glossary | None]]:
    """Per target language: the memory of its parallel data (loaded once) and its glossary.

    Parallel data and glossaries named on the command line must exist and fit the language pair;
    the book's amts.toml defaults may not exist yet (a fresh checkout) or be for another target:
    then a warning, and engines translate without them.
    """
    memories: dict[str, TranslationMemory] = {}
    path = store_path(store)
    if names and from_config and not (path.exists() and all(Store(path).exists(name) for name in names)):
        say.warning(f"parallel data {', '.join(names)} (book config) not in {path}: not used")
        names = []
    if names:
        if not path.exists():
            fail(f"{path}: no amts store; import parallel data first (amts pd create)")
        by_pair: dict[str, list[str]] = {}
        for name in names:
            try:
                info = Store(path).describe(name)
            except StoreError as error:
                fail(f"parallel data {name!r}: {error}")
            # BCP 47 tags by language: a zh-CN resource (e.g. a TMX from another tool) serves --tgt zh
            served = next((lang for lang in tgt if same_language(info.tgt_lang, lang)), None)
            if (not same_language(info.src_lang, src) or served is None) and from_config:
                say.warning(f"parallel data {name} (book config) is {info.src_lang}->{info.tgt_lang}: not used")
                continue
            if not same_language(info.src_lang, src) or served is None:
                fail(f"parallel data {name!r} is {info.src_lang}->{info.tgt_lang}, not {src}->{'/'.join(tgt)}")
            by_pair.setdefault(served, []).append(name)
        for lang, chosen in by_pair.items():
            if len(chosen) == 1:
                memories[lang] = TranslationMemory.from_store(Store(path), chosen[0])
            else:
                pairs = [pair for name in chosen for pair in Store(path).pairs(name)]
                memories[lang] = TranslationMemory(pairs, src, lang)
    terms: Glossary | None = None
    if glossary_file is not None and glossary_from_config and not glossary_file.exists():
        say.warning(f"glossary {glossary_file} (book config) does not exist: not used")
        glossary_file = None
    if glossary_file is not None:
        try:
            terms = Glossary.load(glossary_file)
        except GlossaryError as error:
            fail(str(error))
        if (terms.src_lang != src or terms.tgt_lang not in tgt) and glossary_from_config:
            say.warning(f"glossary {glossary_file} (book config) is {terms.src_lang}->{terms.tgt_lang}: not used")
            terms = None
        elif terms.src_lang != src or terms.tgt_lang not in tgt:
            fail(f"{glossary_file}: glossary is {terms.src_lang}->{terms.tgt_lang}, not {src}->{'/'.join(tgt)}")
    return {
        lang: (memories.get(lang), terms if terms is not None and terms.tgt_lang == lang else None)
        for lang in tgt
    }


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
