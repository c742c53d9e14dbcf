"""``amts exchange``: a book's segments and a sync's review queue as XLIFF or PO for translators' tools.

``export`` writes one XLIFF (2.1 or 1.2) or PO file per Markdown file, with amts's translation as the
target when given; ``import`` reassembles the Markdown from the returned files (XLIFF carries the
skeleton; PO needs the source book); ``review`` turns a sync report's review queue into one file.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from amts.cli.common import fail, output_file, report_kept
from amts.cli.console import out as say
from amts.config import book_config
from amts.document import read_markdown
from amts.fileio import atomic_write_text, guard_outputs, read_text
from amts.memory.formats import FormatError
from amts.memory.formats.book import AssemblyReport, assemble, book_units
from amts.memory.formats.po import read_po, write_po
from amts.memory.formats.units import Unit, UnitState
from amts.memory.formats.xliff import UnitDocument, UnitFile, read_xliff, write_xliff
from amts.records import report_segments
from amts.tree import discover, output_path

exchange_app = typer.Typer(help="XLIFF and PO for translators' tools: a book's segments, a sync's review queue.", no_args_is_help=True)

_SUFFIX = {"xliff": ".xlf", "xliff12": ".xlf", "po": ".po", "pot": ".pot"}
FormatOption = typer.Option("xliff", "--format", help="xliff (2.1), xliff12 (1.2), po, or pot (a PO template).")
ForceOption = typer.Option(False, "--force", help="Overwrite outputs even if they were edited by hand.")


def _check_format(fmt: str) -> str:
    name = fmt.lower()
    if name not in _SUFFIX:
        fail(f"--format must be xliff, xliff12, po or pot, not {fmt!r}")
    return name


def _write(document: UnitDocument, fmt: str, path: Path) -> None:
    if fmt in ("po", "pot"):
        text = write_po(document, template=fmt == "pot")
    else:
        text = write_xliff(document, "1.2" if fmt == "xliff12" else "2.1")
    atomic_write_text(path, text)


def _translation_of(translation: Path | None, relative: Path, tgt: str) -> str | None:
    if translation is None:
        return None
    if translation.is_file():
        return read_markdown(translation)
    for candidate in (output_path(translation, relative, tgt), translation / relative):
        if candidate.is_file():
            return read_markdown(candidate)
    return None


@exchange_app.command("export")
def export(
    book: Path = typer.Argument(..., help="The source book: a folder of Markdown files, or one file."),
    tgt: str = typer.Option(..., "--tgt", help="Target language."),
    src: str = typer.Option("en", "--src", help="Source language."),
    translation: Path | None = typer.Option(None, "--translation", help="amts's translation of BOOK (translate --out folder) to pre-fill the targets."),
    state: str = typer.Option("translated", "--state", help="State of pre-filled targets: translated or needs-review."),
    fmt: str = FormatOption,
    out: Path = typer.Option(..., "--out", "-o", help="Folder for one file per Markdown file (<name>.md.xlf / .md.po)."),
    force: bool = ForceOption,
) -> None:
    """Write BOOK's segments as XLIFF or PO, one file per Markdown file, skeleton included (XLIFF)."""
    fmt = _check_format(fmt)
    if state not in (UnitState.TRANSLATED, UnitState.NEEDS_REVIEW):
        fail("--state must be translated or needs-review")
    if not book.exists():
        fail(f"{book}: no such file or directory")
    if translation is not None and not translation.exists():
        fail(f"{translation}: no such file or directory (--translation)")
    files, _ = discover(book)
    if not files:
        fail(f"{book}: no Markdown files")
    units = prefilled = 0
    documents: list[tuple[Path, UnitDocument]] = []
    for source in files:  # every file is checked before anything is written
        text = read_markdown(source.path)
        try:
            unit_file = book_units(text, source.relative.as_posix(), _translation_of(translation, source.relative, tgt), state=state)
        except FormatError as error:
            fail(f"{error} (nothing written)")
        if fmt in ("po", "pot"):
            for unit in unit_file.units:
                unit.id = f"{unit_file.original}#{unit.id}"
        documents.append((out / source.relative.parent / (source.relative.name + _SUFFIX[fmt]), UnitDocument(src, tgt, [unit_file])))
        units += len(unit_file.units)
        prefilled += sum(1 for unit in unit_file.units if unit.target)
        if unit_file.unpaired:
            say.warning(f"{source.relative}: {unit_file.unpaired} segments of the translation do not pair up"
                        " with the source's; exported without a target", label="unpaired")
    with guard_outputs([out], force=force) as guard:  # a file edited by hand is never replaced
        for target, document in documents:
            _write(document, fmt, target)
            if target not in {kept.path for kept in guard.kept}:
                say.written(target)
    kept = report_kept(guard)
    say.summary(f"exported {len(files)} file(s): {units} segments, {prefilled} with a target -> {out}{kept}")


