"""The update branch a pull request is reviewed on, published without ever losing a reviewer's commit.

Every commit ``amts update`` makes carries the trailer ``Amts-Update: <source commit>``. Before an
update on ``--branch B --push REMOTE`` the remote's ``B`` is read:

- absent, already merged into the base, or its sync already in the base: the sync is rebuilt on the base;
- holding only the bot's commits: rebuilt on the base too, and pushed with a lease on the tip that was
  read, so a commit pushed in between is never overwritten;
- holding someone else's commit (a reviewer's fix): the update goes on from that tip, as a new commit on
  top -- the reviewers' work stays and the push is a fast-forward.

After the commit, a branch that differs from the remote tip only in the state's ``synced_at`` line and
the report is not pushed: nothing a reviewer would see changed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from amts.edition.git import git
from amts.edition.state import STATE_NAME

TRAILER = "Amts-Update"


@dataclass(frozen=True)
class BranchPlan:
    """Where the update starts and what the remote branch held when it was read."""

    branch: str
    remote: str
    remote_tip: str = ""  # the remote branch's commit when read ('' when it does not exist)
    continue_on_tip: bool = False  # it holds someone else's commits: build on it, never replace it
    others: tuple[str, ...] = ()  # those commits, short hash and subject

    def describe(self) -> str:
        if self.continue_on_tip:
            return (f"{self.remote}/{self.branch} holds {len(self.others)} commit(s) not made by amts update "
                    f"({'; '.join(self.others[:3])}): the update goes on top of them, on {self.branch}")
        return ""


def trailer_line(source_commit: str) -> str:
    return f"{TRAILER}: {source_commit}"


def plan_branch(edition: Path, remote: str, branch: str) -> BranchPlan:
    """Read the remote's ``branch`` (fetched) and decide where the update starts."""
    listed = git(edition, "ls-remote", "--heads", remote, f"refs/heads/{branch}")
    if not listed:
        return BranchPlan(branch, remote)
    git(edition, "fetch", "-q", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
    tip = git(edition, "rev-parse", f"refs/remotes/{remote}/{branch}")
    if _is_ancestor(edition, tip, "HEAD") or _state_at(edition, tip) == _state_at(edition, "HEAD"):
        return BranchPlan(branch, remote, tip)  # merged, or its sync is in the base already
    others = tuple(
        f"{line[:12]} {line[41:]}".strip() for line in git(edition, "log", "--format=%H %s", f"HEAD..{tip}").splitlines()
        if TRAILER + ":" not in git(edition, "log", "-1", "--format=%B", line[:40]))
    return BranchPlan(branch, remote, tip, continue_on_tip=bool(others), others=others)


def start_on_tip(edition: Path, plan: BranchPlan) -> None:
    """Check out the branch at the remote tip (a switch the caller announces); the update is built there."""
    git(edition, "switch", "-q", "-C", plan.branch, plan.remote_tip)


def nothing_new(edition: Path, plan: BranchPlan, reports: Collection[Path] = ()) -> bool:
    """Whether HEAD brings nothing a reviewer would see over the remote tip: no push needed.

    The same translations and state but for ``synced_at``; the ``reports`` may differ (a run that only
    retried files still blocked rewrites its report, and would otherwise push that every week)."""
    if not plan.remote_tip:
        return False
    ignored = {path.resolve().relative_to(edition.resolve()).as_posix() for path in reports
               if path.resolve().is_relative_to(edition.resolve())}
    changed = set(git(edition, "diff", "--name-only", "--relative", plan.remote_tip, "HEAD", "--", ".").splitlines())
    changed -= ignored
    if changed - {STATE_NAME}:
        return False
    return _without_timestamp(_state_at(edition, plan.remote_tip)) == _without_timestamp(_state_at(edition, "HEAD"))


def back_to_remote_tip(edition: Path, plan: BranchPlan) -> None:
    """Drop the commit that brought nothing new: the branch (and its report, which the pull request's
    description is built from) is the remote's again."""
    git(edition, "reset", "-q", "--keep", plan.remote_tip)


def publish_branch(edition: Path, plan: BranchPlan) -> None:
    """Push HEAD to the remote branch, forced only over the tip that was read (the bot's own commits, or
    nothing when the branch is new): a commit pushed since then makes the push fail instead of vanish."""
    git(edition, "push", "-q", f"--force-with-lease=refs/heads/{plan.branch}:{plan.remote_tip}",
        plan.remote, f"HEAD:refs/heads/{plan.branch}")


def _is_ancestor(edition: Path, commit: str, of: str) -> bool:
    return subprocess.run(["git", "-C", str(edition), "merge-base", "--is-ancestor", commit, of],
                          capture_output=True).returncode == 0


def _state_at(edition: Path, rev: str) -> str:
    """The state file's text at ``rev`` ('' when it has none)."""
    done = subprocess.run(["git", "-C", str(edition), "show", f"{rev}:./{STATE_NAME}"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else ""


def _without_timestamp(state_text: str) -> str:
    return "\n".join(line for line in state_text.splitlines() if not line.startswith("synced_at ="))
