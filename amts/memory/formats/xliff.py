"""XLIFF 2.1 (and 1.2 for older tools): units with inline codes, notes, states and the Markdown skeleton.

Written by hand (the format is small and exactness matters), read with defusedxml. Inline structure is
shown as codes that carry their original characters: XLIFF 2.1 ``<ph dataRef>``/``<pc dataRefStart
dataRefEnd>`` with ``<originalData>``; XLIFF 1.2 ``<ph>``/``<bpt>``+``<ept>`` with the native code as
content. A book exported for translation keeps the whole Markdown file in ``<skeleton>`` (1.2:
``<skl><internal-file>``), so the returned file alone is enough to reassemble it byte for byte.

States: ``new`` -> 2.1 ``initial`` / 1.2 ``new``; ``translated``; ``needs-review`` -> 2.1
``translated`` with ``subState="amts:needs-review"`` / 1.2 ``needs-review-translation``;
``reviewed``; ``final``. In 1.2 a unit with a target says ``approved="yes"`` when its target is final
(translated, reviewed, final) and ``approved="no"`` when it waits for review (what translate-toolkit
and ``xliff2po`` read as fuzzy); reading, ``approved="no"`` makes a translated target not final.
A 2.x target in state ``initial`` is not final either. Notes carry reasons (a sync's review queue) and provenance (``key: value``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element
from xml.sax.saxutils import quoteattr

from amts.languages import LanguageError, normalize, same_language
from amts.memory.formats.base import FormatError, PairFormat, WriteReport, convert, tool_version, xml_text
from amts.memory.formats.units import Code, Piece, Unit, UnitState, inline_codes, render_pieces
from amts.memory.formats.xmlsafe import parse_tree
from amts.memory.pairs import Pair

NS20 = "urn:oasis:names:tc:xliff:document:2.0"
NS12 = "urn:oasis:names:tc:xliff:document:1.2"

_STATE_TO_20 = {
    UnitState.NEW: ("initial", None),
    UnitState.TRANSLATED: ("translated", None),
    UnitState.NEEDS_REVIEW: ("translated", "amts:needs-review"),
    UnitState.REVIEWED: ("reviewed", None),
    UnitState.FINAL: ("final", None),
}
_STATE_TO_12 = {
    UnitState.NEW: "new",
    UnitState.TRANSLATED: "translated",
    UnitState.NEEDS_REVIEW: "needs-review-translation",
    UnitState.REVIEWED: "signed-off",
    UnitState.FINAL: "final",
}
_STATE_FROM_12 = {
    "new": UnitState.NEW,
    "needs-translation": UnitState.NEW,
    "translated": UnitState.TRANSLATED,
    "needs-review-translation": UnitState.NEEDS_REVIEW,
    "needs-review-adaptation": UnitState.NEEDS_REVIEW,
    "needs-review-l10n": UnitState.NEEDS_REVIEW,
    "needs-adaptation": UnitState.NEEDS_REVIEW,
    "needs-l10n": UnitState.NEEDS_REVIEW,
    "signed-off": UnitState.REVIEWED,
    "final": UnitState.FINAL,
}


@dataclass
class UnitFile:
    """One ``<file>``: the document it stands for, its units, and (for a book) the Markdown skeleton."""

    original: str
    units: list[Unit] = field(default_factory=list)
    skeleton: str | None = None
    unpaired: int = 0  # segments an existing translation could not pre-fill (book export)


@dataclass
class UnitDocument:
    """A whole XLIFF or PO exchange: languages and files of units."""

    src_lang: str
    tgt_lang: str
    files: list[UnitFile] = field(default_factory=list)

    def units(self) -> list[Unit]:
        return [unit for file in self.files for unit in file.units]


# ----------------------------------------------------------------------------------------- writing


def _attr(value: str, number: int) -> str:
    xml_text(value, number)  # refuses control characters
    return quoteattr(value).replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#9;")


class _Writer20:
    def __init__(self, number: int) -> None:
        self.number = number
        self.data: dict[str, str] = {}

    def ref(self, text: str) -> str:
        for key, value in self.data.items():
            if value == text:
                return key
        key = f"d{len(self.data) + 1}"
        self.data[key] = text
        return key

    def inline(self, pieces: Sequence[Piece]) -> str:
        return render_pieces(
            pieces,
            lambda text: xml_text(text, self.number),
            lambda code: f'<ph id="{code.id}" dataRef="{self.ref(code.open)}"/>',
            lambda code, inner: (
                f'<pc id="{code.id}" dataRefStart="{self.ref(code.open)}" dataRefEnd="{self.ref(code.close or "")}">'
                f"{inner}</pc>"
            ),
        )


def _inline12(pieces: Sequence[Piece], number: int) -> str:
    return render_pieces(
        pieces,
        lambda text: xml_text(text, number),
        lambda code: f'<ph id="{code.id}">{xml_text(code.open, number)}</ph>',
        lambda code, inner: (
            f'<bpt id="{code.id}">{xml_text(code.open, number)}</bpt>{inner}'
            f'<ept id="{code.id}">{xml_text(code.close or "", number)}</ept>'
        ),
    )


def write_xliff(document: UnitDocument, version: str = "2.1") -> str:
    """The XLIFF text (``version`` "2.1" or "1.2") of ``document``."""
    if version == "1.2":
        return _write12(document)
    src, tgt = document.src_lang, document.tgt_lang
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<xliff xmlns="{NS20}" version="2.1" srcLang={quoteattr(src)} trgLang={quoteattr(tgt)}>',
    ]
    number = 0
    for index, unit_file in enumerate(document.files, 1):
        lines.append(f'  <file id="f{index}" original={_attr(unit_file.original or f"file{index}", 0)}>')
        if unit_file.skeleton is not None:
            lines.append(f"    <skeleton>{xml_text(unit_file.skeleton, 0)}</skeleton>")
        for unit in unit_file.units:
            number += 1
            writer = _Writer20(number)
            source = writer.inline(_with_ids(inline_codes(unit.source)))
            target = writer.inline(_with_ids(inline_codes(unit.target), unit.source)) if unit.target else ""
            state, sub_state = _STATE_TO_20[unit.state]
            lines.append(f"    <unit id={_attr(unit.id, number)}>")
            if unit.notes or unit.line:
                lines.append("      <notes>")
                if unit.line:
                    lines.append(f'        <note category="location">{xml_text(f"{unit.file or unit_file.original}:{unit.line}", number)}</note>')
                lines.extend(f"        <note>{xml_text(note, number)}</note>" for note in unit.notes)
                lines.append("      </notes>")
            if writer.data:
                lines.append("      <originalData>")
                lines.extend(f'        <data id="{key}">{xml_text(value, number)}</data>' for key, value in writer.data.items())
                lines.append("      </originalData>")
            attrs = f' state="{state}"' + (f' subState="{sub_state}"' if sub_state else "")
            lines.append(f"      <segment{attrs}>")
            lines.append(f'        <source xml:space="preserve">{source}</source>')
            if unit.target:
                lines.append(f'        <target xml:space="preserve">{target}</target>')
            lines.append("      </segment>")
            lines.append("    </unit>")
        lines.append("  </file>")
    lines += ["</xliff>", ""]
    return "\n".join(lines)


def _with_ids(pieces: list[Piece], source: str | None = None) -> list[Piece]:
    """A target's codes take the id of the source code with the same characters (tools match by id)."""
    if source is None:
        return pieces
    ids: dict[tuple[str, str | None], list[int]] = {}

    def collect(items: Sequence[Piece]) -> None:
        for piece in items:
            if isinstance(piece, Code):
                ids.setdefault((piece.open, piece.close), []).append(piece.id)
                collect(piece.inner)

    collect(inline_codes(source))
    used: set[int] = set()
    spare = iter(range(max([i for v in ids.values() for i in v], default=0) + 1, 10**6))

    def assign(items: Sequence[Piece]) -> list[Piece]:
        out: list[Piece] = []
        for piece in items:
            if isinstance(piece, str):
                out.append(piece)
                continue
            candidates = [i for i in ids.get((piece.open, piece.close), []) if i not in used]
            new_id = candidates[0] if candidates else next(spare)
            used.add(new_id)
            out.append(Code(new_id, piece.open, piece.close, tuple(assign(piece.inner))))
        return out

    return assign(pieces)


