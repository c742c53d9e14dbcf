"""The adaptive pipeline: memory before engines, examples and glossary to the engine, broken output
retried once and then kept in the source language; ``amts translate`` with parallel data."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from typer.testing import CliRunner

from amts.adapt import ENGINE, FAILED, MEMORY, UNTRANSLATED, AdaptiveTranslator
from amts.adapt.documents import translate_markdown
from amts.adapt.glossary import Glossary, Term
from amts.cli import app
from amts.document import mask
from amts.engines import Engine, Request, Translation
from amts.memory import Pair, Store, TranslationMemory

runner = CliRunner()


class ScriptedEngine(Engine):
    """Answers with ``reply(request, attempt)``; records every request it is sent."""

    name = "scripted"
    batch_size = 8

    def __init__(self, reply: Callable[[Request, int], str]) -> None:
        self.reply = reply
        self.requests: list[Request] = []
        self.attempts: dict[str, int] = {}

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        out = []
        for request in requests:
            self.requests.append(request)
            attempt = self.attempts.get(request.text, 0)
            self.attempts[request.text] = attempt + 1
            out.append(self.reply(request, attempt))
        return out


def chinese(request: Request) -> str:
    """A 'translation' into Chinese script that keeps every placeholder."""
    return "译文" + "".join(re.findall(r"\{\d+\}", request.text)) + "。"


SOURCE = "Compute $x^2$ with `square` as in :numref:`sec_math`."


def test_a_lost_placeholder_is_retried_once_and_then_accepted():
    engine = ScriptedEngine(lambda r, attempt: "译文{1}。" if attempt == 0 else chinese(r))
    [outcome] = AdaptiveTranslator(engine).translate([SOURCE], "en", "zh")
    assert outcome.status == ENGINE
    assert outcome.target == "译文$x^2$`square`:numref:`sec_math`。"
    assert engine.attempts == {mask(SOURCE).text: 2}


def test_structure_broken_every_time_keeps_the_source_and_reports_it():
    for broken in ("译文{1}{2}。", "译文{1}{1}{2}{3}。", "译文{1}{2}{3}{4}。"):  # lost, duplicated, invented
        engine = ScriptedEngine(lambda r, attempt, broken=broken: broken)
        translator = AdaptiveTranslator(engine)
        [outcome] = translator.translate([SOURCE], "en", "zh")
        assert outcome.status == FAILED and outcome.target == SOURCE
        assert "placeholders" in outcome.message and "after one retry" in outcome.message
        assert translator.engine_calls == 2 and len(engine.requests) == 2


def test_a_broken_sentence_is_never_written_broken_into_the_document():
    text = "# Title\n\nFirst sentence here. " + SOURCE + "\n\n```python\nx = 1\n```\n"

    def reply(request: Request, attempt: int) -> str:
        return "坏的{1}。" if "{3}" in request.text else chinese(request)

    result = translate_markdown(text, AdaptiveTranslator(ScriptedEngine(reply)), "en", "zh")
    assert SOURCE in result.text  # kept in English, every structure intact
    assert "First sentence here." not in result.text and "```python\nx = 1\n```" in result.text
    assert [r.outcome.status for r in result.problems()] == [FAILED]


def test_output_in_the_wrong_script_is_retried_then_reported():
    engine = ScriptedEngine(lambda r, attempt: r.text)  # echoes English for a Chinese target
    [outcome] = AdaptiveTranslator(engine).translate(["Plain English prose."], "en", "zh")
    assert outcome.status == FAILED and outcome.target == "Plain English prose."
    assert "not in the zh script" in outcome.message and len(engine.requests) == 2
    engine = ScriptedEngine(lambda r, attempt: r.text if attempt == 0 else "纯中文。")
    [outcome] = AdaptiveTranslator(engine).translate(["Plain English prose."], "en", "zh")
    assert (outcome.status, outcome.target) == (ENGINE, "纯中文。")


def memory_pairs() -> list[Pair]:
    rows = [
        ("The model is trained on data.", "模型在数据上训练。"),
        ("The model is trained on images.", "模型在图像上训练。"),
        ("The model is tested on data.", "模型在数据上测试。"),
        ("A cat sits on the mat.", "一只猫坐在垫子上。"),
        ("We use `numpy` for $x$.", "我们用`numpy`计算$x$。"),
    ]
    return [Pair(s, t, "en", "zh", {"origin": "aligned"}) for s, t in rows]


def test_exact_matches_never_reach_the_engine_and_the_engine_gets_the_k_most_similar_pairs():
    memory = TranslationMemory(memory_pairs(), "en", "zh")
    engine = ScriptedEngine(lambda r, attempt: chinese(r))
    translator = AdaptiveTranslator(engine, memory=memory, examples=2)
    sources = ["The model is trained on data.", "The model is trained on text.", "A cat sits on the mat."]
    outcomes = translator.translate(sources, "en", "zh")
    assert [o.status for o in outcomes] == [MEMORY, ENGINE, MEMORY]
    assert outcomes[0].target == "模型在数据上训练。"
    assert translator.engine_calls == 1 and [r.text for r in engine.requests] == ["The model is trained on text."]
    examples = engine.requests[0].examples
    expected = memory.similar("The model is trained on text.", "en", "zh", 2)
    assert len(examples) == 2 and [e.source for e in examples] == [e.source for e in expected]
    assert {e.source for e in examples} == {"The model is trained on data.", "The model is trained on images."}
    assert examples[0].score >= examples[1].score > 50


def test_examples_are_masked_like_the_request():
    memory = TranslationMemory(memory_pairs(), "en", "zh")
    engine = ScriptedEngine(lambda r, attempt: chinese(r))
    AdaptiveTranslator(engine, memory=memory, examples=1).translate(["We use `scipy` for $x$."], "en", "zh")
    [example] = engine.requests[0].examples
    assert (example.source, example.target) == ("We use {1} for {2}.", "我们用{1}计算{2}。")


def test_glossary_reaches_the_engine_and_violations_are_recorded_only_for_engine_output():
    glossary = Glossary([Term("model", "模型"), Term("data", "数据")], "en", "zh")
    memory = TranslationMemory(memory_pairs(), "en", "zh")
    engine = ScriptedEngine(lambda r, attempt: "这个东西在数据上学习。")
    translator = AdaptiveTranslator(engine, memory=memory, glossary=glossary, examples=0)
    memory_hit, engine_out = translator.translate(["The model is trained on data.", "The model learns from data."], "en", "zh")
    assert memory_hit.status == MEMORY and memory_hit.violations == []
    assert engine.requests[0].glossary == {"model": "模型", "data": "数据"}
    assert engine.requests[0].examples == ()
    assert engine_out.status == ENGINE and [v.term for v in engine_out.violations] == ["model"]
    assert "模型" in engine_out.message


def test_without_an_engine_unmatched_sentences_stay_untranslated():
    memory = TranslationMemory(memory_pairs(), "en", "zh")
    outcomes = AdaptiveTranslator(None, memory=memory).translate(["A cat sits on the mat.", "A dog runs."], "en", "zh")
    assert [(o.status, o.target) for o in outcomes] == [(MEMORY, "一只猫坐在垫子上。"), (UNTRANSLATED, "A dog runs.")]


# ---------------------------------------------------------------------------------- amts translate


def book(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    root.mkdir()
    (root / "intro.md").write_text(
        "# Intro\n\nA cat sits on the mat.\nThe model learns from data.\n\n```python\nx = 1\n```\n", encoding="utf-8"
    )
    return root


def folded(output: str) -> str:
    return " ".join(output.split())


def test_translate_with_memory_engine_reuses_and_reports(store: Path, tmp_path: Path):
    Store(store).create("pd-en-zh", memory_pairs())
    out = tmp_path / "out"
    result = runner.invoke(app, ["translate", str(book(tmp_path)), "--tgt", "zh", "--engine", "memory",
                                 "--parallel-data", "pd-en-zh", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / "zh.intro.md").read_text(encoding="utf-8")
    assert "一只猫坐在垫子上。" in text and "The model learns from data." in text and "x = 1" in text
    summary = folded(result.output)
    assert "1 reused from memory, 0 translated, 2 untranslated, 0 failed sentences, 0 glossary violations" in summary
    assert "intro.md:3: untranslated: no exact match" in summary


def test_translate_takes_parallel_data_glossary_store_and_examples_from_amts_toml(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("AMTS_HOME", raising=False)
    root = book(tmp_path)
    Store(tmp_path / "own.sqlite").create("pd-en-zh", memory_pairs())
    Glossary([Term("model", "模型")], "en", "zh").save(root / "terms.csv")
    (root / "amts.toml").write_text(
        '[book]\ntgt = ["zh"]\nout = "../out"\nengine = "pseudo"\nparallel_data = "pd-en-zh"\n'
        'glossary = "terms.csv"\nstore = "../own.sqlite"\nexamples = 2\n',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["translate", str(root)])
    assert result.exit_code == 0, result.output
    summary = folded(result.output)
    # pseudo keeps the English words accented: the glossary term 模型 is missing from its output
    assert "1 reused from memory, 2 translated, 0 untranslated, 0 failed sentences, 1 glossary violations" in summary
    assert "一只猫坐在垫子上。" in (tmp_path / "out" / "zh.intro.md").read_text(encoding="utf-8")


def one_line_error(result, expected: str) -> None:  # noqa: ANN001
    assert result.exit_code != 0, result.output
    assert expected in folded(result.output), result.output
    assert len(result.output.strip().splitlines()) == 1 or "error:" in result.output.splitlines()[0]


def test_translate_errors_are_one_line_and_write_nothing(store: Path, tmp_path: Path):
    root, out = book(tmp_path), tmp_path / "out"
    base = ["translate", str(root), "--tgt", "zh", "--out", str(out)]
    one_line_error(runner.invoke(app, [*base, "--engine", "memory", "--parallel-data", "x"]), "no amts store")
    Store(store).create("pd-en-zh", memory_pairs())
    one_line_error(runner.invoke(app, [*base, "--engine", "memory", "--parallel-data", "nope"]),
                   "parallel data 'nope': no parallel data named 'nope'")
    one_line_error(runner.invoke(app, [*base, "--engine", "memory"]), "engine 'memory' needs --parallel-data")
    bad = tmp_path / "bad.csv"
    bad.write_text("en,zh\nmodel,模型\ndata\n", encoding="utf-8")
    one_line_error(runner.invoke(app, [*base, "--parallel-data", "pd-en-zh", "--glossary", str(bad)]), "bad.csv:3:")
    spanish = tmp_path / "es.csv"
    Glossary([Term("model", "modelo")], "en", "es").save(spanish)
    one_line_error(runner.invoke(app, [*base, "--glossary", str(spanish)]), "glossary is en->es, not en->zh")
    one_line_error(runner.invoke(app, ["translate", str(root), "--tgt", "es", "--out", str(out),
                                       "--parallel-data", "pd-en-zh"]), "is en->zh, not en->es")
    assert not out.exists()


def test_book_config_parallel_data_not_yet_built_is_a_warning_not_an_error(store: Path, tmp_path: Path):
    root = book(tmp_path)
    (root / "amts.toml").write_text('[book]\ntgt = ["zh"]\nout = "../out"\nengine = "pseudo"\n'
                                    'parallel_data = "later"\nglossary = "none.csv"\n', encoding="utf-8")
    result = runner.invoke(app, ["translate", str(root)])
    assert result.exit_code == 0, result.output
    assert "parallel data later (book config)" in folded(result.output) and "none.csv" in result.output
    assert "0 reused from memory, 3 translated" in folded(result.output)
    one_line_error(runner.invoke(app, ["translate", str(root), "--parallel-data", "later"]), "no amts store")


def test_a_paragraph_pair_answers_the_whole_paragraph_without_the_engine():
    paragraph = "The cup is hot. Wait a minute\nbefore you drink."
    human = "杯子很烫。喝之前等一分钟。"
    memory = TranslationMemory([Pair("The cup is hot. Wait a minute before you drink.", human, "en", "zh")], "en", "zh")
    engine = ScriptedEngine(lambda request, attempt: chinese(request))
    translated = translate_markdown(f"# Tea\n\n{paragraph}\n", AdaptiveTranslator(engine, memory=memory), "en", "zh")
    assert f"\n{human}\n" in translated.text
    assert [r.text for r in engine.requests] == ["Tea"]  # only the heading was sent
    assert translated.counts["memory"] == 1


class SelfDoubtingEngine(ScriptedEngine):
    """Distrusts its first answer for each sentence (as the llama engine does after back-translation)."""

    def results(self, requests: Sequence[Request], src: str, tgt: str) -> list[Translation]:
        return [self.judge(request.text, text)
                for request, text in zip(requests, self.translate(requests, src, tgt), strict=True)]

    def judge(self, masked_source: str, text: str) -> Translation:
        if self.attempts.get(masked_source, 0) <= 1:
            return Translation(text, False, "back-translation similarity 0.40 below the threshold", True)
        return Translation(text, True, "back-translation similarity 0.95", True)


def test_an_engine_that_distrusts_its_output_is_retried_then_flagged_for_review():
    engine = SelfDoubtingEngine(lambda request, attempt: chinese(request))
    (outcome,) = AdaptiveTranslator(engine).translate([SOURCE], "en", "zh")
    assert outcome.status == "engine" and outcome.needs_review
    assert "0.95" in outcome.message and outcome.target.startswith("译文")
    assert len(engine.requests) == 2


def test_an_output_never_trusted_is_reported_and_the_source_kept():
    class NeverTrusted(SelfDoubtingEngine):
        def judge(self, masked_source: str, text: str) -> Translation:
            return Translation(text, False, "back-translation similarity 0.10 below the threshold", True)

    (outcome,) = AdaptiveTranslator(NeverTrusted(lambda request, attempt: chinese(request))).translate(
        [SOURCE], "en", "zh"
    )
    assert outcome.status == "failed" and outcome.target == SOURCE and "0.10" in outcome.message
