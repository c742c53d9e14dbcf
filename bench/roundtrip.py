"""Parse + reassemble throughput of the whole English book (target: en-master in under 2 s)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amts.document import parse_markdown  # noqa: E402

TARGET_SECONDS = 2.0


def data_root() -> Path:
    return Path(os.environ.get("AMTS_D2L_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "d2l")


def main() -> list[dict]:
    files = sorted((data_root() / "en-master").rglob("*.md"))
    if not files:
        return [{"name": "roundtrip", "value": None, "unit": "s", "target": TARGET_SECONDS, "ok": False,
                 "note": "D2L data not found"}]
    texts = [f.read_text(encoding="utf-8") for f in files]
    size_mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    start = time.perf_counter()
    exact = 0
    for text in texts:
        document = parse_markdown(text)
        exact += document.render({}) == text
        for segment in document.segments:  # sentence split is part of what every pipeline stage does
            segment.sentences("en")
    seconds = time.perf_counter() - start
    return [
        {"name": "roundtrip: parse+split+reassemble en-master", "value": round(seconds, 3), "unit": "s",
         "target": TARGET_SECONDS, "ok": seconds <= TARGET_SECONDS and exact == len(texts),
         "note": f"{len(texts)} files, {size_mb:.1f} MB, {size_mb / seconds:.2f} MB/s, "
                 f"{exact}/{len(texts)} byte-identical, ratio {seconds / TARGET_SECONDS:.2f} of target"},
    ]


if __name__ == "__main__":
    for row in main():
        print(f"{row['name']}: {row['value']} {row['unit']} (target <= {row['target']}) "
              f"{'OK' if row['ok'] else 'MISSED'} -- {row.get('note', '')}")
