"""The review web app: server-rendered pages, the JSON API under /api/v1, /healthz and /metrics.

`create_app(settings)` builds everything from settings (database URL, secret key, cookie
flags); `caseconsultant web` serves it with uvicorn.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from consultant.db.session import engine_for, session_factory
from consultant.services import dispatch
from consultant.settings import Settings, get_settings
from consultant.web.auth import LoginRequired, load_secret_key
from consultant.web.metrics import DbCollector
from consultant.web.presence import Presence
from consultant.web.render import make_env

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
API_PREFIX = "/api/v1"

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class GuardedDispatcher:
    """Enqueue failures after a commit must not turn a done action into an error page.

    With no broker, Celery runs tasks in-process (eager) right after the commit; if such a task
    raises, the action itself has still been committed, and the sweeper picks the row up again.
    """

    def __init__(self, inner: dispatch.Dispatcher) -> None:
        self.inner = inner

    def process_inbound(self, inbound_id: int) -> None:
        try:
            self.inner.process_inbound(inbound_id)
        except Exception as exc:
            log.warning("enqueue of inbound %s failed: %s", inbound_id, type(exc).__name__)

    def send_outbound(self, outbound_id: int, countdown: float = 0.0) -> None:
        try:
            self.inner.send_outbound(outbound_id, countdown)
        except Exception as exc:
            log.warning("enqueue of outbound %s failed: %s", outbound_id, type(exc).__name__)


def _guard_dispatcher() -> None:
    current = dispatch.get_dispatcher()
    if not isinstance(current, GuardedDispatcher):
        dispatch.set_dispatcher(GuardedDispatcher(current))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="CaseConsultant review API",
        version="1",
        description=(
            "The review queue's operations as JSON. Authenticate with `Authorization: Bearer <token>` "
            "(`caseconsultant users token EMAIL`), or with the session cookie plus the `X-CSRF-Token` header."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    engine = engine_for(settings.effective_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.secret = load_secret_key(settings)
    app.state.jinja = make_env()
    app.state.presence = Presence()
    registry = CollectorRegistry(auto_describe=False)  # collect only when scraped
    registry.register(DbCollector(app.state.sessions))
    app.state.registry = registry
    _guard_dispatcher()

    from consultant.web import api, pages

    app.include_router(api.router, prefix=API_PREFIX)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "error", "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    from consultant.web.auth import metrics_user

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        with app.state.sessions() as db:
            metrics_user(request, db)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = "/login"
        if exc.next_path and exc.next_path not in ("/", "/login"):
            target += "?next=" + quote(exc.next_path, safe="/")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith(API_PREFIX) or request.url.path == "/metrics" or exc.status_code < 400:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        from consultant.web.render import render

        try:
            return render(
                request,
                "error.html",
                status_code=exc.status_code,
                status=exc.status_code,
                message=str(exc.detail),
            )
        except Exception:
            return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        if request.url.path.startswith(API_PREFIX):
            return JSONResponse({"detail": errors}, status_code=422)
        return PlainTextResponse(
            "invalid request: " + "; ".join(str(e["msg"]) for e in errors), status_code=422
        )

    @app.middleware("http")
    async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "private, max-age=300")
        else:  # case pages, API answers, everything with mail content: never cached
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response

    # outermost: the session cookie is signed, HttpOnly, SameSite=Lax, Secure behind TLS
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.secret,
        session_cookie="cc_session",
        max_age=12 * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    return app
