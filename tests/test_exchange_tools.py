"""Exchange files mean what translators' tools mean, on a real D2L section translated by amts.

- XLIFF 1.2 and 2.0/2.1 valid against the OASIS schemas (the copies Debian ships with
  php-symfony-translation; skipped when absent), ``approved`` set on 1.2 units;
- fuzzy / ``initial`` / needs-review targets are not final: left as they were and counted, unless
  ``--accept-fuzzy``; a unit a tool dropped is reported and the import exits 1;
- files that translate-toolkit's converters wrote (``xliff2po``, ``po2xliff``) import back byte for byte;
- PO carries ``Plural-Forms`` (msgfmt checks it), a POT template, ``#|`` previous msgid in a review queue.
translate-toolkit (GPL) is only an oracle here, never imported by amts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app

SCHEMAS = Path("/usr/share/php/Symfony/Component/Translation/Resources/schemas")
SECTION = "en-master/chapter_convolutional-neural-networks/pooling.md"
pytestmark = pytest.mark.usefixtures("private_home")


def amts(*args: object):  # noqa: ANN201
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def book(d2l: Path, tmp_path: Path) -> Path:
    """A one-section book and amts's (pseudo-localised) translation of it in ``tmp_path/tr``."""
    folder = tmp_path / "book"
    folder.mkdir()
    shutil.copy(d2l / SECTION, folder / "pooling.md")
    assert amts("translate", folder, "--tgt", "zh", "--engine", "pseudo", "--out", tmp_path / "tr").exit_code == 0
    return folder


def _export(book: Path, fmt: str, out: Path, *extra: str) -> Path:
    done = amts("exchange", "export", book, "--tgt", "zh", "--translation", book.parent / "tr", "--format", fmt,
                "--out", out, *extra)
    assert done.exit_code == 0, done.output
    return next(p for p in out.iterdir() if p.suffix in (".xlf", ".po", ".pot"))


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(found).exists():
        pytest.skip(f"{name} (translate-toolkit) not installed")
    return found


def _schema(name: str):  # noqa: ANN202
    etree = pytest.importorskip("lxml.etree")
    if not (SCHEMAS / name).is_file():
        pytest.skip(f"{SCHEMAS / name} not installed (Debian php-symfony-translation)")

    class Local(etree.Resolver):  # xml.xsd from the same folder, never from the network
        def resolve(self, url, pubid, context):  # noqa: ANN001, ANN201
            if url.endswith("xml.xsd"):
                return self.resolve_filename(str(SCHEMAS / "xml.xsd"), context)
            return None

    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(Local())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name), parser)), etree


@pytest.mark.parametrize(("fmt", "xsd"), [("xliff12", "xliff-core-1.2-strict.xsd"), ("xliff", "xliff-core-2.0.xsd")])
def test_xliff_is_valid_against_the_oasis_schema(book: Path, tmp_path: Path, fmt: str, xsd: str) -> None:
    schema, etree = _schema(xsd)
    for state in ("translated", "needs-review"):
        path = _export(book, fmt, tmp_path / f"{fmt}-{state}", "--state", state)
        document = etree.parse(str(path))
        assert schema.validate(document), [str(e) for e in schema.error_log][:5]
    if fmt == "xliff12":
        units = document.getroot().iter("{urn:oasis:names:tc:xliff:document:1.2}trans-unit")
        assert {unit.get("approved") for unit in units} == {"no"}  # the needs-review export


def test_translate_toolkit_reads_translated_units_as_final_and_review_units_as_fuzzy(book: Path, tmp_path: Path) -> None:
    xliff = pytest.importorskip("translate.storage.xliff")
    final = xliff.xlifffile.parsefile(str(_export(book, "xliff12", tmp_path / "a")))
    review = xliff.xlifffile.parsefile(str(_export(book, "xliff12", tmp_path / "b", "--state", "needs-review")))
    assert final.units and not any(unit.isfuzzy() for unit in final.units)
    assert all(unit.isfuzzy() for unit in review.units if unit.target)


