"""Export stored reports: CSV, Excel, Parquet, JSONL; wide (a row per report) or long (a row per cell)."""
from __future__ import annotations

import csv
import io
import json
import os
import re
from typing import IO, Iterator

from sqlalchemy import select

from ..template import T2_LAYOUTS, T3_ROWS, T3_WIDTH, T4_GROUPS, T4_WIDTH
from .cells import table_rows
from .schema import Agency, CellRow, Region, ReportFacts, Version

FORMATS = ("csv", "xlsx", "parquet", "jsonl")
LABELS = ("ref", "zh", "en")
# Column headers in words (``labels="zh"|"en"``); table cells are named by the template's row and column labels.
HEADERS = {
    "report_id": ("报告编号", "report id"), "agency": ("机关", "agency"), "region": ("地区", "region"),
    "level": ("层级", "level"), "kind": ("类别", "kind"), "year": ("年度", "year"),
    "template": ("表三格式", "form of table 3"), "version": ("版本", "version"), "findings": ("发现数", "findings"),
    "open_findings": ("待审核发现数", "open findings"), "ref": ("单元格编号", "cell reference"),
    "label": ("单元格", "cell"), "table": ("表", "table"), "row": ("行", "row"), "col": ("列", "column"),
    "value": ("数值", "value"), "text": ("文字", "text"), "confidence": ("置信度", "confidence"),
}
META_COLUMNS = ("report_id", "agency", "region", "level", "kind", "year", "template", "version", "findings",
                "open_findings")
LONG_COLUMNS = ("report_id", "agency", "region", "level", "year", "version", "ref", "table", "row", "col",
                "value", "text", "confidence")


def wide_cells() -> list[str]:
    refs: list[str] = []
    for layout in T2_LAYOUTS.values():
        for f in layout:
            for r in ([f"t2.{f.key}"] if f.scalar else [f"t2.{f.key}[{i}]" for i in range(len(f.columns))]):
                if r not in refs:
                    refs.append(r)
    refs += [f"t3.{row.key}[{c}]" for row in T3_ROWS for c in range(T3_WIDTH)]
    refs += [f"t4.{g}[{c}]" for g, _, _ in T4_GROUPS for c in range(T4_WIDTH)]
    return refs


def amount_cells() -> set[str]:
    """Cells that hold sums of money (万元, 采购总金额): they keep their decimals; every other cell is a count."""
    out = set()
    for layout in T2_LAYOUTS.values():
        for f in layout:
            if f.decimals:
                out.add(f"t2.{f.key}" if f.scalar else f"t2.{f.key}[{len(f.columns) - 1}]")
    return out


def cell_header(ref: str, lang: str) -> str:
    """A column's header in words, labels whole (a header is not a table cell: nothing is cut short);
    a table-二 cell that the two layouts name differently gets both names."""
    from ..template import T3_COLUMNS, T3_GROUPS, T3_GROUPS_EN, T3_HEADINGS, T3_ROW_BY_KEY, CellRef
    from ..validate.describe import describe_cell
    en = lang == "en"
    c = CellRef.parse(ref) if "." in ref else None
    if c is not None and c.table == "t3" and c.key in T3_ROW_BY_KEY and c.index is not None \
            and c.index < len(T3_COLUMNS):
        row = T3_ROW_BY_KEY[c.key]
        group = (T3_GROUPS_EN if en else T3_GROUPS).get(row.group or "") if row.group != "results" else None
        label = (row.label_en if en else row.label)
        col = T3_COLUMNS[c.index]
        coln = col.label_en if en else col.label
        if 0 < c.index < len(T3_COLUMNS) - 1 and col.label == "其他":   # the sixth column: other organisations
            coln = col.label_en if en else f"其他{T3_HEADINGS['organisations'][0]}"
        return (f"table 3 {group + ' ' if group else ''}{label} × {coln}" if en
                else f"表三 {group or ''}{label}·{coln}")
    if ref.startswith("t2."):
        names = []
        for layout in T2_LAYOUTS:
            if not _in_layout(ref, layout):
                continue
            name = describe_cell(ref, lang, layout)
            f = next(x for x in T2_LAYOUTS[layout] if x.key == c.key)
            if f.scalar:  # one number: its column says what (本年收费金额(单位:万元))
                name += f" × {f.columns_en[0]}" if en else f"·{f.columns[0]}"
            if name not in names:
                names.append(name)
        return " ／ ".join(names) or ref
    return describe_cell(ref, lang)


def _in_layout(ref: str, layout: str) -> bool:
    from ..template import CellRef
    c = CellRef.parse(ref)
    f = next((x for x in T2_LAYOUTS[layout] if x.key == c.key), None)
    return f is not None and (c.index is None) == f.scalar and (c.index is None or c.index < len(f.columns))


