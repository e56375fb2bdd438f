"""Build a corpus of binary reports with real converters, for the format tests
and the benchmark.

A canonical record (generated, or a seed's truth) is rendered to a minimal
HTML report shaped like the national form (merged header cells, the 三、本年度
办理结果 block spanning its rows, table 四 under a two-level header), then:
Chromium prints it to PDF in two CJK fonts (Noto CJK → Type 3 fonts, WenQuanYi
Zen Hei → CID TrueType), LibreOffice turns it into DOCX, DOC and PDF (prose of
varying length before tables 三 and 四 so they break across pages at different
rows), and pypdfium2 + Pillow make degraded scans of table 三.

Each generated report is drawn in one of the table shapes real PDFs print
(:class:`Shape`): table 四's two-row header with merged cells whose labels
wrap inside the cell (``结果<br>维持``, ``总　计``) or whose 行政诉讼 heading is
drawn as an empty box beside a box holding the word; table 三's labels
written across two boxes of which one stays empty, group labels printed
once with empty boxes below them instead of one merged cell; white
backgrounds painted behind paragraphs and cells (as Word does: boxes that
are no rules); table 三's header repeated on the next page.
"""
from __future__ import annotations

import html
import io
import os
import random
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from nianbao.generate.records import random_record
from nianbao.sources import office
from nianbao.template import T2_LAYOUTS, T3_COLUMNS, T3_GROUPS, T3_ROW_BY_KEY, T4_GROUPS, t3_row_keys

FONTS = {"noto": "Noto Sans CJK SC", "wqy": "WenQuanYi Zen Hei"}
FILLER = ("本机关坚持以公开为常态、不公开为例外，持续推进决策、执行、管理、服务、结果公开，"
          "加强政策解读和回应关切，规范依申请公开办理流程，提升政务公开标准化规范化水平。")


@dataclass(frozen=True)
class Shape:
    """How one report's tables are drawn (all False: plain merged cells)."""

    t4_wrapped: bool = False     # header labels broken inside their cells, 总 计 spaced
    t4_split_head: bool = False  # 行政诉讼 heading: an empty box, then a box with the word
    t3_boxes: bool = False       # a label over two columns drawn as the label and an empty box
    t3_groups_open: bool = False  # group labels printed once, empty boxes below (no rowspan)
    shaded: bool = False         # white backgrounds behind paragraphs and cells
    repeat_header: bool = False  # table 三's header rows repeated after a page break
    filler_four: int = 0         # prose before table 四, so it too falls on page breaks


def draw_shape(rng: random.Random) -> Shape:
    return Shape(t4_wrapped=rng.random() < 0.5, t4_split_head=rng.random() < 0.3,
                 t3_boxes=rng.random() < 0.4, t3_groups_open=rng.random() < 0.3, shaded=rng.random() < 0.3,
                 repeat_header=rng.random() < 0.3, filler_four=rng.choice([0, 0, 1, 3, 6]))


PLAIN = Shape()


def _fw(label: str) -> str:
    return label.replace("(", "（").replace(")", "）")


