"""Per-book settings in ``amts.toml``, so a book's maintainers run one command without options.

The file is looked for in the current folder, then in the book folder given on the command line (and
its parents up to the nearest repository root), first found wins. Relative paths in it are relative
to the file. Options given on the command line always win over the file. Unknown keys are errors
(a typo must not silently fall back to a default). Example::

    [book]
    src = "en"
    tgt = ["zh", "es"]
    out = "translations"
    engine = "llama"               # default for every target language (default: the best installed)
    parallel_data = "d2l-en-zh"    # a resource in the store (amts parallel-data ...)
    glossary = "glossary.csv"
    store = ".amts/amts.sqlite"
    examples = 4                   # retrieved pairs per sentence
    dialect = "mdbook"             # Markdown dialect; default: detected (book.toml, mkdocs.yml, config.ini)
    own_links = ["https://discuss.d2l.ai/t/"]  # link targets the edition points at its own pages

    [engines]                      # engine per target language
    zh = "openai"
    es = "apertium"

    [engine.openai]                # options passed to an engine
    base_url = "http://127.0.0.1:8080/v1"
    model = "qwen2.5-7b-instruct"

    [check]                        # amts check: what the edition may add to the source's structure
    source = "../d2l-en"           # the source book, when only translated files are named (pre-commit)
    allow_tabs = ["paddle"]        # frameworks only this edition has (#@tab paddle cells)
    strict = false                 # inline math/code differences: warnings (false) or errors (true)

    [update]                       # amts update: keep this edition in sync with the source repository
    source = "../d2l-en"           # a git checkout of the source book
    source_url = "https://github.com/d2l-ai/d2l-en"   # recorded in the state, shown in reports
    ref = "origin/master"          # what to sync to (default: the checkout's HEAD)
    report = ".amts/update-report.json"
    skip = ["STYLE_GUIDE.md"]      # files (edition paths, folders, globs) an update leaves as they are
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amts.errors import InputError

CONFIG_NAME = "amts.toml"
_BOOK_KEYS = {
    "src": str,
    "tgt": list,
    "out": str,
    "engine": str,
    "own_links": list,
    "parallel_data": str,
    "glossary": str,
    "store": str,
    "examples": int,
    "dialect": str,
}
_CHECK_KEYS = {"source": str, "origin_suffix": str, "allow_tabs": list, "own_links": list, "strict": bool}
_UPDATE_KEYS = {"source": str, "source_url": str, "ref": str, "report": str, "origin_suffix": str, "skip": list}
_TOP_KEYS = {"book", "engines", "engine", "check", "update"}


class ConfigError(InputError):
    """A malformed ``amts.toml``: the message names the file and the key."""


@dataclass
class BookConfig:
    """The settings of one book; every field is optional (``None`` = not configured)."""

    path: Path | None = None
    src: str | None = None
    tgt: list[str] = field(default_factory=list)
    out: Path | None = None
    engine: str | None = None
    engines: dict[str, str] = field(default_factory=dict)
    engine_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    parallel_data: str | None = None
    glossary: Path | None = None
    store: Path | None = None
    examples: int | None = None
    dialect: str | None = None  # Markdown dialect (amts.document.dialects); None: detected from the book
    #: link-target prefixes the edition points at its own pages: the one link policy of translate, sync,
    #: check and exchange (amts.document.links); ``[check] own_links`` is read as the same declaration
    own_links: list[str] = field(default_factory=list)
    check: dict[str, Any] = field(default_factory=dict)  # [check], paths resolved
    update: dict[str, Any] = field(default_factory=dict)  # [update], paths resolved

    def engine_for(self, tgt: str) -> str | None:
        """The engine for one target language: ``[engines]`` entry, else the book default."""
        return self.engines.get(tgt) or self.engine

    def options_for(self, engine: str) -> dict[str, Any]:
        return dict(self.engine_options.get(engine, {}))


def find_config(*folders: Path | None) -> Path | None:
    """The first ``amts.toml`` in the current folder, then in each given folder and its parents
    (stopping at a folder holding ``.git``)."""
    candidates = [Path.cwd()]
    for folder in folders:
        if folder is None:
            continue
        folder = folder if folder.is_dir() else folder.parent
        for parent in [folder.resolve(), *folder.resolve().parents]:
            candidates.append(parent)
            if (parent / ".git").exists():
                break
    for folder in candidates:
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    return None


def load_config(path: Path) -> BookConfig:
    """Parse and check one ``amts.toml`` (:class:`ConfigError` with a one-line reason)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    return parse_config(data, path)


