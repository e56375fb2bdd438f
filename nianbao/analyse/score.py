"""A quality score per report, in the manner of the evaluators, built from the validator's findings.

The weights are data: a YAML file (``score_weights.yaml`` beside this module, or the user's own:
``--weights FILE`` / ``NIANBAO_SCORE_WEIGHTS``) of dimensions (时效, 完整性, 准确性, 重复率, 信息处理费),
each with a maximum and deductions matched to findings by rule id. Nothing here judges a report
itself: every point lost names the findings (and so the cells) behind it.

Two ways to the same number:

- :func:`score_findings` — one report's findings → its score with the explanation (the reference);
- :func:`scores` / :func:`score_query` — every report a filter selects, in one SQL statement over
  ``findings`` and ``report_facts`` (no query per report): used by the list, rankings and export.
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import Float, and_, case, func, literal, select

from ..store.oversight import FindingMeasure
from ..store.schema import Finding, ReportFacts

DEFAULT_WEIGHTS = Path(__file__).with_name("score_weights.yaml")
ENV = "NIANBAO_SCORE_WEIGHTS"


class WeightsError(ValueError):
    """A weights file that cannot be used; the message names the file and the place, Chinese first."""


@dataclass(frozen=True)
class Deduction:
    index: int                      # position in the file (first match wins)
    dimension: str
    rule: str                       # id or pattern with *
    severity: str | None
    points: float
    per: str                        # finding | report
    cap: float | None
    bands: tuple[tuple[float, float], ...]   # (at_least, points), ascending

    def matches(self, rule: str, severity: str | None) -> bool:
        if self.severity and severity != self.severity:
            return False
        return fnmatch.fnmatchcase(rule, self.rule) if "*" in self.rule else rule == self.rule

    def points_for(self, measure: float | None) -> float:
        if not self.bands or measure is None:
            return self.points
        got = 0.0
        for at_least, pts in self.bands:
            if measure >= at_least:
                got = pts
        return got

    @property
    def label(self) -> str:
        return self.rule + (f" ({self.severity})" if self.severity else "")


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    label_en: str
    max: float
    note: str
    note_en: str
    deductions: tuple[Deduction, ...]


@dataclass(frozen=True)
class Weights:
    name: str
    name_en: str
    dimensions: tuple[Dimension, ...]
    statuses: tuple[str, ...]
    source: str                     # the file read
    sha256: str                     # of its bytes: which weights a score was made with

    @property
    def total(self) -> float:
        return sum(d.max for d in self.dimensions)

    @property
    def deductions(self) -> tuple[Deduction, ...]:
        return tuple(x for d in self.dimensions for x in d.deductions)

    def first_match(self, rule: str, severity: str | None) -> Deduction | None:
        return next((x for x in self.deductions if x.matches(rule, severity)), None)

    def describe(self) -> dict:
        return {"name": self.name, "name_en": self.name_en, "source": self.source, "sha256": self.sha256,
                "total": self.total, "statuses": list(self.statuses),
                "dimensions": [{"key": d.key, "label": d.label, "label_en": d.label_en, "max": d.max,
                                "note": d.note, "note_en": d.note_en,
                                "deductions": [{"rule": x.rule, "severity": x.severity, "points": x.points,
                                                "per": x.per, "cap": x.cap,
                                                "bands": [{"at_least": a, "points": p} for a, p in x.bands]}
                                               for x in d.deductions]} for d in self.dimensions]}


def weights_path(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get(ENV) or DEFAULT_WEIGHTS)


def load_weights(path: str | Path | None = None) -> Weights:
    """The weights in ``path`` (default: ``$NIANBAO_SCORE_WEIGHTS``, else the file shipped with nianbao)."""
    p = weights_path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise WeightsError(f"{p}: 无法读取评分权重文件 (cannot read the weights file): {exc}") from exc
    return _parse(data, str(p))


@lru_cache(maxsize=8)
def _parse(data: bytes, name: str) -> Weights:
    from ..validate import RULES
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise WeightsError(f"{name}: 不是有效的 YAML (not valid YAML): {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("dimensions"), list) or not doc["dimensions"]:
        raise WeightsError(f"{name}: 须有 dimensions 列表 (needs a list of dimensions)")
    statuses = tuple(doc.get("count_statuses") or ("open", "confirmed"))
    bad = [s for s in statuses if s not in ("open", "confirmed", "dismissed")]
    if bad:
        raise WeightsError(f"{name}: count_statuses 只能含 open/confirmed/dismissed (unknown status): {bad}")
    dims, keys, index = [], set(), 0
    for i, d in enumerate(doc["dimensions"], start=1):
        where = f"{name}: dimensions[{i}]"
        if not isinstance(d, dict) or not d.get("key"):
            raise WeightsError(f"{where}: 须有 key (needs a key)")
        key = str(d["key"])
        if key in keys:
            raise WeightsError(f"{where}: key {key} 重复 (used twice)")
        keys.add(key)
        mx = _number(d.get("max"), f"{where}.max")
        if mx < 0:
            raise WeightsError(f"{where}.max: 不能为负 (cannot be negative)")
        deds = []
        for j, x in enumerate(d.get("deductions") or [], start=1):
            w = f"{where}.deductions[{j}]"
            if not isinstance(x, dict) or not x.get("rule"):
                raise WeightsError(f"{w}: 须有 rule (needs a rule)")
            rule = str(x["rule"])
            if not any(fnmatch.fnmatchcase(r, rule) for r in RULES) and rule not in RULES:
                raise WeightsError(f"{w}: 没有规则匹配 {rule}（规则目录见 docs/rules.md） "
                                   f"(no rule matches {rule}; see docs/rules.md)")
            sev = x.get("severity")
            if sev not in (None, "error", "warning", "info"):
                raise WeightsError(f"{w}.severity: 须为 error/warning/info (must be error, warning or info)")
            per = str(x.get("per") or "finding")
            if per not in ("finding", "report"):
                raise WeightsError(f"{w}.per: 须为 finding 或 report (must be finding or report)")
            bands = []
            for k, b in enumerate(x.get("bands") or [], start=1):
                if not isinstance(b, dict):
                    raise WeightsError(f"{w}.bands[{k}]: 须为 {{at_least, points}} (must be {{at_least, points}})")
                bands.append((_number(b.get("at_least"), f"{w}.bands[{k}].at_least"),
                              _number(b.get("points"), f"{w}.bands[{k}].points")))
            if "points" not in x and not bands:
                raise WeightsError(f"{w}: 须有 points 或 bands (needs points or bands)")
            points = _number(x.get("points", 0), f"{w}.points")
            cap = None if x.get("cap") is None else _number(x["cap"], f"{w}.cap")
            if per == "report" and bands:
                raise WeightsError(f"{w}: per: report 不能分档 (a once-per-report item has no bands)")
            if points < 0 or any(p < 0 for _, p in bands) or (cap is not None and cap < 0):
                raise WeightsError(f"{w}: 扣分不能为负 (points cannot be negative)")
            deds.append(Deduction(index, key, rule, sev, points, per, cap, tuple(sorted(bands))))
            index += 1
        dims.append(Dimension(key, str(d.get("label") or key), str(d.get("label_en") or d.get("label") or key), mx,
                              str(d.get("note") or ""), str(d.get("note_en") or ""), tuple(deds)))
    return Weights(str(doc.get("name") or name), str(doc.get("name_en") or doc.get("name") or name), tuple(dims),
                   statuses, name, hashlib.sha256(data).hexdigest())


def _number(v, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise WeightsError(f"{where}: 须为数字 (must be a number): {v!r}")
    return float(v)


# ---------------------------------------------------------------------- one report (the reference)

def score_findings(findings: list[dict], weights: Weights | None = None) -> dict:
    """A report's score from its findings alone: ``{"score", "max", "lost", "dimensions": […]}``; each
    dimension lists the deductions that cost points and, under each, the findings (rule, cells,
    message, measure) and the points each cost."""
    w = weights or load_weights()
    counted = [f for f in findings if (f.get("status") or "open") in w.statuses]
    hits: dict[int, list[tuple[dict, float]]] = {}
    for f in counted:
        x = w.first_match(str(f.get("rule") or ""), f.get("severity"))
        if x is not None:
            hits.setdefault(x.index, []).append((f, x.points_for(_measure(f))))
    dims, lost_total = [], 0.0
    for d in w.dimensions:
        items, raw = [], 0.0
        for x in d.deductions:
            got = hits.get(x.index)
            if not got:
                continue
            pts = x.points if x.per == "report" else sum(p for _, p in got)
            capped = min(pts, x.cap) if x.cap is not None else pts
            raw += capped
            items.append({"rule": x.rule, "severity": x.severity, "per": x.per, "points": capped,
                          "uncapped": pts, "capped": capped < pts,
                          "findings": [{"id": f.get("id"), "rule": f.get("rule"), "severity": f.get("severity"),
                                        "status": f.get("status") or "open", "cells": list(f.get("cells") or []),
                                        "message": f.get("message"), "message_en": f.get("message_en"),
                                        "measure": _measure(f), "points": p if x.per == "finding" else None}
                                       for f, p in got]})
        lost = min(raw, d.max)
        lost_total += lost
        dims.append({"key": d.key, "label": d.label, "label_en": d.label_en, "max": d.max, "lost": lost,
                     "score": d.max - lost, "capped": raw > d.max, "items": items})
    return {"score": _round(w.total - lost_total), "max": w.total, "lost": _round(lost_total), "dimensions": dims,
            "weights": {"name": w.name, "name_en": w.name_en, "source": w.source, "sha256": w.sha256}}


def _measure(f: dict) -> float | None:
    m = f.get("measure")
    return float(m) if isinstance(m, (int, float)) and not isinstance(m, bool) else None


def _round(v: float) -> float:
    return round(v + 0.0, 4)


def findings_of(store, report_id: int) -> list[dict]:
    """The current version's findings of a stored report as the score reads them (with their measures)."""
    from ..store.api import StoreError
    with store.session() as s:
        vid = s.scalar(select(ReportFacts.version_id).where(ReportFacts.report_id == report_id))
        if vid is None:
            raise StoreError(f"没有这份报告 (no such report): {report_id}")
        return [_finding(f, m) for f, m in s.execute(_with_measure().where(Finding.version_id == vid)
                                                     .order_by(Finding.id))]


