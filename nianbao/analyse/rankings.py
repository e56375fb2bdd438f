"""Rankings and the region view: groups of reports (agency, region, level) by score or by any metric,
with the spread of the scores, the findings that cost the most, and the weakest reports.

Scores come from :func:`nianbao.analyse.score.score_query` (one statement for all the reports
selected) and metrics from :func:`nianbao.analyse.stats.run_stats`; nothing is read per report.
``export_xlsx`` writes the ranking with the explanation of every score.
"""
from __future__ import annotations

import statistics
from pathlib import Path

from sqlalchemy import Float, case, func, literal, select

from ..store.oversight import FindingMeasure
from ..store.schema import Agency, Finding, Region, ReportFacts
from .metrics import metric as metric_def
from .score import Weights, _points_expr, _rule_match, explain_many, load_weights, score_query

GROUPS = {"agency": "agency_id", "province": "province_id", "city": "city_id", "county": "county_id",
          "region": "region_id", "level": "level", "kind": "kind", "year": "year"}
GROUP_ZH = {"agency": "机关", "province": "省", "city": "市", "county": "县区", "region": "地区", "level": "层级",
            "kind": "类别", "year": "年度"}
WORST = 3


def _conds(store, filters: dict) -> list:
    return store._filters(**{k: v for k, v in (filters or {}).items()
                             if k in ("region", "level", "year", "kind", "template") and v not in (None, "")})


def rank(store, *, group: str = "agency", by: str = "score", filters: dict | None = None,
         top: int | None = None, ascending: bool | None = None, weights: Weights | None = None,
         metrics: list[str] | None = None) -> dict:
    """Groups ranked by their mean score (``by="score"``) or by a metric (key or Chinese name).

    Each group: key, label, reports, score statistics (mean, median, min, max, stdev, q1, q3),
    the chosen metrics' values, the findings that cost the most points and the weakest reports.
    Best first unless ``ascending``."""
    if group not in GROUPS:
        raise ValueError(f"不能按 {group} 分组 (cannot group by {group}); 可用 (use) {', '.join(GROUPS)}")
    w = weights or load_weights()
    filters = dict(filters or {})
    conds = _conds(store, filters)
    chosen = list(metrics or [])
    if by != "score":
        metric_def(by)  # unknown metric → KeyError, said by the caller
        if by not in chosen:
            chosen.insert(0, by)
    col = GROUPS[group]
    scored = score_query(w, conds).subquery("scored")
    with store.session() as s:
        rows = s.execute(select(getattr(scored.c, col).label("g"), scored.c.report_id, scored.c.agency_id,
                                scored.c.year, scored.c.score)).all()
    groups: dict[object, dict] = {}
    for g, rid, aid, year, sc in rows:
        groups.setdefault(g, {"scores": [], "reports": []})
        groups[g]["scores"].append(float(sc))
        groups[g]["reports"].append((float(sc), rid, aid, year))
    worst_rules = _worst_findings(store, w, conds, col)
    names = _names(store, group, list(groups), [r[2] for g in groups.values() for r in g["reports"]])
    metric_values = _metric_values(store, group, filters, chosen) if chosen else {}
    out = []
    for g, d in groups.items():
        sc = d["scores"]
        qs = statistics.quantiles(sc, n=4, method="inclusive") if len(sc) > 1 else [sc[0]] * 3
        weakest = sorted(d["reports"])[:WORST]
        out.append({
            "key": g, "label": _label(group, g, names),
            "reports": len(sc),
            "score": {"mean": round(statistics.fmean(sc), 2), "median": round(statistics.median(sc), 2),
                      "min": min(sc), "max": max(sc), "q1": round(qs[0], 2), "q3": round(qs[2], 2),
                      "stdev": round(statistics.pstdev(sc), 2) if len(sc) > 1 else 0.0},
            "metrics": {m: metric_values.get(g, {}).get(m) for m in (metric_def(x).key for x in chosen)},
            "worst_findings": worst_rules.get(g, [])[:WORST],
            "weakest": [{"report_id": rid, "agency": names.get(("agency", aid)), "year": year, "score": s_}
                        for s_, rid, aid, year in weakest],
        })
    if by == "score":
        def key(x):
            return x["score"]["mean"]
    else:
        mk = metric_def(by).key

        def key(x):
            return x["metrics"].get(mk)
    desc = not ascending if ascending is not None else True
    present = [x for x in out if key(x) is not None]
    present.sort(key=lambda x: (-key(x) if desc else key(x), str(x["label"])))
    for i, x in enumerate(present, start=1):
        x["rank"] = i
    absent = sorted((x for x in out if key(x) is None), key=lambda x: str(x["label"]))
    for x in absent:
        x["rank"] = None
    ranked = present + absent
    if top:
        ranked = ranked[:top]
    spread = [x for g in groups.values() for x in g["scores"]]
    return {"group": group, "by": by, "filters": filters, "ascending": not desc,
            "weights": {"name": w.name, "name_en": w.name_en, "sha256": w.sha256, "total": w.total},
            "metrics": [_metric_dict(m) for m in chosen],
            "overall": _overall(spread),
            "groups": ranked}


