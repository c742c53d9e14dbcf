"""amts experiment (the 2020 table, both protocols), the engine cache and bench/all.py."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.adapt import AdaptiveTranslator
from amts.cli import app
from amts.engines import Engine, Request
from amts.engines.cache import CachedEngine
from amts.engines.llama import LlamaEngine
from amts.engines.quality import QualityCheck
from amts.evaluate.experiment import run_experiment

REPO = Path(__file__).resolve().parent.parent


class CountingEngine(Engine):
    name = "counting"
    checks_script = False

    def __init__(self) -> None:
        self.seen: list[str] = []

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        self.seen += [r.text for r in requests]
        return [f"<{r.text}>" for r in requests]


def test_cached_engine_translates_each_request_once(tmp_path: Path) -> None:
    inner = CountingEngine()
    cached = CachedEngine(inner, tmp_path / "cache.sqlite")
    assert cached.translate([Request("a"), Request("b")], "en", "zh") == ["<a>", "<b>"]
    cached.new_round()
    assert cached.translate([Request("b"), Request("c")], "en", "zh") == ["<b>", "<c>"]
    assert sorted(inner.seen) == ["a", "b", "c"]  # "b" came from the cache the second time
    cached.close()
    again_inner = CountingEngine()
    again = CachedEngine(again_inner, tmp_path / "cache.sqlite")
    assert again.translate([Request("a"), Request("c")], "en", "zh") == ["<a>", "<c>"]
    assert again_inner.seen == []  # persisted across instances
    # a different language pair or different examples is a different request
    again.translate([Request("a")], "en", "es")
    assert again_inner.seen == ["a"]
    assert again.hits == 2 and again.misses == 1


def test_cached_engine_lets_a_retry_reach_the_engine(tmp_path: Path) -> None:
    inner = CountingEngine()
    cached = CachedEngine(inner, tmp_path / "cache.sqlite")
    cached.translate([Request("a")], "en", "zh")
    cached.translate([Request("a")], "en", "zh")  # the pipeline's retry within one document
    assert inner.seen == ["a", "a"]
    cached.new_round()  # next document: both attempts now come from the cache
    cached.translate([Request("a")], "en", "zh")
    cached.translate([Request("a")], "en", "zh")
    assert inner.seen == ["a", "a"]


@pytest.mark.d2l
@pytest.mark.slow
def test_experiment_original_protocol_leaks_the_reference(d2l: Path, eval_sections: list[str], tmp_path: Path) -> None:
    section = eval_sections[0]
    rows, parallel = run_experiment(
        d2l, ["memory", "apertium", "aws"], sections=[section], directions=[("en", "zh")],
        configs=["sentence"], cache=tmp_path / "cache.sqlite",
    )
    by_key = {(r.system.split()[0], r.config, r.protocol): r for r in rows}
    baseline = by_key[("2020", "none", "-")]
    assert 0.5 < baseline.evaluation.corpus.bleu_unit < 0.8
    original = by_key[("memory", "sentence", "original")]
    held_out = by_key[("memory", "sentence", "held-out")]
    # with its own pairs in the memory, a section is mostly copied from the reference
    assert original.evaluation.corpus.bleu_unit > 0.8
    assert held_out.evaluation.corpus.bleu_unit < 0.5
    assert original.counts["memory"] > 3 * held_out.counts["memory"]
    assert not any(p.provenance.get("file") == section
                   for p in parallel.select("sentence", "en", "zh", "held-out", section))
    aws = [r for r in rows if r.system == "Amazon Translate"]
    assert aws and all(r.status == "not run" and "amts experiment --engine aws --network" in r.note for r in aws)
    apertium = [r for r in rows if r.system.startswith("Apertium")]
    assert apertium and all(r.status in ("n/a", "unavailable") and r.evaluation is None for r in apertium)


@pytest.mark.d2l
@pytest.mark.slow
def test_cli_experiment_writes_the_report(d2l: Path, eval_sections: list[str], tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = CliRunner().invoke(app, [
        "experiment", "--data", str(d2l), "--out", str(out), "--rows-json", str(tmp_path / "rows.json"), "--engine", "memory", "--engine", "openai",
        "--direction", "zh-en", "--granularity", "none", "--section", eval_sections[1], "--cache", str(tmp_path / "c.sqlite"),
    ])
    assert done.exit_code == 0, done.output
    report = out.read_text(encoding="utf-8")
    assert "| ZH->EN | memory only (no MT engine) | none | - |" in report
    assert "not run" in report and "--engine openai --network" in report
    assert "tok:13a" in report and "cores" in report and "sacrebleu 2." in report
    rows = json.loads((tmp_path / "rows.json").read_text(encoding="utf-8"))
    memory = next(r for r in rows if r["system"].startswith("memory"))
    assert memory["direction"] == "zh-en" and memory["config"] == "none" and 0 < memory["corpus"]["bleu"] < 0.5
    assert list(memory["sections"]) == [eval_sections[1]]
    assert any(r["status"] == "not run" for r in rows)


@pytest.mark.d2l
def test_slow_engine_rows_limited_by_slow_configs_say_how_to_run_them(d2l: Path, eval_sections: list[str]) -> None:
    rows, _ = run_experiment(d2l, ["llama"], sections=eval_sections[:1], directions=[("en", "zh"), ("zh", "en")],
                             configs=["none"], slow_configs=["sentence"])
    llama = [r for r in rows if r.system.startswith("llama")]
    assert [(r.direction, r.status) for r in llama] == [(("en", "zh"), "not run"), (("zh", "en"), "skipped")]
    assert "amts experiment --engine llama --direction en-zh --granularity none" in llama[0].note


@pytest.mark.d2l
def test_slow_engine_limited_to_some_sections_says_so(d2l: Path, eval_sections: list[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from amts.evaluate import experiment

    monkeypatch.setattr(experiment, "ENGINES", (experiment.EngineSpec("memory", "memory (slow)", None, slow=True),))
    rows, _ = run_experiment(d2l, ["memory"], sections=eval_sections[:2], directions=[("zh", "en")],
                             configs=["none"], slow_sections=[eval_sections[1]])
    (row,) = [r for r in rows if r.system == "memory (slow)"]
    assert [d.relative for d in row.evaluation.documents] == [eval_sections[1]]
    assert row.note.startswith("1 of 2 sections (bert-dataset)")


def test_cli_experiment_rejects_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["experiment", "--data", str(tmp_path)])
    assert done.exit_code == 2 and "not the D2L data folder" in done.output
    (tmp_path / "en-origin").mkdir()
    (tmp_path / "zh").mkdir()
    done = runner.invoke(app, ["experiment", "--data", str(tmp_path), "--engine", "babelfish"])
    assert done.exit_code == 2 and "unknown engine" in done.output
    done = runner.invoke(app, ["experiment", "--data", str(tmp_path), "--direction", "en-fr"])
    assert done.exit_code == 2 and "--direction" in done.output


def _load_bench_all():
    spec = importlib.util.spec_from_file_location("bench_all", REPO / "bench" / "all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_all_tolerates_broken_and_missing_scripts(tmp_path: Path) -> None:
    bench_all = _load_bench_all()
    good = tmp_path / "good.py"
    good.write_text("def main():\n    return [{'name': 'speed', 'value': 2.0, 'unit': 'x', 'target': '>= 1', 'ok': True}]\n")
    broken = tmp_path / "broken.py"
    broken.write_text("def main():\n    raise RuntimeError('model not found')\n")
    no_main = tmp_path / "nomain.py"
    no_main.write_text("X = 1\n")
    rows = [r for p in (good, broken, no_main, tmp_path / "gone.py") for r in bench_all.run_script(p)]
    assert [r["ok"] for r in rows] == [True, False, False, False]
    assert "RuntimeError: model not found" in rows[1]["note"]
    assert rows[2]["note"] == "no main() in script"
    assert rows[3]["note"] == "script missing"
    table = bench_all.format_table(rows)
    assert "speed" in table and "MISSED" in table and table.count("\n") == len(rows) + 1


class ScriptedLlama(LlamaEngine):
    """The real llama engine class (its flags, its judgement of outputs) with a scripted model:
    the first answer per sentence fails the back-translation check, the second passes."""

    def __init__(self) -> None:  # no model: ``_one`` below stands in for the GGUF and the checker
        self.checks = {}
        self.calls: list[str] = []
        self.model = None

    def _one(self, request: Request, src: str, tgt: str) -> str:
        self.calls.append(request.text)
        attempt = self.calls.count(request.text)
        output = f"译文{attempt}。"
        score = 0.10 if attempt == 1 else 0.95
        self.checks[request.text] = QualityCheck(request.text, output, "back", score, "chrf")
        return output


def test_a_cached_llama_engine_keeps_its_review_flag_and_back_translation_veto(tmp_path: Path) -> None:
    outcomes = []
    for run in range(2):  # the second run answers from the cache alone
        inner = ScriptedLlama()
        cached = CachedEngine(inner, tmp_path / "cache.sqlite")
        assert cached.always_review and inner.always_review
        (outcome,) = AdaptiveTranslator(cached).translate(["A plain sentence."], "en", "zh")
        outcomes.append(outcome)
        assert inner.calls == (["A plain sentence."] * 2 if run == 0 else [])
        cached.close()
    for outcome in outcomes:
        # the first answer was vetoed (the pipeline retried), the second is used and flagged for review
        assert outcome.status == "engine" and outcome.target == "译文2。"
        assert outcome.needs_review and "back-translation similarity 0.95" in outcome.message
    cache = CachedEngine(ScriptedLlama(), tmp_path / "cache.sqlite")
    (first,) = cache.results([Request("A plain sentence.")], "en", "zh")
    assert not first.trusted and "below the threshold" in first.note and first.review


def test_the_cache_key_of_a_local_model_names_its_file_and_its_options(tmp_path: Path) -> None:
    """Another GGUF put at the same path, or another seed, must not reuse the old model's outputs."""
    model = tmp_path / "model.gguf"
    model.write_bytes(b"one model")
    engine = ScriptedLlama()
    engine.model_path, engine.seed, engine.examples = model, 0, 4
    first = engine.cache_identity()
    assert first == engine.cache_identity() and first["model_path_file"]
    model.write_bytes(b"another, larger model")
    assert engine.cache_identity() != first
    second = engine.cache_identity()
    engine.seed = 1
    assert engine.cache_identity() != second
