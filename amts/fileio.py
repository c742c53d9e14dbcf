"""Writing outputs: atomically, with the user's umask, and never over a human's edit.

- :func:`atomic_write_bytes` writes a temporary file beside the target and renames it over the target,
  so a crash or Ctrl-C never leaves a half-written file. The file gets the mode a plain ``open()``
  would give it (``0644`` under umask ``022``), or keeps the mode of the file it replaces.
- :func:`guard_outputs` makes the writes under some output roots *guarded* while a command runs.
  From its first write there until the command ends, the folder that holds the manifest is locked
  (``flock`` on the folder itself, no lock file): a second amts run writing into the same folder is
  refused in one line before it writes anything, so two runs never mix one output folder.
  amts records the SHA-256 of what it wrote in a manifest (``.amts-manifest.json`` in the output
  folder, or beside a single output file); a file that changed since amts wrote it (a translator's
  edit), or that amts never wrote, is kept and reported instead of overwritten, unless ``force``.
  The manifest also tells discovery that a folder is an output tree (:func:`is_output_tree`).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from amts.errors import AmtsError, FileError, InputError, file_error

MANIFEST = ".amts-manifest.json"

_written: list[Path] = []
_lock = threading.RLock()


def written_files() -> list[Path]:
    """Every file this process wrote, in order (what Ctrl-C reports)."""
    return list(_written)


def forget_written() -> None:
    """Start a new record (each command run in one process, e.g. in tests, reports its own writes)."""
    _written.clear()


def atomic_write_text(path: Path, text: str) -> bool:
    """Write ``text`` as UTF-8 exactly (no newline translation); False when a guard kept the file."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> bool:
    """Write ``data`` via a temp file and an atomic rename; False when a guard kept the existing file."""
    path = Path(path)
    guard = _guard
    if guard is not None and not guard.allows(path, data):
        return False
    _replace(path, data)
    if guard is not None:
        guard.record(path, data)
    return True


def _replace(path: Path, data: bytes, output: bool = True) -> None:
    """Replace ``path`` atomically; ``output`` files are remembered for :func:`written_files`.

    Any failure (read-only folder, disk full...) is a :class:`FileError` naming ``path``, not the
    temporary file, and leaves ``path`` as it was."""
    if path.is_dir():
        raise FileError(f"{path}: is a folder, not a file", None)
    try:
        _write_and_rename(path, data)
    except OSError as error:
        raise file_error(error, path) from error
    if output:
        with _lock:
            _written.append(path)


def _write_and_rename(path: Path, data: bytes) -> None:
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777  # replacing a file: keep its mode
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()  # a new file: what open() would create
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_text(path: Path, what: str = "") -> str:
    """A text file the user gave, as strict UTF-8 exactly; one line naming it if it cannot be read.

    ``what`` says what the file should have been (``"a PO file"``) in the message."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise file_error(error, path, "cannot read") from error
    return decode_text(data, str(path), what)


def decode_text(data: bytes, name: str, what: str = "") -> str:
    """``data`` as UTF-8 text exactly, or :class:`InputError` with the line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        expected = f"; {what} must be UTF-8" if what else ""
        raise InputError(f"{name}: invalid UTF-8 at byte {error.start} (line {line}){expected}") from None


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- guarded outputs -------------------------------------------------------------------------------

KEPT_EDITED = "edited since amts wrote it"
KEPT_FOREIGN = "not written by amts"


@dataclass
class Kept:
    path: Path
    reason: str  # KEPT_EDITED or KEPT_FOREIGN


class OutputsBusy(AmtsError):
    """Another amts run is writing into the same output folder."""

    exit_code = 3


_held: dict[Path, list[int]] = {}  # folder -> [fd, users in this process, 1 if the lock created it]


def _lock_folder(folder: Path) -> None:
    """Hold ``folder`` for this process (re-entrant); :class:`OutputsBusy` if another process holds it."""
    import fcntl

    with _lock:
        if folder in _held:
            _held[folder][1] += 1
            return
        created = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            _remove_if_empty(folder, created)
            raise OutputsBusy(f"{folder}: another amts command is writing outputs here; nothing written by this "
                              "one, run it again when the other has finished") from None
        _held[folder] = [fd, 1, int(created)]


