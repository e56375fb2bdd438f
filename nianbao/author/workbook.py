"""Excel, the agency staff's habit: a workbook shaped like the template, and reading it back.

``write_workbook(draft)`` → .xlsx bytes with five sheets:

- 说明: what the workbook is, the report's agency / region / year / forms (locked), the sign-off
  date and the contact sentence (to fill in);
- 表二, 表三, 表四: the tables laid out as the template prints them (merged header cells), every cell
  the author types unlocked and tinted, every total a formula (``=SUM(…)``) on a locked grey cell,
  pre-filled where known (上年结转 from last year; 现行有效件数 as the formula last year's + 本年制发 −
  本年废止, which the author may type over); the sheets are protected (no password) so that labels and
  totals cannot be typed over by accident, and Excel's data validation refuses text and negative counts;
- 正文: the six sections, a box for this year's text beside last year's (for reference only).

``read_workbook(path)`` → (record, contact) or :class:`WorkbookError` listing every problem, each
naming its place: sheet, cell, and the row and column labels of the form (表三!D7「（一）予以公开」×
「自然人」: "十二" is not a number). Totals are recomputed from their parts; a total typed over with a
different number is a problem, not a silent choice.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..template import T2_LAYOUTS, T3_COLUMNS, T3_ROW_BY_KEY, T4_COLUMNS, T4_GROUPS, CellRef, SECTIONS
from .draft import (FORMAT, AuthorError, blank_record, complete, form_of, get_value, layout_of, leaf_refs,
                    parse_number, previous_record, reference_text, suggestions, to_record, total_refs)
from .layout import Grid, cell_text, grids, spans

SHEETS = {"t2": "表二", "t3": "表三", "t4": "表四"}
COVER, TEXT = "说明", "正文"
ORIGIN_ROW = 3          # the grid's first row (row 1: the table's title)
MAX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED = 80 * 1024 * 1024
READ_ROWS, READ_COLS = 80, 20  # far more than any sheet of the form: anything beyond is never read

TITLES = {"t2": "二、主动公开政府信息情况", "t3": "三、收到和处理政府信息公开申请情况",
          "t4": "四、政府信息公开行政复议、行政诉讼情况"}
WIDTHS = {"t2": (22, 16, 16, 16), "t3": (5, 12, 40) + (10,) * 7, "t4": (9,) * 15}
# 说明 sheet: label → key; the values stand in column B.
COVER_FIELDS = (("机关名称", "agency"), ("所在地区", "region"), ("报告年度", "year"), ("表三格式", "template"),
                ("表二格式", "layout"), ("落款日期", "published"), ("联系方式", "contact"), ("文件格式", "format"))
EDITABLE_COVER = {"published", "contact"}


class WorkbookError(AuthorError):
    """The workbook cannot be read; ``problems`` are the messages, each naming its place."""

    def __init__(self, path, problems: list[str]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:40])
        more = f"\n  … 另有 {len(problems) - 40} 处 (and {len(problems) - 40} more)" if len(problems) > 40 else ""
        super().__init__(f"{path}: 工作簿有 {len(problems)} 处问题 (the workbook has {len(problems)} problems):\n"
                         f"{shown}{more}")


def _col(c: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(c)


def positions(grid: Grid) -> dict[str, tuple[int, int]]:
    """ref → (row, column), 1-based, of each value cell of a table sheet."""
    return {cell.ref: (ORIGIN_ROW + r, 1 + c) for r, c, cell in spans(grid) if cell.kind == "value"}


def labels(ref: str, layout: str) -> tuple[str, str]:
    """The form's row label and column label of a cell, as printed."""
    r = CellRef.parse(ref)
    if r.table == "t3":
        return T3_ROW_BY_KEY[r.key].label, T3_COLUMNS[r.index].label
    if r.table == "t4":
        group = next(g for g in T4_GROUPS if g[0] == r.key)
        return group[1], T4_COLUMNS[r.index].label
    f = next(x for x in T2_LAYOUTS[layout] if x.key == r.key)
    return f.label, f.columns[r.index or 0]


