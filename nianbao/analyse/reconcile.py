"""汇总一致性: a government's report against the sum of its subordinates' reports, cell by cell.

A government's annual report states figures for one of two scopes, and says which in its words:

- **area** (全市 / 全县 / 全区 / 汇总): its departments' reports and its lower governments' reports
  together — where a lower government itself reports 本级 only, the governments under it (its
  streets and towns) are added in its place;
- **self** (本级): its own level only — its departments, without the lower governments.

The comparison that holds is the one the words name; a report whose words name neither is
compared as an area total and the result says it was not told. Each cell of table 三 (applications
and results), table 四 (cases) and the counts of table 二 is compared: the government's figure, the
sum of the reports in the store, the reports missing from the sum (an agency that answers to the
government but published nothing that year, or a report without that table), and the gap.
Sums are taken in SQL over the stored cells of the contributors' current versions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from ..store.schema import Agency, CellRow, Region, Report, Version
from ..template import (T2_LAYOUTS, T3_COLUMNS, T3_ROW_BY_KEY, T3_TOTAL_COL, T4_COLUMNS, T4_GROUPS, T4_WIDTH,
                        form_of_year, t3_row_keys)
from . import hierarchy

TABLES = ("t3", "t4", "t2")
TABLE_TITLES = {"t3": ("表三 收到和处理政府信息公开申请情况", "Table 3: requests received and handled"),
                "t4": ("表四 政府信息公开行政复议、行政诉讼情况", "Table 4: reconsideration and litigation"),
                "t2": ("表二 主动公开政府信息情况（件数）", "Table 2: proactive disclosure (counts)")}
EPSILON = 1e-6


def summed_refs(layout: str = "2021", form: str = "2021") -> list[str]:
    """The cells a government's report adds up: every cell of tables 三 and 四, table 二's counts
    (money — fees, procurement amounts — is not a count and is left out)."""
    return [r for t in TABLES for r in _table_refs(t, layout, form)]


def _table_refs(table: str, layout: str, form: str) -> list[str]:
    if table == "t3":
        return [f"t3.{k}[{c}]" for k in t3_row_keys(form) for c in range(T3_TOTAL_COL + 1)]
    if table == "t4":
        return [f"t4.{g}[{c}]" for g, _, _ in T4_GROUPS for c in range(T4_WIDTH)]
    out = []
    for f in T2_LAYOUTS.get(layout, ()):
        if f.scalar:
            if not f.decimals:
                out.append(f"t2.{f.key}")
            continue
        out += [f"t2.{f.key}[{i}]" for i, col in enumerate(f.columns)
                if not (f.decimals and "金额" in col)]
    return out


# ---------------------------------------------------------------------- scope from the report's words

SCOPES = {"area": ("全域汇总", "whole area"), "self": ("本级", "own level only")}
_AREA = re.compile(r"全省|全市|全州|全盟|全县|全区|全旗|汇总|各县|各区|县\(市、区\)|县\(区\)|各乡镇|各街道|乡镇\(街道\)"
                   r"|街道\(乡镇\)|各级行政机关|下辖")
_SELF = re.compile(r"本级")
_EXCLUDES_LOWER = re.compile(r"不(含|包括|包含)[^。；;]{0,16}(乡|镇|街道|县|区|下级)")
_DEFINES = re.compile(r"(数据|统计|数字|口径|范围)")
_ABOUT_FIGURES = re.compile(r"(申请|件|复议|诉讼)")


@dataclass(frozen=True)
class Scope:
    kind: str | None          # area | self | None (the words do not say)
    evidence: str             # the sentence that decided, as printed
    decided_by: str           # definition | statements | none

    def as_dict(self) -> dict:
        zh, en = SCOPES.get(self.kind, ("未说明", "not stated"))
        return {"kind": self.kind, "label": zh, "label_en": en, "evidence": self.evidence,
                "decided_by": self.decided_by}


def scope_of(record: dict) -> Scope:
    """What the report says its figures cover: a sentence defining the data decides; otherwise the
    sentences stating figures vote (全市共收到… against 市本级收到…)."""
    from ..validate.text import sentences
    votes = {"area": [], "self": []}
    for s in sentences(record):
        flat = s.flat
        area, own = _AREA.search(flat), _SELF.search(flat)
        if not area and not own:
            continue
        if _DEFINES.search(flat) and re.search(r"(为|是|系|包括|包含|含|涵盖|指|按)", flat):
            if _EXCLUDES_LOWER.search(flat) or (own and not area):
                return Scope("self", s.text, "definition")
            return Scope("area", s.text, "definition")
        if _ABOUT_FIGURES.search(flat):
            if own and not area:
                votes["self"].append(s.text)
            elif area and not own:
                votes["area"].append(s.text)
    if len(votes["area"]) != len(votes["self"]):
        kind = "area" if len(votes["area"]) > len(votes["self"]) else "self"
        return Scope(kind, votes[kind][0], "statements")
    return Scope(None, "", "none")


# ---------------------------------------------------------------------- reconciliation

class ReconcileError(ValueError):
    """The agency is not a government, or unknown; the message says so, Chinese first."""


def _report_of(s, agency_id: int, year: int):
    return s.execute(select(Report.id, Report.current_version_id, Version.record)
                     .join(Version, Version.id == Report.current_version_id)
                     .where(Report.agency_id == agency_id, Report.year == year)).first()


def _contributors(s, gov_id: int, year: int, scope: str) -> list[dict]:
    """The agencies whose reports add up to the government's figures, each with its report (or none)."""
    out: list[dict] = []
    seen = {gov_id}

    def kids(aid: int):
        rows = s.execute(select(Agency.id, Agency.name, Agency.kind, Agency.level, Report.id, Report.current_version_id)
                         .outerjoin(Report, (Report.agency_id == Agency.id) & (Report.year == year))
                         .where(Agency.parent_id == aid).order_by(Agency.kind.desc(), Agency.name)).all()
        return rows

    def add(aid: int, through: str | None, depth: int):
        for cid, name, kind, level, rid, vid in kids(aid):
            if cid in seen:
                continue
            seen.add(cid)
            if kind != "department" and scope == "self" and depth == 0:
                continue  # 本级: lower governments are not part of it
            entry = {"agency_id": cid, "name": name, "kind": kind, "level": level, "report_id": rid,
                     "version_id": vid, "through": through, "scope": None}
            out.append(entry)
            if kind == "government" and vid is not None:
                rec = s.scalar(select(Version.record).where(Version.id == vid))
                sc = scope_of(rec or {})
                entry["scope"] = sc.kind
                if sc.kind == "self":
                    # its 本级 figures leave out the governments under it: they add themselves
                    for gid, gname, gkind, glevel, grid, gvid in kids(cid):
                        if gkind == "government" and gid not in seen:
                            seen.add(gid)
                            out.append({"agency_id": gid, "name": gname, "kind": gkind, "level": glevel,
                                        "report_id": grid, "version_id": gvid, "through": name, "scope": None})
    add(gov_id, None, 0)
    return out


