"""The OpenAI-compatible engine against a REAL local HTTP server (in this process, on 127.0.0.1:0) that
speaks the chat-completions protocol, validates each request's shape and records what it received."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from amts.adapt import AdaptiveTranslator
from amts.document import mask
from amts.engines import EngineError, EngineUnavailable, Request, get_engine
from amts.engines.openai import OpenAIEngine, parse_translations
from amts.engines.retry import RetriesExhausted, RetryPolicy
from amts.memory import Example, Pair, TermMatcher, TranslationMemory

FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.05)
Reply = Callable[[dict], tuple[int, dict | str, dict]]


def segments_of(body: dict) -> list[str]:
    """The JSON array of segments at the end of the last user message."""
    content = body["messages"][-1]["content"]
    return json.loads(content[content.index("\n") + 1 :])


def translating_reply(body: dict) -> tuple[int, dict, dict]:
    """A well-behaved model: '译' + the segment, placeholders kept."""
    outputs = ["译" + s for s in segments_of(body)]
    return 200, completion(json.dumps(outputs, ensure_ascii=False)), {}


def completion(content: str, finish: str = "stop") -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": "test-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
        ],
    }


class ChatServer:
    """Chat-completions endpoint: checks the request, records it, answers from a script of replies."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.script: list[Reply] = []
        self.default: Reply = translating_reply
        self.errors: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                problem = server.validate(self.path, dict(self.headers), raw)
                if problem:
                    server.errors.append(problem)
                    return self.answer(400, {"error": {"message": problem}}, {})
                body = json.loads(raw)
                server.received.append(body)
                server.headers.append(dict(self.headers))
                reply = server.script.pop(0) if server.script else server.default
                status, payload, headers = reply(body)
                self.answer(status, payload, headers)

            def answer(self, status: int, payload: dict | str, headers: dict) -> None:
                data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @staticmethod
    def validate(path: str, headers: dict, raw: bytes) -> str | None:
        if path != "/v1/chat/completions":
            return f"unexpected path {path}"
        if "application/json" not in headers.get("Content-Type", ""):
            return "content type must be JSON"
        try:
            body = json.loads(raw)
        except ValueError:
            return "body is not JSON"
        if not isinstance(body.get("model"), str) or not body["model"]:
            return "model missing"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "messages missing"
        for message in messages:
            if set(message) != {"role", "content"} or message["role"] not in ("system", "user", "assistant"):
                return f"bad message {message}"
            if not isinstance(message["content"], str):
                return "content must be a string"
        if messages[0]["role"] != "system" or messages[-1]["role"] != "user":
            return "expected a system message first and a user message last"
        return None


@pytest.fixture
def server() -> Iterator[ChatServer]:
    chat = ChatServer()
    chat.thread.start()
    yield chat
    chat.httpd.shutdown()
    chat.httpd.server_close()
    assert not chat.errors, chat.errors


def engine_for(server: ChatServer, **options: object) -> OpenAIEngine:
    engine = OpenAIEngine(base_url=server.url, model="test-model", api_key="sk-test", policy=FAST, **options)
    return engine


PAIRS = [
    ("The learning rate controls the step size of gradient descent.", "学习率控制梯度下降的步长。"),
    ("A small learning rate makes gradient descent slow.", "较小的学习率会使梯度下降变慢。"),
    ("Gradient descent updates the parameters with the learning rate.", "梯度下降使用学习率更新参数。"),
    ("The dataset contains movie reviews.", "该数据集包含电影评论。"),
    ("We download the WikiText-2 dataset.", "我们下载WikiText-2数据集。"),
    ("Tokens are the units of text.", "词元是文本的单位。"),
    ("BERT is pretrained on large corpora.", "BERT在大型语料库上预训练。"),
]


def test_server_receives_the_k_most_similar_pairs_from_the_memory(server: ChatServer) -> None:
    memory = TranslationMemory([Pair(s, t, "en", "zh") for s, t in PAIRS], "en", "zh", min_match=20)
    query = "A large learning rate makes gradient descent diverge, see :numref:`sec_gd`."
    k = 3
    expected = memory.similar(query, "en", "zh", k)
    assert len(expected) == k
    # sanity of the memory itself: the learning-rate sentences are the nearest ones
    assert {e.source for e in expected} == {s for s, _ in PAIRS[:3]}
    translator = AdaptiveTranslator(engine_for(server), memory=memory, examples=k)
    [outcome] = translator.translate([query], "en", "zh")

    assert outcome.status == "engine" and outcome.target.startswith("译")
    assert outcome.target.endswith(":numref:`sec_gd`.")  # placeholder went out as {1} and came back
    [body] = server.received
    system, shot_user, shot_assistant, user = body["messages"]
    assert (shot_user["role"], shot_assistant["role"]) == ("user", "assistant")
    assert segments_of({"messages": [shot_user]}) == [mask(e.source).text for e in expected]
    assert json.loads(shot_assistant["content"]) == [mask(e.target).text for e in expected]
    assert segments_of(body) == [mask(query).text] and "{1}" in mask(query).text
    assert "{1}" in system["content"] and "JSON array" in system["content"]
    assert "Simplified Chinese" in system["content"]
    assert server.headers[0]["Authorization"] == "Bearer sk-test"
    assert body["model"] == "test-model" and body["temperature"] == 0.0


