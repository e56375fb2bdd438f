"""What a person may correct in a stored record, and what each corrected value must look like.

Every editable cell comes from the template (``nianbao.template``): the rows of the record's form
of table 三, table 四's groups, the fields of its table 二 layout, the appendix indicators it holds,
and a few meta fields with editors of their own. A value is checked against its cell's kind:

- ``count``: a whole number ≥ 0 (件数; 3.0 is 3, 3.7 and −5 are refused);
- ``signed``: a whole number that may be negative (the 2019 table 二 column 本年增/减);
- ``amount``: a number ≥ 0 that keeps its decimals (万元 and other sums of money);
- meta: ``text`` (agency, region), ``year``, ``date`` (YYYY-MM-DD), ``choice`` (level, kind, unit).

A blank value (None, "", "-", "—", "/") means "not in the report". ``check_values`` returns the
values normalised (numbers as int or float) or raises :class:`CorrectionRefused` naming every
refused cell in words and by reference.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Mapping

from ..template import (T2_LAYOUTS, T2_SIGNED_COLUMNS, T3_WIDTH, T4_GROUPS, T4_WIDTH, CellRef, form_of_year,
                        t3_row_keys)
from ..validate.describe import describe_cell
from .regions import _SUFFIXES, LEVELS, split_region

MAX_COUNT = 10 ** 9          # more applications than people in China: a typing slip
BLANKS = ("", "-", "—", "－", "/", "null")
META_FIELDS = ("agency", "region", "year", "published", "level", "kind")
META_CHOICES = {"level": LEVELS, "kind": ("government", "department")}
_MONEY = re.compile(r"费|金额|经费|万元|元")


@dataclass(frozen=True)
class Editable:
    ref: str
    kind: str                  # count | signed | amount | text | year | date | choice
    choices: tuple[str, ...] = ()


class CorrectionRefused(ValueError):
    """Some corrected values do not fit their cells; ``problems`` is [(ref, message), …]."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(msg for _, msg in problems))


# ---------------------------------------------------------------- which cells

def t3_form(record: Mapping) -> str:
    rows = ((record.get("t3") or {}).get("rows") or {}) if isinstance(record.get("t3"), dict) else {}
    if any(k.startswith("other_") for k in rows):
        return "2021"
    if "other" in rows:
        return "2019"
    meta = record.get("meta") or {}
    t = meta.get("template")
    if t in ("2019", "2021"):
        return t
    return "2019" if form_of_year(meta.get("year") if isinstance(meta.get("year"), int) else None) == "2019" \
        else "2021"


def t2_layout(record: Mapping) -> str:
    t2 = record.get("t2") if isinstance(record.get("t2"), dict) else {}
    layout = t2.get("layout")
    if layout in T2_LAYOUTS:
        return layout
    return "2019" if t3_form(record) == "2019" else "2021"


def editable(record: Mapping, ref: str) -> Editable | None:
    """The cell ``ref`` of this record as something a person may correct, or None."""
    try:
        c = CellRef.parse(ref)
    except ValueError:
        return None
    if c.table == "meta":
        if c.key not in META_FIELDS or c.index is not None:
            return None
        kind = {"agency": "text", "region": "text", "year": "year", "published": "date"}.get(c.key, "choice")
        return Editable(ref, kind, META_CHOICES.get(c.key, ()))
    if c.table == "t3":
        if c.key in t3_row_keys(t3_form(record)) and c.index is not None and c.index < T3_WIDTH:
            return Editable(ref, "count")
        return None
    if c.table == "t4":
        if c.key in {g[0] for g in T4_GROUPS} and c.index is not None and c.index < T4_WIDTH:
            return Editable(ref, "count")
        return None
    if c.table == "t2":
        layout = t2_layout(record)
        if c.key == "procurement_unit" and layout == "2019" and c.index is None:
            return Editable(ref, "choice", ("元", "万元"))
        field = next((f for f in T2_LAYOUTS[layout] if f.key == c.key), None)
        if field is None:
            return None
        if field.scalar:
            if c.index is not None:
                return None
            return Editable(ref, "amount" if field.decimals else "count")
        if c.index is None or c.index >= len(field.columns):
            return None
        column = field.columns[c.index]
        if column in T2_SIGNED_COLUMNS:
            return Editable(ref, "signed")
        # money is the last column of a field that keeps decimals (采购总金额)
        if field.decimals and c.index == len(field.columns) - 1:
            return Editable(ref, "amount")
        return Editable(ref, "count")
    if c.table == "legacy":
        legacy = record.get("legacy") if isinstance(record.get("legacy"), dict) else {}
        row = legacy.get(c.key)
        if row is None or c.index is None or c.index >= max(2, len(row) if isinstance(row, list) else 1):
            return None
        money = bool(_MONEY.search(c.key)) or any(isinstance(v, float) and not float(v).is_integer()
                                                  for v in (row if isinstance(row, list) else [row]))
        return Editable(ref, "amount" if money else "count")
    return None


# ---------------------------------------------------------------- values

def _say(ref: str, zh: str, en: str, record: Mapping) -> str:
    layout = t2_layout(record) if ref.startswith("t2.") else None
    return f"{describe_cell(ref, 'zh', layout)}（{ref}）：{zh} ({describe_cell(ref, 'en', layout)}: {en})"


