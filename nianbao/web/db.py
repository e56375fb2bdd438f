"""The web layer's tables (accounts, sessions, signing secret) and the secret they keep.

The tables are defined and migrated by the store (``nianbao.store.schema``, one Alembic
history): opening the store brings them up to date.
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa

from ..store.schema import web_secrets, web_sessions as sessions, web_users as users

__all__ = ["users", "sessions", "web_secrets", "secret"]


def secret(engine: sa.Engine, name: str = "session") -> str:
    """A random secret created once and kept in the database (never shown in a page)."""
    with engine.begin() as conn:
        row = conn.execute(sa.select(web_secrets.c.value).where(web_secrets.c.name == name)).first()
        if row:
            return row[0]
        value = secrets.token_urlsafe(48)
        conn.execute(web_secrets.insert().values(name=name, value=value))
        return value
