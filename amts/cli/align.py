"""``amts align``: build parallel data from a book and its translation."""

from __future__ import annotations

from pathlib import Path

import typer

from amts.align import (
    DEFAULT_MIN_SCORE,
    GRANULARITIES,
    AlignmentResult,
    QualityGates,
    align_files,
    align_trees,
    match_files,
    split_long_pair,
)
from amts.cli.common import fail, output_file, report_kept
from amts.cli.console import out as say
from amts.fileio import guard_outputs
from amts.languages import check_pair
from amts.memory.formats import FORMATS, FormatError, format_for, write_pairs


def align(
    src_dir: Path = typer.Argument(..., help="The source book: a folder of Markdown files (or one file)."),
    tgt_dir: Path = typer.Argument(..., help="Its translation: same relative paths, or <name>.md beside <name>_origin.md."),
    src: str = typer.Option("en", "--src", help="Source language (BCP 47: en, zh, zh-CN, pt-BR...)."),
    tgt: str = typer.Option("zh", "--tgt", help="Target language (BCP 47)."),
    granularity: str = typer.Option("sentence", "--granularity", help="paragraph or sentence pairs."),
    out: Path = typer.Option(..., "--out", help="Parallel-data file to write."),
    fmt: str | None = typer.Option(
        None, "--format", help=f"One of {', '.join(FORMATS)}; default: from the --out suffix."
    ),
    workers: int | None = typer.Option(None, "--workers", help="Processes to use (default: one per CPU, max 4)."),
    min_score: float = typer.Option(
        DEFAULT_MIN_SCORE, "--min-score", help="Leave out pairs whose alignment score (0-1) is lower (0 keeps all)."
    ),
    keep_identical: bool = typer.Option(
        False, "--keep-identical", help="Keep pairs whose target is the source text (untranslated text)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite --out even if it was edited by hand."),
) -> None:
    """Align SRC_DIR with TGT_DIR by content and write the sentence or paragraph pairs to --out."""
    if granularity not in GRANULARITIES:
        fail(f"--granularity must be one of {', '.join(GRANULARITIES)}, not {granularity!r}")
    src, tgt = check_pair(src, tgt)
    for path in (src_dir, tgt_dir):
        if not path.exists():
            fail(f"{path}: no such file or directory")
    output_file(out)
    if src_dir.is_file() != tgt_dir.is_file():
        fail("SRC_DIR and TGT_DIR must both be files or both be folders")
    if not 0.0 <= min_score <= 1.0:
        fail(f"--min-score must be between 0 and 1, not {min_score}")
    gates = QualityGates(min_score, keep_identical)
    try:
        out_format = format_for(out, fmt)
    except FormatError as error:
        fail(f"{error} (e.g. --out pairs.tsv or --format tsv)")
    if src_dir.is_file():
        result = align_files(src_dir, tgt_dir, src, tgt, granularity, name=src_dir.name, gates=gates)
    else:
        total = len(match_files(src_dir, tgt_dir, tgt)[0])
        if not total:
            fail(f"no files of {src_dir} match a file of {tgt_dir}")
        with say.progress(total, "aligning") as progress:
            result = align_trees(
                src_dir, tgt_dir, src, tgt, granularity,
                progress=lambda name: progress.advance(name), workers=workers, gates=gates,
            )
    _check_scripts(result, src, tgt, src_dir, tgt_dir)
    try:
        with guard_outputs([out], force=force) as guard:
            written = write_pairs(result.pairs, out, out_format, src_lang=src, tgt_lang=tgt,
                                  splitter=split_long_pair)
    except FormatError as error:
        fail(f"{out}: {error}")
    if report_kept(guard):
        return
    say.written(out)
    _summary(result, granularity, out)
    if result.below_score or result.identical:
        say.info(f"quality gates left out {result.below_score} pairs scoring under {min_score}"
                 f" and {result.identical} pairs whose target is the source text"
                 " (--min-score, --keep-identical)", below_score=result.below_score, identical=result.identical)
    if written.changes:
        say.info(f"{out_format} made Amazon-ready: {written.summary()}")


def _check_scripts(result: AlignmentResult, src: str, tgt: str, src_dir: Path, tgt_dir: Path) -> None:
    """Refuse to label text in one writing system with a language written in another (Chinese as en)."""
    from amts.document.scripts import dominant_script
    from amts.languages import display_name, script_fits

    for side, lang, folder, option in (("source", src, src_dir, "--src"), ("target", tgt, tgt_dir, "--tgt")):
        translated = [pair for pair in result.pairs[:2000] if pair.source != pair.target]  # (--keep-identical)
        sample = "\n".join((pair.source if side == "source" else pair.target) for pair in translated)
        observed = dominant_script(sample)
        if not script_fits(lang, observed):
            fail(f"{folder}: the {side} text is in {observed} script, not {lang} ({display_name(lang)}); "
                 f"give the right {option} (nothing written)")


def _summary(result: AlignmentResult, granularity: str, out: Path) -> None:
    shapes = ", ".join(f"{shape} {count}" for shape, count in sorted(result.shapes.items())) or "none"
    for label, names in (("source", result.unmatched_src), ("target", result.unmatched_tgt)):
        if names:
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            say.warning(f"unmatched {label} files ({len(names)}): {shown}", files=names)
    say.summary(f"aligned {result.files} file(s): {len(result.pairs)} {granularity} pairs ({shapes}) -> {out}",
                files=result.files, pairs=len(result.pairs), out=str(out))


def register(app: typer.Typer) -> None:
    app.command()(align)
