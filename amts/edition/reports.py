"""The report files of ``amts sync`` and ``amts update``: the JSON report and its Markdown summary beside
it, written in one place (the sync core only builds the report)."""

from __future__ import annotations

import json
from pathlib import Path

from amts.fileio import atomic_write_text
from amts.sync.report import markdown_path, to_markdown
from amts.sync.runner import Job, SyncError


def report_paths(report: Path, jobs: list[Job]) -> tuple[Path, Path]:
    """Where the JSON report and its Markdown summary go; :class:`SyncError` (before anything is done)
    when either would overwrite a file the run reads or writes."""
    summary = markdown_path(report)
    taken: dict[Path, str] = {}
    for job in jobs:
        for path, role in ((Path(job.old_source_name), "an input"), (Path(job.new_source_name), "an input"),
                           (job.old_target, "an input"), (job.output, "an output"), (job.origin, "an input")):
            if path is not None:
                taken.setdefault(path.resolve(), role)
    for path, what in ((report, "--report"), (summary, "the report's summary")):
        role = taken.get(path.resolve())
        if role is not None:
            raise SyncError(f"{what} {path} is {role} of this sync: choose another report path")
    return report, summary


def write_report(path: Path, data: dict, appendix: str = "") -> Path:
    """Write the JSON report ``data`` to ``path`` and its summary (plus ``appendix``) beside it; the summary's path."""
    summary = markdown_path(path)
    report, readable = report_texts(data, appendix)
    atomic_write_text(path, report)
    atomic_write_text(summary, readable)
    return summary


def report_texts(data: dict, appendix: str = "") -> tuple[str, str]:
    """The JSON report's text and its Markdown summary's (plus ``appendix``)."""
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n", to_markdown(data) + appendix