def _unlock_folder(folder: Path) -> None:
    with _lock:
        held = _held.get(folder)
        if held is None:
            return
        held[1] -= 1
        if held[1] == 0:
            os.close(held[0])  # closing the last descriptor releases the flock
            del _held[folder]
            _remove_if_empty(folder, bool(held[2]))


def _remove_if_empty(folder: Path, created: bool) -> None:
    """A folder made only to be locked, by a command that then wrote nothing, does not stay behind."""
    if created:
        with suppress(OSError):  # something was written (or another process uses it): it stays
            folder.rmdir()


@dataclass
class OutputGuard:
    """Which outputs a command may overwrite; collects the ones it kept; holds the output folders' locks."""

    roots: list[Path]
    force: bool = False
    kept: list[Kept] = field(default_factory=list)
    overwritten: list[Path] = field(default_factory=list)  # edited files replaced because of force
    locked: set[Path] = field(default_factory=set)

    def hold(self, manifest_path: Path) -> None:
        """Lock the folder of ``manifest_path`` for the rest of the run (before reading or writing in it)."""
        folder = manifest_path.parent.resolve()
        if folder not in self.locked:
            _lock_folder(folder)
            self.locked.add(folder)

    def release(self) -> None:
        for folder in self.locked:
            _unlock_folder(folder)
        self.locked.clear()

    def _root_of(self, path: Path) -> Path | None:
        resolved = path.resolve()
        for root in self.roots:
            root_resolved = root.resolve()
            if resolved == root_resolved or root_resolved in resolved.parents:
                return root
        return None

    def _manifest_place(self, path: Path) -> tuple[Path, str] | None:
        """The manifest file that records ``path`` and the key of ``path`` in it."""
        root = self._root_of(path)
        if root is None:
            return None
        if path.resolve() == root.resolve() and not root.is_dir():  # a single output file
            return path.parent / MANIFEST, path.name
        return root / MANIFEST, path.resolve().relative_to(root.resolve()).as_posix()

    def allows(self, path: Path, data: bytes) -> bool:
        place = self._manifest_place(path)
        if place is None:
            return True
        self.hold(place[0])
        if not path.is_file():
            return True
        current = digest(path.read_bytes())
        if current == digest(data):
            return True  # same content: rewriting it changes nothing, and records it as ours
        recorded = read_manifest(place[0]).get(place[1], {}).get("sha256")
        if recorded == current:
            return True
        if self.force:
            self.overwritten.append(path)
            return True
        self.kept.append(Kept(path, KEPT_EDITED if recorded else KEPT_FOREIGN))
        return False

    def record(self, path: Path, data: bytes) -> None:
        place = self._manifest_place(path)
        if place is None:
            return
        manifest_path, key = place
        with _lock:
            entries = read_manifest(manifest_path)
            entries[key] = {"sha256": digest(data), "written": datetime.now(UTC).isoformat(timespec="seconds")}
            text = json.dumps({"amts": "files amts wrote here; an output whose hash differs was edited by hand "
                                       "and is not overwritten", "files": dict(sorted(entries.items()))},
                              ensure_ascii=False, indent=1) + "\n"
            _replace(manifest_path, text.encode("utf-8"), output=False)  # bookkeeping, not an output to report


def read_manifest(path: Path) -> dict[str, dict]:
    """The entries of a manifest (empty if it is missing or unreadable: then nothing counts as ours)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else {}


_guard: OutputGuard | None = None


@contextmanager
def guard_outputs(roots: Iterable[Path | str], force: bool = False) -> Iterator[OutputGuard]:
    """While inside, writes under ``roots`` never replace a file edited by hand (unless ``force``)."""
    global _guard
    previous = _guard
    guard = _guard = OutputGuard([Path(root) for root in roots], force)
    try:
        yield guard
    finally:
        guard.release()
        _guard = previous


def is_output_tree(folder: Path) -> bool:
    """Whether amts wrote outputs into ``folder`` (it holds a manifest)."""
    return (folder / MANIFEST).is_file()
