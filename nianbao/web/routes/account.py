"""Login, logout, language, and user administration (pages)."""
from __future__ import annotations

from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from ..auth import (AccountError, add_user, authenticate, check_csrf, list_users, login_session, logout_session,
                    need_role, ROLES)
from ..i18n import LANGS, translator
from ..render import lang_of, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would hand the session to another site.
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/reports"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/reports"):
    return render(request, "login.html", {"next": _safe_next(next)})


@router.post("/login")
async def login(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/reports")):
    await check_csrf(request)
    user = authenticate(request.app.state.engine, name, password)
    if user is None:
        t = translator(lang_of(request))
        return render(request, "login.html", {"next": _safe_next(next), "error": t("login.failed"), "name": name},
                      status_code=401)
    login_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
async def logout(request: Request):
    await check_csrf(request)
    logout_session(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def set_lang(request: Request, code: str, next: str = "/reports"):
    resp = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGS:
        resp.set_cookie("lang", code, max_age=365 * 86400, samesite="lax")
    return resp


@router.get("/admin/users")
def users_page(request: Request, user=Depends(need_role("admin"))):
    return render(request, "users.html", {"users": list_users(request.app.state.engine), "roles": ROLES})


@router.post("/admin/users")
async def users_add(request: Request, name: str = Form(...), password: str = Form(...), role: str = Form(...),
                    user=Depends(need_role("admin"))):
    engine = request.app.state.engine
    t = translator(lang_of(request))
    try:
        add_user(engine, name, password, role)
        msg, kind = t("users.added", name=name), "ok"
    except AccountError as exc:
        msg, kind = str(exc), "error"
    return render(request, "users.html", {"users": list_users(engine), "roles": ROLES,
                                          "message": msg, "kind": kind},
                  status_code=200 if kind == "ok" else 400)
