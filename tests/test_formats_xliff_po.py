"""XLIFF 2.1/1.2 and PO: round trips, byte-for-byte reassembly, and translate-toolkit as the independent reader.

translate-toolkit (GPL) is only a test oracle (extra ``oracle``): its readers must load amts's files
with the same units, and amts must import what its converters (po2tmx, po2xliff) write.
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
from amts.memory import Pair, read_pairs, write_pairs
from amts.memory.formats.book import assemble, book_units
from amts.memory.formats.po import read_po, write_po
from amts.memory.formats.units import Code, UnitState, inline_codes, raw_text
from amts.memory.formats.xliff import UnitDocument, read_xliff, write_xliff

BOOK = Path(__file__).resolve().parent.parent / "amts" / "examples" / "book" / "en"

PAIRS = [
    Pair("See `x = 1` and [the docs](https://a.b/c) with <b>bold</b>, :numref:`sec_a` & $x_1<y$.",
         "见 `x = 1` 和[文档](https://a.b/c)，<b>粗</b>，:numref:`sec_a` & $x_1<y$。", "en", "zh",
         {"file": "a/b.md", "score": 0.875}),
    Pair("Plain text, with \"quotes\".", "纯文本，带“引号”。", "en", "zh", {"origin": "aligned"}),
    Pair("Two\nlines.", "两\n行。", "en", "zh", {}),
]


def test_inline_codes_pair_openers_and_closers_and_give_the_text_back() -> None:
    raw = "A [link with `code`](http://x.y/z) and <em>stress</em>, an <br/> and [**slide**]."
    pieces = inline_codes(raw)
    assert raw_text(pieces) == raw
    link = next(p for p in pieces if isinstance(p, Code) and p.open == "[")
    assert link.close == "](http://x.y/z)" and any(isinstance(p, Code) and p.open == "`code`" for p in link.inner)
    assert any(isinstance(p, Code) and p.open == "<em>" and p.close == "</em>" for p in pieces)
    assert any(isinstance(p, Code) and p.open == "<br/>" and p.close is None for p in pieces)


@pytest.mark.parametrize("fmt", ["xliff", "xliff12", "po"])
def test_pairs_round_trip_with_provenance(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / ("pairs.po" if fmt == "po" else "pairs.xlf")
    report = write_pairs(PAIRS, path, fmt)
    assert report.written == 3 and report.changes == []
    back = read_pairs(path)
    assert [(p.source, p.target, p.src_lang, p.tgt_lang) for p in back] == [(p.source, p.target, "en", "zh") for p in PAIRS]
    assert back[0].provenance == {"file": "a/b.md", "score": 0.875}


def test_xliff21_uses_ph_and_pc_with_original_data(tmp_path: Path) -> None:
    path = tmp_path / "p.xlf"
    write_pairs(PAIRS[:1], path)
    text = path.read_text(encoding="utf-8")
    assert 'version="2.1"' in text and "<originalData>" in text
    assert '<pc id="2" dataRefStart="d2" dataRefEnd="d3">the docs</pc>' in text
    assert '<ph id="1" dataRef="d1"/>' in text


def test_units_needing_review_are_not_pairs(tmp_path: Path) -> None:
    document = UnitDocument("en", "zh")
    unit_file = book_units("# Title\n\nOne.\n\nTwo.\n", "a.md", "# 标题\n\n一。\n\n二。\n", state=UnitState.NEEDS_REVIEW)
    document.files.append(unit_file)
    for text in (write_xliff(document), write_xliff(document, "1.2"), write_po(document)):
        suffix = ".po" if text.startswith("#") or "msgid" in text else ".xlf"
        path = tmp_path / f"q{suffix}"
        path.write_text(text, encoding="utf-8")
        assert read_pairs(path) == []
        units = (read_po if suffix == ".po" else read_xliff)(path.read_bytes()).units()
        assert [u.state for u in units] == [UnitState.NEEDS_REVIEW] * 3


def test_a_folder_of_po_files_is_one_set_of_pairs(tmp_path: Path) -> None:
    folder = tmp_path / "po"
    write_pairs(PAIRS[:2], folder / "a.po")
    write_pairs(PAIRS[2:], folder / "sub" / "b.po")
    assert [p.source for p in read_pairs(folder)] == [p.source for p in PAIRS]


@pytest.mark.parametrize("fmt", ["2.1", "1.2", "po"])
def test_book_reassembles_byte_for_byte(fmt: str) -> None:
    for path in sorted(BOOK.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        unit_file = book_units(text, path.name)
        document = UnitDocument("en", "zh", [unit_file])
        data = (write_po(document) if fmt == "po" else write_xliff(document, fmt)).encode()
        back = (read_po(data) if fmt == "po" else read_xliff(data)).files[0]
        assembled, report = assemble(back, text if fmt == "po" else None)
        assert assembled == text
        assert report.used == 0 and report.untranslated == len(unit_file.units) > 3


def test_a_target_that_loses_structure_is_refused_and_reported() -> None:
    text = "# Title\n\nCall `f(x)` with [a link](https://x.org).\n"
    unit_file = book_units(text, "a.md", "# 标题\n\n调用 `f(x)` 并[链接](https://x.org)。\n")
    unit_file.units[1].target = "调用 f(x) 并[链接](https://evil.example)。"
    assembled, report = assemble(unit_file)
    assert assembled == "# 标题\n\nCall `f(x)` with [a link](https://x.org).\n"
    assert report.used == 1 and len(report.refused) == 1 and "lost" in report.refused[0]


# --------------------------------------------------------------------------------- the CLI, end to end


def _run(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fmt", ["xliff", "xliff12", "po"])
def test_cli_export_import_gives_amts_translation_back(tmp_path: Path, fmt: str, store: Path) -> None:
    _run("translate", str(BOOK), "--src", "en", "--tgt", "zh", "--engine", "pseudo", "--out", str(tmp_path / "mt"))
    _run("exchange", "export", str(BOOK), "--tgt", "zh", "--translation", str(tmp_path / "mt"), "--format", fmt, "--out", str(tmp_path / "x"))
    _run("exchange", "import", str(tmp_path / "x"), "--out", str(tmp_path / "back"), "--source", str(BOOK))
    for machine in sorted((tmp_path / "mt").glob("zh.*.md")):
        assert (tmp_path / "back" / machine.name).read_bytes() == machine.read_bytes()


def test_cli_review_queue_from_a_sync_report(tmp_path: Path, store: Path) -> None:
    report = {
        "src_lang": "en", "tgt_lang": "zh",
        "files": [{"output": "zh/intro.md", "segments": [
            {"id": "f0-s0", "status": "kept", "needs_review": False, "source_new": "Same.", "target_old": "同。", "target_new": "同。"},
            {"id": "f0-s1", "status": "fuzzy", "needs_review": True, "source_old": "Old text.", "source_new": "New text.",
             "target_old": "旧文本。", "target_new": "新文本。", "output_line": 7, "note": "source changed"},
        ]}],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    for name in ("queue.xlf", "queue.po"):
        _run("exchange", "review", str(path), "--out", str(tmp_path / name))
        data = (tmp_path / name).read_bytes()
        (unit,) = (read_po if name.endswith(".po") else read_xliff)(data).units()
        assert (unit.id, unit.source, unit.target, unit.state, unit.line) == ("f0-s1", "New text.", "旧文本。", UnitState.NEEDS_REVIEW, 7)
        assert "reason: source changed" in unit.notes and "English before: Old text." in unit.notes
    po_text = (tmp_path / "queue.po").read_text(encoding="utf-8")
    assert "#, fuzzy" in po_text
    assert 'subState="amts:needs-review"' in (tmp_path / "queue.xlf").read_text(encoding="utf-8")
    assert read_pairs(tmp_path / "queue.po") == []  # nothing reviewed yet: no pair
    reviewed = tmp_path / "reviewed.po"  # the reviewer fixes the target and clears the fuzzy flag
    reviewed.write_text(po_text.replace("#, fuzzy\n", "").replace('msgstr "旧文本。"', 'msgstr "新的文本。"'), encoding="utf-8")
    (pair,) = read_pairs(reviewed)
    assert (pair.source, pair.target, pair.provenance["origin"], pair.provenance["reason"]) == (
        "New text.", "新的文本。", "post-edited", "source changed")
    _run("pd", "create", "reviewed", "--file", str(reviewed))


# --------------------------------------------------------------------------- translate-toolkit, the oracle

tt_xliff2 = pytest.importorskip("translate.storage.xliff2", reason="translate-toolkit (extra 'oracle') not installed")
from translate.storage import pypo, xliff  # noqa: E402


def _prose(raw: str) -> str:
    return "".join(piece if isinstance(piece, str) else (_prose(raw_text(piece.inner)) if piece.close is not None else "")
                   for piece in inline_codes(raw))


def _book_document() -> UnitDocument:
    files = [book_units(p.read_text(encoding="utf-8"), p.name) for p in sorted(BOOK.glob("*.md"))]
    return UnitDocument("en", "zh", files[-1:])  # tea.md: math, code, links, a figure, a table


def test_translate_toolkit_reads_amts_xliff21_with_the_same_units(tmp_path: Path) -> None:
    document = _book_document()
    path = tmp_path / "book.xlf"
    path.write_text(write_xliff(document), encoding="utf-8")
    store = tt_xliff2.Xliff2File.parsefile(str(path))
    ours = document.units()
    assert [u.getid() for u in store.units] == [u.id for u in ours]
    assert [u.source for u in store.units] == [_prose(u.source) for u in ours]  # its plain text drops the codes


def test_translate_toolkit_reads_amts_xliff12_and_po_with_the_same_units(tmp_path: Path) -> None:
    document = _book_document()
    ours = document.units()
    path = tmp_path / "book.xlf"
    path.write_text(write_xliff(document, "1.2"), encoding="utf-8")
    store = xliff.xlifffile.parsefile(str(path))
    assert [u.getid().split("\x04")[-1] for u in store.units] == [u.id for u in ours]
    assert [u.source for u in store.units] == [u.source for u in ours]  # 1.2 codes carry their native text
    po_path = tmp_path / "book.po"
    po_path.write_text(write_po(document), encoding="utf-8")
    catalogue = pypo.pofile.parsefile(str(po_path))
    units = [u for u in catalogue.units if not u.isheader()]
    assert [(u.getcontext(), u.source) for u in units] == [(u.id, u.source) for u in ours]


def test_a_file_translated_in_translate_toolkit_reassembles(tmp_path: Path) -> None:
    document = _book_document()
    text = document.files[0].skeleton
    path = tmp_path / "book.xlf"
    path.write_text(write_xliff(document, "1.2"), encoding="utf-8")
    store = xliff.xlifffile.parsefile(str(path))
    for unit in store.units:
        if "`" not in unit.source and "$" not in unit.source and "[" not in unit.source:
            unit.target = "译：" + unit.source  # a translator working in a tool
    store.savefile(str(path))
    back = read_xliff(path.read_bytes()).files[0]
    assembled, report = assemble(back)
    assert report.used > 0 and not report.refused
    assert assembled != text and "译：" in assembled
    untouched, _ = assemble(read_xliff(write_xliff(document, "1.2").encode()).files[0])
    assert untouched == text


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(found).exists():
        pytest.skip(f"{name} (translate-toolkit) not installed")
    return found


def test_amts_imports_what_po2tmx_and_po2xliff_write(tmp_path: Path) -> None:
    po_path = tmp_path / "book.po"
    po_path.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: zh_CN\\n"\n\n'
        'msgid "Deep learning is a kind of machine learning."\nmsgstr "深度学习是一种机器学习。"\n\n'
        'msgid "Use `torch.tensor` here."\nmsgstr "这里用 `torch.tensor`。"\n\n'
        '#, fuzzy\nmsgid "Not sure yet."\nmsgstr "还不确定。"\n',
        encoding="utf-8",
    )
    subprocess.run([_tool("po2tmx"), "-l", "zh-CN", "-i", str(po_path), "-o", str(tmp_path / "tt.tmx")], check=True, capture_output=True)
    subprocess.run([_tool("po2xliff"), "-i", str(po_path), "-o", str(tmp_path / "tt.xlf")], check=True, capture_output=True)
    expected = [("Deep learning is a kind of machine learning.", "深度学习是一种机器学习。"), ("Use `torch.tensor` here.", "这里用 `torch.tensor`。")]
    tmx = read_pairs(tmp_path / "tt.tmx", src_lang="en", tgt_lang="zh")
    assert [(p.source, p.target) for p in tmx] == expected
    xlf = read_pairs(tmp_path / "tt.xlf", src_lang="en", tgt_lang="zh")
    assert [(p.source, p.target) for p in xlf] == expected  # the fuzzy entry is not a pair
    po = read_pairs(po_path, src_lang="en", tgt_lang="zh")
    assert [(p.source, p.target) for p in po] == expected


def test_cli_import_keeps_a_hand_edited_output(tmp_path: Path, store: Path) -> None:
    _run("exchange", "export", str(BOOK), "--tgt", "zh", "--out", str(tmp_path / "x"))
    _run("exchange", "import", str(tmp_path / "x"), "--out", str(tmp_path / "back"))
    edited = tmp_path / "back" / "zh.tea.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "A translator's note.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["exchange", "import", str(tmp_path / "x"), "--out", str(tmp_path / "back")])
    assert "edited by hand kept" in result.output and edited.read_text(encoding="utf-8").endswith("A translator's note.\n")
    _run("exchange", "import", str(tmp_path / "x"), "--out", str(tmp_path / "back"), "--force")
    assert edited.read_bytes() == (BOOK / "tea.md").read_bytes()  # nothing translated: the source back


def test_a_translation_with_different_blocks_prefills_what_pairs_up() -> None:
    source = "# Title\n\nFirst paragraph.\n\n```python\nx = 1\n```\n\nSecond paragraph.\n\n[A](a.md)\n[B](b.md)\n"
    translation = "# 标题\n\n第一段。\n\n译者加的一段。\n\n```python\nx = 1\n```\n\n第二段。\n\n*[A](a.md) [B](b.md)*\n"
    unit_file = book_units(source, "a.md", translation)
    # before the code block the translation has one paragraph more: which one is extra is ambiguous,
    # so that stretch gets no targets; after it the blocks pair, the link lines (2 vs 1 segment) do not
    assert [(u.source, u.target) for u in unit_file.units] == [
        ("Title", ""), ("First paragraph.", ""), ("Second paragraph.", "第二段。"),
        ("[A](a.md)", ""), ("[B](b.md)", ""),
    ]
    assert unit_file.unpaired == 4


def test_a_po_file_without_prose_names_its_markdown_file(tmp_path: Path, store: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    (book / "code.md").write_text("```python\nx = 1\n```\n", encoding="utf-8")
    _run("exchange", "export", str(book), "--tgt", "zh", "--format", "po", "--out", str(tmp_path / "po"))
    _run("exchange", "import", str(tmp_path / "po"), "--out", str(tmp_path / "back"), "--source", str(book))
    assert (tmp_path / "back" / "zh.code.md").read_bytes() == (book / "code.md").read_bytes()
