"""Sync benchmark (issue 4): every translated D2L section from its origin snapshot to en-master.

For each section with both ``en-origin/X`` (what the Chinese was translated from) and ``zh/X`` and
``en-master/X``, run the 3-way merge with the counting engine and measure the time *excluding the
engine* (the counting engine costs nothing measurable; its calls are counted). Prints the time per
section (target <= 0.2 s) and the workload ratio: words a reviewer must look at / words of a full
re-translation.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amts.adapt import TranslationSetup, build_translator  # noqa: E402
from amts.engines.testing import CountingEngine  # noqa: E402
from amts.sync import merge_documents  # noqa: E402
from amts.sync.report import SyncReport  # noqa: E402
from amts.sync.runner import folder_jobs, run_jobs  # noqa: E402

TARGET_SECONDS = 0.2


def _translator(engine: CountingEngine):  # noqa: ANN202
    """The translator sync gets from ``--engine counting`` (this instance, so its calls can be counted)."""
    return build_translator(TranslationSetup("en", ["zh"], engine="counting"), "zh", engine=engine)


def data_root() -> Path:
    return Path(os.environ.get("AMTS_D2L_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "d2l")


def sections(root: Path) -> list[str]:
    origin = root / "en-origin"
    return sorted(str(p.relative_to(origin)) for p in origin.rglob("*.md")
                  if (root / "zh" / p.relative_to(origin)).is_file() and (root / "en-master" / p.relative_to(origin)).is_file())


def main() -> list[dict]:
    root = data_root()
    if not (root / "en-origin").is_dir():
        print(f"D2L data not found at {root}; set AMTS_D2L_DATA", file=sys.stderr)
        return []
    names = sections(root)
    merge_documents("a\n", "b\n", "c\n", None, "en", "zh")  # warm imports (numpy via the aligner) outside the timing
    times: list[float] = []
    cpu_times: list[float] = []
    calls = review = full = 0
    slowest = ("", 0.0)
    for name in names:
        texts = [(root / folder / name).read_text("utf-8") for folder in ("en-origin", "en-master", "zh")]
        engine = CountingEngine()
        start, cpu_start = time.perf_counter(), time.process_time()
        result = merge_documents(texts[0], texts[1], texts[2], _translator(engine), "en", "zh")
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        cpu_times.append(time.process_time() - cpu_start)
        slowest = max(slowest, (name, elapsed), key=lambda x: x[1])
        calls += engine.calls
        review += result.words_to_review
        full += result.words_full
        print(f"{elapsed:6.3f}s {engine.calls:4d} calls {result.words_to_review:5d}/{result.words_full:5d} words  {name}",
              file=sys.stderr)
    return [*_restructure_rows(root), *_rows(times, cpu_times, names, calls, slowest, review, full)]


def _rows(times, cpu_times, names, calls, slowest, review, full) -> list[dict]:  # noqa: ANN001
    mean = statistics.mean(times)
    cpu_mean = statistics.mean(cpu_times)
    p95 = sorted(times)[int(0.95 * (len(times) - 1))]
    cpu_p95 = sorted(cpu_times)[int(0.95 * (len(cpu_times) - 1))]
    ratio = review / full if full else 0.0
    note = f"{len(names)} sections, {calls} engine calls; slowest {slowest[0]} {slowest[1]:.3f}s"
    return [
        {"name": "sync: time per section excl. engine (mean)", "value": round(mean, 3), "unit": "s",
         "target": TARGET_SECONDS, "ok": mean <= TARGET_SECONDS, "note": note},
        {"name": "sync: CPU time per section excl. engine (mean; the machine is shared)", "value": round(cpu_mean, 3),
         "unit": "s", "target": TARGET_SECONDS, "ok": cpu_mean <= TARGET_SECONDS, "note": f"max {max(cpu_times):.3f}s"},
        {"name": "sync: time per section excl. engine (p95)", "value": round(p95, 3), "unit": "s",
         "target": TARGET_SECONDS, "ok": p95 <= TARGET_SECONDS, "note": f"max {max(times):.3f}s"},
        {"name": "sync: CPU time per section excl. engine (p95; the machine is shared)", "value": round(cpu_p95, 3),
         "unit": "s", "target": TARGET_SECONDS, "ok": cpu_p95 <= TARGET_SECONDS, "note": f"max {max(cpu_times):.3f}s"},
        {"name": "sync: workload (words to review / full re-translation)", "value": round(ratio, 3), "unit": "ratio",
         "target": 1.0, "ok": ratio < 1.0, "note": f"{review} of {full} words"},
    ]


def _restructure_rows(root: Path) -> list[dict]:
    """The whole book as a translator syncs it: folder mode from en-origin to en-master's new layout
    (content matching of moved/merged sections, every merge, the conservation check, the writes)."""
    zh_sections = len(list((root / "zh").rglob("*.md")))
    with tempfile.TemporaryDirectory() as out:
        start, cpu_start = time.perf_counter(), time.process_time()
        jobs, _skipped = folder_jobs(root / "en-origin", root / "en-master", root / "zh", Path(out))
        planned = time.perf_counter() - start
        run_jobs(jobs, _translator(CountingEngine()), SyncReport("en", "zh", "counting"))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    carried = {name for job in jobs for name in job.old_source_name.split(" + ")}
    per_section = cpu / len(jobs)
    return [
        {"name": "sync: whole-book restructure sync, CPU time per output section (match + merge + check + write)",
         "value": round(per_section, 3), "unit": "s", "target": TARGET_SECONDS, "ok": per_section <= TARGET_SECONDS,
         "note": f"{len(jobs)} outputs in {elapsed:.1f}s wall, {cpu:.1f}s CPU; matching files by content {planned:.1f}s"},
        {"name": "sync: whole-book restructure, translated sections carried into the new layout",
         "value": len(carried), "unit": "sections", "target": 134, "ok": len(carried) >= 134,
         "note": f"of {zh_sections}"},
    ]


if __name__ == "__main__":
    for row in main():
        print(row)
