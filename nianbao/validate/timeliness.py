"""Timeliness: the report published by the legal deadline of the following year.

Deadlines (《政府信息公开条例》):
- reports for 2019 onwards (revised Regulations, art. 49): a department publishes by 31 January; a
  government's information-disclosure office publishes the government's summary report (年度报告) by
  31 March;
- reports up to 2018 (2008 Regulations, art. 31): every agency by 31 March.

Which kind of report it is: ``meta.kind`` when the extractor or a manifest says so. Otherwise the name:
an agency named ``…人民政府`` (or ``…政府``) publishes the government's summary report; an agency named
``…人民政府办公室/办公厅`` is read as the summary report too, because in practice that office publishes it
in the government's name — but an office's own report is a department report, so for such a name (and
for an unnamed agency) the lenient 31 March deadline is used and an earlier lateness is not reported.
Any other agency (局, 委, 办, 厅, 中心 …) is a department.
"""
from __future__ import annotations

import datetime as dt
import re

from .rules import emit, rule

rule("time.late", "error", "timeliness", "逾期发布", "published late",
     "2019 年度起：部门应于次年 1 月 31 日前、县级以上人民政府应于次年 3 月 31 日前公布上一年度报告"
     "（《条例》第四十九条）；2018 年度及以前：次年 3 月 31 日前。仅在已知发布日期时检查。",
     "From the 2019 report on: departments publish by 31 January, a government's summary report by "
     "31 March of the following year (art. 49); up to 2018: 31 March. Checked only where the publication "
     "date is known.")


def report_kind(record: dict) -> tuple[str | None, bool]:
    """(kind, certain): "government" | "department" | None, and whether it was stated or only inferred."""
    meta = record.get("meta") or {}
    if meta.get("kind") in ("government", "department"):
        return meta["kind"], True
    agency = re.sub(r"\s+", "", meta.get("agency") or "")
    if not agency:
        return None, False
    if re.search(r"(人民政府|政府)(办公室|办公厅)$", agency):
        return "government", False
    if re.search(r"政府$", agency):
        return "government", True
    return "department", True


def deadline(year: int, kind: str | None, certain: bool) -> tuple[dt.date, str, str]:
    """The deadline and its legal basis (zh, en)."""
    if year <= 2018:
        return dt.date(year + 1, 3, 31), "2008 年《条例》第三十一条：每年 3 月 31 日前", \
            "2008 Regulations art. 31: by 31 March"
    if kind == "department" and certain:
        return dt.date(year + 1, 1, 31), "《条例》第四十九条：部门于每年 1 月 31 日前", \
            "art. 49: departments by 31 January"
    return dt.date(year + 1, 3, 31), "《条例》第四十九条：人民政府年度报告于每年 3 月 31 日前", \
        "art. 49: a government's summary report by 31 March"


def check(record: dict) -> list[dict]:
    meta = record.get("meta") or {}
    year, published = meta.get("year"), meta.get("published")
    if not isinstance(year, int) or not published:
        return []
    try:
        date = dt.date.fromisoformat(str(published)[:10])
    except ValueError:
        return []
    kind, certain = report_kind(record)
    due, basis, basis_en = deadline(year, kind, certain)
    if date <= due:
        return []
    days = (date - due).days
    who = {"government": "人民政府年度报告", "department": "部门年度报告"}.get(kind, "年度报告")
    return [emit("time.late",
                 f"{year} 年度{who}于 {date.isoformat()} 发布，晚于法定期限 {due.isoformat()}（{basis}）{days} 天。",
                 f"The {year} report was published on {date.isoformat()}, {days} days after the deadline "
                 f"{due.isoformat()} ({basis_en}).",
                 cells=["meta.published"], measure=days,
                 evidence=f"meta.published = {date.isoformat()}；报告类别 = {who}"
                          f"{'' if certain else '（据机关名称推断）'}；期限 = {due.isoformat()}")]
