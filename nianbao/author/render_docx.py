"""A record → a Word file in the official layout (python-docx).

What an agency prints: the title in 方正小标宋简体 二号 on two lines (agency; 「2025年政府信息公开
工作年度报告」), the opening paragraph with the statistics period, the six sections under their
headings (黑体), tables 二/三/四 in their sections with the template's merged header cells, body and
tables in 仿宋_GB2312, the sign-off (agency, date) on the right, page numbers 「— 1 —」 in the footer;
A4 with the margins of GB/T 9704. The fonts carry fallbacks (see :mod:`nianbao.author.fonts`).

In sections 二, 三 and 四 the table comes first, the author's words after it.
"""
from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

from . import fonts, text
from .layout import TABLE_TITLES, Grid, cell_text, grids, spans

TEXT_WIDTH_MM = 210 - 28 - 26   # A4 less the GB/T 9704 side margins
TWIPS_PER_MM = 56.6929

# Column widths (mm) and font size (pt) of each table: table 三's label columns are wide, table
# 四's fifteen numbers share the width evenly.
COLUMNS_MM = {"t2": (50, 35, 35, 36), "t3": (10, 19, 48) + (11.3,) * 7, "t4": (156 / 15,) * 15}
TABLE_PT = {"t2": 12, "t3": 9, "t4": 9}

STYLE_TITLE, STYLE_HEADING, STYLE_BODY, STYLE_TABLE, STYLE_SIGN, STYLE_REFERENCE = (
    "NB Title", "Heading 1", "NB Body", "NB Table", "NB Signoff", "NB Reference")
# Opens every paragraph of last year's text in a working copy; reading the file back drops them.
REFERENCE_MARK = "【上年原文，仅供参考，勿照抄】"


def _fonts_xml(face: fonts.Face) -> str:
    return (f'<w:rFonts w:ascii="{fonts.LATIN}" w:hAnsi="{fonts.LATIN}" w:eastAsia="{escape(face.name)}" '
            f'w:cs="{fonts.LATIN}"/>')


def _set_rpr(style, face: fonts.Face, size_pt: float, bold: bool = False) -> None:
    rpr = style.element.get_or_add_rPr()
    for child in list(rpr):
        rpr.remove(child)
    rpr.append(parse_xml(f'<w:rFonts {nsdecls("w")} w:ascii="{fonts.LATIN}" w:hAnsi="{fonts.LATIN}" '
                         f'w:eastAsia="{escape(face.name)}" w:cs="{fonts.LATIN}"/>'))
    if bold:
        rpr.append(parse_xml(f'<w:b {nsdecls("w")}/>'))
    rpr.append(parse_xml(f'<w:color {nsdecls("w")} w:val="000000"/>'))
    half = str(int(size_pt * 2))
    rpr.append(parse_xml(f'<w:sz {nsdecls("w")} w:val="{half}"/>'))
    rpr.append(parse_xml(f'<w:szCs {nsdecls("w")} w:val="{half}"/>'))
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="en-US" w:eastAsia="zh-CN"/>'))


def _paragraph_style(doc, name: str, face: fonts.Face, size_pt: float, *, align=None, first_line_chars=0,
                     line_pt: float | None = None, before_pt: float = 0, after_pt: float = 0, right_chars=0,
                     bold: bool = False, outline: int | None = None):
    from docx.enum.style import WD_STYLE_TYPE
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    _set_rpr(style, face, size_pt, bold)
    ppr = style.element.get_or_add_pPr()
    for child in list(ppr):
        ppr.remove(child)
    ppr.append(parse_xml(f'<w:keepNext {nsdecls("w")}/>') if outline is not None
               else parse_xml(f'<w:widowControl {nsdecls("w")}/>'))
    spacing = f'w:before="{int(before_pt * 20)}" w:after="{int(after_pt * 20)}"'
    if line_pt:
        spacing += f' w:line="{int(line_pt * 20)}" w:lineRule="exact"'
    ppr.append(parse_xml(f'<w:spacing {nsdecls("w")} {spacing}/>'))
    if first_line_chars or right_chars:
        ind = ""
        if first_line_chars:
            ind += f' w:firstLineChars="{first_line_chars * 100}" w:firstLine="{int(first_line_chars * size_pt * 20)}"'
        if right_chars:
            ind += f' w:rightChars="{right_chars * 100}" w:right="{int(right_chars * size_pt * 20)}"'
        ppr.append(parse_xml(f'<w:ind {nsdecls("w")}{ind}/>'))
    if align:
        ppr.append(parse_xml(f'<w:jc {nsdecls("w")} w:val="{align}"/>'))
    if outline is not None:
        ppr.append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="{outline}"/>'))
    style.base_style = None
    return style


