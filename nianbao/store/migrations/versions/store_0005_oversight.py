"""store 0005: oversight — the agency hierarchy's tables, and what a finding measured

Revision ID: store_0005_oversight
Revises: store_0003_provenance_in_cells
Create Date: 2026-11-23

- ``agency_roles``: what inference found for each agency (its government, kind, level, and why);
- ``agency_overrides``: what a person set instead (CLI, web, CSV import), kept apart so that
  inferring again never loses it;
- ``finding_measures``: the size of what a finding's rule measured (days late for ``time.late``,
  the repeat rate for ``cross.copied_prose`` and ``cross.section_repeat``), so that the quality
  score can grade a deduction. Findings stored before this revision get it back from their own
  words (the days of a late report, the rate quoted in the evidence).
"""
import re
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "store_0005_oversight"
down_revision: Union[str, Sequence[str], None] = "store_0007_author"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

findings = sa.table("findings", sa.column("id", sa.Integer), sa.column("rule", sa.String),
                    sa.column("message", sa.Text), sa.column("evidence", sa.Text))
# Frozen at this revision: how those two rules worded their measure.
_DAYS = re.compile(r"(\d+)\s*天")
_RATE = re.compile(r"重复率\s*(\d+(?:\.\d+)?)%")


def _measure(rule: str, message: str | None, evidence: str | None) -> float | None:
    if rule == "time.late":
        m = _DAYS.findall(message or "")
        return float(m[-1]) if m else None
    m = _RATE.search(evidence or "")
    return round(float(m.group(1)) / 100, 4) if m else None


def upgrade() -> None:
    op.create_table(
        "agency_roles",
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("parent_id", sa.Integer, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.String(16)),
        sa.Column("via", sa.String(24), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("stated_kind", sa.String(16)),
        sa.Column("stated_level", sa.String(16)),
        sa.Column("inferred_at", sa.DateTime(timezone=True), nullable=False))
    op.create_table(
        "agency_overrides",
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("parent_set", sa.Boolean, nullable=False),
        sa.Column("parent_id", sa.Integer),
        sa.Column("kind", sa.String(16)),
        sa.Column("level", sa.String(16)),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("set_by", sa.Text),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text))
    measures = op.create_table(
        "finding_measures",
        sa.Column("finding_id", sa.Integer, sa.ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("measure", sa.Float, nullable=False))
    bind = op.get_bind()
    rows = bind.execute(sa.select(findings.c.id, findings.c.rule, findings.c.message, findings.c.evidence)
                        .where(findings.c.rule.in_(["time.late", "cross.copied_prose"]))).all()
    got = [{"finding_id": fid, "measure": m} for fid, rule, msg, ev in rows
           if (m := _measure(rule, msg, ev)) is not None]
    if got:
        op.bulk_insert(measures, got)


def downgrade() -> None:
    op.drop_table("finding_measures")
    op.drop_table("agency_overrides")
    op.drop_table("agency_roles")
