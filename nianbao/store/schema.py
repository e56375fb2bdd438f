"""The store's tables (SQLAlchemy 2). The Alembic history in ``migrations/`` creates them.

Sources are files as received; reports are (agency, year); a report's values live
in immutable versions (extracted, or corrected by a person); cells are the
values of one version in long form; findings belong to a version and carry their
review status. ``web_users`` and ``web_secrets`` hold the web UI's accounts and its
cookie-signing secret (nianbao.web reads and writes them; their schema lives in this
one migration history like every other table). ``report_facts`` is one row per report with the current version's
inputs of the derived metrics, so that aggregates over a million reports read one
narrow, indexed table instead of the cells.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, LargeBinary,
                        String, Table, Text, UniqueConstraint, func)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .facts import FACT_COLUMNS


class Base(DeclarativeBase):
    pass


class Source(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)          # where it was read from
    url: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(16))
    size: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # the original bytes, when kept
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Region(Base):
    """province › city › county › township; ``code`` is the administrative division code when known."""
    __tablename__ = "regions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)            # own name: 临川区
    full_name: Mapped[str] = mapped_column(Text, unique=True)  # 江州省江州市临川区
    level: Mapped[str] = mapped_column(String(16))     # province|city|county|township
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(12))


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("name", "region_id", name="uq_agency_name_region"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))      # government|department
    level: Mapped[str | None] = mapped_column(String(16))  # province|city|county|township
    code: Mapped[str | None] = mapped_column(String(32))   # 统一社会信用代码 when known


class Report(Base):
    """One agency's report for one year. Reports whose agency or year is unknown stay apart."""
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("agency_id", "year", name="uq_report_agency_year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    current_version_id: Mapped[int | None] = mapped_column(Integer)  # no FK: versions point back here
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Version(Base):
    """The values of a report at one moment. Never updated once written."""
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("report_id", "number", name="uq_version_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))      # extracted|corrected
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))
    author: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    record: Mapped[dict] = mapped_column(JSON)
    n_cells: Mapped[int] = mapped_column(Integer, default=0)


class CellRow(Base):
    __tablename__ = "cells"
    __table_args__ = (Index("ix_cells_version_ref", "version_id", "ref", unique=True),
                      Index("ix_cells_tbl_row_col", "tbl", "row_key", "col"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    ref: Mapped[str] = mapped_column(String(96))      # t3.granted[6]
    tbl: Mapped[str] = mapped_column(String(16))      # t2|t3|t4|legacy
    row_key: Mapped[str] = mapped_column(String(64))
    col: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)    # non-numeric values (procurement_unit)
    # none_as_null: a cell without provenance holds SQL NULL (not JSON null), so reads can skip it in SQL
    provenance: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    confidence: Mapped[float | None] = mapped_column(Float)


class Finding(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    scope: Mapped[str] = mapped_column(String(16))    # report|cross_year
    other_version_id: Mapped[int | None] = mapped_column(ForeignKey("versions.id"))  # the neighbour year
    rule: Mapped[str] = mapped_column(String(96), index=True)
    severity: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str | None] = mapped_column(Text)
    cells: Mapped[list] = mapped_column(JSON)
    evidence: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|confirmed|dismissed
    reviewed_by: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)


def _fact_columns(nullable: bool = True):
    return {name: mapped_column(Float, nullable=nullable) for name in FACT_COLUMNS}


class ReportFacts(Base):
    """The current version's metric inputs, one row per report (denormalised for speed)."""
    __tablename__ = "report_facts"
    __table_args__ = (Index("ix_facts_year_level", "year", "level"),
                      Index("ix_facts_province_year", "province_id", "year"),
                      Index("ix_facts_city_year", "city_id", "year"),
                      Index("ix_facts_agency_year", "agency_id", "year"))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)
    version_id: Mapped[int] = mapped_column(Integer)
    agency_id: Mapped[int | None] = mapped_column(Integer)
    region_id: Mapped[int | None] = mapped_column(Integer)
    province_id: Mapped[int | None] = mapped_column(Integer)
    city_id: Mapped[int | None] = mapped_column(Integer)
    county_id: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    year: Mapped[int | None] = mapped_column(Integer)
    template: Mapped[str | None] = mapped_column(String(8))
    n_findings: Mapped[int] = mapped_column(Integer, default=0)
    n_open: Mapped[int] = mapped_column(Integer, default=0)
    has_t3: Mapped[bool] = mapped_column(Boolean, default=False)
    locals().update(_fact_columns())


class FactsRollup(Base):
    """Sums of ``report_facts`` per (province, city, county, level, kind, year, template), kept at three
    grains (``province``: city and county 0; ``city``: county 0; ``county``) so that aggregates read
    thousands of rows instead of a million. Unknown ids are 0 and unknown strings '' (keys never NULL)."""
    __tablename__ = "facts_rollup"
    __table_args__ = (Index("ix_rollup_key", "grain", "province_id", "city_id", "county_id", "level", "kind",
                            "year", "template", unique=True),
                      Index("ix_rollup_grain_year", "grain", "year"),
                      Index("ix_rollup_grain_city", "grain", "city_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[str] = mapped_column(String(8))
    province_id: Mapped[int] = mapped_column(Integer)
    city_id: Mapped[int] = mapped_column(Integer)
    county_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(8))
    n: Mapped[int] = mapped_column(Integer)
    n_tables: Mapped[int] = mapped_column(Integer)
    locals().update(_fact_columns(nullable=False))


# The web UI's accounts and secrets (see nianbao.web.auth / nianbao.web.db). Plain tables: the web
# layer reads them with Core statements.
web_users = Table(
    "web_users", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

web_secrets = Table(
    "web_secrets", Base.metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(255), nullable=False),
)


class Job(Base):
    """An upload or a re-extraction, from acceptance to its end (see :mod:`nianbao.ingest.jobs`)."""
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status", "status", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))          # upload|reextract
    status: Mapped[str] = mapped_column(String(12))        # queued|running|done|failed
    filename: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # the bytes to extract; dropped at the end
    report_id: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict | None] = mapped_column(JSON)      # what the store said (stored|duplicate, counts)
    reason: Mapped[str | None] = mapped_column(Text)       # why it failed
    user_name: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str | None] = mapped_column(Text)       # host:pid of the process that ran it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# One counter, ``generation``, raised by each transaction that writes reports (see Store.generation).
store_state = Table(
    "store_state", Base.metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
