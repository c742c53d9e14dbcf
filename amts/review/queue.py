"""What there is to review: segments from a sync report, or every paragraph of a translated folder."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from amts.document import mask, parse_markdown
from amts.errors import InputError
from amts.memory.terms import missing_terms
from amts.review.paths import OutsideRootError, ProjectRoot

# Statuses of the sync report contract whose target a reviewer should look at even if the report
# does not say so explicitly (old reports, hand-written ones).
REVIEW_STATUSES = {"translated", "fuzzy", "untranslated", "added"}
# Slide marks are target-only additions in d2l-zh, link openers carry no target: neither is structure
# that must survive translation one for one.
_OPTIONAL_SPANS = {"[**", "**]", "(**", "**)", "[", "![", "<br>", "<br/>"}


class QueueError(InputError):
    """The thing to review cannot be read: one line saying what and where."""


@dataclass
class ReviewItem:
    """One segment under review, with everything the page shows about it."""

    id: str
    file_index: int
    output: Path  # resolved, inside the project root
    output_rel: str
    status: str
    needs_review: bool
    source_old: str | None
    source_new: str | None
    target_old: str | None
    target_new: str | None
    output_line: int | None
    note: str = ""
    flags: list[str] = field(default_factory=list)  # "structure", "glossary": found by review itself
    problems: list[str] = field(default_factory=list)

    @property
    def editable(self) -> bool:
        """Deleted segments have no text in the output: they can only be acknowledged."""
        return self.target_new is not None

    @property
    def labels(self) -> list[str]:
        return [self.status, *self.flags]


@dataclass
class ReviewQueue:
    """Items in report order, the languages, and where review decisions are kept."""

    items: list[ReviewItem]
    src_lang: str
    tgt_lang: str
    origin: Path  # the report or folder reviewed
    state_path: Path
    engine: str = ""
    #: every segment with text in an output, reviewed or not: tells apart identical texts in one file
    segments: list[ReviewItem] = field(default_factory=list)

    def get(self, item_id: str) -> ReviewItem | None:
        return self._by_id.get(item_id)

    @property
    def _by_id(self) -> dict[str, ReviewItem]:
        cache = self.__dict__.get("_index")
        if cache is None or len(cache) != len(self.items):
            cache = {item.id: item for item in self.items}
            self.__dict__["_index"] = cache
        return cache

    def files(self) -> list[str]:
        return sorted({item.output_rel for item in self.items})

    def labels(self) -> Counter[str]:
        return Counter(label for item in self.items for label in item.labels)


def structure_problems(source: str, target: str) -> list[str]:
    """Inline structure of ``source`` (code, math, roles, link targets) missing from or added to ``target``."""
    wanted = Counter(s for s in mask(source).spans if s not in _OPTIONAL_SPANS)
    found = Counter(s for s in mask(target).spans if s not in _OPTIONAL_SPANS)
    problems = [f"missing {span}" for span in sorted((wanted - found).elements())]
    problems += [f"not in source {span}" for span in sorted((found - wanted).elements())]
    return problems


def glossary_problems(source: str, target: str, terms: dict[str, str]) -> list[str]:
    """Glossary terms of ``source`` whose required translation ``target`` does not use (the one term
    matcher: whole words, plurals, wrapping ignored)."""
    return [f"{v.term} -> {v.expected} not used" for v in missing_terms({t: w for t, w in terms.items() if w}, target)]


def check_item(item: ReviewItem, glossary: object | None = None) -> None:
    """Flag structure and glossary problems of the proposed target (fills ``flags``/``problems``)."""
    item.flags.clear()
    item.problems.clear()
    if item.source_new is None or item.target_new is None or item.status in {"kept", "deleted"}:
        return
    problems = structure_problems(item.source_new, item.target_new)
    if problems:
        item.flags.append("structure")
        item.problems.extend(problems)
    terms = glossary.terms_for(item.source_new) if glossary is not None else {}  # type: ignore[attr-defined]
    problems = glossary_problems(item.source_new, item.target_new, terms)
    if problems:
        item.flags.append("glossary")
        item.problems.extend(problems)


def load_report(path: Path, root: ProjectRoot, glossary: object | None = None) -> ReviewQueue:
    """Read a sync report (the JSON contract of ``amts sync --report``) into a review queue."""
    report_path = root.resolve(path)
    try:
        report = json.loads(report_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QueueError(f"{path}: no such report") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise QueueError(f"{path}: not a JSON sync report ({error})") from None
    if not isinstance(report, dict) or not isinstance(report.get("files"), list):
        raise QueueError(f"{path}: not a sync report (no 'files' list)")
    if report.get("version", 1) != 1:
        raise QueueError(f"{path}: sync report version {report.get('version')} is not supported")
    items: list[ReviewItem] = []
    segments: list[ReviewItem] = []
    seen: set[str] = set()
    for file_index, entry in enumerate(report["files"]):
        output = _report_path(entry.get("output"), report_path, root, path)
        for number, segment in enumerate(entry.get("segments") or []):
            item_id = str(segment.get("id") or f"f{file_index}-s{number}")
            if item_id in seen:  # ids are unique per file in some reports: make them unique overall
                item_id = f"f{file_index}-{item_id}"
            seen.add(item_id)
            status = str(segment.get("status", "translated"))
            item = ReviewItem(
                id=item_id,
                file_index=file_index,
                output=output,
                output_rel=root.relative(output),
                status=status,
                needs_review=bool(segment.get("needs_review", status in REVIEW_STATUSES)),
                source_old=segment.get("source_old"),
                source_new=segment.get("source_new"),
                target_old=segment.get("target_old"),
                target_new=segment.get("target_new"),
                output_line=segment.get("output_line"),
                note=str(segment.get("note") or ""),
            )
            check_item(item, glossary)
            if item.target_new is not None:
                segments.append(item)
            if item.needs_review or item.flags:
                items.append(item)
    return ReviewQueue(
        items=items,
        src_lang=str(report.get("src_lang", "en")),
        tgt_lang=str(report.get("tgt_lang", "zh")),
        origin=report_path,
        state_path=report_path.with_name(report_path.stem + ".review.json"),
        engine=str(report.get("engine", "")),
        segments=segments,
    )


def _report_path(value: object, report_path: Path, root: ProjectRoot, shown: Path) -> Path:
    """An output path of the report: relative to the project root or, failing that, to the report."""
    if not isinstance(value, str) or not value:
        raise QueueError(f"{shown}: a file entry has no 'output' path")
    try:
        candidates = [root.resolve(value)]
        if not Path(value).is_absolute():
            candidates.append(root.resolve(value, base=report_path.parent))
    except OutsideRootError as error:
        raise QueueError(f"{shown}: {error} (pass --root to review it)") from None
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise QueueError(f"{shown}: output file {value} does not exist")


def load_translations(
    outputs: Iterable[Path],
    root: ProjectRoot,
    origin: Path,
    src_lang: str,
    tgt_lang: str,
    sources: dict[Path, Path] | None = None,
    glossary: object | None = None,
) -> ReviewQueue:
    """Every translated paragraph of ``outputs`` as a review item.

    ``sources`` maps an output to the Markdown it was translated from; ``amts translate`` keeps the
    segment structure, so the n-th segment of the output is the translation of the n-th of the source.
    Without a source (or with a different segment count) the item shows the target only.
    """
    items: list[ReviewItem] = []
    for file_index, output in enumerate(outputs):
        output = root.resolve(output)
        text = output.read_text(encoding="utf-8")
        document = parse_markdown(text)
        source_segments: list[str | None] = [None] * len(document.segments)
        source_path = (sources or {}).get(output)
        if source_path is not None:
            source_doc = parse_markdown(root.resolve(source_path).read_text(encoding="utf-8"))
            if len(source_doc.segments) == len(document.segments):
                source_segments = [segment.text for segment in source_doc.segments]
        for segment, source in zip(document.segments, source_segments, strict=True):
            item = ReviewItem(
                id=f"f{file_index}-s{segment.index}",
                file_index=file_index,
                output=output,
                output_rel=root.relative(output),
                status="translated",
                needs_review=True,
                source_old=None,
                source_new=source,
                target_old=None,
                target_new=text[segment.start : segment.end],
                output_line=segment.line,
            )
            check_item(item, glossary)
            items.append(item)
    origin = root.resolve(origin)
    state_dir = origin if origin.is_dir() else origin.parent
    return ReviewQueue(items, src_lang, tgt_lang, origin, state_dir / ".amts-review.json", segments=list(items))
