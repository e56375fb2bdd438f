"""The fixed words of a report: title, opening paragraph with the statistics period, fee sentence, date.

These are the formulas of the official format that every agency prints the same way; the author
writes the six sections, the form supplies the rest. Nothing here is taken from last year's report.
"""
from __future__ import annotations

import datetime as dt

from ..template import SECTIONS

# The notice that prescribes each form (cited in the opening paragraph).
NOTICES = {
    "2021": "《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）",
    "2019": "《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》（国办公开办函〔2019〕60号）",
}

# Section 六 states whether information processing fees were charged (国办函〔2020〕109号), from 2021 on.
FEE_FROM_YEAR = 2021
FEE_SENTENCE = "依据《政府信息公开信息处理费管理办法》收取信息处理费的情况：本年度未收取信息处理费。"


def title_lines(meta: dict) -> list[str]:
    """The title as printed on two lines: the agency, then 「2025年政府信息公开工作年度报告」."""
    agency = meta.get("agency") or ""
    second = f"{meta.get('year') or ''}年政府信息公开工作年度报告"
    return [agency, second] if agency else [second]


def period(year: int) -> dict:
    """The statistics period of a report year: the calendar year."""
    return {"start": f"{year}-01-01", "end": f"{year}-12-31"}


def opening(meta: dict, contact: str = "") -> str:
    """The paragraph before section 一: the legal basis, the six parts and the statistics period."""
    year = meta.get("year")
    notice = NOTICES.get(meta.get("template") or "2021", NOTICES["2021"])
    parts = "、".join(s.title.replace("、", "和") if s.number == "四" else s.title for s in SECTIONS)
    text = (f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和{notice}要求编制。"
            f"全文包括{parts}。本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。")
    contact = " ".join((contact or "").split())
    if contact:
        text += contact if contact.endswith(("。", "！", "？", ".")) else contact + "。"
    return text


def needs_fee_sentence(year) -> bool:
    return isinstance(year, int) and year >= FEE_FROM_YEAR


def date_cn(iso: str | None) -> str:
    """``2026-01-20`` → ``2026年1月20日``; an unknown date prints as blanks to be filled by hand."""
    if not iso:
        return "年　月　日"
    d = dt.date.fromisoformat(str(iso)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


def heading(number: str, title: str) -> str:
    return f"{number}、{title}"


def paragraphs(text: str) -> list[str]:
    """A section's text as paragraphs: one a line, blank lines dropped, inner spaces kept single."""
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]
