"""Compare an extracted record with a generated document's truth, cell by cell."""
from __future__ import annotations

AMBIGUOUS_RULE = "extract.ambiguous"


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return abs(a - b) < 1e-6
    return a == b


def _cells(table: str, d: dict | None) -> dict:
    out = {}
    for k, v in (d or {}).items():
        if isinstance(v, list):
            for i, x in enumerate(v):
                out[f"{table}.{k}[{i}]"] = x
            if not v:
                out[f"{table}.{k}"] = v
        else:
            out[f"{table}.{k}"] = v
    return out


def flagged_cells(record: dict) -> set[str]:
    """The cells the record's findings call ambiguous."""
    out: set[str] = set()
    for f in record.get("findings") or []:
        if str(f.get("rule", "")).startswith(AMBIGUOUS_RULE):
            out.update(str(c) for c in f.get("cells") or [])
    return out


def compare(truth: dict, record: dict) -> list[tuple[str, object, object]]:
    """Differences as (field, expected, got); cells the truth lists as ambiguous are not compared
    by value, but must be flagged (and nothing else may be)."""
    diffs: list[tuple[str, object, object]] = []
    amb = set(truth.get("ambiguous") or [])
    meta = record.get("meta") or {}
    for k, v in truth["meta"].items():
        if not _same(v, meta.get(k)):
            diffs.append((f"meta.{k}", v, meta.get(k)))
    for table in ("t2", "t3", "t4", "legacy"):
        want, got = truth.get(table), record.get(table)
        if want is None or got is None:
            if (want is None) != (got is None):
                diffs.append((table, "null" if want is None else "table", "null" if got is None else "table"))
            continue
        if table == "t3":
            want, got = want.get("rows"), (got.get("rows") if isinstance(got, dict) else None) or {}
        if not isinstance(got, dict):
            diffs.append((table, "table", type(got).__name__))
            continue
        w, g = _cells(table, want), _cells(table, got)
        for ref, v in w.items():
            if ref in amb:
                continue
            if ref not in g:
                diffs.append((ref, v, "absent"))
            elif not _same(v, g[ref]):
                diffs.append((ref, v, g[ref]))
        for ref in g.keys() - w.keys():
            if g[ref] is not None:
                diffs.append((ref, "absent", g[ref]))
    flagged = flagged_cells(record)
    for ref in sorted(amb - flagged):
        diffs.append((ref, "flagged ambiguous", "not flagged"))
    for ref in sorted(flagged - amb):
        diffs.append((ref, "not ambiguous", "flagged ambiguous"))
    return diffs


def format_diffs(diffs, limit: int = 6) -> str:
    parts = [f"{f}: want {w!r} got {g!r}" for f, w, g in diffs[:limit]]
    if len(diffs) > limit:
        parts.append(f"(+{len(diffs) - limit} more)")
    return "; ".join(parts)
