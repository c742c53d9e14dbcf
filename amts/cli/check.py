"""``amts check``: the structure of translated files against their sources, for translators' pull requests."""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import typer

from amts.cli.common import fail
from amts.cli.console import out
from amts.config import book_config
from amts.document.dialects import choose_dialect, use_dialect
from amts.document.structure import CheckProfile, Problem, TreeCheck, check_file, check_trees
from amts.edition.git import export_tree, git
from amts.edition.state import STATE_NAME, read_state

#: exit code when structure errors were found (README "Exit codes": done, but needs attention)
PROBLEMS_FOUND = 1


def check(
    paths: Annotated[list[Path], typer.Argument(help="SOURCE TARGET (files or folders); or only translated files "
                                                     "with --origin-suffix or a [check] source in amts.toml.")],
    allow_tab: Annotated[list[str] | None, typer.Option("--allow-tab", help="A framework only the translation has "
                                                        "(its #@tab cells may be added), e.g. paddle.")] = None,
    own_link: Annotated[list[str] | None, typer.Option("--own-link", help="Prefix of link targets the translation "
                                                       "points at its own pages, e.g. https://discuss.d2l.ai/t/.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Inline math and inline code differences are errors too.")] = False,
    origin_suffix: Annotated[str | None, typer.Option("--origin-suffix", help="d2lbook: the source of X.md is "
                                                      "X<suffix>.md beside it.")] = None,
    source: Annotated[Path | None, typer.Option("--source", help="The source book; then every path is translated.")] = None,
    source_repo: Annotated[Path | None, typer.Option("--source-repo", help="Git repository of the source: compare "
                                                     "TARGET with it at --rev (a pull request's check).")] = None,
    rev: Annotated[str | None, typer.Option("--rev", help="Source revision for --source-repo (default: the commit "
                                            "recorded in TARGET's amts-state.toml).")] = None,
    translated: Annotated[bool, typer.Option("--translated", help="Every path is a translated file or folder; the "
                                             "sources come from amts.toml's [check] (for pre-commit).")] = False,
    github: Annotated[bool | None, typer.Option("--github/--no-github", help="Print GitHub Actions annotations "
                                                "(default: when GITHUB_ACTIONS=true).")] = None,
    dialect: Annotated[str | None, typer.Option("--dialect", help="Markdown dialect: d2lbook, gfm, mdbook, mkdocs or "
                                                "commonmark (default: amts.toml, else detected).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Book settings (default: amts.toml here or above the files).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Report only the problems the working tree adds to the "
                                              "translation at this git revision (a pull request's or commit's own).")] = None,
) -> None:
    """Compare each translated file's structure (code, math, labels, references, tabs, link targets,
    headings, notebook cells) with its source: one ``file:line: message`` per problem, exit 1 if any."""
    options = _Options(allow_tab, own_link, strict, origin_suffix, source, source_repo, rev, translated, dialect)
    result = _run(paths, config, options)
    if since is not None:
        result = _introduced_since(since, paths, config, options, result)
    annotate = github if github is not None else os.environ.get("GITHUB_ACTIONS") == "true"
    for problem in result.problems:
        if annotate:
            out.data(problem.annotation())  # workflow commands are read from standard output
        else:
            out.problem(problem.path, problem.line, problem.severity, problem.message)
    for rel in result.without_source:
        out.warning(f"{rel}: no source file", label="skipped")
    errors = sum(problem.severity == "error" for problem in result.problems)
    out.summary(result.summary(), checked=result.checked, errors=errors, warnings=len(result.problems) - errors)
    if errors:
        raise typer.Exit(PROBLEMS_FOUND)


@dataclass(frozen=True)
class _Options:
    """The command's options that decide what is compared (the same for the working tree and for ``--since``)."""

    allow_tab: list[str] | None
    own_link: list[str] | None
    strict: bool
    origin_suffix: str | None
    source: Path | None
    source_repo: Path | None
    rev: str | None
    translated: bool
    dialect: str | None


def _run(paths: list[Path], config: Path | None, o: _Options) -> TreeCheck:
    """The structure problems of ``paths`` as the options ask."""
    book = book_config(config, paths[-1] if paths else None)
    settings = book.check
    profile = CheckProfile(
        extra_tabs=frozenset(o.allow_tab or settings.get("allow_tabs", [])),
        own_links=tuple(o.own_link or settings.get("own_links", [])),
        strict_inline=o.strict or bool(settings.get("strict", False)),
    )
    source_root = o.source or settings.get("source")
    origin_suffix = o.origin_suffix if o.origin_suffix is not None else settings.get("origin_suffix")
    result = TreeCheck()
    book_root = source_root or (paths[0] if paths else Path("."))
    chosen = choose_dialect(o.dialect or book.dialect, book_root,
                            given_in="--dialect" if o.dialect or book.path is None else str(book.path))
    out.detail(f"Markdown dialect: {chosen.describe()}")
    with use_dialect(chosen):  # whether $ starts math decides what is structure
        if o.source_repo is not None:
            result = _check_at_revision(o.source_repo, o.rev, paths, profile)
        elif o.translated or o.source is not None or origin_suffix is not None:
            if origin_suffix is None and source_root is None:
                fail("--translated needs --source, --origin-suffix or a [check] source in amts.toml")
            for path in paths:
                _check_translated(path, origin_suffix, source_root, book.path, profile, result)
        elif len(paths) == 2:
            result = check_trees(paths[0], paths[1], profile)
        else:
            fail("give SOURCE TARGET, or translated files with --translated, --source or --origin-suffix")
    return result


