"""Dashboard figures: totals, by year, by region, by level, and a ranking, each with drill-down links.

Built from the store's read API (list of reports, each report's current
record), which is enough for the corpus sizes a reviewer's office holds; the
charts only need the few numbers per report computed here.
"""
from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlencode

from ..template import T3_TOTAL_COL
from .i18n import translator

MAX_REPORTS = 5000


def _num(record: dict, key: str) -> float:
    rows = ((record.get("t3") or {}).get("rows") or {})
    v = rows.get(key)
    if isinstance(v, list) and len(v) > T3_TOTAL_COL and isinstance(v[T3_TOTAL_COL], (int, float)):
        return v[T3_TOTAL_COL]
    return 0


def _href(path: str, **params) -> str:
    q = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(q) if q else "")


def build(backend, filters: dict, lang: str = "zh") -> dict:
    t = translator(lang)
    f = {k: filters.get(k) for k in ("region", "level", "year")}
    rows = backend.reports(f, limit=MAX_REPORTS)
    per = []
    for r in rows:
        raw = backend._raw(r["id"]) or {}
        rec = raw.get("record") or {}
        per.append({**r, "applications": _num(rec, "new"), "granted": _num(rec, "granted"),
                    "agency_id": (raw.get("agency") or {}).get("id")})

    def group(key):
        g = defaultdict(lambda: {"reports": 0, "applications": 0, "granted": 0, "errors": 0, "warnings": 0})
        for p in per:
            k = p.get(key)
            if k in (None, ""):
                continue
            g[k]["reports"] += 1
            for m in ("applications", "granted", "errors", "warnings"):
                g[k][m] += p[m]
        return g

    years = group("year")
    ycats = sorted(years)
    by_year = {"kind": "line", "categories": [str(y) for y in ycats],
               "series": [{"name": t("dash.series.applications"), "data": [years[y]["applications"] for y in ycats]},
                          {"name": t("dash.series.granted"), "data": [years[y]["granted"] for y in ycats]},
                          {"name": t("dash.series.errors"), "data": [years[y]["errors"] for y in ycats],
                           "type": "bar"}],
               "hrefs": [_href("/reports", year=y, region=f["region"], level=f["level"]) for y in ycats]}
    by_year["links"] = list(zip(by_year["categories"], by_year["hrefs"]))

    regions = group("region")
    rcats = sorted(regions, key=lambda k: -regions[k]["applications"])[:20]
    by_region = {"kind": "bar", "categories": rcats,
                 "series": [{"name": t("dash.series.applications"),
                             "data": [regions[r]["applications"] for r in rcats]},
                            {"name": t("dash.series.errors"), "data": [regions[r]["errors"] for r in rcats]}],
                 "hrefs": [_href("/reports", region=r, year=f["year"], level=f["level"]) for r in rcats]}
    by_region["links"] = list(zip(rcats, by_region["hrefs"]))

    levels = group("level")
    lcats = [lv for lv in ("province", "city", "county", "township") if lv in levels]
    by_level = {"kind": "bar", "categories": [t("level." + lv) for lv in lcats],
                "series": [{"name": t("dash.series.reports"), "data": [levels[lv]["reports"] for lv in lcats]},
                           {"name": t("dash.series.errors"), "data": [levels[lv]["errors"] for lv in lcats]},
                           {"name": t("dash.series.warnings"), "data": [levels[lv]["warnings"] for lv in lcats]}],
                "hrefs": [_href("/reports", level=lv, year=f["year"], region=f["region"]) for lv in lcats]}
    by_level["links"] = list(zip(by_level["categories"], by_level["hrefs"]))

    ranked = sorted((p for p in per if p["errors"] or p["warnings"]),
                    key=lambda p: (-p["errors"], -p["warnings"], p["id"]))[:10]
    labels = [f"{p.get('agency') or p['name']} {p.get('year') or ''}".strip() for p in ranked]
    ranking = {"kind": "bar-h", "categories": labels,
               "series": [{"name": t("dash.series.errors"), "data": [p["errors"] for p in ranked], "stack": "f"},
                          {"name": t("dash.series.warnings"), "data": [p["warnings"] for p in ranked],
                           "stack": "f"}],
               "hrefs": [f"/reports/{p['id']}" for p in ranked]}
    ranking["links"] = list(zip(labels, ranking["hrefs"]))

    totals = {"reports": len(per), "agencies": len({p["agency_id"] for p in per if p.get("agency_id")}),
              "applications": int(sum(p["applications"] for p in per)),
              "errors": sum(p["errors"] for p in per)}
    return {"totals": totals, "by_year": by_year, "by_region": by_region, "by_level": by_level,
            "ranking": ranking}
