"""store 0004: a reviewer's work survives new versions; accounts can be disabled and sessions revoked

Revision ID: store_0004_review
Revises: store_0003_provenance_in_cells
Create Date: 2026-12-05

- ``findings`` gains ``cell_values`` (the values of its cells when raised: what makes a finding of a
  later version "the same finding"), ``prior`` (the decision the same finding had in an earlier
  version, kept or shown beside the re-opened finding) and ``extra`` (what else the validator said:
  the other year's cells of a cross-year finding, the copy rate …).
- ``corrections``: each cell a person corrected, kept across versions so that a re-upload or a
  re-extraction gets the corrections re-applied on top. Corrections made before this revision are
  read back from the corrected versions (the difference with the version each was made on); one that a
  later re-upload replaced is kept as ``superseded``, with that said.
- ``web_users`` gains ``disabled``, ``session_floor`` and ``password_changed_at``; ``web_sessions``
  holds one row per signed-in browser, so that logging out ends the session on the server.
"""
from datetime import datetime, timezone
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "store_0004_review"
down_revision: Union[str, Sequence[str], None] = "store_0005_oversight"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("t2", "t3", "t4", "legacy")
REPLACED = "被重新上传的文件覆盖（store_0004 之前）(replaced by a re-upload before store_0004)"

versions = sa.table("versions", sa.column("id", sa.Integer), sa.column("report_id", sa.Integer),
                    sa.column("number", sa.Integer), sa.column("kind", sa.String),
                    sa.column("parent_id", sa.Integer), sa.column("author", sa.Text), sa.column("reason", sa.Text),
                    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("record", sa.JSON))


def _values(record) -> dict:
    """Every table value of a record by cell reference (frozen here: the layout of store_0004)."""
    out = {}
    if not isinstance(record, dict):
        return out
    for tbl in TABLES:
        table = record.get(tbl)
        if not isinstance(table, dict):
            continue
        rows = table.get("rows") if tbl == "t3" else table
        if not isinstance(rows, dict):
            continue
        for key, value in rows.items():
            if tbl == "t2" and key == "layout":
                continue
            if isinstance(value, list):
                for i, v in enumerate(value):
                    out[f"{tbl}.{key}[{i}]"] = v
            else:
                out[f"{tbl}.{key}"] = value
    return out


def _corrections_table():
    return op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("ref", sa.String(96), nullable=False),
        sa.Column("value", sa.JSON),
        sa.Column("previous", sa.JSON),
        sa.Column("author", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=False),
        sa.Column("applied_version_id", sa.Integer),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("closed_by", sa.Text),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_reason", sa.Text),
        sa.Column("closed_version_id", sa.Integer),
    )


def _backfill(bind, corrections) -> None:
    """Corrections made before this revision, from the corrected versions, report by report."""
    rows = bind.execute(sa.select(versions.c.id, versions.c.report_id, versions.c.number, versions.c.kind,
                                  versions.c.parent_id, versions.c.author, versions.c.reason,
                                  versions.c.created_at)
                        .order_by(versions.c.report_id, versions.c.number)).all()
    by_report: dict[int, list] = {}
    for r in rows:
        by_report.setdefault(r.report_id, []).append(r)
    out = []
    for report_id, vs in by_report.items():
        if not any(v.kind == "corrected" for v in vs):
            continue
        records = dict(bind.execute(sa.select(versions.c.id, versions.c.record)
                                    .where(versions.c.report_id == report_id)).all())
        active: dict[str, dict] = {}
        for v in vs:
            if v.kind != "corrected":
                for c in active.values():  # the old code put a fresh extraction over them
                    c.update(status="superseded", closed_reason=REPLACED, closed_version_id=v.id,
                             closed_at=v.created_at)
                active = {}
                continue
            before = _values(records.get(v.parent_id))
            after = _values(records.get(v.id))
            for ref in sorted(set(before) | set(after)):
                if before.get(ref) == after.get(ref):
                    continue
                if ref in active:
                    active[ref].update(status="superseded", closed_by=v.author, closed_at=v.created_at,
                                       closed_version_id=v.id)
                c = {"report_id": report_id, "ref": ref, "value": after.get(ref), "previous": before.get(ref),
                     "author": v.author or "", "reason": v.reason or "",
                     "created_at": v.created_at or datetime.now(timezone.utc), "version_id": v.id,
                     "applied_version_id": v.id, "status": "active", "closed_by": None, "closed_at": None,
                     "closed_reason": None, "closed_version_id": None}
                out.append(c)
                active[ref] = c
            for c in active.values():
                c["applied_version_id"] = v.id
    if out:
        bind.execute(sa.insert(corrections), out)


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("cell_values", sa.JSON))
        batch.add_column(sa.Column("prior", sa.JSON))
        batch.add_column(sa.Column("extra", sa.JSON))
    corrections = _corrections_table()
    op.create_index("ix_corrections_report_status", "corrections", ["report_id", "status"])
    with op.batch_alter_table("web_users") as batch:
        batch.add_column(sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("session_floor", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True)))
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("web_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(64)),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    _backfill(op.get_bind(), corrections)


def downgrade() -> None:
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    with op.batch_alter_table("web_users") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("session_floor")
        batch.drop_column("disabled")
    op.drop_index("ix_corrections_report_status", table_name="corrections")
    op.drop_table("corrections")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("extra")
        batch.drop_column("prior")
        batch.drop_column("cell_values")
