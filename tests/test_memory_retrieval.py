"""Translation-memory retrieval: exact lookups, CAT match percentages, fuzzy ranking and terms."""

from __future__ import annotations

import random
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from amts.adapt import AdaptiveTranslator
from amts.engines import get_engine
from amts.memory import Pair, Store, TermMatcher, TranslationMemory


def _p(source: str, target: str, origin: str | None = None) -> Pair:
    return Pair(source, target, "en", "zh", {"origin": origin} if origin else {})


BASE = [
    _p("The quick brown fox jumps over the lazy dog.", "敏捷的棕色狐狸跳过了懒狗。", "aligned"),
    _p("The quick brown fox jumped over the lazy cat.", "敏捷的棕色狐狸跳过了懒猫。"),
    _p("A slow green turtle walks under the bridge.", "一只缓慢的绿海龟在桥下行走。"),
    _p("We compute $x^2 + y^2$ as shown in :numref:`sec_norm`.", "如 :numref:`sec_norm` 所示，我们计算 $x^2 + y^2$。"),
    _p("Recurrent neural networks process sequences one token at a time.", "循环神经网络一次处理一个词元的序列。"),
]


def test_exact_normalises_whitespace_and_respects_languages() -> None:
    memory = TranslationMemory(BASE, "en", "zh")
    assert memory.exact("The quick brown fox jumps over the lazy dog.", "en", "zh") == "敏捷的棕色狐狸跳过了懒狗。"
    assert memory.exact("  The quick brown\n  fox jumps over  the lazy dog.\n", "en", "zh") == "敏捷的棕色狐狸跳过了懒狗。"
    assert memory.exact("The quick brown fox jumps over the lazy dog", "en", "zh") is None
    assert memory.exact("The quick brown fox jumps over the lazy dog.", "en", "ja") is None
    assert memory.similar("The quick brown fox jumps over the lazy dog.", "de", "zh", 3) == []


def test_human_translations_beat_machine_ones_whatever_the_order() -> None:
    machine = _p("Attention is all you need.", "注意力就是你所需要的。", "machine")
    human = _p("Attention is all you need.", "注意力是你所需要的全部。", "aligned")
    edited = _p("Attention is all you need.", "只需注意力。", "post-edited")
    for order in ([machine, human], [human, machine]):
        assert TranslationMemory(order, "en", "zh").exact("Attention is all you need.", "en", "zh") == human.target
    assert TranslationMemory([edited, human, machine], "en", "zh").exact(human.source, "en", "zh") == edited.target
    # among equals the later pair wins (a newer alignment supersedes an older one)
    later = _p("Attention is all you need.", "新的译文。", "aligned")
    assert TranslationMemory([human, later], "en", "zh").exact(human.source, "en", "zh") == later.target


def test_match_percentage_is_cat_style_levenshtein() -> None:
    memory = TranslationMemory(BASE, "en", "zh")
    query = "The quick brown fox jumps over the lazy cat."
    matches = memory.matches(query, k=5, min_match=0)
    by_source = {m.source: m.score for m in matches}
    for pair in BASE[:2]:
        expected = round(Levenshtein.normalized_similarity(query, pair.source) * 100, 1)
        assert by_source[pair.source] == expected
    # jumps->jumped (2 edits) is closer than dog->cat (3 edits)
    assert [m.source for m in matches[:2]] == [BASE[1].source, BASE[0].source]
    assert matches[0].score > matches[1].score > 90
    assert all(m.score < 100 for m in matches)


def test_identical_source_is_100_and_inline_differences_cost_a_point() -> None:
    memory = TranslationMemory(BASE, "en", "zh")
    same = memory.matches(BASE[3].source, k=1)
    assert same[0].score == 100.0 and same[0].target == BASE[3].target
    other_math = memory.matches("We compute $a_{ij} \\cdot b_{jk}$ as shown in :numref:`sec_norm`.", k=1)
    # a long formula counts as one element: the prose is identical, only the element differs
    assert other_math[0].source == BASE[3].source and other_math[0].score == 99.0
    raw = Levenshtein.normalized_similarity("We compute $a_{ij} \\cdot b_{jk}$ as shown in :numref:`sec_norm`.", BASE[3].source)
    assert raw * 100 < 90


