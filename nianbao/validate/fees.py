"""Fees: from the 2021 report on, section 六 says whether 信息处理费 was charged (国办函〔2020〕109号)."""
from __future__ import annotations

import re

from .rules import emit, rule
from .text import full_text, section, sections_of, sentence_at, squash

rule("fees.silent", "warning", "fees", "未说明信息处理费收取情况", "no statement on processing fees",
     "2021 年度起，年报第六部分“其他需要报告的事项”应说明是否收取信息处理费及收费情况"
     "（《政府信息公开信息处理费管理办法》，国办函〔2020〕109号）。",
     "From the 2021 report on, section 6 (other matters) must say whether information processing fees "
     "(信息处理费, 国办函〔2020〕109号) were charged, and how much.")
rule("fees.misplaced", "info", "fees", "信息处理费说明不在第六部分", "fee statement outside section 6",
     "报告说明了信息处理费情况，但不在第六部分“其他需要报告的事项”中；格式要求在第六部分说明。",
     "The report states its processing fees, but not in section 6 where the format asks for it.")

# "未收取信息处理费", "收取信息处理费 0 元", "未收取政府信息公开处理费", "免收费用"; not "经费用于".
FEE_STATEMENT = re.compile(r"信息处理费|处理费|(?:收取|收缴|缴纳|免收|减免|收)[^。；;]{0,12}?费(?!用于)")
# Table labels that mention fees without saying anything about processing fees.
_TABLE_WORDS = re.compile(r"行政事业性收费|本年收费金额|收费金额|申请人逾期未按收费通知要求缴纳费用|未按收费通知要求缴纳费用|收费通知")


def _prose(text: str) -> str:
    return _TABLE_WORDS.sub("", squash(text))


def check(record: dict) -> list[dict]:
    year = (record.get("meta") or {}).get("year")
    if not isinstance(year, int) or year < 2021:
        return []
    six = section(record, "六")
    if six is not None and FEE_STATEMENT.search(_prose(six.get("text") or "")):
        return []  # (the usual case: the whole text need not be read)
    everything = _prose(full_text(record))
    if not everything:
        return []
    elsewhere = FEE_STATEMENT.search(everything)
    if elsewhere and sections_of(record):
        return [emit("fees.misplaced",
                     "报告在第六部分以外说明了信息处理费情况；年报格式要求在第六部分“其他需要报告的事项”中说明。",
                     "The report states its processing fees outside section 6, where the format asks for it.",
                     cells=["sections.六"], evidence=sentence_at(everything, elsewhere.start(), elsewhere.end()))]
    if elsewhere:
        return []
    six_text = " ".join((six.get("text") or "").split()) if six else ""
    if len(six_text) > 60:
        six_text = six_text[:60] + "…"
    evidence = f"第六部分原文：“{six_text}”" if six else "报告中没有第六部分"
    return [emit("fees.silent",
                 f"{year} 年度报告未说明是否收取信息处理费：第六部分“其他需要报告的事项”应写明收费情况（未收取也应说明）。",
                 f"The {year} report does not say whether processing fees were charged: section 6 should state "
                 "it (even when none were).",
                 cells=["sections.六"], evidence=evidence)]
