"""Any OpenAI-compatible ``/v1/chat/completions`` endpoint (OpenAI, vLLM, llama.cpp server, Ollama).

A language model translates best when shown how: the pairs the adaptive layer retrieved from the
parallel data become few-shot turns (user: source segments, assistant: their human translations),
the glossary and strict rules go in the system message, and the answer must be a JSON array with
exactly one string per segment. Anything else -- wrong count, prose around the JSON, a truncated
answer -- is rejected, asked again, then split into smaller batches; placeholders are checked by the
caller (:mod:`amts.adapt`), which retries a broken segment once and never writes it broken.

Configuration (engine options, or the environment): ``base_url`` (``AMTS_OPENAI_BASE_URL``,
``OPENAI_BASE_URL``; default ``https://api.openai.com/v1``), ``model`` (``AMTS_OPENAI_MODEL``,
``OPENAI_MODEL``), ``api_key`` (``AMTS_OPENAI_API_KEY``, ``OPENAI_API_KEY``; local servers need none).

Scaling out: ``concurrency`` requests (of ``batch_size`` segments each) are in flight at once and
the answers keep the segments' order; ``requests_per_minute`` / ``tokens_per_minute`` keep all of
them inside a provider's budget, and a 429 with ``Retry-After`` holds every request, not just one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from amts.engines.base import Engine, EngineError, EngineUnavailable, Request, Translation
from amts.engines.pacing import Pacer, ordered_map
from amts.engines.retry import RetryPolicy, call_with_retry, parse_retry_after
from amts.errors import AmtsError
from amts.memory.pairs import Example

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Simplified Chinese",
    "zh-tw": "Traditional Chinese",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "ja": "Japanese",
    "ko": "Korean",
    "pt": "Portuguese",
    "ru": "Russian",
    "it": "Italian",
    "tr": "Turkish",
    "vi": "Vietnamese",
    "ar": "Arabic",
}
_FENCE_RE = re.compile(r"^```[A-Za-z]*\s*\n(.*)\n```$", re.S)
_TRANSIENT_STATUS = (408, 409, 425, 429, 500, 502, 503, 504)


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.lower(), LANGUAGE_NAMES.get(code.split("-")[0].lower(), code))


class AnswerError(AmtsError, ValueError):
    """The model answered, but not with exactly one translation per segment and nothing else."""


class _TransientHTTP(AmtsError):
    def __init__(self, status: int, body: str, retry_after: float | None) -> None:
        self.status, self.retry_after = status, retry_after
        super().__init__(f"HTTP {status}: {body[:200]}")


def _first_env(*names: str) -> str | None:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return None


def normalize_base_url(url: str) -> str:
    """``http://host:8080`` -> ``http://host:8080/v1``; a URL with a path is used as given."""
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EngineError(f"openai: base URL must be http(s)://host[:port][/path], not {url!r}")
    return url if parts.path not in ("", "/") else url + "/v1"


def system_prompt(src: str, tgt: str, count: int, glossary: Mapping[str, str]) -> str:
    lines = [
        f"You are a professional translator of technical books from {language_name(src)} to {language_name(tgt)}.",
        "Rules:",
        f"1. Translate every input segment into {language_name(tgt)}; translate the meaning, fluently.",
        "2. Placeholders such as {1}, {2} stand for code, math, links and references. Copy each placeholder"
        " of a segment exactly once, unchanged, into its translation; never add, drop, renumber or translate one.",
        "3. Keep Markdown emphasis marks (*, **, _) around the words they belong to.",
        "4. Answer with ONLY a JSON array of strings: exactly one string per input segment, in the same order."
        " No explanations, no notes, no code fences, no keys.",
    ]
    if glossary:
        lines.append("5. Use these term translations:")
        lines.extend(f"   {source} => {target}" for source, target in glossary.items())
    lines.append(f"This request has {count} segment(s).")
    return "\n".join(lines)


def user_message(segments: Sequence[str], src: str, tgt: str) -> str:
    return (
        f"Translate these {len(segments)} segment(s) from {language_name(src)} to {language_name(tgt)}. "
        f"Reply with a JSON array of exactly {len(segments)} string(s).\n"
        + json.dumps(list(segments), ensure_ascii=False)
    )


def json_mode_name(value: bool | str) -> str:
    """``json_mode`` option: off, ``object`` (``true``: any JSON) or ``schema`` (exactly N strings)."""
    if value in (False, None, "", "off", "false"):
        return ""
    if value in (True, "object", "true", "on"):
        return "object"
    if value == "schema":
        return "schema"
    raise EngineError(f"openai: json_mode must be false, true/object or schema, not {value!r}")


def answer_schema(count: int) -> dict[str, Any]:
    """A JSON schema for the answer: an array of exactly ``count`` non-empty strings. Servers that
    constrain decoding with it (llama.cpp's server, vLLM) cannot answer anything else."""
    return {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": count,
        "maxItems": count,
    }


