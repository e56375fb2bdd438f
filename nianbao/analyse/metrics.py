"""Derived metrics, defined as data over cells.

Each metric names the cells it adds up (``t3.granted[6]``); the statistics code
sums those cells over a group of reports and only then divides, so a rate is
the group's rate (sum of numerators / sum of denominators), not a mean of rates.
Add a metric by adding an entry here; nothing else changes.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..template import T3_TOTAL_COL, t3_leaf_keys

T = T3_TOTAL_COL
DENY = tuple(f"t3.{k}[{T}]" for k in t3_leaf_keys("2021") if k.startswith("deny_"))
UNABLE = tuple(f"t3.{k}[{T}]" for k in t3_leaf_keys("2021") if k.startswith("unable_"))
REJECT = tuple(f"t3.{k}[{T}]" for k in t3_leaf_keys("2021") if k.startswith("reject_"))
LITIGATION = ("litigation_direct", "litigation_after_reconsideration")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str                      # Chinese, as users say it
    label_en: str
    kind: str                       # "sum" | "ratio" | "yoy"
    num: tuple[str, ...] = ()       # cells added up (sum, ratio numerator)
    den: tuple[str, ...] = ()       # ratio denominator
    of: str = ""                    # yoy: the sum metric compared with the previous year
    percent: bool = False
    note: str = ""


METRICS: tuple[Metric, ...] = (
    Metric("applications", "申请量", "new applications", "sum", num=(f"t3.new[{T}]",)),
    Metric("handled", "办理总计", "requests handled", "sum", num=(f"t3.total[{T}]",)),
    Metric("disclosed", "予以公开+部分公开", "disclosed in full or in part", "sum",
           num=(f"t3.granted[{T}]", f"t3.partial[{T}]")),
    Metric("disclosure_rate", "公开率", "disclosure rate", "ratio",
           num=(f"t3.granted[{T}]", f"t3.partial[{T}]"), den=(f"t3.total[{T}]",), percent=True,
           note="(予以公开 + 部分公开) / 办理总计"),
    Metric("denial_rate", "不予公开率", "refusal rate", "ratio", num=DENY, den=(f"t3.total[{T}]",), percent=True,
           note="不予公开 (8 项) / 办理总计"),
    Metric("unable_rate", "无法提供率", "unable-to-provide rate", "ratio", num=UNABLE, den=(f"t3.total[{T}]",),
           percent=True),
    Metric("reject_rate", "不予处理率", "not-handled rate", "ratio", num=REJECT, den=(f"t3.total[{T}]",),
           percent=True),
    Metric("carry_rate", "结转率", "carry-over rate", "ratio", num=(f"t3.carry_next[{T}]",),
           den=(f"t3.new[{T}]", f"t3.carried[{T}]"), percent=True,
           note="结转下年度继续办理 / (本年新收 + 上年结转)"),
    Metric("reconsiderations", "行政复议量", "reconsideration cases", "sum", num=("t4.reconsideration[4]",)),
    Metric("reconsideration_correction_rate", "复议纠错率", "reconsideration correction rate", "ratio",
           num=("t4.reconsideration[1]",),
           den=("t4.reconsideration[0]", "t4.reconsideration[1]", "t4.reconsideration[2]"), percent=True,
           note="结果纠正 / 已审结 (维持 + 纠正 + 其他)"),
    Metric("lawsuits", "行政诉讼量", "lawsuits", "sum", num=tuple(f"t4.{g}[4]" for g in LITIGATION)),
    Metric("litigation_correction_rate", "诉讼纠错率", "litigation correction rate", "ratio",
           num=tuple(f"t4.{g}[1]" for g in LITIGATION),
           den=tuple(f"t4.{g}[{i}]" for g in LITIGATION for i in (0, 1, 2)), percent=True,
           note="结果纠正 / 已审结, 直接起诉与复议后起诉合计"),
    Metric("applications_yoy", "申请量同比", "applications year on year", "yoy", of="applications", percent=True,
           note="(本年申请量 − 上年申请量) / 上年申请量"),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}
_BY_LABEL = {m.label: m for m in METRICS}


def metric(name: str) -> Metric:
    """A metric by key or by its Chinese label."""
    m = METRIC_BY_KEY.get(name) or _BY_LABEL.get(name)
    if m is None:
        raise KeyError(name)
    return m


def refs_needed(metrics) -> list[str]:
    out: list[str] = []
    for m in metrics:
        base = [METRIC_BY_KEY[m.of]] if m.kind == "yoy" else [m]
        for b in base:
            for r in b.num + b.den:
                if r not in out:
                    out.append(r)
    return out


def evaluate(m: Metric, sums: dict[str, float | None], prev_sums: dict[str, float | None] | None = None):
    """A metric's value from the group's cell sums (None when undefined)."""
    def total(refs):
        vals = [sums.get(r) for r in refs]
        if all(v is None for v in vals):
            return None
        return sum(v for v in vals if v is not None)

    if m.kind == "sum":
        return total(m.num)
    if m.kind == "ratio":
        n, d = total(m.num), total(m.den)
        if n is None or not d:
            return None
        return n / d
    if m.kind == "yoy":
        if prev_sums is None:
            return None
        base = METRIC_BY_KEY[m.of]
        cur, prev = evaluate(base, sums), evaluate(base, prev_sums)
        if cur is None or not prev:
            return None
        return (cur - prev) / prev
    raise ValueError(m.kind)