def explain(store, report_id: int, weights: Weights | None = None) -> dict:
    """One stored report's score with its explanation (its current version's findings)."""
    out = score_findings(findings_of(store, report_id), weights or load_weights())
    out["report_id"] = report_id
    return out


def _with_measure():
    return select(Finding, FindingMeasure.measure).outerjoin(FindingMeasure, FindingMeasure.finding_id == Finding.id)


def _finding(f: Finding, measure: float | None) -> dict:
    return {"id": f.id, "rule": f.rule, "severity": f.severity, "status": f.status, "cells": list(f.cells or []),
            "message": f.message, "message_en": f.message_en, "measure": measure}


def explain_many(store, report_ids: list[int], weights: Weights | None = None) -> dict[int, dict]:
    """The explanation of each report's score, findings read for all of them at once."""
    w = weights or load_weights()
    out: dict[int, list[dict]] = {rid: [] for rid in report_ids}
    with store.session() as s:
        for i in range(0, len(report_ids), 900):
            chunk = report_ids[i:i + 900]
            q = _with_measure().add_columns(ReportFacts.report_id) \
                .join(ReportFacts, ReportFacts.version_id == Finding.version_id) \
                .where(ReportFacts.report_id.in_(chunk)).order_by(Finding.id)
            for f, m, rid in s.execute(q):
                out[rid].append(_finding(f, m))
    return {rid: {**score_findings(fs, w), "report_id": rid} for rid, fs in out.items()}


