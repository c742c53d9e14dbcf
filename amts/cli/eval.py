"""``amts eval`` (score translations against references) and ``amts experiment`` (the paper table)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from amts.cli.common import fail
from amts.document import DocumentError
from amts.evaluate import Evaluation, MatchError, evaluate_paths
from amts.evaluate.metrics import METRICS

console = Console()
err = Console(stderr=True)

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
    try:
        with err.status("aligning and scoring..."):
            evaluation = evaluate_paths(hyp, ref, tgt, strip_markup=strip_markup, only=only or None, metrics=chosen)
    except (MatchError, DocumentError) as error:
        fail(str(error))
    if output_format == "json":
        console.print_json(json.dumps({"src_lang": src_lang, **evaluation.to_dict()}, ensure_ascii=False))
    elif output_format == "csv":
        typer.echo(evaluation.to_csv(), nl=False)
    else:
        print_table(evaluation, f"{src_lang}->{tgt}")


def print_table(evaluation: Evaluation, title: str) -> None:
    table = Table(title=f"{title}: {evaluation.corpus.segments} aligned paragraphs"
                  + (" (prose only)" if evaluation.strip_markup else ""))
    for column in ("file", "paragraphs", "BLEU", "BLEU x100", "chrF", "TER", "unaligned hyp/ref"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for doc in evaluation.documents:
        s = doc.scores
        table.add_row(
            doc.relative, str(s.segments), f"{s.bleu_unit:.3f}", f"{s.bleu:.1f}", _fmt(s.chrf), _fmt(s.ter),
            f"{len(doc.alignment.unaligned_hyp_lines)}/{len(doc.alignment.unaligned_ref_lines)}",
        )
    c = evaluation.corpus
    hyp_left, ref_left = evaluation.unaligned
    table.add_section()
    table.add_row(
        "corpus", str(c.segments), f"{c.bleu_unit:.3f}", f"{c.bleu:.1f}", _fmt(c.chrf), _fmt(c.ter),
        f"{hyp_left}/{ref_left}", style="bold",
    )
    table.add_row("mean of documents", "", f"{evaluation.mean_bleu:.3f}", f"{evaluation.mean_bleu * 100:.1f}", "", "", "")
    console.print(table)
    for name, signature in evaluation.signatures.items():
        console.print(f"{name} signature: {signature}", highlight=False)
    console.print(f"paragraph alignment: {evaluation.aligner}", highlight=False)
    for name in evaluation.only_in_hyp:
        err.print(f"[yellow]no reference[/] for {name}", highlight=False)
    for name in evaluation.only_in_ref:
        err.print(f"[yellow]no hypothesis[/] for {name}", highlight=False)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
