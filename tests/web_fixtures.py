"""Reports for the web tests: an HTML rendering of a generated record, and its provenance.

The HTML is drawn with the same form layout the UI uses (``nianbao.web.forms``),
read back with the real HTML source reader, and each value cell's span in the
document text becomes the record's provenance — the shape the extractor gives.
"""
from __future__ import annotations

import copy
import html
import random

from nianbao.findings import finding
from nianbao.generate import random_record
from nianbao.sources import read_bytes
from nianbao.template import SECTIONS
from nianbao.web.forms import all_tables, fmt_value


def _grid_refs(rows) -> dict[tuple[int, int], str]:
    """(row, col) of the expanded grid → cell ref, honouring rowspan/colspan like a browser."""
    taken: set[tuple[int, int]] = set()
    out = {}
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            for dr in range(cell["rowspan"]):
                for dc in range(cell["colspan"]):
                    taken.add((r + dr, c + dc))
            if cell.get("ref"):
                out[(r, c)] = cell["ref"]
            c += cell["colspan"]
    return out


def report_html(record: dict, *, extra_text: str = "") -> str:
    meta = record["meta"]
    title = f"{meta['agency']}{meta['year']}年政府信息公开工作年度报告"
    parts = [f"<html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    tables = {anchor: rows for anchor, _, rows in all_tables(record)}
    for sec in record.get("sections") or []:
        parts.append(f"<h2>{sec['number']}、{html.escape(sec['title'])}</h2><p>{html.escape(sec['text'])}</p>")
        key = {"二": "t2", "三": "t3", "四": "t4"}.get(sec["number"])
        if key in tables:
            parts.append("<table border='1'>")
            for row in tables[key]:
                parts.append("<tr>" + "".join(
                    f"<td rowspan='{c['rowspan']}' colspan='{c['colspan']}'>{html.escape(c['text'])}</td>"
                    for c in row) + "</tr>")
            parts.append("</table>")
    if extra_text:
        parts.append(f"<p>{html.escape(extra_text)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def make_report(seed: int, year: int, *, agency: str | None = None, region: str | None = None,
                broken: bool = True, extra_text: str = "", record: dict | None = None):
    """(html bytes, record with provenance and findings) for one generated report.

    With ``broken`` the 总计 of table 三's first row is printed one too high, and
    the record carries the finding the validator would raise about it.
    """
    rng = random.Random(seed)
    rec = copy.deepcopy(record) if record else random_record(rng, "2021", year, scale="medium")
    rec["meta"]["year"] = year
    rec["meta"]["published"] = f"{year + 1}-01-20"  # in time: the only findings are the ones made on purpose
    if agency:
        rec["meta"]["agency"] = agency
    if region:
        rec["meta"]["region"] = region
    rec["sections"] = [{"number": s.number, "title": s.title,
                        "text": f"{rec['meta']['agency']}{year}年{s.title}。本年度共收到申请"
                                f"{rec['t3']['rows']['new'][6]}件。"
                                f"{'本年度未收取信息处理费。' + extra_text if s.number == '六' else ''}"}
                       for s in SECTIONS]
    rows = rec["t3"]["rows"]
    rows["new"][1] = max(rows["new"][1], 1)
    rows["new"][6] = sum(rows["new"][:6])
    if broken:
        rows["new"][6] += 1
    data = report_html(rec, extra_text=extra_text).encode("utf-8")
    doc = read_bytes(data, "report.html")
    prov = {}
    for (anchor, _, form_rows), table in zip(
            [t for t in all_tables(rec) if t[0] in ("t2", "t3", "t4")], list(doc.tables())):
        for (r, c), ref in _grid_refs(form_rows).items():
            cell = table.rows[r][c]
            prov[ref] = {"span": [cell.origin.start, cell.origin.end], "table": cell.origin.table}
    rec["provenance"] = prov
    rec["source"] = {"path": f"{rec['meta']['agency']}-{year}.html", "sha256": doc.sha256, "format": "html"}
    rec["findings"] = []
    if broken:
        parts = " + ".join(fmt_value(v) for v in rows["new"][:6])
        rec["findings"].append(finding(
            "t3.row_total", "error", f"表三“一、本年新收政府信息公开申请数量”行：总计 {rows['new'][6]} ≠ 各类申请人之和 "
            f"{sum(rows['new'][:6])}", f"table 3 row 'new': total {rows['new'][6]} != {sum(rows['new'][:6])}",
            cells=["t3.new[6]"] + [f"t3.new[{i}]" for i in range(6)],
            evidence=f"{rows['new'][6]} ≠ {parts}"))
    return data, rec


def generated_report(seed: int, year: int, *, agency: str, region: str, broken: bool = True):
    """(bytes, record) of a web page drawn by the generator (``nianbao.generate.render``): the real upload path.

    With ``broken`` the printed 总计 of 一、本年新收 is one more than its columns add up to.
    """
    from nianbao.generate.render import render_html
    rng = random.Random(seed)
    rec = random_record(rng, "2021", year, scale="medium")
    rec["meta"].update(agency=agency, region=region, year=year)
    rows = rec["t3"]["rows"]
    rows["new"][1] = max(rows["new"][1], 1)
    rows["new"][6] = sum(rows["new"][:6]) + (1 if broken else 0)
    data, _truth = render_html(rng, rec)
    return data, rec


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def open_page(playwright, chromium: str, *, timeout_ms: int = 30000, **context):
    """(browser, page) in Debian's Chromium: a desktop viewport and zh-CN unless ``context`` says
    otherwise; the page's script errors and console errors are collected in ``page.js_errors``."""
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    options = {"viewport": {"width": 1440, "height": 1000}, "locale": "zh-CN", "accept_downloads": True, **context}
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(timeout_ms)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.js_errors = errors
    return browser, page


class NianbaoServer:
    """``nianbao serve`` in a child process on a free loopback port (a context manager)."""

    def __init__(self, db: str, folder, env: dict | None = None):
        import os
        import sys
        self.db, self.folder = db, folder
        self.env = {**os.environ, "NIANBAO_LANG": "zh", **(env or {})}
        self.cmd = [sys.executable, "-m", "nianbao.cli"]

    def add_user(self, name: str, role: str, password: str) -> None:
        import subprocess
        out = subprocess.run(self.cmd + ["user", "add", name, "--role", role, "--password", password, "--db", self.db],
                             env=self.env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr

    def __enter__(self) -> str:
        import socket
        import subprocess
        import time
        port = free_port()
        self.log = open(self.folder / "server.log", "w")
        self.proc = subprocess.Popen(self.cmd + ["serve", "--db", self.db, "--port", str(port)], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.folder / "server.log").read_text())
                time.sleep(0.2)
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
