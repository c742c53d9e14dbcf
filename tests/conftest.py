"""Shared fixtures: the D2L book data lives outside the repository (CC BY-SA)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def d2l_root() -> Path | None:
    candidates = [os.environ.get("AMTS_D2L_DATA"), str(REPO.parent / "shared" / "data" / "d2l")]
    for candidate in candidates:
        if candidate and Path(candidate, "en-master").is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def d2l() -> Path:
    """The D2L data folder; tests using it skip with a clear message when it is absent."""
    root = d2l_root()
    if root is None:
        pytest.skip("D2L data not found: set AMTS_D2L_DATA or place it at ../shared/data/d2l")
    return root


EVAL_SECTIONS = [
    "chapter_natural-language-processing-pretraining/approx-training.md",
    "chapter_natural-language-processing-pretraining/bert-dataset.md",
    "chapter_recurrent-neural-networks/language-models-and-dataset.md",
    "chapter_recurrent-modern/machine-translation-and-dataset.md",
    "chapter_natural-language-processing-applications/sentiment-analysis-and-dataset.md",
]


@pytest.fixture(scope="session")
def eval_sections() -> list[str]:
    """The five sections the original evaluation of the Amazon Translate pipeline used."""
    return list(EVAL_SECTIONS)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private amts home for one test, so tests never touch the user's store."""
    home = tmp_path / "amts-home"
    monkeypatch.setenv("AMTS_HOME", str(home))
    return home / "amts.sqlite"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials in the environment: boto3's standard chain finds them, nothing real is used."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def no_aws_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS credentials anywhere boto3 looks (environment, files, instance metadata); region left to the test."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, not yet created amts home for one test (``AMTS_HOME``); the CLI tests use it for every test."""
    home = tmp_path / "home"
    monkeypatch.setenv("AMTS_HOME", str(home))
    return home


def _check_structure_tool() -> Path | None:
    """The shared structure checker (outside the repository, like the data)."""
    candidates = [os.environ.get("AMTS_CHECK_STRUCTURE"), str(REPO.parent / "shared" / "tools" / "check_structure.py")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def check_structure() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run check_structure.py SRC OUT LANG [--expect-change]; skips when the tool is absent."""
    tool = _check_structure_tool()
    if tool is None:
        pytest.skip("check_structure.py not found: set AMTS_CHECK_STRUCTURE or place it at ../shared/tools")

    def run(src: Path, out: Path, lang: str, expect_change: bool = False) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, str(tool), str(src), str(out), lang] + (["--expect-change"] if expect_change else [])
        return subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)

    return run
