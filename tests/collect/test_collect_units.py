"""The collector's parts: pages read, titles read, HTTP manners (measured from a loopback server's log),
the address list, the command line."""
from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from collect_site import Server, Site, column_page, max_overlap, mean_gap, report_page
from nianbao.cli import app
from nianbao.collect import CollectError, FetchError, Policy, collect, read_list, target
from nianbao.collect import pages
from nianbao.collect.fetch import Fetcher, filename_of, normalize, resolve
from nianbao.collect.titles import better_title, read_title

FAST = dict(delay=0.0, timeout=1.0, retries=2, backoff=0.05)


# ---------------------------------------------------------------------- pages

def test_listing_entries_pagination_and_relative_links():
    html = column_page("政府信息公开年报", [
        ("./202401/t1.html", "临海市教育局2023年度政府信息公开工作年度报告", "2024-01-10"),
        ("../other/t2.html", "临海市财政局2023年度政府信息公开工作年度报告", "2024-01-11"),
        ("http://other.example/t3.pdf", "临海市公安局2022年度政府信息公开工作年度报告", "2023-01-11"),
        ("./notice.html", "关于召开政务公开培训会的通知", "2024-02-01"),
        ("./index.html", "政府信息公开年报", ""),
    ], pager='<a href="index_1.html">2</a> <a href="index_1.html">下一页</a> <a href="/elsewhere/index_9.html">9</a>')
    page = pages.parse(html, "http://site.example/col/index.html")
    found = pages.entries(page)
    assert [e.url for e in found] == ["http://site.example/col/202401/t1.html", "http://site.example/other/t2.html",
                                      "http://other.example/t3.pdf"]
    # the listing cuts long titles short; the link's title attribute holds the whole
    assert found[0].text == "临海市教育局2023年度政府信息公开工作年度报告"
    assert pages.pagination(page, page.url) == ["http://site.example/col/index_1.html"]
    assert pages.kind(page) == "column"


def test_trs_pager_script_and_base_href():
    html = ("<html><head><base href='http://cdn.example/zw/ndbg/'></head><body>"
            "<a href='t1.html'>2021年度政府信息公开工作年度报告</a>"
            "<script>var currentPage = 0; var countPage = 4;"
            "createPageHTML(4, 0, \"index\", \"shtml\");</script></body></html>").encode()
    page = pages.parse(html, "http://site.example/zw/ndbg/index.shtml")
    assert pages.entries(page)[0].url == "http://cdn.example/zw/ndbg/t1.html"
    page = pages.parse(html.replace(b"<base href='http://cdn.example/zw/ndbg/'>", b""),
                       "http://site.example/zw/ndbg/index.shtml")
    assert pages.pagination(page, page.url) == [f"http://site.example/zw/ndbg/index_{i}.shtml" for i in (1, 2, 3)]
    newer = b"<script>createPageHTML('page_div', 3, 1, 'index', 'html', 45);</script>"
    page = pages.parse(newer, "http://site.example/a/index_1.html")
    assert pages.pagination(page, "http://site.example/a/index.html") == [
        "http://site.example/a/index.html", "http://site.example/a/index_2.html"]


def test_report_page_attachments_and_gbk():
    html = report_page("某某县人民政府2023年度政府信息公开工作年度报告",
                       [("./P020240115.pdf", "年报.pdf"), ("/servlet/download?id=7", "附件下载：统计表"),
                        ("./t2.html", "2022年度报告")], charset="gbk")
    html = html.replace(b"</body>", b"<iframe src='/viewer/P1.pdf'></iframe><img src='/img/logo.png'>"
                        b"<a href='scan/t3.jpg'>" + "附表".encode("gbk") + b"</a></body>")
    page = pages.parse(html, "http://s.example/col/2024/t1.html")
    assert page.title == "某某县人民政府2023年度政府信息公开工作年度报告"
    assert [a.url for a in pages.attachments(page)] == [
        "http://s.example/col/2024/P020240115.pdf", "http://s.example/servlet/download?id=7",
        "http://s.example/col/2024/scan/t3.jpg", "http://s.example/viewer/P1.pdf"]
    assert pages.kind(page) == "report"


