"""Accounts, roles, sessions and CSRF tokens.

Roles are ordered: a reviewer may do all a viewer may, an admin all a reviewer may. An author reads as a
viewer does; which agencies' reports it may write is granted per agency (``nianbao.author.drafts``). Accounts can
be disabled and their role changed; passwords must be strong enough (at least 10 characters and a
zxcvbn score of 3 of 4) and are hashed with argon2 in a thread of their own, never on the event
loop.

Sessions: the signed cookie (Starlette's SessionMiddleware) holds a random session id whose hash
is a row of ``web_sessions``; logging out deletes the row, so a copied cookie is useless
afterwards. A password change, a reset or disabling the account deletes all the account's
sessions (but the one changing its own password). Cookies signed before sessions were kept on the
server (no id) are honoured until the account's first logout or password change
(``web_users.session_floor``) and are given an id on first use.

Every write carries a CSRF token bound to the session, in a form field or the ``X-CSRF-Token``
header (htmx sends the header).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import HTTPException, Request

from .db import sessions, users

# author: reads as a viewer, and writes the reports of the agencies it is granted (nianbao.author)
ROLES = ("viewer", "author", "reviewer", "admin")
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}
NAME_RE = re.compile(r"^[\w.@-]{1,80}$")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_LENGTH = 10
MIN_SCORE = 3          # zxcvbn: 3 = "safely unguessable: moderate protection from offline slow-hash attacks"
MAX_LENGTH = 1024      # argon2 takes any length; a megabyte of password is an attack, not a password

# OWASP's argon2id baseline (19 MiB, 2 passes, one lane): one lane keeps a check on one core, so sign-ins
# never take the cores that serve pages. Hashes made with other parameters (argon2-cffi's default: 64 MiB,
# 3 passes, 4 lanes) still verify, and are made again with these at the next successful sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class AccountError(ValueError):
    """A bad user name, role or password; the message is bilingual."""


@dataclass(frozen=True)
class User:
    id: int | None
    name: str
    role: str

    def can(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


@dataclass(frozen=True)
class Account:
    """An account as the administrator sees it."""
    id: int
    name: str
    role: str
    disabled: bool
    created_at: datetime | None
    password_changed_at: datetime | None
    sessions: int


ANONYMOUS = User(None, "", "anonymous")


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------- passwords

def check_password(password: str, name: str = "") -> None:
    """AccountError unless the password is long and hard enough to guess."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise AccountError(f"密码至少 {MIN_LENGTH} 个字符 (password: at least {MIN_LENGTH} characters)")
    if len(password) > MAX_LENGTH:
        raise AccountError(f"密码最多 {MAX_LENGTH} 个字符 (password: at most {MAX_LENGTH} characters)")
    from zxcvbn import zxcvbn
    # zxcvbn's cost grows with the length; the first 100 characters tell enough
    result = zxcvbn(password[:100], user_inputs=[name, "nianbao", "年报"] if name else ["nianbao", "年报"])
    if result["score"] < MIN_SCORE:
        hint = (result.get("feedback") or {}).get("warning") or ""
        raise AccountError(f"密码太容易猜到（强度 {result['score']}/4，至少需要 {MIN_SCORE}）：请用更长、不常见的词组合 "
                           f"(password too easy to guess: strength {result['score']}/4, {MIN_SCORE} needed"
                           f"{'; ' + hint if hint else ''})")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def add_user(engine: sa.Engine, name: str, password: str, role: str) -> User:
    if not NAME_RE.match(name or ""):
        raise AccountError("用户名只能包含字母、数字、._@- (user name: letters, digits, ._@- only)")
    if role not in ROLES:
        raise AccountError(f"角色必须是 {'/'.join(ROLES)} (role must be one of {', '.join(ROLES)})")
    check_password(password, name)
    with engine.begin() as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            raise AccountError(f"用户 {name} 已存在 (user {name} exists)")
        uid = conn.execute(users.insert().values(name=name, password_hash=hash_password(password), role=role,
                                                 password_changed_at=_now())).inserted_primary_key[0]
    return User(uid, name, role)


def _uid(conn, name: str) -> int:
    uid = conn.execute(sa.select(users.c.id).where(users.c.name == name)).scalar()
    if uid is None:
        raise AccountError(f"没有用户 {name} (no user {name})")
    return uid


def set_password(engine: sa.Engine, name: str, password: str, keep_session: str | None = None) -> None:
    """A new password; every session of the account ends (but ``keep_session``, the one changing it)."""
    check_password(password, name)
    hashed = hash_password(password)
    with engine.begin() as conn:
        uid = _uid(conn, name)
        now = _now()
        conn.execute(users.update().where(users.c.id == uid)
                     .values(password_hash=hashed, password_changed_at=now, session_floor=now))
        q = sessions.delete().where(sessions.c.user_id == uid)
        if keep_session:
            q = q.where(sessions.c.id != _sid_hash(keep_session))
        conn.execute(q)


def _admins_left(conn, without: int) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(users).where(
        users.c.role == "admin", users.c.disabled.is_(False), users.c.id != without)).scalar()


def set_role(engine: sa.Engine, name: str, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"角色必须是 {'/'.join(ROLES)} (role must be one of {', '.join(ROLES)})")
    with engine.begin() as conn:
        uid = _uid(conn, name)
        if role != "admin" and not _admins_left(conn, uid):
            raise AccountError("至少要保留一个可用的管理员 (at least one active admin must remain)")
        conn.execute(users.update().where(users.c.id == uid).values(role=role))


