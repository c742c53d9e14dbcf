"""One translation setup, one way to build a translator from it.

Every command that translates -- ``translate``, ``sync``, ``update``, ``job``, ``experiment``, the demo
and the batch path -- describes what it wants as a :class:`TranslationSetup` (usually made from the
book's ``amts.toml`` plus command-line options by :meth:`TranslationSetup.from_config`) and gets its
:class:`~amts.adapt.pipeline.AdaptiveTranslator` from :func:`build_translator`. So ``amts.toml``
means the same everywhere, ``"memory"`` (no engine: memory and glossary only) is handled here and
nowhere else, and every cache keys its entries by the same :meth:`TranslationSetup.signature`.

The signature is in the spirit of sacrebleu's: a short ``key:value|...`` string naming everything
that can change an output (engine, its options and model, parallel data and their versions, the
glossary's content, the number of examples, languages, amts version), e.g.
``src:en|tgt:zh|engine:pseudo|options:{}|pd:d2l-en-zh@v3|glossary:none|examples:4|amts:0.1.0``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from amts.adapt.glossary import Glossary
from amts.adapt.pipeline import AdaptiveTranslator
from amts.document.dialects import Dialect, choose_dialect
from amts.engines import ENGINES, Engine, EngineError, engine_class, engine_names, get_engine
from amts.engines.base import MODEL_ATTRIBUTES
from amts.engines.cache import CachedEngine
from amts.errors import InputError
from amts.home import store_path
from amts.languages import same_language

if TYPE_CHECKING:
    from amts.config import BookConfig
    from amts.memory import Pair, TranslationMemory

MEMORY_ENGINE = "memory"
"""Not an engine: memory and glossary only; the rest stays in the source language and is reported."""

AUTO_ENGINE = "auto"
"""Not an engine: the best engine installed on this machine for the pair (:func:`choose_engine`)."""

#: the segment cache of network engines, beside the store (amts.engines.cache)
CACHE_FILE = "engine-cache.sqlite"

Warn = Callable[[str], None]


class SetupError(InputError):
    """The setup cannot be built as asked (unknown engine, parallel data for another pair...)."""


@dataclass
class TranslationSetup:
    """What decides a translation besides the text: languages, engines, parallel data, glossary."""

    src: str = "en"
    targets: list[str] = field(default_factory=list)
    #: the engine for every target language without an entry in ``engines``
    engine: str = MEMORY_ENGINE
    #: engine per target language (``[engines]`` in amts.toml)
    engines: dict[str, str] = field(default_factory=dict)
    #: options per engine name (``[engine.<name>]`` in amts.toml)
    engine_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: parallel-data resources in the store, for any of the target languages
    parallel_data: list[str] = field(default_factory=list)
    #: parallel data given directly as pairs, per target language (demo, experiment)
    pairs: dict[str, Sequence[Pair]] = field(default_factory=dict)
    #: a glossary CSV (``amts glossary mine``)
    glossary: Path | None = None
    #: the store file; None: ``$AMTS_HOME/amts.sqlite``
    store: Path | None = None
    #: most similar pairs given to the engine per sentence
    examples: int = 4
    #: the amts.toml the setup came from (named in messages)
    config: Path | None = None
    #: settings taken from amts.toml rather than the command line: when the parallel data or glossary
    #: they name does not exist yet (a fresh checkout) or is for another pair, a warning, not an error
    optional: frozenset[str] = frozenset()
    #: the Markdown dialect named (``--dialect`` or ``[book] dialect``); None: detected from the book
    dialect: str | None = None
    #: where ``dialect`` was named ("--dialect", or the amts.toml path)
    dialect_from: str = "--dialect"
    #: link-target prefixes the translation points at its own pages (``[book] own_links``): memory reuse
    #: keeps those, every other link target comes from the source (amts.document.links)
    own_links: tuple[str, ...] = ()
    #: answers of network engines kept in the segment cache and never requested again (``--no-cache``: off)
    cache: bool = True

    @classmethod
    def from_config(
        cls,
        book: BookConfig,
        *,
        src: str | None = None,
        targets: Sequence[str] | str | None = None,
        engine: str | None = None,
        parallel_data: Sequence[str] | str | None = None,
        glossary: Path | None = None,
        store: Path | None = None,
        examples: int | None = None,
        dialect: str | None = None,
        default_engine: str = AUTO_ENGINE,
        cache: bool = True,
    ) -> TranslationSetup:
        """The book's settings with the command line's options on top (an option given wins).

        ``--engine`` on the command line replaces the per-language ``[engines]`` too;
        ``default_engine`` is the command's choice when neither says anything.
        """
        if isinstance(targets, str):
            targets = [targets]
        if isinstance(parallel_data, str):
            parallel_data = [parallel_data]
        optional = set()
        if not parallel_data and book.parallel_data:
            optional.add("parallel_data")
        if glossary is None and book.glossary is not None:
            optional.add("glossary")
        return cls(
            src=src or book.src or "en",
            targets=list(targets or book.tgt),
            engine=engine or book.engine or default_engine,
            engines={} if engine else dict(book.engines),
            engine_options={name: dict(values) for name, values in book.engine_options.items()},
            parallel_data=list(parallel_data or ([book.parallel_data] if book.parallel_data else [])),
            glossary=glossary or book.glossary,
            store=store or book.store,
            examples=examples if examples is not None else (book.examples if book.examples is not None else 4),
            config=book.path,
            optional=frozenset(optional),
            dialect=dialect or book.dialect,
            dialect_from="--dialect" if dialect or book.path is None else str(book.path),
            own_links=tuple(book.own_links),
            cache=cache,
        )

    def resolve_dialect(self, book: Path | None) -> Dialect:
        """The Markdown dialect of the book at ``book`` (the one named, else detected from its toolchain's
        config, else GFM): every command wraps its work in ``use_dialect(setup.resolve_dialect(book))``.
        Afterwards the setup names it, so a job's workers and the signature use the same one."""
        chosen = choose_dialect(self.dialect, book, given_in=self.dialect_from)
        self.dialect, self.dialect_from = chosen.name, chosen.source
        return chosen

    def engine_for(self, tgt: str) -> str:
        """The engine name for ``tgt``: its ``engines`` entry (by language, so zh-CN finds zh), else the default."""
        if tgt in self.engines:
            return self.engines[tgt]
        return next((name for lang, name in self.engines.items() if same_language(lang, tgt)), self.engine)

    def options_for(self, name: str) -> dict[str, Any]:
        return dict(self.engine_options.get(name, {}))

    @property
    def store_file(self) -> Path:
        return store_path(self.store)

    @property
    def cache_file(self) -> Path:
        """The segment cache of network engines, beside the store."""
        return self.store_file.with_name(CACHE_FILE)

    def signature(self, tgt: str, engine: Engine | None = None) -> str:
        """Everything that can change an output into ``tgt``, as ``key:value|...`` (see the module doc).

        ``engine``: the loaded engine, so the model it loaded is part of the signature.
        """
        name = self.engine_for(tgt)
        parts = {
            "src": self.src,
            "tgt": tgt,
            "engine": name,
            "options": engine_signature(engine, self.options_for(name)) if engine is not None
            else json.dumps([name, self.options_for(name), {}], sort_keys=True, default=str),
            "pd": ",".join(self._parallel_data_versions(tgt)) or "none",
            "glossary": _file_digest(self.glossary) if self.glossary is not None else "none",
            "examples": str(self.examples),
            "amts": _amts_version(),
        }
        if self.dialect is not None:  # whether $ starts math changes what is translated
            parts["dialect"] = self.dialect
        return "|".join(f"{key}:{value}" for key, value in parts.items())

    def _parallel_data_versions(self, tgt: str) -> list[str]:
        found = []
        if self.parallel_data and self.store_file.exists():
            from amts.memory import Store, StoreError

            store = Store(self.store_file)
            for name in self.parallel_data:
                try:
                    info = store.describe(name)
                except StoreError:
                    continue
                if same_language(info.src_lang, self.src) and same_language(info.tgt_lang, tgt):
                    found.append(f"{name}@v{info.version}")
        if self.pairs.get(tgt):
            digest = hashlib.sha256()
            for pair in self.pairs[tgt]:
                digest.update(f"{pair.source}\0{pair.target}\0".encode())
            found.append(f"pairs@{digest.hexdigest()[:12]}")
        return found