def reconcile(store, agency: int | str, year: int, *, region: str | None = None) -> dict:
    """The government's report for ``year`` against the sum of its subordinates' (see the module doc)."""
    hierarchy.ensure(store)
    try:
        ag = hierarchy.find_agency(store, agency, region)
    except hierarchy.HierarchyError as exc:
        raise ReconcileError(str(exc)) from exc
    year = int(year)
    with store.session() as s:
        a = s.get(Agency, ag["id"])
        if a.kind != "government":
            raise ReconcileError(f"{a.name} 不是人民政府，没有下级报告可汇总；可用 nianbao hierarchy set 更正其类别 "
                                 f"({a.name} is not a government: nothing answers to it; fix its kind with "
                                 "nianbao hierarchy set)")
        region_row = s.get(Region, a.region_id) if a.region_id else None
        own = _report_of(s, a.id, year)
        record = own.record if own else {}
        scope = scope_of(record) if own else Scope(None, "", "none")
        compared_as = scope.kind or "area"
        contributors = _contributors(s, a.id, year, compared_as)
        meta = record.get("meta") or {}
        form = meta.get("template") if meta.get("template") in ("2021", "2019") else form_of_year(year)
        form = form if form in ("2021", "2019") else "2021"
        layout = ((record.get("t2") or {}).get("layout")) or form
        refs = summed_refs(layout, form)
        vids = [c["version_id"] for c in contributors if c["version_id"] is not None]
        sums, counts, tables_of = _sums(s, vids, refs)
        gov_values = {} if own is None else dict(s.execute(
            select(CellRow.ref, CellRow.value).where(CellRow.version_id == own.current_version_id,
                                                     CellRow.ref.in_(refs))).all())
    included = [c for c in contributors if c["version_id"] is not None]
    missing = [c for c in contributors if c["version_id"] is None]
    without = {t: [c["name"] for c in included if t not in tables_of.get(c["version_id"], ())] for t in TABLES}
    tables, gaps, tally = [], [], {"cells": 0, "agree": 0, "gap": 0, "no_value": 0, "no_sum": 0}
    for t in TABLES:
        rows = _layout_rows(t, layout, form)
        out_rows = []
        for key, label, label_en, cols in rows:
            cells = []
            for ref, col, col_en in cols:
                g, total, n = gov_values.get(ref), sums.get(ref), counts.get(ref, 0)
                if own is None or g is None:
                    status = "no_value"
                elif n == 0:
                    status = "no_sum"
                else:
                    status = "agree" if abs(g - total) < EPSILON else "gap"
                tally["cells"] += 1
                tally[status] += 1
                gap = (g - total) if status in ("agree", "gap") else None
                cell = {"ref": ref, "column": col, "column_en": col_en, "government": g, "sum": total,
                        "reports": n, "gap": gap, "status": status,
                        "lacking": [c for c in without[t]] if n < len(included) else []}
                cells.append(cell)
                if status == "gap":
                    gaps.append({**cell, "row": label, "row_en": label_en, "table": t})
            out_rows.append({"key": key, "label": label, "label_en": label_en, "cells": cells})
        tables.append({"table": t, "title": TABLE_TITLES[t][0], "title_en": TABLE_TITLES[t][1],
                       "columns": [c for c in _columns(t)], "rows": out_rows, "without": without[t]})
    return {
        "government": {"id": a.id, "name": a.name, "level": a.level,
                       "region": region_row.full_name if region_row else None},
        "year": year,
        "report": None if own is None else {"id": own.id, "version_id": own.current_version_id,
                                            "template": form, "t2_layout": layout},
        "scope": scope.as_dict(),
        "compared_as": compared_as,
        "comparison": _comparison_words(scope, a.name),
        "contributors": [{k: v for k, v in c.items() if k != "version_id"} for c in contributors],
        "included": len(included),
        "missing": [{"agency_id": c["agency_id"], "name": c["name"], "kind": c["kind"], "through": c["through"]}
                    for c in missing],
        "tables": tables,
        "gaps": gaps,
        "summary": tally,
        "findings": _findings(a.name, year, own is not None, scope, gaps, missing, without),
    }