def test_glossary_and_batch_examples_reach_the_prompt(server: ChatServer) -> None:
    glossary = TermMatcher({"learning rate": "学习率", "tokens": "词元"})
    requests = [
        Request(
            "The learning rate is {1}.",
            (Example("a", "甲", 0.5), Example("b", "乙", 0.9)),
            glossary.terms_for("The learning rate is x."),
        ),
        Request(
            "Split text into tokens.",
            (Example("b", "乙", 0.9), Example("c", "丙", 0.7)),
            glossary.terms_for("Split text into tokens."),
        ),
    ]
    out = engine_for(server, max_examples=2).translate(requests, "en", "zh")
    assert out == ["译The learning rate is {1}.", "译Split text into tokens."]
    system = server.received[0]["messages"][0]["content"]
    assert "learning rate => 学习率" in system and "tokens => 词元" in system
    shots = segments_of({"messages": [server.received[0]["messages"][1]]})
    assert shots == ["b", "c"]  # merged, deduplicated, best first, capped at max_examples


def test_throttling_and_server_errors_are_retried(server: ChatServer) -> None:
    server.script = [
        lambda body: (429, {"error": {"message": "rate limited"}}, {"Retry-After": "0"}),
        lambda body: (503, {"error": {"message": "overloaded"}}, {}),
    ]
    assert engine_for(server).translate([Request("Hello {1}.")], "en", "zh") == ["译Hello {1}."]
    assert len(server.received) == 3


def test_gives_up_after_max_attempts_and_does_not_retry_auth(server: ChatServer) -> None:
    server.default = lambda body: (500, {"error": {"message": "boom"}}, {})
    with pytest.raises(RetriesExhausted, match="3 attempt"):
        engine_for(server).translate([Request("Hello.")], "en", "zh")
    assert len(server.received) == 3
    server.received.clear()
    server.default = lambda body: (401, {"error": {"message": "bad key"}}, {})
    with pytest.raises(EngineUnavailable, match="refused the API key"):
        engine_for(server).translate([Request("Hello.")], "en", "zh")
    assert len(server.received) == 1


def test_timeout_is_retried(server: ChatServer) -> None:
    def slow(body: dict) -> tuple[int, dict, dict]:
        time.sleep(1.0)
        return translating_reply(body)

    server.script = [slow]
    engine = engine_for(server, timeout=0.3)
    assert engine.translate([Request("Hello.")], "en", "zh") == ["译Hello."]
    assert len(server.received) == 2


def test_bad_answers_are_rejected_then_split(server: ChatServer) -> None:
    server.script = [
        lambda body: (200, completion('Sure! Here are the translations: ["一", "二"]'), {}),  # commentary
        lambda body: (200, completion('["只有一个"]'), {}),  # wrong count
    ]
    # after one re-ask the batch of 2 is split into two single-segment requests
    out = engine_for(server).translate([Request("One."), Request("Two.")], "en", "zh")
    assert out == ["译One.", "译Two."]
    assert [len(segments_of(b)) for b in server.received] == [2, 2, 1, 1]


def test_single_segment_unusable_answer_is_an_error(server: ChatServer) -> None:
    server.default = lambda body: (200, completion("I cannot translate that."), {})
    with pytest.raises(EngineError, match="unusable answer"):
        engine_for(server).translate([Request("One.")], "en", "zh")


def test_answer_parsing_is_strict() -> None:
    assert parse_translations('```json\n["a", "b"]\n```', 2) == ["a", "b"]
    assert parse_translations('{"translations": ["a"]}', 1) == ["a"]
    for bad in ('["a"] extra', '["a", 1]', '[""]', "a", '["a", "b"]'):
        with pytest.raises(ValueError):
            parse_translations(bad, 1)


