"""Batch jobs on small trees of our own: failures, crash recovery, stop/resume, parallel data."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from jobs_helpers import amts, process_gone, status, wait_until

from amts.adapt import AdaptiveTranslator
from amts.adapt.documents import translate_markdown
from amts.engines import get_engine
from amts.jobs import (
    COMPLETED,
    STOPPED,
    JobError,
    JobSpec,
    JobStore,
    resume_job,
    run_job,
    start_job,
    worker_alive,
)
from amts.jobs.locations import content_hash
from amts.jobs.model import DONE, ERROR, PENDING, RUNNING, STAGED
from amts.memory import Pair, Store

DOCS = {
    "intro.md": "# Getting started\n\nThis book teaches models. See :numref:`sec_x` and $x^2$.\n\n"
    "```python\nprint('hello')\n```\n\nWe train a network on data.\n",
    "part/linear.md": "## Linear models\n:label:`sec_linear`\n\nA linear model is simple. It has weights $w$.\n\n"
    "- first item here\n- second item [link](../img/a.png)\n",
    "part/deep/mlp.md": "# Multilayer perceptrons\n\nHidden layers add capacity. They need nonlinearities.\n",
}


def make_tree(root: Path, docs: dict[str, str] = DOCS) -> Path:
    for relative, text in docs.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def pseudo(text: str, lang: str) -> str:
    return translate_markdown(text, AdaptiveTranslator(get_engine("pseudo")), "en", lang).text


def test_bad_document_completes_with_error_and_others_complete(tmp_path: Path, store: Path) -> None:
    src = make_tree(tmp_path / "src")
    (src / "part" / "broken.md").write_bytes(b"# Title\n\nSome text \xff\xfe here.\n")
    (src / "figure.png").write_bytes(b"\x89PNG")
    out = tmp_path / "out"
    job_id = amts("job", "start", str(src), "--tgt", "zh", "--tgt", "es", "--engine", "pseudo", "--out", str(out),
                  "--name", "small").stdout.strip()
    waited = amts("job", "wait", job_id, check=False)
    assert waited.returncode == 1 and "COMPLETED_WITH_ERROR" in waited.stderr
    info = status("small")  # a job can be named instead of its id
    assert info["state"] == "COMPLETED_WITH_ERROR"
    assert {(e["lang"], e["document"]) for e in info["errors"]} == {("zh", "part/broken.md"), ("es", "part/broken.md")}
    assert all("invalid UTF-8 at byte 19 (line 3)" in e["error"] for e in info["errors"])
    assert info["skipped"] == ["figure.png"]
    for lang in ("zh", "es"):
        counts = info["languages"][lang]
        assert (counts["input_documents"], counts["translated_documents"], counts["documents_with_errors"]) == (4, 3, 1)
        for relative, text in DOCS.items():
            output = out / Path(relative).parent / f"{lang}.{Path(relative).name}"
            assert output.read_text(encoding="utf-8") == pseudo(text, lang)
        assert not (out / "part" / f"{lang}.broken.md").exists()
    text = amts("job", "status", job_id).stdout
    assert "COMPLETED_WITH_ERROR" in text and "part/broken.md" in text and "invalid UTF-8" in text
    assert job_id in amts("job", "list").stdout


def _job(tmp_path: Path, store: Path, **options: object) -> tuple[str, Path]:
    src = make_tree(tmp_path / "src")
    spec = JobSpec(input=str(src), output=str(tmp_path / "out"), src="en", tgts=["zh", "es"], engine="pseudo",
                   workers=2, **options)  # type: ignore[arg-type]
    return start_job(store, spec, spawn=False).id, tmp_path / "out"


def test_recorded_output_is_never_rewritten(tmp_path: Path, store: Path) -> None:
    """Crash after writing an output but before marking it done: the resume keeps the file as it is."""
    job_id, out = _job(tmp_path, store)
    with JobStore(store) as jobs:
        task = jobs.claim_task(job_id, pid=12345)
        assert task is not None
        text = pseudo(DOCS[task.document], task.lang)
        assert jobs.stage_task(task.id, 12345, text, content_hash(text), {"engine": 1}, [])
    output = out / task.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    before = output.stat()
    assert run_job(job_id, store) == COMPLETED
    after = output.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    with JobStore(store) as jobs:
        tasks = jobs.tasks(job_id)
    assert {t.state for t in tasks} == {DONE} and len(tasks) == 6
    assert all(t.translations == 1 for t in tasks)  # the recorded one was not translated again


def test_recorded_translation_is_written_without_translating_again(tmp_path: Path, store: Path) -> None:
    """Crash after recording the translation but before the output exists: it is written from the store."""
    job_id, out = _job(tmp_path, store)
    with JobStore(store) as jobs:
        task = jobs.claim_task(job_id, pid=12345)
        assert task is not None
        recorded = "recorded before the crash\n"  # not what the engine would produce
        jobs.stage_task(task.id, 12345, recorded, content_hash(recorded), {}, [])
    # a stale output from an older job and a temp file of an interrupted write are both handled
    (out / task.output).parent.mkdir(parents=True, exist_ok=True)
    (out / task.output).write_text("stale\n")
    assert run_job(job_id, store) == COMPLETED
    assert (out / task.output).read_text() == recorded
    with JobStore(store) as jobs:
        assert jobs.tasks(job_id)[0].content_hash == content_hash(recorded)
        assert jobs.staged_text(task.id) is None


def test_interrupted_task_is_translated_and_leftovers_removed(tmp_path: Path, store: Path) -> None:
    job_id, out = _job(tmp_path, store)
    with JobStore(store) as jobs:
        task = jobs.claim_task(job_id, pid=12345)
        assert task is not None and task.state == RUNNING
    output = out / task.output
    output.parent.mkdir(parents=True, exist_ok=True)
    leftover = output.parent / f".{output.name}.k3j2.tmp"  # what a kill during atomic_write_text leaves
    leftover.write_text("half")
    assert run_job(job_id, store) == COMPLETED
    assert not leftover.exists()
    assert output.read_text(encoding="utf-8") == pseudo(DOCS[task.document], task.lang)
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == sorted(
        f"{lang}.{Path(d).name}" for d in DOCS for lang in ("zh", "es")
    )


def _busy_docs(count: int, sentences: int) -> dict[str, str]:
    """Documents of distinct sentences (identical ones are translated once per document)."""
    return {
        f"ch{i:02d}/sec.md": f"# Section {i}\n\n" + " ".join(f"Sentence {j} of section {i} is prose." for j in range(sentences)) + "\n"
        for i in range(count)
    }


def _counts(store: Path, job_id: str) -> dict[str, int]:
    with JobStore(store) as jobs:
        return dict(jobs.state_counts(job_id).get("zh", {}))


def test_stop_then_resume_finishes_each_document_once(tmp_path: Path, store: Path) -> None:
    src = make_tree(tmp_path / "src", _busy_docs(10, 6))
    spec = JobSpec(input=str(src), output=str(tmp_path / "out"), src="en", tgts=["zh"], engine="cpu-bound",
                   workers=1, engine_options={"rounds": 100_000})
    job = start_job(store, spec)
    wait_until(lambda: _counts(store, job.id).get(DONE, 0) >= 1, what="a first document")
    assert "stop requested" in amts("job", "stop", job.id).stderr
    wait_until(lambda: JobStore(store).get(job.id).state == STOPPED, what="STOPPED")
    info = status(job.id)
    assert 1 <= info["languages"]["zh"]["translated_documents"] < 10
    assert info["languages"]["zh"]["pending"] >= 1 and info["languages"]["zh"]["in_progress"] == 0
    assert process_gone(job.worker_pid)
    amts("job", "resume", job.id)
    amts("job", "wait", job.id)
    with JobStore(store) as jobs:
        tasks = jobs.tasks(job.id)
    assert [t.state for t in tasks] == [DONE] * 10
    assert all(t.translations == 1 for t in tasks)
    assert "already COMPLETED" in amts("job", "resume", job.id, check=False).stderr


def test_dead_worker_is_detected_and_resume_finishes(tmp_path: Path, store: Path) -> None:
    src = make_tree(tmp_path / "src", _busy_docs(8, 8))
    spec = JobSpec(input=str(src), output=str(tmp_path / "out"), src="en", tgts=["zh"], engine="cpu-bound",
                   workers=2, engine_options={"rounds": 100_000})
    job = start_job(store, spec)
    with JobStore(store) as jobs:
        children = wait_until(lambda: {t.pid for t in jobs.tasks(job.id, (RUNNING,))}, what="running tasks")
        with pytest.raises(JobError, match="live worker"):
            resume_job(store, job.id)
        os.kill(job.worker_pid, signal.SIGKILL)
        assert process_gone(job.worker_pid)
        assert all(process_gone(pid) for pid in children)  # worker processes die with the job's worker
        assert jobs.get(job.id).state == "IN_PROGRESS" and not worker_alive(jobs.get(job.id))
        assert _counts(store, job.id).get(PENDING, 0) >= 1  # killed mid-way
    assert status(job.id)["worker_alive"] is False
    assert "worker dead" in amts("job", "status", job.id).stdout
    waited = amts("job", "wait", job.id, check=False)
    assert waited.returncode == 1 and "worker died" in waited.stderr
    amts("job", "resume", job.id)
    amts("job", "wait", job.id)
    with JobStore(store) as jobs:
        tasks = jobs.tasks(job.id)
    assert [t.state for t in tasks] == [DONE] * 8 and all(t.translations == 1 for t in tasks)


def test_parallel_data_memory_engine(tmp_path: Path, store: Path) -> None:
    src = make_tree(tmp_path / "src", {"a.md": "# Deep learning\n\nNeural networks learn. Unknown sentence.\n"})
    Store(store).create("book", [Pair("Deep learning", "深度学习", "en", "zh"),
                                 Pair("Neural networks learn.", "神经网络会学习。", "en", "zh")])
    job_id = amts("job", "start", str(src), "--tgt", "zh", "--engine", "memory", "--parallel-data", "book",
                  "--out", str(tmp_path / "out")).stdout.strip()
    amts("job", "wait", job_id)
    text = (tmp_path / "out" / "zh.a.md").read_text(encoding="utf-8")
    assert text.startswith("# 深度学习\n") and "神经网络会学习。" in text and "Unknown sentence." in text
    sentences = status(job_id)["languages"]["zh"]["sentences"]
    assert sentences == {"memory": 2, "untranslated": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}", "--tgt", "zh", "--engine", "pseudo"], "no such file or directory"),
        (["{src}", "--tgt", "zh", "--engine", "nope"], "unknown engine 'nope'"),
        (["{src}", "--tgt", "en", "--engine", "pseudo"], "source and target are the same language"),
        (["{src}", "--tgt", "zh", "--engine", "memory"], "give --parallel-data"),
        (["{src}", "--tgt", "zh", "--engine", "pseudo", "--parallel-data", "none"], "parallel data 'none'"),
        (["{empty}", "--tgt", "zh", "--engine", "pseudo"], "no Markdown files found"),
    ],
)
def test_start_refuses_bad_jobs_with_one_line(tmp_path: Path, store: Path, args: list[str], message: str) -> None:
    src = make_tree(tmp_path / "src")
    (tmp_path / "empty").mkdir()
    places = {"src": str(src), "missing": str(tmp_path / "missing"), "empty": str(tmp_path / "empty")}
    result = amts("job", "start", *[a.format(**places) for a in args], "--out", str(tmp_path / "out"), check=False)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_unknown_job_id(store: Path, tmp_path: Path) -> None:
    _job(tmp_path, store)
    result = amts("job", "status", "ffffffff", check=False)
    assert result.returncode == 2 and "no job 'ffffffff'" in result.stderr


def test_states_counted_per_language(tmp_path: Path, store: Path) -> None:
    job_id, _ = _job(tmp_path, store)
    with JobStore(store) as jobs:
        first = jobs.claim_task(job_id, pid=1)
        assert first is not None
        jobs.fail_task(first.id, "boom")
        counts = jobs.state_counts(job_id)
    assert counts[first.lang][ERROR] == 1 and counts[first.lang][PENDING] == 2
    assert sum(counts["zh"].values()) == sum(counts["es"].values()) == 3
    assert STAGED not in counts["zh"]