def test_not_html_and_broken_html():
    assert pages.parse(b"%PDF-1.4\x00\x00binary", "http://s.example/a.pdf") is None
    assert not pages.is_html(b"%PDF-1.4", "text/html", "a.pdf")
    assert pages.is_html(b"<p>hi</p>", "text/html; charset=utf-8")
    page = pages.parse(b"<html><body><a href='x.html'>2020\xe5\xb9\xb4\xe5\xba\xa6\xe6\x8a\xa5\xe5\x91\x8a", "http://s/")
    assert page is not None and page.links[0].url == "http://s/x.html"
    assert pages.parse(b"   ", "http://s/").links == []


def test_urls():
    assert normalize("HTTP://Www.Example.GOV.cn:80/a/b.html#top") == "http://www.example.gov.cn/a/b.html"
    assert resolve("http://s/a/b/c.html", "../d.pdf") == "http://s/a/d.pdf"
    assert resolve("http://s/a/", "javascript:void(0)") is None
    assert resolve("http://s/a/", "mailto:x@y") is None
    assert resolve("http://s/a/", "ftp://s/x") is None
    assert resolve("http://s/a/", "http://s:bad/") is None


def test_titles():
    assert read_title("平潭县财政局2009年度政府信息公开年度报告") == (2009, "平潭县财政局")
    assert read_title("2023年政府信息公开工作年度报告") == (2023, None)
    assert read_title("") == (None, None)
    assert better_title("平潭县财政局2009年度政府信息...", "平潭县财政局2009年度政府信息公开年度报告") == \
        "平潭县财政局2009年度政府信息公开年度报告"
    assert better_title("平潭县财政局2009年度政府信息公开年度报告", "首页") == "平潭县财政局2009年度政府信息公开年度报告"


def test_filenames():
    h = {"content-disposition": "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf"}
    assert filename_of(h, "http://s/x") == "年报.pdf"
    raw = "attachment; filename=\"" + "年报.doc".encode("gbk").decode("latin-1") + "\""
    assert filename_of({"content-disposition": raw}, "http://s/x") == "年报.doc"
    assert filename_of({}, "http://s/a/%E5%B9%B4%E6%8A%A5.wps") == "年报.wps"
    assert filename_of({"content-disposition": 'attachment; filename="../../etc/passwd"'}, "http://s/") == "passwd"


def test_read_list(tmp_path):
    p = tmp_path / "urls.csv"
    p.write_text("url,type,agency,year\nhttp://s.example/col/,column,,\nhttp://s.example/r.html,report,某局,2023\n",
                 encoding="utf-8")
    got = read_list(p)
    assert [(t.url, t.type, t.given) for t in got] == [
        ("http://s.example/col/", "column", {}),
        ("http://s.example/r.html", "report", {"agency": "某局", "year": 2023})]
    p.write_text("address\nhttp://s/\n", encoding="utf-8")
    with pytest.raises(CollectError, match="url"):
        read_list(p)
    p.write_text("url,year\nhttp://s/,二〇二三\n", encoding="utf-8")
    with pytest.raises(CollectError, match=r"urls.csv:2: .*bad year"):
        read_list(p)
    p.write_text("url\nfile:///etc/passwd\n", encoding="utf-8")
    with pytest.raises(CollectError, match="not an http"):
        read_list(p)
    with pytest.raises(CollectError, match="type"):
        target("http://s/", "everything")


# ---------------------------------------------------------------------- HTTP manners

def _get(policy: Policy, *urls: str, **kw):
    async def main():
        async with Fetcher(policy) as f:
            return await asyncio.gather(*(f.get(u, **kw) for u in urls), return_exceptions=True)
    return asyncio.run(main())