def test_configuration_from_environment(server: ChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMTS_OPENAI_BASE_URL", server.url.removesuffix("/v1"))  # /v1 is added
    monkeypatch.setenv("AMTS_OPENAI_MODEL", "env-model")
    monkeypatch.delenv("AMTS_OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    engine = get_engine("openai", policy=FAST)
    assert engine.translate([Request("Hi.")], "en", "zh") == ["译Hi."]
    assert server.received[0]["model"] == "env-model"
    assert server.headers[0]["Authorization"] == "Bearer sk-env"
    monkeypatch.delenv("AMTS_OPENAI_MODEL")
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    with pytest.raises(EngineUnavailable, match="no model"):
        get_engine("openai")


def test_placeholder_loss_is_caught_by_the_pipeline(server: ChatServer) -> None:
    """A model that drops a placeholder: the adaptive layer retries once, then keeps the source."""
    server.default = lambda body: (
        200,
        completion(json.dumps([re.sub(r"\{\d+\}", "", s) + "译" for s in segments_of(body)])),
        {},
    )
    translator = AdaptiveTranslator(engine_for(server))
    [outcome] = translator.translate(["Run `make test` now."], "en", "zh")
    assert outcome.status == "failed" and outcome.target == "Run `make test` now."
    assert len(server.received) == 2


class InFlight:
    """A reply that takes ``latency`` seconds and counts the requests being answered at once."""

    def __init__(self, latency: float) -> None:
        self.latency, self.now, self.most = latency, 0, 0
        self.lock = threading.Lock()
        self.arrivals: list[float] = []

    def __call__(self, body: dict) -> tuple[int, dict, dict]:
        with self.lock:
            self.arrivals.append(time.monotonic())
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.latency)
        with self.lock:
            self.now -= 1
        return translating_reply(body)


def test_requests_in_flight_keep_output_order(server: ChatServer) -> None:
    reply = InFlight(0.2)
    server.default = reply
    engine = engine_for(server, batch_size=2, concurrency=8)
    assert engine.batch_size == 16  # the adaptive layer hands over 8 requests' worth at once
    texts = [f"Segment {i} with {{1}}." for i in range(32)]
    started = time.monotonic()
    out = engine.translate([Request(t) for t in texts], "en", "zh")
    elapsed = time.monotonic() - started
    assert out == ["译" + t for t in texts]  # 16 requests answered out of order, outputs in order
    assert reply.most == 8 and len(server.received) == 16
    assert elapsed < 16 * 0.2 / 4  # one request at a time would take 3.2 s


def test_retry_after_holds_every_request(server: ChatServer) -> None:
    reply = InFlight(0.05)
    refused_at: list[float] = []

    def too_many(body: dict) -> tuple[int, dict, dict]:
        refused_at.append(time.monotonic())
        return 429, {"error": {"message": "rate limited"}}, {"Retry-After": "0.6"}

    server.script = [too_many]
    server.default = reply
    engine = OpenAIEngine(base_url=server.url, model="test-model", batch_size=1, concurrency=4,
                          policy=RetryPolicy(attempts=3, base_delay=0.0, max_delay=5))
    out = engine.translate([Request(f"S{i}.") for i in range(12)], "en", "zh")
    assert out == [f"译S{i}." for i in range(12)]
    # requests already sent were answered; after the 429 nothing new was sent for Retry-After seconds
    later = [t - refused_at[0] for t in reply.arrivals if t > refused_at[0] + 0.05]
    assert later and min(later) >= 0.55


def test_pacer_keeps_requests_and_tokens_per_minute() -> None:
    from amts.engines.pacing import Pacer

    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    pacer = Pacer(requests_per_minute=2, clock=lambda: clock[0], sleep=sleep)
    assert [pacer.acquire() for _ in range(2)] == [0.0, 0.0]
    assert pacer.acquire() == 60.0  # the third request of the minute waits for the first to age out
    tokens = Pacer(tokens_per_minute=1000, clock=lambda: clock[0], sleep=sleep)
    tokens.acquire(600)
    clock[0] += 10
    assert tokens.acquire(600) == 50.0  # 600 + 600 > 1000: wait until the first 600 leave the window
    pacer.pause(5)
    assert pacer.acquire() >= 5.0


def test_unreachable_server_fails_at_once() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    engine = OpenAIEngine(base_url=f"http://127.0.0.1:{port}/v1", model="m", policy=RetryPolicy(attempts=5, base_delay=1))
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="cannot reach http://127.0.0.1"):
        engine.translate([Request("Hello.")], "en", "zh")
    assert time.monotonic() - started < 2
