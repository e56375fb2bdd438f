"""Thin adapter to the validator (``nianbao.validate``), tolerant of its absence.

``check(record)`` → findings about one report; ``cross_year(prev, cur)`` →
findings about a pair of consecutive years of one agency. When the validator
module is not installed, the store falls back to the carry-over identity of the
template (this year's 二、上年结转 = last year's 四、结转下年度继续办理), so that
cross-year checking over the store works on its own. The fallback's rule ids are the
validator's (``arith.t3.row_total``, ``cross.carry_over``).
"""
from __future__ import annotations

from ..findings import finding
from ..template import T3_COLUMNS, T3_WIDTH


_MISSING = object()
_cache: dict[str, object] = {}


def _validator(name: str):
    """``nianbao.validate.<name>`` or None; looked up once (a failed import is slow to repeat)."""
    fn = _cache.get(name, _MISSING)
    if fn is _MISSING:
        try:
            from .. import validate  # type: ignore[attr-defined]
            fn = getattr(validate, name, None)
        except ImportError:
            fn = None
        _cache[name] = fn
    return fn


def check(record: dict) -> list[dict]:
    """Findings of the single-report validator (the template identities when it is absent)."""
    fn = _validator("check")
    if fn is None:
        return identity_findings(record)
    return list(fn(record) or [])


def cross_year(prev: dict, cur: dict) -> list[dict]:
    fn = _validator("cross_year")
    if fn is None:
        return carry_over(prev, cur)
    return list(fn(prev, cur) or [])


def carry_over(prev: dict, cur: dict) -> list[dict]:
    """Fallback: 上年结转 of ``cur`` against 结转下年度继续办理 of ``prev``, per column."""
    try:
        last = prev["t3"]["rows"]["carry_next"]
        this = cur["t3"]["rows"]["carried"]
    except (KeyError, TypeError):
        return []
    if not isinstance(last, list) or not isinstance(this, list):
        return []
    out = []
    py, cy = (prev.get("meta") or {}).get("year"), (cur.get("meta") or {}).get("year")
    for c in range(min(len(last), len(this), T3_WIDTH)):
        a, b = last[c], this[c]
        if a is None or b is None or abs(float(a) - float(b)) < 1e-9:
            continue
        col = T3_COLUMNS[c]
        out.append(finding(
            "cross.carry_over", "error",
            f"“{col.label}”列：本年上年结转 {b} ≠ {py} 年结转下年度继续办理 {a}",
            f"column '{col.key}': carried over this year {b} ≠ carried to next year in {py}: {a}",
            cells=[f"t3.carried[{c}]"],
            evidence=f"{py}: t3.carry_next[{c}] = {a}; {cy}: t3.carried[{c}] = {b}"))
    return out


def identity_findings(record: dict) -> list[dict]:
    """Fallback single-report check: the template's identities (勾稽关系) that do not hold."""
    from ..template import check_identity, identities
    form = (record.get("meta") or {}).get("template")
    if not form and isinstance(record.get("t3"), dict):
        rows = (record["t3"].get("rows") or {})
        form = "2021" if "other_misc" in rows else "2019" if "other" in rows else None
    out = []
    for ident in identities(form or ""):
        res = check_identity(ident, record)
        if res.holds is False:
            out.append(finding(
                f"arith.{ident.rule}", "error", f"{ident.description}：{res.lhs:g} ≠ {res.rhs:g}",
                f"{ident.description_en}: {res.lhs:g} ≠ {res.rhs:g}",
                cells=[str(c) for c in ident.cells],
                evidence=f"{' + '.join(str(c) for c in ident.lhs)} = {res.lhs:g}; "
                         f"{' + '.join(str(c) for c in ident.rhs)} = {res.rhs:g}"))
    return out
