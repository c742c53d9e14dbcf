"""What there is to review: segments from a sync report, or every paragraph of a translated folder."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from amts.document import is_cjk_language, parse_markdown
from amts.document.scripts import HAN, HANGUL, KANA
from amts.errors import InputError
from amts.memory.terms import missing_terms
from amts.records import SegmentRecord
from amts.review.paths import OutsideRootError, ProjectRoot
from amts.review.validate import code_changes, same_code, structure_problems

__all__ = ["QueueError", "ReviewItem", "ReviewQueue", "check_item", "load_report", "load_translations", "same_code",
           "structure_problems"]

class QueueError(InputError):
    """The thing to review cannot be read: one line saying what and where."""


@dataclass(kw_only=True)
class ReviewItem(SegmentRecord):
    """One segment under review (the report's record and where it is), with what review found about it."""

    id: str
    file_index: int
    output: Path  # resolved, inside the project root
    output_rel: str
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
    #: what the sync did not carry over, one line a file: new sections to translate, dropped sections
    skipped: list[str] = field(default_factory=list)
    #: output file -> the old files it carries on (a restructure: renamed, moved, merged, split)
    moved_from: dict[str, list[str]] = field(default_factory=dict)

    def skipped_groups(self) -> dict[str, list[tuple[str, str]]]:
        """The skipped lines as (file, why), grouped: new files to translate, dropped files, the rest."""
        groups: dict[str, list[tuple[str, str]]] = {"new": [], "dropped": [], "blocked": [], "other": []}
        for line in self.skipped:
            name, _, why = line.partition(": ")
            kind = ("new" if why.startswith("new file") else "dropped" if "no successor" in why
                    else "blocked" if why.startswith("blocked") else "other")
            groups[kind].append((name, why))
        return groups

    def get(self, item_id: str) -> ReviewItem | None:
        return self._by_id.get(item_id)

    @property
    def _by_id(self) -> dict[str, ReviewItem]:
        cache = self.__dict__.get("_index")
        if cache is None or len(cache) != len(self.items):
            cache = {item.id: item for item in self.items}
            self.__dict__["_index"] = cache
        return cache

    def forget_labels(self) -> None:
        self.__dict__.pop("_labels", None)

    def files(self) -> list[str]:
        return sorted({item.output_rel for item in self.items})

    def labels(self) -> Counter[str]:
        """How many items carry each status and flag (cached: call ``forget_labels`` after re-checking items)."""
        key = len(self.items)
        cached = self.__dict__.get("_labels")
        if cached is None or cached[0] != key:
            cached = (key, Counter(label for item in self.items for label in item.labels))
            self.__dict__["_labels"] = cached
        return cached[1]


_CJK_RE = re.compile(f"[{HAN}{KANA}{HANGUL}]")


def glossary_problems(source: str, target: str, glossary: object) -> list[str]:
    """Real glossary terms of ``source`` whose translation ``target`` does not use.

    An entry whose "translation" is the term itself (a name, a column header) or is not in the
    target's script teaches nothing and is never a flag.
    """
    if hasattr(glossary, "check"):
        missing = [(v.term, v.expected) for v in glossary.check(source, target)]  # type: ignore[attr-defined]
    else:
        terms = glossary.terms_for(source)  # type: ignore[attr-defined]
        missing = [(v.term, v.expected) for v in missing_terms({t: w for t, w in terms.items() if w}, target)]
    cjk = bool(_CJK_RE.search(target))
    return [
        f"{term} -> {wanted} not used"
        for term, wanted in missing
        if wanted.strip().casefold() != term.strip().casefold() and (not cjk or _CJK_RE.search(wanted))
    ]


def check_item(item: ReviewItem, glossary: object | None = None, tgt_lang: str = "") -> None:
    """Flag structure and glossary problems of the proposed target (fills ``flags``/``problems``)."""
    item.flags.clear()
    item.problems.clear()
    if item.source_new is None or item.target_new is None or item.status in {"kept", "deleted"}:
        return
    problems = structure_problems(item.source_new, item.target_new)
    if problems:  # a code block: its code lines, one by one (translated comments change no structure)
        code = code_changes(item.source_new, item.target_new)
        problems = problems if code is None else code
    if problems:
        item.flags.append("structure")
        item.problems.extend(problems)
    if glossary is None or (tgt_lang and is_cjk_language(tgt_lang) and not _CJK_RE.search(item.target_new)):
        return  # untranslated text: its flag says so already, a glossary miss on it says nothing
    problems = glossary_problems(item.source_new, item.target_new, glossary)
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
    moved_from: dict[str, list[str]] = {}
    for file_index, entry in enumerate(report["files"]):
        if _not_written(entry):  # listed with the skipped files
            continue
        output = _report_path(entry.get("output"), report_path, root, path)
        output_rel = root.relative(output)
        olds = (entry.get("moved_from") or {}).get("olds") or []
        if olds:
            moved_from[output_rel] = [str(old.get("old", "")) for old in olds if isinstance(old, dict)]
        for number, segment in enumerate(entry.get("segments") or []):
            item_id = str(segment.get("id") or f"f{file_index}-s{number}")
            if item_id in seen:  # ids are unique per file in some reports: make them unique overall
                item_id = f"f{file_index}-{item_id}"
            seen.add(item_id)
            item = ReviewItem(id=item_id, file_index=file_index, output=output, output_rel=output_rel,
                              **SegmentRecord.fields_from_json(segment))
            check_item(item, glossary, str(report.get("tgt_lang", "")))
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
        skipped=[str(line) for line in report.get("skipped") or []]
        + [line for entry in report["files"] if (line := _not_written(entry))],
        moved_from=moved_from,
    )


def _not_written(entry: dict) -> str:
    """Why the sync wrote no output for this file entry, as a skipped line ("" when it wrote one)."""
    blocked = entry.get("blocked")
    if isinstance(blocked, dict):
        return (f"{entry.get('output')}: blocked, its old translation kept: {blocked.get('reason', '')} "
                f"(line {blocked.get('line', '?')})")
    reason = entry.get("error") or entry.get("skipped") or (blocked if isinstance(blocked, str) else "")
    return f"{entry.get('output')}: {reason}" if reason else ""


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
                output_line=segment.line + 1,  # 1-based, as in sync reports
            )
            check_item(item, glossary, tgt_lang)
            items.append(item)
    origin = root.resolve(origin)
    state_dir = origin if origin.is_dir() else origin.parent
    return ReviewQueue(items, src_lang, tgt_lang, origin, state_dir / ".amts-review.json", segments=list(items))
