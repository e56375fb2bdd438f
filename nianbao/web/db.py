"""The web layer's own tables (users, signing secret), kept beside the store's.

They live in the same database as the store but are migrated by their own
Alembic history (version table ``nianbao_web_version``), so the store's
migrations and these never step on each other.
"""
from __future__ import annotations

import secrets
from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "web_users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

web_secrets = sa.Table(
    "web_secrets", metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

VERSION_TABLE = "nianbao_web_version"


def _sqlite_dir(url: str) -> None:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str) -> sa.Engine:
    _sqlite_dir(url)
    return sa.create_engine(url, future=True)


def upgrade(engine: sa.Engine) -> None:
    """Bring the web tables to the newest revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def secret(engine: sa.Engine, name: str = "session") -> str:
    """A random secret created once and kept in the database (never shown in a page)."""
    with engine.begin() as conn:
        row = conn.execute(sa.select(web_secrets.c.value).where(web_secrets.c.name == name)).first()
        if row:
            return row[0]
        value = secrets.token_urlsafe(48)
        conn.execute(web_secrets.insert().values(name=name, value=value))
        return value