def _setup(doc) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.footer_distance = Mm(20)
    normal = doc.styles["Normal"]
    _set_rpr(normal, fonts.BODY, 16)
    _paragraph_style(doc, STYLE_TITLE, fonts.TITLE, 22, align="center", line_pt=36)
    _paragraph_style(doc, STYLE_HEADING, fonts.HEADING, 16, line_pt=28, first_line_chars=2, outline=0)
    _paragraph_style(doc, STYLE_BODY, fonts.BODY, 16, align="both", first_line_chars=2, line_pt=28)
    _paragraph_style(doc, STYLE_TABLE, fonts.BODY, 10.5, align="center", line_pt=None)
    _paragraph_style(doc, STYLE_SIGN, fonts.BODY, 16, align="right", right_chars=4, line_pt=28)
    # the document's default runs: Chinese text in 仿宋_GB2312, marked as Chinese
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            for child in list(rpr):
                rpr.remove(child)
            rpr.append(parse_xml(f'<w:rFonts {nsdecls("w")} w:ascii="{fonts.LATIN}" w:hAnsi="{fonts.LATIN}" '
                                 f'w:eastAsia="{escape(fonts.BODY.name)}" w:cs="{fonts.LATIN}"/>'))
            rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="en-US" w:eastAsia="zh-CN"/>'))
    _page_numbers(sec)


def _page_numbers(section) -> None:
    """「— 1 —」 centred in the footer, in 宋体 四号 as official documents print it."""
    footer = section.footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    rpr = (f'<w:rPr><w:rFonts w:ascii="{fonts.LATIN}" w:hAnsi="{fonts.LATIN}" w:eastAsia="宋体"/>'
           f'<w:sz w:val="28"/></w:rPr>')
    p._p.append(parse_xml(f'<w:r {nsdecls("w")}>{rpr}<w:t xml:space="preserve">— </w:t></w:r>'))
    p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr=" PAGE "><w:r>{rpr}<w:t>1</w:t></w:r></w:fldSimple>'))
    p._p.append(parse_xml(f'<w:r {nsdecls("w")}>{rpr}<w:t xml:space="preserve"> —</w:t></w:r>'))


def _run_xml(value: str, size_pt: float | None = None) -> str:
    rpr = "" if size_pt is None else f'<w:rPr><w:sz w:val="{int(size_pt * 2)}"/><w:szCs w:val="{int(size_pt * 2)}"/></w:rPr>'
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(value)}</w:t></w:r>' if value else ""


def table_xml(grid: Grid, style_id: str) -> str:
    """One ``w:tbl``: the grid's cells with gridSpan across and vMerge down, widths fixed."""
    widths = [int(mm * TWIPS_PER_MM) for mm in COLUMNS_MM[grid.name]]
    size = TABLE_PT[grid.name]
    placed: dict[int, list[tuple[int, object]]] = {}
    for r, c, cell in spans(grid):
        placed.setdefault(r, []).append((c, cell))
        for dr in range(1, cell.rowspan):
            placed.setdefault(r + dr, []).append((c, None if cell.colspan == 1 else cell.colspan))
    border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
           f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
           '<w:tblCellMar><w:left w:w="40" w:type="dxa"/><w:right w:w="40" w:type="dxa"/></w:tblCellMar>'
           '<w:tblLook w:val="0000"/></w:tblPr><w:tblGrid>']
    out += [f'<w:gridCol w:w="{w}"/>' for w in widths]
    out.append("</w:tblGrid>")
    # the small tables stay on one page, table 三 keeps its header with its first rows
    keep_rows = len(grid.rows) - 1 if grid.name in ("t2", "t4") else 4
    for r in range(len(grid.rows)):
        keep = "<w:keepNext/>" if r < keep_rows else ""
        out.append('<w:tr><w:trPr><w:cantSplit/></w:trPr>')
        for c, cell in sorted(placed.get(r, []), key=lambda x: x[0]):
            if cell is None or isinstance(cell, int):  # under a cell spanning rows
                span = 1 if cell is None else cell
                w = sum(widths[c:c + span])
                grid_span = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
                out.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>{grid_span}<w:vMerge/></w:tcPr>'
                           f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/>{keep}</w:pPr></w:p></w:tc>')
                continue
            w = sum(widths[c:c + cell.colspan])
            props = f'<w:tcW w:w="{w}" w:type="dxa"/>'
            if cell.colspan > 1:
                props += f'<w:gridSpan w:val="{cell.colspan}"/>'
            if cell.rowspan > 1:
                props += '<w:vMerge w:val="restart"/>'
            props += '<w:vAlign w:val="center"/>'
            align = "left" if cell.kind == "label" and grid.name != "t4" else "center"
            out.append(f'<w:tc><w:tcPr>{props}</w:tcPr><w:p><w:pPr><w:pStyle w:val="{style_id}"/>{keep}'
                       f'<w:jc w:val="{align}"/></w:pPr>{_run_xml(cell_text(cell), size)}</w:p></w:tc>')
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _add_table(doc, grid: Grid) -> None:
    style_id = doc.styles[STYLE_TABLE].style_id
    body = doc.element.body
    tbl = parse_xml(table_xml(grid, style_id))
    body.insert(len(body) - 1, tbl)  # before the final sectPr
    # a table directly followed by another block needs a paragraph between (Word merges adjacent tables)
    doc.add_paragraph("", style=STYLE_BODY)


