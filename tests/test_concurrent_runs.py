"""Two amts runs into one output folder never mix it: the second is refused in one line before it writes,
and afterwards every output is owned (in the manifest) and hashed correctly. Real D2L chapters as input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from amts import fileio

REPO = Path(__file__).resolve().parent.parent
CHAPTERS = ["chapter_convolutional-neural-networks", "chapter_recurrent-neural-networks",
            "chapter_attention-mechanisms-and-transformers"]


def _run(book: Path, out: Path, engine: str, env: dict[str, str], *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "amts", "translate", str(book), "--tgt", "zh", "--engine", engine,
                             "--out", str(out), *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_two_runs_into_one_folder(d2l: Path, tmp_path: Path) -> None:
    book = tmp_path / "book"
    for chapter in CHAPTERS:
        shutil.copytree(d2l / "en-master" / chapter, book / chapter, ignore=shutil.ignore_patterns("*.svg", "*.png"))
    sources = sorted(p.relative_to(book) for p in book.rglob("*.md"))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO), "AMTS_HOME": str(tmp_path / "home")}
    first = _run(book, out, "cpu-bound", env)  # pseudo-localised text, at a few ms per sentence: a long run
    deadline = time.monotonic() + 120
    while not (out / fileio.MANIFEST).exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # the first run has written (and holds the folder) once its manifest exists
    second = _run(book, out, "identity", env)
    second_out, second_err = second.communicate(timeout=600)
    first_out, first_err = first.communicate(timeout=600)
    assert first.returncode == 0, first_err
    assert second.returncode == 3, (second_out, second_err)
    assert second_err.count("\n") == 1 and second_err.startswith("error: ") and "another amts command" in second_err
    assert str(out.resolve()) in second_err

    def owned_and_hashed() -> dict[str, dict]:
        manifest = fileio.read_manifest(out / fileio.MANIFEST)
        outputs = {p.relative_to(out).as_posix() for p in out.rglob("*.md")}
        assert set(manifest) == outputs and len(outputs) == len(sources)
        for name, entry in manifest.items():
            assert entry["sha256"] == fileio.digest((out / name).read_bytes()), name
        return manifest

    owned_and_hashed()
    pseudo = (out / sources[0].parent / f"zh.{sources[0].name}").read_text(encoding="utf-8")
    assert "\u27e6" in pseudo  # the first run's engine wrote every file; the second wrote none
    # a later run owns all of them: it replaces every file and keeps none as "not written by amts"
    again = _run(book, out, "identity", env)
    again_out, again_err = again.communicate(timeout=600)
    assert again.returncode == 0 and "kept" not in again_err, again_err
    manifest = owned_and_hashed()
    assert all("\u27e6" not in (out / name).read_text(encoding="utf-8") for name in manifest)


def test_one_process_may_hold_a_folder_twice_and_releases_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with fileio.guard_outputs([out]) as outer:
        fileio.atomic_write_text(out / "a.md", "a")
        with fileio.guard_outputs([out]):  # nested (e.g. a command calling another step): not refused
            fileio.atomic_write_text(out / "b.md", "b")
        assert outer.locked
    probe = subprocess.run([sys.executable, "-c", "import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\n"
                            "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n", str(out)], capture_output=True)
    assert probe.returncode == 0, probe.stderr  # released when the command ended


def test_a_folder_made_only_to_be_locked_does_not_stay(tmp_path: Path) -> None:
    out = tmp_path / "never-written"
    with fileio.guard_outputs([out]) as guard:
        guard.hold(out / fileio.MANIFEST)  # what the first write does before it writes
        assert out.is_dir()
    assert not out.exists()  # the command wrote nothing (it failed): no empty output folder left