def test_fuzzy_results_are_ordered_limited_and_thresholded() -> None:
    memory = TranslationMemory(BASE, "en", "zh", min_match=60)
    results = memory.similar("The quick brown fox jumps over the lazy dog!", "en", "zh", 5)
    assert [e.source for e in results] == [BASE[0].source, BASE[1].source]  # the turtle is below 60%
    assert results[0].score > results[1].score >= 60
    assert memory.similar("The quick brown fox jumps over the lazy dog!", "en", "zh", 1)[0].target == BASE[0].target
    assert memory.similar("Completely unrelated words here", "en", "zh", 5) == []
    assert memory.similar("", "en", "zh", 5) == []


def test_term_overlap_breaks_ties() -> None:
    pairs = [_p("cats eat fish daily", "猫每天吃鱼"), _p("dogs eat fish daily", "狗每天吃鱼"), _p("cats eat meat daily", "猫每天吃肉")]
    memory = TranslationMemory(pairs, "en", "zh", min_match=0)
    matches = memory.matches("cats eat fish weekly", k=3)
    assert matches[0].source == "cats eat fish daily"
    assert matches[0].overlap == 0.75


def test_fuzzy_search_finds_the_best_match_among_many() -> None:
    rng = random.Random(7)
    words = [f"w{n}" for n in range(400)] + ["model", "layer", "the", "a", "of", "training", "data"]
    pairs = [_p(" ".join(rng.choice(words) for _ in range(rng.randint(6, 18))), f"译文{i}") for i in range(5000)]
    memory = TranslationMemory(pairs, "en", "zh", min_match=0)
    misses = 0
    for pair in rng.sample(pairs, 40):
        query_words = pair.source.split()
        query_words[rng.randrange(len(query_words))] = "changed"
        query = " ".join(query_words)
        best = max(Levenshtein.normalized_similarity(query, p.source) for p in pairs) * 100
        found = memory.matches(query, k=5)
        misses += not found or abs(found[0].score - round(best, 1)) > 0.05
    assert misses <= 2


def test_cjk_sources_are_searchable() -> None:
    pairs = [Pair("循环神经网络处理序列数据。", "RNNs process sequences.", "zh", "en"), Pair("卷积神经网络处理图像。", "CNNs process images.", "zh", "en")]
    memory = TranslationMemory(pairs, "zh", "en")
    found = memory.similar("循环神经网络处理文本数据。", "zh", "en", 2)
    assert found[0].target == "RNNs process sequences." and found[0].score > 70
    assert memory.exact("循环神经网络处理序列数据。", "zh", "en") == "RNNs process sequences."


def test_glossary_terms() -> None:
    glossary = TermMatcher({"machine translation": "机器翻译", "token": "词元", "GPU": "GPU", "attention": "注意力", "neural network": "神经网络"})
    found = glossary.terms_for("Machine  translation splits text into tokens; a neural network on a GPU does the rest.")
    assert found == {"machine translation": "机器翻译", "token": "词元", "neural network": "神经网络", "GPU": "GPU"}
    assert glossary.terms_for("Tokenization is not a token-free attentional idea") == {"token": "词元"}
    assert TermMatcher({}).terms_for("anything") == {}


def test_glossary_from_term_like_pairs_and_memory_terms() -> None:
    pairs = BASE + [_p("Machine Translation", "机器翻译"), _p("Summary.", "小结。"), _p("encoder-decoder", "编码器-解码器")]
    glossary = TermMatcher.from_pairs(pairs)
    assert set(glossary.terms) == {"Machine Translation", "encoder-decoder"}
    memory = TranslationMemory(pairs, "en", "zh", glossary=glossary)
    assert memory.terms_for("An encoder-decoder for machine translation.") == {
        "encoder-decoder": "编码器-解码器",
        "Machine Translation": "机器翻译",
    }
    assert TranslationMemory(pairs, "en", "zh").terms_for("machine translation") == {}


def test_from_store_and_use_in_the_adaptive_translator(store: Path) -> None:
    backing = Store(store)
    backing.create("tm", BASE)
    backing.update("tm", BASE[:2])
    memory = TranslationMemory.from_store(backing, "tm")
    assert len(memory) == 2
    assert len(TranslationMemory.from_store(backing, "tm", version=1)) == len(BASE)
    translator = AdaptiveTranslator(get_engine("pseudo"), memory=memory, examples=2)
    outcomes = translator.translate([BASE[0].source, "The quick brown fox jumps over a lazy dog."], "en", "zh")
    assert outcomes[0].status == "memory" and outcomes[0].target == BASE[0].target
    assert outcomes[1].status == "engine" and translator.engine_calls == 1
    assert [e.source for e in outcomes[1].examples][:1] == [BASE[0].source]
