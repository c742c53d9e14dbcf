"""The ``amts`` command line: one Typer app, one sub-module per pipeline stage, loaded lazily.

``amts --help`` imports no command module: the list below carries each command's one-line help,
and a command's module is imported only when that command runs (or its own ``--help`` is shown).
A test checks that these lines match the commands' docstrings.

Errors: every :class:`amts.errors.AmtsError` is printed as one line on standard error and exits with
its ``exit_code`` (documented in the README); ``--debug`` also prints the traceback. Ctrl-C says which
files were written before it (each write is atomic, so none is half-written).
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from functools import wraps
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from amts.cli.console import out
from amts.errors import AmtsError

try:  # typer >= 0.17 vendors its own copy of click
    from typer import _click as click
    from typer._click.exceptions import NoArgsIsHelpError
except ImportError:  # pragma: no cover - older typer uses click itself
    import click  # type: ignore[no-redef]
    from click.exceptions import NoArgsIsHelpError  # type: ignore[no-redef]

#: exit codes (README "Exit codes"): 0 done, 1 done but something needs attention, 2 bad input or
#: usage, 3 a service or store failed, 70 a bug in amts, 130 interrupted.
EXIT_OK, EXIT_ATTENTION, EXIT_INPUT, EXIT_SERVICE, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 70, 130

# name -> (module of amts.cli with ``register(app)``, one-line help). Order = pipeline order.
COMMANDS: dict[str, tuple[str, str]] = {
    "translate": ("translate", "Translate PATH; every code block, math, role and link target is kept exactly."),
    "align": ("align", "Align SRC_DIR with TGT_DIR by content and write the sentence or paragraph pairs to --out."),
    "pd": ("pd", "Parallel data: versioned translation memories in the amts store."),
    "exchange": ("exchange", "XLIFF and PO for translators' tools: a book's segments, a sync's review queue."),
    "glossary": ("glossary", "Term glossaries: mine them from parallel data, edit them as CSV."),
    "sync": ("sync", "Sync a translation to a new source version: unchanged paragraphs are kept byte for byte."),
    "check": ("check", "Compare each translated file's structure with its source: one file:line: message per problem."),
    "update": ("update", "Sync the whole edition from the source commit recorded in amts-state.toml to the newest one."),
    "job": ("job", "Batch translation jobs: start, watch, stop and resume."),
    "eval": ("eval", "Score HYP against REF paragraph by paragraph: BLEU, chrF and TER per document and for the corpus."),
    "experiment": ("eval", "Re-make the original BLEU table on the five D2L sections (original and held-out protocols)."),
    "review": ("review", "Serve a review queue on http://127.0.0.1:PORT; every write needs the token printed at start."),
    "demo": ("demo", "Translate -> edit the source -> sync, on a small book, fully offline; prints what happened."),
}

GLOBAL_OPTIONS = {  # parameter name -> (flags, help); accepted before the command and after it
    "amts_quiet": (("--quiet", "-q"), "Print only errors and the final summary."),
    "amts_verbose": (("--verbose", "-v"), "Also print every file written."),
    "amts_json": (("--json",), "Print messages, problems and the summary as JSON lines on standard output."),
    "amts_debug": (("--debug",), "Show the traceback of an error."),
}


class Interrupted(Exception):  # noqa: N818 - a signal turned into an exception, not an error
    """Ctrl-C inside a command (click would otherwise swallow it as a silent exit 130)."""


class LazyGroup(TyperGroup):
    """The root group: commands are listed from :data:`COMMANDS` and imported when used."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS) + [name for name in self.commands if name not in COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        module, short = COMMANDS[cmd_name]
        if self._listing:  # the root --help: a stand-in that carries the help line, nothing imported
            return TyperCommand(cmd_name, help=short, short_help=short)
        command = load_command(cmd_name, module, self.params)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Plain help for the root: typer's rich help imports rich.markdown and markdown-it (slow)."""
        LazyGroup._listing, mode, self.rich_markup_mode = True, self.rich_markup_mode, None
        try:
            return super().format_help(ctx, formatter)
        finally:
            LazyGroup._listing, self.rich_markup_mode = False, mode

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as error:
            raise Interrupted() from error

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        """Run the command; turn every expected failure into one line and an exit code."""
        out.reset()
        if "amts.fileio" in sys.modules:  # a new record of written files per run (not imported for --help)
            sys.modules["amts.fileio"].forget_written()
        args = list(sys.argv[1:] if args is None else args)
        out.configure(debug="--debug" in args or bool(os.environ.get("AMTS_DEBUG")))
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) and not isinstance(result, bool) else EXIT_OK
        except AmtsError as error:
            code = report_error(error)
        except NoArgsIsHelpError as error:
            error.show()
            code = EXIT_INPUT
        except click.ClickException as error:
            code = error.exit_code
            hint = f" (see: {error.ctx.command_path} --help)" if getattr(error, "ctx", None) else ""
            out.error(f"{error.format_message()}{hint}", code)
        except typer.Abort:
            out.error("aborted", EXIT_ATTENTION)
            code = EXIT_ATTENTION
        except Interrupted:
            code = report_interrupt()
        except BrokenPipeError:  # `amts ... | head`: the reader left; not an error worth a traceback
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
            code = EXIT_OK
        except OSError as error:  # a file the user named cannot be read or written, or the disk is full
            code = report_os_error(error)
        except Exception as error:  # noqa: BLE001 - the one place a bug becomes exit 70
            code = report_bug(error)
        if standalone_mode:
            sys.exit(code)
        return code