def render_docx(record: dict, *, properties: dict | None = None, references: dict[str, str] | None = None,
                banner: str | None = None) -> bytes:
    """The Word file of a complete record (see :func:`nianbao.author.draft.to_record`).

    A working copy (not the report) may carry ``references``: section number → last year's text,
    printed grey under the section, each paragraph marked :data:`REFERENCE_MARK` so that reading the
    file back drops it; and a ``banner`` in the page header ("草稿").
    """
    meta = record.get("meta") or {}
    doc = Document()
    _setup(doc)
    if banner:
        head = doc.sections[0].header.paragraphs[0]
        head.text = banner
        head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if references:
        _paragraph_style(doc, STYLE_REFERENCE, fonts.BODY, 12, align="both", line_pt=20)
        ref_rpr = doc.styles[STYLE_REFERENCE].element.get_or_add_rPr()
        ref_rpr.find(qn("w:color")).set(qn("w:val"), "7F7F7F")
    for line in text.title_lines(meta):
        doc.add_paragraph(line, style=STYLE_TITLE)
    doc.add_paragraph("", style=STYLE_BODY)
    doc.add_paragraph(text.opening(meta, record.get("contact") or "") if not record.get("preamble")
                      else record["preamble"], style=STYLE_BODY)
    tables = grids(record)
    by_section = {sec: key for key, (sec, _, _) in TABLE_TITLES.items()}
    for sec in record.get("sections") or []:
        doc.add_paragraph(text.heading(sec["number"], sec["title"]), style=STYLE_HEADING)
        key = by_section.get(sec["number"])
        if key in tables:
            _add_table(doc, tables[key])
        for para in text.paragraphs(sec.get("text") or ""):
            doc.add_paragraph(para, style=STYLE_BODY)
        for para in text.paragraphs((references or {}).get(sec["number"]) or ""):
            doc.add_paragraph(REFERENCE_MARK + para, style=STYLE_REFERENCE)
    doc.add_paragraph("", style=STYLE_BODY)
    if meta.get("agency"):
        doc.add_paragraph(meta["agency"], style=STYLE_SIGN)
    doc.add_paragraph(text.date_cn(meta.get("published")), style=STYLE_SIGN)
    core = doc.core_properties
    core.title = "".join(text.title_lines(meta))
    core.author = meta.get("agency") or ""
    core.subject = "政府信息公开工作年度报告"
    core.keywords = f"nianbao; {meta.get('year')}; {meta.get('template')}"
    for key, value in (properties or {}).items():
        setattr(core, key, value)
    buf = io.BytesIO()
    doc.save(buf)
    return _with_font_fallbacks(buf.getvalue())


def _with_font_fallbacks(data: bytes) -> bytes:
    """The same package with the official fonts and their substitutes declared in word/fontTable.xml."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == "word/fontTable.xml":
                blob = blob.replace(b"</w:fonts>", fonts.font_table_entries().encode("utf-8") + b"</w:fonts>")
            dst.writestr(info, blob)
    return out.getvalue()