def test_per_host_limit_and_delay_measured_by_the_servers():
    a, b = Site("a"), Site("b")
    for site in (a, b):
        for i in range(8):
            site.add(f"/r{i}.html", f"<p>{i}</p>", slow_first=1, slow=0.3)
    with Server(a, "127.0.0.1") as sa, Server(b, "127.0.0.2") as sb:
        urls = [f"{s.base}/r{i}.html" for s in (sa, sb) for i in range(8)]
        out = _get(Policy(per_host=2, **FAST), *urls)
        assert all(r.status == 200 for r in out)
        for site in (a, b):
            assert max_overlap(site.log) == 2 == site.max_in_flight   # the limit, and used
        # the two hosts were served at once
        assert max_overlap(a.log + b.log) > 2
        a.clear_log(), b.clear_log()
        out = _get(Policy(per_host=3, delay=0.15, timeout=1.0), *urls)
        assert all(r.status == 304 or r.status == 200 for r in out)
        for site in (a, b):
            # measured where the server's threads start, which a loaded machine may delay: one gap can
            # shrink to nothing (two requests sent 0.15 s apart handled back to back), the mean cannot
            assert mean_gap(site.log) >= 0.15 * 0.8


def test_robots_rules_and_crawl_delay():
    site = Site()
    site.add("/robots.txt", "User-agent: nianbao\nDisallow: /secret\nAllow: /secret/open\nCrawl-delay: 0.3\n",
             content_type="text/plain")
    for p in ("/a.html", "/b.html", "/secret/x.html", "/secret/open/y.html"):
        site.add(p, "<p>x</p>")
    with Server(site) as srv:
        out = _get(Policy(**FAST), *(srv.base + p for p in ("/a.html", "/b.html", "/secret/x.html",
                                                             "/secret/open/y.html")))
    assert isinstance(out[2], FetchError) and out[2].reason == "robots"
    assert [r.status for i, r in enumerate(out) if i != 2] == [200, 200, 200]
    assert "/secret/x.html" not in site.started
    assert site.started[0] == "/robots.txt" and site.started.count("/robots.txt") == 1
    assert mean_gap(site.log) >= 0.3 * 0.8   # Crawl-delay beats a shorter --delay


def test_robots_unreachable_means_the_host_is_left_alone():
    site = Site()
    site.add("/robots.txt", "oops", status=503)
    site.add("/a.html", "<p>x</p>")
    with Server(site) as srv:
        out = _get(Policy(**FAST), srv.base + "/a.html")
    assert isinstance(out[0], FetchError) and out[0].reason == "robots-unreachable"
    assert "/a.html" not in site.started
    assert site.started.count("/robots.txt") == FAST["retries"] + 1   # 5xx retried with backoff first
    site = Site()  # no robots.txt (404): everything allowed
    site.add("/a.html", "<p>x</p>")
    with Server(site) as srv:
        assert _get(Policy(**FAST), srv.base + "/a.html")[0].status == 200


def test_retries_redirects_and_caps():
    site = Site()
    site.add("/flaky.html", "<p>ok</p>", fail_first=2)
    site.add("/down.html", "<p>never</p>", fail_first=99)
    site.add("/big.pdf", b"%PDF" + bytes(3 * 1024 * 1024), content_type="application/pdf")
    site.add("/gone.html", "", status=410)
    for i in range(8):
        site.redirect(f"/hop{i}", f"/hop{i + 1}")
    site.add("/hop8", "<p>end</p>")
    site.redirect("/loop-a", "/loop-b")
    site.redirect("/loop-b", "/loop-a")
    site.redirect("/to-mailto", "mailto:x@y")
    with Server(site) as srv:
        b = srv.base
        flaky, down, big, gone, hops, loop, bad = _get(
            Policy(max_bytes=1024 * 1024, max_redirects=5, **FAST),
            *(b + p for p in ("/flaky.html", "/down.html", "/big.pdf", "/gone.html", "/hop0", "/loop-a",
                              "/to-mailto")))
        assert flaky.status == 200 and flaky.data == "<p>ok</p>".encode()
        assert site.started.count("/flaky.html") == 3
        assert down.reason == "http-500" and site.started.count("/down.html") == FAST["retries"] + 1
        assert big.reason == "too-large" and "MB" in str(big)
        assert gone.reason == "http-410" and site.started.count("/gone.html") == 1   # not retried
        assert hops.reason == "too-many-redirects" and "/hop7" not in site.started
        assert loop.reason == "redirect-loop"
        assert bad.reason in ("bad-redirect", "bad-url")   # a Location that is no http(s) address
        ok = _get(Policy(max_redirects=8, **FAST), b + "/hop0")[0]
        assert ok.final_url == b + "/hop8" and len(ok.redirects) == 8 and ok.redirects[0] == [302, b + "/hop1"]
        # a server that sends no Content-Length is cut off at the cap all the same
        assert _get(Policy(max_bytes=1000, **FAST), b + "/big.pdf")[0].reason == "too-large"


