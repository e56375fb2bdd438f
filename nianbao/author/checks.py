"""A draft checked as the validator checks a published report, plus what a finished report must have.

``check_draft(draft)`` gives, in this order:

- the validator's own findings on the draft's record (``nianbao.validate.check``): identities, values,
  form, timeliness, fees, prose against tables — the very findings a published report would get;
- the cross-year findings against last year's record (``nianbao.validate.cross_year``): carry-over,
  现行有效 continuity, identical tables, copied prose;
- completeness, which only a draft can lack (``author.*``): cells not filled in, sections not written,
  no date on the sign-off, a date before the year has ended.

``copy_rates(draft)`` is the 重复率 of each section against last year's, computed by the validator's
own measure (``validate.crossyear.copy_rate``: sentences repeated verbatim, numbers ignored).
"""
from __future__ import annotations

import datetime as dt

from ..findings import SEVERITY_ORDER, finding
from ..validate import check as validate_record
from ..validate import cross_year
from ..validate.crossyear import COPY_THRESHOLD, copy_rate
from ..validate.describe import describe_cell
from .draft import form_of, get_value, layout_of, leaf_refs, previous_record, to_record
from .layout import TABLE_TITLES

# Completeness rules of a draft: id → (severity, title zh, title en).
AUTHOR_RULES = {
    "author.blank": ("error", "单元格未填写", "cells not filled in"),
    "author.empty_section": ("error", "部分尚未撰写", "section not written"),
    "author.no_date": ("error", "落款日期未填写", "no date on the sign-off"),
    "author.early_date": ("error", "落款日期早于统计期限结束", "signed before the year ended"),
    # (the editing page's own: what was typed into a cell cannot be read as a number)
    "author.input": ("error", "输入无法识读", "input cannot be read"),
}


def _author(rule: str, message: str, message_en: str, **kw) -> dict:
    return finding(rule, AUTHOR_RULES[rule][0], message, message_en, **kw)


def completeness(draft: dict, record: dict) -> list[dict]:
    out = []
    layout = layout_of(record)
    blank: dict[str, list[str]] = {}
    for ref in leaf_refs(form_of(record), layout):
        if get_value(record, ref) is None:
            blank.setdefault(ref.split(".")[0], []).append(ref)
    for table, refs in blank.items():
        _, zh, en = TABLE_TITLES[table]
        shown = "、".join(describe_cell(r, "zh", layout) for r in refs[:3])
        shown_en = "; ".join(describe_cell(r, "en", layout) for r in refs[:3])
        more = f"等 {len(refs)} 格" if len(refs) > 3 else ""
        out.append(_author(
            "author.blank", f"{zh}有 {len(refs)} 个单元格未填写（没有的请填 0）：{shown}{more}。",
            f"{len(refs)} cells of {en} are not filled in (enter 0 where there is nothing): {shown_en}"
            f"{' …' if len(refs) > 3 else ''}.", cells=refs, evidence=f"{len(refs)} blank"))
    for sec in record["sections"]:
        if not (sec.get("text") or "").strip():
            out.append(_author(
                "author.empty_section", f"第{sec['number']}部分“{sec['title']}”尚未撰写。",
                f"Section {sec['number']} ({sec['title']}) is not written yet.", cells=[f"sections.{sec['number']}"]))
    meta = record["meta"]
    if not meta.get("published"):
        out.append(_author("author.no_date", "落款日期未填写：报告须注明成文（发布）日期。",
                           "The sign-off has no date: a report states the day it was issued.",
                           cells=["meta.published"]))
    else:
        signed = dt.date.fromisoformat(meta["published"])
        if signed <= dt.date(meta["year"], 12, 31):
            out.append(_author(
                "author.early_date",
                f"落款日期 {signed.isoformat()} 早于统计期限结束（{meta['year']}-12-31）：年度报告须在年度结束后成文。",
                f"The sign-off date {signed.isoformat()} is before the statistics period ends "
                f"({meta['year']}-12-31): the report is written after the year.",
                cells=["meta.published"], evidence=f"meta.published = {signed.isoformat()}"))
    return out


def check_draft(draft: dict, record: dict | None = None) -> list[dict]:
    """Every finding on the draft, worst first within each kind (see the module doc)."""
    record = record or to_record(draft)
    found = list(validate_record(record))
    prev = previous_record(draft)
    if prev:
        found += [dict(f, scope="cross_year") for f in cross_year(prev, record)]
    found += completeness(draft, record)
    return sorted(found, key=lambda f: SEVERITY_ORDER.get(f.get("severity"), 9))


def copy_rates(draft: dict, record: dict | None = None) -> dict[str, float | None]:
    """重复率 of each section against the same section last year (None: nothing to compare)."""
    prev = previous_record(draft)
    record = record or draft["record"]
    before = {s.get("number"): s.get("text") or "" for s in (prev or {}).get("sections") or []}
    out: dict[str, float | None] = {}
    for sec in record["sections"]:
        old, new = before.get(sec["number"], ""), sec.get("text") or ""
        # Each section alone, as the record's whole text: the validator's measure, per section.
        out[sec["number"]] = copy_rate({"text": old}, {"text": new}) if old.strip() and new.strip() else None
    return out


def summary(findings: list[dict]) -> dict[str, int]:
    out = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        if f.get("severity") in out:
            out[f["severity"]] += 1
    return out


def cell_marks(findings: list[dict]) -> dict[str, str]:
    """Each cell named by a finding → the worst severity naming it (for the page and the workbook)."""
    marks: dict[str, str] = {}
    for f in findings:
        for ref in f.get("cells") or ():
            old = marks.get(ref)
            if old is None or SEVERITY_ORDER[f["severity"]] < SEVERITY_ORDER[old]:
                marks[ref] = f["severity"]
    return marks


__all__ = ["check_draft", "copy_rates", "completeness", "summary", "cell_marks", "AUTHOR_RULES", "COPY_THRESHOLD"]
