"""Layout-only edits must keep every human sentence (issue 21): the whole D2L book, each translated section
merged from ``en-origin`` into a variant of itself whose words are the same but whose layout changed.

Variants built at run time from ``en-origin`` (no text of the book is stored in the repository):

* ``split``: every multi-sentence top-level paragraph split after its first sentence (a blank line);
* ``one-line``: every paragraph re-wrapped onto one line.

For each variant it reports the share of words sent to review (target <= 2%) and the share of the old
translation's prose kept in the output (target >= 99.5%), and, for the real update ``en-origin`` ->
``en-master``, that every paragraph whose source did not change is still in the output byte for byte.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amts.document import parse_markdown  # noqa: E402
from amts.sync import merge_documents  # noqa: E402
from amts.sync.aligning import align_blocks  # noqa: E402
from amts.sync.conserve import ConservationError  # noqa: E402
from amts.sync.diff import UNCHANGED, diff_blocks  # noqa: E402
from amts.sync.tokens import prose_fingerprint  # noqa: E402

MAX_REVIEW = 0.02
MIN_KEPT = 0.995


def data_root() -> Path:
    return Path(os.environ.get("AMTS_D2L_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "d2l")


def sections(root: Path) -> list[str]:
    origin = root / "en-origin"
    return sorted(str(p.relative_to(origin)) for p in origin.rglob("*.md") if (root / "zh" / p.relative_to(origin)).is_file())


def split_paragraphs(text: str) -> str:
    """``text`` with each top-level paragraph of two or more sentences split after its first sentence."""
    doc = parse_markdown(text)
    cuts: list[int] = []
    for block in doc.blocks:
        segments = doc.block_segments(block)
        if block.kind != "paragraph" or len(segments) != 1 or segments[0].continuation:
            continue
        sentences = segments[0].sentences("en")
        if len(sentences) > 1:
            cuts.append(_raw_offset(text, segments[0].start, segments[0].text[: sentences[0].end]))
    out, pos = [], 0
    for cut in cuts:
        rest = text[cut:]
        out.append(text[pos:cut] + "\n\n")
        pos = cut + len(rest) - len(rest.lstrip(" \t\n"))
    out.append(text[pos:])
    return "".join(out)


def _raw_offset(text: str, start: int, prefix: str) -> int:
    """Where ``prefix`` (a segment's text, whose lines may have lost trailing spaces) ends in ``text``."""
    wanted = sum(not ch.isspace() for ch in prefix)
    pos = start
    while wanted:
        wanted -= not text[pos].isspace()
        pos += 1
    return pos


def one_line_paragraphs(text: str) -> str:
    """``text`` with each top-level paragraph's lines joined into one."""
    doc = parse_markdown(text)
    out, pos = [], 0
    for block in doc.blocks:
        segments = doc.block_segments(block)
        if block.kind != "paragraph" or len(segments) != 1 or segments[0].continuation:
            continue
        segment = segments[0]
        out.append(text[pos : segment.start] + " ".join(line.strip() for line in segment.text.split("\n")))
        pos = segment.end
    out.append(text[pos:])
    return "".join(out)


def kept_prose(old_target: str, output: str) -> tuple[int, int]:
    """(characters of the old translation's sentences found in ``output``, all of them), on their prose."""
    out = prose_fingerprint(output)
    kept = total = 0
    for segment in parse_markdown(old_target).segments:
        for sentence in segment.sentences("zh"):
            key = prose_fingerprint(sentence.text)
            total += len(key)
            kept += len(key) if key in out else 0
    return kept, total


def unchanged_paragraphs_identical(old: str, new: str, target: str, output: str) -> tuple[int, int]:
    """(translated paragraphs whose source is unchanged and that are in ``output`` byte for byte, all such)."""
    os_, ns, ot = parse_markdown(old), parse_markdown(new), parse_markdown(target)
    unchanged = {c.old for c in diff_blocks(os_, ns, "en") if c.kind == UNCHANGED}
    same = total = 0
    for link in align_blocks(os_, ot, "en", "zh"):
        if len(link.src) == 1 and link.tgt and link.src[0] in unchanged and os_.blocks[link.src[0]].segments:
            total += 1
            same += all(ot.blocks[j].text in output for j in link.tgt)  # the linked blocks need not be adjacent
    return same, total


def variant_rows(root: Path, name: str, edit: Callable[[str], str]) -> list[dict]:
    review = full = kept = prose = 0
    worst: list[tuple[float, str]] = []
    failed: list[str] = []
    start = time.process_time()
    for rel in sections(root):
        old, target = (root / "en-origin" / rel).read_text("utf-8"), (root / "zh" / rel).read_text("utf-8")
        try:
            result = merge_documents(old, edit(old), target, None, "en", "zh")
        except ConservationError as error:
            failed.append(rel)
            print(f"{rel}: {error}", file=sys.stderr)
            continue
        k, t = kept_prose(target, result.text)
        review, full, kept, prose = review + result.words_to_review, full + result.words_full, kept + k, prose + t
        worst.append((result.words_to_review / max(result.words_full, 1), rel))
    ratio, share = review / max(full, 1), kept / max(prose, 1)
    top = ", ".join(f"{rel} {r:.1%}" for r, rel in sorted(worst, reverse=True)[:3])
    return [
        {"name": f"layout ({name}): words to review", "value": round(ratio, 4), "unit": "ratio", "target": MAX_REVIEW,
         "ok": ratio <= MAX_REVIEW and not failed,
         "note": f"{review} of {full} words; most: {top}; {time.process_time() - start:.0f}s CPU; "
                 f"{len(failed)} section(s) refused by the conservation check {failed[:3]}"},
        {"name": f"layout ({name}): old translation kept", "value": round(share, 4), "unit": "ratio",
         "target": MIN_KEPT, "ok": share >= MIN_KEPT, "note": f"{kept} of {prose} prose characters"},
    ]


def real_update_rows(root: Path) -> list[dict]:
    same = total = files = 0
    for rel in sections(root):
        if not (root / "en-master" / rel).is_file():
            continue
        old, new, target = ((root / folder / rel).read_text("utf-8") for folder in ("en-origin", "en-master", "zh"))
        output = merge_documents(old, new, target, None, "en", "zh").text
        s, t = unchanged_paragraphs_identical(old, new, target, output)
        same, total, files = same + s, total + t, files + 1
    return [{"name": "layout: unchanged paragraphs byte-identical (en-origin -> en-master)", "value": same,
             "unit": "paragraphs", "target": total, "ok": same == total, "note": f"of {total}, {files} sections"}]


def main() -> list[dict]:
    root = data_root()
    if not (root / "en-origin").is_dir():
        print(f"D2L data not found at {root}; set AMTS_D2L_DATA", file=sys.stderr)
        return []
    only = sys.argv[1:]
    rows: list[dict] = []
    for name, edit in (("split", split_paragraphs), ("one-line", one_line_paragraphs)):
        if not only or name in only:
            rows += variant_rows(root, name, edit)
    if not only or "real" in only:
        rows += real_update_rows(root)
    return rows


if __name__ == "__main__":
    for row in main():
        print(row)
