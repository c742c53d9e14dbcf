"""The llama engine with the real Gemma-3-270M base GGUF, and the back-translation check."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from amts.engines import EngineUnavailable, Request, get_engine
from amts.engines.ctranslate2 import default_model_dir
from amts.engines.llama import default_model_path
from amts.memory import Example

pytest.importorskip("llama_cpp", reason="llama-cpp-python not installed: bash scripts/models.d/llama.sh builds it")
PH = re.compile(r"\{\d+\}")
CJK = re.compile(r"[\u3400-\u9fff]")
needs_model = pytest.mark.skipif(
    not default_model_path().is_file(), reason="Gemma GGUF missing: run `make models` (scripts/models.d/llama.sh)"
)
needs_zh_en = pytest.mark.skipif(
    not (default_model_dir("zh", "en") / "model.bin").is_file(), reason="OPUS-MT zh->en model missing: make models"
)
EXAMPLES = (  # our own pairs, standing in for what the memory retrieves
    Example("The model {1} is trained on the dataset.", "模型{1}在数据集上训练。"),
    Example("Recurrent neural networks process sequences.", "循环神经网络处理序列。"),
    Example("We evaluate the model in {1}.", "我们在{1}中评估模型。"),
)


@pytest.fixture(scope="module")
def engine():
    if not default_model_path().is_file():
        pytest.skip("Gemma GGUF missing: run `make models` (scripts/models.d/llama.sh)")
    return get_engine("llama")


def test_missing_gguf_is_a_clear_unavailable_error(tmp_path) -> None:
    with pytest.raises(EngineUnavailable, match="no GGUF model"):
        get_engine("llama", model_path=tmp_path / "none.gguf")


@needs_model
def test_prompt_puts_glossary_examples_and_sentence_in_order(engine) -> None:
    request = Request("Neural networks learn from {1}.", EXAMPLES[:2], {"neural network": "神经网络"})
    prompt = engine.prompt(request, "en", "zh")
    assert prompt.index("English: neural network\nChinese: 神经网络") < prompt.index(EXAMPLES[0].source)
    assert prompt.index(EXAMPLES[1].target) < prompt.index("English: Neural networks learn from {1}.")
    assert prompt.endswith("Chinese:")
    fallback = engine.prompt(Request("Hello."), "en", "zh")
    assert fallback.count("English:") >= 3  # our own built-in pairs when the memory gave none


@needs_model
@needs_zh_en
@pytest.mark.slow
def test_en_to_zh_few_shot_keeps_placeholders_and_is_checked(engine) -> None:
    texts = ["The model {1} is evaluated on the test set.", "Neural networks process sequences.",
             "We train the model in {1}."]
    out = engine.translate([Request(t, EXAMPLES) for t in texts], "en", "zh")
    assert len(out) == len(texts)
    for source, target in zip(texts, out, strict=True):
        assert Counter(PH.findall(source)) == Counter(PH.findall(target)), target
        assert CJK.search(target), target  # Chinese, or the source back because it was not trusted
        if target != source:
            check = engine.checks[source]
            assert check.trusted and check.back_translation and not CJK.search(check.back_translation)
    assert engine.always_review


@needs_zh_en
def test_back_translation_score_separates_faithful_from_unrelated() -> None:
    from amts.engines.quality import THRESHOLDS, back_translation_score, check_back_translation

    faithful = back_translation_score("Neural networks learn representations from data.", "神经网络从数据中学习表示。")
    unrelated = check_back_translation("Neural networks learn representations from data.", "今天天气很好，我们去公园。")
    assert faithful > unrelated.score
    assert not unrelated.trusted and unrelated.score < THRESHOLDS[unrelated.method]
    assert faithful >= THRESHOLDS[unrelated.method]