def headers(columns: list[str], labels: str) -> list[str]:
    """The header row: the columns' own names (``ref``), or words in Chinese or English, each unique."""
    if labels == "ref":
        return list(columns)
    i = 0 if labels == "zh" else 1
    out, seen = [], set()
    for c in columns:
        h = HEADERS[c][i] if c in HEADERS else cell_header(c, labels)
        if h in seen:
            h = f"{h} ({c})"
        seen.add(h)
        out.append(h)
    return out


def _whole(v):
    """Counts are whole numbers: 12.0 is written 12."""
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _reports(store, filters) -> Iterator[tuple[dict, dict]]:
    F = ReportFacts
    q = (select(F.report_id, F.level, F.kind, F.year, F.template, F.n_findings, F.n_open, Agency.name,
                Region.full_name, Version.number, Version.record)
         .select_from(F).join(Version, Version.id == F.version_id)
         .outerjoin(Agency, Agency.id == F.agency_id).outerjoin(Region, Region.id == F.region_id))
    for c in store._filters(**filters):
        q = q.where(c)
    with store.session() as s:
        for r in s.execute(q.order_by(F.report_id).execution_options(yield_per=500)):
            meta = {"report_id": r.report_id, "agency": r.name, "region": r.full_name, "level": r.level,
                    "kind": r.kind, "year": r.year, "template": r.template, "version": r.number,
                    "findings": r.n_findings, "open_findings": r.n_open}
            yield meta, r.record


def wide_rows(store, filters) -> tuple[list[str], Iterator[dict]]:
    refs = wide_cells()
    columns = list(META_COLUMNS) + refs
    fill = _wide_filler(refs)

    def gen():
        for meta, record in _reports(store, filters):
            yield dict(zip(columns, [meta[c] for c in META_COLUMNS] + fill(record)))
    return columns, gen()


def _wide_filler(refs: list[str]):
    """``fill(record)``: the values of ``refs`` (cells of tables 二, 三, 四) in that order, None where the
    record has none. Equivalent to looking every cell of ``iter_cells`` up among the refs, but a row at
    a time: the wide export of 10,000 reports spent most of its time there."""
    from ..template import CellRef
    # (table, row key) → its position as one number, or its positions by column (a table-二 key can be
    # one number in one layout and a row in the other)
    scalar: dict[tuple[str, str], int] = {}
    rows_at: dict[tuple[str, str], list] = {}
    for pos, ref in enumerate(refs):
        c = CellRef.parse(ref)
        if c.index is None:
            scalar[(c.table, c.key)] = pos
        else:
            slots = rows_at.setdefault((c.table, c.key), [])
            slots += [None] * (c.index + 1 - len(slots))
            slots[c.index] = pos
    money = {refs.index(r) for r in amount_cells() if r in refs}
    width = len(refs)

    def fill(record) -> list:
        out = [None] * width
        if not isinstance(record, dict):
            return out
        for tbl, key, value in table_rows(record):
            if isinstance(value, (list, tuple)):
                for pos, v in zip(rows_at.get((tbl, key), ()), value):
                    if pos is not None:
                        out[pos] = v if type(v) is not float or pos in money else _whole(v)
            else:
                pos = scalar.get((tbl, key))
                if pos is not None:
                    out[pos] = value if type(value) is not float or pos in money else _whole(value)
        return out
    return fill


def long_rows(store, filters) -> tuple[list[str], Iterator[dict]]:
    F = ReportFacts
    q = (select(F.report_id, Agency.name, Region.full_name, F.level, F.year, Version.number, CellRow.ref,
                CellRow.tbl, CellRow.row_key, CellRow.col, CellRow.value, CellRow.text, CellRow.confidence)
         .select_from(F).join(Version, Version.id == F.version_id).join(CellRow, CellRow.version_id == F.version_id)
         .outerjoin(Agency, Agency.id == F.agency_id).outerjoin(Region, Region.id == F.region_id))
    for c in store._filters(**filters):
        q = q.where(c)

    money = amount_cells()

    def gen():
        with store.session() as s:
            for r in s.execute(q.order_by(F.report_id, CellRow.id).execution_options(yield_per=5000)):
                row = dict(zip(LONG_COLUMNS, r))
                if row["ref"] not in money and not str(row["ref"]).startswith("legacy."):
                    row["value"] = _whole(row["value"])
                yield row
    return list(LONG_COLUMNS), gen()


