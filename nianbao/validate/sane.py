"""The record as the rules may assume it, whatever the input: tables are dicts or None, rows are
lists, meta a dict with ``year`` an int in range or None. Damaged parts read as absent."""
from __future__ import annotations


def _dict(x):
    return x if isinstance(x, dict) else None


def sane(record) -> dict:
    if not isinstance(record, dict):
        return {"meta": {"year": None, "published": None}, "t2": None, "t3": None, "t4": None,
                "legacy": None, "sections": [], "findings": []}
    view = dict(record)
    meta = dict(record["meta"]) if isinstance(record.get("meta"), dict) else {}
    year = meta.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
        meta["year"] = None
    for key in ("published", "agency", "region", "template", "kind"):
        if not isinstance(meta.get(key), str):
            meta[key] = None
    view["meta"] = meta
    view["t2"] = _dict(record.get("t2"))
    t3 = _dict(record.get("t3"))
    rows = _dict(t3.get("rows")) if t3 else None
    view["t3"] = {**t3, "rows": {k: v for k, v in rows.items() if isinstance(v, list)}} if rows else None
    t4 = _dict(record.get("t4"))
    view["t4"] = {k: v for k, v in t4.items() if isinstance(v, list)} or None if t4 else None
    view["legacy"] = _dict(record.get("legacy"))
    view["sections"] = record["sections"] if isinstance(record.get("sections"), list) else []
    view["findings"] = [f for f in record.get("findings") or [] if isinstance(f, dict)] \
        if isinstance(record.get("findings"), list) else []
    return view
