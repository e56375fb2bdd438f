"""Login, logout, language, one's own password, and user administration (pages)."""
from __future__ import annotations

import html
import math
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..auth import (ROLES, AccountError, Busy, add_user, authenticate, check_csrf, list_accounts, login_session,
                    logout_session, need_read, need_role, session_id, set_disabled, set_password, set_role)
from ..i18n import LANGS, translator
from ..render import lang_of, render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """A same-site path (with its query) to go to after login; anything else goes to the report list."""
    # Only same-site paths: an open redirect after login would hand the session to another site.
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or urlparse(target).netloc:
        return "/reports"
    return target


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


async def _check_password(request: Request, name: str, password: str):
    """(user or None, refusal page or None): throttled, and hashed off the event loop."""
    t = translator(lang_of(request))
    throttle = request.app.state.throttle
    wait = throttle.retry_after(name, _address(request))
    if wait > 0:
        return None, (t("login.throttled", minutes=max(1, math.ceil(wait / 60))), 429, math.ceil(wait))
    try:
        user = await request.app.state.hasher.run(authenticate, request.app.state.engine, name, password)
    except Busy:
        return None, (t("login.busy"), 429, 5)
    if user is None:
        throttle.failed(name, _address(request))
        return None, (t("login.failed"), 401, None)
    throttle.succeeded(name)
    return user, None


@router.get("/login")
def login_page(request: Request, next: str = "/reports"):
    return render(request, "login.html", {"next": safe_next(next)})


def _too_many(request: Request, wait: float) -> HTMLResponse:
    """The refusal of an address that keeps guessing: a few hundred bytes, no template, nothing read from the
    database (each refusal must cost next to nothing, or guessing slows everyone else's pages)."""
    t = translator(lang_of(request))
    text = html.escape(t("login.throttled", minutes=max(1, math.ceil(wait / 60))))
    body = (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>429</title>'
            f'<link rel="stylesheet" href="/static/app.css"></head><body><main><h1>429</h1>'
            f'<div class="message error" role="alert">{text}</div><p><a href="/login">{html.escape(t("nav.login"))}</a>'
            f'</p></main></body></html>')
    return HTMLResponse(body, status_code=429, headers={"Retry-After": str(math.ceil(wait))})


@router.post("/login")
async def login(request: Request):
    # An address past its limit is refused before its form is even read.
    wait = request.app.state.throttle.retry_after("", _address(request))
    if wait > 0:
        return _too_many(request, wait)
    await check_csrf(request)
    form = await request.form()
    name, password = str(form.get("name") or ""), str(form.get("password") or "")
    next = str(form.get("next") or "/reports")
    user, refusal = await _check_password(request, name, password)
    if refusal:
        message, status, retry = refusal
        resp = render(request, "login.html", {"next": safe_next(next), "error": message, "name": name},
                      status_code=status)
        if retry:
            resp.headers["Retry-After"] = str(retry)
        return resp
    await run_in_threadpool(login_session, request, user)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
async def logout(request: Request):
    await check_csrf(request)
    await run_in_threadpool(logout_session, request)
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def set_lang(request: Request, code: str, next: str = "/reports"):
    resp = RedirectResponse(safe_next(next), status_code=303)
    if code in LANGS:
        resp.set_cookie("lang", code, max_age=365 * 86400, samesite="lax")
    return resp


# ------------------------------------------------------------------ one's own account

@router.get("/account")
def account_page(request: Request, user=Depends(need_read)):
    if user.id is None:
        raise HTTPException(401, detail="login")
    return render(request, "account.html", {})


@router.post("/account/password")
async def change_own_password(request: Request, current: str = Form(""), new: str = Form(""),
                              repeat: str = Form(""), user=Depends(need_role("viewer"))):
    t = translator(lang_of(request))
    if new != repeat:
        return render(request, "account.html", {"message": t("account.mismatch"), "kind": "error"}, status_code=400)
    ok, refusal = await _check_password(request, user.name, current)
    if refusal:
        message, status, _retry = refusal
        if status == 401:
            message = t("account.wrong_current")
        return render(request, "account.html", {"message": message, "kind": "error"}, status_code=status)
    try:
        await request.app.state.hasher.run(set_password, request.app.state.engine, user.name, new, session_id(request))
    except AccountError as exc:
        return render(request, "account.html", {"message": str(exc), "kind": "error"}, status_code=400)
    return render(request, "account.html", {"message": t("account.changed"), "kind": "ok"})


# ------------------------------------------------------------------ administration

def _users_page(request: Request, message: str = "", kind: str = "ok", status: int = 200):
    return render(request, "users.html", {"accounts": list_accounts(request.app.state.engine), "roles": ROLES,
                                          "message": message, "kind": kind}, status_code=status)


@router.get("/admin/users")
def users_page(request: Request, user=Depends(need_role("admin"))):
    return _users_page(request)


@router.post("/admin/users")
async def users_add(request: Request, name: str = Form(...), password: str = Form(...), role: str = Form(...),
                    user=Depends(need_role("admin"))):
    t = translator(lang_of(request))
    try:
        await request.app.state.hasher.run(add_user, request.app.state.engine, name, password, role)
    except AccountError as exc:
        return _users_page(request, str(exc), "error", 400)
    return _users_page(request, t("users.added", name=name))


@router.post("/admin/users/{name}")
async def users_change(request: Request, name: str, action: str = Form(...), role: str = Form(""),
                       password: str = Form(""), user=Depends(need_role("admin"))):
    """One change to one account: its role, disabled or enabled, or a new password (its sessions end)."""
    t = translator(lang_of(request))
    engine = request.app.state.engine
    try:
        if action == "role":
            await run_in_threadpool(set_role, engine, name, role)
            msg = t("users.role_set", name=name, role=t("role." + role))
        elif action in ("disable", "enable"):
            await run_in_threadpool(set_disabled, engine, name, action == "disable")
            msg = t("users." + action + "d", name=name)
        elif action == "password":
            await request.app.state.hasher.run(set_password, engine, name, password)
            request.app.state.throttle.clear_account(name)
            msg = t("users.password_reset", name=name)
        else:
            raise HTTPException(400, detail="action")
    except AccountError as exc:
        return _users_page(request, str(exc), "error", 400)
    return _users_page(request, msg)
