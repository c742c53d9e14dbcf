"""Help texts render as written: no rich markup eaten (``[check]``), no boxes, flags without a value
placeholder, ``--version``, and no option that means something else than in the other commands."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from amts import __version__
from amts.cli import COMMANDS, app, load_command

runner = CliRunner()
BOXES = re.compile("[\u2500-\u257f]")


def _all_commands() -> list[list[str]]:
    found = []
    for name, (module, _) in COMMANDS.items():
        command = load_command(name, module)
        subs = getattr(command, "commands", None)
        found += [[name, sub] for sub in subs] if subs else [[name]]
    return found


@pytest.mark.parametrize("words", _all_commands(), ids=" ".join)
def test_help_is_plain_text_as_written(words: list[str]) -> None:
    done = runner.invoke(app, [*words, "--help"], prog_name="amts")
    assert done.exit_code == 0, done.output
    text = done.output
    assert not BOXES.search(text), text
    assert "<bool>" not in text and "<list[str]>" not in text, text
    assert text.startswith(f"Usage: amts {' '.join(words)} "), text
    if words == ["check"]:
        assert "[check] source in" in " ".join(text.split())
    if words == ["update"]:
        assert "[update] source in amts.toml" in " ".join(text.split())


def test_version() -> None:
    done = runner.invoke(app, ["--version"])
    assert done.exit_code == 0 and done.stdout.strip() == f"amts {__version__}"


def test_options_mean_the_same_in_every_command() -> None:
    """``--json`` is the global JSON-lines flag and ``--config`` the book's amts.toml, in every command."""
    for words in _all_commands():
        command = load_command(words[0], COMMANDS[words[0]][0])
        for word in words[1:]:
            command = command.commands[word]  # type: ignore[attr-defined]
        for param in command.params:
            opts = getattr(param, "opts", [])
            if "--json" in opts:
                assert param.is_flag, words  # JSON on standard output, never a file to write  # type: ignore[attr-defined]
            if "--config" in opts:
                assert "amts.toml" in (param.help or ""), (words, param.help)  # type: ignore[attr-defined]