def test_connection_refused_and_resets_are_retried(tmp_path):
    import socket
    import threading
    # a server that accepts and closes at once: a reset on every request
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    port = srv.getsockname()[1]
    seen = []

    def accept():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            seen.append(1)
            conn.recv(1024)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        out = _get(Policy(robots=False, **FAST), f"http://127.0.0.1:{port}/x.html")[0]
    finally:
        srv.close()
    assert isinstance(out, FetchError) and out.reason == "connection"
    assert len(seen) == FAST["retries"] + 1


# ---------------------------------------------------------------------- the run and the command line

def _small_site():
    site = Site()
    site.add("/col/index.html", column_page("年报", [
        ("a.html", "临海市教育局2023年度政府信息公开工作年度报告", "2024-01-01"),
        ("b.html", "临海市财政局2023年度政府信息公开工作年度报告", "2024-01-02"),
        ("c.html", "临海市公安局2021年度政府信息公开工作年度报告", "2022-01-02")]))
    for name, agency in (("a", "临海市教育局"), ("b", "临海市财政局")):
        site.add(f"/col/{name}.html", report_page(f"{agency}2023年度政府信息公开工作年度报告",
                                                  [(f"{name}.txt", "年报.txt")]))
        site.add(f"/col/{name}.txt", f"{agency}2023年政府信息公开工作年度报告\n一、总体情况\n本机关认真贯彻条例。\n",
                 content_type="text/plain; charset=utf-8")
    return site


def test_a_page_without_validators_is_compared_by_sha(store):
    site = _small_site()
    for r in site.resources.values():
        r.validators = False
    with Server(site) as srv:
        first = collect(store, [target(srv.base + "/col/index.html")], Policy(**FAST))
        assert first.new == 5 and [f["url"] for f in first.failed] == [srv.base + "/col/c.html"]
        second = collect(store, [target(srv.base + "/col/index.html")], Policy(**FAST))
    assert second.new == second.changed == 0 and second.unchanged == 5
    assert store.counts()["sources"] == 0   # collected, not ingested


def test_cli(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "s.sqlite")
    res = runner.invoke(app, ["collect", "--db", db])
    assert res.exit_code == 2 and "--list" in res.output
    res = runner.invoke(app, ["collect", "ftp://x/", "--db", db])
    assert res.exit_code == 2 and "http" in res.output
    res = runner.invoke(app, ["collect", "http://x/", "--per-host", "0", "--db", db])
    assert res.exit_code == 2
    site = _small_site()
    with Server(site) as srv:
        res = runner.invoke(app, ["collect", srv.base + "/col/index.html", "--db", db, "--delay", "0",
                                  "--retries", "0", "--since", "2022", "--no-progress", "--json"])
    assert res.exit_code == 0, res.output
    assert "/col/c.html" not in site.started  # 2021: before --since
    assert '"new": 5' in res.output
    # the collected reports are ingested later, from the store, without fetching again
    res = runner.invoke(app, ["collect", "--ingest", "--engine", "inline", "--db", db])
    assert res.exit_code == 0, res.output
    assert "入库 stored: 2" in res.output


def test_year_page_listing_every_agency_is_read_one_level_down(store):
    site = Site()
    agencies = ["临海市教育局", "临海市财政局", "临海市公安局"]
    site.add("/col/index.html", column_page("年报", [("y2023.html", "2023年度政府信息公开工作年度报告", "2024-01-30")]))
    site.add("/col/y2023.html", column_page("2023年度政府信息公开工作年度报告", [
        (f"r{i}.html", f"{a}2023年度政府信息公开工作年度报告", "2024-01-20") for i, a in enumerate(agencies)]))
    for i, a in enumerate(agencies):
        site.add(f"/col/r{i}.html", report_page(f"{a}2023年度政府信息公开工作年度报告", []))
    with Server(site) as srv:
        res = collect(store, [target(srv.base + "/col/index.html")], Policy(**FAST))
    assert sorted(e["url"] for e in res.entries) == [f"{srv.base}/col/r{i}.html" for i in range(3)]
    assert not res.failed


