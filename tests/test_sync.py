"""Sync on the real D2L source updates (../shared/data/d2l/sync): human work kept, only changes translated."""

from __future__ import annotations

from pathlib import Path

import pytest

from amts.adapt import AdaptiveTranslator
from amts.document import normalize_space, parse_markdown
from amts.engines.testing import CountingEngine
from amts.sync import merge_documents
from amts.sync.aligning import align_blocks
from amts.sync.compare import compare_translations
from amts.sync.diff import block_key
from amts.sync.state import source_sentences
from amts.sync.tokens import prose_fingerprint

CASES = [
    ("approx-training", "en_new.md"),
    ("bert-dataset", "en_new.md"),
    ("sentiment-analysis-and-dataset", "en_new.md"),
    ("machine-translation-and-dataset", "en_new_85c1389a.md"),
    ("machine-translation-and-dataset", "en_new_master.md"),
    ("pooling", "en_new.md"),
    ("parameters", "en_new.md"),
]


def _load(d2l: Path, case: str, new: str) -> tuple[str, str, str]:
    folder = d2l / "sync" / case
    return ((folder / "en_old.md").read_text("utf-8"), (folder / new).read_text("utf-8"),
            (folder / "zh_old.md").read_text("utf-8"))


def _sync(old: str, new: str, target: str, engine: CountingEngine | None):
    return merge_documents(old, new, target, AdaptiveTranslator(engine), "en", "zh")


def _has_sentence_aligner() -> bool:
    import amts.align

    return hasattr(amts.align, "align_sentences")


def _sentence_keys(text: str) -> list[str]:
    doc = parse_markdown(text)
    return [normalize_space(s, "en") for seg in doc.segments for s in source_sentences(seg, "en")]


@pytest.mark.d2l
@pytest.mark.parametrize(("case", "new"), CASES)
def test_unchanged_paragraphs_are_byte_identical(d2l: Path, case: str, new: str) -> None:
    old, new_text, target = _load(d2l, case, new)
    result = _sync(old, new_text, target, CountingEngine())
    old_doc, tgt_doc = parse_markdown(old), parse_markdown(target)
    new_keys = {block_key(b, "en") for b in parse_markdown(new_text).blocks if b.kind != "blank"}
    checked = 0
    for link in align_blocks(old_doc, tgt_doc, "en", "zh"):
        if not link.src or not link.tgt:
            continue
        if all(block_key(old_doc.blocks[i], "en") in new_keys for i in link.src):
            for j in link.tgt:
                assert tgt_doc.blocks[j].text in result.text, f"{case}: lost unchanged block at line {tgt_doc.blocks[j].line + 1}"
                checked += 1
    assert checked >= 5  # even the large rewrite (machine-translation -> master) keeps a few


@pytest.mark.d2l
@pytest.mark.parametrize(("case", "new"), CASES)
def test_engine_gets_exactly_the_changed_sentences(d2l: Path, case: str, new: str) -> None:
    old, new_text, target = _load(d2l, case, new)
    engine = CountingEngine()
    result = _sync(old, new_text, target, engine)
    assert result.engine_calls == engine.calls == len(engine.requests)
    requested = [r.text for r in engine.requests]
    old_keys = set(_sentence_keys(old))
    old_prose = {prose_fingerprint(k) for k in old_keys}
    sent = [r for r in result.records if r.target_new and "〔MT〕" in r.target_new]
    unchanged_sent = [r.source_new for r in sent if r.source_new in old_keys]
    # nothing unchanged goes to the engine, except a moved sentence whose old translation the
    # translators merged with a neighbour's (2:1): it cannot be cut out (one in the master rewrite;
    # without a sentence aligner in amts.align, its whole paragraph of three)
    assert len(unchanged_sent) <= (1 if _has_sentence_aligner() else 3), f"{case}: {unchanged_sent}"
    changed = [k for k in _sentence_keys(new_text) if k not in old_keys and prose_fingerprint(k) not in old_prose]
    for key in changed:  # every really changed sentence does (alone, or with the sentence it is joined to)
        assert any(key in (r.source_new or "") for r in sent), f"{case}: changed sentence not translated: {key[:80]}"
    assert len(requested) == len({r.source_new for r in sent})
    translated = [r for r in result.records if r.status in ("translated", "added") and r.source_new
                  and r.target_new and "〔MT〕" in r.target_new]
    assert len({r.source_new for r in translated}) == engine.calls  # one request per distinct changed sentence
    # only whole sentences that changed: never (much) more requests than changed sentences
    assert engine.calls <= len(set(changed)) + 2


@pytest.mark.d2l
def test_bert_dataset_slide_marks_need_no_engine(d2l: Path) -> None:
    old, new_text, target = _load(d2l, "bert-dataset", "en_new.md")
    engine = CountingEngine()
    result = _sync(old, new_text, target, engine)
    assert engine.calls == 3  # the three modified sentences, nothing for the six slide-mark-only paragraphs
    slide_only = [r for r in result.records if r.status == "propagated" and r.source_new
                  and ("[**" in r.source_new or "(**" in r.source_new)]
    assert len(slide_only) == 6
    assert not any(r.needs_review for r in slide_only)
    headings = [r.target_new for r in slide_only if r.target_new and r.target_new.startswith("[**")]
    assert len(headings) == 2  # whole headings wrapped: the marks were placed in the translation too


@pytest.mark.d2l
def test_offline_sync_keeps_old_translation_flagged_fuzzy(d2l: Path) -> None:
    old, new_text, target = _load(d2l, "approx-training", "en_new.md")
    result = _sync(old, new_text, target, None)
    assert result.engine_calls == 0
    fuzzy = [r for r in result.records if r.status == "fuzzy"]
    assert fuzzy and all(r.needs_review and r.target_new == r.target_old for r in fuzzy)
    assert all(r.target_new in result.text for r in fuzzy)


@pytest.mark.d2l
@pytest.mark.parametrize("case", ["pooling", "parameters"])
def test_paragraphs_humans_left_unchanged_stay_unchanged(d2l: Path, case: str) -> None:
    old, new_text, target = _load(d2l, case, "en_new.md")
    human = (d2l / "sync" / case / "zh_new_human.md").read_text("utf-8")
    result = _sync(old, new_text, target, None)
    ours = {b.text for b in parse_markdown(result.text).blocks if b.kind != "blank"}
    old_blocks = {b.text for b in parse_markdown(target).blocks if b.kind != "blank"}
    left_alone = [b.text for b in parse_markdown(human).blocks if b.kind != "blank" and b.text in old_blocks]
    missing = [text for text in left_alone if text not in ours]
    assert not missing, f"{case}: blocks the translators kept but we changed: {missing[:3]}"
    comparison = compare_translations(result.text, human)
    print(f"\n{case}: ours vs the translators' own sync:\n{comparison.to_markdown()}")
    assert comparison.same >= len(left_alone) - 2
    # where we differ, the English changed there: each block only we have is new or updated text
    assert len(comparison.only_ours) <= 12


@pytest.mark.d2l
def test_second_sync_from_new_source_is_a_no_op(d2l: Path) -> None:
    old, new_text, target = _load(d2l, "bert-dataset", "en_new.md")
    first = _sync(old, new_text, target, CountingEngine())
    engine = CountingEngine()
    second = _sync(new_text, new_text, first.text, engine)
    assert second.text == first.text and engine.calls == 0
    assert {r.status for r in second.records} == {"kept"}
