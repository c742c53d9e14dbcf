"""From two books to parallel data: match files, align their blocks and sentences, emit pairs.

Pairs keep Markdown with wrapping folded (``Sentence.key``) and carry their provenance (file, 1-based
line ranges on both sides, shape, score), so every pair can be traced back and re-checked. Code,
display math and figures are anchors for alignment but never become pairs; headings, paragraphs,
list items, quotes and table cells do. Slide marks (``[**...**]``), which only the Chinese D2L has,
are removed from the target text.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from amts.align.blocks import BlockLink, align_documents
from amts.align.evidence import strip_target_additions
from amts.align.sentences import align_sentences
from amts.document import Document, Segment, is_cjk_language, normalize_space, parse_markdown, read_markdown
from amts.memory.pairs import Pair
from amts.tree import discover

GRANULARITIES = ("paragraph", "sentence")
ORIGIN_SUFFIX = "_origin.md"


#: pairs scoring below this are left out of parallel data (see docs/align.md, "Quality gates")
DEFAULT_MIN_SCORE = 0.5


@dataclass(frozen=True)
class QualityGates:
    """What an aligned pair must pass to be parallel data.

    ``min_score``: the alignment score (0-1) below which a pair is noise (on D2L: 4 of 11,266 sentence
    pairs, all wrong or partial). ``keep_identical``: keep pairs whose target is the source text
    (untranslated files, table cells of names), which teach an engine to copy.
    """

    min_score: float = DEFAULT_MIN_SCORE
    keep_identical: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"the minimum alignment score must be between 0 and 1, not {self.min_score}")


NO_GATES = QualityGates(min_score=0.0, keep_identical=True)


def _comparable(text: str) -> str:
    return " ".join(text.split()).casefold()


def is_identical(pair: Pair) -> bool:
    """Whether the target is the source text itself (whitespace and case aside): not a translation."""
    return _comparable(pair.source) == _comparable(pair.target)


@dataclass
class AlignmentResult:
    """Pairs of all matched files, files without a counterpart, and counts for the summary."""

    pairs: list[Pair] = field(default_factory=list)
    unmatched_src: list[str] = field(default_factory=list)
    unmatched_tgt: list[str] = field(default_factory=list)
    files: int = 0
    shapes: Counter[str] = field(default_factory=Counter)  # pairs by shape
    warnings: list[str] = field(default_factory=list)
    below_score: int = 0  # pairs left out by the quality gates: score under min_score
    identical: int = 0  # ... target identical to the source

    def add(self, other: AlignmentResult) -> None:
        self.below_score += other.below_score
        self.identical += other.identical
        self.pairs.extend(other.pairs)
        self.unmatched_src.extend(other.unmatched_src)
        self.unmatched_tgt.extend(other.unmatched_tgt)
        self.files += other.files
        self.shapes.update(other.shapes)
        self.warnings.extend(other.warnings)

    @property
    def stats(self) -> dict[str, object]:
        return {
            "files": self.files,
            "pairs": len(self.pairs),
            "shapes": dict(sorted(self.shapes.items())),
            "unmatched_src": len(self.unmatched_src),
            "unmatched_tgt": len(self.unmatched_tgt),
            "below_score": self.below_score,
            "identical": self.identical,
        }

    def gate(self, gates: QualityGates) -> None:
        """Leave out the pairs that fail ``gates`` (counted in ``below_score`` and ``identical``)."""
        kept: list[Pair] = []
        for pair in self.pairs:
            if float(pair.provenance.get("score", 1.0)) < gates.min_score:
                self.below_score += 1
            elif not gates.keep_identical and is_identical(pair):
                self.identical += 1
            else:
                kept.append(pair)
                continue
            self.shapes[str(pair.provenance.get("shape", ""))] -= 1
        self.pairs = kept
        self.shapes = +self.shapes  # drop shapes that no longer occur


def _check_granularity(granularity: str) -> None:
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}, not {granularity!r}")


def match_files(src_dir: Path, tgt_dir: Path, tgt_lang: str | None = None) -> tuple[list[tuple[Path, Path, str]], list[str], list[str]]:
    """``(src file, tgt file, relative name)`` pairs and the unmatched relative names of each side.

    Files match by relative path; a target may also be named ``<tgt>.<name>`` (``amts translate``
    output). In the d2lbook layout the target tree keeps the source each section was translated from
    as ``<name>_origin.md`` beside ``<name>.md``: when the source tree has such files, exactly those
    are the sources, each paired with its ``<name>.md`` in the target tree.
    """
    src_files, _ = discover(src_dir)
    tgt_files, _ = discover(tgt_dir)
    tgt_by_name = {f.relative.as_posix(): f.path for f in tgt_files}
    origins = [f for f in src_files if f.relative.name.endswith(ORIGIN_SUFFIX)]
    used: set[str] = set()
    matched: list[tuple[Path, Path, str]] = []
    unmatched_src: list[str] = []
    if origins:
        sources = [(f, f.relative.with_name(f.relative.name[: -len(ORIGIN_SUFFIX)] + ".md")) for f in origins]
        # In a tree aligned against itself, the origins themselves are not targets.
        used.update(f.relative.as_posix() for f in tgt_files if f.relative.name.endswith(ORIGIN_SUFFIX))
    else:
        sources = [(f, f.relative) for f in src_files]
    for source, wanted in sources:
        candidates = [wanted.as_posix()]
        if tgt_lang:
            candidates.append(wanted.with_name(f"{tgt_lang}.{wanted.name}").as_posix())
        name = next((c for c in candidates if c in tgt_by_name and c not in used), None)
        if name is None:
            unmatched_src.append(source.relative.as_posix())
            continue
        used.add(name)
        matched.append((source.path, tgt_by_name[name], wanted.as_posix()))
    unmatched_tgt = [name for name in tgt_by_name if name not in used]
    return matched, sorted(unmatched_src), sorted(unmatched_tgt)


def align_trees(
    src_dir: Path,
    tgt_dir: Path,
    src_lang: str,
    tgt_lang: str,
    granularity: str = "sentence",
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
    gates: QualityGates = QualityGates(),  # noqa: B008 - frozen, immutable
) -> AlignmentResult:
    """Align every matched file of two book trees; ``progress(name)`` is called after each file.

    Pairs failing the quality ``gates`` are left out and counted (``NO_GATES`` keeps everything).

    Files are independent, so ``workers`` processes (default: one per CPU, at most 4) share them;
    pairs come back in file order whatever the number of workers.
    """
    _check_granularity(granularity)
    matched, unmatched_src, unmatched_tgt = match_files(Path(src_dir), Path(tgt_dir), tgt_lang)
    result = AlignmentResult(unmatched_src=unmatched_src, unmatched_tgt=unmatched_tgt)
    jobs = [(src, tgt, src_lang, tgt_lang, granularity, name, gates) for src, tgt, name in matched]
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(jobs) < 8:
        for job in jobs:
            result.add(align_files(*job))
            if progress:
                progress(job[5])
        return result
    # Largest files first, one at a time, so both cores stay busy to the end; results in file order.
    by_size = sorted(range(len(jobs)), key=lambda i: -(jobs[i][0].stat().st_size + jobs[i][1].stat().st_size))
    parts: dict[int, AlignmentResult] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        futures = {pool.submit(_align_job, jobs[i]): i for i in by_size}
        for future in as_completed(futures):
            parts[futures[future]] = future.result()
            if progress:
                progress(jobs[futures[future]][5])
    for i in range(len(jobs)):
        result.add(parts[i])
    return result


def _pool_context() -> multiprocessing.context.BaseContext:
    """Workers come from a forkserver with the aligner already imported.

    Plain fork is not safe here: a forked child of a process with threads (a progress bar, a server)
    can deadlock on a lock some thread held.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["amts.align.files"])
    return context


