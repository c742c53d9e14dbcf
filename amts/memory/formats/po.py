"""Gettext PO (with polib, MIT): units for Poedit, Weblate, Crowdin and po4a users.

``msgctxt`` is the unit id (a book's segment id), ``msgid`` the source Markdown, ``msgstr`` the
target; a target waiting for review is ``#, fuzzy``; notes are extracted comments (``#.``) and the
location a reference (``#: file:line``). PO has no inline codes: texts are raw Markdown, as po4a
writes them, and a returned translation is checked for its inline structure before it is used.
The source language is the header ``X-Source-Language`` (Poedit's), the target ``Language``.
"""

from __future__ import annotations

from collections.abc import Sequence

import polib

from amts.memory.formats.base import FormatError, PairFormat, WriteReport, decode, tool_version
from amts.memory.formats.units import Unit, UnitState
from amts.memory.formats.xliff import UnitDocument, UnitFile, check_languages, pairs_to_units, units_to_pairs
from amts.memory.pairs import Pair


def plural_forms(language: str) -> str | None:
    """Gettext's ``Plural-Forms`` for a BCP 47 tag (Babel's gettext table), or None if Babel knows none."""
    from babel.core import UnknownLocaleError
    from babel.messages.plurals import get_plural

    for tag in (language.replace("-", "_"), language.split("-")[0]):
        try:
            return get_plural(tag).plural_forms
        except (UnknownLocaleError, ValueError):
            continue
    return None


def write_po(document: UnitDocument, template: bool = False) -> str:
    """The PO text of ``document`` (all its files in one catalogue; references keep the file names).

    ``template``: a POT file (no target language, every msgstr empty) for tools that start from one."""
    catalogue = polib.POFile(wrapwidth=0)
    catalogue.metadata = {
        "Project-Id-Version": "amts",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Language": "" if template else document.tgt_lang.replace("-", "_"),
        "X-Source-Language": document.src_lang,
        "X-Generator": f"amts {tool_version()}",
    }
    forms = None if template else plural_forms(document.tgt_lang)
    if forms:
        catalogue.metadata["Plural-Forms"] = forms
    if len(document.files) == 1 and document.files[0].skeleton is not None:
        catalogue.metadata["X-Source-File"] = document.files[0].original  # the Markdown file the units are from
    seen: set[tuple[str, str]] = set()
    for unit_file in document.files:
        for unit in unit_file.units:
            key = (unit.id, unit.source)
            if key in seen:
                raise FormatError(f"unit {unit.id!r} appears twice with the same source: PO needs msgctxt + msgid to be unique")
            seen.add(key)
            entry = polib.POEntry(
                msgctxt=unit.id,
                msgid=unit.source,
                msgstr="" if template else unit.target,
                comment="\n".join(unit.notes),
                occurrences=[(unit.file or unit_file.original, str(unit.line))] if unit.line else [],
                previous_msgid=unit.previous or None,
            )
            if unit.target and not template and unit.state == UnitState.NEEDS_REVIEW:
                entry.flags.append("fuzzy")
            catalogue.append(entry)
    return str(catalogue) + "\n"


def read_po(data: bytes, label: str = "") -> UnitDocument:
    """A PO file's units (the header and obsolete entries left out)."""
    text = decode(data)
    try:
        catalogue = polib.pofile(text, wrapwidth=0)
    except (OSError, ValueError) as error:
        raise FormatError(f"invalid PO: {error}") from None
    language = catalogue.metadata.get("Language", "").replace("_", "-")
    source_language = catalogue.metadata.get("X-Source-Language", "").replace("_", "-")
    document = UnitDocument(source_language, language, [UnitFile(catalogue.metadata.get("X-Source-File", label))])
    for number, entry in enumerate(catalogue, 1):
        if entry.obsolete or not entry.msgid:
            continue
        target = entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr
        if not target.strip():
            state = UnitState.NEW
        elif "fuzzy" in entry.flags:
            state = UnitState.NEEDS_REVIEW
        else:
            state = UnitState.TRANSLATED
        occurrence = entry.occurrences[0] if entry.occurrences else ("", "")
        line = int(occurrence[1]) if str(occurrence[1]).isdigit() else (entry.linenum or None)
        notes = [note for note in (entry.comment or "").split("\n") if note]
        unit_id = entry.msgctxt if entry.msgctxt is not None else str(number)
        document.files[0].units.append(Unit(unit_id, entry.msgid, target, state, notes, occurrence[0] or label, line,
                                            entry.previous_msgid or ""))
    return document


class PoFormat(PairFormat):
    """Gettext PO: parallel data as translated entries; fuzzy and empty entries are not pairs."""

    name = "po"
    suffixes = (".po", ".pot")

    def write(self, items: Sequence[Pair], src: str, tgt: str) -> tuple[str, WriteReport]:
        document = UnitDocument(src, tgt, [UnitFile("parallel-data", pairs_to_units(items))])
        return write_po(document), WriteReport(len(items), [])

    def read(self, data: bytes, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
        document = read_po(data)
        src, tgt = check_languages(document, src_lang, tgt_lang)
        return units_to_pairs(document.units(), src, tgt)
