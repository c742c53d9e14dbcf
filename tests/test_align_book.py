"""Alignment on the real D2L books: hand-made gold set, pair counts, and the raw-MT sanity check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amts.align import align_documents, align_trees
from amts.document import parse_markdown

GOLD = Path(__file__).parent / "data" / "align_gold_eval.json"

pytestmark = pytest.mark.d2l


def _parse(path: Path):  # noqa: ANN202
    return parse_markdown(path.read_text(encoding="utf-8"))


def test_gold_covers_the_evaluation_sections(eval_sections: list[str]) -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    assert sorted(gold["sections"]) == sorted(eval_sections)


def test_every_one_to_one_heading_and_paragraph_pair_is_right(d2l: Path, eval_sections: list[str]) -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["sections"]
    problems: list[str] = []
    for section in eval_sections:
        src, tgt = _parse(d2l / "en-origin" / section), _parse(d2l / "zh" / section)
        expected = {int(a): b for a, b in gold[section]["one_to_one"].items()}
        partial = {int(a): set(b) for a, b in gold[section]["partial"].items()}
        found: dict[int, list[int]] = {}
        for link in align_documents(src, tgt, "en", "zh"):
            for i in link.src:
                found[src.blocks[i].line + 1] = [tgt.blocks[j].line + 1 for j in link.tgt]
        for src_line, tgt_line in expected.items():
            if found.get(src_line) != [tgt_line]:
                problems.append(f"{section}:{src_line}: expected 1:1 with zh line {tgt_line}, got {found.get(src_line)}")
        for src_line, allowed in partial.items():
            if not set(found.get(src_line, [])) <= allowed:
                problems.append(f"{section}:{src_line}: linked to {found[src_line]}, outside {sorted(allowed)}")
        # No 1:1 heading/paragraph link that the gold set does not know.
        for block in src.blocks:
            line = block.line + 1
            if block.kind in ("heading", "paragraph") and line not in expected and line not in partial:
                targets = found.get(line)
                segments = src.block_segments(block)
                if targets and len(targets) == 1 and segments and segments[0].kind != "caption":
                    problems.append(f"{section}:{line}: unexpected 1:1 link to zh line {targets[0]}")
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def book_sentences(d2l: Path):  # noqa: ANN201
    return align_trees(d2l / "en-origin", d2l / "zh", "en", "zh", "sentence", workers=2)


def test_whole_book_paragraph_and_sentence_pair_counts(d2l: Path, book_sentences) -> None:  # noqa: ANN001
    paragraphs = align_trees(d2l / "en-origin", d2l / "zh", "en", "zh", "paragraph", workers=2)
    assert paragraphs.files == 139 and not paragraphs.unmatched_src and not paragraphs.unmatched_tgt
    assert len(paragraphs.pairs) >= 4900
    assert len(book_sentences.pairs) >= 9000
    assert book_sentences.shapes["1:1"] > 0.8 * len(book_sentences.pairs)


def test_pairs_carry_provenance_that_points_at_their_text(d2l: Path, book_sentences) -> None:  # noqa: ANN001
    lines_cache: dict[Path, list[str]] = {}

    def lines(path: Path) -> list[str]:
        if path not in lines_cache:
            lines_cache[path] = path.read_text(encoding="utf-8").splitlines()
        return lines_cache[path]

    for pair in book_sentences.pairs[::97]:  # a spread sample
        prov = pair.provenance
        assert prov["origin"] == "aligned" and 0.0 <= float(prov["score"]) <= 1.0
        a, b = (int(x) for x in str(prov["src_lines"]).split("-"))
        c, d = (int(x) for x in str(prov["tgt_lines"]).split("-"))
        assert 1 <= a <= b and 1 <= c <= d
        src_text = " ".join(lines(d2l / "en-origin" / str(prov["file"]))[a - 1 : b])
        first_word = pair.source.split()[0]
        assert first_word in src_text, (prov, pair.source)
        tgt_text = "".join(lines(d2l / "zh" / str(prov["file"]))[c - 1 : d])
        assert pair.target[:2] in tgt_text.replace("[**", "").replace("(**", ""), (prov, pair.target)
        assert "\n" not in pair.source and "\n" not in pair.target
        assert "[**" not in pair.target and "**]" not in pair.target


def test_raw_machine_translation_aligns_one_to_one(d2l: Path) -> None:
    """Raw MT was made paragraph by paragraph: at least 99% of source paragraphs must pair 1:1.

    Sections whose stored MT is truncated (fewer than half the source's prose blocks) are left out:
    nothing can align there.
    """
    one_to_one = total = 0
    for src_path in sorted((d2l / "raw-mt" / "en").rglob("*.md")):
        tgt_path = d2l / "raw-mt" / "zh" / src_path.relative_to(d2l / "raw-mt" / "en")
        src, tgt = _parse(src_path), _parse(tgt_path)
        prose = {b.index for b in src.blocks if b.segments and b.kind in ("heading", "paragraph", "list")}
        if 2 * sum(1 for b in tgt.blocks if b.segments) < len(prose):
            continue
        for link in align_documents(src, tgt, "en", "zh"):
            counted = [i for i in link.src if i in prose]
            total += len(counted)
            one_to_one += len(counted) if link.shape == "1:1" else 0
    assert total > 4000
    assert one_to_one / total >= 0.99, f"{one_to_one}/{total} = {one_to_one / total:.4f}"