# ---- --since: only what the working tree adds ------------------------------------------------------------

#: line and cell numbers in a message: a problem that only moved is the same problem
_NUMBERS_RE = re.compile(r"\b(line|cell) \d+")


def _introduced_since(since: str, paths: list[Path], config: Path | None, options: _Options, now: TreeCheck) -> TreeCheck:
    """``now`` without the problems the translation already had at revision ``since``.

    The edition's tracked files at ``since`` are exported and checked with the same options; a problem counts as
    old when one of the same kind, file (followed through git renames) and message -- line numbers aside, lines
    move -- was there. Problems of files added since are all new.
    """
    anchor = (paths[-1] if paths else Path(".")).resolve()
    root = Path(git(anchor if anchor.is_dir() else anchor.parent, "rev-parse", "--show-toplevel"))
    commit = git(root, "rev-parse", "--verify", f"{since}^{{commit}}")
    renamed = {}
    for line in git(root, "diff", "--name-status", "-M", commit, "--").splitlines():
        parts = line.split("\t")
        if parts[0].startswith("R") and len(parts) == 3:
            renamed[parts[1]] = parts[2]
    with tempfile.TemporaryDirectory(prefix="amts-check-since-") as folder:
        then_root = Path(folder)
        export_tree(root, commit, then_root, suffixes=(".md", ".ipynb", ".toml"))
        moved = lambda path: then_root / path.resolve().relative_to(root) if _inside(path, root) else path  # noqa: E731
        then = _run([moved(path) for path in paths], moved(config) if config else None,
                    replace(options, source=moved(options.source) if options.source else None))
        old = Counter(_fingerprint(problem, then_root, renamed) for problem in then.problems)
    kept = []
    for problem in now.problems:
        key = _fingerprint(problem, root, {})
        if old[key] > 0:
            old[key] -= 1
        else:
            kept.append(problem)
    now.problems = kept
    return now


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root)


def _fingerprint(problem: Problem, root: Path, renamed: dict[str, str]) -> tuple[str, str, str]:
    path = Path(problem.path)
    rel = path.resolve().relative_to(root).as_posix() if _inside(path, root) else problem.path
    return renamed.get(rel, rel), problem.severity, _NUMBERS_RE.sub(r"\1 N", problem.message)


def _check_at_revision(repo: Path, rev: str | None, paths: list[Path], profile: CheckProfile) -> TreeCheck:
    """TARGET against the source repository at ``rev``, by default the commit the edition is synced to."""
    if len(paths) != 1 or not paths[0].is_dir():
        fail("with --source-repo give one TARGET folder (the translated edition)")
    target = paths[0]
    if rev is None:
        state = read_state(target / STATE_NAME)
        if state is None:
            fail(f"{target / STATE_NAME}: no recorded source commit; give --rev")
        rev = state.commit
    with tempfile.TemporaryDirectory(prefix="amts-check-") as folder:
        export_tree(repo, rev, Path(folder))
        return check_trees(Path(folder), target, profile, display=target)


def _check_translated(path: Path, origin_suffix: str | None, source_root: Path | None, config_path: Path | None,
                      profile: CheckProfile, result: TreeCheck) -> None:
    """One translated file or folder whose source is found by the d2lbook suffix or under ``source_root``."""
    if not path.exists():
        fail(f"{path}: no such file or directory")
    if origin_suffix is not None:
        if path.is_dir():
            _merge(result, check_trees(path, path, profile, origin_suffix=origin_suffix))
            return
        if path.stem.endswith(origin_suffix):
            return  # the source itself (pre-commit passes every changed file)
        origin = path.with_name(path.stem + origin_suffix + path.suffix)
        if not origin.is_file():
            result.without_source.append(str(path))
            return
        result.problems.extend(check_file(origin, path, profile, str(path)))
        result.checked += 1
        return
    assert source_root is not None
    root = config_path.parent if config_path is not None else Path.cwd()
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        fail(f"{path}: not inside the translated book {root}")
    if path.is_dir():
        _merge(result, check_trees(source_root / rel, path, profile))
        return
    counterpart = source_root / rel
    if not counterpart.is_file():
        result.without_source.append(str(path))
        return
    result.problems.extend(check_file(counterpart, path, profile, str(path)))
    result.checked += 1


def _merge(result: TreeCheck, part: TreeCheck) -> None:
    result.problems.extend(part.problems)
    result.checked += part.checked
    result.untranslated.extend(part.untranslated)
    result.without_source.extend(part.without_source)


def register(app: typer.Typer) -> None:
    app.command()(check)


__all__ = ["PROBLEMS_FOUND", "Problem", "check", "register"]
