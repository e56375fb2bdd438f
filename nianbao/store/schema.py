"""The store's tables (SQLAlchemy 2). The Alembic history in ``migrations/`` creates them.

Sources are files as received; reports are (agency, year); a report's values live
in immutable versions (extracted, or corrected by a person); cells are the
values of one version in long form; findings belong to a version and carry their
review status. ``web_users`` and ``web_secrets`` hold the web UI's accounts and its
cookie-signing secret, ``web_sessions`` the signed-in browsers (nianbao.web reads and writes
them; their schema lives in this one migration history like every other table). ``corrections``
keeps each person's correction of a cell across versions (re-applied on a new extraction). ``report_facts`` is one row per report with the current version's
inputs of the derived metrics, so that aggregates over a million reports read one
narrow, indexed table instead of the cells.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, LargeBinary,
                        String, Table, Text, UniqueConstraint, false, func, text)
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
    kind: Mapped[str] = mapped_column(String(16))      # extracted|corrected|authored
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
    # The values of the finding's cells when it was raised ({"t3.new[6]": 12, "prev:t3.carry_next[0]": 3}):
    # a finding of a later version is "the same finding" when rule, cells and these values agree.
    cell_values: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # The decision an earlier version's same finding had: kept (values unchanged) or shown beside a
    # re-opened finding whose cells changed. {"status", "comment", "reviewed_by", "reviewed_at",
    # "version", "values", "kept"}
    prior: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))
    # What else the validator said (previous_cells of a cross-year finding, copy_rate, suggestion …).
    extra: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))


class Correction(Base):
    """One cell (or meta field) a person corrected, for as long as the report lives.

    ``status``: active (in force: re-applied on top of every new extraction), reverted (undone by a
    person), superseded (a later correction of the same cell replaced it), absorbed (a new extraction
    already gives the corrected value). Versions stay immutable; this row is the correction's history.
    """
    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_report_status", "report_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    ref: Mapped[str] = mapped_column(String(96))
    value: Mapped[object] = mapped_column(JSON)            # the corrected value (JSON null: blank)
    previous: Mapped[object] = mapped_column(JSON)         # the value it replaced
    author: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))           # the version it made
    applied_version_id: Mapped[int | None] = mapped_column(Integer)              # latest version it is applied in
    status: Mapped[str] = mapped_column(String(12), default="active")
    closed_by: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(Text)
    closed_version_id: Mapped[int | None] = mapped_column(Integer)


def _fact_columns(nullable: bool = True):
    return {name: mapped_column(Float, nullable=nullable) for name in FACT_COLUMNS}


class ReportFacts(Base):
    """The current version's metric inputs, one row per report (denormalised for speed)."""
    __tablename__ = "report_facts"
    __table_args__ = (Index("ix_facts_year_level", "year", "level"),
                      Index("ix_facts_province_year", "province_id", "year"),
                      Index("ix_facts_city_year", "city_id", "year"),
                      Index("ix_facts_county_year", "county_id", "year"),
                      Index("ix_facts_region_year", "region_id", "year"),
                      Index("ix_facts_agency_year", "agency_id", "year"),
                      # the reports with the most open findings (the dashboard's ranking): read in order, the
                      # filters checked in the index itself, only the rows shown fetched
                      Index("ix_facts_open", text("n_open DESC"), "report_id", "year", "level", "province_id",
                            "city_id", "county_id", "region_id",
                            sqlite_where=text("n_open > 0"), postgresql_where=text("n_open > 0")))
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
    # live ``cross.copied_prose`` findings of the current version (open or confirmed, not dismissed)
    n_copied: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the agency has a report for the year before (a report its prose can be compared with)
    has_prev: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    locals().update(_fact_columns())


class FactsRollup(Base):
    """Sums of ``report_facts`` per (province, city, county, level, kind, year, template), kept at three
    grains (``province``: city and county 0; ``city``: county 0; ``county``) so that aggregates read
    thousands of rows instead of a million. Unknown ids are 0 and unknown strings '' (keys never NULL)."""
    __tablename__ = "facts_rollup"
    __table_args__ = (Index("ix_rollup_key", "grain", "province_id", "city_id", "county_id", "level", "kind",
                            "year", "template", unique=True),
                      Index("ix_rollup_grain_year", "grain", "year"),
                      Index("ix_rollup_grain_city", "grain", "city_id"),
                      Index("ix_rollup_grain_county", "grain", "county_id"))
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
    # reports with open findings, with live copied prose, with last year's report, with a known agency
    n_with_open: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    n_copied: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    n_with_prev: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    n_with_agency: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locals().update(_fact_columns(nullable=False))


