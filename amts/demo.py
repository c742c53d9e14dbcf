"""The offline demo: translate -> edit the source -> sync, on the embedded example book.

It needs no network, account or configuration: parallel data comes from the example book's own
human translations, Spanish uses Apertium when it is installed (the embedded default), and every
other sentence the memory cannot answer is reported, not invented.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from amts.adapt import AdaptiveTranslator
from amts.adapt.documents import translate_markdown
from amts.adapt.setup import MEMORY_ENGINE, SetupError, TranslationSetup, build_translator, load_engine
from amts.align import align_files
from amts.engines import Engine, EngineError
from amts.fileio import atomic_write_text
from amts.memory import Pair, Store
from amts.sync import merge_documents
from amts.tree import output_path

LANGUAGES = ("es", "zh")

# The demo's edit of the English source: (old, new) replacements, each a kind of real-world change.
SOURCE_EDITS = [
    ("def loss(t, t_star=180.0):\n    return (t - t_star) ** 2",  # code changed: new code kept
     "def loss(t, t_star=200.0):\n    return (t - t_star) ** 2"),
    ("for example 120 seconds.", "for example 90 seconds."),  # a number: propagated, no engine
    ("After about ten cups the time settles near the ideal value.",  # a sentence rewritten
     "After about a dozen cups the time settles close to the ideal value."),
    ("## Exercises\n",  # a paragraph added
     "Patience matters more than speed here.\n\n## Exercises\n"),
]


@dataclass
class DemoResult:
    workdir: Path
    pairs: dict[str, int] = field(default_factory=dict)
    translated: dict[str, Counter[str]] = field(default_factory=dict)
    synced: dict[str, Counter[str]] = field(default_factory=dict)
    engines: dict[str, str] = field(default_factory=dict)
    words_to_review: dict[str, int] = field(default_factory=dict)
    words_full: dict[str, int] = field(default_factory=dict)


def example_book() -> Path:
    return Path(__file__).resolve().parent / "examples" / "book"


def default_engine(tgt: str) -> tuple[Engine | None, str]:
    """The embedded offline default for a target language, or memory-only when it is not installed."""
    if tgt == "es":
        from amts.engines.apertium import ApertiumEngine  # the rule-based en->es engine Debian packages

        try:
            engine = load_engine(TranslationSetup("en", [tgt], engine=ApertiumEngine.name), tgt)
            if engine is not None:
                engine.translate_texts(["test"], "en", tgt)
                return engine, ApertiumEngine.name
        except (EngineError, SetupError, OSError):
            pass
    return None, MEMORY_ENGINE


def run_demo(workdir: Path, say: Callable[[str], None] = print) -> DemoResult:
    if workdir.exists() and any(workdir.iterdir()):
        raise FileExistsError(f"{workdir} is not empty; choose another --workdir")
    book = workdir / "book"
    shutil.copytree(example_book(), book)
    result = DemoResult(workdir)
    store = Store(workdir / "amts.sqlite")

    say("1. Parallel data: align the English book with its human translations")
    pairs: dict[str, list[Pair]] = {}
    for lang in LANGUAGES:
        alignment = align_files(book / "en" / "tea.md", book / lang / "tea.md", "en", lang, "sentence")
        store.create(f"book-en-{lang}", alignment.pairs, description="example book, sentence pairs")
        pairs[lang] = alignment.pairs
        result.pairs[lang] = len(alignment.pairs)
        say(f"   en-{lang}: {len(alignment.pairs)} sentence pairs stored as parallel data 'book-en-{lang}'")

    say("2. Translate the chapter nobody translated yet (en/coffee.md)")
    translators: dict[str, AdaptiveTranslator] = {}
    for lang in LANGUAGES:
        engine, name = default_engine(lang)
        result.engines[lang] = name
        setup = TranslationSetup("en", [lang], engine=name, pairs={lang: pairs[lang]})
        translators[lang] = build_translator(setup, lang, engine=engine)
        source = (book / "en" / "coffee.md").read_text(encoding="utf-8")
        translation = translate_markdown(source, translators[lang], "en", lang)
        atomic_write_text(output_path(book / lang, Path("coffee.md"), lang), translation.text)
        result.translated[lang] = translation.counts
        say(f"   -> {lang}/{lang}.coffee.md with {name}: " + _counts(translation.counts))

    say("3. Edit the English source (a code change, a number, a rewritten sentence, a new paragraph)")
    old_source = (book / "en" / "tea.md").read_text(encoding="utf-8")
    new_source = old_source
    for old, new in SOURCE_EDITS:
        if old not in new_source:
            raise RuntimeError(f"the example book changed: cannot apply the demo edit {old[:40]!r}")
        new_source = new_source.replace(old, new, 1)
    (book / "en" / "tea_origin.md").write_text(old_source, encoding="utf-8")
    atomic_write_text(book / "en" / "tea.md", new_source)

    say("4. Sync the translations: keep human work, propagate mechanical edits, translate what changed")
    for lang in LANGUAGES:
        target = book / lang / "tea.md"
        merged = merge_documents(old_source, new_source, target.read_text(encoding="utf-8"), translators[lang],
                                 "en", lang)
        atomic_write_text(target, merged.text)
        statuses = Counter(record.status for record in merged.records)
        result.synced[lang] = statuses
        result.words_to_review[lang] = merged.words_to_review
        result.words_full[lang] = merged.words_full
        saved = 1 - merged.words_to_review / merged.words_full if merged.words_full else 1.0
        say(f"   {lang}/tea.md: " + _counts(statuses) + f"; {merged.engine_calls} engine calls; "
            f"review {merged.words_to_review} of {merged.words_full} words ({saved:.0%} of the work saved)")
        for record in merged.records:
            if record.needs_review:
                say(f"      review [{record.status}] {(record.source_new or '').strip()[:70]}")
    say(f"Done. Everything is in {book}")
    return result


def _counts(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to do"
