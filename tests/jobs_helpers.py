"""Helpers shared by the job tests: run the real CLI in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent


def amts(*args: str, check: bool = True) -> Result:
    """``amts ARGS`` in process (the CLI as a user runs it; the job worker is still a real detached process)."""
    from amts.cli import app

    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    if check and result.exit_code != 0:
        raise AssertionError(f"amts {' '.join(args)} exited {result.exit_code}:\n{result.stdout}\n{result.stderr}")
    result.returncode = result.exit_code  # type: ignore[attr-defined]
    return result


def amts_subprocess(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m amts ARGS`` in a subprocess with the test's environment (its private AMTS_HOME)."""
    return subprocess.run(
        [sys.executable, "-m", "amts", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200"}, cwd=REPO, check=True,
    )


def status(job_id: str) -> dict:
    return json.loads(amts("job", "status", job_id, "--json").stdout)


def wait_until(predicate, timeout: float = 120, interval: float = 0.05, what: str = "condition"):  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def process_gone(pid: int, timeout: float = 10) -> bool:
    from amts.jobs.store import pid_alive

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False
