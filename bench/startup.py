"""Start-up time of ``amts --help`` as a ratio to ``python -c pass`` (target: at most 4x).

Both are run the same number of times, interleaved, with the same interpreter and environment; the
fastest run of each is compared, which measures the work done rather than the machine's load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 4.0
RUNS = 7


def _fastest(commands: dict[str, list[str]], runs: int = RUNS) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    best = dict.fromkeys(commands, float("inf"))
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> list[dict]:
    times = _fastest({
        "python": [sys.executable, "-c", "pass"],
        "help": [sys.executable, "-m", "amts", "--help"],
        "command help": [sys.executable, "-m", "amts", "translate", "--help"],
    })
    ratio = times["help"] / times["python"]
    return [
        {"name": "startup: amts --help / python -c pass", "value": round(ratio, 2), "unit": "x",
         "target": TARGET_RATIO, "ok": ratio <= TARGET_RATIO,
         "note": f"amts --help {times['help'] * 1000:.0f} ms, python -c pass {times['python'] * 1000:.0f} ms "
                 f"(fastest of {RUNS}); amts translate --help {times['command help'] * 1000:.0f} ms "
                 f"({times['command help'] / times['python']:.1f}x, imports the command)"},
    ]


if __name__ == "__main__":
    for row in main():
        print(f"{row['name']}: {row['value']} {row['unit']} (target <= {row['target']}) "
              f"{'OK' if row['ok'] else 'MISSED'} -- {row.get('note', '')}")
