"""Requests in flight: the ``openai`` engine against a local OpenAI-compatible server that answers every
request after a fixed 200 ms, as a served model (vLLM, llama.cpp server) or a cloud API does.

Targets (issue 16): with 8 requests in flight a book section translates at >= 6x the throughput of 1
request at a time, and the pipeline around the engine (parsing, masking, validation, reassembly) costs
at most 5% of the time spent waiting for the engine. The server and the document are made here (our
own text), so the bench needs no network, model or data.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amts.adapt.documents import translate_markdown  # noqa: E402
from amts.adapt.setup import TranslationSetup, build_translator  # noqa: E402
from amts.engines import Engine  # noqa: E402
from amts.engines.openai import OpenAIEngine  # noqa: E402

LATENCY = 0.2  # seconds per request, whatever its size
SENTENCES = 160
SEGMENTS_PER_REQUEST = 4  # 40 requests for the document
IN_FLIGHT = 8
TARGET_SPEEDUP = 6.0
TARGET_OVERHEAD = 0.05


class FixedLatencyServer:
    """``POST /v1/chat/completions``: waits LATENCY, answers a JSON array translating each segment."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # as real servers do: no 40 ms delayed-ACK stall per answer

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                content = body["messages"][-1]["content"]
                segments = json.loads(content[content.index("\n") + 1 :])
                time.sleep(LATENCY)
                answer = json.dumps(["译" + s for s in segments], ensure_ascii=False)
                data = json.dumps(
                    {"choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                                  "finish_reason": "stop"}]}  # fmt: skip
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def make_document() -> str:
    parts = [":label:`sec_minibatch`\n"]
    for p in range(SENTENCES // 4):
        sentences = [
            f"Step {p * 4 + j} updates the weights $w_{{{j}}}$ with the gradient of `loss_{p}` as in :eqref:`eq_{p}`."
            for j in range(4)
        ]
        parts.append(" ".join(sentences) + "\n")
        if p % 5 == 0:
            parts.append("```python\nfor x, y in data_iter:\n    l = loss(net(x), y)\n```\n")
    return "\n".join(parts)


class Timed(Engine):
    """Wraps an engine and adds up the wall time spent inside it."""

    def __init__(self, engine: OpenAIEngine) -> None:
        self.engine, self.seconds = engine, 0.0
        self.name, self.batch_size = engine.name, engine.batch_size

    def translate(self, requests, src, tgt):  # noqa: ANN001, ANN201
        return [result.text for result in self.results(requests, src, tgt)]

    def results(self, requests, src, tgt):  # noqa: ANN001, ANN201 - what the adaptive layer calls
        started = time.perf_counter()
        try:
            return self.engine.results(requests, src, tgt)
        finally:
            self.seconds += time.perf_counter() - started


def run(url: str, text: str, in_flight: int) -> tuple[float, float, int]:
    """(total seconds, seconds inside the engine, sentences translated by the engine)."""
    engine = OpenAIEngine(base_url=url, model="bench", batch_size=SEGMENTS_PER_REQUEST, concurrency=in_flight)
    timed = Timed(engine)
    translator = build_translator(TranslationSetup(src="en", targets=["zh"], engine="openai"), "zh", engine=timed)
    started = time.perf_counter()
    result = translate_markdown(text, translator, "en", "zh")
    total = time.perf_counter() - started
    engine.close()
    return total, timed.seconds, result.counts.get("engine", 0)


def main() -> list[dict]:
    server = FixedLatencyServer()
    text = make_document()
    try:
        run(server.url, text.split("\n\n")[0] + "\nWarm up the connection.\n", 1)
        one, _, done_one = run(server.url, text, 1)
        many, engine_many, done_many = run(server.url, text, IN_FLIGHT)
    finally:
        server.close()
    assert done_one == done_many == SENTENCES, (done_one, done_many)
    speedup = one / many
    overhead = (many - engine_many) / engine_many
    requests = -(-done_many // SEGMENTS_PER_REQUEST)
    return [
        {"name": "openai: sentences/s, 1 request in flight", "value": round(done_one / one, 1), "unit": "sent/s",
         "target": None, "ok": True, "note": f"{requests} requests of {SEGMENTS_PER_REQUEST}, {LATENCY * 1000:.0f} ms each"},
        {"name": f"openai: sentences/s, {IN_FLIGHT} requests in flight", "value": round(done_many / many, 1),
         "unit": "sent/s", "target": None, "ok": True, "note": ""},
        {"name": f"openai: throughput of {IN_FLIGHT} requests in flight vs 1", "value": round(speedup, 2), "unit": "x",
         "target": TARGET_SPEEDUP, "ok": speedup >= TARGET_SPEEDUP, "note": ""},
        {"name": f"openai: pipeline overhead / engine time ({IN_FLIGHT} in flight)", "value": round(overhead * 100, 2),
         "unit": "%", "target": TARGET_OVERHEAD * 100, "ok": overhead <= TARGET_OVERHEAD,
         "note": f"total {many:.2f} s, engine {engine_many:.2f} s"},
    ]  # fmt: skip


if __name__ == "__main__":
    for row in main():
        print(f"{row['name']}: {row['value']} {row['unit']} {'OK' if row['ok'] else 'MISSED'} {row['note']}")
