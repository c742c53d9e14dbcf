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

from engine_cache_helpers import cached_answers  # noqa: E402

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


def test_translate_with_openai_killed_and_rerun_sends_only_what_was_never_answered(
    llama_server: tuple[str, Path], d2l: Path, tmp_path: Path, store: Path,
) -> None:
    """One chat request per segment; the CLI is killed once 2 answers are in the segment cache: the rerun's
    requests each bring a new answer (none already answered is sent again), and a third run sends none."""
    import os
    import signal

    url, log = llama_server
    book = tmp_path / "book"
    book.mkdir()
    lines = (d2l / "en-master" / "chapter_preliminaries" / "lookup-api.md").read_text(encoding="utf-8").splitlines()
    (book / "lookup-api.md").write_text("\n".join(lines[:22]) + "\n", encoding="utf-8")
    (book / "amts.toml").write_text(
        '[book]\nsrc = "en"\ntgt = ["es"]\n\n[engine.openai]\n'
        f'base_url = "{url}"\nmodel = "gemma-3-270m"\nbatch_size = 1\nconcurrency = 1\nmax_tokens = 48\n'
        'json_mode = "schema"\nmax_examples = 0\nanswer_retries = 0\n', encoding="utf-8")
    command = [sys.executable, "-m", "amts", "translate", str(book), "--engine", "openai", "--out", str(tmp_path / "out")]
    env = {**os.environ, "COLUMNS": "200"}
    cache = store.with_name("engine-cache.sqlite")

    def served() -> int:
        return log.read_text().count('"POST /v1/chat/completions HTTP/1.1" 200')

    killed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while cached_answers(cache) < 2:
        assert killed.poll() is None and time.monotonic() < deadline, "the run ended before it was killed"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    answered = cached_answers(cache)
    time.sleep(1)  # a request in flight at the kill is still answered by the server, to nobody
    before = served()
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode in (0, 1), rerun.stderr  # 1: some sentences reported for review
    sent = served() - before
    assert sent > 0 and cached_answers(cache) - answered == sent  # every request sent was one never answered
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == rerun.returncode and served() == before + sent  # all answered: nothing sent
