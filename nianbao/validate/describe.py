"""Cell references (``t3.granted[2]``) in words a reviewer reads: 表三“(一)予以公开”行·科研机构."""
from __future__ import annotations

import re

from ..template import SECTIONS, T2_LAYOUTS, T3_COLUMNS, T3_ROW_BY_KEY, T4_COLUMNS, T4_GROUPS, CellRef

_T4 = {k: (zh, en) for k, zh, en in T4_GROUPS}
_SECTION = {s.number: s for s in SECTIONS}
_META = {
    "published": ("发布日期", "publication date"),
    "year": ("报告年度", "report year"),
    "period": ("统计期限", "statistical period"),
    "template": ("表三格式", "form of table 3"),
    "agency": ("发布机关", "agency"),
    "region": ("所在地区", "region"),
    "level": ("机关层级", "level of government"),
    "kind": ("报告类别", "kind of report"),
}
_TABLES = {"t2": ("表二", "table 2"), "t3": ("表三", "table 3"), "t4": ("表四", "table 4"),
           "legacy": ("附表", "appendix table")}


_GROUP_SHORT = {"deny": ("不予公开", "refused"), "unable": ("无法提供", "cannot provide"),
                "reject": ("不予处理", "not handled"), "other": ("其他处理", "other handling")}


def row_label(key: str, lang: str = "zh") -> str:
    """A row's label, short enough for a table cell, with its group where the label alone is vague."""
    row = T3_ROW_BY_KEY[key]
    if lang == "en":
        group = _GROUP_SHORT.get(row.group or "")
        return f"{group[1]}: {row.label_en}" if group else row.label_en
    label = re.sub(r"\(区分处理.*\)$", "", row.label)
    if len(label) > 14:
        label = label[:13] + "…"
    group = _GROUP_SHORT.get(row.group or "")
    return f"{group[0]}·{label}" if group else label


def _t2_field(key: str):
    for layout in ("2021", "2019"):
        for f in T2_LAYOUTS[layout]:
            if f.key == key:
                return f
    return None


def describe_cell(ref: str, lang: str = "zh", t2_layout: str | None = None) -> str:
    """A cell reference in words; the reference itself when it is not one we know."""
    en = lang == "en"
    if "." not in ref:
        names = _TABLES.get(ref)
        return (names[1] if en else names[0]) + (" (whole table)" if en else "（整表）") if names else ref
    try:
        c = CellRef.parse(ref)
    except ValueError:
        return ref
    if c.table == "t3":
        row = T3_ROW_BY_KEY.get(c.key)
        if row is None:
            return ref
        label = row_label(c.key, lang)
        if c.index is None:
            return f"table 3 row '{label}'" if en else f"表三“{label}”行"
        col = T3_COLUMNS[c.index] if c.index < len(T3_COLUMNS) else None
        coln = (col.label_en if en else col.label) if col else str(c.index)
        return f"table 3 '{label}' × {coln}" if en else f"表三“{label}”·{coln}"
    if c.table == "t4":
        group = _T4.get(c.key)
        if group is None:
            return ref
        gname = group[1] if en else group[0]
        if c.index is None:
            return f"table 4 {gname}" if en else f"表四 {gname}"
        col = T4_COLUMNS[c.index] if c.index < len(T4_COLUMNS) else None
        coln = (col.label_en if en else col.label) if col else str(c.index)
        return f"table 4 {gname} × {coln}" if en else f"表四 {gname}·{coln}"
    if c.table == "t2":
        if c.key == "layout":
            return "layout of table 2" if en else "表二格式"
        f = None
        if isinstance(t2_layout, str):
            f = next((x for x in T2_LAYOUTS.get(t2_layout, ()) if x.key == c.key), None)
        f = f or _t2_field(c.key)
        if f is None:
            return ref
        name = f.label_en if en else f.label
        if c.index is None or c.index >= len(f.columns):
            return f"table 2 {name}" if en else f"表二 {name}"
        return f"table 2 {name} × {f.columns_en[c.index]}" if en else f"表二 {name}·{f.columns[c.index]}"
    if c.table == "legacy":
        if c.index is None:
            return f"appendix '{c.key}'" if en else f"附表“{c.key}”"
        col = ("this year", "cumulative")[c.index] if en and c.index < 2 else \
            ("本年", "历年累计")[c.index] if c.index < 2 else str(c.index)
        return f"appendix '{c.key}' × {col}" if en else f"附表“{c.key}”·{col}"
    if c.table == "meta":
        names = _META.get(c.key)
        return (names[1] if en else names[0]) if names else ref
    if c.table == "sections":
        s = _SECTION.get(c.key)
        if s is None:
            return ref
        number = "一二三四五六".index(c.key) + 1 if c.key in "一二三四五六" else c.key
        return f"section {number} ({s.title_en})" if en else f"第{c.key}部分（{s.title}）"
    return ref