def place(sheet: str, row: int, col: int, ref: str, layout: str) -> str:
    row_label, col_label = labels(ref, layout)
    return f"{sheet}!{_col(col)}{row}（“{row_label}”行 × “{col_label}”列）"


# ---------------------------------------------------------------------- writing

def write_workbook(draft: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    record = to_record(draft)
    form, layout = form_of(record), layout_of(record)
    leaves, totals = set(leaf_refs(form, layout)), set(total_refs(form))
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    leaf_fill = PatternFill("solid", fgColor="FFF7CC")
    total_fill = PatternFill("solid", fgColor="E6E6E6")
    head_font, body_font = Font(name="仿宋_GB2312", bold=True, size=10), Font(name="仿宋_GB2312", size=10)
    wrap_center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap_left = Alignment(horizontal="left", vertical="center", wrap_text=True)
    unlocked = Protection(locked=False)

    wb = Workbook()
    cover = wb.active
    cover.title = COVER
    _cover(cover, draft, record, Font, Alignment, unlocked, leaf_fill)

    suggested = suggestions(draft)
    for key, grid in grids(record).items():
        ws = wb.create_sheet(SHEETS[key])
        ws["A1"] = TITLES[key]
        ws["A1"].font = Font(name="黑体", size=14)
        for i, w in enumerate(WIDTHS[key], start=1):
            ws.column_dimensions[_col(i)].width = w
        pos = positions(grid)
        counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle="须为非负整数",
                                error="件数须为不小于 0 的整数 (a count is a whole number, 0 or more)")
        money = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                               showErrorMessage=True, errorTitle="须为非负数",
                               error="金额须为不小于 0 的数 (an amount is a number, 0 or more)")
        signed = DataValidation(type="whole", operator="between", formula1="-1000000000", formula2="1000000000",
                                allow_blank=True, showErrorMessage=True, errorTitle="须为整数",
                                error="须为整数，可为负数 (a whole number, may be negative)")
        for v in (counts, money, signed):
            ws.add_data_validation(v)
        for r, c, cell in spans(grid):
            row, col = ORIGIN_ROW + r, 1 + c
            if cell.rowspan > 1 or cell.colspan > 1:
                ws.merge_cells(start_row=row, start_column=col, end_row=row + cell.rowspan - 1,
                               end_column=col + cell.colspan - 1)
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    ws.cell(row + dr, col + dc).border = box
            xl = ws.cell(row, col)
            if cell.kind != "value":
                xl.value = cell_text(cell)
                xl.font = head_font if cell.kind == "header" else body_font
                xl.alignment = wrap_left if cell.kind == "label" and key != "t4" else wrap_center
                if cell.kind == "group" and key == "t3" and cell.rowspan > 10:
                    xl.alignment = Alignment(horizontal="center", vertical="center", text_rotation=255)
                continue
            xl.font, xl.alignment = body_font, wrap_center
            if cell.ref in totals:
                xl.value = _total_formula(cell.ref, pos, form)
                xl.fill = total_fill
                continue
            if cell.ref in suggested and suggested[cell.ref]["following"]:
                s = suggested[cell.ref]
                issued, repealed = (pos[cell.ref.replace("[2]", f"[{i}]")] for i in (0, 1))
                xl.value = f"={s['last']}+{_col(issued[1])}{issued[0]}-{_col(repealed[1])}{repealed[0]}"
            else:
                value = get_value(record, cell.ref)
                xl.value = value
            xl.protection, xl.fill = unlocked, leaf_fill
            if cell.ref.startswith("t2."):
                _, neg, dec = _t2_kind(layout, cell.ref)
                (money if dec else signed if neg else counts).add(xl)
                if dec:
                    xl.number_format = "0.######"
            else:
                counts.add(xl)
        _protect(ws)
    _sections(wb.create_sheet(TEXT), draft, record, Font, Alignment, unlocked, leaf_fill)
    _protect(wb[TEXT])
    _protect(cover)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _t2_kind(layout: str, ref: str):
    from .draft import t2_column
    return t2_column(layout, ref)


