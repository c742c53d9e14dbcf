"""A local HTTP server speaking the few GitHub REST endpoints ``amts update --open-pr`` uses.

It keeps pull requests and comments in memory and answers as GitHub does (status codes, the fields
amts reads, 401 without the token, 422 for a second pull request of one branch), so the client is
tested over real HTTP without the real service.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 65536


class FakeGitHub:
    def __init__(self, token: str, web: str = "https://github.example") -> None:
        self.token, self.web = token, web
        self.pulls: list[dict] = []
        self.comments: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _answer(self, status: int, data: object) -> None:
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _handle(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null") if length else None
                with fake.lock:
                    fake.requests.append((method, url.path))
                    if self.headers.get("Authorization") != f"Bearer {fake.token}":
                        return self._answer(401, {"message": "Bad credentials"})
                    status, data = fake.route(method, url.path, parse_qs(url.query), body)
                self._answer(status, data)

            def do_GET(self) -> None:  # noqa: N802
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def do_PATCH(self) -> None:  # noqa: N802
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def route(self, method: str, path: str, query: dict, body: dict | None) -> tuple[int, object]:
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)", path)
        if not match:
            return 404, {"message": "Not Found"}
        owner, name, rest = match.groups()
        repo = f"{owner}/{name}"
        if rest == "/pulls" and method == "GET":
            head = query.get("head", [""])[0]
            state = query.get("state", ["open"])[0]
            return 200, [p for p in self.pulls if p["repo"] == repo and (state == "all" or p["state"] == state)
                         and (not head or f"{owner}:{p['head']['ref']}" == head)]
        if rest == "/pulls" and method == "POST":
            if not body or not all(isinstance(body.get(k), str) and body[k] for k in ("title", "head", "base")):
                return 422, {"message": "Validation Failed"}
            if len(body.get("body") or "") > MAX_BODY:
                return 422, {"message": "Validation Failed: body is too long"}
            if any(p["repo"] == repo and p["state"] == "open" and p["head"]["ref"] == body["head"] for p in self.pulls):
                return 422, {"message": f"Validation Failed: A pull request already exists for {owner}:{body['head']}."}
            number = len(self.pulls) + len(self.comments) + 1
            pull = {"repo": repo, "number": number, "state": "open", "title": body["title"], "body": body.get("body"),
                    "head": {"ref": body["head"]}, "base": {"ref": body["base"]},
                    "html_url": f"{self.web}/{repo}/pull/{number}"}
            self.pulls.append(pull)
            return 201, pull
        found = re.fullmatch(r"/pulls/(\d+)", rest)
        if found and method == "PATCH":
            pull = self._pull(repo, int(found.group(1)))
            if pull is None:
                return 404, {"message": "Not Found"}
            if len((body or {}).get("body") or "") > MAX_BODY:
                return 422, {"message": "Validation Failed: body is too long"}
            pull.update({k: v for k, v in (body or {}).items() if k in ("title", "body", "state")})
            return 200, pull
        found = re.fullmatch(r"/issues/(\d+)/comments", rest)
        if found:
            number = int(found.group(1))
            if self._pull(repo, number) is None:
                return 404, {"message": "Not Found"}
            if method == "GET":
                return 200, [c for c in self.comments if c["repo"] == repo and c["issue"] == number]
            if method == "POST":
                if not body or not body.get("body") or len(body["body"]) > MAX_BODY:
                    return 422, {"message": "Validation Failed"}
                comment = {"repo": repo, "issue": number, "id": 1000 + len(self.comments), "body": body["body"]}
                self.comments.append(comment)
                return 201, comment
        found = re.fullmatch(r"/issues/comments/(\d+)", rest)
        if found and method == "PATCH":
            for comment in self.comments:
                if comment["repo"] == repo and comment["id"] == int(found.group(1)):
                    if not body or not body.get("body") or len(body["body"]) > MAX_BODY:
                        return 422, {"message": "Validation Failed"}
                    comment["body"] = body["body"]
                    return 200, comment
            return 404, {"message": "Not Found"}
        return 404, {"message": "Not Found"}

    def _pull(self, repo: str, number: int) -> dict | None:
        return next((p for p in self.pulls if p["repo"] == repo and p["number"] == number), None)
