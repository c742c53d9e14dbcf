"""Must show (issue 8): with parallel data aligned from the real D2L books, ``--engine memory``
reproduces the human Chinese of every paragraph whose sentences are all in the memory, and reports
the rest as untranslated. Also: the glossary mined from the same data is followed by the humans."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.adapt.glossary import mine
from amts.align import align_files, align_trees
from amts.cli import app
from amts.document import normalize_space, parse_markdown, read_markdown
from amts.memory import Pair, Store, TranslationMemory

runner = CliRunner()


@pytest.fixture(scope="module")
def book_pairs(d2l: Path) -> list[Pair]:
    """Sentence pairs of the whole book (en-origin + zh) through the shared aligner (~30 s)."""
    return align_trees(d2l / "en-origin", d2l / "zh", "en", "zh", granularity="sentence").pairs


def fold(text: str) -> str:
    """Whitespace removed: Chinese has no spaces between words, and wrapping is not content."""
    return "".join(text.split())


def without_link_targets(text: str) -> str:
    """Link targets left out: a reused translation points where the source points, not at the edition's pages."""
    return re.sub(r"\]\([^)]*\)", "]()", text)


def test_memory_engine_reproduces_human_chinese(d2l: Path, eval_sections: list[str], store: Path, tmp_path: Path,
                                                 book_pairs: list[Pair]):
    Store(store).create("d2l-en-zh", book_pairs)
    memory = TranslationMemory(book_pairs, "en", "zh")
    translations: dict[str, set[str]] = defaultdict(set)
    for pair in book_pairs:
        translations[normalize_space(pair.source, "en")].add(pair.target)
    book, out = tmp_path / "book", tmp_path / "out"
    for section in eval_sections:
        (book / section).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(d2l / "en-origin" / section, book / section)
    result = runner.invoke(app, ["translate", str(book), "--tgt", "zh", "--engine", "memory",
                                 "--parallel-data", "d2l-en-zh", "--out", str(out)])
    assert result.exit_code == 0, result.output

    counts = {"reproduced": 0, "ambiguous": 0, "partial": 0, "none": 0}
    expected_untranslated = expected_reused = 0
    for section in eval_sections:
        source = parse_markdown(read_markdown(d2l / "en-origin" / section))
        relative = Path(section)
        output = parse_markdown(read_markdown(out / relative.parent / f"zh.{relative.name}"))
        assert len(output.segments) == len(source.segments), section  # structure kept block for block
        in_memory: dict[int, list[bool]] = {}
        for segment in source.segments:
            found = [memory.exact(s.key("en"), "en", "zh") is not None for s in segment.sentences("en")]
            in_memory[segment.index] = found
            expected_reused += sum(found)
            expected_untranslated += len(found) - sum(found)
            for sentence, hit in zip(segment.sentences("en"), found, strict=True):
                if not hit:  # reported, and left in English in the output
                    assert fold(sentence.text) in fold(output.segments[segment.index].text), (section, sentence.text)
        # Human Chinese per English paragraph: the paragraph-level alignment of the same files.
        for unit in align_files(d2l / "en-origin" / section, d2l / "zh" / section, "en", "zh", "paragraph").pairs:
            first, last = map(int, str(unit.provenance["src_lines"]).split("-"))
            segments = [s for s in source.segments if first <= s.line + 1 <= last and s.kind != "caption"]
            hits = [hit for s in segments for hit in in_memory[s.index]]
            if not hits or not any(hits):
                counts["none"] += 1
            elif not all(hits):
                counts["partial"] += 1
            elif without_link_targets(fold("".join(output.segments[s.index].text for s in segments))) == \
                    without_link_targets(fold(unit.target)):  # reuse keeps the source's link targets (one link policy)
                counts["reproduced"] += 1
            else:
                # Only a sentence the translators rendered differently elsewhere in the book may differ.
                keys = [sent.key("en") for s in segments for sent in s.sentences("en")]
                assert any(len(translations[key]) > 1 for key in keys), (section, unit.provenance)
                counts["ambiguous"] += 1
    print(f"\nparagraphs: {counts}")
    summary = " ".join(result.output.split())
    assert f"{expected_reused} reused from memory, 0 translated, {expected_untranslated} untranslated" in summary
    full = counts["reproduced"] + counts["ambiguous"]
    assert counts["reproduced"] >= 0.95 * full and full >= 0.8 * sum(counts.values())
    assert counts["partial"] + counts["none"] > 0  # the rest exists and is reported, not silently dropped


def test_mined_glossary_is_what_the_translators_follow(book_pairs: list[Pair]):
    glossary = mine(book_pairs, min_count=2)
    mapping = {term.lower(): target for term, target in glossary.mapping().items()}
    assert mapping["machine translation"] == "机器翻译"
    assert mapping["gradient descent"] == "梯度下降"
    assert 100 <= len(glossary) <= 2000  # precise rather than large
    occurrences = violations = 0
    for pair in book_pairs:
        occurrences += len(glossary.terms_for(pair.source))
        violations += len(glossary.check(pair.source, pair.target))
    print(f"\nglossary: {len(glossary)} terms, humans follow {1 - violations / occurrences:.1%} of {occurrences} uses")
    assert violations <= 0.12 * occurrences