def _sums(s, vids: list[int], refs: list[str]):
    """Sum and count of each cell over the versions; which tables each version holds. Set-based."""
    sums, counts, tables_of = {}, {}, {}
    for i in range(0, len(vids), 900):
        chunk = vids[i:i + 900]
        for ref, total, n in s.execute(select(CellRow.ref, func.sum(CellRow.value), func.count(CellRow.value))
                                       .where(CellRow.version_id.in_(chunk), CellRow.ref.in_(refs))
                                       .group_by(CellRow.ref)):
            sums[ref] = sums.get(ref, 0.0) + (total or 0.0)
            counts[ref] = counts.get(ref, 0) + n
        for vid, tbl in s.execute(select(CellRow.version_id, CellRow.tbl).where(CellRow.version_id.in_(chunk))
                                  .where(CellRow.value.is_not(None)).group_by(CellRow.version_id, CellRow.tbl)):
            tables_of.setdefault(vid, set()).add(tbl)
    return sums, counts, tables_of


def _columns(table: str) -> list[dict]:
    if table == "t3":
        return [{"label": c.label, "label_en": c.label_en} for c in T3_COLUMNS]
    if table == "t4":
        return [{"label": c.label, "label_en": c.label_en} for c in T4_COLUMNS]
    return []


def _layout_rows(table: str, layout: str, form: str):
    """(key, row label, English, [(ref, column label, English)]) in printed order."""
    if table == "t3":
        return [(k, T3_ROW_BY_KEY[k].label, T3_ROW_BY_KEY[k].label_en,
                 [(f"t3.{k}[{c}]", col.label, col.label_en) for c, col in enumerate(T3_COLUMNS)])
                for k in t3_row_keys(form)]
    if table == "t4":
        return [(g, zh, en, [(f"t4.{g}[{c}]", col.label, col.label_en) for c, col in enumerate(T4_COLUMNS)])
                for g, zh, en in T4_GROUPS]
    out = []
    refs = set(_table_refs("t2", layout, form))
    for f in T2_LAYOUTS.get(layout, ()):
        if f.scalar:
            cols = [(f"t2.{f.key}", f.columns[0], f.columns_en[0])]
        else:
            cols = [(f"t2.{f.key}[{i}]", c, f.columns_en[i]) for i, c in enumerate(f.columns)]
        cols = [c for c in cols if c[0] in refs]
        if cols:
            out.append((f.key, f.label, f.label_en, cols))
    return out


