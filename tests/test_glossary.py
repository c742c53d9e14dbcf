"""Glossary: CSV files people edit, term lookup and checks, mining from parallel pairs, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.adapt.glossary import ALIGNED, BRACKET, Glossary, GlossaryError, Term, mine, uses_term
from amts.cli import app
from amts.memory import Pair, Store, write_pairs

runner = CliRunner()


def small() -> Glossary:
    return Glossary(
        [Term("translation", "翻译"), Term("machine translation", "机器翻译"), Term("data", "数据"),
         Term("learning rate", "学习率")],
        "en", "zh",
    )


# ----------------------------------------------------------------------------------- lookups


def test_terms_are_found_case_insensitive_whole_words_longest_first():
    glossary = small()
    assert glossary.terms_for("Machine Translation is hard.") == {"machine translation": "机器翻译"}
    assert glossary.terms_for("We store metadata and dates.") == {}
    assert glossary.terms_for("Set the learning\nrates and the data.") == {"learning rate": "学习率", "data": "数据"}


def test_terms_inside_inline_code_and_math_are_not_prose():
    assert small().terms_for("Call `load_data` on $data$ with [the data](data.md).") == {"data": "数据"}
    assert small().terms_for("Call `load_data` now.") == {}


def test_check_reports_terms_whose_translation_is_missing():
    glossary = small()
    source = "Machine translation needs data."
    assert glossary.check(source, "*机器翻译*需要数据。") == []
    violations = glossary.check(source, "机器的翻译需要数据。")
    assert [(v.term, v.expected) for v in violations] == [("machine translation", "机器翻译")]
    assert "机器翻译" in str(violations[0])


def test_latin_targets_match_whole_words():
    assert uses_term("The Learning rates matter.", "learning rate")
    assert not uses_term("Relearning ratest.", "learning rate")
    assert uses_term("训练\n数据集", "训练数据集")  # wrapping inside a CJK term


# -------------------------------------------------------------------------------------- files


def test_csv_round_trip_keeps_terms_counts_and_origins(tmp_path: Path):
    glossary = Glossary([Term("gradient descent", "梯度下降", 7, BRACKET), Term('say "hi", ok', "你好", 2, "manual")],
                        "en", "zh")
    path = tmp_path / "g.csv"
    glossary.save(path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "en,zh,count,origin"
    again = Glossary.load(path)
    assert (again.src_lang, again.tgt_lang) == ("en", "zh")
    assert list(again) == list(glossary)


def test_amazon_terminology_layout_loads(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("\ufeffen,zh\nepoch,迭代周期\n\n", encoding="utf-8")
    glossary = Glossary.load(path)
    assert glossary.mapping() == {"epoch": "迭代周期"} and list(glossary)[0].count == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty glossary"),
        ("source,target\nx,y\n", ":1: the first row must name"),
        ("en,zh,score\nx,y,1\n", ":1: columns after the languages"),
        ("en,zh\nepoch,迭代周期\nlayer,\n", ":3: a term needs both"),
        ("en,zh,count\nepoch,迭代周期,many\n", ":2: count must be a whole number"),
        ("en,zh\nepoch,迭代周期\nEpoch,时期\n", ":3: 'Epoch' is already translated as '迭代周期' on line 2"),
        ("en,zh\nepoch,迭代周期,3\n", ":2: 3 fields, the header has 2"),
        ('en,zh\nepoch,"迭代\n', "not valid CSV"),
    ],
)
def test_malformed_files_are_refused_with_the_line(tmp_path: Path, text: str, expected: str):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GlossaryError) as error:
        Glossary.load(path)
    assert str(error.value).startswith(str(path)) and expected in str(error.value)


def test_not_utf8_is_refused(tmp_path: Path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("en,es\ncafé,café\n".encode("latin-1"))
    with pytest.raises(GlossaryError, match="not UTF-8"):
        Glossary.load(path)


# ------------------------------------------------------------------------------------- mining


def pair(source: str, target: str) -> Pair:
    return Pair(source, target, "en", "zh", {"origin": "aligned"})


def corpus() -> list[Pair]:
    """Our own small book: terms bracketed at first use, then used plainly, plus noise."""
    return [
        pair("This is called machine translation.", "这被称为*机器翻译*（machine translation）。"),
        pair("Machine translation is old.", "机器翻译历史悠久。"),
        pair("We study machine translation today.", "今天我们研究机器翻译。"),
        pair("A model predicts a hard prediction.", "模型输出硬预测（hard prediction）。"),
        pair("Each hard prediction is a label.", "每个硬预测都是一个标签。"),
        pair("The shift is a translation of the plane.", "这是平面的*平移*(translation)。"),
        pair("Translation of text needs care.", "文本的翻译需要小心。"),
        pair("We check the translation quality.", "我们检查翻译质量。"),
        pair("Good translation helps readers.", "好的翻译能帮助读者。"),
        pair("The attention weights sum to one.", "注意力权重之和为一。"),
        pair("Plot the attention weights again.", "再次绘制注意力权重。"),
        pair("Normalize attention weights first.", "首先规范化注意力权重。"),
        pair("These attention weights are large.", "这些注意力权重很大。"),
        pair("A rare phrase appears once.", "一个罕见的短语只出现一次。"),
    ]


def test_mining_finds_bracketed_and_aligned_terms():
    glossary = mine(corpus(), min_count=2)
    terms = {t.source.lower(): t for t in glossary}
    assert terms["machine translation"].target == "机器翻译" and terms["machine translation"].origin == BRACKET
    assert terms["machine translation"].count == 3
    assert terms["hard prediction"].target == "硬预测"  # "输出" before it is not part of the term
    assert terms["attention weights"].target == "注意力权重" and terms["attention weights"].origin == ALIGNED
    # a one-off rendering (平移 in a geometry aside) is not a rule: most translations use 翻译
    assert "translation" not in terms
    assert "rare phrase" not in terms


def test_min_count_controls_evidence():
    terms = {t.source.lower() for t in mine(corpus(), min_count=4)}
    assert "machine translation" not in terms and "attention weights" in terms


def test_mining_reversed_pairs_gives_a_reversed_glossary():
    reversed_pairs = [Pair(p.target, p.source, "zh", "en", p.provenance) for p in corpus()]
    glossary = mine(reversed_pairs)
    assert (glossary.src_lang, glossary.tgt_lang) == ("zh", "en")
    assert glossary.mapping()["机器翻译"].lower() == "machine translation"
    assert glossary.terms_for("我们研究机器翻译。") == {"机器翻译": "machine translation"}


# ---------------------------------------------------------------------------------------- CLI


def test_cli_mines_a_pairs_file_and_the_glossary_checks(tmp_path: Path):
    pairs_file, out = tmp_path / "pairs.tsv", tmp_path / "g.csv"
    write_pairs(corpus(), pairs_file)
    result = runner.invoke(app, ["glossary", "mine", "--file", str(pairs_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "bracket" in result.output and "en->zh" in result.output
    assert Glossary.load(out).mapping()["machine translation"] == "机器翻译"
    result = runner.invoke(app, ["glossary", "check", str(out)])
    assert result.exit_code == 0 and "terms en->zh" in result.output


def test_cli_mines_parallel_data_from_the_store(store: Path, tmp_path: Path):
    Store(store).create("book-en-zh", corpus())
    out = tmp_path / "g.csv"
    result = runner.invoke(app, ["glossary", "mine", "--parallel-data", "book-en-zh", "--out", str(out), "--min-count", "3"])
    assert result.exit_code == 0, result.output
    assert set(Glossary.load(out).mapping()) == {"machine translation", "attention weights"}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--parallel-data", "nope"], "no amts store"),
        ([], "give either --parallel-data NAME or --file PAIRS"),
        (["--file", "missing.tsv"], "missing.tsv: no such file"),
    ],
)
def test_cli_errors_are_one_line(store: Path, tmp_path: Path, args: list[str], expected: str):
    result = runner.invoke(app, ["glossary", "mine", "--out", str(tmp_path / "g.csv"), *args])
    assert result.exit_code != 0 and expected in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (tmp_path / "g.csv").exists()


def test_cli_unknown_parallel_data_and_bad_glossary(store: Path, tmp_path: Path):
    Store(store).create("book-en-zh", corpus())
    result = runner.invoke(app, ["glossary", "mine", "--parallel-data", "other", "--out", str(tmp_path / "g.csv")])
    assert result.exit_code != 0 and "'other'" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("en,zh\nepoch,\n", encoding="utf-8")
    result = runner.invoke(app, ["glossary", "check", str(bad)])
    assert result.exit_code != 0 and "bad.csv:2:" in result.output
