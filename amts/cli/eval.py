"""``amts eval`` (score translations against references) and ``amts experiment`` (the paper table)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import typer

from amts.cli.common import fail
from amts.cli.console import out as say
from amts.evaluate import Evaluation, evaluate_paths
from amts.evaluate.experiment import (
    CONFIGS,
    DIRECTIONS,
    ENGINES,
    SECTIONS,
    now,
    render_markdown,
    run_experiment,
)
from amts.evaluate.metrics import METRICS
from amts.fileio import atomic_write_text
from amts.home import amts_home

FORMATS = ("table", "json", "csv")


def eval_command(
    hyp: Path = typer.Argument(..., help="Translation to score: a Markdown file or a folder of them."),
    ref: Path = typer.Argument(..., help="Reference translation: a file or folder matched by relative path."),
    tgt: str = typer.Option(..., "--tgt", help="Language of both HYP and REF (zh uses sacrebleu's zh tokenizer)."),
    src_lang: str = typer.Option("en", "--src-lang", help="Language they were translated from (reported only)."),
    strip_markup: bool = typer.Option(
        False, "--strip-markup", help="Score prose only: roles, math, code, link targets and slide marks removed."
    ),
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
    metrics: str = typer.Option(
        ",".join(METRICS), "--metrics", help="Comma-separated subset of bleu,chrf,ter (TER is the slow one)."
    ),
    only: list[str] = typer.Option(
        None, "--only", help="A relative path (or folder) to score; repeat for several."
    ),
) -> None:
    """Score HYP against REF paragraph by paragraph: BLEU, chrF and TER per document and for the corpus."""
    if output_format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    chosen = [m.strip().lower() for m in metrics.split(",") if m.strip()]
    unknown = sorted(set(chosen) - set(METRICS))
    if unknown:
        fail(f"--metrics: unknown metric {', '.join(unknown)}; choose from {', '.join(METRICS)}")
    with say.status("aligning and scoring..."):
        evaluation = evaluate_paths(hyp, ref, tgt, strip_markup=strip_markup, only=only or None, metrics=chosen)
    if output_format == "json":
        say.data(json.dumps({"src_lang": src_lang, **evaluation.to_dict()}, ensure_ascii=False, indent=2))
    elif output_format == "csv":
        typer.echo(evaluation.to_csv(), nl=False)
    else:
        print_table(evaluation, f"{src_lang}->{tgt}")


def print_table(evaluation: Evaluation, title: str) -> None:
    rows: list[tuple] = []
    for doc in evaluation.documents:
        s = doc.scores
        rows.append((
            doc.relative, s.segments, f"{s.bleu_unit:.3f}", f"{s.bleu:.1f}", _fmt(s.chrf), _fmt(s.ter),
            f"{len(doc.alignment.unaligned_hyp_lines)}/{len(doc.alignment.unaligned_ref_lines)}",
        ))
    c = evaluation.corpus
    hyp_left, ref_left = evaluation.unaligned
    rows.append(("corpus", c.segments, f"{c.bleu_unit:.3f}", f"{c.bleu:.1f}", _fmt(c.chrf), _fmt(c.ter),
                 f"{hyp_left}/{ref_left}"))
    rows.append(("mean of documents", "", f"{evaluation.mean_bleu:.3f}", f"{evaluation.mean_bleu * 100:.1f}", "", "", ""))
    say.table(("file", "paragraphs", "BLEU", "BLEU x100", "chrF", "TER", "unaligned hyp/ref"), rows,
              title=f"{title}: {evaluation.corpus.segments} aligned paragraphs"
              + (" (prose only)" if evaluation.strip_markup else ""))
    for name, signature in evaluation.signatures.items():
        say.data(f"{name} signature: {signature}")
    say.data(f"paragraph alignment: {evaluation.aligner}")
    for name in evaluation.only_in_hyp:
        say.warning(f"no reference for {name}")
    for name in evaluation.only_in_ref:
        say.warning(f"no hypothesis for {name}")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _default_data() -> Path:
    return Path(os.environ.get("AMTS_D2L_DATA") or "../shared/data/d2l")


def experiment_command(
    data: Path = typer.Option(None, "--data", help="D2L data folder (default: $AMTS_D2L_DATA or ../shared/data/d2l)."),
    out: Path = typer.Option(Path("docs/results.md"), "--out", help="Markdown report to write (atomically)."),
    engine: list[str] = typer.Option(
        None, "--engine", help="Engine to include; repeat (default: all known: memory, ctranslate2, llama, ...)."
    ),
    network: bool = typer.Option(False, "--network", help="Also run engines that need a network or an account."),
    direction: list[str] = typer.Option(None, "--direction", help="en-zh and/or zh-en (default both)."),
    config: list[str] = typer.Option(
        None, "--granularity", help="Parallel data given to engines: none, paragraph and/or sentence (default all)."),
    section: list[str] = typer.Option(None, "--section", help="Limit to these of the five sections (relative path)."),
    slow_config: list[str] = typer.Option(
        None, "--slow-granularity", help="Granularities a slow engine (llama) runs; repeat (default: all). Others say "
        "'not run'."
    ),
    slow_section: list[str] = typer.Option(
        None, "--slow-section", help="Sections a slow engine (llama) translates; repeat (default: all five)."
    ),
    examples: int = typer.Option(4, "--examples", help="Retrieved pairs given to the engine per sentence."),
    cache: Path = typer.Option(None, "--cache", help="Engine output cache (default: <amts home>/cache/experiment.sqlite)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Translate everything again."),
    json_out: Path = typer.Option(None, "--rows-json", help="Also write the rows as JSON to this file."),
) -> None:
    """Re-make the original BLEU table on the five D2L sections (original and held-out protocols)."""
    data = data or _default_data()
    if not (data / "en-origin").is_dir() or not (data / "zh").is_dir():
        fail(f"{data}: not the D2L data folder (needs en-origin/ and zh/); pass --data or set AMTS_D2L_DATA")
    engines = engine or [spec.name for spec in ENGINES]
    known = {spec.name for spec in ENGINES}
    if unknown := [e for e in engines if e not in known]:
        fail(f"unknown engine {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    directions = []
    for item in direction or ["en-zh", "zh-en"]:
        pair = tuple(item.lower().replace("->", "-").split("-"))
        if pair not in DIRECTIONS:
            fail(f"--direction must be en-zh or zh-en, not {item!r}")
        directions.append(pair)
    configs = config or list(CONFIGS)
    if bad := [c for c in configs if c not in CONFIGS]:
        fail(f"--granularity must be among {', '.join(CONFIGS)}, not {', '.join(bad)}")
    if bad := [c for c in slow_config or [] if c not in CONFIGS]:
        fail(f"--slow-granularity must be among {', '.join(CONFIGS)}, not {', '.join(bad)}")
    sections = section or list(SECTIONS)
    if bad := [x for x in slow_section or [] if x not in sections]:
        fail(f"--slow-section must be one of the evaluated sections, not {', '.join(bad)}")
    if bad := [s for s in sections if s not in SECTIONS]:
        fail(f"--section must be one of the five evaluation sections, not {', '.join(bad)}")
    cache_path = None if no_cache else (cache or amts_home() / "cache" / "experiment.sqlite")
    started, clock = now(), time.monotonic()
    with say.status("starting...") as status:
        rows, parallel = run_experiment(
            data, engines, network=network, sections=sections, directions=directions, configs=configs,
            examples=examples, cache=cache_path, progress=lambda message: status.update(message),
            slow_configs=slow_config or None, slow_sections=slow_section or None,
        )
    command = ("amts experiment" + "".join(f" --engine {e}" for e in (engine or []))
               + "".join(f" --slow-granularity {c}" for c in (slow_config or []))
               + "".join(f" --slow-section {x}" for x in (slow_section or [])) + (" --network" if network else ""))
    report = render_markdown(rows, parallel, data, sections, started, time.monotonic() - clock, command)
    atomic_write_text(out, report)
    if json_out is not None:
        atomic_write_text(json_out, json.dumps([row.to_dict() for row in rows], ensure_ascii=False, indent=1) + "\n")
    table = []
    for row in rows:
        ev = row.evaluation
        table.append((row.direction_label, row.system, row.config, row.protocol,
                      f"{ev.corpus.bleu_unit:.3f}" if ev else "", f"{ev.mean_bleu:.3f}" if ev else "",
                      row.status if row.status == "ok" else f"{row.status}: {row.note}"))
    say.table(("direction", "system", "parallel data", "protocol", "BLEU", "mean", "status"), table,
              title="BLEU (0-1), corpus over the aligned paragraphs of the sections")
    say.written(out)
    say.summary(f"wrote {out}")


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
    app.command("experiment")(experiment_command)
