"""Every CSV/TSV amts writes passes a validator of Amazon Translate's documented parallel-data rules.

The rules, from the Amazon Translate Developer Guide, "Parallel data input files for Amazon Translate"
(https://docs.aws.amazon.com/translate/latest/dg/customizing-translations-parallel-data-input-files.html),
sections "CSV requirements" and "TSV requirements":

R1  The first row consists of the language codes; the first code is the source language.
R2  Each field in the first column is source text; each field in a later column a translation.
R3  If the text of a field contains a comma (CSV) / a tab character (TSV), it is enclosed in ``"``.
R4  A text field cannot span multiple lines.
R5  Fields cannot start with ``+``, ``-``, ``=``, ``@``, whether or not the field is enclosed in ``"``.
R6  A ``"`` in the text of a field is escaped with a ``"`` (``34" monitor`` -> ``34"" monitor``).
R7  An empty or white-space field is skipped (a source: the whole line).        -> we require none
R8  A field over 1000 bytes is skipped (a source: the whole line).              -> we require none
R9  Of several records with the same source text, the one closest to the end is used. -> we require
    none, so that what Amazon uses is exactly what the file shows.

R7-R9 are "skips", not errors, at Amazon; an export that relies on them loses pairs silently, so the
validator treats them as failures. The validator is written from the rules, independently of the writer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amts.memory import Pair, read_pairs, write_pairs
from amts.memory.formats.amazon import MAX_FIELD_BYTES

LANG_CODES = {"en", "zh", "es", "de", "fr", "ja", "zh-TW"}


def _raw_fields(line: str, delimiter: str, number: int) -> list[str]:
    """Split one physical line into fields, checking R3/R6 on the raw text; return the texts."""
    fields: list[str] = []
    index = 0
    while True:
        if line.startswith('"', index):  # a quoted field: "" is a quote, a lone " ends the field
            index += 1
            text = []
            while True:
                end = line.find('"', index)
                assert end >= 0, f"line {number}: unterminated quoted field (R4/R6)"
                text.append(line[index:end])
                if line.startswith('""', end):
                    text.append('"')
                    index = end + 2
                    continue
                index = end + 1
                break
            fields.append("".join(text))
            if index == len(line):
                return fields
            assert line[index] == delimiter, f"line {number}: text after a closing quote (R6)"
            index += 1
        else:
            end = line.find(delimiter, index)
            raw = line[index:] if end < 0 else line[index:end]
            # R6 unquoted: every quote must come doubled
            assert raw.replace('""', "").count('"') == 0, f"line {number}: a lone quote in {raw!r} (R6)"
            fields.append(raw.replace('""', '"'))
            if end < 0:
                return fields
            index = end + 1


def validate_amazon_parallel_data(path: Path, delimiter: str) -> list[tuple[str, str]]:
    """Raise AssertionError on any breach of R1-R9; return the (source, target) rows."""
    data = path.read_bytes()
    text = data.decode("utf-8")  # UTF-8 throughout
    assert "\r" not in text, "R4: carriage return inside the file"
    lines = text.split("\n")
    assert lines[-1] == "", "the file ends with a newline"
    lines = lines[:-1]
    header = lines[0].split(delimiter)
    assert len(header) >= 2 and all(code in LANG_CODES for code in header), f"R1: header {lines[0]!r}"
    rows: list[tuple[str, str]] = []
    seen_sources: set[str] = set()
    for number, line in enumerate(lines[1:], 2):  # R4: one physical line per record, by construction
        fields = _raw_fields(line, delimiter, number)
        assert len(fields) == len(header), f"line {number}: {len(fields)} fields, header has {len(header)} (R2/R3)"
        for field in fields:
            assert field.strip(), f"line {number}: empty field (R7)"
            assert field[0] not in "+-=@", f"line {number}: field starts with {field[0]!r} (R5)"
            assert len(field.encode("utf-8")) <= MAX_FIELD_BYTES, f"line {number}: field over 1000 bytes (R8)"
        assert fields[0] not in seen_sources, f"line {number}: repeated source {fields[0][:40]!r} (R9)"
        seen_sources.add(fields[0])
        rows.append((fields[0], fields[1]))
    return rows


def _long(n: int, tail: str = "") -> tuple[str, str]:
    source = " ".join(f"Sentence {i} explains why deep networks need careful initialization." for i in range(n)) + tail
    target = "".join(f"第{i}句解释了为什么深度网络需要仔细的初始化。" for i in range(n))
    return source, target


def _hard_pairs() -> list[Pair]:
    split_me = _long(30)
    drop_me = _long(30, " An unmatched tail.")
    return [
        Pair('A 34" monitor, "quoted"', "一台 34\" 显示器，“引用”", "en", "zh"),
        Pair("- a list item", "- 列表项", "en", "zh"),
        Pair("+1 for @decorators", "@装饰器加一", "en", "zh"),
        Pair("=SUM(A1)", "=求和", "en", "zh"),
        Pair("wrapped\nover\r\nlines", "跨\n行", "en", "zh"),
        Pair("a\ttab, and a comma", "制表符\t和逗号", "en", "zh"),
        Pair(*split_me, "en", "zh"),
        Pair(*drop_me, "en", "zh"),
        Pair("Short.", "长" * 400, "en", "zh"),  # target over 1000 bytes, one sentence: dropped
        Pair("Repeated source.", "第一个译文。", "en", "zh"),
        Pair("Repeated source.", "第二个译文。", "en", "zh"),
        Pair("Same row twice.", "同一行。", "en", "zh"),
        Pair("Same row twice.", "同一行。", "en", "zh"),
    ]


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_exports_of_hard_pairs_pass_the_validator(tmp_path: Path, fmt: str, delimiter: str) -> None:
    path = tmp_path / f"pd.{fmt}"
    report = write_pairs(_hard_pairs(), path)
    rows = validate_amazon_parallel_data(path, delimiter)
    assert report.written == len(rows) == 13 - 2 - 1 + 30 - 2  # 2 dropped, 1 split into 30, 2 repeats
    summary = report.summary()
    for phrase in ("split into sentence pairs", "dropped (sentences do not pair up)", "escaped", "folded", "repeated source"):
        assert phrase in summary
    assert ('\\- a list item', '\\- 列表项') in rows
    assert ("Repeated source.", "第二个译文。") in rows and ("Repeated source.", "第一个译文。") not in rows
    back = {pair.source: pair.target for pair in read_pairs(path)}
    assert back["- a list item"] == "- 列表项" and back['A 34" monitor, "quoted"'] == "一台 34\" 显示器，“引用”"
    assert back["wrapped over lines"] == "跨 行"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("en,zh\n-lead,x\n", "R5"),
        ('en,zh\n"=quoted",x\n', "R5"),
        ('en,zh\nsay "hi",x\n', "R6"),
        ("en,zh\na,b,c\n", "R2"),
        ("en,zh\n a ,  \n", "R7"),
        (f"en,zh\n{'x' * 1001},y\n", "R8"),
        ("en,zh\na,b\na,c\n", "R9"),
        ("source,target\na,b\n", "R1"),
    ],
)
def test_the_validator_catches_each_rule(tmp_path: Path, text: str, rule: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AssertionError, match=rule):
        validate_amazon_parallel_data(path, ",")


@pytest.mark.d2l
@pytest.mark.slow
@pytest.mark.parametrize("granularity", ["sentence", "paragraph"])
def test_d2l_book_exports_pass_the_validator(d2l: Path, tmp_path: Path, granularity: str) -> None:
    """The issue's case: the book's aligned pairs had sources over 1,000 bytes and repeated rows."""
    from amts.align import align_trees

    result = align_trees(d2l / "en-origin", d2l / "zh", "en", "zh", granularity, workers=1)
    assert len(result.pairs) > 500
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        path = tmp_path / f"{granularity}.{fmt}"
        report = write_pairs(result.pairs, path, src_lang="en", tgt_lang="zh")
        rows = validate_amazon_parallel_data(path, delimiter)
        assert report.written == len(rows)
        assert len(rows) >= 0.9 * len({pair.source for pair in result.pairs})


def test_the_aligners_splitter_pairs_joined_sentences(tmp_path: Path) -> None:
    """Chinese often joins two English sentences: counting sentences fails, aligning them does not."""
    from amts.align import split_long_pair

    source = " ".join(f"Step {i} updates the weights of layer {i}. It then checks the loss of layer {i}." for i in range(20))
    target = "".join(f"第{i}步更新第{i}层的权重，然后检查第{i}层的损失。" for i in range(20))
    pair = Pair(source, target, "en", "zh")
    plain = write_pairs([pair], tmp_path / "count.csv")
    assert plain.written == 0 and "dropped" in plain.summary()
    aligned = write_pairs([pair], tmp_path / "aligned.csv", splitter=split_long_pair)
    rows = validate_amazon_parallel_data(tmp_path / "aligned.csv", ",")
    assert aligned.written == len(rows) == 20 and "1 pairs over 1000 bytes split" in aligned.summary()
    assert rows[3] == ("Step 3 updates the weights of layer 3. It then checks the loss of layer 3.",
                       "第3步更新第3层的权重，然后检查第3层的损失。")