def test_files_from_xliff2po_and_po2xliff_import_back_byte_for_byte(book: Path, tmp_path: Path) -> None:
    expected = (tmp_path / "tr" / "zh.pooling.md").read_bytes()
    converted = tmp_path / "converted.po"
    subprocess.run([_tool("xliff2po"), "-i", str(_export(book, "xliff12", tmp_path / "x")), "-o", str(converted)],
                   check=True, capture_output=True)
    done = amts("exchange", "import", converted, "--source", book, "--tgt", "zh", "--out", tmp_path / "i1")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "i1" / "zh.pooling.md").read_bytes() == expected
    xlf = tmp_path / "converted.xlf"
    subprocess.run([_tool("po2xliff"), "-i", str(_export(book, "po", tmp_path / "p")), "-o", str(xlf)],
                   check=True, capture_output=True)
    done = amts("exchange", "import", xlf, "--source", book, "--out", tmp_path / "i2")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "i2" / "zh.pooling.md").read_bytes() == expected


def test_targets_that_are_not_final_are_left_as_they_were_unless_accepted(book: Path, tmp_path: Path) -> None:
    source = (book / "pooling.md").read_bytes()
    expected = (tmp_path / "tr" / "zh.pooling.md").read_bytes()
    po = _export(book, "po", tmp_path / "po", "--state", "needs-review")  # every target #, fuzzy
    xlf = _export(book, "xliff", tmp_path / "x")
    xlf.write_text(xlf.read_text(encoding="utf-8").replace('state="translated"', 'state="initial"'), encoding="utf-8")
    for returned, extra in ((po, ["--source", book]), (xlf, [])):
        done = amts("exchange", "import", returned, *extra, "--out", tmp_path / f"o-{returned.suffix}")
        assert done.exit_code == 0, done.output
        assert (tmp_path / f"o-{returned.suffix}" / "zh.pooling.md").read_bytes() == source
        assert "43 segments not final" in done.stderr and "--accept-fuzzy" in done.stderr
        taken = amts("exchange", "import", returned, *extra, "--accept-fuzzy", "--out", tmp_path / f"a-{returned.suffix}")
        assert taken.exit_code == 0 and (tmp_path / f"a-{returned.suffix}" / "zh.pooling.md").read_bytes() == expected


def test_a_unit_a_tool_dropped_is_reported_and_the_import_exits_1(book: Path, tmp_path: Path) -> None:
    polib = pytest.importorskip("polib")
    po = _export(book, "po", tmp_path / "po")
    catalogue = polib.pofile(str(po), wrapwidth=0)
    dropped = [entry for entry in catalogue if entry.msgctxt.endswith("#s3")]
    assert dropped
    catalogue.remove(dropped[0])
    catalogue.save(str(po))
    done = amts("exchange", "import", po, "--source", book, "--out", tmp_path / "o")
    assert done.exit_code == 1, done.output
    assert "missing" in done.stderr and "s3 (line" in done.stderr
    text = (tmp_path / "o" / "zh.pooling.md").read_text(encoding="utf-8")
    assert dropped[0].msgid in text  # left in the source language, not lost


def test_po_has_plural_forms_a_pot_template_and_previous_msgid(book: Path, tmp_path: Path) -> None:
    po = _export(book, "po", tmp_path / "po")
    text = po.read_text(encoding="utf-8")
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in text
    if shutil.which("msgfmt"):
        check = subprocess.run(["msgfmt", "--check-format", "-c", "-o", "/dev/null", str(po)], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stderr
    pot = _export(book, "pot", tmp_path / "pot")
    assert pot.name == "pooling.md.pot"
    polib = pytest.importorskip("polib")
    template = polib.pofile(str(pot))
    assert len(template) == 43 and all(entry.msgstr == "" for entry in template)
    report = tmp_path / "r.json"
    report.write_text(json.dumps({"src_lang": "en", "tgt_lang": "zh", "files": [{"output": "zh.pooling.md", "segments": [
        {"id": "s1", "status": "fuzzy", "needs_review": True, "source_old": "Pooling layers", "source_new": "Pooling",
         "target_old": "汇聚层", "target_new": "汇聚层"}]}]}), encoding="utf-8")
    assert amts("exchange", "review", report, "--out", tmp_path / "q.po").exit_code == 0
    queue = (tmp_path / "q.po").read_text(encoding="utf-8")
    assert '#| msgid "Pooling layers"' in queue and "#, fuzzy" in queue
