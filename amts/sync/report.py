"""The sync report: the JSON contract read by review (:mod:`amts.review`), and a Markdown summary.

JSON layout (version 1)::

    {"version": 1, "src_lang", "tgt_lang", "engine", "engine_calls",
     "files": [{"old_source", "new_source", "old_target", "output",
                "moved_from": {"new", "olds": [{"old", "score", "evidence"}]},  # only for restructures
                "segments": [{"id": "f0-s12", "status", "needs_review", "source_old", "source_new",
                              "target_old", "target_new", "output_line", "note"}],
                "provenance": {"machine": [texts], "source": [texts]},  # what amts wrote itself (if any)
                "totals": {status: count}, "words_to_review", "words_full"}],
     "totals": {status: count}, "words_to_review", "words_full",
     "skipped": ["<file>: why it was not synced (e.g. an old file with no successor)"],
     "blocked": [{"file", "line", "reason"}]}  # files whose output would be invalid: old translation kept

A blocked file also has ``"blocked": {"line", "reason"}`` in its entry and no segments.

``target_new`` is exactly the text written into the output for that segment.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from amts.records import STATUSES
from amts.sync.merge import MergeResult

VERSION = 1


@dataclass
class FileReport:
    old_source: str
    new_source: str
    old_target: str
    output: str
    result: MergeResult | None = None
    error: str = ""
    skipped: str = ""
    engine_calls: int = 0
    cached: dict | None = None  # the stored report of an output already up to date
    moved_from: dict | None = None  # restructure: the old files this output carries on, scores, evidence
    blocked: str = ""  # why the file was not synced (its old translation kept as it was)
    blocked_line: int = 0  # the line the reason is about (output, new source or old translation: it says)

    def block(self, reason: str, line: int) -> None:
        """Not synced: the output would be invalid or lose translated text; nothing is written for it."""
        self.blocked, self.blocked_line, self.result = reason, line, None

    @property
    def words_to_review(self) -> int:
        return self.to_json(0)["words_to_review"]

    @property
    def words_full(self) -> int:
        return self.to_json(0)["words_full"]

    def statuses(self) -> list[str]:
        return [s["status"] for s in self.to_json(0)["segments"]]

    def to_json(self, number: int) -> dict:
        if self.cached is not None:
            out = json.loads(json.dumps(self.cached))
            for k, segment in enumerate(out["segments"]):
                segment["id"] = f"f{number}-s{k}"
            out["up_to_date"] = True
            return out
        records = self.result.records if self.result else []
        segments = [r.to_json(f"f{number}-s{k}") for k, r in enumerate(records)]
        out = {
            "old_source": self.old_source,
            "new_source": self.new_source,
            "old_target": self.old_target,
            "output": self.output,
            "segments": segments,
            "totals": _totals(r.status for r in records),
            "words_to_review": self.result.words_to_review if self.result else 0,
            "words_full": self.result.words_full if self.result else 0,
        }
        if self.result is not None and self.result.provenance:
            out["provenance"] = self.result.provenance.to_json()  # read back by the next sync of this output
        if self.moved_from is not None:
            out["moved_from"] = self.moved_from
        if self.error:
            out["error"] = self.error
        if self.skipped:
            out["skipped"] = self.skipped
        if self.blocked:
            out["blocked"] = {"line": self.blocked_line, "reason": self.blocked}
        return out


def _totals(statuses) -> dict[str, int]:  # noqa: ANN001
    counts = Counter(statuses)
    return {status: counts.get(status, 0) for status in STATUSES}


@dataclass
class SyncReport:
    src_lang: str
    tgt_lang: str
    engine: str
    files: list[FileReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files not synced and why (old files with no successor...)

    @property
    def engine_calls(self) -> int:
        return sum(f.engine_calls for f in self.files)

    @property
    def words_to_review(self) -> int:
        return sum(f.words_to_review for f in self.files)

    @property
    def words_full(self) -> int:
        return sum(f.words_full for f in self.files)

    def totals(self) -> dict[str, int]:
        return _totals(s for f in self.files for s in f.statuses())

    @property
    def blocked(self) -> list[dict]:
        """The files not synced, each ``{"file", "line", "reason"}`` (their old translation kept)."""
        return [{"file": f.old_target, "line": f.blocked_line, "reason": f.blocked} for f in self.files if f.blocked]

    @property
    def fell_back(self) -> int:
        """Blocks written in a safe form because the merged text was not valid there."""
        return sum(f.result.fell_back for f in self.files if f.result is not None)

    def to_json(self) -> dict:
        return {
            "version": VERSION,
            "src_lang": self.src_lang,
            "tgt_lang": self.tgt_lang,
            "engine": self.engine,
            "engine_calls": self.engine_calls,
            "files": [f.to_json(k) for k, f in enumerate(self.files)],
            "totals": self.totals(),
            "words_to_review": self.words_to_review,
            "words_full": self.words_full,
            "skipped": list(self.skipped),
            "blocked": self.blocked,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n"

    def summary_line(self) -> str:
        totals = {k: v for k, v in self.totals().items() if v}
        parts = ", ".join(f"{v} {k}" for k, v in totals.items()) or "nothing to do"
        blocked = f"; {len(self.blocked)} file(s) blocked (old translation kept)" if self.blocked else ""
        return (f"{len(self.files)} file(s): {parts}; {self.engine_calls} engine call(s); "
                f"review {self.words_to_review} of {self.words_full} words ({_percent(self)}){blocked}")


def _percent(report: SyncReport) -> str:
    if not report.words_full:
        return "0%"
    return f"{100.0 * report.words_to_review / report.words_full:.1f}%"


def to_markdown(data: dict) -> str:
    """A readable summary of a report (the JSON form, so saved reports can be re-rendered)."""
    lines = [
        f"# Sync report ({data['src_lang']} -> {data['tgt_lang']}, engine {data['engine']})",
        "",
        f"Engine calls: {data['engine_calls']}. Words to review: {data['words_to_review']} of "
        f"{data['words_full']} words a full re-translation would need.",
        "",
        "| file | " + " | ".join(STATUSES) + " | review / full words |",
        "| --- | " + " | ".join("---" for _ in STATUSES) + " | --- |",
    ]
    for f in data["files"]:
        counts = " | ".join(str(f["totals"].get(s, 0)) for s in STATUSES)
        lines.append(f"| {f['output']} | {counts} | {f['words_to_review']} / {f['words_full']} |")
    moved = [f for f in data["files"] if f.get("moved_from")]
    if moved:
        lines += ["", "## Restructured: new files carrying on old ones (matched by content)", ""]
        for f in moved:
            for old in f["moved_from"]["olds"]:
                lines.append(f"- {f['moved_from']['new']} <- {old['old']} (score {old['score']:.2f}: {old['evidence']})")
    if data.get("blocked"):
        lines += ["", "## Blocked: not synced, the old translation kept as it was", ""]
        lines += [f"- {b['file']}:{b['line']}: {b['reason']}" for b in data["blocked"]]
    if data.get("skipped"):
        lines += ["", "## Not synced", ""] + [f"- {line}" for line in data["skipped"]]
    for f in data["files"]:
        if f.get("error") or f.get("skipped"):
            lines += ["", f"## {f['output']}", "", f"**{'error' if f.get('error') else 'skipped'}:** "
                      f"{f.get('error') or f.get('skipped')}"]
            continue
        todo = [s for s in f["segments"] if s["needs_review"] or s["status"] not in ("kept",)]
        if not todo:
            continue
        lines += ["", f"## {f['output']}", ""]
        for s in todo:
            where = f"line {s['output_line']}" if s["output_line"] else "removed"
            flag = " **review**" if s["needs_review"] else ""
            lines.append(f"- `{s['id']}` {s['status']}{flag} ({where}){': ' + s['note'] if s['note'] else ''}")
            if s["source_old"] and s["source_old"] != s["source_new"]:
                lines.append(f"  - old source: {_short(s['source_old'])}")
            if s["source_new"]:
                lines.append(f"  - new source: {_short(s['source_new'])}")
            if s["target_old"] and s["target_old"] != s["target_new"]:
                lines.append(f"  - old target: {_short(s['target_old'])}")
            if s["target_new"]:
                lines.append(f"  - new target: {_short(s['target_new'])}")
    return "\n".join(lines) + "\n"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown_path(report_path: Path) -> Path:
    """Where the readable summary of ``REPORT.json`` goes: ``REPORT.md`` beside it."""
    return report_path.with_suffix(".md") if report_path.suffix == ".json" else report_path.with_name(report_path.name + ".md")