def set_disabled(engine: sa.Engine, name: str, disabled: bool) -> None:
    """Disable (every session ends, sign-in refused) or enable an account."""
    with engine.begin() as conn:
        uid = _uid(conn, name)
        if disabled and not _admins_left(conn, uid) and \
                conn.execute(sa.select(users.c.role).where(users.c.id == uid)).scalar() == "admin":
            raise AccountError("至少要保留一个可用的管理员 (at least one active admin must remain)")
        conn.execute(users.update().where(users.c.id == uid).values(
            disabled=disabled, **({"session_floor": _now()} if disabled else {})))
        if disabled:
            conn.execute(sessions.delete().where(sessions.c.user_id == uid))


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users.c.id, users.c.name, users.c.role).order_by(users.c.name)).all()
    return [User(*r) for r in rows]


def list_accounts(engine: sa.Engine) -> list[Account]:
    live = (sa.select(sessions.c.user_id, sa.func.count().label("n")).where(sessions.c.expires_at > _now())
            .group_by(sessions.c.user_id).subquery())
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users.c.id, users.c.name, users.c.role, users.c.disabled, users.c.created_at,
                                      users.c.password_changed_at, sa.func.coalesce(live.c.n, 0))
                            .outerjoin(live, live.c.user_id == users.c.id).order_by(users.c.name)).all()
    return [Account(*r) for r in rows]


def get_user(engine: sa.Engine, uid: int) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(users.c.id, users.c.name, users.c.role)
                           .where(users.c.id == uid, users.c.disabled.is_(False))).first()
    return User(*row) if row else None


# A fixed hash to verify against when the name is unknown, so both cases take as long.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def authenticate(engine: sa.Engine, name: str, password: str) -> User | None:
    """The account if the password is right and the account enabled (blocking: argon2 takes tens of ms)."""
    if len(password or "") > MAX_LENGTH:
        return None
    with engine.connect() as conn:
        row = conn.execute(sa.select(users.c.id, users.c.name, users.c.role, users.c.password_hash,
                                     users.c.disabled).where(users.c.name == name)).first()
    try:
        _hasher.verify(row[3] if row else _DUMMY_HASH, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or row[4]:
        return None
    if _hasher.check_needs_rehash(row[3]):
        with engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == row[0]).values(password_hash=hash_password(password)))
    return User(row[0], row[1], row[2])


class Busy(Exception):
    """Too many password checks are waiting already."""


class HashWorker:
    """Runs password hashing off the event loop, in one thread, with a bounded queue.

    One thread leaves the other cores to the pages; past ``queue`` waiting checks, new ones are
    refused at once (the caller answers 429) rather than piling up.
    """

    def __init__(self, queue: int = 8):
        from concurrent.futures import ThreadPoolExecutor
        self.queue = queue
        self.waiting = 0
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nianbao-password")

    async def run(self, fn, *args):
        import asyncio
        if self.waiting >= self.queue:
            raise Busy()
        self.waiting += 1  # only the event loop's thread counts: no lock needed
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
        finally:
            self.waiting -= 1


# ---------------------------------------------------------------- sessions

def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _new_session(request: Request, user: User) -> str:
    sid = secrets.token_urlsafe(32)
    now = _now()
    with request.app.state.engine.begin() as conn:
        conn.execute(sessions.delete().where(sessions.c.expires_at < now))
        conn.execute(sessions.insert().values(
            id=_sid_hash(sid), user_id=user.id, created_at=now, address=_address(request)[:64],
            expires_at=now + timedelta(seconds=request.app.state.settings.session_max_age)))
    return sid


def login_session(request: Request, user: User) -> None:
    request.session.clear()
    request.session["uid"] = user.id
    request.session["sid"] = _new_session(request, user)
    request.session["csrf"] = secrets.token_urlsafe(32)


def logout_session(request: Request) -> None:
    sid, uid = request.session.get("sid"), request.session.get("uid")
    with request.app.state.engine.begin() as conn:
        if sid:
            conn.execute(sessions.delete().where(sessions.c.id == _sid_hash(str(sid))))
        if uid is not None:
            # a cookie from before server-side sessions cannot be revoked alone: all of them end now
            conn.execute(users.update().where(users.c.id == uid, users.c.session_floor.is_(None))
                         .values(session_floor=_now()))
    request.session.clear()


def _session_user(request: Request) -> User:
    uid, sid = request.session.get("uid"), request.session.get("sid")
    if uid is None:
        return ANONYMOUS
    engine = request.app.state.engine
    cols = (users.c.id, users.c.name, users.c.role)
    with engine.connect() as conn:
        if sid:
            row = conn.execute(sa.select(*cols).join(sessions, sessions.c.user_id == users.c.id).where(
                sessions.c.id == _sid_hash(str(sid)), users.c.id == uid, users.c.disabled.is_(False),
                sessions.c.expires_at > _now())).first()
            return User(*row) if row else ANONYMOUS
        row = conn.execute(sa.select(*cols).where(users.c.id == uid, users.c.disabled.is_(False),
                                                  users.c.session_floor.is_(None))).first()
    if row is None:
        return ANONYMOUS
    user = User(*row)
    request.session["sid"] = _new_session(request, user)  # a signed cookie of the old kind: given an id
    return user


def current_user(request: Request) -> User:
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached
    user = _session_user(request)
    if user is ANONYMOUS and request.session.get("uid") is not None:
        request.session.clear()  # ended, expired, or the account disabled
    request.state.user = user
    return user


def session_id(request: Request) -> str | None:
    sid = request.session.get("sid")
    return str(sid) if sid else None


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
