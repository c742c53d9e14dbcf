"""The segment cache of network engines from the command line, against the local Amazon Translate
protocol server: ``translate --engine aws`` killed mid-run and run again asks Amazon only for the
segments it never answered, and writes exactly the clean run's output; a run on finished output asks
nothing; ``--no-cache`` asks everything again."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from cloud_fixtures import Cloud, cloud  # noqa: F401 - the fixture
from engine_cache_helpers import cached_answers
from translate_server import ApiError

SECTIONS = ["chapter_builders-guide/lazy-init.md", "chapter_builders-guide/read-write.md",
            "chapter_preliminaries/lookup-api.md"]
ANSWERED_BEFORE_KILL = 12


def make_book(d2l: Path, root: Path) -> Path:
    for section in SECTIONS:
        (root / section).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(d2l / "en-master" / section, root / section)
    return root


def translate_args(book: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "amts", "translate", str(book), "--engine", "aws", "--tgt", "zh-Hans",
            "--out", str(out), *extra]


def outputs(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.md"))}


def hold_after(cloud: Cloud, answered: int) -> threading.Event:  # noqa: F811
    """The server answers ``answered`` TranslateText calls, then holds every further one until the
    returned event is set (the CLI is killed while they wait: they were never answered)."""
    release = threading.Event()
    real = cloud.translate.op_TranslateText
    count = [0]
    lock = threading.Lock()

    def held(request: dict) -> dict:
        with lock:
            count[0] += 1
            hold = count[0] > answered
        if hold:
            release.wait(60)
            raise ApiError("ServiceUnavailableException", "held by the test", 503)
        return real(request)

    cloud.translate.op_TranslateText = held  # type: ignore[method-assign]
    return release


def test_translate_with_aws_killed_and_rerun_asks_only_what_was_never_answered(
    cloud: Cloud, d2l: Path, tmp_path: Path, store: Path,  # noqa: F811
) -> None:
    book = make_book(d2l, tmp_path / "book")
    env = {**os.environ, "COLUMNS": "200"}
    clean_store = tmp_path / "clean-home" / "amts.sqlite"  # its own cache, beside it
    clean = subprocess.run(translate_args(book, tmp_path / "clean", "--store", str(clean_store)), env=env,
                           capture_output=True, text=True, timeout=300)
    assert clean.returncode == 0, clean.stderr
    total = cloud.translate.calls.count("TranslateText")  # a segment repeated in the book is asked once
    assert total > 2 * ANSWERED_BEFORE_KILL and cached_answers(clean_store.with_name("engine-cache.sqlite")) == total
    assert set(cloud.translate.sent("TranslateText", "TargetLanguageCode")) == {"zh"}
    uncached = subprocess.run(translate_args(book, tmp_path / "uncached", "--store", str(clean_store), "--no-cache"),
                              env=env, capture_output=True, text=True, timeout=300)
    assert uncached.returncode == 0, uncached.stderr
    assert cloud.translate.calls.count("TranslateText") - total >= total  # --no-cache asks everything again
    cache = store.with_name("engine-cache.sqlite")
    assert cached_answers(cache) == 0

    release = hold_after(cloud, ANSWERED_BEFORE_KILL)
    out = tmp_path / "out"
    killed = subprocess.Popen(translate_args(book, out), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while cached_answers(cache) < ANSWERED_BEFORE_KILL:  # every answer is committed as it arrives
            assert killed.poll() is None and time.monotonic() < deadline, "the run ended before it was killed"
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)
        killed.wait(30)
    finally:
        release.set()
    cloud.translate.op_TranslateText = type(cloud.translate).op_TranslateText.__get__(cloud.translate)
    assert cached_answers(cache) == ANSWERED_BEFORE_KILL and not outputs(out)

    before = cloud.translate.calls.count("TranslateText")
    rerun = subprocess.run(translate_args(book, out), env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert cloud.translate.calls.count("TranslateText") - before == total - ANSWERED_BEFORE_KILL
    assert outputs(out) == outputs(tmp_path / "clean")  # the clean result, file for file

    before = cloud.translate.calls.count("TranslateText")
    again = subprocess.run(translate_args(book, tmp_path / "again"), env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert cloud.translate.calls.count("TranslateText") == before  # everything answered once: nothing asked
    assert outputs(tmp_path / "again") == outputs(tmp_path / "clean")


def aws_identity(endpoint: str = "https://translate.us-east-1.amazonaws.com", **options: object) -> dict:
    from amts.engines.aws import AwsTranslateEngine

    client = type("Client", (), {"meta": type("Meta", (), {"endpoint_url": endpoint, "region_name": "us-east-1"})})
    return AwsTranslateEngine(client=client(), **options).cache_identity()


def openai_identity(**options: object) -> dict:
    from amts.engines.openai import OpenAIEngine

    engine = OpenAIEngine(**{"base_url": "http://127.0.0.1:8080", "model": "gemma", **options})
    engine.close()
    return engine.cache_identity()


def test_the_cache_key_names_the_endpoint_and_every_option_that_changes_output(tmp_path: Path) -> None:
    assert aws_identity() == aws_identity()
    assert aws_identity("https://translate.eu-west-1.amazonaws.com") != aws_identity()
    assert aws_identity(terminology="d2l-terms") != aws_identity()
    assert aws_identity(formality="FORMAL") != aws_identity()
    assert aws_identity(concurrency=16) == aws_identity()  # how fast, not what
    assert openai_identity() == openai_identity()
    for changed in ({"base_url": "http://127.0.0.1:9090"}, {"model": "qwen"}, {"temperature": 0.7},
                    {"json_mode": "schema"}, {"max_examples": 2}, {"batch_size": 1}):
        assert openai_identity(**changed) != openai_identity(), changed
    assert openai_identity(concurrency=1, timeout=5) == openai_identity()
    from amts.engines import Request
    from amts.engines.cache import CachedEngine
    from amts.engines.openai import OpenAIEngine

    keys = set()
    for base_url in ("http://127.0.0.1:8080", "http://127.0.0.1:9090"):  # same model name, another server
        cached = CachedEngine(OpenAIEngine(base_url=base_url, model="gemma"), tmp_path / "cache.sqlite")
        keys.add(cached.key(Request("Deep learning is fun."), "en", "zh"))
        cached.close()
    assert len(keys) == 2


def test_a_job_answers_from_what_translate_already_received(
    cloud: Cloud, d2l: Path, tmp_path: Path, store: Path,  # noqa: F811
) -> None:
    """One cache for every command: ``job start --engine aws`` after ``translate --engine aws`` of the
    same book sends no TranslateText call and writes the same translations; with ``--no-cache`` it asks again."""
    from jobs_helpers import amts

    book = make_book(d2l, tmp_path / "book")
    amts("translate", str(book), "--engine", "aws", "--tgt", "zh", "--out", str(tmp_path / "translated"))
    asked = cloud.translate.calls.count("TranslateText")
    assert asked > 0
    job_id = amts("job", "start", str(book), "--engine", "aws", "--tgt", "zh", "--out", str(tmp_path / "job"),
                  "--workers", "1").stdout.strip()
    amts("job", "wait", job_id)
    assert cloud.translate.calls.count("TranslateText") == asked
    translated = outputs(tmp_path / "translated")
    assert len(translated) == len(SECTIONS) and outputs(tmp_path / "job") == translated
    job_id = amts("job", "start", str(book), "--engine", "aws", "--tgt", "zh", "--out", str(tmp_path / "again"),
                  "--workers", "1", "--no-cache").stdout.strip()
    amts("job", "wait", job_id)
    assert cloud.translate.calls.count("TranslateText") >= 2 * asked


def test_sync_with_aws_asks_amazon_once_for_each_changed_sentence(
    cloud: Cloud, d2l: Path, tmp_path: Path, store: Path,  # noqa: F811
) -> None:
    """``sync --engine aws`` run twice (the d2l pooling section, en-origin -> en-master, zh): the second
    run writes the same output and sends nothing; ``--no-cache`` sends the same requests again."""
    from jobs_helpers import amts

    section = d2l / "sync" / "pooling"
    args = ["sync", "--old-source", str(section / "en_old.md"), "--new-source", str(section / "en_new.md"),
            "--old-target", str(section / "zh_old.md"), "--engine", "aws", "--tgt", "zh"]
    first = amts(*args, "--out", str(tmp_path / "first.md"), check=False)
    assert first.exit_code in (0, 1), first.output
    asked = cloud.translate.calls.count("TranslateText")
    assert asked > 0
    second = amts(*args, "--out", str(tmp_path / "second.md"), check=False)
    assert second.exit_code == first.exit_code and cloud.translate.calls.count("TranslateText") == asked
    assert (tmp_path / "second.md").read_text("utf-8") == (tmp_path / "first.md").read_text("utf-8")
    amts(*args, "--out", str(tmp_path / "third.md"), "--no-cache", check=False)
    assert cloud.translate.calls.count("TranslateText") == 2 * asked
