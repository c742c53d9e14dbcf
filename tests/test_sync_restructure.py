"""Restructured books: renamed, moved, merged and split sections are found by content and synced."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from amts.document import parse_markdown
from amts.edition.git import git_jobs
from amts.sync.aligning import align_blocks
from amts.sync.diff import block_key
from amts.sync.report import SyncReport, to_markdown
from amts.sync.restructure import plan
from amts.sync.runner import folder_jobs, origin_jobs, run_jobs

WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"]


def _text(seed: int, n: int = 60) -> str:
    """A paragraph of distinctive words (its own 5-word windows)."""
    return " ".join(f"{WORDS[(seed * 7 + k * 3) % len(WORDS)]}{(seed * 31 + k) % 97}" for k in range(n)) + ".\n"


def test_plan_finds_renames_merges_splits_and_orphans() -> None:
    a, b, c, d = _text(1), _text(2), _text(3), _text(4)
    old = {"x/a.md": a, "x/b.md": b, "x/c.md": c + "\n" + d, "x/gone.md": _text(5), "x/same.md": _text(6)}
    new = {"y/a2.md": a, "y/ab.md": "# Both\n\n" + b + "\n" + _text(7), "y/c.md": c, "y/d.md": d, "x/same.md": _text(6)}
    result = plan(old, new)
    moves = {m.new: m.olds for m in result.moves()}
    assert moves == {"y/a2.md": ["x/a.md"], "y/ab.md": ["x/b.md"], "y/c.md": ["x/c.md"], "y/d.md": ["x/c.md"]}
    assert result.unmatched == ["x/gone.md"]
    assert all(m.scores[o] >= 0.3 for m in result.moves() for o in m.olds)
    merged = plan({"p.md": a, "q.md": b}, {"pq.md": b + "\n" + a})
    assert [m.olds for m in merged.moves()] == [["q.md", "p.md"]]  # in the order they appear


def _unchanged_kept(old: str, new: str, target: str, output: str) -> int:
    """Every old translated block whose source block is unchanged in the new text is in the output."""
    old_doc, tgt_doc = parse_markdown(old), parse_markdown(target)
    new_keys = {block_key(b, "en") for b in parse_markdown(new).blocks if b.kind != "blank"}
    checked = 0
    for link in align_blocks(old_doc, tgt_doc, "en", "zh"):
        if link.src and link.tgt and all(block_key(old_doc.blocks[i], "en") in new_keys for i in link.src):
            for j in link.tgt:
                assert tgt_doc.blocks[j].text in output, tgt_doc.blocks[j].text[:80]
                checked += 1
    return checked


@pytest.mark.d2l
def test_whole_book_follows_the_new_layout(d2l: Path, tmp_path: Path) -> None:
    """en-origin -> en-master with zh: >= 134 of 139 sections carried, unchanged paragraphs byte-identical,
    the conservation check passing on every file (run_jobs refuses to write otherwise)."""
    out = tmp_path / "out"
    jobs, skipped = folder_jobs(d2l / "en-origin", d2l / "en-master", d2l / "zh", out)
    report = SyncReport("en", "zh", "memory", skipped=skipped)
    run_jobs(jobs, None, report)
    sections = len(list((d2l / "zh").rglob("*.md")))
    carried = {job.old_source_name.split(" + ")[k] for job in jobs for k in range(job.old_source_name.count(" + ") + 1)}
    assert len(carried) >= 134 and sections == 139
    no_successor = [line for line in skipped if "no successor" in line]
    assert len(carried) + len(no_successor) == sections
    by_label = {job.label: job for job in jobs}
    lazy = by_label["chapter_builders-guide/lazy-init.md (from chapter_deep-learning-computation/deferred-init.md)"]
    mlp = next(job for label, job in by_label.items() if label.startswith("chapter_multilayer-perceptrons/mlp-implementation.md"))
    assert "mlp-scratch.md" in mlp.old_source_name and "mlp-concise.md" in mlp.old_source_name
    for job in (lazy, mlp):
        target = job.old_target_text or job.old_target.read_text("utf-8")
        assert _unchanged_kept(job.old_source, job.new_source, target, job.output.read_text("utf-8")) >= 3
    for job in jobs:  # every output, renamed or not, keeps its unchanged paragraphs
        target = job.old_target_text or job.old_target.read_text("utf-8")
        _unchanged_kept(job.old_source, job.new_source, target, job.output.read_text("utf-8"))
    data = report.to_json()
    moved = [f for f in data["files"] if f.get("moved_from")]
    assert all(o["evidence"] and 0 < o["score"] <= 1 for f in moved for o in f["moved_from"]["olds"])
    summary = to_markdown(data)
    assert "deferred-init.md (score" in summary and "no successor" in summary
    json.dumps(data)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.d2l
def test_git_mode_follows_a_renamed_section(d2l: Path, tmp_path: Path) -> None:
    old_rel, new_rel = "chapter_deep-learning-computation/deferred-init.md", "chapter_builders-guide/lazy-init.md"
    repo = tmp_path / "en"
    (repo / old_rel).parent.mkdir(parents=True)
    _git(tmp_path, "init", "-q", str(repo))
    _git(repo, "config", "user.email", "t@example.org")
    _git(repo, "config", "user.name", "t")
    shutil.copy(d2l / "en-origin" / old_rel, repo / old_rel)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "old")
    start = _git(repo, "rev-parse", "HEAD")
    (repo / new_rel).parent.mkdir(parents=True)
    _git(repo, "mv", old_rel, new_rel)
    shutil.copy(d2l / "en-master" / new_rel, repo / new_rel)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "new")
    zh = tmp_path / "zh"
    (zh / old_rel).parent.mkdir(parents=True)
    shutil.copy(d2l / "zh" / old_rel, zh / old_rel)
    jobs, skipped = git_jobs(repo, start, "HEAD", zh, tmp_path / "out")
    assert [job.output for job in jobs] == [tmp_path / "out" / new_rel], skipped
    run_jobs(jobs, None, SyncReport("en", "zh", "memory"))
    output = (tmp_path / "out" / new_rel).read_text("utf-8")
    assert _unchanged_kept((d2l / "en-origin" / old_rel).read_text("utf-8"), (d2l / "en-master" / new_rel).read_text("utf-8"),
                           (d2l / "zh" / old_rel).read_text("utf-8"), output) >= 3


@pytest.mark.d2l
def test_origin_mode_follows_a_renamed_section_in_place(d2l: Path, tmp_path: Path) -> None:
    old_rel, new_rel = "chapter_recurrent-neural-networks/text-preprocessing.md", "chapter_recurrent-neural-networks/text-sequence.md"
    book, en = tmp_path / "zh", tmp_path / "en"
    (book / old_rel).parent.mkdir(parents=True)
    (en / new_rel).parent.mkdir(parents=True)
    shutil.copy(d2l / "zh" / old_rel, book / old_rel)
    shutil.copy(d2l / "en-origin" / old_rel, (book / old_rel).with_name("text-preprocessing_origin.md"))
    shutil.copy(d2l / "en-master" / new_rel, en / new_rel)
    jobs, skipped = origin_jobs(book, en, "_origin", None)
    assert [job.output for job in jobs] == [book / new_rel]
    assert any("kept as it was" in line for line in skipped)
    run_jobs(jobs, None, SyncReport("en", "zh", "memory"), in_place=True)
    assert (book / new_rel).is_file() and (book / old_rel).read_text("utf-8") == (d2l / "zh" / old_rel).read_text("utf-8")
    assert (book / "chapter_recurrent-neural-networks/text-sequence_origin.md").read_text("utf-8") == \
        (d2l / "en-master" / new_rel).read_text("utf-8")
