"""One translation setup: translate, sync and job read amts.toml the same way; jobs translate notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jobs_helpers import amts, status
from notebooks import assert_small_notebook_translated, small_notebook_text

import amts.adapt.setup as adapt_setup
from amts.adapt.glossary import Glossary, Term
from amts.adapt.setup import SetupError, TranslationSetup, build_translator
from amts.config import BookConfig
from amts.jobs import JobStore
from amts.memory import Pair, Store

MARKER = "〔toml〕"
SOURCE = "# Neural networks\n\nNeural networks learn from data. A model has many weights.\n"
OLD_SOURCE = "# Neural networks\n\nNeural networks learn from data.\n"
OLD_TARGET = "# 神经网络\n\n神经网络从数据中学习。\n"


def make_book(root: Path) -> Path:
    """A book whose amts.toml names everything: languages, engine and its options, parallel data,
    glossary, examples and the output folder."""
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.md").write_text(SOURCE, encoding="utf-8")
    Glossary([Term("model", "模型")], "en", "zh").save(root / "terms.csv")
    (root / "amts.toml").write_text(
        '[book]\nsrc = "en"\ntgt = ["zh"]\nengine = "counting"\nparallel_data = "nn"\nglossary = "terms.csv"\n'
        f'examples = 2\nout = "out"\n\n[engine.counting]\nmarker = "{MARKER}"\n', encoding="utf-8")
    return root


@pytest.fixture
def book(tmp_path: Path, store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    Store(store).create("nn", [Pair("Neural networks learn from data.", "神经网络从数据中学习。", "en", "zh"),
                               Pair("Neural networks", "神经网络", "en", "zh")])
    root = make_book(tmp_path / "book")
    monkeypatch.chdir(root)  # amts.toml is found in the current folder, as a maintainer runs it
    return root


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[tuple[TranslationSetup, str]]:
    """Every (setup, target) a command builds a translator from, in this process."""
    seen: list[tuple[TranslationSetup, str]] = []
    original = adapt_setup._build

    def spy(setup, tgt, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append((setup, tgt))
        return original(setup, tgt, *args, **kwargs)

    monkeypatch.setattr(adapt_setup, "_build", spy)
    return seen


def test_translate_sync_and_job_read_amts_toml_identically(book: Path, store: Path, built: list) -> None:
    amts("translate", "src")  # everything else from amts.toml
    translated = (book / "out" / "zh.a.md").read_text(encoding="utf-8")
    (book / "old.md").write_text(OLD_SOURCE, encoding="utf-8")
    (book / "zh.old.md").write_text(OLD_TARGET, encoding="utf-8")
    amts("sync", "--old-source", "old.md", "--new-source", "src/a.md", "--old-target", "zh.old.md",
         "--out", "synced.md")
    synced = (book / "synced.md").read_text(encoding="utf-8")
    job_id = amts("job", "start", "src", "--out", str(book / "job-out")).stdout.strip()
    amts("job", "wait", job_id)
    with JobStore(store) as jobs:
        job_setup = jobs.get(job_id).spec.setup(store)

    (translate_setup, _), (sync_setup, _) = built
    signatures = {setup.signature("zh") for setup in (translate_setup, sync_setup, job_setup)}
    assert len(signatures) == 1, signatures
    (signature,) = signatures
    assert "engine:counting" in signature and json.dumps(MARKER) in signature and "pd:nn@v1" in signature
    assert "examples:2" in signature and "glossary:none" not in signature
    # and they behave alike: the human sentence from the memory, the new one through the configured engine
    assert (book / "job-out" / "zh.a.md").read_text(encoding="utf-8") == translated
    for text in (translated, synced):
        assert "神经网络从数据中学习。" in text and f"{MARKER}A model has many weights." in text
    assert status(job_id)["languages"]["zh"]["sentences"] == {"memory": 2, "engine": 1}


def test_jobs_translate_notebooks_like_translate(tmp_path: Path, store: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "nb.ipynb").write_text(small_notebook_text(), encoding="utf-8")
    (tmp_path / "src" / "a.md").write_text("# Plain\n\nText here.\n", encoding="utf-8")
    job_id = amts("job", "start", str(tmp_path / "src"), "--tgt", "zh", "--engine", "pseudo",
                  "--out", str(tmp_path / "job")).stdout.strip()
    amts("job", "wait", job_id)
    amts("translate", str(tmp_path / "src"), "--tgt", "zh", "--engine", "pseudo", "--out", str(tmp_path / "cli"))
    from_job = (tmp_path / "job" / "zh.nb.ipynb").read_text(encoding="utf-8")
    assert from_job == (tmp_path / "cli" / "zh.nb.ipynb").read_text(encoding="utf-8")
    assert_small_notebook_translated(from_job)
    assert status(job_id)["languages"]["zh"]["translated_documents"] == 2


def test_the_memory_engine_is_handled_by_the_setup(tmp_path: Path, store: Path) -> None:
    setup = TranslationSetup("en", ["zh"], engine="memory", store=store)
    with pytest.raises(SetupError, match="needs --parallel-data"):
        build_translator(setup, "zh")
    assert build_translator(setup, "zh", memory_optional=True).engine is None  # sync: report, never invent
    given = TranslationSetup("en", ["zh"], engine="memory", pairs={"zh": [Pair("Hi.", "你好。", "en", "zh")]})
    translator = build_translator(given, "zh")
    assert translator.engine is None and translator.recall("Hi.", "en", "zh") == "你好。"


def test_command_line_options_win_over_amts_toml_and_engines_follow_languages(tmp_path: Path) -> None:
    book = BookConfig(path=tmp_path / "amts.toml", src="en", tgt=["zh", "es"], engine="pseudo",
                      engines={"es": "identity"}, examples=3)
    setup = TranslationSetup.from_config(book)
    assert (setup.engine_for("zh"), setup.engine_for("es"), setup.engine_for("zh-CN")) == ("pseudo", "identity", "pseudo")
    assert setup.examples == 3
    forced = TranslationSetup.from_config(book, engine="counting", targets="es", examples=0)
    assert forced.engine_for("es") == "counting" and forced.targets == ["es"] and forced.examples == 0
    assert setup.signature("zh") != forced.signature("zh")


def test_amts_toml_parallel_data_not_there_yet_is_a_warning_for_translate_and_job(tmp_path: Path, store: Path,
                                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.md").write_text("# Tea\n\nTea is hot.\n", encoding="utf-8")
    (tmp_path / "amts.toml").write_text('[book]\ntgt = ["zh"]\nengine = "pseudo"\nparallel_data = "later"\n'
                                        'out = "out"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    warning = "parallel data later (book config) not in"
    assert warning in amts("translate", "src").stderr
    started = amts("job", "start", "src", "--out", "job-out")
    assert warning in started.stderr
    amts("job", "wait", started.stdout.strip())
    assert (tmp_path / "job-out" / "zh.a.md").read_text(encoding="utf-8") == \
        (tmp_path / "out" / "zh.a.md").read_text(encoding="utf-8")
    (tmp_path / "amts.toml").write_text('[book]\ntgt = ["zh"]\nengine = "memory"\nparallel_data = "later"\n',
                                        encoding="utf-8")
    for command in (["translate", "src", "--out", "o"], ["job", "start", "src", "--out", "o"]):
        refused = amts(*command, check=False)
        assert refused.returncode == 2 and "engine 'memory' needs --parallel-data with en->zh pairs" in refused.stderr