# ---------------------------------------------------------------------- many reports, in SQL

def _rule_match(x: Deduction):
    cond = Finding.rule.like(x.rule.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                             .replace("*", "%"), escape="\\") if "*" in x.rule else Finding.rule == x.rule
    return and_(cond, Finding.severity == x.severity) if x.severity else cond


def _points_expr(x: Deduction):
    if not x.bands:
        return literal(x.points, Float)
    m = FindingMeasure.measure
    whens = [(m >= a, literal(p, Float)) for a, p in reversed(x.bands)]
    return case((m.is_(None), literal(x.points, Float)), *whens, else_=literal(0.0, Float))


def _least(expr, bound: float):
    return case((expr > bound, literal(bound, Float)), else_=expr)


def score_query(weights: Weights, conds: list | None = None):
    """A SELECT of every report ``conds`` (on ``report_facts``) selects: report_id, version_id, agency_id,
    region_id, province_id, city_id, county_id, level, kind, year, the points lost in each dimension
    (``lost_<key>``) and ``score``. One statement: findings are matched to deductions with CASE,
    summed per report and deduction, capped, summed per dimension."""
    F = ReportFacts
    deds = weights.deductions
    conds = list(conds or [])
    if deds:
        item = case(*[(_rule_match(x), literal(x.index)) for x in deds], else_=literal(None))
        pts = case(*[(_rule_match(x), _points_expr(x)) for x in deds], else_=literal(0.0, Float))
        matched = (select(Finding.version_id.label("version_id"), item.label("item"), pts.label("pts"))
                   .select_from(F).join(Finding, Finding.version_id == F.version_id)
                   .outerjoin(FindingMeasure, FindingMeasure.finding_id == Finding.id)
                   .where(Finding.status.in_(weights.statuses), *conds)).subquery("matched")
        per_item = (select(matched.c.version_id, matched.c.item, func.sum(matched.c.pts).label("pts"))
                    .where(matched.c.item.is_not(None)).group_by(matched.c.version_id, matched.c.item)).subquery("per_item")
        lost_item = case(*[(per_item.c.item == x.index,
                            literal(x.points, Float) if x.per == "report"
                            else (_least(per_item.c.pts, x.cap) if x.cap is not None else per_item.c.pts))
                           for x in deds], else_=literal(0.0, Float))
        dim_cols = []
        for d in weights.dimensions:
            idx = [x.index for x in d.deductions]
            raw = func.sum(case((per_item.c.item.in_(idx), lost_item), else_=literal(0.0, Float))) if idx \
                else literal(0.0, Float)
            dim_cols.append(_least(raw, d.max).label(f"lost_{d.key}"))
        per_version = select(per_item.c.version_id, *dim_cols).group_by(per_item.c.version_id).subquery("lost")
        lost_cols = [func.coalesce(getattr(per_version.c, f"lost_{d.key}"), 0.0).label(f"lost_{d.key}")
                     for d in weights.dimensions]
        total_lost = sum((func.coalesce(getattr(per_version.c, f"lost_{d.key}"), 0.0) for d in weights.dimensions),
                         literal(0.0, Float))
        q = select(F.report_id, F.version_id, F.agency_id, F.region_id, F.province_id, F.city_id, F.county_id,
                   F.level, F.kind, F.year, *lost_cols, (literal(weights.total, Float) - total_lost).label("score")) \
            .select_from(F).outerjoin(per_version, per_version.c.version_id == F.version_id)
    else:
        q = select(F.report_id, F.version_id, F.agency_id, F.region_id, F.province_id, F.city_id, F.county_id,
                   F.level, F.kind, F.year, literal(weights.total, Float).label("score"))
    return q.where(*conds)