def engine_signature(engine: Engine, options: Mapping[str, object] | None = None) -> str:
    """The engine part of a signature: its name, options and the model it loaded (JSON)."""
    model = {attr: str(getattr(engine, attr)) for attr in MODEL_ATTRIBUTES if getattr(engine, attr, None)}
    return json.dumps([engine.name, dict(options or {}), model], sort_keys=True, default=str)


def check_engine_name(name: str) -> None:
    """:class:`SetupError` naming the choices (the test engines left out) unless ``name`` is one."""
    if name != MEMORY_ENGINE and name not in engine_names():
        choices = ", ".join([MEMORY_ENGINE, *engine_names(for_users=True)])
        raise SetupError(f"unknown engine {name!r}; known: {choices}")


def runs_as_job(name: str) -> bool:
    """Whether the engine called ``name`` translates whole documents as its service's batch jobs."""
    return name != MEMORY_ENGINE and name in engine_names() and engine_class(name).runs_as_job


def load_engine(setup: TranslationSetup, tgt: str) -> Engine | None:
    """The engine ``setup`` names for ``tgt``, loaded with its options; None for ``"memory"``.

    Raises :class:`SetupError` for bad input (unknown name, unknown option, unsupported pair) and
    :class:`~amts.engines.EngineError` when the engine itself cannot start.
    """
    name = setup.engine_for(tgt)
    if name == MEMORY_ENGINE:
        return None
    check_engine_name(name)
    try:
        engine = get_engine(name, **setup.options_for(name))
    except TypeError as error:  # an option the engine does not take
        where = f"{setup.config}: engine.{name}" if setup.config else f"engine {name!r}"
        raise SetupError(f"{where}: {error}") from error
    if not engine.supports(setup.src, tgt):
        engine.close()
        raise SetupError(f"engine {name!r} cannot translate {setup.src}->{tgt}")
    if engine.needs_network and setup.cache:  # an answer paid for is never asked again
        return CachedEngine(engine, setup.cache_file)
    return engine