def _number(raw) -> Decimal | None:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError
        return Decimal(repr(raw))
    text = str(raw).strip().replace(",", "").replace("，", "").replace(" ", "")
    if text in BLANKS:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError from None
    if not d.is_finite():
        raise ValueError
    return d


def check_value(record: Mapping, ref: str, raw):
    """The normalised value for ``ref``, or ValueError with a message naming the cell."""
    spec = editable(record, ref)
    if spec is None:
        try:
            CellRef.parse(ref)
        except ValueError:
            raise ValueError(f"{ref}：不是单元格引用 (not a cell reference)") from None
        raise ValueError(_say(ref, "本报告的表格中没有这个单元格", "this report's tables have no such cell", record))
    if raw is None or (isinstance(raw, str) and raw.strip() in BLANKS):
        if spec.kind in ("text", "year") and ref in ("meta.agency", "meta.year"):
            raise ValueError(_say(ref, "不能为空", "cannot be blank", record))
        return None
    if spec.kind in ("count", "signed", "amount"):
        try:
            d = _number(raw)
        except ValueError:
            raise ValueError(_say(ref, f"须为数字：{raw!r}", f"must be a number: {raw!r}", record)) from None
        if d is None:
            return None
        if spec.kind != "signed" and d < 0:
            raise ValueError(_say(ref, f"不能为负数：{raw}", f"cannot be negative: {raw}", record))
        if abs(d) > MAX_COUNT:
            raise ValueError(_say(ref, f"数值过大：{raw}", f"too large: {raw}", record))
        if spec.kind == "amount":
            return int(d) if d == d.to_integral_value() and "." not in str(raw) else float(d)
        if d != d.to_integral_value():
            raise ValueError(_say(ref, f"件数须为整数：{raw}", f"a count must be a whole number: {raw}", record))
        return int(d)
    text = str(raw).strip()
    if spec.kind == "year":
        if not re.fullmatch(r"\d{4}", text) or not 1990 <= int(text) <= _dt.date.today().year + 1:
            raise ValueError(_say(ref, f"须为年份：{raw}", f"must be a year: {raw}", record))
        return int(text)
    if spec.kind == "date":
        try:
            return _dt.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(_say(ref, f"须为日期 YYYY-MM-DD：{raw}", f"must be a date YYYY-MM-DD: {raw}",
                                  record)) from None
    if spec.kind == "choice":
        if text not in spec.choices:
            raise ValueError(_say(ref, f"须为 {'/'.join(spec.choices)} 之一：{raw}",
                                  f"must be one of {', '.join(spec.choices)}: {raw}", record))
        return text
    # text: one line, a sane length
    text = re.sub(r"\s+", "", text) if ref == "meta.agency" else " ".join(text.split())
    if not 2 <= len(text) <= 80:
        raise ValueError(_say(ref, "须为 2 至 80 个字", "must be 2 to 80 characters", record))
    if ref == "meta.region" and not _region_like(text):
        raise ValueError(_say(ref, f"无法识别的地区名：{text}", f"not a region name: {text}", record))
    return text


def _region_like(name: str) -> bool:
    """A chain of division names, each ending as divisions do (省, 市, 自治州, 县, 区, 街道 …)."""
    parts = split_region(name)
    suffixes = tuple(x for level in _SUFFIXES.values() for x in level)
    return bool(parts) and all(part.endswith(suffixes) for _, part in parts)


def check_values(record: Mapping, values: Mapping[str, object]) -> dict[str, object]:
    """Every value normalised; CorrectionRefused listing all the cells that do not fit."""
    out, problems = {}, []
    for ref, raw in values.items():
        try:
            out[str(ref)] = check_value(record, str(ref), raw)
        except ValueError as exc:
            problems.append((str(ref), str(exc)))
    if problems:
        raise CorrectionRefused(problems)
    return out


def value_of(record: Mapping, ref: str):
    """The value a record holds at ``ref`` (meta fields included); None when absent."""
    c = CellRef.parse(ref)
    if c.table == "meta":
        return (record.get("meta") or {}).get(c.key)
    from ..template import cell_value
    return cell_value(record, c)


def set_value(record: dict, ref: str, value) -> None:
    """Write ``value`` at ``ref`` in ``record`` (in place); a new row gets the table's full width."""
    c = CellRef.parse(ref)
    if c.table == "meta":
        record["meta"] = {**(record.get("meta") or {}), c.key: value}
        return
    table = record.get(c.table)
    if not isinstance(table, dict):
        table = {"rows": {}} if c.table == "t3" else ({"layout": t2_layout(record)} if c.table == "t2" else {})
        record[c.table] = table
    rows = table.setdefault("rows", {}) if c.table == "t3" else table
    if c.index is None:
        rows[c.key] = value
        return
    width = {"t3": T3_WIDTH, "t4": T4_WIDTH}.get(c.table, c.index + 1)
    row = rows.get(c.key)
    row = list(row) if isinstance(row, list) else []
    while len(row) < max(width, c.index + 1):
        row.append(None)
    row[c.index] = value
    rows[c.key] = row
