"""store 0008: jobs (uploads and re-extractions run outside the web server) and the store's write generation

Revision ID: store_0008_jobs
Revises: store_0003_provenance_in_cells
Create Date: 2026-12-05

``jobs`` holds each upload (or re-extraction) from the moment it is accepted until a bounded
worker process has extracted it and the store has written it: queued, running, done or failed
with its reason. The uploaded bytes wait in the row and are dropped when the job ends.

``store_state`` keeps one counter, ``generation``, raised by every transaction that writes
reports, versions or findings; readers cache aggregates under the generation they were computed
at, so a cached figure is never served after a write (from any process) changed it.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "store_0008_jobs"
down_revision: Union[str, Sequence[str], None] = "store_0004_review"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("filename", sa.Text),
        sa.Column("sha256", sa.String(64)),
        sa.Column("size", sa.BigInteger),
        sa.Column("data", sa.LargeBinary),
        sa.Column("report_id", sa.Integer),
        sa.Column("result", sa.JSON),
        sa.Column("reason", sa.Text),
        sa.Column("user_name", sa.Text),
        sa.Column("runner", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_jobs_status", "jobs", ["status", "id"])
    state = op.create_table(
        "store_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(state, [{"name": "generation", "value": 1}])


def downgrade() -> None:
    op.drop_table("store_state")
    op.drop_index("ix_jobs_status", table_name="jobs")
    op.drop_table("jobs")
