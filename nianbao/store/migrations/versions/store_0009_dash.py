"""store 0009: the dashboard answers from aggregates — copied prose and last year's report counted per report

Revision ID: store_0009_dash
Revises: store_0008_jobs
Create Date: 2026-12-06

- ``report_facts`` gains ``n_copied`` (the current version's ``cross.copied_prose`` findings that
  were not dismissed) and ``has_prev`` (the agency has a report for the year before), so that the
  dashboard's copy rate no longer joins the findings and the reports;
- ``facts_rollup`` gains ``n_with_open``, ``n_copied``, ``n_with_prev`` and ``n_with_agency``: how
  many of a group's reports have open findings, copied prose, last year's report, a known agency;
- ``facts_agencies``: reports per agency and its place, to count the agencies a selection names;
- indexes: the reports with open findings in ranking order (partial, carrying the filter columns),
  ``report_facts`` by county and by region like by province and city, the rollup's county grain by
  county like its city grain by city.

Existing stores get the new counts computed from their findings and reports, and the rollup
recomputed from ``report_facts``.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "store_0009_dash"
down_revision: Union[str, Sequence[str], None] = "store_0008_jobs"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COPIED_PROSE = "cross.copied_prose"
KEY = ("province_id", "city_id", "county_id", "level", "kind", "year", "template")
BLANK = {"province_id": 0, "city_id": 0, "county_id": 0, "region_id": 0, "level": "", "kind": "", "year": 0,
         "template": ""}
COUNTS = ("n_with_open", "n_copied", "n_with_prev", "n_with_agency")
AGENCY_KEY = ("agency_id", "region_id", "province_id", "city_id", "county_id", "level", "kind")


def upgrade() -> None:
    # (plain ALTER TABLE … ADD COLUMN on both: a constant default copies no table on SQLite)
    op.add_column("report_facts", sa.Column("n_copied", sa.Integer, nullable=False, server_default="0"))
    op.add_column("report_facts", sa.Column("has_prev", sa.Boolean, nullable=False, server_default="0"))
    for c in COUNTS:
        op.add_column("facts_rollup", sa.Column(c, sa.Integer, nullable=False, server_default="0"))
    op.create_table(
        "facts_agencies",
        sa.Column("id", sa.Integer, primary_key=True),
        *[sa.Column(c, sa.Integer, nullable=False) for c in AGENCY_KEY if c.endswith("_id")],
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("n", sa.Integer, nullable=False))
    op.create_index("ix_facts_agencies_key", "facts_agencies", list(AGENCY_KEY), unique=True)
    op.create_index("ix_rollup_grain_county", "facts_rollup", ["grain", "county_id"])
    op.create_index("ix_facts_county_year", "report_facts", ["county_id", "year"])
    op.create_index("ix_facts_region_year", "report_facts", ["region_id", "year"])
    op.create_index("ix_facts_open", "report_facts",
                    [sa.text("n_open DESC"), "report_id", "year", "level", "province_id", "city_id", "county_id",
                     "region_id"],
                    sqlite_where=sa.text("n_open > 0"), postgresql_where=sa.text("n_open > 0"))
    _backfill()


def _backfill() -> None:
    """The new counts of the reports stored so far, then the rollup and facts_agencies from report_facts."""
    bind = op.get_bind()
    sums = [c["name"] for c in sa.inspect(bind).get_columns("facts_rollup")
            if c["name"].startswith(("t3_", "t4_"))]
    facts = sa.table("report_facts", *[sa.column(c) for c in (
        "report_id", "version_id", "agency_id", "region_id", *KEY, "n_open", "n_copied", *sums)],
        sa.column("has_t3", sa.Boolean), sa.column("has_prev", sa.Boolean))
    findings = sa.table("findings", sa.column("version_id"), sa.column("rule"), sa.column("status"))
    reports = sa.table("reports", sa.column("id"), sa.column("agency_id"), sa.column("year"))
    copied = (sa.select(sa.func.count()).select_from(findings)
              .where(findings.c.version_id == facts.c.version_id, findings.c.rule == COPIED_PROSE,
                     findings.c.status != "dismissed").scalar_subquery())
    prev = sa.exists().where(reports.c.agency_id == facts.c.agency_id, reports.c.year == facts.c.year - 1)
    bind.execute(facts.update().values(n_copied=copied, has_prev=prev))

    rollup = sa.table("facts_rollup", *[sa.column(c) for c in ("grain", *KEY, "n", "n_tables", *COUNTS, *sums)])
    bind.execute(rollup.delete())

    def flag(cond):
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    for grain in ("province", "city", "county"):
        dims, grouped = [], []
        for dim in KEY:
            if (dim == "city_id" and grain == "province") or (dim == "county_id" and grain != "county"):
                dims.append(sa.literal(BLANK[dim]).label(dim))
            else:
                expr = sa.func.coalesce(facts.c[dim], BLANK[dim])
                dims.append(expr.label(dim))
                grouped.append(expr)
        sel = sa.select(sa.literal(grain).label("grain"), *dims, sa.func.count().label("n"),
                        flag(facts.c.has_t3 == sa.true()), flag(facts.c.n_open > 0), flag(facts.c.n_copied > 0),
                        flag(facts.c.has_prev == sa.true()), flag(facts.c.agency_id.is_not(None)),
                        *[sa.func.coalesce(sa.func.sum(facts.c[c]), 0.0) for c in sums]).group_by(*grouped)
        bind.execute(rollup.insert().from_select(["grain", *KEY, "n", "n_tables", *COUNTS, *sums], sel))

    agencies = sa.table("facts_agencies", *[sa.column(c) for c in (*AGENCY_KEY, "n")])
    keys = [facts.c.agency_id] + [sa.func.coalesce(facts.c[c], BLANK[c]) for c in AGENCY_KEY[1:]]
    bind.execute(agencies.insert().from_select(
        [*AGENCY_KEY, "n"], sa.select(*keys, sa.func.count()).where(facts.c.agency_id.is_not(None)).group_by(*keys)))


def downgrade() -> None:
    op.drop_index("ix_facts_open", table_name="report_facts")
    op.drop_index("ix_facts_region_year", table_name="report_facts")
    op.drop_index("ix_facts_county_year", table_name="report_facts")
    op.drop_index("ix_rollup_grain_county", table_name="facts_rollup")
    op.drop_index("ix_facts_agencies_key", table_name="facts_agencies")
    op.drop_table("facts_agencies")
    for c in COUNTS:
        op.drop_column("facts_rollup", c)
    op.drop_column("report_facts", "has_prev")
    op.drop_column("report_facts", "n_copied")