class FactsAgency(Base):
    """Reports per agency and the agency's place (region chain, level, kind as ``report_facts`` has them):
    how many agencies a selection of reports names, counted over thousands of rows instead of every
    report. Unknown ids are 0 and unknown strings '' (keys never NULL); reports without an agency are
    not counted here."""
    __tablename__ = "facts_agencies"
    __table_args__ = (Index("ix_facts_agencies_key", "agency_id", "region_id", "province_id", "city_id", "county_id",
                            "level", "kind", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer)
    region_id: Mapped[int] = mapped_column(Integer)
    province_id: Mapped[int] = mapped_column(Integer)
    city_id: Mapped[int] = mapped_column(Integer)
    county_id: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(Integer)


# The web UI's accounts and secrets (see nianbao.web.auth / nianbao.web.db). Plain tables: the web
# layer reads them with Core statements.
web_users = Table(
    "web_users", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    # Sessions signed before server-side sessions existed (no "sid") are honoured until this is set:
    # the first logout or password change of the account ends them.
    Column("session_floor", DateTime(timezone=True)),
    Column("password_changed_at", DateTime(timezone=True)),
)

# One row per signed-in browser: the cookie holds the id, so logging out (or a password change,
# or disabling the account) ends the session on the server, not only in that browser.
web_sessions = Table(
    "web_sessions", Base.metadata,
    Column("id", String(64), primary_key=True),         # sha256 of the token the cookie holds
    Column("user_id", Integer, ForeignKey("web_users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("address", String(64)),
)

web_secrets = Table(
    "web_secrets", Base.metadata,
    Column("name", String(40), primary_key=True),
    Column("value", String(255), nullable=False),
)


# What ``nianbao collect`` fetched from government websites (nianbao.collect.originals reads and writes
# these with Core statements). Bytes are kept once per sha256 in ``collect_blobs``; ``collect_fetches``
# is the history of what each address served (never updated); ``collect_documents`` is each address's
# current state (its latest content, when it was last checked, its last failure); ``collect_entries``
# are the reports found on a column, linked to their page and attachments by ``collect_entry_documents``.
_TS = DateTime(timezone=True)

collect_blobs = Table(
    "collect_blobs", Base.metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("stored_at", _TS, nullable=False),
)

collect_documents = Table(
    "collect_documents", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("role", String(16), nullable=False),         # column|listing|page|attachment|file
    Column("parent_url", Text),                         # the page that linked it first
    Column("link_text", Text),
    Column("fetch_id", Integer),                        # its current content (collect_fetches.id)
    Column("status", Integer),                          # last HTTP status (304: unchanged)
    Column("error", Text),                              # last failure; NULL once fetched again
    Column("first_seen", _TS, nullable=False),
    Column("checked_at", _TS),
)

collect_fetches = Table(
    "collect_fetches", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", ForeignKey("collect_documents.id"), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("final_url", Text, nullable=False),
    Column("redirects", JSON),                          # [[status, location], …] before final_url
    Column("status", Integer, nullable=False),
    Column("content_type", Text),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("filename", Text),
    Column("sha256", ForeignKey("collect_blobs.sha256"), nullable=False, index=True),
    Column("size", BigInteger, nullable=False),
    Column("fetched_at", _TS, nullable=False),
)

collect_entries = Table(
    "collect_entries", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),   # the report's page (or file) as linked
    Column("column_url", Text),                         # where it was listed (NULL: given directly)
    Column("title", Text),
    Column("year", Integer),                            # read from the title
    Column("agency", Text),
    Column("given", JSON),                              # agency/region/level/year/kind of a --list row
    Column("found_at", _TS, nullable=False),
    Column("seen_at", _TS, nullable=False),
    Column("report_id", ForeignKey("reports.id"), index=True),
    Column("source_sha256", String(64)),                # the original that became the report's source
    Column("ingested", String(64)),                     # digest of the originals last ingested
    Column("ingested_at", _TS),
    Column("ingest_error", Text),
)

collect_entry_documents = Table(
    "collect_entry_documents", Base.metadata,
    Column("entry_id", ForeignKey("collect_entries.id"), primary_key=True),
    Column("document_id", ForeignKey("collect_documents.id"), primary_key=True, index=True),
    Column("role", String(16), nullable=False),         # page|attachment|file
    Column("position", Integer, nullable=False),
    Column("link_text", Text),
)


# Drafts written in nianbao (``nianbao.author``): a draft is one agency's report for one year in the
# making; each save is an immutable version (who, when, the whole draft as JSON); each export or
# storing records who let it out, in which format, and — when it still had errors — the reason given.
# ``author_grants`` says which agencies' reports a web user may write.
class AuthorDraft(Base):
    __tablename__ = "author_drafts"
    __table_args__ = (Index("ix_author_drafts_agency_year", "agency", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12), default="draft")   # draft|exported|stored
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    previous_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))  # where it was stored
    created_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuthorDraftVersion(Base):
    __tablename__ = "author_draft_versions"
    __table_args__ = (UniqueConstraint("draft_id", "number", name="uq_author_draft_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("author_drafts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)


class AuthorExport(Base):
    __tablename__ = "author_exports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("author_drafts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(8))        # export|store
    format: Mapped[str] = mapped_column(String(8))        # docx|html|pdf|json|xlsx
    user: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    errors: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)       # why it left with errors (required then)
    overridden: Mapped[list] = mapped_column(JSON)          # the error findings it left with
    filename: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))


author_grants = Table(
    "author_grants", Base.metadata,
    Column("user_id", Integer, ForeignKey("web_users.id", ondelete="CASCADE"), primary_key=True),
    Column("agency", Text, primary_key=True),
    Column("granted_by", Text),
    Column("granted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


from . import oversight as _oversight  # noqa: E402,F401  (its tables join Base.metadata)


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