#: how a config error names the type a key needs (TOML's words, with an article)
_KIND_WORDS = {str: "a string", int: "an integer", bool: "true or false", list: "a list of strings",
               float: "a number", dict: "a table"}


def _toml_kind(value: object) -> str:
    """What the user wrote, in TOML's words (``an integer``, ``a string``...)."""
    words = {bool: "true or false", int: "an integer", float: "a number", str: "a string", list: "a list",
             dict: "a table"}
    return next((word for kind, word in words.items() if isinstance(value, kind)), type(value).__name__)


def parse_config(data: Mapping[str, Any], path: Path) -> BookConfig:
    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {why}")

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise bad(unknown[0], f"unknown section (known: {', '.join(sorted(_TOP_KEYS))})")
    base = path.parent
    config = BookConfig(path=path)
    book = data.get("book", {})
    if not isinstance(book, dict):
        raise bad("book", "must be a table")
    for key, value in book.items():
        kind = _BOOK_KEYS.get(key)
        if kind is None:
            raise bad(f"book.{key}", f"unknown key (known: {', '.join(sorted(_BOOK_KEYS))})")
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise bad(f"book.{key}", f"must be {_KIND_WORDS[kind]}, not {_toml_kind(value)}")
    if "tgt" in book:
        if not book["tgt"] or not all(isinstance(t, str) and t for t in book["tgt"]):
            raise bad("book.tgt", "must be a non-empty list of language codes")
        config.tgt = list(book["tgt"])
    config.src = book.get("src")
    config.engine = book.get("engine")
    config.parallel_data = book.get("parallel_data")
    config.examples = book.get("examples")
    config.dialect = book.get("dialect")
    config.own_links = list(book.get("own_links", []))
    if not all(isinstance(prefix, str) and prefix for prefix in config.own_links):
        raise bad("book.own_links", "must be a list of link-target prefixes, e.g. [\"https://discuss.d2l.ai/t/\"]")
    if config.examples is not None and config.examples < 0:
        raise bad("book.examples", "must be >= 0")
    for key in ("out", "glossary", "store"):
        if key in book:
            setattr(config, key, (base / Path(book[key]).expanduser()).resolve())
    engines = data.get("engines", {})
    if not isinstance(engines, dict) or not all(isinstance(v, str) and v for v in engines.values()):
        raise bad("engines", "must map target languages to engine names")
    config.engines = dict(engines)
    options = data.get("engine", {})
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise bad("engine", "must hold one table of options per engine, e.g. [engine.openai]")
    config.engine_options = {name: dict(values) for name, values in options.items()}
    config.check = _table(data, "check", _CHECK_KEYS, base, ("source",), bad)
    if config.own_links and "own_links" in config.check and config.check["own_links"] != config.own_links:
        raise bad("check.own_links", "differs from book.own_links; declare the book's own links once, in [book]")
    config.own_links = config.own_links or list(config.check.get("own_links", []))
    if config.own_links:
        config.check["own_links"] = list(config.own_links)  # amts check reads the book's one link policy
    config.update = _table(data, "update", _UPDATE_KEYS, base, ("source", "report"), bad)
    return config


def _table(data: Mapping[str, Any], name: str, keys: dict[str, type], base: Path, paths: tuple[str, ...],
           bad: Any) -> dict[str, Any]:  # noqa: ANN401
    """A checked command table (``[check]``, ``[update]``): known keys, right types, paths resolved."""
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise bad(name, "must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        kind = keys.get(key)
        if kind is None:
            raise bad(f"{name}.{key}", f"unknown key (known: {', '.join(sorted(keys))})")
        if not isinstance(value, kind) or (kind is list and not all(isinstance(v, str) for v in value)):
            raise bad(f"{name}.{key}", f"must be {_KIND_WORDS[kind]}, not {_toml_kind(value)}")
        out[key] = (base / Path(value).expanduser()).resolve() if key in paths else value
    return out


def book_config(explicit: Path | None = None, book: Path | None = None) -> BookConfig:
    """The book's config: ``explicit`` (must exist), else the one :func:`find_config` finds, else empty."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: no such config file")
        return load_config(explicit)
    found = find_config(book)
    return load_config(found) if found else BookConfig()
