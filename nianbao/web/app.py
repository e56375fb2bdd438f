"""The web application: ``create_app(store_url=None, settings=...)``."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from ..store.api import StoreError
from . import db
from .auth import HashWorker
from .backend import Backend
from .render import render
from .settings import Settings
from .throttle import LoginThrottle

HERE = Path(__file__).parent

ERROR_KEYS = {
    400: "error.bad_request", 401: "error.login", 403: "error.forbidden", 404: "error.not_found",
    405: "error.method", 409: "error.conflict", 413: "error.too_large", 415: "error.type",
    422: "error.invalid", 429: "error.too_many", 500: "error.internal",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "") \
        and "text/html" not in request.headers.get("accept", "")


def create_app(store_url: str | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    if store_url:
        settings.store_url = store_url
    backend = Backend.open(settings.store_url)
    # The web tables live in the store's database (migrated with it), reached through its engine.
    engine = backend.engine
    secret = settings.secret_key or db.secret(engine)

    app = FastAPI(
        title="nianbao 年报",
        description="政府信息公开工作年度报告：上传、校验、复核、比较、统计。"
                    "Annual reports on government information disclosure: upload, check, review, compare, "
                    "aggregate. Writes need a session (POST /login) and the CSRF token (GET /api/me) in the "
                    "X-CSRF-Token header.",
        version="1",
        docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", swagger_ui_oauth2_redirect_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.backend = backend
    app.state.throttle = LoginThrottle(settings.login_failures_per_account, settings.login_failures_per_address,
                                       settings.login_window)
    # argon2 takes tens of milliseconds of CPU: one thread of its own, so that sign-ins (right or wrong)
    # never hold the event loop nor take the threads that serve pages.
    app.state.hasher = HashWorker(settings.login_queue)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="nianbao_session",
                       max_age=settings.session_max_age, same_site="lax", https_only=settings.https_only)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        # Report text is data, never markup; the policy is a second fence should escaping ever fail.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request):
        # Swagger UI from static/vendor (no CDN: intranets cannot reach one), started by static/api-docs.js
        # (no inline script: the CSP allows scripts from this site only)
        return render(request, "api_docs.html", {})

    from .routes import account, api, author, oversight, pages
    app.include_router(api.router)
    app.include_router(author.api)
    app.include_router(oversight.api)
    app.include_router(account.router)
    app.include_router(author.router)
    app.include_router(pages.router)
    app.include_router(oversight.router)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return _error_response(request, exc.status_code, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors())
        return _error_response(request, 422, fields or "invalid")

    @app.exception_handler(StoreError)
    async def store_refused(request: Request, exc: StoreError):
        # The store's messages are bilingual and name the problem (a bad filter, an unknown report).
        return _error_response(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception):
        import logging
        logging.getLogger("nianbao.web").exception("unhandled error on %s", request.url.path)
        return _error_response(request, 500, "internal")

    return app


def _error_response(request: Request, status: int, detail, headers=None):
    from .i18n import translator
    from .render import lang_of
    lang = lang_of(request)
    t = translator(lang)
    key = ERROR_KEYS.get(status, "error.internal")
    message = t(key)
    extra = detail if isinstance(detail, str) and detail not in ("login", "role", "csrf", "internal") else ""
    if detail == "csrf":
        message = t("error.csrf")
    if _wants_json(request):
        body = {"detail": detail if isinstance(detail, str) else str(detail), "message": message}
        return JSONResponse(body, status_code=status, headers=headers)
    if status == 401 and request.method == "GET" and not request.headers.get("hx-request"):
        # the page asked for, with its query (filters, page, version), is where the login leads back to
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
    if request.headers.get("hx-request"):
        return render(request, "_message.html", {"kind": "error", "message": message, "detail": extra},
                      status_code=status)
    return render(request, "error.html", {"status": status, "message": message, "detail": extra},
                  status_code=status)
