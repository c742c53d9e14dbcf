"""Translation-memory retrieval speed over 100k segments.

Targets (issue 3): exact lookups >= 100k/s; fuzzy top-5 <= 10 ms a query. The segments are sentences
of the English D2L book (en-master) recombined so that there are 100k distinct, realistic ones (two
sentences' halves joined); without the data, sentences are generated from a fixed vocabulary. Also
reports how often the prefiltered fuzzy search finds the same best match as a brute-force rapidfuzz
scan of all 100k segments.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import process  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from amts.document import parse_markdown  # noqa: E402
from amts.memory import Pair, TranslationMemory  # noqa: E402
from amts.memory.retrieval import _match_form  # noqa: E402 - the bench compares like with like

SEGMENTS = 100_000
EXACT_TARGET = 100_000  # lookups per second
FUZZY_TARGET_MS = 10.0
FUZZY_QUERIES = 300
RECALL_QUERIES = 30


def data_root() -> Path:
    return Path(os.environ.get("AMTS_D2L_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "d2l")


def book_sentences() -> list[str]:
    sentences: list[str] = []
    for path in sorted((data_root() / "en-master").rglob("*.md")):
        document = parse_markdown(path.read_text(encoding="utf-8"))
        for segment in document.segments:
            sentences.extend(s.key("en") for s in segment.sentences("en"))
    return [s for s in dict.fromkeys(sentences) if len(s.split()) >= 4]


def generated_sentences(rng: random.Random, count: int = 20_000) -> list[str]:
    words = ["the", "a", "of", "model", "layer", "training", "data", "we", "network", "loss", "gradient", "input", "output", "attention", "token", "sequence"]
    words += [f"term{n}" for n in range(3000)]
    return [" ".join(rng.choice(words) for _ in range(rng.randint(6, 30))).capitalize() + "." for _ in range(count)]


def build_segments(rng: random.Random) -> tuple[list[str], str]:
    base = book_sentences() if (data_root() / "en-master").is_dir() else []
    origin = "D2L en-master sentences, recombined"
    if len(base) < 1000:
        base, origin = generated_sentences(rng), "generated sentences"
    segments = dict.fromkeys(base[:SEGMENTS])
    while len(segments) < SEGMENTS:
        first, second = rng.choice(base).split(), rng.choice(base).split()
        cut_a, cut_b = rng.randint(2, len(first) - 1), rng.randint(1, len(second) - 2)
        segments[" ".join(first[:cut_a] + second[cut_b:])] = None
    return list(segments), origin


def perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    words[rng.randrange(len(words))] = rng.choice(["changed", "different", "new", "other"])
    return " ".join(words)


def main() -> list[dict]:
    rng = random.Random(1234)
    started = time.perf_counter()
    segments, origin = build_segments(rng)
    pairs = [Pair(s, f"译文 {i}", "en", "zh", {"origin": "aligned"}) for i, s in enumerate(segments)]
    built = time.perf_counter()
    memory = TranslationMemory(pairs, "en", "zh")  # CAT default: matches under 50% are not shown
    indexed = time.perf_counter()

    hits = rng.sample(segments, 10_000)
    lookups = hits + [perturb(s, rng) for s in hits[:5_000]] + [s.replace(" ", "  ", 1) for s in hits[:5_000]]
    rounds = 5
    start = time.perf_counter()
    found = 0
    for _ in range(rounds):
        for query in lookups:
            found += memory.exact(query, "en", "zh") is not None
    exact_seconds = time.perf_counter() - start
    exact_rate = rounds * len(lookups) / exact_seconds

    queries = [perturb(s, rng) for s in rng.sample(segments, FUZZY_QUERIES)]
    latencies, cpu = [], []
    for query in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        memory.similar(query, "en", "zh", 5)
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    mean_ms = statistics.fmean(latencies)
    p95_ms = statistics.quantiles(latencies, n=20)[18]
    cpu_note = f"CPU time: mean {statistics.fmean(cpu):.2f} ms, p95 {statistics.quantiles(cpu, n=20)[18]:.2f} ms (wall includes waiting on a shared machine)"

    # quality of the prefilter: same best score as scoring every segment?
    all_texts = [_match_form(s)[0] for s in segments]
    agree = 0
    for query in queries[:RECALL_QUERIES]:
        best = process.extractOne(_match_form(query)[0], all_texts, scorer=Levenshtein.normalized_similarity)
        top = memory.matches(query, 5, min_match=0)
        agree += bool(top) and abs(top[0].score - round(best[1] * 100, 1)) <= 1.0
    recall = agree / RECALL_QUERIES

    note = f"{len(segments)} segments ({origin}); data {built - started:.1f} s, index {indexed - built:.1f} s"
    return [
        {"name": "memory: exact lookups", "value": round(exact_rate), "unit": "lookups/s", "target": EXACT_TARGET,
         "ok": exact_rate >= EXACT_TARGET, "note": f"{note}; {found // rounds}/{len(lookups)} found, ratio {exact_rate / EXACT_TARGET:.2f} of target"},
        {"name": "memory: fuzzy top-5 mean latency", "value": round(mean_ms, 2), "unit": "ms", "target": FUZZY_TARGET_MS,
         "ok": mean_ms <= FUZZY_TARGET_MS, "note": f"{FUZZY_QUERIES} queries, ratio {mean_ms / FUZZY_TARGET_MS:.2f} of target; {cpu_note}"},
        {"name": "memory: fuzzy top-5 p95 latency", "value": round(p95_ms, 2), "unit": "ms", "target": FUZZY_TARGET_MS,
         "ok": p95_ms <= FUZZY_TARGET_MS, "note": f"ratio {p95_ms / FUZZY_TARGET_MS:.2f} of target"},
        {"name": "memory: fuzzy best match = brute force", "value": round(recall * 100, 1), "unit": "%", "target": 90.0,
         "ok": recall >= 0.9, "note": f"{RECALL_QUERIES} queries vs a full rapidfuzz scan of all segments"},
    ]


if __name__ == "__main__":
    for row in main():
        print(f"{row['name']}: {row['value']} {row['unit']} (target {row['target']}) "
              f"{'OK' if row['ok'] else 'MISSED'} -- {row.get('note', '')}")
