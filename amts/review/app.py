"""The review web app: server-rendered pages over a :class:`ReviewSession`, guarded by a token.

Defences, in the order a request meets them: the Host must be a loopback name (DNS rebinding); a
write must come from this page's own origin (``Origin``/``Sec-Fetch-Site``: another site, even another
port of localhost, is refused) and carry at most ``MAX_BODY`` bytes, refused before the body is read;
then it must carry the token. Every answer forbids framing (clickjacking) and the cookie is named per
port, so two servers on one machine never share it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections import OrderedDict
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.trustedhost import TrustedHostMiddleware

from amts.errors import InputError
from amts.home import amts_home
from amts.review.diff import line_diff, word_diff
from amts.review.paths import OutsideRootError, ProjectRoot
from amts.review.session import Action, ConflictError, EditError, ReviewSession, file_hash
from amts.review.validate import MAX_TEXT_BYTES, code_without_comments

HERE = Path(__file__).resolve().parent
TOKEN_HEADER = "X-AMTS-Token"
COOKIE_PREFIX = "amts_review_"
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]
#: a form is a segment's text (at most MAX_TEXT_BYTES, percent-encoded up to 9 bytes a character) plus a few fields
MAX_BODY = MAX_TEXT_BYTES * 9 + 4096
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make browsers send "Origin: null" on our own forms
    "Cache-Control": "no-store",
}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def stable_token(origin: Path, home: Path | None = None) -> str:
    """The review token of the report ``origin``: made once, then the same after every restart, so an
    open tab keeps saving. Kept private (0600, in a 0700 folder) in the amts home, not beside the report
    where ``git add .`` would publish it."""
    folder = (home or amts_home()) / "review-tokens"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    path = folder / (hashlib.sha256(str(origin.resolve()).encode()).hexdigest()[:32] + ".token")
    try:
        token = path.read_text(encoding="ascii").strip()
        if len(token) >= 24:
            os.chmod(path, 0o600)
            return token
    except FileNotFoundError:
        pass
    token = new_token()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)
    return token


class Notes:
    """Messages the server wrote, by a short code: a page's banner shows ``?note=<code>``, never free text
    from the address (which anyone could craft into a link)."""

    def __init__(self, keep: int = 500) -> None:
        self.keep = keep
        self._notes: OrderedDict[str, str] = OrderedDict()

    def add(self, message: str) -> str:
        code = secrets.token_hex(6)
        self._notes[code] = message
        while len(self._notes) > self.keep:
            self._notes.popitem(last=False)
        return code

    def get(self, code: str | None) -> str:
        return self._notes.get(code or "", "")


def cookie_name(request: Request) -> str:
    """One cookie per server: browsers share cookies between the ports of one host."""
    return f"{COOKIE_PREFIX}{request.url.port or (443 if request.url.scheme == 'https' else 80)}"


class BadRequest(InputError):
    """A request the review page refuses (too large, not UTF-8, unreadable); ``status`` is its HTTP code."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_form(request: Request, limit: int = MAX_BODY) -> dict[str, str]:
    """The body as fields: at most ``limit`` bytes (checked before reading), strict UTF-8, no duplicates."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BadRequest(f"refused: the request is larger than {limit} bytes", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BadRequest(f"refused: the request is larger than {limit} bytes", 413)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            data = json.loads(bytes(body).decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
        if kind in ("application/x-www-form-urlencoded", ""):
            pairs = parse_qsl(bytes(body).decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict",
                              max_num_fields=20)
            return dict(pairs)
    except UnicodeDecodeError:
        raise BadRequest("refused: the text is not valid UTF-8") from None
    except ValueError as error:
        raise BadRequest(f"refused: unreadable form ({error})") from None
    raise BadRequest(f"refused: send the form as application/x-www-form-urlencoded, not {kind}", 415)


class Pages:
    """What every route shares: the session, the token, the templates, the server's own messages."""

    def __init__(self, session: ReviewSession, root: ProjectRoot, token: str) -> None:
        self.session, self.root, self.token = session, root, token
        self.templates = Jinja2Templates(directory=HERE / "templates")
        self.templates.env.globals["word_diff"] = word_diff
        self.templates.env.globals["line_diff"] = line_diff
        self.notes = Notes()
        for name in ("base.html", "_diff.html", "queue.html", "segment.html", "file.html", "error.html"):
            self.templates.env.get_template(name)  # compiled at start

    def token_ok(self, candidate: str | None) -> bool:
        return bool(candidate) and secrets.compare_digest(str(candidate).encode(), self.token.encode())

    def can_read(self, request: Request) -> bool:
        return self.token_ok(request.cookies.get(cookie_name(request))) or self.token_ok(
            request.headers.get(TOKEN_HEADER))

    def refuse(self, request: Request, message: str, status: int = 403, text: str | None = None) -> Response:
        """An error page; a refused write shows the text it refused, to copy (it is never lost)."""
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=status)
        return self.templates.TemplateResponse(request, "error.html", {"message": message, "refused": text},
                                               status_code=status)

    def context(self, request: Request, **extra: object) -> dict[str, object]:
        session = self.session
        done, total = session.progress()
        filters = filters_of(request)
        last = session.state.last_decided()
        last_item = session.queue.get(last) if last else None
        return {"session": session, "queue": session.queue, "token": self.token, "done": done, "total": total,
                "last": last, "last_version": session.version(last_item) if last_item else "", **filters,
                "note": self.notes.get(request.query_params.get("note")),
                "filters": urlencode({k: v for k, v in filters.items() if v and not (k == "show" and v == "pending")}),
                **extra}

    def segment(self, request: Request, item_id: str, status: int = 200, **extra: object) -> Response:
        session = self.session
        item = session.queue.get(item_id)
        if item is None:
            return self.refuse(request, f"no segment {item_id!r} in this review", 404)
        f = filters_of(request)
        previous, following = session.neighbours(item, f["file"], f["label"], "all", f["q"])
        before, after = session.context(item)
        values = {
            "item": item,
            "decision": session.decision(item),
            "current": session.current_target(item),
            "version": extra.pop("version", None) or session.version(item),
            "is_code": code_without_comments(item.target_new or item.source_new or "") is not None,
            "reject_restores": session.reject_restores(item),
            "indexing": session.matches_pending(),  # before asking for matches: one answer for the page
            "similar": session.similar(item),
            "terms": session.terms(item),
            "previous": previous,
            "following": following,
            "before": before,
            "after": after,
            "partner": session.merge_partner(item),
        }
        values.update(extra)
        return self.templates.TemplateResponse(request, "segment.html", self.context(request, **values),
                                               status_code=status)

    async def checked_form(self, request: Request) -> dict[str, str] | Response:
        try:
            form = await read_form(request)
        except BadRequest as error:
            return self.refuse(request, str(error), error.status)
        if not (self.token_ok(request.headers.get(TOKEN_HEADER)) or self.token_ok(form.get("token"))):
            return self.refuse(request, "refused: this write did not carry this review's token (a different "
                               "review server?); nothing was written. Copy your text below, then open the link "
                               "the server printed.", 403, form.get("target"))
        return form