def _protect(ws) -> None:
    ws.protection.sheet = True
    # what stays allowed on a protected sheet: widening columns and rows, selecting
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _total_formula(ref: str, pos: dict, form: str) -> str:
    from ..template import T3_TOTAL_COL, T4_WIDTH, t3_leaf_keys
    r = CellRef.parse(ref)
    if r.table == "t4":
        first, last = pos[f"t4.{r.key}[0]"], pos[f"t4.{r.key}[{T4_WIDTH - 2}]"]
        return f"=SUM({_col(first[1])}{first[0]}:{_col(last[1])}{last[0]})"
    if r.index == T3_TOTAL_COL:
        first, last = pos[f"t3.{r.key}[0]"], pos[f"t3.{r.key}[{T3_TOTAL_COL - 1}]"]
        return f"=SUM({_col(first[1])}{first[0]}:{_col(last[1])}{last[0]})"
    leaves = t3_leaf_keys(form)
    first, last = pos[f"t3.{leaves[0]}[{r.index}]"], pos[f"t3.{leaves[-1]}[{r.index}]"]
    return f"=SUM({_col(first[1])}{first[0]}:{_col(last[1])}{last[0]})"


def _cover(ws, draft, record, Font, Alignment, unlocked, fill) -> None:
    meta = record["meta"]
    ws["A1"] = f"{meta['agency']}{meta['year']}年政府信息公开工作年度报告 · 填报工作簿"
    ws["A1"].font = Font(name="黑体", size=14)
    ws["A2"] = ("黄色格为填写项；灰色合计栏为公式，自动计算。填好后用 nianbao author load 读回校验。"
                " Yellow cells are to be filled in; grey totals are formulas. Read it back with nianbao author load.")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:D2")
    ws.row_dimensions[2].height = 48
    values = {"agency": meta["agency"], "region": meta.get("region") or "", "year": meta["year"],
              "template": form_of(record), "layout": layout_of(record), "published": meta.get("published") or "",
              "contact": draft.get("contact") or "", "format": FORMAT}
    for i, (label, key) in enumerate(COVER_FIELDS, start=4):
        ws.cell(i, 1, label).font = Font(bold=True)
        cell = ws.cell(i, 2, values[key])
        if key in EDITABLE_COVER or (key in ("agency", "region") and not values[key]):
            cell.protection, cell.fill = unlocked, fill
        if key == "published":
            ws.cell(i, 3, "格式 YYYY-MM-DD，如 2026-01-20 (date of the sign-off)")
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 48
    ws.column_dimensions["C"].width = 40
    prev = previous_record(draft)
    if prev:
        ws.cell(4 + len(COVER_FIELDS) + 1, 1, "上年报告").font = Font(bold=True)
        ws.cell(4 + len(COVER_FIELDS) + 1, 2, f"{prev['meta'].get('year')} 年度（表三“二、上年结转”已按其“四、结转下年度”预填）")


def _sections(ws, draft, record, Font, Alignment, unlocked, fill) -> None:
    ws["A1"], ws["B1"], ws["C1"], ws["D1"] = "部分", "标题", "本年正文（请撰写）", "上年原文（仅供参考，勿照抄）"
    for c in "ABCD":
        ws[f"{c}1"].font = Font(bold=True)
    last = previous_record(draft) or {}
    prev = {s.get("number"): reference_text(s.get("text") or "", last.get("meta"))
            for s in last.get("sections") or []}
    for i, sec in enumerate(record["sections"], start=2):
        ws.cell(i, 1, sec["number"])
        ws.cell(i, 2, sec["title"])
        body = ws.cell(i, 3, sec.get("text") or "")
        body.protection, body.fill = unlocked, fill
        body.alignment = Alignment(wrap_text=True, vertical="top")
        old = ws.cell(i, 4, prev.get(sec["number"], ""))
        old.alignment = Alignment(wrap_text=True, vertical="top")
        old.font = Font(color="666666")
        ws.row_dimensions[i].height = 160
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 60


# ---------------------------------------------------------------------- reading

@dataclass
class _Sheet:
    values: dict            # (row, col) → value (formulas as "=…")
    cached: dict            # (row, col) → value Excel last computed (None when never computed)


