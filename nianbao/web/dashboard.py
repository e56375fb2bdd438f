"""Dashboard figures from the store's aggregates (``Store.stats``, ``Store.report_counts``: the rollup tables
where they can answer, SQL over report_facts where not), computed in a few small queries.

Each chart is plain data — categories, series, and a drill-down link per
category — that static/app.js turns into an ECharts option.
"""
from __future__ import annotations

from urllib.parse import urlencode

from .i18n import translator


def _href(path: str, **params) -> str:
    q = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(q) if q else "")


def _chart(kind: str, categories: list, series: list[dict], hrefs: list[str]) -> dict:
    return {"kind": kind, "categories": [str(c) for c in categories], "series": series, "hrefs": hrefs,
            "links": list(zip([str(c) for c in categories], hrefs))}


def _v(group: dict, key: str):
    v = group["values"].get(key)
    return None if v is None else round(v, 4)


def build(backend, filters: dict, lang: str = "zh") -> dict:
    t = translator(lang)
    store = backend.store
    f = {k: filters.get(k) for k in ("region", "level", "year") if filters.get(k) not in (None, "")}
    keep = {k: f.get(k) for k in ("region", "level", "year")}

    def stats(group_by, metrics, **kw):
        return store.stats(group_by=group_by, filters=f, metrics=metrics, **kw)["groups"]

    def name(m: str) -> str:
        return t("dash.series." + m)

    years = [g for g in stats(("year",), ["applications", "disclosed", "disclosure_rate", "applications_yoy"])
             if g["key"]["year"] is not None]
    years.sort(key=lambda g: g["key"]["year"])
    by_year = _chart("line", [g["key"]["year"] for g in years],
                     [{"name": name("applications"), "data": [_v(g, "applications") for g in years]},
                      {"name": name("disclosed"), "data": [_v(g, "disclosed") for g in years]},
                      {"name": name("reports"), "data": [g["reports"] for g in years], "type": "bar", "axis": 1}],
                     [_href("/reports", **{**keep, "year": g["key"]["year"]}) for g in years])

    # The coarsest level of region that the reports name (extraction may know only the city).
    dims = ("city", "county", "region") if f.get("region") else ("province", "city", "county", "region")
    dim, regions = dims[-1], []
    for dim in dims:
        regions = [g for g in stats((dim,), ["applications", "disclosure_rate"], rank="applications", top=20)
                   if g["key"][dim] is not None]
        if regions:
            break
    by_region = _chart("bar", [g["label"][dim] for g in regions],
                       [{"name": name("applications"), "data": [_v(g, "applications") for g in regions]},
                        {"name": name("reports"), "data": [g["reports"] for g in regions], "axis": 1}],
                       [_href("/reports", **{**keep, "region": g["label"][dim]}) for g in regions])

    levels = [g for g in stats(("level",), ["applications"]) if g["key"]["level"] is not None]
    order = ("province", "city", "county", "township")
    levels.sort(key=lambda g: order.index(g["key"]["level"]) if g["key"]["level"] in order else 9)
    by_level = _chart("bar", [t("level." + g["key"]["level"]) for g in levels],
                      [{"name": name("reports"), "data": [g["reports"] for g in levels], "axis": 1},
                       {"name": name("applications"), "data": [_v(g, "applications") for g in levels]}],
                      [_href("/reports", **{**keep, "level": g["key"]["level"]}) for g in levels])

    # Ranking: the reports with the most open findings, each a link to its page.
    worst = store.list_reports(order="open", limit=10, status="open", count=False, **f)["items"]
    labels = [f"{i.get('agency') or '#' + str(i['id'])} {i.get('year') or ''}".strip() for i in worst]
    ranking = _chart("bar-h", labels, [{"name": name("open"), "data": [i["n_open"] for i in worst]}],
                     [f"/reports/{i['id']}" for i in worst])

    counts = store.report_counts(f)
    totals = {"reports": sum(g["reports"] for g in years) if years else counts["reports"],
              "agencies": counts["agencies"],
              "applications": int(sum(_v(g, "applications") or 0 for g in years)),
              "open": counts["with_open"]}
    # The rates an evaluator reads: over all the reports the filters select (sums first, then the ratio)
    whole = stats((), ["disclosure_rate", "reconsideration_correction_rate"])
    values = whole[0]["values"] if whole else {}
    latest = next((g for g in reversed(years) if g["values"].get("applications_yoy") is not None), None)
    copied, comparable = counts["copied"], counts["comparable"]
    rates = {"disclosure_rate": values.get("disclosure_rate"),
             "correction_rate": values.get("reconsideration_correction_rate"),
             "yoy": latest["values"]["applications_yoy"] if latest else None,
             "yoy_year": latest["key"]["year"] if latest else None,
             "copy_rate": copied / comparable if comparable else None, "copied": copied, "comparable": comparable}
    return {"totals": totals, "rates": rates, "by_year": by_year, "by_region": by_region, "by_level": by_level,
            "ranking": ranking}


def copied_prose(store, filters: dict) -> tuple[int, int]:
    """(reports whose prose repeats last year's by more than half — an open or confirmed
    ``cross.copied_prose`` — , reports that have last year's report to compare with)."""
    counts = store.report_counts(filters)
    return counts["copied"], counts["comparable"]
