"""``amts glossary``: mine a term glossary from parallel data and check an edited one."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer

from amts.adapt.glossary import Glossary, mine
from amts.cli.common import fail, output_file, report_kept
from amts.cli.console import out as say
from amts.fileio import guard_outputs
from amts.home import store_path
from amts.memory import NotFound, Pair, Store, StoreError, read_pairs

glossary_app = typer.Typer(help="Term glossaries: mine them from parallel data, edit them as CSV.", no_args_is_help=True)


@glossary_app.command("mine")
def mine_command(
    out: Path = typer.Option(..., "--out", "-o", help="The glossary to write: CSV (first row: the languages, e.g. en,zh), or TBX when it ends in .tbx."),
    parallel_data: str | None = typer.Option(None, "--parallel-data", help="A parallel-data resource in the store."),
    file: Path | None = typer.Option(None, "--file", "-f", help="Or a CSV, TSV, TMX or JSONL file of pairs."),
    min_count: int = typer.Option(2, "--min-count", min=1, help="Keep terms that at least this many pairs use."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default: $AMTS_HOME/amts.sqlite)."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out even if it was edited by hand."),
) -> None:
    """Mine terms that the translators used consistently: bracketed at first use, or aligned."""
    output_file(out)
    pairs = _pairs(parallel_data, file, store)
    if not pairs:
        fail("no pairs to mine")
    with say.status(f"mining {len(pairs)} pairs"):
        glossary = mine(pairs, min_count=min_count)
    with guard_outputs([out], force=force) as guard:
        glossary.save(out)
    if report_kept(guard):
        return
    origins = Counter(term.origin for term in glossary)
    detail = ", ".join(f"{count} {origin}" for origin, count in sorted(origins.items())) or "none found"
    say.written(out)
    say.summary(f"{len(glossary)} terms ({detail}) {glossary.src_lang}->{glossary.tgt_lang} -> {out}")


@glossary_app.command("check")
def check_command(path: Path = typer.Argument(..., help="A glossary CSV or TBX (.tbx).")) -> None:
    """Load an edited glossary and say whether it is usable (errors name the line)."""
    glossary = Glossary.load(path)
    say.summary(f"{path}: {len(glossary)} terms {glossary.src_lang}->{glossary.tgt_lang}")


def _pairs(parallel_data: str | None, file: Path | None, store: Path | None) -> list[Pair]:
    if (parallel_data is None) == (file is None):
        fail("give either --parallel-data NAME or --file PAIRS")
    if file is not None:
        if not file.is_file():
            fail(f"{file}: no such file")
        return read_pairs(file)
    assert parallel_data is not None
    path = store_path(store)
    if not path.exists():
        fail(f"{path}: no amts store; import parallel data first (amts pd create)")
    try:
        return Store(path).pairs(parallel_data)
    except (NotFound, StoreError) as error:
        fail(f"parallel data {parallel_data!r}: {error}")


def register(app: typer.Typer) -> None:
    from amts.cli.cloud import publish_glossary_command

    glossary_app.command("publish")(publish_glossary_command)
    app.add_typer(glossary_app, name="glossary")
