"""store 0001: sources, regions, agencies, reports, versions, cells, findings, report_facts, facts_rollup

Revision ID: store_0001_initial
Revises:
Create Date: 2026-11-22

Other areas add their tables in later revisions of this same history
(``down_revision`` = the store head at the time, e.g. ``"store_0001_initial"``).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "store_0001_initial"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Frozen copy of nianbao.store.facts.FACT_COLUMNS at this revision.
FACT_COLUMNS = (
    't3_new_6', 't3_carried_6', 't3_granted_6', 't3_partial_6', 't3_deny_secret_6', 't3_deny_law_6',
    't3_deny_safety_6', 't3_deny_third_party_6', 't3_deny_internal_6', 't3_deny_process_6',
    't3_deny_enforcement_6', 't3_deny_query_6', 't3_unable_not_held_6', 't3_unable_need_create_6',
    't3_unable_unclear_6', 't3_reject_complaint_6', 't3_reject_repeat_6', 't3_reject_publication_6',
    't3_reject_massive_6', 't3_reject_confirm_6', 't3_other_6', 't3_other_no_correction_6',
    't3_other_no_fee_6', 't3_other_misc_6', 't3_total_6', 't3_carry_next_6',
    't4_reconsideration_0', 't4_reconsideration_1', 't4_reconsideration_2', 't4_reconsideration_3',
    't4_reconsideration_4', 't4_litigation_direct_0', 't4_litigation_direct_1', 't4_litigation_direct_2',
    't4_litigation_direct_3', 't4_litigation_direct_4', 't4_litigation_after_reconsideration_0',
    't4_litigation_after_reconsideration_1', 't4_litigation_after_reconsideration_2',
    't4_litigation_after_reconsideration_3', 't4_litigation_after_reconsideration_4',
)

TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("filename", sa.Text), sa.Column("path", sa.Text), sa.Column("url", sa.Text),
        sa.Column("format", sa.String(16)), sa.Column("size", sa.BigInteger),
        sa.Column("data", sa.LargeBinary), sa.Column("fetched_at", TS),
        sa.Column("stored_at", TS, nullable=False))
    op.create_table(
        "regions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("full_name", sa.Text, nullable=False, unique=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("regions.id")),
        sa.Column("code", sa.String(12)))
    op.create_index("ix_regions_parent_id", "regions", ["parent_id"])
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("region_id", sa.Integer, sa.ForeignKey("regions.id")),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("agencies.id")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("level", sa.String(16)), sa.Column("code", sa.String(32)),
        sa.UniqueConstraint("name", "region_id", name="uq_agency_name_region"))
    op.create_index("ix_agencies_region_id", "agencies", ["region_id"])
    op.create_index("ix_agencies_parent_id", "agencies", ["parent_id"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("agencies.id")),
        sa.Column("year", sa.Integer),
        sa.Column("current_version_id", sa.Integer),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("agency_id", "year", name="uq_report_agency_year"))
    op.create_index("ix_reports_agency_id", "reports", ["agency_id"])
    op.create_index("ix_reports_year", "reports", ["year"])
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id")),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("versions.id")),
        sa.Column("author", sa.Text), sa.Column("reason", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("record", sa.JSON, nullable=False),
        sa.Column("n_cells", sa.Integer, nullable=False),
        sa.UniqueConstraint("report_id", "number", name="uq_version_number"))
    op.create_index("ix_versions_report_id", "versions", ["report_id"])
    op.create_index("ix_versions_source_id", "versions", ["source_id"])
    op.create_table(
        "cells",
        sa.Column("id", BIGID, primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=False),
        sa.Column("ref", sa.String(96), nullable=False),
        sa.Column("tbl", sa.String(16), nullable=False),
        sa.Column("row_key", sa.String(64), nullable=False),
        sa.Column("col", sa.Integer),
        sa.Column("value", sa.Float), sa.Column("text", sa.Text),
        sa.Column("provenance", sa.JSON), sa.Column("confidence", sa.Float))
    op.create_index("ix_cells_version_ref", "cells", ["version_id", "ref"], unique=True)
    op.create_index("ix_cells_tbl_row_col", "cells", ["tbl", "row_key", "col"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("other_version_id", sa.Integer, sa.ForeignKey("versions.id")),
        sa.Column("rule", sa.String(96), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("message", sa.Text, nullable=False), sa.Column("message_en", sa.Text),
        sa.Column("cells", sa.JSON, nullable=False), sa.Column("evidence", sa.Text),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reviewed_by", sa.Text), sa.Column("reviewed_at", TS), sa.Column("comment", sa.Text))
    op.create_index("ix_findings_version_id", "findings", ["version_id"])
    op.create_index("ix_findings_rule", "findings", ["rule"])
    op.create_table(
        "report_facts",
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("agency_id", sa.Integer), sa.Column("region_id", sa.Integer),
        sa.Column("province_id", sa.Integer), sa.Column("city_id", sa.Integer),
        sa.Column("county_id", sa.Integer),
        sa.Column("level", sa.String(16)), sa.Column("kind", sa.String(16)),
        sa.Column("year", sa.Integer), sa.Column("template", sa.String(8)),
        sa.Column("n_findings", sa.Integer, nullable=False),
        sa.Column("n_open", sa.Integer, nullable=False),
        sa.Column("has_t3", sa.Boolean, nullable=False),
        *[sa.Column(c, sa.Float) for c in FACT_COLUMNS])
    op.create_index("ix_facts_year_level", "report_facts", ["year", "level"])
    op.create_index("ix_facts_province_year", "report_facts", ["province_id", "year"])
    op.create_index("ix_facts_city_year", "report_facts", ["city_id", "year"])
    op.create_index("ix_facts_agency_year", "report_facts", ["agency_id", "year"])
    op.create_table(
        "facts_rollup",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("grain", sa.String(8), nullable=False),
        sa.Column("province_id", sa.Integer, nullable=False), sa.Column("city_id", sa.Integer, nullable=False),
        sa.Column("county_id", sa.Integer, nullable=False),
        sa.Column("level", sa.String(16), nullable=False), sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer, nullable=False), sa.Column("template", sa.String(8), nullable=False),
        sa.Column("n", sa.Integer, nullable=False), sa.Column("n_tables", sa.Integer, nullable=False),
        *[sa.Column(c, sa.Float, nullable=False) for c in FACT_COLUMNS])
    op.create_index("ix_rollup_key", "facts_rollup", ["grain", "province_id", "city_id", "county_id", "level",
                                                      "kind", "year", "template"], unique=True)
    op.create_index("ix_rollup_grain_year", "facts_rollup", ["grain", "year"])
    op.create_index("ix_rollup_grain_city", "facts_rollup", ["grain", "city_id"])


def downgrade() -> None:
    for t in ("facts_rollup", "report_facts", "findings", "cells", "versions", "reports", "agencies", "regions", "sources"):
        op.drop_table(t)