def estimate_tokens(body: Mapping[str, Any]) -> int:
    """A rough token count of a request and its answer (about 3 characters a token, answer ~ input)."""
    prompt = sum(len(m.get("content", "")) for m in body.get("messages", []))
    answer = len(body.get("messages", [{}])[-1].get("content", "")) if body.get("messages") else 0
    return (prompt + answer) // 3 + 1


def merged_examples(requests: Sequence[Request], limit: int) -> list[Example]:
    """The batch's retrieved pairs, best first, each once, at most ``limit``."""
    best: dict[str, Example] = {}
    order: list[str] = []
    for request in requests:
        for example in request.examples:
            if example.source not in best:
                order.append(example.source)
                best[example.source] = example
            elif example.score > best[example.source].score:
                best[example.source] = example
    ranked = sorted(order, key=lambda s: -best[s].score)  # stable: ties keep retrieval order
    return [best[s] for s in ranked[:limit]]


def build_messages(
    requests: Sequence[Request], src: str, tgt: str, max_examples: int = 8
) -> list[dict[str, str]]:
    """System rules + glossary, the retrieved pairs as one few-shot exchange, then the segments."""
    glossary: dict[str, str] = {}
    for request in requests:
        glossary.update(request.glossary)
    messages = [{"role": "system", "content": system_prompt(src, tgt, len(requests), glossary)}]
    examples = merged_examples(requests, max_examples)
    if examples:
        messages.append({"role": "user", "content": user_message([e.source for e in examples], src, tgt)})
        messages.append(
            {"role": "assistant", "content": json.dumps([e.target for e in examples], ensure_ascii=False)}
        )
    messages.append({"role": "user", "content": user_message([r.text for r in requests], src, tgt)})
    return messages


def parse_translations(content: str, count: int) -> list[str]:
    """Exactly ``count`` strings from the model's answer, or :class:`AnswerError` saying what is wrong."""
    text = content.strip()
    fenced = _FENCE_RE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        value = json.loads(text, strict=False)  # models put raw line breaks inside strings
    except json.JSONDecodeError as error:
        raise AnswerError(f"answer is not a JSON array ({error.msg}): {content[:80]!r}") from error
    if isinstance(value, dict) and len(value) == 1:  # {"translations": [...]} from JSON modes
        value = next(iter(value.values()))
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AnswerError("answer is not a JSON array of strings")
    if len(value) != count:
        raise AnswerError(f"answer has {len(value)} translation(s) for {count} segment(s)")
    if any(not item.strip() for item in value):
        raise AnswerError("answer has an empty translation")
    return value