def _write12(document: UnitDocument) -> str:
    src, tgt = document.src_lang, document.tgt_lang
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<xliff xmlns="{NS12}" version="1.2">']
    number = 0
    for index, unit_file in enumerate(document.files, 1):
        lines.append(
            f'  <file original={_attr(unit_file.original or f"file{index}", 0)} source-language={quoteattr(src)}'
            f' target-language={quoteattr(tgt)} datatype="x-markdown" tool-id="amts">'
        )
        lines.append("    <header>")  # the schema's order: skl first, then tool
        if unit_file.skeleton is not None:
            lines.append(f'      <skl><internal-file form="text/markdown">{xml_text(unit_file.skeleton, 0)}</internal-file></skl>')
        lines.append(f'      <tool tool-id="amts" tool-name="amts" tool-version={quoteattr(tool_version())}/>')
        lines.append("    </header>")
        lines.append("    <body>")
        for unit in unit_file.units:
            number += 1
            approved = (' approved="yes"' if unit.final else ' approved="no"') if unit.target else ""
            lines.append(f'      <trans-unit id={_attr(unit.id, number)}{approved} xml:space="preserve">')
            lines.append(f"        <source>{_inline12(inline_codes(unit.source), number)}</source>")
            if unit.target:
                state = _STATE_TO_12[unit.state]
                target = _inline12(_with_ids(inline_codes(unit.target), unit.source), number)
                lines.append(f'        <target state="{state}">{target}</target>')
            if unit.line:
                lines.append(
                    '        <context-group purpose="location"><context context-type="sourcefile">'
                    f'{xml_text(unit.file or unit_file.original, number)}</context>'
                    f'<context context-type="linenumber">{unit.line}</context></context-group>'
                )
            lines.extend(f'        <note from="amts">{xml_text(note, number)}</note>' for note in unit.notes)
            lines.append("      </trans-unit>")
        lines.append("    </body>")
        lines.append("  </file>")
    lines += ["</xliff>", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------- reading


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text20(element: Element, data: dict[str, str]) -> str:
    out = [element.text or ""]
    for child in element:
        name = _local(child.tag)
        if name == "ph" or name in ("sc", "ec"):
            ref = child.get("dataRef")
            out.append(data.get(ref, "") if ref else child.get("equiv", "") or child.get("disp", ""))
        elif name == "pc":
            out.append(data.get(child.get("dataRefStart", ""), child.get("equivStart", "")))
            out.append(_text20(child, data))
            out.append(data.get(child.get("dataRefEnd", ""), child.get("equivEnd", "")))
        elif name == "cp":
            out.append(chr(int(child.get("hex", "0"), 16)))
        else:  # mrk, sm/em and unknown markers: their text
            out.append(_text20(child, data))
        out.append(child.tail or "")
    return "".join(out)


def _text12(element: Element) -> str:
    out = [element.text or ""]
    for child in element:
        name = _local(child.tag)
        if name in ("ph", "bpt", "ept", "it"):
            out.append("".join(child.itertext()))  # the native code is the content
        elif name in ("x", "bx", "ex"):
            out.append(child.get("equiv-text", ""))
        else:  # g, mrk, sub: their text
            out.append(_text12(child))
        out.append(child.tail or "")
    return "".join(out)


def _read20(root: Element) -> UnitDocument:
    document = UnitDocument(root.get("srcLang", ""), root.get("trgLang", ""))
    for file_element in root:
        if _local(file_element.tag) != "file":
            continue
        unit_file = UnitFile(file_element.get("original", file_element.get("id", "")))
        for child in file_element:
            if _local(child.tag) == "skeleton":
                unit_file.skeleton = "".join(child.itertext())
        for unit_element in file_element.iter(f"{{{NS20}}}unit"):
            data: dict[str, str] = {}
            notes: list[str] = []
            line: int | None = None
            for child in unit_element:
                name = _local(child.tag)
                if name == "originalData":
                    data = {d.get("id", ""): "".join(d.itertext()) for d in child}
                elif name == "notes":
                    for note in child:
                        text = "".join(note.itertext())
                        if note.get("category") == "location" and text.rpartition(":")[2].isdigit():
                            line = int(text.rpartition(":")[2])
                        else:
                            notes.append(text)
            sources, targets, states = [], [], []
            for segment in unit_element:
                if _local(segment.tag) not in ("segment", "ignorable"):
                    continue
                source = segment.find(f"{{{NS20}}}source")
                target = segment.find(f"{{{NS20}}}target")
                sources.append(_text20(source, data) if source is not None else "")
                targets.append(_text20(target, data) if target is not None else "")
                if _local(segment.tag) == "segment":
                    states.append((segment.get("state", "initial"), segment.get("subState", "")))
            target_text = "".join(targets)
            state = _state20(states, bool(target_text.strip()))
            unit_file.units.append(Unit(unit_element.get("id", ""), "".join(sources), target_text, state, notes, unit_file.original, line))
        document.files.append(unit_file)
    return document


def _state20(states: list[tuple[str, str]], has_target: bool) -> str:
    if not has_target:
        return UnitState.NEW
    names = {state for state, _ in states}
    if any(sub == "amts:needs-review" for _, sub in states) or "initial" in names:
        return UnitState.NEEDS_REVIEW  # a target not (yet) vouched for
    if "translated" in names:
        return UnitState.TRANSLATED
    return UnitState.REVIEWED if "reviewed" in names else UnitState.FINAL


def _read12(root: Element) -> UnitDocument:
    ns = root.tag[1:].split("}")[0]  # 1.2, or 1.1/1.0 as translate-toolkit's po2xliff still writes
    files = [child for child in root if _local(child.tag) == "file"]
    first = files[0] if files else Element("file")
    document = UnitDocument(first.get("source-language", ""), first.get("target-language", ""))
    for file_element in files:
        unit_file = UnitFile(file_element.get("original", ""))
        for internal in file_element.iter(f"{{{ns}}}internal-file"):
            unit_file.skeleton = "".join(internal.itertext())
        for unit_element in file_element.iter(f"{{{ns}}}trans-unit"):
            if unit_element.get("restype") == "x-gettext-domain-header":
                continue  # a PO header carried over by po2xliff: not a translation
            source = unit_element.find(f"{{{ns}}}source")
            target = unit_element.find(f"{{{ns}}}target")
            target_text = _text12(target) if target is not None else ""
            state = UnitState.NEW
            if target_text.strip():
                state = _STATE_FROM_12.get(target.get("state", "translated") if target is not None else "", UnitState.TRANSLATED)
                if unit_element.get("approved") == "yes" and state == UnitState.TRANSLATED:
                    state = UnitState.REVIEWED
                elif unit_element.get("approved") == "no" and state in (UnitState.TRANSLATED, UnitState.REVIEWED):
                    state = UnitState.NEEDS_REVIEW  # a tool's "fuzzy" (translate-toolkit, po2xliff)
            notes = ["".join(note.itertext()) for note in unit_element.findall(f"{{{ns}}}note")]
            line, where = None, unit_file.original
            for context in unit_element.iter(f"{{{ns}}}context"):
                value = (context.text or "").strip()
                if context.get("context-type") == "linenumber" and value.isdigit():
                    line = int(value)
                elif context.get("context-type") == "sourcefile" and value:
                    where = value  # the document the unit is from (po2xliff keeps the PO's #: reference)
            unit_id = unit_element.get("id", "") or unit_element.get("resname", "")
            unit_file.units.append(
                Unit(unit_id, _text12(source) if source is not None else "", target_text, state, notes, where, line)
            )
        document.files.append(unit_file)
    return document


def read_xliff(data: bytes) -> UnitDocument:
    """An XLIFF 2.x or 1.2 file (told apart by its namespace), parsed safely."""
    root = parse_tree(data)
    if _local(root.tag) != "xliff":
        raise FormatError(f"the root element is <{_local(root.tag)}>, not <xliff>", 1)
    if root.tag.startswith(f"{{{NS20}}}"):
        return _read20(root)
    if root.tag.startswith("{urn:oasis:names:tc:xliff:document:1."):
        return _read12(root)
    raise FormatError(f"unsupported XLIFF version {root.get('version')!r} (amts reads 2.x and 1.2)", 1)


# ----------------------------------------------------------------------------- as parallel data


def pairs_to_units(items: Sequence[Pair]) -> list[Unit]:
    """Parallel data as units: final state, provenance as ``key: value`` notes."""
    return [
        Unit(str(number), pair.source, pair.target, UnitState.FINAL, [f"{key}: {value}" for key, value in pair.provenance.items()])
        for number, pair in enumerate(items, 1)
    ]


def units_to_pairs(units: Sequence[Unit], src: str, tgt: str) -> list[Pair]:
    """The usable units (a target, not waiting for review) as pairs; ``key: value`` notes as provenance."""
    pairs = []
    for unit in units:
        if not unit.usable or not unit.source.strip():
            continue
        provenance: dict[str, str | int | float] = {}
        for note in unit.notes:
            key, sep, value = note.partition(": ")
            if sep and key.replace("_", "").replace("-", "").isalnum():
                provenance[key] = convert(value)
        pairs.append(Pair(unit.source, unit.target, src, tgt, provenance or {"origin": "imported"}))
    return pairs


def check_languages(document: UnitDocument, src_lang: str | None, tgt_lang: str | None) -> tuple[str, str]:
    """The languages to use: the file's, checked against the wanted ones (BCP 47, by language)."""
    src = document.src_lang or src_lang
    tgt = document.tgt_lang or tgt_lang
    if not src or not tgt:
        raise FormatError("the file names no source or target language: pass them (--src/--tgt)")
    if src_lang and not same_language(src, src_lang):
        raise FormatError(f"the file's source language is {src!r}, not {src_lang!r}", 1)
    if tgt_lang and not same_language(tgt, tgt_lang):
        raise FormatError(f"the file's target language is {tgt!r}, not {tgt_lang!r}", 1)
    return src_lang or _tag(src), tgt_lang or _tag(tgt)


def _tag(code: str) -> str:
    """The standard spelling of a tag from a file (``zh_CN`` -> ``zh-CN``), or the tag as it was."""
    try:
        return normalize(code)
    except LanguageError:
        return code


class XliffFormat(PairFormat):
    """XLIFF 2.1 (read: 2.x and 1.2): parallel data as final units with provenance notes."""

    name = "xliff"
    suffixes = (".xlf", ".xliff")
    reads_bytes = True
    version = "2.1"

    def write(self, items: Sequence[Pair], src: str, tgt: str) -> tuple[str, WriteReport]:
        document = UnitDocument(src, tgt, [UnitFile("parallel-data", pairs_to_units(items))])
        return write_xliff(document, self.version), WriteReport(len(items), [])

    def read(self, data: bytes, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
        document = read_xliff(data)
        src, tgt = check_languages(document, src_lang, tgt_lang)
        return units_to_pairs(document.units(), src, tgt)


class Xliff12Format(XliffFormat):
    """XLIFF 1.2, for older tools (OmegaT, Okapi, Virtaal); read like any XLIFF."""

    name = "xliff12"
    suffixes = ()
    version = "1.2"
