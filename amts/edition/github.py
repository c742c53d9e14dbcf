"""The pull request an update opens on GitHub: its body (the report's summary) and the REST calls.

Only a few endpoints of the GitHub REST API are used -- list, create and update pull requests; list,
create and update issue comments -- so any server speaking them (GitHub Enterprise, or a local one in
tests) works. One pull request per branch: a later update edits its body and its report comment
instead of opening another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from amts.errors import ServiceError

BODY_MARK = "<!-- amts-update -->"
REPORT_MARK = "<!-- amts-update-report -->"
#: GitHub refuses bodies and comments above 65536 characters
MAX_TEXT = 65_000


class GitHubError(ServiceError):
    """The GitHub API refused a request or could not be reached."""


class GitHub:
    """A minimal client of the GitHub REST API for one repository (``owner/name``)."""

    def __init__(self, repository: str, token: str, api_url: str = "https://api.github.com",
                 client: httpx.Client | None = None) -> None:
        if repository.count("/") != 1:
            raise GitHubError(f"{repository!r}: a GitHub repository is named owner/name")
        self.repository = repository
        self.owner = repository.split("/")[0]
        self.client = client or httpx.Client(
            base_url=api_url.rstrip("/"), timeout=30,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "amts"})

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:  # noqa: ANN401 - JSON
        url = f"/repos/{self.repository}{path}"
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise GitHubError(f"GitHub API {method} {url}: {error}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("message", "")
            except ValueError:
                detail = response.text[:200]
            raise GitHubError(f"GitHub API {method} {url}: HTTP {response.status_code} {detail}".rstrip())
        return response.json() if response.content else None

    def open_pull(self, branch: str) -> dict | None:
        pulls = self._call("GET", "/pulls", params={"state": "open", "head": f"{self.owner}:{branch}"})
        return pulls[0] if pulls else None

    def create_pull(self, title: str, head: str, base: str, body: str) -> dict:
        return self._call("POST", "/pulls", json={"title": title, "head": head, "base": base, "body": body})

    def update_pull(self, number: int, title: str, body: str) -> dict:
        return self._call("PATCH", f"/pulls/{number}", json={"title": title, "body": body})

    def comments(self, number: int) -> list[dict]:
        return self._call("GET", f"/issues/{number}/comments", params={"per_page": 100})

    def comment(self, number: int, body: str) -> dict:
        return self._call("POST", f"/issues/{number}/comments", json={"body": body})

    def update_comment(self, comment_id: int, body: str) -> dict:
        return self._call("PATCH", f"/issues/comments/{comment_id}", json={"body": body})


@dataclass
class PullRequest:
    number: int
    url: str
    created: bool  # False: an open pull request of the branch was updated


def publish(github: GitHub, *, branch: str, base: str, title: str, body: str, report: str) -> PullRequest:
    """Open the branch's pull request, or update the open one; put the full report in its marked comment."""
    existing = github.open_pull(branch)
    if existing is None:
        pull = github.create_pull(title, branch, base, _fit(body))
    else:
        pull = github.update_pull(existing["number"], title, _fit(body))
    number = int(pull["number"])
    text = _fit(f"{REPORT_MARK}\n<details><summary>Full sync report</summary>\n\n{report}\n</details>\n")
    mine = [c for c in github.comments(number) if str(c.get("body", "")).startswith(REPORT_MARK)]
    if mine:
        github.update_comment(int(mine[0]["id"]), text)
    else:
        github.comment(number, text)
    return PullRequest(number, str(pull.get("html_url", "")), existing is None)


def _fit(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[: MAX_TEXT - 120] + "\n\n… (cut: the full report is in the workflow run's artifacts and on the branch)\n"


def pull_request_body(data: dict, *, web_url: str, repository: str, branch: str, run_url: str = "",
                      report_path: str = "", limit: int = 15) -> str:
    """The pull request's description from an update report: counts, words to review, the first items
    with links to their lines on the branch, and what was not synced."""
    update = data.get("update", {})
    source, old, new = update.get("source", ""), update.get("from", ""), update.get("to", "")
    lines = [BODY_MARK, f"This pull request syncs the translation with the source `{old[:12]}..{new[:12]}`"
                        + (f" ([changes]({source.removesuffix('.git')}/compare/{old}...{new}))"
                           if source.startswith("https://") else f" of {source}") + ".", ""]
    totals = {status: count for status, count in data.get("totals", {}).items() if count}
    if totals:
        lines += ["| " + " | ".join(totals) + " |", "|" + " --- |" * len(totals),
                  "| " + " | ".join(str(count) for count in totals.values()) + " |", ""]
    full = data.get("words_full", 0)
    share = f" ({100 * data.get('words_to_review', 0) / full:.1f}%)" if full else ""
    lines.append(f"**Words to review: {data.get('words_to_review', 0)}** of the {full} a full re-translation "
                 f"would need{share}. Engine: `{data.get('engine', '')}`, {data.get('engine_calls', 0)} call(s).")
    blocked = data.get("blocked", [])
    base = f"{web_url.rstrip('/')}/{repository}/blob/{quote(branch, safe='/')}"
    if blocked:
        lines += ["", f"### Blocked: not synced, old translation kept ({len(blocked)})", ""]
        lines += [f"- [{b['file']}:{b['line']}]({base}/{quote(b['file'])}#L{b['line']}) {b['reason']}"
                  for b in blocked[:limit]]
    items = [(entry["output"], segment) for entry in data.get("files", []) for segment in entry.get("segments", [])
             if segment.get("needs_review")]
    if items:
        lines += ["", f"### To review ({min(limit, len(items))} of {len(items)})", ""]
        for output, segment in items[:limit]:
            line = segment.get("output_line")
            where = f"[{output}:{line}]({base}/{quote(output)}#L{line})" if line else f"`{output}` (removed)"
            text = " ".join(str(segment.get("source_new") or segment.get("source_old") or "").split())
            lines.append(f"- {where} **{segment.get('status')}**: {text[:120]}{'…' if len(text) > 120 else ''}")
    added = update.get("new", [])
    if added:
        lines += ["", f"### New sections translated ({len(added)})", "", *(f"- `{name}`" for name in added[:limit])]
    skipped = update.get("skipped", [])
    if skipped:
        lines += ["", f"### Not synced ({len(skipped)})", "", *(f"- {line}" for line in skipped[:limit])]
    where = ["the comment below"]
    if report_path:
        where.append(f"[`{report_path}`]({base}/{quote(report_path)})")
    if run_url:
        where.append(f"the [workflow run]({run_url})'s artifacts")
    lines += ["", f"The full report: {', '.join(where)}. Review it locally with `amts review {report_path or 'REPORT'}`."]
    return "\n".join(lines) + "\n"