def choose_engine(setup: TranslationSetup, tgt: str) -> tuple[str, Engine]:
    """The best engine installed here for ``setup.src`` -> ``tgt`` when nobody named one.

    Offline engines only (no network, no account, no test engine), in the table's order with engines
    whose every output needs review (a small local LLM) last; the first that starts and supports the
    pair. None: :class:`SetupError` in one line saying what to install or configure."""
    offline = [(name, cls) for name, cls in ((name, engine_class(name)) for name in ENGINES)
               if not cls.needs_network and not cls.for_tests]
    tried = []
    for name, _cls in sorted(offline, key=lambda item: (item[1].always_review, item[1].slow)):
        with _stderr_silenced():  # probing prints nothing (llama.cpp logs while it loads and frees a model)
            try:
                engine = get_engine(name, **setup.options_for(name))
            except (EngineError, TypeError) as error:
                tried.append(f"{name}: {str(error).split(':', 1)[-1].strip()}")
                continue
            if engine.supports(setup.src, tgt):
                return name, engine
            engine.close()
        tried.append(f"{name}: no model for {setup.src}->{tgt}")
    raise SetupError(
        f"no installed engine translates {setup.src}->{tgt} ({'; '.join(tried)}): run `make models` (offline models) "
        f"or `make system` (apertium, en<->es), or name an engine: --engine NAME or [engines] {tgt} = \"openai\" in "
        f"amts.toml (--engine memory: only the memory, the rest stays in {setup.src})")


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Standard error dropped inside, Python's and file descriptor 2 (what native libraries write)."""
    import io
    import os
    import sys
    from contextlib import redirect_stderr

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null, redirect_stderr(io.StringIO()):
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def load_memory(setup: TranslationSetup, tgt: str, *, warn: Warn | None = None) -> TranslationMemory | None:
    """The memory of the setup's parallel data into ``tgt`` (None without any): for callers that drive
    the adaptive layer themselves, e.g. the batch path (:mod:`amts.adapt.batch`)."""
    return _Resources.resolve(setup, warn or (lambda _message: None)).memory(tgt)


