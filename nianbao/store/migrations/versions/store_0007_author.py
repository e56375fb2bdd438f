"""store 0007: drafts written in nianbao (author_drafts, author_draft_versions, author_exports, author_grants)

Revision ID: store_0007_author
Revises: store_0003_provenance_in_cells
Create Date: 2026-11-23

``nianbao.author`` keeps an agency's report in the making here: a draft per (agency, year, …), its
saved versions (immutable: who, when, the whole draft as JSON, its error and warning counts), every
export and storing (who, which format, and the reason given when it left with errors), and which
agencies' reports each web user may write. New tables only: nothing existing changes.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "store_0007_author"
down_revision: Union[str, Sequence[str], None] = "store_0006_collect"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "author_drafts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency", sa.Text, nullable=False),
        sa.Column("region", sa.Text),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("template", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("previous_report_id", sa.Integer, sa.ForeignKey("reports.id")),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id")),
        sa.Column("created_by", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text),
        sa.Column("updated_at", TS, nullable=False))
    op.create_index("ix_author_drafts_agency_year", "author_drafts", ["agency", "year"])
    op.create_table(
        "author_draft_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("draft_id", sa.Integer, sa.ForeignKey("author_drafts.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("author", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.UniqueConstraint("draft_id", "number", name="uq_author_draft_version"))
    op.create_index("ix_author_draft_versions_draft_id", "author_draft_versions", ["draft_id"])
    op.create_table(
        "author_exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("draft_id", sa.Integer, sa.ForeignKey("author_drafts.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("user", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("overridden", sa.JSON, nullable=False),
        sa.Column("filename", sa.Text),
        sa.Column("sha256", sa.String(64)),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id")))
    op.create_index("ix_author_exports_draft_id", "author_exports", ["draft_id"])
    op.create_table(
        "author_grants",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("web_users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("agency", sa.Text, primary_key=True),
        sa.Column("granted_by", sa.Text),
        sa.Column("granted_at", TS, nullable=False, server_default=sa.func.now()))


def downgrade() -> None:
    op.drop_table("author_grants")
    op.drop_index("ix_author_exports_draft_id", table_name="author_exports")
    op.drop_table("author_exports")
    op.drop_index("ix_author_draft_versions_draft_id", table_name="author_draft_versions")
    op.drop_table("author_draft_versions")
    op.drop_index("ix_author_drafts_agency_year", table_name="author_drafts")
    op.drop_table("author_drafts")
