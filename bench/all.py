"""Run every benchmark script in ``bench/`` and print one table of their rows.

Each ``bench/<name>.py`` defines ``main() -> list[dict]`` with rows ``{name, value, unit, target, ok}``
(``note`` optional). A script that is missing ``main``, cannot be imported or raises still gets a row
saying so, so one broken benchmark never hides the others. Usage::

    .venv/bin/python bench/all.py [NAME ...] [--json]

Exit status: 0 when every row is ok, 1 otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

COLUMNS = ("script", "name", "value", "unit", "target", "ok", "note")


def scripts(names: list[str] | None = None) -> list[Path]:
    found = sorted(p for p in BENCH.glob("*.py") if p.stem not in {"all", "__init__"} and not p.stem.startswith("_"))
    if names:
        wanted = {n.removesuffix(".py") for n in names}
        missing = wanted - {p.stem for p in found}
        return [p for p in found if p.stem in wanted] + [BENCH / f"{m}.py" for m in sorted(missing)]
    return found


def run_script(path: Path) -> list[dict]:
    """The rows of one script, or a single failing row that says what went wrong."""
    def failed(note: str) -> list[dict]:
        return [{"script": path.stem, "name": path.stem, "value": None, "unit": "", "target": "", "ok": False,
                 "note": note}]

    if not path.exists():
        return failed("script missing")
    start = time.perf_counter()
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not callable(getattr(module, "main", None)):
            return failed("no main() in script")
        rows = module.main()
    except Exception as error:  # noqa: BLE001 - a broken benchmark is a row, not a crash
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        return failed(f"failed: {last}")
    if not isinstance(rows, list) or not rows:
        return failed("main() returned no rows")
    out = []
    for row in rows:
        row = dict(row) if isinstance(row, dict) else {"name": str(row), "ok": False, "note": "not a dict row"}
        row.setdefault("note", "")
        row["script"] = path.stem
        out.append(row)
    out[-1]["note"] = (out[-1]["note"] + f" [{time.perf_counter() - start:.1f}s]").strip()
    return out


def format_table(rows: list[dict]) -> str:
    cells = [[str(c) for c in COLUMNS]]
    for row in rows:
        cells.append([
            row.get("script", ""), str(row.get("name", "")), _value(row.get("value")), str(row.get("unit", "")),
            _value(row.get("target")), "ok" if row.get("ok") else "MISSED", str(row.get("note", "")),
        ])
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS) - 1)]
    lines = []
    for n, line in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1])
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(lines)


def _value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def main(names: list[str] | None = None) -> list[dict]:
    rows: list[dict] = []
    for path in scripts(names):
        print(f"running bench/{path.name} ...", file=sys.stderr, flush=True)
        rows.extend(run_script(path))
    return rows


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--json"]
    result = main(args or None)
    print(json.dumps(result, ensure_ascii=False, indent=1, default=str) if "--json" in sys.argv else format_table(result))
    sys.exit(0 if all(r.get("ok") for r in result) else 1)