def _num(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and "." not in repr(v):
        return str(int(v))
    return str(v)


def _td(text, rowspan=1, colspan=1, breaks: bool = False) -> str:
    """A cell; with ``breaks``, a newline in ``text`` is a line break inside the cell."""
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    body = html.escape(str(text))
    if breaks:
        body = body.replace("\n", "<br>")
    return f"<td{attrs}>{body}</td>"


def _label(label: str, colspan: int, shape: Shape) -> str:
    """A row label over ``colspan`` columns: one merged cell, or (t3_boxes)
    the label in a box and the rest of its width an empty box."""
    if colspan > 1 and shape.t3_boxes:
        return _td(label, colspan=colspan - 1) + _td("")
    return _td(label, colspan=colspan)


def _t2(t2: dict) -> str:
    layout = t2["layout"]
    fields = {f.key: f for f in T2_LAYOUTS[layout]}
    rows = []
    by_item: dict[str, list] = {}
    for f in T2_LAYOUTS[layout]:
        by_item.setdefault(f.item, []).append(f)
    for item, group in by_item.items():
        rows.append(_td(f"第二十条第{_fw(item)}项", colspan=4))
        cols = [c + (f"（单位：{t2['procurement_unit']}）" if c == "采购总金额" and t2.get("procurement_unit") else "")
                for c in group[0].columns]
        span = 4 - len(cols)
        rows.append(_td("信息内容") + "".join(_td(c, colspan=1 + (span if i == len(cols) - 1 else 0))
                                           for i, c in enumerate(cols)))
        for f in group:
            v = t2.get(f.key)
            vals = [v] if f.scalar else list(v or [None] * len(cols))
            rows.append(_td(fields[f.key].label) + "".join(
                _td(_num(x), colspan=1 + (span if i == len(vals) - 1 else 0)) for i, x in enumerate(vals)))
    return '<table border="1">' + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def _t3(t3: dict, form: str, shape: Shape = PLAIN) -> str:
    data = t3["rows"]
    keys = t3_row_keys(form)
    result_keys = keys[keys.index("granted"):keys.index("total") + 1]
    head = [
        _td("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3) + _td("申请人情况", colspan=7),
        _td("自然人", 2) + _td("法人或其他组织", colspan=5) + _td("总计", 2),
        "".join(_td(c.label if c.key != "other_org" else "其他") for c in T3_COLUMNS[1:6]),
    ]
    group_sizes: dict[str, int] = {}
    for k in keys:
        g = T3_ROW_BY_KEY[k].group
        if g and g != "results":
            group_sizes[g] = group_sizes.get(g, 0) + 1
    seen_groups: set[str] = set()
    rows = []
    for k in keys:
        row = T3_ROW_BY_KEY[k]
        cells = ""
        if k == result_keys[0]:
            cells += _td(T3_GROUPS["results"], rowspan=len(result_keys))
        if k in ("new", "carried", "carry_next"):
            cells += _label(row.label, 3, shape)
        elif row.group in (None, "results"):
            cells += _label(_fw(row.label), 2, shape)
        else:
            if row.group not in seen_groups:
                seen_groups.add(row.group)
                rowspan = 1 if shape.t3_groups_open else group_sizes[row.group]
                cells += _td(_fw(T3_GROUPS[row.group]), rowspan=rowspan)
            elif shape.t3_groups_open:
                cells += _td("")  # the group's label is printed once, its other rows leave the box empty
            cells += _td(row.label)
        cells += "".join(_td(_num(v)) for v in data[k])
        rows.append(cells)
    if shape.repeat_header:
        return ('<table border="1"><thead>' + "".join(f"<tr>{r}</tr>" for r in head) + "</thead><tbody>"
                + "".join(f"<tr>{r}</tr>" for r in rows) + "</tbody></table>")
    return '<table border="1">' + "".join(f"<tr>{r}</tr>" for r in head + rows) + "</table>"


def _t4(t4: dict, shape: Shape = PLAIN) -> str:
    heads = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    if shape.t4_wrapped:
        heads = ["结果\n维持", "结果\n纠正", "其他\n结果", "尚未\n审结", "总\u3000计"]  # 总 计, spaced out
    litigation = _td("行政诉讼", colspan=10)
    if shape.t4_split_head:
        # the heading's merged cell drawn as two boxes, the word in the second
        litigation = _td("", colspan=3) + _td("行政诉讼", colspan=7)
    rows = [
        _td("行政复议", colspan=5) + litigation,
        "".join(_td(h, 2, breaks=True) for h in heads) + _td("未经复议直接起诉", colspan=5) + _td("复议后起诉", colspan=5),
        "".join(_td(h, breaks=True) for h in heads * 2),
        "".join(_td(_num(v)) for key, _, _ in T4_GROUPS for v in t4[key]),
    ]
    return '<table border="1">' + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def _legacy(legacy: dict) -> str:
    width = max(len(v) for v in legacy.values())
    head = ["指标名称", "单位", "本年"] + (["历年累计"] if width > 1 else [])
    rows = ["".join(_td(h) for h in head)]
    for label, vals in legacy.items():
        unit = "万元" if ("费" in label or "金额" in label) else "件"
        rows.append(_td(label) + _td(unit) + "".join(_td(_num(v)) for v in vals))
    return '<table border="1">' + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def render_html(record: dict, font: str = FONTS["noto"], filler: int = 1, size: int = 10,
                shape: Shape = PLAIN) -> str:
    """A report as HTML: title, the six sections, the tables the record holds."""
    meta = record.get("meta") or {}
    agency = meta.get("agency") or meta.get("agency_inferred") or "某某机关"
    year = meta.get("year") or 2023
    p = lambda text: f"<p>{html.escape(text)}</p>"  # noqa: E731
    parts = [f"<h2 style='text-align:center'>{html.escape(agency)}</h2>",
             f"<h2 style='text-align:center'>{year}年政府信息公开工作年度报告</h2>",
             p(f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。")]
    if record.get("legacy"):
        parts += [p("一、概述"), p(FILLER * filler), p("附表：政府信息公开情况统计表"), _legacy(record["legacy"])]
    else:
        parts += [p("一、总体情况"), p(FILLER * filler), p("二、主动公开政府信息情况")]
        if record.get("t2"):
            parts.append(_t2(record["t2"]))
        parts.append(p("三、收到和处理政府信息公开申请情况"))
        if record.get("t3"):
            form = meta.get("template") if meta.get("template") in ("2021", "2019") else \
                ("2021" if any(k.startswith("other_") for k in record["t3"]["rows"]) else "2019")
            parts.append(_t3(record["t3"], form, shape))
        if shape.filler_four:
            parts.append(p(FILLER * shape.filler_four))
        parts.append(p("四、政府信息公开行政复议、行政诉讼情况"))
        if record.get("t4"):
            parts.append(_t4(record["t4"], shape))
    parts += [p("五、存在的主要问题及改进情况"), p(FILLER), p("六、其他需要报告的事项"), p("本年度未收取信息处理费。"),
              f"<p style='text-align:right'>{html.escape(agency)}</p>"]
    if meta.get("published"):
        y, m, d = (int(x) for x in meta["published"].split("-"))
        parts.append(f"<p style='text-align:right'>{y}年{m}月{d}日</p>")
    style = (f"body{{font-family:'{font}';font-size:{size + 1}pt;margin:0}} "
             "table{border-collapse:collapse;width:100%}"
             f"td{{border:1px solid #000;padding:3px;font-size:{size}pt}}")
    if shape.shaded:
        # Word paints a white box behind every paragraph and cell: boxes that touch, and are no rules
        style += "p{background:#fff;margin:0;padding:4px 0} td{background:#fff}"
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(agency)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def render_table_page(record: dict, shape: Shape = PLAIN) -> str:
    """One page: the heading of section 三 and table 三, small enough to fit."""
    form = record["meta"]["template"]
    style = ("body{font-family:'Noto Sans CJK SC';font-size:9pt;margin:0} table{border-collapse:collapse;width:100%}"
             "td{border:1px solid #000;padding:2px;font-size:9pt}")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{style}</style></head><body>"
            f"<p>三、收到和处理政府信息公开申请情况</p>{_t3(record['t3'], form, shape)}</body></html>")


def generated_records(n: int, seed: int | None = None) -> list[dict]:
    rng = random.Random(seed if seed is not None else int(os.environ.get("NIANBAO_CORPUS_SEED", "20240501")))
    out = []
    for i in range(n):
        form = "pre2019" if i % 10 == 9 else "2021" if i % 3 else "2019"
        rec = random_record(rng, form, t2_layout="2021" if (form == "2021" or i % 2) else "2019")
        out.append(rec)
    return out


# --------------------------------------------------------------------------
# Converters
# --------------------------------------------------------------------------

def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def chromium_pdf(html_path: Path, pdf_path: Path, timeout: float = 90) -> bool:
    with tempfile.TemporaryDirectory(prefix="nianbao-chrome-") as profile:
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-quic", f"--user-data-dir={profile}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        try:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
    return pdf_path.exists() and pdf_path.stat().st_size > 0


def degrade(pil, rng: random.Random):
    """A scanner's damage: slight rotation, blur, speckle, JPEG artefacts."""
    import numpy as np
    from PIL import Image, ImageFilter

    img = pil.convert("L").rotate(rng.uniform(-0.8, 0.8), resample=Image.BICUBIC, expand=False, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    arr = np.asarray(img).astype(np.int16)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(4, 12), arr.shape)
    arr = np.clip(arr + noise, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=rng.randint(55, 80))
    return Image.open(io.BytesIO(buf.getvalue()))


def table3_page(pdf_path: Path, dpi: int = 200):
    """The page of a PDF on which table 三 starts, rendered (cropped to the table area's page)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            text = tp.get_text_range()
            tp.close()
            if "本年新收" in text:
                return page.render(scale=dpi / 72, grayscale=True).to_pil()
        return None
    finally:
        doc.close()


def _pages_with(pdf_path: Path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf_path))
    try:
        texts = []
        for i in range(len(doc)):
            tp = doc[i].get_textpage()
            texts.append(tp.get_text_range())
            tp.close()
        return texts
    finally:
        doc.close()


def _shift(page, rng: random.Random):
    """Each sheet sits a little differently on the scanner glass."""
    from PIL import Image

    out = Image.new("L", page.size, 255)
    out.paste(page, (rng.randint(-20, 20), rng.randint(-15, 15)))
    return out


def multipage_scans(out: Path, candidates: list[tuple[Path, dict]], rng: random.Random) -> dict[str, dict]:
    """A whole two-page report whose table 三 runs over the page break,
    printed by LibreOffice, rendered at 200 dpi and degraded page by page,
    then saved as a multi-frame TIFF and as an image-only PDF (Pillow)."""
    import pypdfium2 as pdfium

    for pdf, rec in candidates:
        texts = _pages_with(pdf)
        if len(texts) != 2 or "本年新收" not in texts[0] or "结转下年度" not in texts[1]:
            continue
        doc = pdfium.PdfDocument(str(pdf))
        try:
            pages = [_shift(degrade(doc[i].render(scale=200 / 72, grayscale=True).to_pil(), rng).convert("L"), rng)
                     for i in range(len(doc))]
        finally:
            doc.close()
        out.mkdir(parents=True, exist_ok=True)
        tif, scanned = out / f"{pdf.stem}-scan.tif", out / f"{pdf.stem}-scan.pdf"
        pages[0].save(tif, save_all=True, append_images=pages[1:], compression="tiff_deflate", dpi=(200, 200))
        pages[0].save(scanned, "PDF", save_all=True, append_images=pages[1:], resolution=200)
        return {str(tif): rec, str(scanned): rec}
    return {}


def build(out: Path, n: int, n_scans: int, seeds: list[tuple[str, dict]] = (), multipage: bool = False) -> dict:
    """Build the corpus in ``out``. Returns {"truth": {path: record}, "kinds": {path: kind}}."""
    out.mkdir(parents=True, exist_ok=True)
    records = generated_records(n)
    truth: dict[str, dict] = {}
    kinds: dict[str, str] = {}
    html_dir = out / "html"
    html_dir.mkdir(exist_ok=True)
    rng = random.Random(7)
    shape_rng = random.Random(11)  # its own stream: the other draws stay as they were
    shapes: dict[str, Shape] = {}
    jobs = []
    for i, rec in enumerate(records):
        font_key = "noto" if i % 2 == 0 else "wqy"
        h, plain = html_dir / f"gen{i:03d}.html", html_dir / "plain" / f"gen{i:03d}.html"
        shape = draw_shape(shape_rng)
        shapes[str(h)] = shape
        # prose of varying length and type of varying size: page breaks and wrapped labels fall differently
        filler, size = rng.randint(1, 9), rng.choice([9, 10, 11, 12])
        h.write_text(render_html(rec, FONTS[font_key], filler=filler, size=size, shape=shape), encoding="utf-8")
        # DOCX and DOC are made from the plain drawing: the shapes are those of printed PDFs
        plain.parent.mkdir(exist_ok=True)
        plain.write_text(render_html(rec, FONTS[font_key], filler=filler, size=size), encoding="utf-8")
        jobs.append((h, plain, rec, font_key))
    for name, rec in seeds:
        for font_key in ("noto", "wqy"):
            h = html_dir / f"seed-{name}-{font_key}.html"
            h.write_text(render_html(rec, FONTS[font_key], filler=3), encoding="utf-8")
            jobs.append((h, h, rec, font_key))

    # Chromium: one browser per file (its print-to-pdf takes one page), two at a time
    chrome_dir = out / "chromium"
    chrome_dir.mkdir(exist_ok=True)

    def print_one(job):
        h, _, rec, font_key = job
        pdf = chrome_dir / f"{h.stem}-{font_key}.pdf"
        return (pdf, rec, font_key, h) if chromium_pdf(h, pdf) else None

    drawn: dict[str, Shape] = {}
    if chromium():
        with ThreadPoolExecutor(2) as pool:
            for res in pool.map(print_one, jobs):
                if res:
                    truth[str(res[0])] = res[1]
                    kinds[str(res[0])] = f"chromium-pdf-{res[2]}"
                    drawn[str(res[0])] = shapes.get(str(res[3]), PLAIN)

    # LibreOffice: plain HTML → DOCX in one call, DOCX → DOC in another; the
    # shaped HTML → PDF in a third (the seeds' PDFs from their DOCX, as before)
    lo = out / "lo"
    docx_map = office.convert([j[1] for j in jobs], lo / "docx", target="docx:MS Word 2007 XML",
                              infilter="HTML (StarWriter)")
    docxs = [p for p in docx_map.values() if p]
    doc_map = office.convert(docxs, lo / "doc", target="doc:MS Word 97")
    pdf_sources = [docx_map.get(j[1]) if j[0] == j[1] else j[0] for j in jobs]
    pdf_map = office.convert([p for p in pdf_sources if p and p.suffix == ".html"], lo / "pdf",
                             target="pdf:writer_pdf_Export", infilter="HTML (StarWriter)")
    pdf_map.update(office.convert([p for p in pdf_sources if p and p.suffix != ".html"], lo / "pdf",
                                  target="pdf:writer_pdf_Export"))
    for (h, plain, rec, _), pdf_src in zip(jobs, pdf_sources):
        dx = docx_map.get(plain)
        if dx is not None:
            truth[str(dx)], kinds[str(dx)], drawn[str(dx)] = rec, "docx", PLAIN
            if doc_map.get(dx):
                truth[str(doc_map[dx])], kinds[str(doc_map[dx])], drawn[str(doc_map[dx])] = rec, "doc", PLAIN
        if pdf_src is not None and pdf_map.get(pdf_src):
            pdf = str(pdf_map[pdf_src])
            truth[pdf], kinds[pdf], drawn[pdf] = rec, "libreoffice-pdf", shapes.get(str(h), PLAIN)

    # scans: a page holding table 三 alone, printed by LibreOffice, rendered at
    # 200 dpi and degraded; half kept as PNG/JPEG images, half as image-only PDFs
    scan_dir = out / "scans"
    scan_dir.mkdir(exist_ok=True)
    pages = []
    # every tenth report is pre-2019 (no table 三): draw a few more so that n_scans pages exist
    scan_records = [r for r in generated_records(max(n, n_scans * 10 // 9 + 1)) if r.get("t3")][:n_scans]
    for i, rec in enumerate(scan_records):
        h = html_dir / f"table{i:03d}.html"
        drawn_shape = draw_shape(shape_rng)
        shape = Shape(t3_boxes=drawn_shape.t3_boxes, t3_groups_open=drawn_shape.t3_groups_open)
        shapes[str(h)] = shape
        h.write_text(render_table_page(rec, shape), encoding="utf-8")
        pages.append((h, rec))
    page_pdfs = office.convert([h for h, _ in pages], out / "tablepages", target="pdf:writer_pdf_Export",
                               infilter="HTML (StarWriter)")
    for i, (h, rec) in enumerate(pages):
        pdf = page_pdfs.get(h)
        page = table3_page(pdf) if pdf else None
        if page is None:
            continue
        scan = degrade(page, rng)
        if i % 2:
            p = scan_dir / f"scan{i:03d}.pdf"
            scan.save(p, "PDF", resolution=200)
            kinds[str(p)] = "scanned-pdf"
        else:
            p = scan_dir / f"scan{i:03d}.{'png' if i % 4 == 0 else 'jpg'}"
            scan.convert("L").save(p)
            kinds[str(p)] = "image"
        # the page holds table 三 alone: nothing else of the record is on it
        truth[str(p)] = {"meta": {"template": rec["meta"]["template"]}, "t3": rec["t3"], "t2": None, "t4": None,
                         "legacy": None}
        drawn[str(p)] = shapes[str(h)]
    if multipage:
        lo_pdfs = [(Path(p), truth[p]) for p in truth if kinds[p] == "libreoffice-pdf" and "seed-" not in p
                   and truth[p].get("t3")]
        for p, rec in multipage_scans(out / "multipage", lo_pdfs, rng).items():
            truth[p], kinds[p] = rec, "multipage-scan"
    return {"truth": truth, "kinds": kinds, "shapes": drawn}


def corpus_size() -> tuple[int, int]:
    return int(os.environ.get("NIANBAO_CORPUS_N", "30")), int(os.environ.get("NIANBAO_SCAN_N", "30"))