class OpenAIEngine(Engine):
    """Chat-completions translation with retrieved pairs as few-shot examples (see module doc)."""

    name = "openai"
    title = "OpenAI-compatible LLM"
    package = "httpx"
    needs_network = True
    batch_size = 8
    output_options = ("base_url", "temperature", "max_tokens", "max_examples", "json_mode", "request_size",
                      "prompt")

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 30.0,
        batch_size: int | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        max_examples: int = 8,
        json_mode: bool | str = False,
        answer_retries: int = 1,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        concurrency: int = 4,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
    ) -> None:
        self.base_url = normalize_base_url(
            base_url or _first_env("AMTS_OPENAI_BASE_URL", "OPENAI_BASE_URL") or DEFAULT_BASE_URL
        )
        self.model = model or _first_env("AMTS_OPENAI_MODEL", "OPENAI_MODEL")
        if not self.model:
            raise EngineUnavailable(
                "openai: no model given (option model, or AMTS_OPENAI_MODEL / OPENAI_MODEL)"
            )
        key = api_key or _first_env("AMTS_OPENAI_API_KEY", "OPENAI_API_KEY")
        if not key and urlsplit(self.base_url).hostname == "api.openai.com":
            raise EngineUnavailable("openai: no API key (set OPENAI_API_KEY or AMTS_OPENAI_API_KEY)")
        #: segments per chat request; the adaptive layer hands over ``concurrency`` requests' worth at once
        self.request_size = int(batch_size) if batch_size else type(self).batch_size
        self.concurrency = max(1, int(concurrency))
        self.batch_size = self.request_size * self.concurrency
        self.pacer = Pacer(requests_per_minute, tokens_per_minute)
        self._reached = False  # a connection error before the first answer is not worth retrying
        self.temperature, self.max_tokens = float(temperature), max_tokens
        self.max_examples = int(max_examples)
        self.json_mode: str = json_mode_name(json_mode)
        #: the prompt's wording (a digest): a new prompt must not reuse answers to the old one
        self.prompt = hashlib.sha256(
            "\n".join(m["content"] for m in build_messages([Request("{1}")], "{src}", "{tgt}")).encode()
        ).hexdigest()[:16]
        self.answer_retries = int(answer_retries)
        self.policy = policy or RetryPolicy.from_options(retries, backoff, max_backoff)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if key:
            all_headers["Authorization"] = f"Bearer {key}"
        self.client = httpx.Client(
            base_url=self.base_url,
            headers=all_headers,
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            limits=httpx.Limits(max_connections=max(10, self.concurrency), max_keepalive_connections=self.concurrency),
        )

    def results(self, requests: Sequence[Request], src: str, tgt: str) -> list[Translation]:
        """``concurrency`` chat requests in flight, ``request_size`` segments each; outputs in order.

        A segment the model gives no usable answer for (after asking again and splitting the batch)
        comes back untrusted with the reason: the adaptive layer retries it once, then keeps the source
        and reports it -- one bad answer does not fail the document.
        """
        work = list(requests)
        chunks = [work[i : i + self.request_size] for i in range(0, len(work), self.request_size)]
        answers = ordered_map(lambda chunk: self._translate(chunk, src, tgt), chunks, self.concurrency)
        return [result for answer in answers for result in answer]

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        results = self.results(requests, src, tgt)
        for result in results:
            if not result.trusted:
                raise EngineError(f"openai ({self.model}): {result.note}")
        return [result.text for result in results]

    def _translate(self, requests: list[Request], src: str, tgt: str) -> list[Translation]:
        return [
            self.answered(request, Translation(text) if problem is None
                          else Translation(request.text, trusted=False, note=problem))
            for request, (text, problem) in zip(requests, self._answers(requests, src, tgt), strict=True)
        ]

    def _answers(self, requests: list[Request], src: str, tgt: str) -> list[tuple[str, str | None]]:
        messages = build_messages(requests, src, tgt, self.max_examples)
        problem: AnswerError | None = None
        for _ in range(1 + self.answer_retries):
            try:
                texts = parse_translations(self.complete(messages, len(requests)), len(requests))
                return [(text, None) for text in texts]
            except AnswerError as error:
                problem = error
        if len(requests) > 1:  # smaller batches are easier to answer exactly
            middle = len(requests) // 2
            return self._answers(requests[:middle], src, tgt) + self._answers(requests[middle:], src, tgt)
        return [("", f"unusable answer from the model: {problem}")]

    def complete(self, messages: list[dict[str, str]], count: int | None = None) -> str:
        """One chat completion (with retries on 429/5xx/timeouts); returns the message content.

        With ``json_mode="schema"`` the server is asked for exactly ``count`` non-empty strings.
        """
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": self.temperature}
        if self.max_tokens:
            body["max_tokens"] = int(self.max_tokens)
        if self.json_mode == "object":
            body["response_format"] = {"type": "json_object"}
        elif self.json_mode == "schema" and count:
            body["response_format"] = {"type": "json_object", "schema": answer_schema(count)}
        try:
            data = call_with_retry(
                lambda: self._post(body),
                policy=self.policy,
                transient=self._transient,
                retry_after=lambda e: e.retry_after if isinstance(e, _TransientHTTP) else None,
                what=f"openai chat completion at {self.base_url}",
                on_retry=self._on_retry,
            )
        except httpx.TransportError as error:
            if self._reached:
                raise EngineError(f"openai: {self.base_url}: {error}") from error
            raise EngineUnavailable(
                f"openai: cannot reach {self.base_url}: {error or type(error).__name__} (is the server running? "
                "set AMTS_OPENAI_BASE_URL or OPENAI_BASE_URL, or base_url under [engine.openai] in amts.toml)"
            ) from error
        try:
            choice = data["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise EngineError(
                f"openai: malformed response from {self.base_url}: {str(data)[:200]}"
            ) from error
        if choice.get("finish_reason") == "length":
            raise AnswerError("answer was cut off (max_tokens reached)")
        if not isinstance(content, str):
            raise AnswerError("answer has no text content")
        return content

    def _transient(self, error: BaseException) -> bool:
        if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout) and not self._reached:
            return False  # nothing there (no server, no network): say so at once
        return isinstance(error, _TransientHTTP | httpx.TimeoutException | httpx.TransportError)

    def _on_retry(self, attempt: int, error: BaseException, wait: float) -> None:
        """A 429 holds every request in flight for the server's ``Retry-After``, not only this one."""
        if isinstance(error, _TransientHTTP) and error.status == 429:
            self.pacer.pause(wait)

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        self.pacer.acquire(estimate_tokens(body))  # every attempt counts against the budget
        response = self.client.post("/chat/completions", json=body)
        self._reached = True
        if response.status_code in _TRANSIENT_STATUS:
            raise _TransientHTTP(
                response.status_code, response.text, parse_retry_after(response.headers.get("retry-after"))
            )
        if response.status_code in (401, 403):
            raise EngineUnavailable(
                f"openai: {self.base_url} refused the API key (HTTP {response.status_code})"
            )
        if response.status_code >= 400:
            raise EngineError(
                f"openai: HTTP {response.status_code} from {self.base_url}: {response.text[:300]}"
            )
        try:
            return response.json()
        except ValueError as error:
            raise EngineError(
                f"openai: response from {self.base_url} is not JSON: {response.text[:120]!r}"
            ) from error

    def close(self) -> None:
        self.client.close()