def _comparison_words(scope: Scope, name: str) -> dict:
    quote = f"（“{scope.evidence[:80]}”）" if scope.evidence else ""
    if scope.kind == "self":
        return {"zh": f"按报告所述“本级”口径{quote}：{name}的数字应等于本级各部门报告之和，不含下级政府。",
                "en": f"The report says its figures are its own level's (本级){' — ' + scope.evidence[:80] if scope.evidence else ''}: "
                      f"they should equal the sum of its departments' reports, lower governments left out."}
    if scope.kind == "area":
        return {"zh": f"按报告所述“全域汇总”口径{quote}：{name}的数字应等于各部门与下级政府报告之和"
                      f"（下级政府只报本级的，加上其下属乡镇街道）。",
                "en": f"The report says its figures cover the whole area{' — ' + scope.evidence[:80] if scope.evidence else ''}: "
                      "they should equal the sum of its departments' and lower governments' reports (for a lower "
                      "government that reports its own level only, the streets and towns under it are added)."}
    return {"zh": f"报告未说明统计口径（本级或汇总）：按全域汇总比较，差额仅供参考。",
            "en": "The report does not say whether its figures are its own level's or the whole area's: they are "
                  "compared as the whole area's, and the gaps are indicative only."}


def _findings(name: str, year: int, has_report: bool, scope: Scope, gaps: list, missing: list,
              without: dict) -> list[dict]:
    out = []
    if not has_report:
        out.append({"kind": "no_report", "zh": f"库中没有{name} {year} 年度的报告，无法比较。",
                    "en": f"The store holds no {year} report of {name}: nothing to compare."})
    if missing:
        names = "、".join(m["name"] for m in missing)
        out.append({"kind": "missing", "zh": f"{len(missing)} 个下属机关没有 {year} 年度报告，未计入合计：{names}。",
                    "en": f"{len(missing)} subordinate agencies have no {year} report and are not in the sums: "
                          f"{names}."})
    for t, names in without.items():
        if names:
            out.append({"kind": "without_table", "zh": f"{TABLE_TITLES[t][0].split()[0]}缺失的报告："
                                                       f"{'、'.join(names)}（其数字未计入该表合计）。",
                        "en": f"Reports without {TABLE_TITLES[t][1].split(':')[0]}: {', '.join(names)} "
                              "(not in that table's sums)."})
    if has_report:
        if gaps:
            tail = "；下属报告有缺失，差额可能部分来自缺失的报告" if missing else ""
            out.append({"kind": "gaps", "zh": f"{len(gaps)} 个单元格与合计不符{tail}。",
                        "en": f"{len(gaps)} cells differ from the sum"
                              f"{'; some reports are missing, which may explain part of it' if missing else ''}."})
        else:
            out.append({"kind": "agree", "zh": "各单元格均与合计一致。", "en": "Every cell agrees with the sum."})
    return out


def cell_name(gap: dict, lang: str = "zh") -> str:
    """A gap's cell in words: 表三“(一)予以公开”·自然人."""
    t = {"t3": ("表三", "table 3"), "t4": ("表四", "table 4"), "t2": ("表二", "table 2")}[gap["table"]]
    if lang == "en":
        return f"{t[1]} '{gap['row_en']}' × {gap['column_en']}"
    return f"{t[0]}“{gap['row']}”·{gap['column']}"