def scores(store, *, filters: dict | None = None, report_ids: list[int] | None = None,
           weights: Weights | None = None, order: str | None = None, limit: int | None = None) -> list[dict]:
    """Scores of the reports the filters (region, level, year, kind, template) or ids select, one statement.
    ``order``: "asc" (worst first) or "desc"; ``limit``: keep that many."""
    w = weights or load_weights()
    conds = store._filters(**{k: v for k, v in (filters or {}).items()
                              if k in ("region", "level", "year", "kind", "template") and v not in (None, "")})
    if report_ids is not None:
        if not report_ids:
            return []
        conds.append(ReportFacts.report_id.in_(list(report_ids)))
    q = score_query(w, conds).subquery("scored")
    stmt = select(q)
    if order in ("asc", "desc"):
        stmt = stmt.order_by(q.c.score.asc() if order == "asc" else q.c.score.desc(), q.c.report_id)
    if limit:
        stmt = stmt.limit(limit)
    with store.session() as s:
        res = s.execute(stmt)
        keys = list(res.keys())
        rounded = [i for i, k in enumerate(keys) if k == "score" or k.startswith("lost_")]
        rows = []
        for r in res:
            r = list(r)
            for i in rounded:
                r[i] = _round(float(r[i] or 0.0))
            rows.append(dict(zip(keys, r)))
    return rows


def score_map(store, report_ids: list[int], weights: Weights | None = None) -> dict[int, float]:
    """report id → score, for a page of the report list (one statement)."""
    return {r["report_id"]: r["score"] for r in scores(store, report_ids=report_ids, weights=weights)}