def check_setup(setup: TranslationSetup, *, warn: Warn | None = None) -> None:
    """What building would refuse -- unknown engines, missing or mismatched parallel data and
    glossary -- checked without loading any engine or memory (a job checks before it starts)."""
    for tgt in setup.targets:
        check_engine_name(setup.engine_for(tgt))
    resources = _Resources.resolve(setup, warn or (lambda _message: None))
    for tgt in setup.targets:
        if setup.engine_for(tgt) == MEMORY_ENGINE and not resources.names.get(tgt) and tgt not in setup.pairs:
            raise SetupError(f"engine {MEMORY_ENGINE!r} needs --parallel-data with {setup.src}->{tgt} pairs")


def build_translators(setup: TranslationSetup, *, warn: Warn | None = None) -> dict[str, AdaptiveTranslator]:
    """One translator per target language; every resource is checked before any engine is loaded."""
    if not setup.parallel_data and any(setup.engine_for(tgt) == AUTO_ENGINE for tgt in setup.targets):
        setup.parallel_data = _store_parallel_data(setup)  # "auto": the memory the store has for the pairs too
    resources = _Resources.resolve(setup, warn or (lambda _message: None))
    chosen = {}
    for tgt in setup.targets:  # "auto": the engine chosen is named in the setup (and so in summaries)
        if setup.engine_for(tgt) == AUTO_ENGINE:
            setup.engines[tgt], chosen[tgt] = choose_engine(setup, tgt)
    return {tgt: _build(setup, tgt, resources, chosen.get(tgt, _LOAD), False) for tgt in setup.targets}


def build_translator(
    setup: TranslationSetup, tgt: str, *, warn: Warn | None = None, engine: Engine | None = None,
    memory_optional: bool = False,
) -> AdaptiveTranslator:
    """The translator into ``tgt``.

    ``engine``: an engine already loaded (shared by several translators, or wrapped in a cache) to
    use instead of loading the one ``setup`` names. ``memory_optional``: the ``memory`` engine
    without parallel data is allowed (sync: changed sentences are then reported untranslated).
    """
    resources = _Resources.resolve(setup, warn or (lambda _message: None))
    if engine is None and setup.engine_for(tgt) == AUTO_ENGINE:  # e.g. sync --engine auto
        setup.engines[tgt], engine = choose_engine(setup, tgt)
    return _build(setup, tgt, resources, _LOAD if engine is None else engine, memory_optional)


_LOAD = object()  # "load the engine the setup names"


def _build(setup: TranslationSetup, tgt: str, resources: _Resources, engine: Engine | None | object,
           memory_optional: bool) -> AdaptiveTranslator:
    memory = resources.memory(tgt)
    if setup.engine_for(tgt) == MEMORY_ENGINE:
        if memory is None and not memory_optional and tgt not in setup.pairs:  # pairs given, even none: meant
            raise SetupError(f"engine {MEMORY_ENGINE!r} needs --parallel-data with {setup.src}->{tgt} pairs")
        engine = None
    elif engine is _LOAD:
        engine = load_engine(setup, tgt)
    assert engine is None or isinstance(engine, Engine)
    translator = AdaptiveTranslator(engine, memory=memory, glossary=resources.glossary_for(tgt),
                                    examples=setup.examples if engine is not None else 0, own_links=setup.own_links)
    translator.signature = setup.signature(tgt, engine)
    return translator