def _overall(scores: list[float]) -> dict:
    if not scores:
        return {"reports": 0}
    return {"reports": len(scores), "mean": round(statistics.fmean(scores), 2), "min": min(scores),
            "max": max(scores), "stdev": round(statistics.pstdev(scores), 2) if len(scores) > 1 else 0.0}


def _metric_dict(name: str) -> dict:
    m = metric_def(name)
    return {"key": m.key, "label": m.label, "label_en": m.label_en, "percent": m.percent, "kind": m.kind}


def _metric_values(store, group: str, filters: dict, chosen: list[str]) -> dict:
    from .stats import run_stats
    dim = group if group != "agency" else "agency"
    res = run_stats(store, group_by=[dim], filters={k: v for k, v in filters.items() if v not in (None, "")},
                    metrics=chosen)
    return {g["key"][dim]: g["values"] for g in res["groups"]}


def _worst_findings(store, w: Weights, conds: list, col: str) -> dict:
    """Per group: the rules whose findings cost the most points (before caps), with how many reports."""
    deds = w.deductions
    if not deds:
        return {}
    F = ReportFacts
    item = case(*[(_rule_match(x), literal(x.index)) for x in deds], else_=literal(None))
    pts = case(*[(_rule_match(x), _points_expr(x)) for x in deds], else_=literal(0.0, Float))
    matched = (select(getattr(F, col).label("g"), Finding.rule.label("rule"), Finding.version_id.label("vid"),
                      item.label("item"), pts.label("pts"))
               .select_from(F).join(Finding, Finding.version_id == F.version_id)
               .outerjoin(FindingMeasure, FindingMeasure.finding_id == Finding.id)
               .where(Finding.status.in_(w.statuses), *conds)).subquery()
    q = (select(matched.c.g, matched.c.rule, func.count().label("n"),
                func.count(func.distinct(matched.c.vid)).label("reports"), func.sum(matched.c.pts).label("pts"))
         .where(matched.c.item.is_not(None)).group_by(matched.c.g, matched.c.rule))
    from ..validate import RULES
    out: dict = {}
    with store.session() as s:
        for g, rule, n, reports, p in s.execute(q):
            r = RULES.get(rule)
            out.setdefault(g, []).append({"rule": rule, "title": r.title if r else rule,
                                          "title_en": r.title_en if r else rule, "findings": n,
                                          "reports": reports, "points": round(float(p or 0), 2)})
    for g in out:
        out[g].sort(key=lambda x: (-x["points"], -x["reports"], x["rule"]))
        out[g] = [x for x in out[g] if x["points"] > 0]
    return out


def _names(store, group: str, keys: list, agency_ids: list) -> dict:
    out = {}
    with store.session() as s:
        ids = sorted({k for k in keys if isinstance(k, int)}) if group in ("province", "city", "county", "region") \
            else []
        for i in range(0, len(ids), 900):
            for rid, name in s.execute(select(Region.id, Region.full_name).where(Region.id.in_(ids[i:i + 900]))):
                out[("region", rid)] = name
        aids = sorted({a for a in agency_ids if a is not None} | ({k for k in keys if k is not None}
                                                                  if group == "agency" else set()))
        for i in range(0, len(aids), 900):
            for aid, name in s.execute(select(Agency.id, Agency.name).where(Agency.id.in_(aids[i:i + 900]))):
                out[("agency", aid)] = name
    return out


def _label(group: str, key, names: dict) -> str:
    if key is None:
        return f"（无{GROUP_ZH.get(group, '')}）"
    if group in ("province", "city", "county", "region"):
        return names.get(("region", key), str(key))
    if group == "agency":
        return names.get(("agency", key), str(key))
    return str(key)


# ---------------------------------------------------------------------- Excel

def explanation_text(ex: dict, lang: str = "zh") -> str:
    """A score's explanation in one paragraph: each dimension that lost points, each deduction, its findings."""
    from ..validate.describe import describe_cell
    en = lang == "en"
    parts = []
    for d in ex["dimensions"]:
        if not d["items"]:
            continue
        label = d["label_en"] if en else d["label"]
        items = []
        for it in d["items"]:
            cells = []
            for f in it["findings"]:
                for c in f["cells"][:3]:
                    name = describe_cell(c, lang)
                    if name not in cells:
                        cells.append(name)
            n = len(it["findings"])
            head = f"{it['rule']} ×{n} −{it['points']:g}" + (" (capped)" if en and it["capped"] else
                                                             "（封顶）" if it["capped"] else "")
            items.append(head + (f" [{'; '.join(cells[:4])}]" if cells else ""))
        parts.append(f"{label} −{d['lost']:g}: " + "; ".join(items))
    return " | ".join(parts) if parts else ("no points lost" if en else "未扣分")


