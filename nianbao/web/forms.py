"""Tables 二, 三 and 四 laid out like the official form, from ``nianbao.template``.

Each function returns rows of cells (plain dicts) for a template to draw:
``{"kind": "head"|"label"|"value", "text": str, "rowspan": n, "colspan": n,
"ref": "t3.new[0]"}``. Value cells carry their cell reference so findings and
sources can point at them.
"""
from __future__ import annotations

from typing import Mapping

from ..template import (T2_LAYOUTS, T3_COLUMNS, T3_GROUPS, T3_GROUPS_EN, T3_HEADINGS, T4_COLUMNS, T4_GROUPS,
                        T4_HEADINGS_EN, t3_rows)
from .i18n import pick


def _head(text: str, rowspan: int = 1, colspan: int = 1) -> dict:
    return {"kind": "head", "text": text, "rowspan": rowspan, "colspan": colspan}


def _label(text: str, rowspan: int = 1, colspan: int = 1) -> dict:
    return {"kind": "label", "text": text, "rowspan": rowspan, "colspan": colspan}


def fmt_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.6f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}".replace(",", "")
    return str(v)


def _value(ref: str, v, colspan: int = 1) -> dict:
    return {"kind": "value", "text": fmt_value(v), "ref": ref, "rowspan": 1, "colspan": colspan,
            "missing": v is None}


def _at(values, i):
    if isinstance(values, (list, tuple)):
        return values[i] if i < len(values) else None
    return values if i == 0 else None


# ------------------------------------------------------------------ 表二

def t2_table(t2: Mapping | None, lang: str = "zh") -> list[list[dict]] | None:
    if not t2:
        return None
    layout = t2.get("layout") or "2021"
    fields = T2_LAYOUTS.get(layout)
    if fields is None:
        return None
    width = 1 + max(len(f.columns) for f in fields)
    # Sections of the form: consecutive fields under the same 第二十条 item with the same columns.
    sections: list[tuple[str, tuple[str, ...], list]] = []
    for f in fields:
        if sections and sections[-1][0] == f.item and sections[-1][1] == f.columns:
            sections[-1][2].append(f)
        else:
            sections.append((f.item, f.columns, [f]))
    rows: list[list[dict]] = []
    for _item, columns, fs in sections:
        head = fs[0]
        rows.append([_head(pick(head.title, head.title_en, lang), colspan=width)])
        spans = _spread(width - 1, len(columns))
        rows.append([_head(pick("信息内容", "item", lang))]
                    + [_head(pick(c, en, lang), colspan=s) for c, en, s in zip(columns, head.columns_en, spans)])
        for f in fs:
            values = t2.get(f.key)
            row = [_label(pick(f.label, f.label_en, lang))]
            for i, s in enumerate(spans):
                row.append(_value(f"t2.{f.key}" if f.scalar else f"t2.{f.key}[{i}]", _at(values, i), s))
            rows.append(row)
    return rows