def test_list_targets_given_values_and_the_dask_engine(store, tmp_path):
    from nianbao.collect import IngestOptions
    site = _small_site()
    site.add("/files/r.txt", "某某机关政府信息公开工作年度报告\n一、总体情况\n本机关认真贯彻条例。\n",
             content_type="text/plain; charset=utf-8")
    with Server(site) as srv:
        lst = tmp_path / "urls.csv"
        lst.write_text("url,type,agency,region,year\n"
                       f"{srv.base}/col/a.html,report,,,\n"
                       f"{srv.base}/files/r.txt,,临海市审计局,浙江省台州市临海市,2022\n", encoding="utf-8")
        res = collect(store, read_list(lst), Policy(**FAST), ingest=IngestOptions(engine="dask", workers=1,
                                                                                   timeout=120))
    assert not res.failed and not res.ingest.failed, (res.failed, res.ingest.failed)
    assert len(res.ingest.stored) == 2
    rid = store.find_report("临海市审计局", 2022)   # what the list gives wins over the extraction
    rep = store.get_report(rid)
    assert rep["source"]["url"] == f"{srv.base}/files/r.txt" and rep["record"]["source"]["page_url"] is None
    assert rep["region"]["name"] == "浙江省台州市临海市"
    assert "/col/index.html" not in site.started   # a report page given is not a column


def test_export_then_rebuild_the_corpus_with_ingest(tmp_path):
    import csv
    from nianbao.store import Store
    runner = CliRunner()
    db, rebuilt = str(tmp_path / "s.sqlite"), str(tmp_path / "rebuilt.sqlite")
    site = _small_site()
    with Server(site) as srv:
        res = runner.invoke(app, ["collect", srv.base + "/col/index.html", "--db", db, "--delay", "0", "--retries",
                                  "0", "--ingest", "--engine", "inline", "--no-progress"])
    assert res.exit_code == 1 and "c.html" in res.output   # c.html is not on the site
    res = runner.invoke(app, ["collect", "--export", str(tmp_path / "out"), "--db", db])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    rows = list(csv.DictReader((out / "originals.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert sorted((r["role"], r["url"].rsplit("/", 1)[1]) for r in rows) == [
        ("attachment", "a.txt"), ("attachment", "b.txt"), ("page", "a.html"), ("page", "b.html")]
    for r in rows:
        assert (out / r["path"]).read_bytes() == site.resources[r["url"].split(srv.base)[1]].body
        assert r["status"] == "200" and r["etag"] and r["fetched_at"]
    with Store.open(db) as store:
        before = sorted((i["agency"], i["year"]) for i in store.list_reports()["items"])
    res = runner.invoke(app, ["ingest", "--manifest", str(out / "manifest.csv"), "--db", rebuilt, "--no-progress",
                              "--workers", "1"])
    assert res.exit_code == 0, res.output
    with Store.open(rebuilt) as store:
        items = store.list_reports()["items"]
        assert sorted((i["agency"], i["year"]) for i in items) == before and len(before) == 2
        assert {store.get_report(i["id"])["source"]["url"] for i in items} == \
            {srv.base + "/col/a.txt", srv.base + "/col/b.txt"}


def test_tls_certificate_not_verified_is_said_once_and_insecure_goes_on(tmp_path):
    import ssl
    import subprocess
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    site = Site()
    site.add("/a.html", "<p>ok</p>")
    with Server(site) as srv:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.httpd.socket = ctx.wrap_socket(srv.httpd.socket, server_side=True)
        url = f"https://127.0.0.1:{srv.port}/a.html"
        refused = _get(Policy(**FAST), url)[0]
        assert isinstance(refused, FetchError) and refused.reason == "tls" and "--insecure" in str(refused)
        assert site.started == []   # no request went through, nor was it tried again
        ok = _get(Policy(verify=False, **FAST), url)[0]
    assert ok.status == 200 and ok.data == b"<p>ok</p>"
