"""Whole-book checks of the foundation: identity is lossless, pseudo changes all prose and no structure."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app

runner = CliRunner()


def translate(args: list[str]) -> None:
    result = runner.invoke(app, ["translate", *args])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("folder", "src", "tgt"), [("en-master", "en", "zh"), ("zh", "zh", "en"),
                                                    ("en-origin", "en", "ja")])
def test_identity_reproduces_every_file_byte_for_byte(d2l: Path, tmp_path: Path, folder: str, src: str, tgt: str):
    source = d2l / folder  # (a target that is the source language is refused: identity stands in for it)
    translate([str(source), "--src", src, "--tgt", tgt, "--engine", "identity", "--out", str(tmp_path)])
    files = sorted(source.rglob("*.md"))
    assert len(files) >= 139
    different = [
        f for f in files
        if (tmp_path / f.relative_to(source).parent / f"{tgt}.{f.name}").read_bytes() != f.read_bytes()
    ]
    assert different == []


@pytest.mark.parametrize(("folder", "src", "tgt"), [("en-master", "en", "zh"), ("zh", "zh", "en")])
def test_pseudo_keeps_all_structure_and_changes_all_prose(d2l: Path, tmp_path: Path, folder, src, tgt,
                                                         check_structure):
    translate([str(d2l / folder), "--src", src, "--tgt", tgt, "--engine", "pseudo", "--out", str(tmp_path)])
    check = check_structure(d2l / folder, tmp_path, tgt, expect_change=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "(100.0%), missing 0" in check.stdout
