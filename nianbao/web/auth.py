"""Accounts, roles, sessions and CSRF tokens.

Roles are ordered: a reviewer may do all a viewer may, an admin all a
reviewer may. An author reads as a viewer does; which agencies' reports it
may write is granted per agency (``nianbao.author.drafts``), not by rank. Sessions are signed cookies (Starlette's SessionMiddleware);
every write carries a CSRF token bound to the session, in a form field or
the ``X-CSRF-Token`` header (htmx sends the header).
"""
from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import HTTPException, Request

from .db import users

# author: reads as a viewer, and writes the reports of the agencies it is granted (nianbao.author)
ROLES = ("viewer", "author", "reviewer", "admin")
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}
NAME_RE = re.compile(r"^[\w.@-]{1,80}$")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A bad user name, role or password; the message is bilingual."""


@dataclass(frozen=True)
class User:
    id: int | None
    name: str
    role: str

    def can(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


ANONYMOUS = User(None, "", "anonymous")


def add_user(engine: sa.Engine, name: str, password: str, role: str) -> User:
    if not NAME_RE.match(name or ""):
        raise AccountError("用户名只能包含字母、数字、._@- (user name: letters, digits, ._@- only)")
    if role not in ROLES:
        raise AccountError(f"角色必须是 {'/'.join(ROLES)} (role must be one of {', '.join(ROLES)})")
    if len(password or "") < 8:
        raise AccountError("密码至少 8 个字符 (password: at least 8 characters)")
    with engine.begin() as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            raise AccountError(f"用户 {name} 已存在 (user {name} exists)")
        uid = conn.execute(users.insert().values(name=name, password_hash=_hasher.hash(password), role=role)
                           ).inserted_primary_key[0]
    return User(uid, name, role)


def set_password(engine: sa.Engine, name: str, password: str) -> None:
    if len(password or "") < 8:
        raise AccountError("密码至少 8 个字符 (password: at least 8 characters)")
    with engine.begin() as conn:
        n = conn.execute(users.update().where(users.c.name == name)
                         .values(password_hash=_hasher.hash(password))).rowcount
    if not n:
        raise AccountError(f"没有用户 {name} (no user {name})")


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users.c.id, users.c.name, users.c.role).order_by(users.c.name)).all()
    return [User(*r) for r in rows]


def get_user(engine: sa.Engine, uid: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(users.c.id, users.c.name, users.c.role).where(users.c.id == uid)).first()
    return User(*row) if row else None


# A fixed hash to verify against when the name is unknown, so both cases take as long.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def authenticate(engine: sa.Engine, name: str, password: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(users.c.id, users.c.name, users.c.role, users.c.password_hash)
                           .where(users.c.name == name)).first()
    try:
        _hasher.verify(row[3] if row else _DUMMY_HASH, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return User(row[0], row[1], row[2]) if row else None


# ---------------------------------------------------------------- sessions

def login_session(request: Request, user: User) -> None:
    request.session.clear()
    request.session["uid"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)


def logout_session(request: Request) -> None:
    request.session.clear()


def current_user(request: Request) -> User:
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached
    user = ANONYMOUS
    uid = request.session.get("uid")
    if uid is not None:
        user = get_user(request.app.state.engine, uid) or ANONYMOUS
        if user is ANONYMOUS:
            request.session.clear()
    request.state.user = user
    return user


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created for anonymous visitors too (the login form needs one)."""
    tok = request.session.get("csrf")
    if not tok:
        tok = request.session["csrf"] = secrets.token_urlsafe(32)
    return tok


async def check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if not given:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            given = form.get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(expected, given):
        raise HTTPException(403, detail="csrf")


# ---------------------------------------------------------------- dependencies

def need_read(request: Request) -> User:
    user = current_user(request)
    if user.can("viewer") or request.app.state.settings.anonymous_read:
        return user
    raise HTTPException(401, detail="login")


def need_role(role: str):
    async def dep(request: Request) -> User:
        user = current_user(request)
        if user is ANONYMOUS:
            raise HTTPException(401, detail="login")
        if not user.can(role):
            raise HTTPException(403, detail="role")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await check_csrf(request)
        return user
    dep.__name__ = f"need_{role}"
    return dep