def _align_job(job: tuple[Path, Path, str, str, str, str, QualityGates]) -> AlignmentResult:
    return align_files(*job)


def align_files(
    src_path: Path,
    tgt_path: Path,
    src_lang: str,
    tgt_lang: str,
    granularity: str = "sentence",
    name: str | None = None,
    gates: QualityGates = QualityGates(),  # noqa: B008 - frozen, immutable
) -> AlignmentResult:
    """Align one file with its translation (raises ``DocumentError`` for unreadable files).

    Pairs failing the quality ``gates`` are left out and counted (``NO_GATES`` keeps everything).
    """
    _check_granularity(granularity)
    src_doc = parse_markdown(read_markdown(Path(src_path)))
    tgt_doc = parse_markdown(read_markdown(Path(tgt_path)))
    pairs = document_pairs(src_doc, tgt_doc, src_lang, tgt_lang, granularity, name or Path(src_path).name)
    result = AlignmentResult(pairs=pairs, files=1)
    result.shapes.update(str(p.provenance["shape"]) for p in pairs)
    result.warnings.extend(f"{name or src_path}: {w}" for w in src_doc.warnings)
    result.gate(gates)
    return result


def document_pairs(
    src_doc: Document,
    tgt_doc: Document,
    src_lang: str,
    tgt_lang: str,
    granularity: str = "sentence",
    file: str = "",
    links: list[BlockLink] | None = None,
) -> list[Pair]:
    """Parallel pairs of two parsed documents (``links`` from :func:`align_documents` if given)."""
    _check_granularity(granularity)
    if links is None:
        links = align_documents(src_doc, tgt_doc, src_lang, tgt_lang)
    emit = _PairBuilder(src_doc, tgt_doc, src_lang, tgt_lang, file)
    for link in links:
        src_segments = _prose_segments(src_doc, link.src)
        tgt_segments = _prose_segments(tgt_doc, link.tgt)
        if not src_segments or not tgt_segments:
            continue
        for src_unit, tgt_unit, shape, score in _units(src_segments, tgt_segments, link, src_lang, tgt_lang):
            if granularity == "paragraph":
                emit.unit(src_unit, tgt_unit, shape, score)
            else:
                emit.sentences(src_unit, tgt_unit)
    return emit.pairs


