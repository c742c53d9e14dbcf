"""The command line's shared behaviour: lazy start-up, one-line errors, literal text, output modes."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import COMMANDS, app, load_command
from amts.cli.console import Output

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "amts" / "examples" / "book"
runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


pytestmark = pytest.mark.usefixtures("private_home")


def _amts(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "amts", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def test_root_help_imports_no_command_module() -> None:
    code = ("import runpy, sys\nsys.argv = ['amts', '--help']\n"
            "try:\n    runpy.run_module('amts', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('amts.cli.') and m != 'amts.cli.console'))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'markdown_it', 'numpy')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    commands, heavy = done.stdout.strip().splitlines()[-2:]
    assert commands == "[]" and heavy == "[]", done.stdout
    for name in COMMANDS:  # every command is listed with its help line
        assert re.search(rf"^\s+{name}\s+\S", done.stdout, re.MULTILINE), name


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_help_matches_the_command(name: str) -> None:
    module, short = COMMANDS[name]
    command = load_command(name, module)
    assert command.name == name
    real = " ".join((command.help or "").split())
    assert real[:40] == short[:40], (short, real)  # the listed line says what the command's help says


def test_expected_error_is_one_line_with_its_exit_code(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-book"
    done = _amts("translate", str(missing), "--tgt", "zh", "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {missing}: no such file or directory"
    assert not (tmp_path / "o").exists()
    debug = _amts("translate", str(missing), "--tgt", "zh", "--out", str(tmp_path / "o"), "--debug")
    assert debug.returncode == 2 and "Traceback" in debug.stderr and debug.stderr.strip().endswith(
        f"error: {missing}: no such file or directory")
    before = _amts("--debug", "translate", str(missing), "--tgt", "zh", "--out", str(tmp_path / "o"))
    assert "Traceback" in before.stderr


def test_usage_error_is_one_line(tmp_path: Path) -> None:
    done = _amts("translate", str(BOOK / "en"), "--no-such-option")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No such option: --no-such-option"), done.stderr


def test_json_error_is_one_json_line(tmp_path: Path) -> None:
    done = _amts("--json", "translate", str(tmp_path / "nothing"), "--tgt", "zh", "--out", str(tmp_path / "o"))
    record = json.loads(done.stderr.strip())
    assert done.returncode == 2 and record == {"event": "error", "message": f"{tmp_path / 'nothing'}: no such file or directory", "exit_code": 2}


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True])
def test_user_text_is_never_markup_or_emoji(terminal: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = _Tty() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    output = Output()
    output.problem("[red]/ch.md", 100, "untranslated", "install to [/usr/local] and see file.md:100: :smile:")
    output.warning("path [bold]x[/bold]")
    text = ANSI.sub("", stream.getvalue())
    assert "[red]/ch.md:100: untranslated: install to [/usr/local] and see file.md:100: :smile:" in text
    assert "warning: path [bold]x[/bold]" in text
    assert "💯" not in text and "😄" not in text


def test_piped_output_is_plain_unwrapped_and_each_problem_once(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    output = Output()
    long_name = "chapter_" + "x" * 150 + "/section.md"
    for _ in range(8):
        output.problem(long_name, 12, "untranslated", "the same sentence " * 10)
    output.problem(long_name, 13, "untranslated", "another")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{long_name}:12: untranslated: the same sentence")
    assert "\x1b" not in stream.getvalue()
    assert output.repeats == 7 and "7 repeated" in output.problems_note()


def test_piped_table_is_tab_separated_with_full_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    Output().table(("file", "translated sentences"), [("chapter_attention-mechanisms/very-long-name.md", 3)])
    assert stream.getvalue().splitlines() == ["file\ttranslated sentences",
                                              "chapter_attention-mechanisms/very-long-name.md\t3"]


def _translate(tmp_path: Path, *options: str):  # noqa: ANN202
    return runner.invoke(app, ["translate", str(BOOK / "en"), "--tgt", "zh", "--engine", "pseudo",
                               "--out", str(tmp_path / "out"), *options])


def test_translate_modes_quiet_verbose_json(tmp_path: Path) -> None:
    normal = _translate(tmp_path)
    assert normal.exit_code == 0, normal.output
    assert normal.output.strip().splitlines()[-1].startswith("translated 2 file(s) into zh")
    quiet = _translate(tmp_path, "--quiet")
    assert quiet.exit_code == 0 and len(quiet.output.strip().splitlines()) == 1
    verbose = _translate(tmp_path, "--verbose")
    assert f"wrote {tmp_path / 'out' / 'zh.coffee.md'}" in verbose.output
    as_json = runner.invoke(app, ["--json", "translate", str(BOOK / "en"), "--tgt", "zh", "--engine", "pseudo",
                                  "--out", str(tmp_path / "out")])
    events = [json.loads(line) for line in as_json.stdout.strip().splitlines()]
    assert {e["path"] for e in events if e["event"] == "written"} == {
        str(tmp_path / "out" / "zh.coffee.md"), str(tmp_path / "out" / "zh.tea.md")}
    summary = events[-1]
    assert summary["event"] == "summary" and summary["files"] == 2 and summary["written"] == 2


def test_ctrl_c_says_what_was_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import amts.cli.translate as translate_module

    real = translate_module.translate_file
    calls = []

    def interrupted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(translate_module, "translate_file", interrupted)
    done = _translate(tmp_path)
    assert done.exit_code == 130
    assert "interrupted: 1 file(s) written before the interrupt" in done.output
    assert str(tmp_path / "out" / "zh.coffee.md") in done.output
    assert not list((tmp_path / "out").glob(".*tmp"))


def test_sync_prints_brackets_and_colons_literally(tmp_path: Path) -> None:
    old = tmp_path / "old.md"
    new = tmp_path / "new.md"
    target = tmp_path / "zh.md"
    old.write_text("# Title\n\nOne paragraph.\n", encoding="utf-8")
    new.write_text("# Title\n\nOne paragraph.\n\nInstall to [/usr/local] and read file.md:100: first.\n",
                   encoding="utf-8")
    target.write_text("# 标题\n\n一段。\n", encoding="utf-8")
    done = runner.invoke(app, ["sync", "--old-source", str(old), "--new-source", str(new), "--old-target",
                               str(target), "--out", str(tmp_path / "zh.new.md")])
    assert done.exit_code == 0, done.output
    assert "untranslated: Install to [/usr/local] and read file.md:100: first." in done.output
    assert "💯" not in done.output


@pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1) for a pseudo-terminal")
def test_terminal_progress_names_file_and_counts(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    command = (f"{sys.executable} -m amts translate {BOOK / 'en'} --tgt zh --tgt es --engine pseudo "
               f"--out {tmp_path / 'out'}")
    done = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stdout
    screen = ANSI.sub("", done.stdout)
    assert re.search(r"translating .* [1-4]/4 .*(coffee|tea)\.md", screen), screen


def test_a_terminal_shows_the_first_problems_and_counts_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    from amts.cli.console import TERMINAL_PROBLEMS

    stream = _Tty()
    monkeypatch.setattr(sys, "stderr", stream)
    output = Output()
    for number in range(TERMINAL_PROBLEMS + 10):
        output.problem("ch.md", number + 1, "fuzzy", "a sentence")
    assert len(ANSI.sub("", stream.getvalue()).splitlines()) == TERMINAL_PROBLEMS
    assert "10 more not shown on the terminal" in output.problems_note()
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    output = Output()
    for number in range(TERMINAL_PROBLEMS + 10):
        output.problem("ch.md", number + 1, "fuzzy", "a sentence")
    assert len(piped.getvalue().splitlines()) == TERMINAL_PROBLEMS + 10
