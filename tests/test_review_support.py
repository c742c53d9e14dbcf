"""Helpers for the review tests: a small sync report of our own, built by the sync report contract.

No tests here; the texts are our own writing (never book text).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

EN_OLD = """# Pooling layers

Convolutions look at a small window of the input. Each output depends on $k \\times k$ values.

Pooling reduces the resolution of a representation. It keeps the strongest signal in each window.

```python
x = pool(x)
```

We compare maximum and average pooling in :numref:`fig_pool`.

An old paragraph that goes away.
"""

EN_NEW = """# Pooling layers

Convolutions look at a small window of the input. Each output depends on $k \\times k$ values.

Pooling lowers the resolution of a representation. It keeps the largest value in each window.

```python
x = pool(x)
```

We compare maximum and average pooling in :numref:`fig_pool`.

Padding keeps the border of the image, see :numref:`fig_pad`.

A stride of $s$ skips positions
of the window.
"""

# (status, needs_review, source_old, source_new, target_old, target_new)
SEGMENTS = [
    ("kept", False, "Pooling layers", "Pooling layers", "汇聚层", "汇聚层"),
    (
        "kept", False,
        "Convolutions look at a small window of the input. Each output depends on $k \\times k$ values.",
        "Convolutions look at a small window of the input. Each output depends on $k \\times k$ values.",
        "卷积只观察输入的一个小窗口。每个输出依赖 $k \\times k$ 个值。",
        "卷积只观察输入的一个小窗口。每个输出依赖 $k \\times k$ 个值。",
    ),
    (
        "fuzzy", True,
        "Pooling reduces the resolution of a representation. It keeps the strongest signal in each window.",
        "Pooling lowers the resolution of a representation. It keeps the largest value in each window.",
        "汇聚降低表示的分辨率。它保留每个窗口中最强的信号。",
        "汇聚降低表示的分辨率。它保留每个窗口中最强的信号。",
    ),
    (
        "kept", False,
        "We compare maximum and average pooling in :numref:`fig_pool`.",
        "We compare maximum and average pooling in :numref:`fig_pool`.",
        "我们在 :numref:`fig_pool` 中比较最大汇聚和平均汇聚。",
        "我们在 :numref:`fig_pool` 中比较最大汇聚和平均汇聚。",
    ),
    ("untranslated", True, None, "Padding keeps the border of the image, see :numref:`fig_pad`.", None,
     "Padding keeps the border of the image, see :numref:`fig_pad`."),
    ("translated", True, None, "A stride of $s$ skips positions\nof the window.", None, "步幅跳过窗口的\n一些位置。"),
    ("deleted", True, "An old paragraph that goes away.", None, "一个将被删除的旧段落。", None),
]

CODE = "```python\nx = pool(x)\n```\n"


def output_text() -> str:
    """The synced Chinese file the report describes (what sync would have written)."""
    texts = [s[5] for s in SEGMENTS]
    return (
        f"# {texts[0]}\n\n{texts[1]}\n\n{texts[2]}\n\n{CODE}\n{texts[3]}\n\n{texts[4]}\n\n{texts[5]}\n"
    )


def make_report(folder: Path, output_name: str = "zh.pooling.md") -> Path:
    """Write the sources, the synced output and ``report.json`` into ``folder``; return the report path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "en_old.md").write_text(EN_OLD, encoding="utf-8")
    (folder / "en_new.md").write_text(EN_NEW, encoding="utf-8")
    text = output_text()
    (folder / output_name).write_text(text, encoding="utf-8")
    segments = []
    for number, (status, review, s_old, s_new, t_old, t_new) in enumerate(SEGMENTS):
        line = text[: text.index(t_new)].count("\n") if t_new is not None else None
        segments.append({
            "id": f"f0-s{number}", "status": status, "needs_review": review, "source_old": s_old,
            "source_new": s_new, "target_old": t_old, "target_new": t_new, "output_line": line,
            "note": "source changed" if status == "fuzzy" else "",
        })
    report = {
        "version": 1, "src_lang": "en", "tgt_lang": "zh", "engine": "memory", "engine_calls": 0,
        "files": [{
            "old_source": str(folder / "en_old.md"), "new_source": str(folder / "en_new.md"),
            "old_target": str(folder / "zh_old.md"), "output": output_name, "segments": segments,
            "totals": {}, "words_to_review": 30, "words_full": 60,
        }],
        "totals": {}, "words_to_review": 30, "words_full": 60,
    }
    path = folder / "report.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's chromium driven by Playwright (never a downloaded browser); skips when either is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed: run `make system` (scripts/install-system.sh)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def start_review_cli(project: Path, store: Path, port: int) -> subprocess.Popen:
    """`amts review report.json` in a real process, its stderr piped (read the token with `read_token`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "amts", "review", "report.json", "--port", str(port), "--store", str(store)],
        cwd=project, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "300"})


def read_token(process: subprocess.Popen) -> str:
    """The access token `amts review` prints on stderr (waits up to a minute for it)."""
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while not any("token:" in line for line in lines) and time.monotonic() < deadline:
        lines.append(process.stderr.readline())
    return re.search(r"token: (\S+)", "".join(lines)).group(1)