def export(store, dest: str | os.PathLike | IO, fmt: str = "csv", form: str = "wide", filters: dict | None = None,
           labels: str = "ref") -> int:
    """Write the reports matching ``filters`` to ``dest``; returns the number of rows written.

    ``labels``: the header row as column names (``ref``: ``agency``, ``t3.new[0]``), or in words
    (``zh``: 机关, 表三“一、本年新收…”·自然人; ``en``); the long form then adds the cell in words."""
    if fmt not in FORMATS:
        raise ValueError(f"不支持的导出格式 {fmt} (unsupported format); 可用 (use) {', '.join(FORMATS)}")
    if form not in ("wide", "long"):
        raise ValueError(f"形式须为 wide 或 long (form must be wide or long): {form}")
    if labels not in LABELS:
        raise ValueError(f"列名须为 {'/'.join(LABELS)} (labels must be one of {', '.join(LABELS)}): {labels}")
    columns, rows = (wide_rows if form == "wide" else long_rows)(store, filters or {})
    if labels != "ref" and form == "long":
        columns, rows = _with_words(columns, rows, labels)
    names = headers(columns, labels)
    if names != columns:
        rename = dict(zip(columns, names))
        rows = ({rename[k]: v for k, v in row.items()} for row in rows)
        return WRITERS[fmt](dest, names, rows, {rename[k]: k for k in columns})
    return WRITERS[fmt](dest, columns, rows, {c: c for c in columns})


def _with_words(columns, rows, lang):
    from functools import lru_cache

    @lru_cache(maxsize=4096)
    def words(ref):
        return cell_header(ref, lang)
    cols = list(columns)
    cols.insert(cols.index("ref") + 1, "label")

    def gen():
        for row in rows:
            row["label"] = words(row["ref"])
            yield {c: row[c] for c in cols}
    return cols, gen()


def _open_text(dest):
    if hasattr(dest, "write"):
        return dest, False
    return open(dest, "w", encoding="utf-8", newline=""), True


def _csv(dest, columns, rows, _orig=None) -> int:
    fh, close = _open_text(dest)
    if close:
        fh.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
    n = 0
    try:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for row in rows:
            w.writerow(row)
            n += 1
    finally:
        if close:
            fh.close()
    return n


def _jsonl(dest, columns, rows, _orig=None) -> int:
    fh, close = _open_text(dest)
    n = 0
    try:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            n += 1
    finally:
        if close:
            fh.close()
    return n


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XLSX_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="reports" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '</Relationships>',
    "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>',
}


def _xlsx_cell(v) -> str:
    if v is None:
        return "<c/>"
    if isinstance(v, bool):
        return f'<c t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int) or isinstance(v, float) and v == v and v not in (float("inf"), float("-inf")):
        return f"<c><v>{int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 1e15 else v}</v></c>"
    text = _XML_BAD.sub("", str(v)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _xlsx(dest, columns, rows, _orig=None) -> int:
    """A workbook written as a stream of XML (a row per line, inline strings, no per-cell objects):
    10,000 reports of ~200 columns in about a second where openpyxl takes ten."""
    import zipfile
    n = 0
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, body in _XLSX_PARTS.items():
            zf.writestr(name, body)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            out.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                      '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            out.write("<row>" + "".join(_xlsx_cell(c) for c in columns) + "</row>")
            cell = _xlsx_cell
            # most cells are None or small counts: their XML is looked up, not built (bool is kept out:
            # True == 1 would find the number's entry)
            known: dict = {None: "<c/>"}
            buf = []
            for row in rows:
                xml = []
                for v in [row[c] for c in columns]:
                    x = known.get(v) if v is None or type(v) is int else None
                    if x is None:
                        x = cell(v)
                        if type(v) is int and len(known) < 100_000:
                            known[v] = x
                    xml.append(x)
                buf.append("<row>" + "".join(xml) + "</row>")
                n += 1
                if len(buf) >= 500:
                    out.write("".join(buf))
                    buf.clear()
            out.write("".join(buf) + "</sheetData></worksheet>")
            out.flush()
            out.detach()
    return n


def _parquet(dest, columns, rows, orig=None) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq
    orig = orig or {c: c for c in columns}
    types = {"report_id": pa.int64(), "year": pa.int64(), "version": pa.int64(), "findings": pa.int64(),
             "open_findings": pa.int64(), "col": pa.int64(), "value": pa.float64(), "confidence": pa.float64()}

    def typ(c):
        if c in types:
            return types[c]
        # a column has one type: cells are doubles (exact for any count), so that a count printed with a
        # decimal (which the validator flags) is kept as it is rather than lost
        return pa.float64() if c.startswith(("t2.", "t3.", "t4.")) else pa.string()
    schema = pa.schema([(c, typ(orig[c])) for c in columns])
    writer = pq.ParquetWriter(dest, schema)
    n = 0
    batch: list[dict] = []

    def flush():
        if batch:
            cols = {c: [_coerce(r[c], schema.field(c).type) for r in batch] for c in columns}
            writer.write_table(pa.table(cols, schema=schema))
            batch.clear()
    try:
        for row in rows:
            batch.append(row)
            n += 1
            if len(batch) >= 5000:
                flush()
        flush()
    finally:
        writer.close()
    return n


def _coerce(v, typ):
    import pyarrow as pa
    if v is None:
        return None
    if pa.types.is_floating(typ):
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    if pa.types.is_integer(typ):
        return int(v)
    return str(v)


WRITERS = {"csv": _csv, "jsonl": _jsonl, "xlsx": _xlsx, "parquet": _parquet}