@dataclass
class _Resources:
    """The setup's parallel data (by target language) and glossary, checked once."""

    setup: TranslationSetup
    names: dict[str, list[str]]
    glossary: Glossary | None

    @classmethod
    def resolve(cls, setup: TranslationSetup, warn: Warn) -> _Resources:
        return cls(setup, _parallel_data(setup, warn), _glossary(setup, warn))

    def memory(self, tgt: str) -> TranslationMemory | None:
        from amts.memory import Store, TranslationMemory

        names = self.names.get(tgt, [])
        given = list(self.setup.pairs.get(tgt, ()))
        if len(names) == 1 and not given:
            return TranslationMemory.from_store(Store(self.setup.store_file), names[0])
        pairs = [pair for name in names for pair in Store(self.setup.store_file).pairs(name)] + given
        return TranslationMemory(pairs, self.setup.src, tgt) if pairs else None

    def glossary_for(self, tgt: str) -> Glossary | None:
        if self.glossary is not None and same_language(self.glossary.tgt_lang, tgt):
            return self.glossary
        return None


def _served(setup: TranslationSetup, src: str, tgt: str) -> str | None:
    """The target language of the setup a resource for ``src->tgt`` serves (BCP 47: zh-CN serves zh)."""
    if not same_language(src, setup.src):
        return None
    return next((lang for lang in setup.targets if same_language(tgt, lang)), None)


def _store_parallel_data(setup: TranslationSetup) -> list[str]:
    """The store's parallel data for the setup's language pairs (none when there is no store yet)."""
    if not setup.store_file.exists():
        return []
    from amts.memory import Store

    return [info.name for info in Store(setup.store_file).list() if _served(setup, info.src_lang, info.tgt_lang)]


def _parallel_data(setup: TranslationSetup, warn: Warn) -> dict[str, list[str]]:
    from amts.memory import Store, StoreError

    names = list(setup.parallel_data)
    optional = "parallel_data" in setup.optional
    path = setup.store_file
    if names and optional and not (path.exists() and all(Store(path).exists(name) for name in names)):
        warn(f"parallel data {', '.join(names)} (book config) not in {path}: not used")
        return {}
    if names and not path.exists():
        raise SetupError(f"parallel data {names[0]!r}: {path}: no amts store; import parallel data first "
                         "(amts pd create)")
    by_target: dict[str, list[str]] = {}
    for name in names:
        try:
            info = Store(path).describe(name)
        except StoreError as error:
            raise SetupError(f"parallel data {name!r}: {error}") from error
        served = _served(setup, info.src_lang, info.tgt_lang)
        if served is None and optional:
            warn(f"parallel data {name} (book config) is {info.src_lang}->{info.tgt_lang}: not used")
            continue
        if served is None:
            raise SetupError(f"parallel data {name!r} is {info.src_lang}->{info.tgt_lang}, "
                             f"not {setup.src}->{'/'.join(setup.targets)}")
        by_target.setdefault(served, []).append(name)
    return by_target


def _glossary(setup: TranslationSetup, warn: Warn) -> Glossary | None:
    path = setup.glossary
    optional = "glossary" in setup.optional
    if path is None:
        return None
    if optional and not path.exists():
        warn(f"glossary {path} (book config) does not exist: not used")
        return None
    terms = Glossary.load(path)
    if _served(setup, terms.src_lang, terms.tgt_lang) is None:
        if optional:
            warn(f"glossary {path} (book config) is {terms.src_lang}->{terms.tgt_lang}: not used")
            return None
        raise SetupError(f"{path}: glossary is {terms.src_lang}->{terms.tgt_lang}, "
                         f"not {setup.src}->{'/'.join(setup.targets)}")
    return terms


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return "missing"


def _amts_version() -> str:
    try:
        return metadata.version("amts")
    except metadata.PackageNotFoundError:
        return "dev"

