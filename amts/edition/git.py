"""Reading the source book's git repository: a file at a commit, the files changed between two commits
(as sync jobs), a commit's tree exported for ``amts check``. The sync core never runs git: it gets texts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from amts.sync.runner import Job, SyncError, restructured_jobs


def resolve_commit(repo: Path, rev: str) -> str:
    """The full hash of ``rev`` in ``repo`` (:class:`SyncError` if it is not a commit there)."""
    done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SyncError(f"{repo}: no commit {rev!r} (or not a git repository)")
    return done.stdout.strip()


def export_tree(repo: Path, rev: str, destination: Path, suffixes: tuple[str, ...] = (".md", ".ipynb")) -> int:
    """Write the files of ``repo`` at ``rev`` with these suffixes under ``destination`` (for ``amts check``
    against the commit an edition is synced to, without touching the checkout); how many.

    Only the wanted blobs are read (``ls-tree`` then ``cat-file --batch``): a clone without its large binaries,
    which ``git archive`` cannot export, still works, and a failure is one :class:`SyncError` line.
    """
    commit = resolve_commit(repo, rev)
    listed = subprocess.run(["git", "-C", str(repo), "ls-tree", "-r", "-z", commit], capture_output=True)
    if listed.returncode != 0:
        raise SyncError(f"{repo}: cannot list the files of {rev}: {listed.stderr.decode(errors='replace').strip()}")
    wanted: list[tuple[str, str]] = []  # (object, path)
    for entry in listed.stdout.decode("utf-8", errors="surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == "blob" and path.endswith(suffixes):
            wanted.append((fields[2], path))
    batch = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], capture_output=True,
                           input="".join(f"{obj}\n" for obj, _ in wanted).encode())
    data, pos = batch.stdout, 0
    for obj, path in wanted:
        header_end = data.find(b"\n", pos)
        header = data[pos:header_end].split()
        if batch.returncode != 0 or len(header) != 3 or header[1] != b"blob":
            raise SyncError(f"{repo}: cannot read {path} at {rev} ({obj} is missing from the repository)")
        size = int(header[2])
        target = destination / path
        if not target.resolve().is_relative_to(destination.resolve()):
            raise SyncError(f"{repo}: {path} at {rev} points outside the export")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data[header_end + 1 : header_end + 1 + size])
        pos = header_end + 1 + size + 1
    return len(wanted)


def git_show(repo: Path, commit: str, path: str) -> str | None:
    """``git show COMMIT:path``; ``None`` when the file does not exist at that commit."""
    done = subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], capture_output=True)
    if done.returncode != 0:
        return None
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise SyncError(f"{path} at {commit}: not UTF-8") from None


def git_jobs(repo: Path, start: str, end: str, target_dir: Path, out: Path | None,
             suffix: str = "_origin") -> tuple[list[Job], list[str]]:
    """Every Markdown file that changed in ``repo`` between two commits and has a translation."""
    for commit in (start, end):
        resolve_commit(repo, commit)
    listed = subprocess.run(["git", "-C", str(repo), "diff", "--name-only", "--no-renames", start, end, "--", "*.md"],
                            capture_output=True, text=True)
    if listed.returncode != 0:
        raise SyncError(f"{repo}: git diff failed: {listed.stderr.strip()}")
    jobs: list[Job] = []
    skipped: list[str] = []
    old_files: dict[str, str] = {}
    new_files: dict[str, str] = {}
    translated: dict[str, Path] = {}
    untranslated: list[str] = []
    for name in sorted(filter(None, listed.stdout.splitlines())):
        target = target_dir / name
        old, new = git_show(repo, start, name), git_show(repo, end, name)
        if new is not None:
            new_files[name] = new
        if not target.is_file():
            untranslated.append(name)
            continue
        if old is not None:
            old_files[name] = old
            translated[name] = target
        if old is None:
            skipped.append(f"{name}: added between {start} and {end}, yet translated already: left alone")
            continue
        if new is None:
            continue  # deleted: renamed, merged or split? matched by content below
        origin = target.with_name(target.stem + suffix + target.suffix)
        jobs.append(Job(name, old, new, f"{start}:{name}", f"{end}:{name}", target,
                        target if out is None else out / name,
                        origin=origin if out is None and origin.is_file() else None))
    if any(name not in new_files for name in translated):  # translated files deleted: renamed, merged, split?
        root = out if out is not None else target_dir
        moved, rest, handled = restructured_jobs(
            old_files, new_files, translated, lambda rel: root / rel,
            (lambda rel: f"{start}:{rel}", lambda rel: f"{end}:{rel}"), in_place=out is None, origin_suffix=suffix)
        jobs = [job for job in jobs if job.label not in handled] + moved
        skipped.extend(rest)
    else:
        handled = set()
    skipped[:0] = [f"{name}: no translation in {target_dir}" for name in untranslated if name not in handled]
    return jobs, skipped


def added_files(repo: Path, start: str, end: str) -> list[str]:
    """The Markdown files ``repo`` added between two commits, sorted."""
    listed = subprocess.run(["git", "-C", str(repo), "diff", "--name-only", "--no-renames", "--diff-filter=A",
                             start, end, "--", "*.md"], capture_output=True, text=True)
    if listed.returncode != 0:
        raise SyncError(f"{repo}: git diff failed: {listed.stderr.strip()}")
    return sorted(filter(None, listed.stdout.splitlines()))


def git(edition: Path, *args: str) -> str:
    """Run git in the edition's repository; its output, or :class:`SyncError` naming the failed command."""
    done = subprocess.run(["git", "-C", str(edition), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SyncError(f"{edition}: git {args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout.strip()


def dirty_files(edition: Path) -> list[str]:
    """Tracked files under ``edition`` with uncommitted changes (staged or not), as git names them (from the
    repository's root); none when the edition is not in a git repository."""
    done = subprocess.run(["git", "-C", str(edition), "status", "--porcelain", "--untracked-files=no", "--", "."],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return []
    return [line[3:] for line in done.stdout.splitlines() if line.strip()]


def current_branch(edition: Path) -> str:
    """The checked-out branch of the edition's repository ('' when detached)."""
    return subprocess.run(["git", "-C", str(edition), "symbolic-ref", "--quiet", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
