"""Parallel-data file formats: lossless round trips and all-or-nothing refusal of malformed files."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from amts.memory import FormatError, Pair, read_pairs, write_pairs
from amts.memory.formats import format_for

TRICKY = [
    Pair('Hello, "world", again', "你好，“世界”，再见", "en", "zh", {"file": "a/b.md", "src_lines": "3-4", "shape": "1:2", "score": 0.875}),
    Pair("- a leading dash, like a list item", "- 以破折号开头", "en", "zh", {"origin": "aligned", "line": 12}),
    Pair("a\ttab inside", "制表符\t在里面", "en", "zh", {}),
    Pair('"starts with a quote" and ends ""', "“引号”开头", "en", "zh", {}),
    Pair("line one\nline two\r\nthree", "第一行\n第二行", "en", "zh", {}),
    Pair("Markup <b>bold</b> & $x_1 < y$ :numref:`sec_x`", "标记 <b>粗体</b> & $x_1 < y$ :numref:`sec_x`", "en", "zh", {}),
    Pair("  spaces kept  ", "空格", "en", "zh", {}),
    Pair("=SUM(A1) looks like a formula", "公式", "en", "zh", {}),
]


@pytest.mark.parametrize("fmt", ["tmx", "jsonl"])
def test_round_trip_keeps_every_character(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"pairs.{fmt}"
    report = write_pairs(TRICKY, path)
    assert report.written == len(TRICKY) and report.changes == []
    back = read_pairs(path)
    assert [(p.source, p.target, p.src_lang, p.tgt_lang) for p in back] == [
        (p.source, p.target, p.src_lang, p.tgt_lang) for p in TRICKY
    ]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_amazon_ready_round_trip_changes_only_what_the_report_says(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"pairs.{fmt}"
    report = write_pairs(TRICKY, path)
    assert report.written == len(TRICKY)
    assert report.changes == ["2 fields had line breaks folded to spaces", "3 fields escaped (leading + - = @ -> \\)"]
    assert "folded" in report.summary() and report.summary().startswith("8 pairs written (")
    back = read_pairs(path)
    expected = [(" ".join(p.source.split("\n")).replace("\r", "").strip(), p.target.replace("\n", " ").strip()) for p in TRICKY]
    expected[4] = ("line one line two three", "第一行 第二行")
    assert [(p.source, p.target) for p in back] == expected  # the leading "-"/"=" escapes are taken off on reading


@pytest.mark.parametrize("fmt", ["tmx", "jsonl"])
def test_provenance_survives_tmx_and_jsonl(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"pairs.{fmt}"
    write_pairs(TRICKY, path)
    back = read_pairs(path)
    assert back[0].provenance == TRICKY[0].provenance
    assert back[1].provenance == {"origin": "aligned", "line": 12}


def test_csv_follows_the_amazon_translate_layout(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    write_pairs(TRICKY[:1], path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "en,zh"
    assert lines[1] == '"Hello, ""world"", again",你好，“世界”，再见'


def test_tsv_doubles_quotes_as_amazon_requires(tmp_path: Path) -> None:
    path = tmp_path / "p.tsv"
    write_pairs([Pair('say "hi" now', "说“嗨”", "en", "zh")], path)
    assert path.read_text(encoding="utf-8") == 'en\tzh\n"say ""hi"" now"\t说“嗨”\n'
    assert read_pairs(path)[0].source == 'say "hi" now'


def test_tmx_is_valid_xml_with_props(tmp_path: Path) -> None:
    path = tmp_path / "p.tmx"
    write_pairs(TRICKY, path)
    root = ET.parse(path).getroot()
    assert root.tag == "tmx" and root.get("version") == "1.4"
    header = root.find("header")
    assert header is not None and header.get("srclang") == "en"
    for attribute in ("creationtool", "creationtoolversion", "segtype", "o-tmf", "adminlang", "datatype"):
        assert header.get(attribute), attribute
    first = root.find("body/tu")
    assert first is not None
    props = {prop.get("type"): prop.text for prop in first.findall("prop")}
    assert props["x-file"] == "a/b.md" and props["x-shape"] == "1:2"
    langs = [tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in first.findall("tuv")]
    assert langs == ["en", "zh"]


def test_stream_output_and_explicit_format() -> None:
    out = io.StringIO()
    write_pairs(TRICKY[:2], out, "jsonl")
    assert len(out.getvalue().splitlines()) == 2
    assert read_pairs(io.StringIO(out.getvalue()), "jsonl")[1].source == TRICKY[1].source


def test_empty_list_needs_languages(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="src_lang"):
        write_pairs([], tmp_path / "e.csv")
    write_pairs([], tmp_path / "e.csv", src_lang="en", tgt_lang="de")
    assert read_pairs(tmp_path / "e.csv") == []


def test_write_refuses_mixed_languages_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    with pytest.raises(FormatError, match="pair 2"):
        write_pairs([TRICKY[0], Pair("a", "b", "en", "de")], path)
    assert not path.exists()


def test_write_refuses_empty_fields(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="empty target"):
        write_pairs([Pair("a", "  ", "en", "zh")], tmp_path / "x.tsv")


def test_tmx_refuses_control_characters(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="U\\+0001"):
        write_pairs([Pair("a\x01b", "c", "en", "zh")], tmp_path / "x.tmx")


def test_format_by_suffix() -> None:
    assert format_for("a/b.TMX") == "tmx"
    assert format_for("x.ndjson") == "jsonl"
    assert format_for("x.txt", "CSV") == "csv"
    with pytest.raises(FormatError, match="suffix"):
        format_for("x.txt")
    with pytest.raises(FormatError, match="unknown format"):
        format_for("x.csv", "xlsx")


MALFORMED = [
    ("csv", "en,zh\nok,好\nthree,columns,here\n", 3, "expected 2 columns"),
    ("csv", "hello,world\nok,好\n", 1, "missing header"),
    ("csv", "", 1, "missing header"),
    ("csv", "en,zh\nok,好\n,空\n", 3, "empty source"),
    ("csv", "en,zh\nok,好\nfine,\n", 3, "empty target"),
    ("csv", 'en,zh\nok,好\n"open quote,好\n', 3, "quoting"),
    ("tsv", "en\tzh\nok\t好\nno tab here\n", 3, "expected 2 columns"),
    ("tsv", "en\tzh\n\nok\t好\n\nmissing\t\n", 5, "empty target"),
    ("tmx", '<?xml version="1.0"?>\n<tmx version="1.4">\n<header srclang="en"/>\n<body>\n<tu>\n<tuv xml:lang="en"><seg>a</seg>\n</tu></body></tmx>\n', 7, "invalid XML"),
    ("tmx", '<tmx version="1.4"><header srclang="en"/><body>\n<tu><tuv xml:lang="en"><seg>a</seg></tuv><tuv xml:lang="zh"><seg>甲</seg></tuv></tu>\n<tu><tuv xml:lang="en"><seg>b</seg></tuv></tu>\n</body></tmx>', 3, "lacks a target"),
    ("tmx", '<tmx version="1.4"><header srclang="en"/><body>\n<tu><tuv xml:lang="en"><seg>a</seg></tuv><tuv xml:lang="zh"><seg>甲</seg></tuv></tu>\n<tu><tuv xml:lang="en"><seg>b</seg></tuv>\n<tuv xml:lang="zh"><seg> </seg></tuv></tu>\n</body></tmx>', 4, "empty target"),
    ("tmx", '<html><body/></html>', 1, "not <tmx>"),
    ("jsonl", '{"source": "a", "target": "甲", "src_lang": "en", "tgt_lang": "zh"}\n{"source": "b", "target": "乙", "src_lang": "en", "tgt_lang": "ja"}\n', 2, "differ"),
    ("jsonl", '{"source": "a", "target": "甲", "src_lang": "en", "tgt_lang": "zh"}\nnot json\n', 2, "invalid JSON"),
    ("jsonl", '{"source": "a", "target": "", "src_lang": "en", "tgt_lang": "zh"}\n', 1, "target"),
]


@pytest.mark.parametrize(("fmt", "text", "line", "message"), MALFORMED)
def test_malformed_files_are_refused_with_the_line(tmp_path: Path, fmt: str, text: str, line: int, message: str) -> None:
    path = tmp_path / f"bad.{fmt}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        read_pairs(path)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_csv_with_a_record_spanning_lines_reports_the_start_line(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text('en,zh\n"one\ntwo",一二\n"three\nfour",三,extra\n', encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        read_pairs(path)
    assert caught.value.line == 4


def test_languages_must_match_when_given(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    write_pairs(TRICKY[:2], path)
    assert read_pairs(path, src_lang="en", tgt_lang="zh")[0].tgt_lang == "zh"
    with pytest.raises(FormatError, match="no target language 'ja'") as caught:
        read_pairs(path, src_lang="en", tgt_lang="ja")
    assert caught.value.line == 1
    with pytest.raises(FormatError, match="source language"):
        read_pairs(path, src_lang="de")
    tmx = tmp_path / "p.tmx"
    write_pairs(TRICKY[:2], tmx)
    with pytest.raises(FormatError, match="not 'fr'"):
        read_pairs(tmx, src_lang="fr")


def test_multi_target_table_needs_a_target_choice(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text("en,es,zh\nmachine translation,traducción automática,机器翻译\n", encoding="utf-8")
    with pytest.raises(FormatError, match="several target languages"):
        read_pairs(path)
    (pair,) = read_pairs(path, tgt_lang="zh")
    assert (pair.source, pair.target, pair.tgt_lang) == ("machine translation", "机器翻译", "zh")


def test_tmx_region_variants_and_inline_tags(tmp_path: Path) -> None:
    path = tmp_path / "v.tmx"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="en-US" segtype="sentence"/><body>\n'
        '<tu tuid="1"><tuv xml:lang="en-US"><seg>Press <ph>&lt;br/&gt;</ph> now</seg></tuv>'
        '<tuv xml:lang="zh-CN"><seg>现在按 <ph>&lt;br/&gt;</ph></seg></tuv></tu>\n</body></tmx>\n',
        encoding="utf-8",
    )
    (pair,) = read_pairs(path, src_lang="en", tgt_lang="zh")
    assert pair.source == "Press <br/> now" and pair.target == "现在按 <br/>"
    (pair,) = read_pairs(path)
    assert (pair.src_lang, pair.tgt_lang) == ("en-US", "zh-CN")


def test_utf8_bom_is_accepted_and_bad_bytes_refused(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffen,zh\nok,好\n".encode())
    assert read_pairs(path)[0].target == "好"
    path.write_bytes(b"en,zh\nok,\xff\xfe\n")
    with pytest.raises(FormatError, match="UTF-8") as caught:
        read_pairs(path)
    assert caught.value.line == 2
