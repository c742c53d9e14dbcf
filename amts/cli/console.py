"""What the command line prints, for people and for scripts, in one place.

Every command prints through :data:`out` so that

- user text (paths, sentences, messages) is never read as rich markup or emoji codes: a paragraph
  with ``[/usr/local]``, a folder named ``[red]`` or ``file.md:100:`` prints exactly as it is;
- on a terminal people get colours, tables and progress bars with the file name and N/M;
- when piped, output is plain lines that are never wrapped or cut, tables are tab-separated, and
  each problem is one ``file:line: status: message`` line, printed once however often it occurs;
- ``--quiet`` keeps only errors and the final summary, ``--verbose`` adds a line per file written,
  ``--json`` turns messages, problems and summaries into JSON lines on standard output.

Human messages go to standard error; data a command produces (a job id, an export) to standard output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

#: problems printed on a terminal before the rest are only counted (all are printed when piped)
TERMINAL_PROBLEMS = 40

#: styles of the few words amts colours itself (user text is never styled by its content)
STYLES = {"error": "bold red", "warning": "yellow", "skipped": "yellow", "kept": "cyan", "note": "cyan",
          "interrupted": "bold yellow"}


@dataclass
class Output:
    """The output mode of this process (set once from ``--quiet/--verbose/--json``) and its printers."""

    quiet: bool = False
    verbose: bool = False
    json: bool = False
    debug: bool = False
    _seen: set[tuple] = field(default_factory=set)
    _repeats: int = 0
    _hidden: int = 0
    _consoles: dict[bool, Console] = field(default_factory=dict)

    # ---- configuration -------------------------------------------------------------------------

    def configure(self, *, quiet: bool | None = None, verbose: bool | None = None, json: bool | None = None,
                  debug: bool | None = None) -> None:
        """Switch modes on (an option given at the root and again on the command only adds)."""
        self.quiet = self.quiet or bool(quiet)
        self.verbose = (self.verbose or bool(verbose)) and not self.quiet
        self.json = self.json or bool(json)
        self.debug = self.debug or bool(debug)

    def reset(self) -> None:
        """Back to defaults (each CLI invocation in one process, e.g. tests, starts clean)."""
        self.quiet = self.verbose = self.json = self.debug = False
        self._seen.clear()
        self._repeats = self._hidden = 0
        self._consoles.clear()

    def console(self, stderr: bool = True) -> Console:
        """A rich console that never interprets markup, emoji or highlighting in what it prints."""
        if stderr not in self._consoles:
            from rich.console import Console

            stream = sys.stderr if stderr else sys.stdout
            terminal = _isatty(stream)
            self._consoles[stderr] = Console(
                file=stream, stderr=stderr, markup=False, emoji=False, highlight=False,
                soft_wrap=not terminal, force_terminal=None,
                width=None if terminal else 100_000,
            )
        return self._consoles[stderr]

    @property
    def interactive(self) -> bool:
        """Whether a person watches standard error (colours, tables, progress bars make sense)."""
        return not self.json and _isatty(sys.stderr)

    # ---- messages ------------------------------------------------------------------------------

    def info(self, message: str, **data: Any) -> None:
        """A normal message (hidden by ``--quiet``)."""
        if self.json:
            self.emit("info", message=message, **data)
        elif not self.quiet:
            self._line(message)

    def detail(self, message: str, **data: Any) -> None:
        """Only with ``--verbose``."""
        if self.verbose:
            if self.json:
                self.emit("detail", message=message, **data)
            else:
                self._line(message)

    def warning(self, message: str, label: str = "warning", **data: Any) -> None:
        """``warning: message`` (hidden by ``--quiet``)."""
        if self.json:
            self.emit(label, message=message, **data)
        elif not self.quiet:
            self._line(message, label)

    def error(self, message: str, code: int | None = None, label: str = "error") -> None:
        """The one line of an error, always on standard error (as JSON with ``--json``)."""
        if self.json:
            record = {"event": label, "message": message} | ({"exit_code": code} if code is not None else {})
            print(json.dumps(record, ensure_ascii=False), file=sys.stderr, flush=True)
        else:
            self._line(message, label)

    def problem(self, file: str | Path, line: int | str | None, status: str, message: str) -> bool:
        """``file:line: status: message``, once per distinct problem; True when it was printed."""
        key = (str(file), line, status, message)
        if key in self._seen:
            self._repeats += 1
            return False
        self._seen.add(key)
        if self.json:
            self.emit("problem", file=str(file), line=line, status=status, message=message)
        elif self.interactive and not self.verbose and len(self._seen) > TERMINAL_PROBLEMS:
            self._hidden += 1  # a person reads the first ones; the rest are in the report (or piped)
        elif not self.quiet:
            where = f"{file}:{line}" if line not in (None, "") else str(file)
            self._line(f"{where}: {status}: {' '.join(message.split())}", None)
        return True

    @property
    def repeats(self) -> int:
        """Problems not printed again because an identical one was already printed."""
        return self._repeats

    def problems_note(self) -> str:
        """``; 12 problems listed (5 repeated lines not printed again)`` for a summary line, or ''."""
        if not self._seen:
            return ""
        again = f" ({self._repeats} repeated not printed again)" if self._repeats else ""
        hidden = (f"; {self._hidden} more not shown on the terminal (--verbose shows all; piped, all are printed)"
                  if self._hidden else "")
        return f"; {len(self._seen)} problem(s) listed{again}{hidden}"

    def written(self, path: str | Path, note: str = "") -> None:
        """A file was written (``--verbose`` prints it; ``--json`` always reports it)."""
        if self.json:
            self.emit("written", path=str(path), **({"note": note} if note else {}))
        elif self.verbose:
            self._line(f"wrote {path}" + (f" ({note})" if note else ""))

    def summary(self, message: str, **data: Any) -> None:
        """The last line of a run; shown even with ``--quiet``."""
        if self.json:
            self.emit("summary", message=message, **data)
        else:
            self._line(message)

    def emit(self, event: str, **data: Any) -> None:
        """One JSON line on standard output."""
        print(json.dumps({"event": event, **data}, ensure_ascii=False, default=str), flush=True)

    def data(self, text: str) -> None:
        """What a command produces (an id, an exported file): standard output, exactly as given."""
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()

    def _line(self, message: str, label: str | None = None) -> None:
        console = self.console()
        if console.is_terminal:
            from rich.text import Text

            text = Text()
            if label:
                text.append(f"{label}:", style=STYLES.get(label, "bold"))
                text.append(" ")
            text.append(message)
            console.print(text, soft_wrap=True)  # the terminal wraps; a copied line stays whole
        else:  # plain, unwrapped, one line per message
            console.file.write((f"{label}: " if label else "") + message + "\n")
            console.file.flush()

    # ---- tables and progress -------------------------------------------------------------------

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None,
              stdout: bool = True) -> None:
        """A rich table on a terminal; tab-separated lines with a header when piped; JSON with ``--json``."""
        cells = [["" if value is None else str(value) for value in row] for row in rows]
        if self.json:
            self.emit("table", title=title, rows=[dict(zip(columns, row, strict=False)) for row in cells])
            return
        console = self.console(stderr=not stdout)
        if console.is_terminal:
            from rich.table import Table

            table = Table(title=title)
            for column in columns:  # long names fold onto a second line instead of being cut
                table.add_column(column, overflow="fold")
            for row in cells:
                table.add_row(*row)
            console.print(table)
            return
        stream = console.file
        if title:
            stream.write(f"# {title}\n")
        stream.write("\t".join(columns) + "\n")
        for row in cells:
            stream.write("\t".join(value.replace("\t", " ").replace("\n", " ") for value in row) + "\n")
        stream.flush()

    @contextmanager
    def progress(self, total: int, label: str) -> Iterator[Progress]:
        """A progress bar (terminal only) showing ``label``, the current file and N/M."""
        bar = Progress(self, total, label)
        try:
            yield bar
        finally:
            bar.close()

    @contextmanager
    def status(self, message: str) -> Iterator[Status]:
        """A spinner with a message on a terminal (``.update(message)`` changes it); ``--verbose`` prints it."""
        if not self.interactive or self.quiet:
            yield Status(self, None)
            return
        with self.console().status(message) as spinner:
            yield Status(self, spinner)


class Progress:
    """Advance once per unit of work and name the file being worked on."""

    def __init__(self, output: Output, total: int, label: str) -> None:
        self.total, self.done, self.label = total, 0, label
        self._rich = None
        if output.interactive and not output.quiet and total > 1:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("{task.fields[item]}", markup=False),
                console=output.console(), transient=True,
            )
            self._rich.start()
            self._task = self._rich.add_task(label, total=total, item="")

    def working_on(self, item: str | Path) -> None:
        if self._rich is not None:
            self._rich.update(self._task, item=str(item))

    def update(self, completed: int, item: str | Path = "") -> None:
        """Set the number done (for work counted elsewhere, e.g. a background job)."""
        self.done = completed
        if self._rich is not None:
            self._rich.update(self._task, completed=completed, item=str(item))

    def advance(self, item: str | Path | None = None) -> None:
        self.done += 1
        if self._rich is not None:
            self._rich.update(self._task, advance=1, item="" if item is None else str(item))

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()
            self._rich = None


class Status:
    """What :meth:`Output.status` yields: ``update(message)`` the spinner (or the verbose log)."""

    def __init__(self, output: Output, spinner: object | None) -> None:
        self._output, self._spinner = output, spinner

    def update(self, message: str) -> None:
        if self._spinner is not None:
            from rich.text import Text

            self._spinner.update(Text(message))  # type: ignore[attr-defined]
        else:
            self._output.detail(message)


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


#: the process-wide output; commands print through it
out = Output()