def _spread(total: int, n: int) -> list[int]:
    """Split ``total`` grid columns over ``n`` cells, the last taking what is left."""
    base = max(1, total // n)
    spans = [base] * n
    spans[-1] = total - base * (n - 1)
    return spans


# ------------------------------------------------------------------ 表三

def t3_form_of(t3: Mapping | None) -> str:
    rows = (t3 or {}).get("rows") or {}
    return "2019" if "other" in rows and not any(k.startswith("other_") for k in rows) else "2021"


def t3_table(t3: Mapping | None, lang: str = "zh") -> list[list[dict]] | None:
    if not t3:
        return None
    values = t3.get("rows") or {}
    form = t3_form_of(t3)
    rows_def = t3_rows(form)
    ncol = len(T3_COLUMNS)
    col_label = [pick(c.label, c.label_en, lang) for c in T3_COLUMNS]
    org_cols = col_label[1:-1]
    out: list[list[dict]] = [
        [_head("", rowspan=3, colspan=3), _head(pick(*T3_HEADINGS["applicants"], lang), colspan=ncol)],
        [_head(col_label[0], rowspan=2), _head(pick(*T3_HEADINGS["organisations"], lang), colspan=len(org_cols)),
         _head(col_label[-1], rowspan=2)],
        [_head(c) for c in org_cols],
    ]
    # The 三、本年度办理结果 block: every result row and (七)总计 below them.
    block = [r for r in rows_def if r.leaf_result or r.key == "total"]
    group_sizes: dict[str, int] = {}
    for r in block:
        if r.group and r.group != "results":
            group_sizes[r.group] = group_sizes.get(r.group, 0) + 1
    seen_block = seen_groups = None
    seen_groups = set()
    for r in rows_def:
        label = pick(r.label, r.label_en, lang)
        row: list[dict] = []
        if r in block:
            if not seen_block:
                row.append(_label(pick(T3_GROUPS["results"], T3_GROUPS_EN["results"], lang), rowspan=len(block)))
                seen_block = True
            if r.group in group_sizes:
                if r.group not in seen_groups:
                    row.append(_label(pick(T3_GROUPS[r.group], T3_GROUPS_EN.get(r.group), lang),
                                          rowspan=group_sizes[r.group]))
                    seen_groups.add(r.group)
                row.append(_label(label))
            else:
                row.append(_label(label, colspan=2))
        else:
            row.append(_label(label, colspan=3))
        vals = values.get(r.key)
        row += [_value(f"t3.{r.key}[{c}]", _at(vals, c)) for c in range(ncol)]
        out.append(row)
    return out


# ------------------------------------------------------------------ 表四

def t4_table(t4: Mapping | None, lang: str = "zh") -> list[list[dict]] | None:
    if not t4:
        return None
    w = len(T4_COLUMNS)
    # Group labels are "行政诉讼·复议后起诉": a top level and, where present, a second one.
    split = [g[1].split("·") for g in T4_GROUPS]
    top: list[tuple[str, int, bool]] = []  # (label, groups covered, has second level)
    for parts in split:
        if top and len(parts) > 1 and top[-1][0] == parts[0]:
            top[-1] = (parts[0], top[-1][1] + 1, True)
        else:
            top.append((parts[0], 1, len(parts) > 1))
    en = {g[1]: g[2] for g in T4_GROUPS}
    row1, row2 = [], []
    i = 0
    for label, n, two in top:
        full = "·".join(split[i]) if not two else None
        if two:
            row1.append(_head(pick(label, T4_HEADINGS_EN.get(label), lang), colspan=w * n))
            for parts, g in zip(split[i:i + n], T4_GROUPS[i:i + n]):
                row2.append(_head(pick(parts[-1], g[2], lang), colspan=w))
        else:
            row1.append(_head(pick(full, en[T4_GROUPS[i][1]], lang), rowspan=2, colspan=w))
        i += n
    row3 = [_head(pick(c.label, c.label_en, lang)) for _ in T4_GROUPS for c in T4_COLUMNS]
    row4 = [_value(f"t4.{key}[{c}]", _at(t4.get(key), c)) for key, _, _ in T4_GROUPS for c in range(w)]
    return [row1, row2, row3, row4]


# ------------------------------------------------------------------ pre-2019 appendix

def legacy_table(legacy: Mapping | None, lang: str = "zh") -> list[list[dict]] | None:
    if not legacy:
        return None
    width = max((len(v) if isinstance(v, list) else 1) for v in legacy.values())
    heads = [pick("本年", "this year", lang), pick("历年累计", "cumulative", lang)][:width]
    rows = [[_head(pick("指标名称", "indicator", lang))] + [_head(h) for h in heads]]
    for name, vals in legacy.items():
        rows.append([_label(name)] + [_value(f"legacy.{name}[{i}]", _at(vals, i)) for i in range(width)])
    return rows


def all_tables(record: Mapping, lang: str = "zh") -> list[tuple[str, str, list[list[dict]]]]:
    """(anchor, title, rows) for each table the record holds, in the order of the form."""
    out = []
    for anchor, zh, en, fn, key in (
            ("t2", "二、主动公开政府信息情况", "2. proactive disclosure", t2_table, "t2"),
            ("t3", "三、收到和处理政府信息公开申请情况", "3. requests received and handled", t3_table, "t3"),
            ("t4", "四、政府信息公开行政复议、行政诉讼情况", "4. reconsideration and litigation", t4_table, "t4"),
            ("legacy", "附表：统计指标", "appendix indicators", legacy_table, "legacy")):
        rows = fn(record.get(key), lang)
        if rows:
            out.append((anchor, pick(zh, en, lang), rows))
    return out