def _load_units(path: Path) -> UnitDocument:
    data = path.read_bytes()
    if path.suffix.lower() in (".po", ".pot"):
        return read_po(data, path.name)
    return read_xliff(data)


@exchange_app.command("import")
def import_(
    files: Path = typer.Argument(..., help="A returned .xlf/.xliff/.po file, or a folder of them."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the reassembled Markdown (<dir>/<tgt>.<name>.md)."),
    source: Path | None = typer.Option(None, "--source", help="The source book (needed for PO, which has no skeleton)."),
    tgt: str | None = typer.Option(None, "--tgt", help="Target language, for files that do not name one."),
    config: Path | None = typer.Option(None, "--config", help="Book settings: [book] own_links (default: amts.toml "
                                       "here or in the source book)."),
    accept_fuzzy: bool = typer.Option(False, "--accept-fuzzy", help="Also take targets that are not final "
                                      "(PO fuzzy, XLIFF initial or needs-review)."),
    force: bool = ForceOption,
) -> int:
    """Reassemble the translated Markdown from returned XLIFF/PO files; refused segments are reported."""
    if not files.exists():
        fail(f"{files}: no such file or directory")
    paths = [files] if files.is_file() else sorted(p for p in files.rglob("*") if p.suffix.lower() in (".xlf", ".xliff", ".po"))
    if not paths:
        fail(f"{files}: no .xlf, .xliff or .po files")
    own_links = tuple(book_config(config, source or files).own_links)  # the book's one link policy
    outputs = _reassemble(paths, out, source, tgt, accept_fuzzy, own_links)
    counts = {"refused": 0, "not final": 0, "missing": 0}
    with guard_outputs([out], force=force) as guard:
        for target, original, text, report in outputs:
            atomic_write_text(target, text)
            if target not in {kept.path for kept in guard.kept}:
                say.written(target, report.summary())
            for line in report.refused:
                say.warning(f"{original} {line}", label="refused")
            if report.missing:
                shown = ", ".join(report.missing[:5]) + (f" and {len(report.missing) - 5} more" if len(report.missing) > 5 else "")
                say.warning(f"{original}: {len(report.missing)} segment(s) missing from the returned file, left in the "
                            f"source language: {shown}", label="missing")
            counts["refused"] += len(report.refused)
            counts["not final"] += report.not_final
            counts["missing"] += len(report.missing)
    kept = report_kept(guard)
    notes = {"refused": "refused (structure changed)", "not final": "not final (fuzzy, initial or needs review; "
             "--accept-fuzzy takes them)", "missing": "missing from the returned files"}
    note = "".join(f"; {counts[key]} segments {words}, left in the source language"
                   for key, words in notes.items() if counts[key])
    say.summary(f"reassembled {len(outputs)} file(s) -> {out}{note}{kept}", **{k.replace(" ", "_"): v for k, v in counts.items()})
    return 1 if counts["missing"] else 0


def _reassemble(paths: list[Path], out: Path, source: Path | None, tgt: str | None, accept_fuzzy: bool,
                own_links: tuple[str, ...]) -> list[tuple[Path, str, str, AssemblyReport]]:
    """Every returned file read and reassembled before anything is written."""
    outputs = []
    for path in paths:
        try:
            document = _load_units(path)
            for unit_file in document.files:
                original = unit_file.original
                skeleton = None
                if unit_file.skeleton is None:
                    original, skeleton = _po_source(path, unit_file, source)
                text, report = assemble(unit_file, skeleton, accept_fuzzy=accept_fuzzy, own_links=own_links)
                language = document.tgt_lang or tgt
                if not language:
                    raise FormatError("the file names no target language (a tool dropped it): give --tgt")
                outputs.append((output_path(out, Path(original), language), original, text, report))
        except FormatError as error:
            fail(f"{path}: {error} (nothing written)")
    return outputs


def _po_source(path: Path, unit_file: UnitFile, source: Path | None) -> tuple[str, str]:
    """For PO: the Markdown file the units came from and its text from --source.

    The file is named by the msgctxt (``a.md#s3``, as amts writes them), else by the header
    (``X-Source-File``), else by the ``#: a.md:12`` references (what ``xliff2po`` keeps)."""
    if source is None:
        raise FormatError("the file has no skeleton (PO, or XLIFF without one): give the source book with --source")
    originals = {unit.id.rpartition("#")[0] for unit in unit_file.units if "#" in unit.id}
    if not originals and unit_file.original.endswith(".md"):
        originals = {unit_file.original}  # the header names it (a file without prose, or a tool dropped msgctxt)
    if not originals:
        originals = {unit.file for unit in unit_file.units if unit.file.endswith(".md")}
    if len(originals) != 1:
        raise FormatError("the PO file does not name one Markdown file (by msgctxt FILE#sN, X-Source-File or "
                          f"#: references; found {', '.join(sorted(originals)) or 'none'})")
    original = originals.pop()
    for unit in unit_file.units:
        unit.id = unit.id.rpartition("#")[2]
    markdown = source / original if source.is_dir() else source
    if not markdown.is_file():
        raise FormatError(f"{markdown}: the source of {path.name} is missing")
    return original, read_markdown(markdown)


@exchange_app.command("review")
def review(
    report: Path = typer.Argument(..., help="A sync report (amts sync --report r.json)."),
    out: Path = typer.Option(..., "--out", "-o", help="The review queue file (.xlf or .po)."),
    fmt: str | None = typer.Option(None, "--format", help="xliff, xliff12 or po (default: by --out's suffix)."),
    force: bool = ForceOption,
) -> None:
    """Write a sync's review queue: the old translation as target, marked for review, the reason as notes."""
    chosen = _check_format(fmt or ("po" if out.suffix.lower() == ".po" else "xliff"))
    try:
        data = json.loads(read_text(report, "a sync report"))
    except json.JSONDecodeError as error:
        fail(f"{report}: not a sync report ({error})")
    document = review_queue(data, str(report))
    if not document.units():
        say.info(f"{report}: nothing to review")
    with guard_outputs([output_file(out)], force=force) as guard:
        _write(document, chosen, out)
    if report_kept(guard):
        return
    say.written(out)
    say.summary(f"{len(document.units())} segments to review -> {out}")


def review_queue(data: dict, name: str = "the report") -> UnitDocument:
    """The segments of a sync report that need review, as units (see the report's JSON contract)."""
    entries = report_segments(data, name)
    document = UnitDocument(str(data.get("src_lang", "")), str(data.get("tgt_lang", "")))
    for entry, segments in entries:
        unit_file = UnitFile(str(entry.get("output", "")))
        for segment in segments:
            if not segment.get("needs_review") or not segment.get("source_new"):
                continue
            old, new = segment.get("target_old") or "", segment.get("target_new") or ""
            # once a reviewer confirms it (no longer fuzzy / needs-review), the unit is a post-edited pair
            notes = [f"status: {segment.get('status', '')}", "origin: post-edited"]
            if segment.get("note"):
                notes.append(f"reason: {segment['note']}")
            if segment.get("source_old") and segment["source_old"] != segment["source_new"]:
                notes.append(f"English before: {segment['source_old']}")
            if new and new != old:
                notes.append(f"suggestion: {new}")
            previous = segment.get("source_old") or ""
            unit_file.units.append(
                Unit(segment.get("id", ""), segment["source_new"], old or new, UnitState.NEEDS_REVIEW, notes,
                     unit_file.original, segment.get("output_line"),
                     previous if previous != segment["source_new"] else "")  # PO: #| msgid
            )
        if unit_file.units:
            document.files.append(unit_file)
    return document


def register(app: typer.Typer) -> None:
    app.add_typer(exchange_app, name="exchange")
