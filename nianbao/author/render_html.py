"""A record → one self-contained HTML page, laid out as the Word file (for the agency's website).

Tables are ``<table border="1">`` with the template's row and column spans; the fonts are CSS stacks
from the official names to the CJK faces most systems have; ``@page`` sets A4 for printing.
"""
from __future__ import annotations

from html import escape

from . import fonts, text
from .layout import TABLE_TITLES, Grid, cell_text, grids

_CSS = """
body {{ font-family: {body}; font-size: 16pt; line-height: 1.75; color: #000; background: #fff;
       max-width: 156mm; margin: 0 auto; padding: 12mm 0; }}
h1 {{ font-family: {title}; font-size: 22pt; font-weight: normal; text-align: center; line-height: 1.6;
      margin: 0 0 1em 0; }}
h2 {{ font-family: {heading}; font-size: 16pt; font-weight: normal; text-indent: 2em; margin: .6em 0 .3em 0; }}
p {{ text-indent: 2em; margin: 0; text-align: justify; }}
p.sign {{ text-align: right; text-indent: 0; padding-right: 4em; }}
p.sign.first {{ margin-top: 2em; }}
table {{ border-collapse: collapse; width: 100%; margin: .4em 0 .8em 0; font-family: {body}; line-height: 1.35; }}
table.t2 {{ font-size: 12pt; }}
table.t3, table.t4 {{ font-size: 9pt; }}
td {{ border: 1px solid #000; padding: 2px 3px; text-align: center; vertical-align: middle; }}
td.label {{ text-align: left; }}
table.t3 td.group:first-child {{ width: 1.6em; }}
tr {{ page-break-inside: avoid; }}
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm; }}
@media print {{ body {{ padding: 0; max-width: none; }} }}
"""


def css() -> str:
    return _CSS.format(body=fonts.css_stack(fonts.BODY), title=fonts.css_stack(fonts.TITLE),
                       heading=fonts.css_stack(fonts.HEADING))


def table_html(grid: Grid) -> str:
    out = [f'<table class="{grid.name}" border="1" cellspacing="0" cellpadding="3">']
    for row in grid.rows:
        tds = []
        for cell in row:
            attrs = f' class="{cell.kind}"'
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            if cell.rowspan > 1:
                attrs += f' rowspan="{cell.rowspan}"'
            if cell.ref:
                attrs += f' data-ref="{escape(cell.ref)}"'
            tds.append(f"<td{attrs}>{escape(cell_text(cell))}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def render_html(record: dict, *, notes: dict | None = None) -> str:
    """The page of a complete record. ``notes``: extra ``<meta name=… content=…>`` (e.g. an override reason)."""
    meta = record.get("meta") or {}
    lines = text.title_lines(meta)
    title = "".join(lines)
    head = ['<!DOCTYPE html>', '<html lang="zh-CN"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>", '<meta name="generator" content="nianbao">']
    for name, value in (notes or {}).items():
        head.append(f'<meta name="{escape(name)}" content="{escape(str(value))}">')
    head.append(f"<style>{css()}</style></head><body>")
    body = [f"<h1>{'<br>'.join(escape(x) for x in lines)}</h1>",
            f"<p>{escape(record.get('preamble') or text.opening(meta))}</p>"]
    tables = grids(record)
    by_section = {sec: key for key, (sec, _, _) in TABLE_TITLES.items()}
    for sec in record.get("sections") or []:
        body.append(f"<h2>{escape(text.heading(sec['number'], sec['title']))}</h2>")
        key = by_section.get(sec["number"])
        if key in tables:
            body.append(table_html(tables[key]))
        body += [f"<p>{escape(p)}</p>" for p in text.paragraphs(sec.get("text") or "")]
    if meta.get("agency"):
        body.append(f'<p class="sign first">{escape(meta["agency"])}</p>')
        body.append(f'<p class="sign">{escape(text.date_cn(meta.get("published")))}</p>')
    else:
        body.append(f'<p class="sign first">{escape(text.date_cn(meta.get("published")))}</p>')
    return "\n".join(head + body + ["</body></html>"]) + "\n"
