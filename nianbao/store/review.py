"""A reviewer's work across versions: findings' decisions carried over, corrections kept and re-applied.

*The same finding*: a finding of a new version is the same as one of the version before when its
rule, its cells and the values of those cells (``Finding.cell_values``) agree; it then keeps the
decision (confirmed or dismissed, by whom, why). When the rule and cells agree but a value changed,
the finding is open again and ``prior`` keeps the old decision and the old values, so the reviewer
sees what was decided and what changed since.

*Corrections* live in ``corrections`` as well as in the versions they made: a new extraction of the
report (a re-upload of a corrected file, or the stored file read again) gets every correction still
in force re-applied on top, in a version of its own, cell by cell, so that nothing a person entered
is silently overwritten; each can be reverted. A correction the new extraction already agrees with is
closed as ``absorbed``.
"""
from __future__ import annotations

import hashlib
import json
from typing import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from .editable import value_of
from .schema import Correction, Finding

ACTIVE = "active"
STANDARD_KEYS = {"rule", "severity", "message", "message_en", "cells", "evidence", "status", "reviewed_by",
                 "reviewed_at", "comment", "id", "scope", "other_version_id", "cell_values", "prior", "extra"}


# ---------------------------------------------------------------- what makes a finding the same

def comparable(v):
    """A value as findings and corrections compare it (12.0 is 12; a table or the prose by its digest)."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, (dict, list)):
        return "sha1:" + hashlib.sha1(json.dumps(v, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
    return v


def _value(record: Mapping, ref: str):
    if "." not in ref:  # a whole table ("t3") or the prose ("sections")
        blob = [s.get("text") for s in record.get("sections") or [] if isinstance(s, dict)] \
            if ref == "sections" else record.get(ref)
        return None if blob is None else comparable(blob)
    try:
        return comparable(value_of(record, ref))
    except (ValueError, AttributeError, TypeError):
        return None


def finding_values(record: Mapping, cells: Iterable[str], previous: Mapping | None = None,
                   previous_cells: Iterable[str] = ()) -> dict:
    """The values a finding is about: its cells in ``record``, and the other year's cells as ``prev:…``."""
    out = {str(ref): _value(record, str(ref)) for ref in cells or ()}
    if previous is not None:
        for ref in previous_cells or ():
            out["prev:" + str(ref)] = _value(previous, str(ref))
    return out


def extra_of(f: Mapping) -> dict | None:
    """What a finding dict carries beyond the stored columns (previous_cells, copy_rate, …)."""
    extra = {k: v for k, v in f.items() if k not in STANDARD_KEYS and _jsonable(v)}
    return extra or None


def _jsonable(v) -> bool:
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        return False
    return True


def _same(old: Finding, old_values: dict, new_values: dict) -> bool:
    if old.cell_values is None:  # written before values were kept: compare what both know
        keys = old_values.keys() & new_values.keys()
        return all(old_values[k] == new_values[k] for k in keys)
    return old_values == new_values


def carry_reviews(old: list[Finding], new: list[Finding], old_number: int,
                  old_record: Mapping | None = None) -> None:
    """Give each finding of ``new`` the decision of the same finding in ``old`` (see module doc)."""
    by_key: dict[tuple, list[Finding]] = {}
    for f in old:
        by_key.setdefault((f.rule, tuple(f.cells or ())), []).append(f)

    def values_of(f: Finding) -> dict:
        if f.cell_values is not None:
            return dict(f.cell_values)
        return finding_values(old_record, f.cells) if old_record is not None else {}

    for row in new:
        cands = by_key.get((row.rule, tuple(row.cells or ())))
        if not cands:
            continue
        new_values = dict(row.cell_values or {})
        match = next((f for f in cands if _same(f, values_of(f), new_values)), None)
        same = match is not None
        match = match or cands[0]
        cands.remove(match)
        prev = match.prior if isinstance(match.prior, dict) else None
        if match.status != "open":
            since = prev.get("version", old_number) if prev and prev.get("kept") else old_number
            decision = {"status": match.status, "comment": match.comment, "reviewed_by": match.reviewed_by,
                        "reviewed_at": match.reviewed_at.isoformat() if match.reviewed_at else None,
                        "version": since, "values": values_of(match), "kept": same}
            if same:
                row.status, row.reviewed_by, row.reviewed_at, row.comment = (
                    match.status, match.reviewed_by, match.reviewed_at, match.comment)
            else:
                row.status, row.reviewed_by, row.reviewed_at, row.comment = "open", None, None, None
            row.prior = decision
        elif prev and not prev.get("kept"):
            row.prior = prev  # re-opened and not decided yet: the old decision stays in view


# ---------------------------------------------------------------- corrections

def correction_dict(c: Correction, numbers: Mapping[int, int] | None = None) -> dict:
    numbers = numbers or {}
    return {"id": c.id, "ref": c.ref, "value": c.value, "previous": c.previous, "author": c.author,
            "reason": c.reason, "created_at": c.created_at, "status": c.status,
            "version": numbers.get(c.version_id), "applied_version": numbers.get(c.applied_version_id),
            "closed_by": c.closed_by, "closed_at": c.closed_at, "closed_reason": c.closed_reason,
            "closed_version": numbers.get(c.closed_version_id)}


def active_corrections(s: Session, report_id: int) -> list[Correction]:
    return list(s.scalars(select(Correction).where(Correction.report_id == report_id, Correction.status == ACTIVE)
                          .order_by(Correction.id)))


def to_reapply(record: Mapping, corrections: list[Correction]) -> tuple[dict[str, object], list[Correction]]:
    """({ref: corrected value} still to put on top of ``record``, corrections it already agrees with)."""
    values, absorbed = {}, []
    for c in corrections:
        now = comparable(value_of(record, c.ref))
        if now == comparable(c.value):
            absorbed.append(c)
        else:
            values[c.ref] = c.value
    return values, absorbed