def report_error(error: AmtsError) -> int:
    """Print an expected failure as one line (its traceback too with ``--debug``); its exit code."""
    if out.debug:
        traceback.print_exception(error)
    code = getattr(error, "exit_code", EXIT_INPUT)
    out.error(" ".join(str(error).split()) or type(error).__name__, code)
    return code


def report_os_error(error: OSError) -> int:
    """A file or disk error no module turned into an :class:`AmtsError`: one line, exit 2 or 3."""
    from amts.errors import file_error

    if error.filename is None and error.errno is None:
        return report_bug(error)
    if out.debug:
        traceback.print_exception(error)
    problem = file_error(error, error.filename if error.filename is not None else "a file", "")
    out.error(str(problem), problem.exit_code)
    return problem.exit_code


def report_bug(error: BaseException) -> int:
    """Anything amts did not expect: exit 70, one line asking for a report (``--debug``: the traceback)."""
    if out.debug:
        traceback.print_exception(error)
    if type(error).__module__ == "sqlite3":  # a store error a module did not turn into an AmtsError
        out.error(f"the amts store: {error} (nothing written by this step)", EXIT_SERVICE)
        return EXIT_SERVICE
    package = Path(__file__).resolve().parent.parent
    ours = [frame for frame in traceback.extract_tb(error.__traceback__) if package in Path(frame.filename).parents]
    at = f" at {Path(ours[-1].filename).relative_to(package.parent)}:{ours[-1].lineno}" if ours else ""
    message = " ".join(str(error).split())[:200]
    out.error(f"a bug in amts ({type(error).__name__}{at}: {message}); please report it with the output of the "
              "same command with --debug", EXIT_BUG)
    return EXIT_BUG


def report_interrupt() -> int:
    """Say what was written before Ctrl-C (each write is atomic, so nothing is half-written)."""
    from amts.fileio import written_files

    written = written_files()
    if written:
        shown = ", ".join(str(path) for path in written[-3:])
        more = f" ({len(written) - 3} more before)" if len(written) > 3 else ""
        out.error(f"{len(written)} file(s) written before the interrupt, none half-written; "
                  f"last: {shown}{more}", EXIT_INTERRUPTED, label="interrupted")
    else:
        out.error("nothing was written", EXIT_INTERRUPTED, label="interrupted")
    return EXIT_INTERRUPTED


def load_command(name: str, module: str, global_options: Sequence[click.Parameter] = ()) -> click.Command:
    """Import ``amts.cli.<module>``, let it register on a scratch app, and take the command ``name``."""
    scratch = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    scratch.callback()(lambda: None)  # always a group, so single commands and sub-groups look alike
    importlib.import_module(f"amts.cli.{module}").register(scratch)
    group = typer.main.get_command(scratch)
    command = group.commands[name]  # type: ignore[attr-defined]
    _add_global_options(command, [p for p in global_options if p.name in GLOBAL_OPTIONS])
    _plain_help(command)
    return command


def _plain_help(command: click.Command) -> None:
    """Help as written: no rich markup (``[check]`` stays), no boxes or ``<bool>`` metavars, on a terminal or piped."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None  # type: ignore[attr-defined]
    for param in command.params:  # ``--out OUT`` and ``PATH`` instead of typer's ``<path>`` and ``{path}``
        if param.metavar is None and not getattr(param, "is_flag", False) and param.name:
            param.metavar = param.name.upper()
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


def _add_global_options(command: click.Command, options: Sequence[click.Parameter]) -> None:
    """Accept ``--quiet/--verbose/--json/--debug`` after the command too (unless it has its own)."""
    if hasattr(command, "commands"):  # a group: every command in it
        for sub in command.commands.values():
            _add_global_options(sub, options)
        return
    taken = {flag for param in command.params for flag in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]}
    added = []
    for option in options:
        free = [flag for flag in option.opts if flag not in taken]
        if not any(flag.startswith("--") for flag in free):
            continue  # the command has its own meaning for this flag (e.g. experiment --json FILE)
        option = copy.copy(option)
        option.opts = free
        command.params.append(option)
        added.append(option.name)
    if command.callback is None or not added:
        return
    callback = command.callback

    @wraps(callback)
    def with_global_options(*args: Any, **kwargs: Any) -> Any:
        out.configure(**{name.removeprefix("amts_"): kwargs.pop(name, False) for name in added})
        return callback(*args, **kwargs)

    command.callback = with_global_options


app = typer.Typer(
    cls=LazyGroup,
    help="amts: machine-translate Markdown books and keep their translations in sync.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _flag(name: str) -> Any:
    flags, help_text = GLOBAL_OPTIONS[name]
    return typer.Option(False, *flags, help=help_text)


def _show_version(value: bool) -> None:
    if value:
        from amts import __version__

        out.data(f"amts {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    amts_quiet: bool = _flag("amts_quiet"),
    amts_verbose: bool = _flag("amts_verbose"),
    amts_json: bool = _flag("amts_json"),
    amts_debug: bool = _flag("amts_debug"),
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                 help="Print amts's version and exit."),
) -> None:
    """amts: machine-translate Markdown books and keep their translations in sync."""
    out.configure(quiet=amts_quiet, verbose=amts_verbose, json=amts_json, debug=amts_debug)


def main(argv: Sequence[str] | None = None) -> None:
    app(args=argv, prog_name="amts")

