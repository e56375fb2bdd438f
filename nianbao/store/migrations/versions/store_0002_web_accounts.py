"""store 0002: the web UI's tables (web_users, web_secrets) join the store's history

Revision ID: store_0002_web_accounts
Revises: store_0001_initial
Create Date: 2026-11-22

Until this revision the web layer migrated its two tables with an Alembic history of its
own (version table ``nianbao_web_version``, single revision ``w0001``). A database made
that way already holds the tables, its users and the cookie-signing secret: they are
adopted as they are (rows untouched, so passwords and open sessions keep working) and
the old version table is dropped. A database without them gets them created.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "store_0002_web_accounts"
down_revision: Union[str, Sequence[str], None] = "store_0001_initial"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD_VERSION_TABLE = "nianbao_web_version"
OLD_REVISIONS = ("w0001",)  # every revision the web's own history ever had
# Frozen at this revision: the columns an adopted table must have.
COLUMNS = {"web_users": {"id", "name", "password_hash", "role", "created_at"},
           "web_secrets": {"name", "value"}}


def _create(name: str) -> None:
    if name == "web_users":
        op.create_table(
            "web_users",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(80), nullable=False, unique=True),
            sa.Column("password_hash", sa.String(255), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()))
    else:
        op.create_table(
            "web_secrets",
            sa.Column("name", sa.String(40), primary_key=True),
            sa.Column("value", sa.String(255), nullable=False))


def upgrade() -> None:
    bind = op.get_bind()
    insp = sa.inspect(bind)
    tables = set(insp.get_table_names())
    if OLD_VERSION_TABLE in tables:
        found = [r[0] for r in bind.execute(sa.text(f"SELECT version_num FROM {OLD_VERSION_TABLE}"))]
        unknown = sorted(set(found) - set(OLD_REVISIONS))
        if unknown:
            # a newer web history than this code knows: adopting it could drop what it added
            raise RuntimeError(f"{OLD_VERSION_TABLE} 含未知版本 {unknown}，无法并入存储的迁移历史 "
                               f"({OLD_VERSION_TABLE} holds unknown revisions {unknown}: cannot adopt the web tables)")
    for name, wanted in COLUMNS.items():
        if name in tables:
            have = {c["name"] for c in insp.get_columns(name)}
            if not wanted <= have:
                raise RuntimeError(f"表 {name} 缺少列 {sorted(wanted - have)}，无法接管 "
                                   f"(table {name} lacks columns {sorted(wanted - have)}: cannot adopt it)")
        else:
            _create(name)
    if OLD_VERSION_TABLE in tables:
        op.drop_table(OLD_VERSION_TABLE)


def downgrade() -> None:
    # Back to two histories: the tables stay (with their users), the web's version table returns.
    op.create_table(OLD_VERSION_TABLE, sa.Column("version_num", sa.String(32), primary_key=True))
    op.execute(sa.text(f"INSERT INTO {OLD_VERSION_TABLE} (version_num) VALUES ('{OLD_REVISIONS[-1]}')"))