def _guard(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AuthorError(f"{path}: 无法读取 (cannot read): {exc.strerror}") from None
    if size > MAX_BYTES:
        raise AuthorError(f"{path}: 文件过大（{size / 1e6:.0f} MB），不是年报工作簿 (too large for a report workbook)")
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise AuthorError(f"{path}: 不是 Excel 工作簿（.xlsx） (not an Excel workbook): {exc}") from None
    if total > MAX_UNZIPPED:
        raise AuthorError(f"{path}: 解压后过大（{total / 1e6:.0f} MB），拒绝读取 (inflates too far: refused)")


def _load(path: Path):
    import openpyxl
    try:
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
        cached = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file; all mean "cannot read it"
        raise AuthorError(f"{path}: 无法打开工作簿 (cannot open the workbook): {type(exc).__name__}: {exc}") from None
    sheets = {}
    for name in formulas.sheetnames:
        values, computed = {}, {}
        for src, dst in ((formulas[name], values), (cached[name], computed)):
            for row in src.iter_rows(min_row=1, max_row=READ_ROWS, max_col=READ_COLS):
                for cell in row:
                    if getattr(cell, "value", None) is not None:
                        dst[(cell.row, cell.column)] = cell.value
        sheets[name] = _Sheet(values, computed)
    formulas.close()
    cached.close()
    return sheets


def _text(v) -> str:
    return "" if v is None else " ".join(str(v).split())


def _date(v) -> str | None:
    if v in (None, ""):
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    s = _text(v)
    m = re.fullmatch(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?", s)
    if not m:
        raise ValueError(s)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()


def read_workbook(path: str | Path) -> tuple[dict, str | None]:
    """(record, contact) from a filled workbook; WorkbookError naming every problem's place."""
    path = Path(path)
    _guard(path)
    sheets = _load(path)
    problems: list[str] = []
    if COVER not in sheets:
        raise WorkbookError(path, [f"缺少工作表“{COVER}”（机关、年度、格式在此） (the sheet {COVER} is missing: it holds "
                                   "the agency, year and form)"])
    cover = {_text(sheets[COVER].values.get((r, 1))): sheets[COVER].values.get((r, 2))
             for r in range(1, READ_ROWS) if (r, 1) in sheets[COVER].values}
    meta = {key: cover.get(label) for label, key in COVER_FIELDS}
    try:
        year = int(str(meta["year"]).strip())
    except (TypeError, ValueError):
        raise WorkbookError(path, [f"{COVER}!B6（报告年度）：“{meta['year']}”不是年份 (not a year)"]) from None
    form = _text(meta["template"]) or None
    layout = _text(meta["layout"]) or form
    try:
        record = blank_record(_text(meta["agency"]), year, region=_text(meta["region"]) or None, form=form,
                              layout=layout)
    except AuthorError as exc:
        raise WorkbookError(path, [f"{COVER}: {exc}"]) from None
    try:
        record["meta"]["published"] = _date(meta["published"])
    except ValueError:
        problems.append(f"{COVER}!B9（落款日期）：“{_text(meta['published'])}”不是日期，应写作 2026-01-20 "
                        f"(not a date: write it as 2026-01-20)")
    totals = set(total_refs(form_of(record)))
    values: dict[str, object] = {}
    typed_totals: list[tuple[str, str, object]] = []
    for key, grid in grids(record).items():
        name = SHEETS[key]
        sheet = sheets.get(name)
        if sheet is None:
            problems.append(f"缺少工作表“{name}” (the sheet {name} is missing)")
            continue
        problems += _check_labels(sheet, grid, name)
        for ref, (row, col) in positions(grid).items():
            raw = sheet.values.get((row, col))
            where = place(name, row, col, ref, layout_of(record))
            if ref in totals:
                if raw is not None and not (isinstance(raw, str) and raw.startswith("=")):
                    typed_totals.append((ref, where, raw))
                continue
            if isinstance(raw, str) and raw.startswith("="):
                raw = _formula_value(raw, sheet, record, grid) if sheet.cached.get((row, col)) is None \
                    else sheet.cached[(row, col)]
                if raw is _UNKNOWN:
                    problems.append(f"{where}：含公式且没有计算结果，请填写数字 (holds a formula with no computed "
                                    "value: enter a number)")
                    continue
            if isinstance(raw, (dt.date, dt.datetime)):
                problems.append(f"{where}：填的是日期，应为数字 (holds a date: enter a number)")
                continue
            try:
                values[ref] = parse_number(raw, ref, layout_of(record))
            except AuthorError as exc:
                problems.append(f"{where}：{_reason(exc)}")
    if TEXT not in sheets:
        problems.append(f"缺少工作表“{TEXT}”（六个部分的正文） (the sheet {TEXT} is missing: it holds the six sections)")
    else:
        rows = {_text(sheets[TEXT].values.get((r, 1))): r for r in range(2, READ_ROWS)}
        for sec in record["sections"]:
            r = rows.get(sec["number"])
            if r is None:
                problems.append(f"{TEXT}：找不到第{sec['number']}部分的行 (no row for section {sec['number']})")
                continue
            body = sheets[TEXT].values.get((r, 3))
            sec["text"] = str(body).replace("\r\n", "\n").strip() if body is not None else ""
    for ref, v in values.items():
        _set(record, ref, v)
    complete(record)
    for ref, where, raw in typed_totals:
        want = get_value(record, ref)
        try:
            got = float(str(raw).replace(",", ""))
        except ValueError:
            got = None
        if got is None or want is None or abs(got - want) > 1e-9:
            problems.append(f"{where}：合计栏应为公式（自动相加），却填了 {raw!r}，与各分项之和 {want} 不符 "
                            f"(a total is a formula; it was typed over with {raw!r}, while its parts add up to {want})")
    if problems:
        raise WorkbookError(path, problems)
    contact = _text(meta["contact"]) or None
    return record, contact


def _reason(exc: AuthorError) -> str:
    """The part of a cell message after the cell's own name (the place already names it)."""
    text = str(exc)
    return text.split("：", 1)[1] if "：" in text else text


def _set(record: dict, ref: str, value) -> None:
    from .draft import _put
    _put(record, ref, value)


def _check_labels(sheet: _Sheet, grid: Grid, name: str) -> list[str]:
    """The form's labels where the template prints them: a sheet whose rows were moved cannot be read."""
    out = []
    for r, c, cell in spans(grid):
        if cell.kind not in ("label", "group") or not cell.text:
            continue
        row, col = ORIGIN_ROW + r, 1 + c
        found = _text(sheet.values.get((row, col)))
        want = cell_text(cell)
        if re.sub(r"\s", "", found) != re.sub(r"\s", "", want):
            out.append(f"{name}!{_col(col)}{row}：此处应为“{want}”，却是“{found}”——表格的行被移动或改写，请用 "
                       f"nianbao author template 重新生成工作簿 (the form's label {want!r} is expected here, found "
                       f"{found!r}: the sheet's rows were moved or edited)")
            if len(out) >= 3:
                break
    return out


_UNKNOWN = object()


def _formula_value(formula: str, sheet: _Sheet, record: dict, grid: Grid):
    """The value of the one formula the workbook writes into a cell the author may type over:
    现行有效件数 ``=<last year>+<issued cell>-<repealed cell>``; anything else is unknown."""
    m = re.fullmatch(r"=\s*(\d+)\s*\+\s*([A-Z]+)(\d+)\s*-\s*([A-Z]+)(\d+)\s*", formula.upper())
    if not m:
        return _UNKNOWN
    from openpyxl.utils import column_index_from_string
    last = int(m.group(1))
    parts = []
    for letters, row in ((m.group(2), m.group(3)), (m.group(4), m.group(5))):
        v = sheet.values.get((int(row), column_index_from_string(letters)))
        if isinstance(v, str):
            try:
                v = float(v.strip() or 0)
            except ValueError:
                return _UNKNOWN
        parts.append(v or 0)
    return last + parts[0] - parts[1]


__all__ = ["write_workbook", "read_workbook", "WorkbookError", "SHEETS", "positions", "labels", "place"]
