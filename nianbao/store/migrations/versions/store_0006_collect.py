"""store 0006: what ``nianbao collect`` fetched from government websites

Revision ID: store_0006_collect
Revises: store_0003_provenance_in_cells
Create Date: 2026-11-23

Five tables, none touching the existing ones but ``collect_entries.report_id`` → ``reports``:
``collect_blobs`` (original bytes, once per sha256), ``collect_documents`` (one row per address:
its current content, last check, last failure), ``collect_fetches`` (every content an address
served: final URL after redirects, HTTP status, Content-Type, ETag, Last-Modified, sha256, time;
never updated), ``collect_entries`` (the reports found on a column, with the year and agency
read from their titles and what became of them in the store) and ``collect_entry_documents``
(an entry's page and attachments).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "store_0006_collect"
down_revision: Union[str, Sequence[str], None] = "store_0003_provenance_in_cells"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "collect_blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("stored_at", TS, nullable=False))
    op.create_table(
        "collect_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("parent_url", sa.Text),
        sa.Column("link_text", sa.Text),
        sa.Column("fetch_id", sa.Integer),
        sa.Column("status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("checked_at", TS))
    op.create_table(
        "collect_fetches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("collect_documents.id"), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("final_url", sa.Text, nullable=False),
        sa.Column("redirects", sa.JSON),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("content_type", sa.Text),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("filename", sa.Text),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("collect_blobs.sha256"), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("fetched_at", TS, nullable=False))
    op.create_index("ix_collect_fetches_document_id", "collect_fetches", ["document_id"])
    op.create_index("ix_collect_fetches_sha256", "collect_fetches", ["sha256"])
    op.create_table(
        "collect_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("column_url", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("year", sa.Integer),
        sa.Column("agency", sa.Text),
        sa.Column("given", sa.JSON),
        sa.Column("found_at", TS, nullable=False),
        sa.Column("seen_at", TS, nullable=False),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id")),
        sa.Column("source_sha256", sa.String(64)),
        sa.Column("ingested", sa.String(64)),
        sa.Column("ingested_at", TS),
        sa.Column("ingest_error", sa.Text))
    op.create_index("ix_collect_entries_report_id", "collect_entries", ["report_id"])
    op.create_table(
        "collect_entry_documents",
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("collect_entries.id"), primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("collect_documents.id"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("link_text", sa.Text))
    op.create_index("ix_collect_entry_documents_document_id", "collect_entry_documents", ["document_id"])


def downgrade() -> None:
    for name in ("collect_entry_documents", "collect_entries", "collect_fetches", "collect_documents",
                 "collect_blobs"):
        op.drop_table(name)