def wants_json(request: Request) -> bool:
    return request.headers.get("accept", "").startswith("application/json")


def filters_of(request: Request) -> dict[str, str]:
    q = request.query_params
    return {"file": q.get("file", ""), "label": q.get("label", ""), "show": q.get("show", "pending"),
            "q": q.get("q", "")}


def foreign_origin(request: Request) -> str | None:
    """Why a write does not come from this page (None when it does)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return f"refused: a write from another site ({site}); use the review page itself"
    origin = request.headers.get("origin")
    if origin is not None:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin != own:
            return f"refused: a write from {origin}, not from this page ({own})"
    return None


def create_app(
    session: ReviewSession, root: ProjectRoot, token: str, allowed_hosts: list[str] | None = None
) -> FastAPI:
    """The app. Reads need the token once (then a same-site cookie); every write needs it in a header
    or form field. ``allowed_hosts`` guards against DNS rebinding (default: loopback names only).
    """
    app = FastAPI(title="amts review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    pages = Pages(session, root, token)
    _add_guard(app, pages)
    # added last, so it runs first: a request for a foreign Host never reaches the token check
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOCAL_HOSTS)
    _add_reading(app, pages)
    _add_writing(app, pages)
    return app


def _add_guard(app: FastAPI, pages: Pages) -> None:
    @app.middleware("http")
    async def guard(request: Request, call_next):  # noqa: ANN001, ANN202
        """``?token=`` sets the cookie and is removed from the address bar; no token, no page."""
        response = await _guarded(request, call_next)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    async def _guarded(request: Request, call_next):  # noqa: ANN001, ANN202
        if request.method not in ("GET", "HEAD"):
            reason = foreign_origin(request)
            if reason:
                return PlainTextResponse(reason, status_code=403)
            return await call_next(request)
        if request.url.path.startswith("/static/"):
            return await call_next(request)
        query_token = request.query_params.get("token")
        if query_token is not None:
            if not pages.token_ok(query_token):
                return PlainTextResponse("wrong token", status_code=403)
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(cookie_name(request), pages.token, httponly=True, samesite="strict")
            return response
        if not pages.can_read(request):
            return PlainTextResponse(
                "amts review: open the address with ?token=... printed when the server started", status_code=403
            )
        return await call_next(request)


def _add_reading(app: FastAPI, pages: Pages) -> None:
    session = pages.session

    @app.get("/", response_class=HTMLResponse)
    def queue_page(request: Request, file: str = "", label: str = "", show: str = "pending", q: str = "",
                   page: int = 1) -> Response:
        items = session.filtered(file, label, show, q)
        shown, number, count = session.page(items, page)
        groups: dict[str, list] = {}
        for item in shown:
            groups.setdefault(item.output_rel, []).append(item)
        return pages.templates.TemplateResponse(request, "queue.html", pages.context(
            request, groups=groups, matching=len(items), page=number, pages=count, counts=session.file_counts(),
            page_link=lambda n: urlencode({k: v for k, v in (("file", file), ("label", label), ("show", show),
                                                              ("q", q), ("page", str(n))) if v})))

    @app.get("/api/queue")
    def queue_json(file: str = "", label: str = "", show: str = "all", q: str = "", page: int = 1) -> JSONResponse:
        done, total = session.progress()
        items = session.filtered(file, label, show, q)
        shown, number, count = session.page(items, page)
        return JSONResponse({
            "done": done, "total": total, "matching": len(items), "page": number, "pages": count,
            "files": [{"file": f, "pending": p, "total": t} for f, p, t in session.file_counts()],
            "items": [{"id": i.id, "file": i.output_rel, "line": i.output_line, "status": i.status, "flags": i.flags,
                       "decision": (str(d.decision) if (d := session.decision(i)) else None),
                       "version": session.version(i)} for i in shown],
            "skipped": session.queue.skipped, "moved_from": session.queue.moved_from,
        })

    @app.get("/segment/{item_id}", response_class=HTMLResponse)
    def segment_page(request: Request, item_id: str) -> Response:
        return pages.segment(request, item_id)

    @app.get("/file/{relative:path}", response_class=HTMLResponse)
    def file_page(request: Request, relative: str) -> Response:
        """A file of the project, read-only, with line numbers from 1 (context around a segment)."""
        try:
            path = pages.root.resolve(relative)
        except OutsideRootError:
            return pages.refuse(request, "refused: that path is outside the project root", 403)
        if not path.is_file() or path.suffix.lower() not in {".md", ".markdown", ".json", ".txt"}:
            return pages.refuse(request, f"{relative}: no such Markdown file in the project", 404)
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return pages.templates.TemplateResponse(request, "file.html", pages.context(request, path=relative,
                                                                                    lines=lines))


def _add_writing(app: FastAPI, pages: Pages) -> None:
    session = pages.session

    @app.post("/segment/{item_id}")
    async def segment_save(request: Request, item_id: str) -> Response:
        form = await pages.checked_form(request)
        if isinstance(form, Response):
            return form
        item = session.queue.get(item_id)
        if item is None:
            return pages.refuse(request, f"no segment {item_id!r} in this review", 404, form.get("target"))
        action = form.get("action", "")
        text = form.get("target")
        match = form.get("match")
        if match is not None:  # "use this match": the match's translation as the edit
            similar = session.similar(item)
            if not match.isdigit() or int(match) >= len(similar):
                return pages.refuse(request, f"refused: no memory match {match!r} for this segment", 400, text)
            text, action = similar[int(match)].target, Action.EDIT
        if action not in set(Action):
            return pages.refuse(request, f"refused: the form names no action ({action or 'none'}); use the buttons",
                                400, text)
        try:
            result = session.save(item, action, text, form.get("version") or form.get("file_hash", ""),
                                  form.get("force") == "1", form.get("replace_pair") == "1")
        except ConflictError as conflict:
            if wants_json(request):
                return JSONResponse({"error": str(conflict), "sha256": file_hash(item.output),
                                     "version": session.version(item)}, status_code=409)
            return pages.segment(request, item_id, 409, conflict=str(conflict), edited=text,
                                 version=conflict.current_hash)
        except EditError as error:
            if wants_json(request):
                return JSONResponse({"error": str(error), "forceable": error.forceable, "lines": error.lines},
                                    status_code=422)
            return pages.segment(request, item_id, 422, error=str(error), edited=text, forceable=error.forceable,
                                 error_lines=error.lines)
        if wants_json(request):
            d = result.decision
            return JSONResponse({"message": result.message, "decision": str(d.decision) if d else None,
                                 "sha256": file_hash(item.output), "version": session.version(item)})
        keep = {k: form.get(k, "") for k in ("file", "label", "q")}
        target_item = item if action == Action.UNDO else session.next_pending(item, keep["file"], keep["label"],
                                                                                keep["q"])
        query = urlencode({k: v for k, v in (*keep.items(), ("note", pages.notes.add(result.message)),
                                             ("decided", item.id),
                                             ("undo", "" if action == Action.UNDO else item.id)) if v})
        target = f"/segment/{target_item.id}?{query}" if target_item else f"/?{query}"
        return RedirectResponse(target, status_code=303)

    @app.post("/undo")
    async def undo_last(request: Request) -> Response:
        """Undo the most recent decision of the review (the ``u`` key anywhere)."""
        form = await pages.checked_form(request)
        if isinstance(form, Response):
            return form
        item_id = session.state.last_decided()
        try:
            result = session.undo_last(form.get("item", ""), form.get("version", ""))
        except ConflictError as conflict:
            return pages.refuse(request, str(conflict), 409)
        except EditError as error:
            return pages.refuse(request, str(error), 422)
        if wants_json(request):
            return JSONResponse({"message": result.message})
        return RedirectResponse(f"/segment/{item_id}?{urlencode({'note': pages.notes.add(result.message)})}",
                                status_code=303)
