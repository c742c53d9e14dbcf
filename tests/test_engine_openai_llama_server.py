"""The ``openai`` engine end to end against a real OpenAI-compatible server: llama-cpp-python's own
(``python -m llama_cpp.server``, extra ``server``) serving the local Gemma-3-270M model.

The model is tiny and not instruction-tuned, so the test checks the protocol and the pipeline, not
translation quality: requests go out two at a time, the server constrains each answer to the JSON
schema amts sends (exactly N non-empty strings), every sentence comes back as an engine output or a
reported failure, and the structure around the prose is untouched.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python's server extra is not installed")

from amts.adapt.documents import translate_markdown  # noqa: E402
from amts.adapt.setup import TranslationSetup, build_translator  # noqa: E402
from amts.engines.llama import default_model_path  # noqa: E402
from amts.engines.openai import OpenAIEngine  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    model = default_model_path()
    if not model.is_file():
        pytest.skip(f"no local Gemma model at {model} (make models)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "2048", "--chat_format", "gemma", "--n_threads", "2"],
            stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.5)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_openai_engine_against_llama_cpp_server(llama_server: tuple[str, Path]) -> None:
    url, log = llama_server
    engine = OpenAIEngine(
        base_url=url, model="gemma-3-270m", concurrency=2, batch_size=1, max_tokens=48, json_mode="schema",
        max_examples=0, answer_retries=0,
    )  # fmt: skip
    translator = build_translator(TranslationSetup(src="en", targets=["es"], engine="openai"), "es", engine=engine)
    document = "Deep learning is fun.\n\n```python\nx = 1\n```\n\nThe loss is small.\n"
    result = translate_markdown(document, translator, "en", "es")
    engine.close()
    statuses = [record.outcome.status for record in result.sentences]
    assert len(statuses) == 2 and set(statuses) <= {"engine", "failed"}
    assert "\n\n```python\nx = 1\n```\n\n" in result.text  # structure untouched around the prose
    served = log.read_text().count('"POST /v1/chat/completions HTTP/1.1" 200')
    assert served >= 2 and translator.engine_calls >= 2  # real answers from the real server
    for record in result.sentences:
        if record.outcome.status == "engine":
            assert record.outcome.target.strip()  # the schema forbids empty answers