def _prose_segments(doc: Document, blocks: list[int]) -> list[Segment]:
    return [s for b in blocks for s in doc.block_segments(doc.blocks[b]) if s.kind != "caption"]


def _units(
    src: list[Segment], tgt: list[Segment], link: BlockLink, src_lang: str, tgt_lang: str
) -> list[tuple[list[Segment], list[Segment], str, float]]:
    """Translation units of a block link: the whole link, or item by item for lists and tables."""
    if len(src) == 1 and len(tgt) == 1:
        return [(src, tgt, link.shape, link.score)]
    if link.shape != "1:1":
        return [(src, tgt, link.shape, link.score)]
    # Lists and tables: items/cells pair with items/cells; align them like sentences.
    units = []
    for sub in align_sentences([s.text for s in src], [s.text for s in tgt], src_lang, tgt_lang):
        if sub.src and sub.tgt:
            units.append(([src[i] for i in sub.src], [tgt[j] for j in sub.tgt], sub.shape, min(sub.score, link.score)))
    return units


class _PairBuilder:
    def __init__(self, src_doc: Document, tgt_doc: Document, src_lang: str, tgt_lang: str, file: str) -> None:
        self.src_doc, self.tgt_doc = src_doc, tgt_doc
        self.src_lang, self.tgt_lang = src_lang, tgt_lang
        self.file = file
        self.pairs: list[Pair] = []

    def unit(self, src: list[Segment], tgt: list[Segment], shape: str, score: float) -> None:
        source = self._join([normalize_space(s.text, self.src_lang) for s in src], self.src_lang)
        target = self._join([_clean_target(s.text, self.tgt_lang) for s in tgt], self.tgt_lang)
        src_lines = (src[0].line + 1, src[-1].line + 1 + src[-1].text.count("\n"))
        tgt_lines = (tgt[0].line + 1, tgt[-1].line + 1 + tgt[-1].text.count("\n"))
        self._emit(source, target, src_lines, tgt_lines, shape, score)

    def sentences(self, src: list[Segment], tgt: list[Segment]) -> None:
        src_sents = [(seg, s) for seg in src for s in seg.sentences(self.src_lang)]
        tgt_sents = [(seg, s) for seg in tgt for s in seg.sentences(self.tgt_lang)]
        src_keys = [s.key(self.src_lang) for _, s in src_sents]
        tgt_keys = [_clean_target(s.text, self.tgt_lang) for _, s in tgt_sents]
        for link in align_sentences(src_keys, tgt_keys, self.src_lang, self.tgt_lang):
            if not (link.src and link.tgt):
                continue
            source = self._join([src_keys[i] for i in link.src], self.src_lang)
            target = self._join([tgt_keys[j] for j in link.tgt], self.tgt_lang)
            src_lines = _line_span([src_sents[i] for i in link.src])
            tgt_lines = _line_span([tgt_sents[j] for j in link.tgt])
            self._emit(source, target, src_lines, tgt_lines, link.shape, link.score)

    def _emit(self, source: str, target: str, src_lines: tuple[int, int], tgt_lines: tuple[int, int],
              shape: str, score: float) -> None:
        if not source or not target:
            return
        provenance: dict[str, str | float | int] = {
            "file": self.file,
            "src_lines": f"{src_lines[0]}-{src_lines[1]}",
            "tgt_lines": f"{tgt_lines[0]}-{tgt_lines[1]}",
            "shape": shape,
            "score": score,
            "origin": "aligned",
        }
        self.pairs.append(Pair(source, target, self.src_lang, self.tgt_lang, provenance))

    @staticmethod
    def _join(texts: list[str], lang: str) -> str:
        return ("" if is_cjk_language(lang) else " ").join(t for t in texts if t)


def _clean_target(text: str, lang: str) -> str:
    return normalize_space(strip_target_additions(text), lang)


def _line_span(sentences: list) -> tuple[int, int]:  # list of (Segment, Sentence)
    """1-based first and last line of a run of sentences."""
    first_seg, first = sentences[0]
    last_seg, last = sentences[-1]
    start = first_seg.line + 1 + first_seg.text.count("\n", 0, first.start)
    end = last_seg.line + 1 + last_seg.text.count("\n", 0, max(last.end - 1, last.start))
    return start, end
