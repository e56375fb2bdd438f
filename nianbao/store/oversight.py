"""The store's tables for oversight (监督): who each agency answers to, and people's overrides of it.

``agency_roles`` holds what :mod:`nianbao.analyse.hierarchy` inferred for each agency from its
name and region (its government, kind and level, and why); ``agency_overrides`` holds what a
person set where the name does not tell (CLI, web or a CSV import). The effective values are
written to ``agencies.parent_id / kind / level``, which the rest of the store reads; an override
is kept apart so that inferring again never loses it.

``finding_measures`` holds the size of what a finding's rule measured (days late, a repeat rate),
for the quality score's graded deductions. It is a table of its own rather than a column of
``findings`` so that the findings' rows (and every query over them) stay as they were.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .schema import Base, Finding


class AgencyRole(Base):
    __tablename__ = "agency_roles"
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(Integer, index=True)   # the government it answers to
    kind: Mapped[str] = mapped_column(String(16))                        # government | department
    level: Mapped[str | None] = mapped_column(String(16))                # province | city | county | township
    via: Mapped[str] = mapped_column(String(24))                         # how it was inferred (hierarchy.VIA)
    note: Mapped[str | None] = mapped_column(Text)                       # the reason in words (zh)
    # what the reports (a manifest, meta.kind / meta.level) stated before inference first ran
    stated_kind: Mapped[str | None] = mapped_column(String(16))
    stated_level: Mapped[str | None] = mapped_column(String(16))
    inferred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgencyOverride(Base):
    __tablename__ = "agency_overrides"
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    parent_set: Mapped[bool] = mapped_column(Boolean, default=False)     # parent_id was given (NULL = none)
    parent_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8))                       # cli | web | csv
    set_by: Mapped[str | None] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)


class FindingMeasure(Base):
    __tablename__ = "finding_measures"
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True)
    measure: Mapped[float] = mapped_column(Float)


# A finding made with a measure writes it in the same flush (never loaded unless asked for).
Finding.measure_row = relationship(FindingMeasure, uselist=False, cascade="all, delete-orphan", passive_deletes=True)
