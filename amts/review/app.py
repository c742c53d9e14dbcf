"""The review web app: server-rendered pages over a :class:`ReviewSession`, guarded by a token."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.trustedhost import TrustedHostMiddleware

from amts.review.diff import word_diff
from amts.review.paths import OutsideRootError, ProjectRoot
from amts.review.session import ConflictError, EditError, ReviewSession, file_hash

HERE = Path(__file__).resolve().parent
TOKEN_HEADER = "X-AMTS-Token"
COOKIE = "amts_review_token"
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]


def new_token() -> str:
    return secrets.token_urlsafe(24)


def create_app(
    session: ReviewSession, root: ProjectRoot, token: str, allowed_hosts: list[str] | None = None
) -> FastAPI:
    """The app. Reads need the token once (then a same-site cookie); every write needs it in a header
    or form field. ``allowed_hosts`` guards against DNS rebinding (default: loopback names only).
    """
    app = FastAPI(title="amts review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["word_diff"] = word_diff

    def token_ok(candidate: str | None) -> bool:
        return bool(candidate) and secrets.compare_digest(candidate.encode(), token.encode())

    def can_read(request: Request) -> bool:
        return token_ok(request.cookies.get(COOKIE)) or token_ok(request.headers.get(TOKEN_HEADER))

    def refuse(request: Request, message: str, status: int = 403) -> Response:
        return templates.TemplateResponse(request, "error.html", {"message": message}, status_code=status)

    @app.middleware("http")
    async def require_token_for_reading(request: Request, call_next):  # noqa: ANN001, ANN202
        """``?token=`` sets the cookie and is removed from the address bar; no token, no page."""
        if request.url.path.startswith("/static/"):
            return await call_next(request)
        query_token = request.query_params.get("token")
        if query_token is not None and request.method == "GET":
            if not token_ok(query_token):
                return PlainTextResponse("wrong token", status_code=403)
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
            return response
        if not can_read(request) and request.method == "GET":
            return PlainTextResponse(
                "amts review: open the address with ?token=... printed when the server started", status_code=403
            )
        return await call_next(request)

    # added last, so it runs first: a request for a foreign Host never reaches the token check
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOCAL_HOSTS)

    def context(request: Request, **extra: object) -> dict[str, object]:
        done, total = session.progress()
        return {"session": session, "queue": session.queue, "token": token, "done": done, "total": total,
                "file": request.query_params.get("file", ""), "label": request.query_params.get("label", ""),
                "show": request.query_params.get("show", "pending"), **extra}

    @app.get("/", response_class=HTMLResponse)
    def queue_page(request: Request, file: str = "", label: str = "", show: str = "pending") -> Response:
        items = session.filtered(file, label, show)
        return templates.TemplateResponse(request, "queue.html", context(request, items=items))

    @app.get("/api/queue")
    def queue_json(file: str = "", label: str = "", show: str = "all") -> JSONResponse:
        done, total = session.progress()
        items = [
            {"id": i.id, "file": i.output_rel, "status": i.status, "flags": i.flags,
             "decision": (d.decision if (d := session.decision(i)) else None)}
            for i in session.filtered(file, label, show)
        ]
        return JSONResponse({"done": done, "total": total, "items": items})

    def segment_response(request: Request, item_id: str, status: int = 200, **extra: object) -> Response:
        item = session.queue.get(item_id)
        if item is None:
            return refuse(request, f"no segment {item_id!r} in this review", 404)
        file, label, show = (request.query_params.get(k, "") for k in ("file", "label", "show"))
        previous, following = session.neighbours(item, file, label, show or "all")
        values = {
            "item": item,
            "decision": session.decision(item),
            "current": session.current_target(item),
            "file_hash": extra.pop("file_hash", None) or file_hash(item.output),
            "similar": session.similar(item),
            "terms": session.terms(item),
            "previous": previous,
            "following": following,
            "filters": urlencode({k: v for k, v in (("file", file), ("label", label), ("show", show)) if v}),
        }
        values.update(extra)
        return templates.TemplateResponse(request, "segment.html", context(request, **values), status_code=status)

    @app.get("/segment/{item_id}", response_class=HTMLResponse)
    def segment_page(request: Request, item_id: str) -> Response:
        return segment_response(request, item_id)

    @app.post("/segment/{item_id}")
    async def segment_save(request: Request, item_id: str) -> Response:
        form = await request.form()
        if not (token_ok(request.headers.get(TOKEN_HEADER)) or token_ok(_field(form, "token"))):
            return refuse(request, "refused: this write did not carry the review token", 403)
        item = session.queue.get(item_id)
        if item is None:
            return refuse(request, f"no segment {item_id!r} in this review", 404)
        action = _field(form, "action") or "accept"
        text = _field(form, "target")
        try:
            result = session.save(item, action, text, _field(form, "file_hash") or "", _field(form, "force") == "1")
        except ConflictError as conflict:
            return segment_response(request, item_id, 409, conflict=str(conflict), edited=text,
                                    file_hash=conflict.current_hash)
        except EditError as error:
            return segment_response(request, item_id, 422, error=str(error), edited=text,
                                    forceable=error.forceable)
        if request.headers.get("accept", "").startswith("application/json"):
            return JSONResponse({"message": result.message, "decision": result.decision.decision,
                                 "sha256": result.decision.sha256})
        file, label = _field(form, "file") or "", _field(form, "label") or ""
        following = session.next_pending(item, file, label)
        query = urlencode({k: v for k, v in (("file", file), ("label", label), ("saved", result.message)) if v})
        target = f"/segment/{following.id}?{query}" if following else f"/?{query}"
        return RedirectResponse(target, status_code=303)

    @app.get("/file/{relative:path}", response_class=HTMLResponse)
    def file_page(request: Request, relative: str) -> Response:
        """A file of the project, read-only, with line numbers (context around a segment)."""
        try:
            path = root.resolve(relative)
        except OutsideRootError:
            return refuse(request, "refused: that path is outside the project root", 403)
        if not path.is_file() or path.suffix.lower() not in {".md", ".markdown", ".json", ".txt"}:
            return refuse(request, f"{relative}: no such Markdown file in the project", 404)
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return templates.TemplateResponse(request, "file.html", context(request, path=relative, lines=lines))

    return app


def _field(form: object, name: str) -> str | None:
    value = form.get(name)  # type: ignore[attr-defined]
    return value if isinstance(value, str) else None
