"""``amts pd``: manage versioned parallel-data resources in the amts store."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from amts.align import split_long_pair
from amts.cli.common import fail, output_file, report_kept
from amts.cli.console import out as say
from amts.fileio import guard_outputs
from amts.home import store_path
from amts.memory import FORMATS, FormatError, Pair, Store, read_pairs, write_pairs
from amts.memory.formats import format_for
from amts.memory.store import validate_name

pd_app = typer.Typer(help="Parallel data: versioned translation memories in the amts store.", no_args_is_help=True)

StoreOption = typer.Option(None, "--store", help="Store file (default: $AMTS_HOME/amts.sqlite).")
CreateFileOption = typer.Option(..., "--file", "-f", help="CSV, TSV, TMX, JSONL, XLIFF or PO file of pairs (or a folder of them).")
UpdateFileOption = typer.Option(..., "--file", "-f", help="The new content of NAME (or what to add, with --append).")
OutOption = typer.Option(None, "--out", "-o", help="Output file (default: standard output).")
FormatOption = typer.Option(None, "--format", help=f"One of {', '.join(FORMATS)} (default: by the file suffix).")


def _store(path: Path | None) -> Store:
    return Store(store_path(path))


def _read(file: Path, fmt: str | None, src: str | None, tgt: str | None) -> list[Pair]:
    if not file.exists():
        fail(f"{file}: no such file")
    try:
        pairs = read_pairs(file, fmt, src_lang=src, tgt_lang=tgt)
    except FormatError as error:
        fail(f"{error} (nothing imported)")
    except OSError as error:
        fail(f"{file}: {error.strerror or error}")
    if not pairs:
        fail(f"{file}: no pairs in the file (nothing imported)")
    return pairs


@pd_app.command("create")
def create(
    name: str = typer.Argument(..., help="Resource name: letters, digits, '-' and '_'."),
    file: Path = CreateFileOption,
    fmt: str | None = FormatOption,
    src: str | None = typer.Option(None, "--src", help="Source language (checked against the file)."),
    tgt: str | None = typer.Option(None, "--tgt", help="Target language (picks a column of a multi-target file)."),
    description: str = typer.Option("", "--description", help="Free text shown by describe."),
    store: Path | None = StoreOption,
) -> None:
    """Create NAME from a file; the whole file is refused if any row is malformed."""
    validate_name(name)
    pairs = _read(file, fmt, src, tgt)
    info = _store(store).create(name, pairs, description)
    say.summary(f"created {info.name} v{info.version}: {info.pair_count} pairs {info.src_lang}->{info.tgt_lang}")


@pd_app.command("update")
def update(
    name: str = typer.Argument(...),
    file: Path = UpdateFileOption,
    fmt: str | None = FormatOption,
    src: str | None = typer.Option(None, "--src"),
    tgt: str | None = typer.Option(None, "--tgt"),
    append: bool = typer.Option(False, "--append", help="Add to the latest version instead of replacing it."),
    store: Path | None = StoreOption,
) -> None:
    """Make a new version of NAME from a file; earlier versions are kept."""
    pairs = _read(file, fmt, src, tgt)
    target = _store(store)
    info = target.append(name, pairs, origin="imported") if append else target.update(name, pairs)
    say.summary(f"updated {info.name} to v{info.version}: {info.pair_count} pairs")


AwsOption = typer.Option(False, "--aws", help="Amazon Translate's parallel data instead of the store's.")
RegionOption = typer.Option(None, "--region", help="With --aws: the AWS Region.")
ProfileOption = typer.Option(None, "--profile", help="With --aws: the AWS profile.")


@pd_app.command("list")
def list_resources(
    store: Path | None = StoreOption,
    aws: bool = AwsOption,
    region: str | None = RegionOption,
    profile: str | None = ProfileOption,
) -> None:
    """List the parallel-data resources in the store (or on Amazon Translate, with --aws)."""
    if aws:
        from amts.cli.cloud import list_aws_parallel_data

        return list_aws_parallel_data(region, profile)
    infos = _store(store).list()
    if not infos:
        say.info("no parallel data in the store")
        return
    say.table(("name", "languages", "version", "pairs", "updated", "description"),
              [(info.name, f"{info.src_lang}->{info.tgt_lang}", info.version, info.pair_count, info.updated,
                info.description) for info in infos])


@pd_app.command("describe")
def describe(
    name: str = typer.Argument(...),
    store: Path | None = StoreOption,
    aws: bool = AwsOption,
    region: str | None = RegionOption,
    profile: str | None = ProfileOption,
) -> None:
    """Show NAME: languages, latest version, pair counts, dates and every version (--aws: Amazon's)."""
    if aws:
        from amts.cli.cloud import describe_aws_parallel_data

        return describe_aws_parallel_data(name, region, profile)
    info = _store(store).describe(name)
    say.table(("field", "value"), [
        ("name", info.name), ("languages", f"{info.src_lang}->{info.tgt_lang}"),
        ("description", info.description or "-"), ("version", info.version), ("pairs", info.pair_count),
        ("created", info.created), ("updated", info.updated),
    ], title=f"{info.name} ({info.src_lang}->{info.tgt_lang})")
    say.table(("version", "pairs", "created", "made by"),
              [(v.version, v.pair_count, v.created, v.action) for v in info.versions], title="versions")


@pd_app.command("export")
def export(
    name: str = typer.Argument(...),
    fmt: str | None = typer.Option(None, "--format", help=f"One of {', '.join(FORMATS)} (default: by --out's suffix, else csv)."),
    out: Path | None = OutOption,
    version: int | None = typer.Option(None, "--version", help="Version to export (default: the latest)."),
    store: Path | None = StoreOption,
    force: bool = typer.Option(False, "--force", help="Overwrite --out even if it was edited by hand."),
) -> None:
    """Write NAME (or one version of it) as CSV, TSV (Amazon-ready), TMX, JSONL, XLIFF or PO."""
    if out is not None:
        output_file(out)
    chosen = format_for(out or "", fmt) if (fmt or out) else "csv"
    target = _store(store)
    info = target.describe(name)
    pairs = target.pairs(name, version)
    try:
        with guard_outputs([out] if out else [], force=force) as guard:
            written = write_pairs(pairs, out if out else sys.stdout, chosen, src_lang=info.src_lang, tgt_lang=info.tgt_lang,
                                  splitter=split_long_pair)
    except FormatError as error:
        fail(f"cannot export {name} as {chosen}: {error}")
    except OSError as error:
        fail(f"{out}: {error.strerror or error}")
    if report_kept(guard):
        return
    if out:
        say.written(out)
    where = f" -> {out}" if out else ""
    say.summary(f"exported {name} v{version or info.version} as {chosen}: {written.summary()}{where}")


@pd_app.command("delete")
def delete(
    name: str = typer.Argument(...),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    store: Path | None = StoreOption,
) -> None:
    """Delete NAME and all its versions."""
    target = _store(store)
    info = target.describe(name)
    if not yes and not typer.confirm(f"delete {name} ({info.version} version(s), {info.pair_count} pairs)?"):
        fail("not deleted", code=1)
    target.delete(name)
    say.summary(f"deleted {name}")


def register(app: typer.Typer) -> None:
    from amts.cli.cloud import publish_parallel_data_command

    pd_app.command("publish")(publish_parallel_data_command)
    app.add_typer(pd_app, name="pd")