def export_xlsx(store, dest: str | Path, *, group: str = "agency", by: str = "score", filters: dict | None = None,
                weights: Weights | None = None, metrics: list[str] | None = None, lang: str = "zh") -> dict:
    """The ranking, every report's score with its explanation, and every finding that cost points."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from ..validate.describe import describe_cell
    from .score import scores as score_rows
    w = weights or load_weights()
    en = lang == "en"
    ranking = rank(store, group=group, by=by, filters=filters, weights=w, metrics=metrics)
    rows = score_rows(store, filters=filters, weights=w, order="asc")
    explained = explain_many(store, [r["report_id"] for r in rows], w)
    names = _names(store, "agency", [], [r["agency_id"] for r in rows])
    region_ids = sorted({r["region_id"] for r in rows if r["region_id"] is not None})
    regions = _names(store, "region", region_ids, [])
    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def header(ws, cols):
        from openpyxl.cell import WriteOnlyCell
        out = []
        for c in cols:
            cell = WriteOnlyCell(ws, value=c)
            cell.font = bold
            out.append(cell)
        ws.append(out)

    ws = wb.create_sheet("排名 ranking")
    mcols = [m["label_en"] if en else m["label"] for m in ranking["metrics"]]
    header(ws, ["名次 rank", f"{GROUP_ZH.get(group, group)} {group}", "报告数 reports", "平均分 mean", "中位数 median",
                "最低 min", "最高 max", "标准差 stdev", "下四分位 q1", "上四分位 q3", *mcols,
                "扣分最多的发现 costliest findings", "最低分报告 weakest reports"])
    for g in ranking["groups"]:
        sc = g["score"]
        worst = "; ".join(f"{x['rule']} {x['title_en'] if en else x['title']} ×{x['findings']} "
                          f"({x['reports']}) −{x['points']:g}" for x in g["worst_findings"])
        weakest = "; ".join(f"#{x['report_id']} {x['agency'] or ''} {x['year'] or ''} {x['score']:g}"
                            for x in g["weakest"])
        ws.append([g["rank"], g["label"], g["reports"], sc["mean"], sc["median"], sc["min"], sc["max"], sc["stdev"],
                   sc["q1"], sc["q3"], *[g["metrics"].get(m["key"]) for m in ranking["metrics"]], worst, weakest])

    ws = wb.create_sheet("评分 scores")
    dims = w.dimensions
    header(ws, ["报告 report", "机关 agency", "地区 region", "层级 level", "年度 year", "得分 score",
                *[f"{d.label} {d.label_en} (−, /{d.max:g})" for d in dims], "扣分说明 explanation"])
    for r in rows:
        ws.append([r["report_id"], names.get(("agency", r["agency_id"])), regions.get(("region", r["region_id"])),
                   r["level"], r["year"], r["score"], *[r.get(f"lost_{d.key}", 0.0) for d in dims],
                   explanation_text(explained[r["report_id"]], lang)])

    ws = wb.create_sheet("扣分依据 deductions")
    header(ws, ["报告 report", "机关 agency", "年度 year", "维度 dimension", "规则 rule", "级别 severity", "状态 status",
                "扣分 points", "度量 measure", "单元格 cells", "说明 message", "发现 finding id"])
    n_findings = 0
    for r in rows:
        ex = explained[r["report_id"]]
        for d in ex["dimensions"]:
            for it in d["items"]:
                for f in it["findings"]:
                    n_findings += 1
                    pts = f["points"] if f["points"] is not None else it["points"]
                    ws.append([r["report_id"], names.get(("agency", r["agency_id"])), r["year"],
                               d["label_en"] if en else d["label"], f["rule"], f["severity"], f["status"], pts,
                               f["measure"], "; ".join(describe_cell(c, lang) for c in f["cells"]),
                               (f["message_en"] if en and f["message_en"] else f["message"]), f["id"]])

    ws = wb.create_sheet("权重 weights")
    header(ws, ["维度 dimension", "满分 max", "规则 rule", "级别 severity", "扣分 points", "计法 per", "封顶 cap", "分档 bands"])
    ws.append([f"{w.name} · {w.source} · sha256 {w.sha256[:16]}"])
    for d in dims:
        for x in d.deductions:
            ws.append([f"{d.label} {d.label_en}", d.max, x.rule, x.severity or "", x.points, x.per,
                       x.cap if x.cap is not None else "",
                       "; ".join(f"≥{a:g}: {p:g}" for a, p in x.bands)])
    wb.save(str(dest))
    return {"groups": len(ranking["groups"]), "reports": len(rows), "deductions": n_findings, "file": str(dest)}
