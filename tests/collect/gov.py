"""The mock government site of the collector's tests: one 年报 column of three pages whose
entries are the project's generated reports in every format it reads, made by the real
converters (LibreOffice for DOCX, DOC, WPS and PDF; Chromium for PDF), plus the troubles
real sites have (see ``SITE`` below)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import formats_corpus
from collect_site import Site, column_page, pager, report_page
from nianbao.generate.records import random_record
from nianbao.generate.render import render_html as generated_page, render_lines
from nianbao.sources import office

# key → how the report is published
KINDS = {
    "html": "a page whose tables are the report (UTF-8 or GBK, as the generator draws it)",
    "gbk": "a page with tables, in GBK, declaring gb2312",
    "chromium_pdf": "a page with the report attached as a PDF printed by Chromium (relative link)",
    "lo_pdf": "a page with a LibreOffice PDF (absolute link) and a spreadsheet beside it",
    "docx": "a page with a DOCX attachment and a second attachment that never answers in time",
    "doc": "a page with a DOC attachment",
    "wps": "a page with a WPS attachment",
    "txt": "a page with a text attachment",
    "direct": "the column links the PDF itself",
    "redirect": "an entry reached through a chain of two redirects",
    "flaky": "a page whose DOCX attachment answers 500 once",
    "slow": "a page that answers too late once",
    "robots": "a page robots.txt disallows",
}


@dataclass
class Report:
    key: str
    record: dict
    title: str
    entry: str           # the path the column links
    source: str          # the path of the original that holds the tables
    page: str | None     # the path of the report's page, if it has one


def records(seed: int = 20241) -> dict[str, dict]:
    """One generated record per kind, no two of one agency and year (each is its own report)."""
    rng = random.Random(seed)
    out, seen = {}, set()
    for key in KINDS:
        while True:
            rec = random_record(rng, rng.choice(["2021", "2021", "2019"]))
            ident = (rec["meta"]["agency"], rec["meta"]["year"])
            if ident not in seen:
                seen.add(ident)
                out[key] = rec
                break
    return out


def build_corpus(out: Path, seed: int = 20241) -> dict:
    """The files of the site, made with the real converters: {key: {"record", "files": {name: bytes}}}."""
    recs = records(seed)
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    html_dir = out / "html"
    html_dir.mkdir(exist_ok=True)
    files: dict[str, dict[str, bytes]] = {k: {} for k in recs}
    # pages holding the tables: the generator's web pages
    for key in ("html", "redirect", "slow", "robots"):
        data, _ = generated_page(rng, recs[key])
        files[key]["page.html"] = data
    data, _ = generated_page(rng, recs["gbk"])
    text = data.decode("gb18030") if b"gb2312" in data[:400] else data.decode("utf-8")
    text = text.replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    files["gbk"]["page.html"] = text.encode("gb18030")
    data, _ = render_lines(rng, recs["txt"], "pipe_rows")
    files["txt"]["report.txt"] = data
    # the national form as HTML, then the converters
    sources = {}
    for key in ("chromium_pdf", "lo_pdf", "docx", "doc", "wps", "direct", "flaky"):
        h = html_dir / f"{key}.html"
        h.write_text(formats_corpus.render_html(recs[key], formats_corpus.FONTS["wqy"], filler=2), encoding="utf-8")
        sources[key] = h
    pdf = out / "chromium_pdf.pdf"
    if not formats_corpus.chromium_pdf(sources["chromium_pdf"], pdf):
        raise RuntimeError("Chromium printed no PDF")
    files["chromium_pdf"]["report.pdf"] = pdf.read_bytes()
    lo_inputs = [sources[k] for k in ("lo_pdf", "docx", "doc", "wps", "direct", "flaky")]
    docx = office.convert(lo_inputs, out / "docx", target="docx:MS Word 2007 XML", infilter="HTML (StarWriter)")
    if not all(docx.values()):
        raise RuntimeError(f"LibreOffice made no DOCX of {[str(k) for k, v in docx.items() if not v]}")
    by_key = {k: docx[sources[k]] for k in ("lo_pdf", "docx", "doc", "wps", "direct", "flaky")}
    doc = office.convert([by_key["doc"], by_key["wps"]], out / "doc", target="doc:MS Word 97")
    pdfs = office.convert([by_key["lo_pdf"], by_key["direct"]], out / "pdf", target="pdf:writer_pdf_Export")
    if not all(doc.values()) or not all(pdfs.values()):
        raise RuntimeError("LibreOffice made no DOC or PDF")
    files["docx"]["report.docx"] = by_key["docx"].read_bytes()
    files["flaky"]["report.docx"] = by_key["flaky"].read_bytes()
    files["doc"]["report.doc"] = doc[by_key["doc"]].read_bytes()
    # a WPS file is the OLE2 word-processing format that WPS Office writes under its own suffix
    files["wps"]["report.wps"] = doc[by_key["wps"]].read_bytes()
    files["lo_pdf"]["report.pdf"] = pdfs[by_key["lo_pdf"]].read_bytes()
    files["direct"]["report.pdf"] = pdfs[by_key["direct"]].read_bytes()
    return {k: {"record": recs[k], "files": files[k]} for k in recs}


def title_of(rec: dict) -> str:
    return f"{rec['meta']['agency']}{rec['meta']['year']}年度政府信息公开工作年度报告"


def gov_site(corpus: dict, base: str, *, slow: float = 3.0) -> tuple[Site, dict[str, Report]]:
    """The site on ``base`` (http://host:port) and the reports a collector must end up with.

    The column /zwgk/ndbg/ has three pages (index.html, index_1.html in GBK, index_2.html);
    entries link with relative and absolute addresses; /zwgk/ndbg/old/… redirects twice; one entry
    is missing (404); robots.txt disallows /private/; the PDF printed by Chromium is also attached,
    under another address, to a second page of the same report.
    """
    site = Site("gov")
    reports: dict[str, Report] = {}
    col = "/zwgk/ndbg/"
    entries: list[tuple[str, str, str]] = []  # (href as linked, title, date)

    def add_report(key, entry, source, page, href=None):
        rec = corpus[key]["record"]
        reports[key] = Report(key, rec, title_of(rec), entry, source, page)
        entries.append((href or entry, title_of(rec), f"2024-0{1 + len(entries) % 9}-1{len(entries) % 10}"))

    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n\nUser-agent: BadBot\nDisallow: /\n",
             content_type="text/plain")
    for key in ("html", "gbk"):
        path = f"{col}2024/t_{key}.html"
        site.add(path, corpus[key]["files"]["page.html"],
                 content_type="text/html; charset=gb2312" if key == "gbk" else "text/html")
        add_report(key, path, path, path, href=f"./2024/t_{key}.html")
    for key, name, ctype in (("chromium_pdf", "report.pdf", "application/pdf"),
                             ("doc", "report.doc", "application/msword"),
                             ("wps", "report.wps", "application/octet-stream"),
                             ("txt", "report.txt", "text/plain; charset=utf-8"),
                             ("flaky", "report.docx",
                              "application/vnd.openxmlformats-officedocument.wordprocessingml.document")):
        page, att = f"{col}2024/t_{key}.html", f"{col}2024/P0{key}_{name}"
        title = title_of(corpus[key]["record"])
        site.add(page, report_page(title, [(f"./P0{key}_{name}", f"{title}.{name.rsplit('.', 1)[1]}")]))
        res = site.add(att, corpus[key]["files"][name], content_type=ctype)
        if key == "flaky":
            res.fail_first = 1
        add_report(key, page, att, page, href=f"{base}{page}" if key in ("doc", "txt") else f"./2024/t_{key}.html")
    # a LibreOffice PDF with a spreadsheet beside it; a DOCX beside an attachment that never answers
    title = title_of(corpus["lo_pdf"]["record"])
    page = f"{col}2023/t_lo_pdf.html"
    site.add(page, report_page(title, [(f"{base}/files/lo_report.pdf", f"{title}.pdf"),
                                       ("/files/lo_tables.xls", "统计附表.xls")]))
    site.add("/files/lo_report.pdf", corpus["lo_pdf"]["files"]["report.pdf"], content_type="application/pdf")
    site.add("/files/lo_tables.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2040),
             content_type="application/vnd.ms-excel")
    add_report("lo_pdf", page, "/files/lo_report.pdf", page, href=f"./2023/t_lo_pdf.html")
    title = title_of(corpus["docx"]["record"])
    page = f"{col}2023/t_docx.html"
    site.add(page, report_page(title, [("../../../files/docx_report.docx", f"{title}.docx"),
                                       ("/files/never.pdf", "政策解读.pdf")]))
    site.add("/files/docx_report.docx", corpus["docx"]["files"]["report.docx"],
             content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             disposition="attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.docx")
    site.add("/files/never.pdf", b"%PDF-1.4\n", content_type="application/pdf", slow_first=99, slow=slow)
    add_report("docx", page, "/files/docx_report.docx", page, href=f"./2023/t_docx.html")
    # the column links a PDF itself
    site.add("/files/direct.pdf", corpus["direct"]["files"]["report.pdf"], content_type="application/pdf")
    add_report("direct", "/files/direct.pdf", "/files/direct.pdf", None, href=f"{base}/files/direct.pdf")
    # an old address moved twice
    site.redirect(f"{col}old/redirect.html", "/tmp/moved.html", status=301)
    site.redirect("/tmp/moved.html", f"{base}{col}2022/t_redirect.html", status=302)
    site.add(f"{col}2022/t_redirect.html", corpus["redirect"]["files"]["page.html"])
    add_report("redirect", f"{col}old/redirect.html", f"{col}old/redirect.html", f"{col}old/redirect.html",
               href="./old/redirect.html")
    # slow once, then in time
    site.add(f"{col}2022/t_slow.html", corpus["slow"]["files"]["page.html"], slow_first=1, slow=slow)
    add_report("slow", f"{col}2022/t_slow.html", f"{col}2022/t_slow.html", f"{col}2022/t_slow.html",
               href="2022/t_slow.html")
    # disallowed by robots.txt: listed, never fetched
    site.add("/private/t_robots.html", corpus["robots"]["files"]["page.html"])
    add_report("robots", "/private/t_robots.html", "/private/t_robots.html", "/private/t_robots.html",
               href="/private/t_robots.html")
    # the same PDF again, under another address, on a second page of that report
    dup_title = title_of(corpus["chromium_pdf"]["record"])
    site.add(f"{col}2024/t_dup.html", report_page(dup_title + "（重发）", [("/upload/dup.pdf", "附件.pdf")]))
    site.add("/upload/dup.pdf", corpus["chromium_pdf"]["files"]["report.pdf"], content_type="application/pdf")
    entries.append(("./2024/t_dup.html", dup_title + "（重发）", "2024-02-02"))
    # a report the site lost
    entries.append(("./2021/t_missing.html", "某某市统计局2021年度政府信息公开工作年度报告", "2022-01-20"))
    # a link that is not a report, and navigation
    entries.append(("./2024/notice.html", "关于做好政务公开工作的通知", "2024-03-01"))
    site.add(f"{col}2024/notice.html", report_page("关于做好政务公开工作的通知", []))

    # three listing pages; the second in GBK
    names = ["index.html", "index_1.html", "index_2.html"]
    per = -(-len(entries) // 3)
    for i, name in enumerate(names):
        chunk = entries[i * per:(i + 1) * per]
        site.add(col + name, column_page("政府信息公开年报", chunk, pager(names, i), "gbk" if i == 1 else "utf-8"),
                 content_type="text/html; charset=gb2312" if i == 1 else "text/html; charset=utf-8")
    return site, reports


REPORTED = ("html", "gbk", "chromium_pdf", "lo_pdf", "docx", "doc", "wps", "txt", "direct", "redirect", "flaky",
            "slow")
