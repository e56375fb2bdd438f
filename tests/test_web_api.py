"""The web application through FastAPI's test client: every route, roles, CSRF, XSS, upload limits."""
from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from web_fixtures import make_report  # noqa: E402

from nianbao.web import create_app  # noqa: E402
from nianbao.web.auth import add_user  # noqa: E402
from nianbao.web.settings import Settings  # noqa: E402

PASSWORD = "correct-horse-1"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '<img src=x onerror="alert(2)">'
HIT_ROUTES: set[tuple[str, str]] = set()


def _app(tmp_path, **settings):
    s = Settings(store_url=f"sqlite:///{tmp_path / 'web.sqlite'}", max_upload_bytes=settings.pop("max_bytes", 256 * 1024),
                 anonymous_read=settings.pop("anonymous_read", False), secret_key="test-secret")
    app = create_app(settings=s)

    # Record which route served each request, to check below that every route was exercised.
    @app.middleware("http")
    async def record(request, call_next):
        response = await call_next(request)
        route = request.scope.get("route")
        if route is not None:
            for m in getattr(route, "methods", None) or {"GET"}:
                if m == request.method:
                    HIT_ROUTES.add((m, route.path))
        return response

    for name, role in (("viewer", "viewer"), ("rev", "reviewer"), ("admin", "admin")):
        add_user(app.state.engine, name, PASSWORD, role)
    return app


def _login(client: TestClient, name: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/reports"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client.get("/api/me").json()["csrf_token"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    app = _app(tmp)
    store = app.state.backend.store
    data22, rec22 = make_report(11, 2022, agency="江州市教育局", region="江州省江州市")
    data21, rec21 = make_report(12, 2021, agency="江州市教育局", region="江州省江州市", broken=False)
    r22 = store.store_record(rec22, data=data22, filename="jiangzhou-2022.html")["report_id"]
    r21 = store.store_record(rec21, data=data21, filename="jiangzhou-2021.html")["report_id"]
    # A report whose text, agency name, prose and evidence carry markup: it must come out inert.
    xss_data, xss_rec = make_report(13, 2023, agency=f"临海市{XSS_SCRIPT}局", region="临海省临海市",
                                    extra_text=f"说明{XSS_SCRIPT}{XSS_IMG}")
    xss_rec["findings"][0]["evidence"] += XSS_IMG
    rx = store.store_record(xss_rec, data=xss_data, filename="xss.html")["report_id"]
    return {"app": app, "tmp": tmp, "r22": r22, "r21": r21, "rx": rx, "rec22": rec22}


@pytest.fixture()
def anon(env):
    return TestClient(env["app"])


@pytest.fixture()
def viewer(env):
    c = TestClient(env["app"])
    c.headers["X-CSRF-Token"] = _login(c, "viewer")
    return c


@pytest.fixture()
def reviewer(env):
    c = TestClient(env["app"])
    c.headers["X-CSRF-Token"] = _login(c, "rev")
    return c


@pytest.fixture()
def admin(env):
    c = TestClient(env["app"])
    c.headers["X-CSRF-Token"] = _login(c, "admin")
    return c


def _finding(client, rid, rule="t3.row_total"):
    rep = client.get(f"/api/reports/{rid}").json()
    # the validator names its rules arith.t3.row_total; the fixture's own finding is t3.row_total
    return next(f for f in rep["findings"] if f["rule"].split(".", 1)[-1] == rule or f["rule"] == rule)


# ---------------------------------------------------------------- login, sessions, roles

def test_login_page_and_failed_login(anon):
    page = anon.get("/login")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = anon.post("/login", data={"name": "rev", "password": "wrong-password", "csrf_token": token})
    assert r.status_code == 401
    assert "用户名或密码不正确" in r.text
    assert anon.get("/api/me").json()["role"] == "anonymous"


def test_login_needs_csrf_and_refuses_open_redirect(anon):
    r = anon.post("/login", data={"name": "rev", "password": PASSWORD})
    assert r.status_code == 403
    page = anon.get("/login?next=//evil.example/x")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = anon.post("/login", data={"name": "rev", "password": PASSWORD, "csrf_token": token,
                                  "next": "//evil.example/x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/reports"


def test_home_redirects_and_logout_ends_session(reviewer):
    assert reviewer.get("/", follow_redirects=False).headers["location"] == "/reports"
    assert reviewer.get("/api/me").json()["role"] == "reviewer"
    r = reviewer.post("/logout", follow_redirects=False)
    assert r.status_code == 303
    assert reviewer.get("/api/me").json()["role"] == "anonymous"


def test_anonymous_reads_need_login_unless_configured(anon, tmp_path):
    assert anon.get("/reports", follow_redirects=False).status_code == 303
    assert anon.get("/api/reports").status_code == 401
    open_app = _app(tmp_path, anonymous_read=True)
    c = TestClient(open_app)
    assert c.get("/api/reports").status_code == 200
    assert c.get("/reports").status_code == 200
    # read-only: writes still need a role
    token = c.get("/api/me").json()["csrf_token"]
    assert c.post("/api/reports", files={"files": ("a.txt", b"x")}, headers={"X-CSRF-Token": token}).status_code == 401


WRITES = [
    ("post", "/api/reports", {"files": {"files": ("a.txt", "报告".encode())}}),
    ("post", "/upload", {"files": {"files": ("a.txt", "报告".encode())}}),
    ("post", "/api/reports/{r22}/findings/{fid}/review", {"json": {"decision": "dismissed", "comment": "x"}}),
    ("post", "/reports/{r22}/findings/{fid}/review", {"data": {"decision": "dismissed", "comment": "x"}}),
    ("post", "/api/reports/{r22}/corrections", {"json": {"values": {"t3.new[6]": 1}, "comment": "x"}}),
    ("post", "/reports/{r22}/correct", {"data": {"cell": "t3.new[6]", "value": "1", "comment": "x"}}),
    ("post", "/api/users", {"json": {"name": "eve", "password": "12345678", "role": "admin"}}),
    ("post", "/admin/users", {"data": {"name": "eve", "password": "12345678", "role": "admin"}}),
]


@pytest.mark.parametrize("method,path,kw", WRITES)
def test_writes_need_a_role(env, anon, viewer, method, path, kw):
    fid = _finding(viewer, env["r22"])["id"]
    url = path.format(r22=env["r22"], fid=fid)
    r = getattr(anon, method)(url, **kw)
    assert r.status_code == 401, url
    r = getattr(viewer, method)(url, **kw)
    assert r.status_code == 403, url
    # the finding and the values are untouched
    assert _finding(viewer, env["r22"])["status"] == "open"
    assert viewer.get(f"/api/reports/{env['r22']}").json()["version"] == 1


def test_reviewer_is_not_admin(reviewer):
    assert reviewer.get("/admin/users").status_code == 403
    assert reviewer.post("/api/users", json={"name": "eve", "password": "12345678", "role": "admin"}).status_code == 403


def test_csrf_token_required_for_writes(env, reviewer):
    fid = _finding(reviewer, env["r22"])["id"]
    url = f"/api/reports/{env['r22']}/findings/{fid}/review"
    for headers in ({"X-CSRF-Token": ""}, {"X-CSRF-Token": "forged"}):
        r = reviewer.post(url, json={"decision": "confirmed"}, headers=headers)
        assert r.status_code == 403 and r.json()["detail"] == "csrf"
    r = reviewer.post(f"/reports/{env['r22']}/findings/{fid}/review", data={"decision": "confirmed"},
                      headers={"X-CSRF-Token": "", "HX-Request": "true"})
    assert r.status_code == 403 and "表单已过期" in r.text
    assert _finding(reviewer, env["r22"])["status"] == "open"


# ---------------------------------------------------------------- reading

def test_reports_list_filters_and_badges(env, viewer):
    page = viewer.get("/reports")
    assert page.status_code == 200
    assert "江州市教育局" in page.text and 'class="badge error"' in page.text
    rows = viewer.get("/api/reports", params={"year": 2021}).json()
    assert [r["id"] for r in rows] == [env["r21"]]
    assert rows[0]["errors"] == 0
    rows = viewer.get("/api/reports", params={"year": 2022}).json()
    assert rows[0]["errors"] >= 1
    part = viewer.get("/reports", params={"region": "临海省临海市"},
                      headers={"HX-Request": "true", "HX-Target": "report-rows"})
    assert part.status_code == 200 and "<html" not in part.text and "江州市教育局" not in part.text
    assert "临海市" in part.text
    assert env["r21"] in [r["id"] for r in viewer.get("/api/reports", params={"status": "clean"}).json()]
    assert env["r21"] not in [r["id"] for r in viewer.get("/api/reports", params={"status": "open"}).json()]
    facets = viewer.get("/api/facets").json()
    assert 2021 in facets["years"] and "city" in facets["levels"]
    assert viewer.get("/api/reports", params={"level": "galaxy"}).status_code == 400
    bad = viewer.get("/dashboard", params={"level": "galaxy"})
    assert bad.status_code == 400 and "未知层级" in bad.text


def test_reports_list_reads_no_report(env, viewer, monkeypatch):
    """The list's badges, names and versions come from the store's one list query."""
    store = env["app"].state.backend.store
    want = {}
    for rid in (env["r21"], env["r22"], env["rx"]):
        fs = [f for f in store.get_report(rid)["findings"] if f["status"] != "dismissed"]
        want[rid] = {s: sum(f["severity"] == s for f in fs) for s in ("error", "warning", "info")}

    def no_reads(*a, **kw):
        raise AssertionError("the list read a whole report")
    monkeypatch.setattr(store, "get_report", no_reads)
    rows = {r["id"]: r for r in viewer.get("/api/reports").json()}
    for rid, counts in want.items():
        assert (rows[rid]["errors"], rows[rid]["warnings"], rows[rid]["infos"]) == \
            (counts["error"], counts["warning"], counts["info"])
    assert rows[env["r21"]]["name"] == "jiangzhou-2021.html" and rows[env["r21"]]["format"]
    page = viewer.get("/reports")
    assert page.status_code == 200 and "江州市教育局" in page.text and 'class="badge error"' in page.text
    schema = viewer.get("/api/openapi.json").json()["components"]["schemas"]["ReportSummary"]["properties"]
    assert "dismissed" in schema["errors"]["description"] and "infos" in schema


def test_report_detail_draws_the_form_with_findings(env, viewer):
    page = viewer.get(f"/reports/{env['r22']}")
    assert page.status_code == 200
    html = page.text
    # table 三 drawn like the form: the 3×3 corner, 申请人情况 over 7 columns, result block rowspan 22 (2021 form)
    assert 'rowspan="3" colspan="3"' in html and 'colspan="7">申请人情况' in html
    assert re.search(r'rowspan="22">三、本年度办理结果', html)
    assert 'colspan="10">行政诉讼' in html
    assert re.search(r'class="v sev-error" data-ref="t3.new\[6\]"', html)
    assert "第二十条第(一)项" in html
    api = viewer.get(f"/api/reports/{env['r22']}").json()
    assert api["record"]["t3"]["rows"]["new"] == env["rec22"]["t3"]["rows"]["new"]
    assert viewer.get("/reports/99999").status_code == 404
    assert viewer.get("/api/reports/99999").status_code == 404


def test_source_view_highlights_the_cell(env, viewer):
    fid = _finding(viewer, env["r22"])["id"]
    page = viewer.get(f"/reports/{env['r22']}/source", params={"finding": fid})
    assert page.status_code == 200
    wrong_total = env["rec22"]["t3"]["rows"]["new"][6]
    assert f'<mark id="hit">{wrong_total}</mark>' in page.text
    page = viewer.get(f"/reports/{env['r22']}/source", params={"cell": "t3.carried[6]"})
    assert '<mark id="hit">' in page.text
    api = viewer.get(f"/api/reports/{env['r22']}/source", params={"cell": "t3.new[6]"}).json()
    s, e = api["where"]["span"]
    assert api["text"][s:e] == str(wrong_total)
    assert viewer.get(f"/reports/{env['r22']}/source", params={"finding": "424242"}).status_code == 404


def test_original_is_a_download_never_rendered(env, viewer):
    r = viewer.get(f"/api/reports/{env['rx']}/original")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert "attachment" in r.headers["content-disposition"]
    assert r.headers["content-security-policy"] == "sandbox"


def test_pdf_page_rendered_with_box(env, reviewer):
    import pypdfium2 as pdfium
    from PIL import Image
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(595, 842)
    buf = io.BytesIO()
    pdf.save(buf)
    rec = json.loads(json.dumps(env["rec22"]))
    rec["meta"]["agency"] = "白鹿市交通运输局"
    rec["source"] = {"path": "scan.pdf", "sha256": "", "format": "pdf"}
    rec["provenance"] = {"t3.new[6]": {"span": [0, 0], "page": 1, "bbox": [100.0, 200.0, 160.0, 215.0]}}
    store = env["app"].state.backend.store
    rid = store.store_record(rec, data=buf.getvalue(), filename="scan.pdf")["report_id"]
    page = reviewer.get(f"/reports/{rid}/source", params={"cell": "t3.new[6]"})
    assert page.status_code == 200 and f"/reports/{rid}/page/1.png" in page.text
    img = reviewer.get(f"/reports/{rid}/page/1.png", params={"bbox": "100,200,160,215"})
    assert img.status_code == 200 and img.headers["content-type"] == "image/png"
    im = Image.open(io.BytesIO(img.content)).convert("RGB")
    scale = 110 / 72
    r, g, b = im.getpixel((int(100 * scale) - 3, int(207 * scale)))  # on the left edge of the box
    assert r > 180 and g < 80, (r, g, b)
    assert im.getpixel((10, 10)) == (255, 255, 255)
    assert reviewer.get(f"/reports/{rid}/page/9.png").status_code == 404
    assert reviewer.get(f"/reports/{rid}/page/1.png", params={"bbox": "a,b"}).status_code == 400
    assert reviewer.get(f"/reports/{env['r22']}/page/1.png").status_code == 404  # not a PDF


# ---------------------------------------------------------------- XSS

def test_report_markup_is_rendered_inert(env, viewer):
    rx = env["rx"]
    fid = _finding(viewer, rx)["id"]
    pages = [f"/reports/{rx}", f"/reports/{rx}/source?finding={fid}", "/reports", f"/compare?a={env['r22']}&b={rx}",
             "/dashboard", f"/reports/{rx}/source?cell=t3.new%5B0%5D"]
    for url in pages:
        html = viewer.get(url).text
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html and 'onerror="alert' not in html, url
    html = viewer.get(f"/reports/{rx}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=" in html
    # every page forbids inline script, should escaping ever fail
    assert "script-src 'self'" in viewer.get("/reports").headers["content-security-policy"]


def test_uploaded_html_with_script_is_inert(reviewer):
    data = ("<html><body><h1>石门县人民政府2022年政府信息公开工作年度报告</h1>"
            "<p>一、总体情况 本年度&lt;script&gt;alert(3)&lt;/script&gt;正常。</p>"
            "<script>alert(4)</script><img src=x onerror=alert(5)></body></html>").encode()
    r = reviewer.post("/api/reports", files={"files": ("xss-upload.html", data, "text/html")})
    assert r.status_code == 200 and r.json()[0]["ok"], r.text
    rid = r.json()[0]["id"]
    for url in (f"/reports/{rid}", f"/reports/{rid}/source"):
        html = reviewer.get(url).text
        assert "<script>alert" not in html and "onerror=alert" not in html


# ---------------------------------------------------------------- uploads

def test_upload_page_and_batch_with_limits(reviewer):
    page = reviewer.get("/upload")
    assert page.status_code == 200 and 'id="dropzone"' in page.text
    good, _ = make_report(21, 2020, agency="青川市自然资源局", region="北川省青川市")
    files = [("files", ("good.html", good, "text/html")),
             ("files", ("virus.exe", b"MZ\x90\x00", "application/octet-stream")),
             ("files", ("big.txt", "年报".encode() * 200_000, "text/plain")),
             ("files", ("fake.pdf", "不是PDF".encode(), "application/pdf")),
             ("files", ("empty.txt", b"", "text/plain"))]
    r = reviewer.post("/upload", files=files)
    assert r.status_code == 200
    html = r.text
    assert "good.html" in html and "已入库" in html
    assert "不支持的文件类型 .exe" in html
    assert "文件过大" in html
    assert "文件内容与扩展名 .pdf 不符" in html
    assert "空文件" in html
    results = reviewer.post("/api/reports", files=files[:2]).json()
    assert results[0]["ok"] and results[0]["duplicate"]
    assert not results[1]["ok"]
    assert reviewer.post("/api/reports", files=[]).status_code in (400, 422)


def test_upload_too_large_request_refused(env, reviewer):
    big = b"0" * (256 * 1024 * 21)
    r = reviewer.post("/api/reports", files={"files": ("a.txt", big)})
    assert r.status_code == 413


def test_upload_through_the_real_extractor(reviewer):
    data, rec = make_report(31, 2022, agency="南屏市生态环境局", region="云岭省南屏市")
    r = reviewer.post("/api/reports", files={"files": ("nanping-2022.html", data, "text/html")}).json()[0]
    assert r["ok"] and not r["duplicate"]
    got = reviewer.get(f"/api/reports/{r['id']}").json()
    assert got["record"]["meta"]["year"] == 2022
    assert got["record"]["t3"]["rows"]["new"] == rec["t3"]["rows"]["new"]
    assert any("t3.new[6]" in f["cells"] and f["severity"] == "error" for f in got["findings"])


# ---------------------------------------------------------------- review and correction

def test_review_confirm_and_dismiss(env, reviewer):
    f = _finding(reviewer, env["r22"])
    r = reviewer.post(f"/reports/{env['r22']}/findings/{f['id']}/review",
                      data={"decision": "dismissed", "comment": "原表如此，已核实"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "已排除" in r.text and "原表如此，已核实" in r.text and "<html" not in r.text
    got = _finding(reviewer, env["r22"])
    assert got["status"] == "dismissed" and got["reviewed_by"] == "rev" and got["comment"] == "原表如此，已核实"
    r = reviewer.post(f"/api/reports/{env['r22']}/findings/{f['id']}/review", json={"decision": "confirmed"})
    assert r.status_code == 200
    assert _finding(reviewer, env["r22"])["status"] == "confirmed"
    assert reviewer.post(f"/api/reports/{env['r22']}/findings/{f['id']}/review",
                         json={"decision": "maybe"}).status_code == 422
    assert reviewer.post(f"/api/reports/{env['r21']}/findings/{f['id']}/review",
                         json={"decision": "confirmed"}).status_code == 404  # not this report's finding


def test_correction_creates_a_version_with_audit_trail(env, reviewer):
    rid = env["rx"]
    before = reviewer.get(f"/api/reports/{rid}").json()
    new = before["record"]["t3"]["rows"]["new"]
    right = sum(new[:6])
    r = reviewer.post(f"/reports/{rid}/correct", data={"cell": "t3.new[6]", "value": str(right),
                                                       "comment": "按各列之和更正"}, follow_redirects=False)
    assert r.status_code == 303
    after = reviewer.get(f"/api/reports/{rid}").json()
    assert after["version"] == before["version"] + 1
    assert after["record"]["t3"]["rows"]["new"][6] == right
    change = after["versions"][-1]
    assert change["user"] == "rev" and change["comment"] == "按各列之和更正"
    assert change["changes"] == [{"cell": "t3.new[6]", "old": new[6], "new": right}]
    assert not any(f["rule"] == "t3.row_total" and "t3.new[6]" in f["cells"] for f in after["findings"])
    page = reviewer.get(f"/reports/{rid}").text
    assert f"v{after['version']}" in page and "按各列之和更正" in page
    old = reviewer.get(f"/reports/{rid}", params={"v": before["version"]}).text
    assert "历史版本" in old and 'id="readonly-note"' in old
    assert 'id="edit-link"' not in old and 'class="review"' not in old
    assert 'id="edit-link"' in page
    r = reviewer.post(f"/api/reports/{rid}/corrections", json={"values": {"t3.new[0]": 5}, "comment": "再次更正"})
    assert r.status_code == 200 and r.json()["version"] == after["version"] + 1
    assert reviewer.post(f"/api/reports/{rid}/corrections", json={"values": {"t3.new[0]": 5}}).status_code == 400
    assert reviewer.post(f"/reports/{rid}/correct", data={"cell": "t3.new[0]", "value": "abc",
                                                          "comment": "x"}).status_code == 400
    assert reviewer.post(f"/api/reports/{rid}/corrections", json={"values": {"nonsense": 1},
                                                                  "comment": "x"}).status_code == 400


# ---------------------------------------------------------------- compare, dashboard, exports

def test_compare_year_over_year(env, viewer):
    page = viewer.get("/compare", params={"b": env["r22"]})
    assert page.status_code == 200
    assert 'id="compare-table"' in page.text and "class=\"changed\"" in page.text
    assert "文字重复率" in page.text
    data = viewer.get("/api/compare", params={"b": env["r22"]}).json()
    assert data["a"] == env["r21"]
    cell = next(c for c in data["cells"] if c["ref"] == "t3.new[6]")
    assert cell["changed"]
    assert viewer.get("/compare").status_code == 200
    assert viewer.get("/api/compare", params={"b": env["r21"]}).status_code == 404  # no 2020 report


def test_dashboard_and_stats(env, viewer):
    page = viewer.get("/dashboard")
    assert page.status_code == 200 and "echarts-6.1.0.min.js" in page.text
    blocks = re.findall(r'<script type="application/json" class="chart-data" data-for="([^"]+)">(.*?)</script>',
                        page.text, re.S)
    charts = {k: json.loads(v) for k, v in blocks}
    assert set(charts) == {"chart-year", "chart-region", "chart-level", "chart-rank"}
    assert "2021" in charts["chart-year"]["categories"] and "2022" in charts["chart-year"]["categories"]
    assert any(any(x for x in s["data"]) for s in charts["chart-year"]["series"])
    assert all(h.startswith("/reports") for h in charts["chart-region"]["hrefs"])
    stats = viewer.get("/api/stats", params={"year": 2022}).json()
    assert stats["by_year"]["categories"] == ["2022"]
    assert viewer.get("/dashboard", params={"region": "江州省"}).status_code == 200


@pytest.mark.parametrize("fmt", ["csv", "csv_long", "xlsx", "jsonl", "parquet"])
def test_exports(env, viewer, fmt):
    r = viewer.get("/exports/download", params={"format": fmt})
    assert r.status_code == 200 and len(r.content) > 100
    assert "attachment" in r.headers["content-disposition"]
    if fmt == "csv":
        assert "江州市教育局" in r.content.decode("utf-8-sig")
    r = viewer.get("/api/export", params={"format": fmt, "year": 2021})
    assert r.status_code == 200


def test_exports_page_and_bad_format(viewer):
    assert viewer.get("/exports").status_code == 200
    assert viewer.get("/exports/download", params={"format": "exe"}).status_code == 400
    assert viewer.get("/api/export", params={"format": "exe"}).status_code == 400


# ---------------------------------------------------------------- admin, language, errors, schema

def test_admin_adds_users(admin):
    assert admin.get("/admin/users").status_code == 200
    r = admin.post("/admin/users", data={"name": "auditor", "password": "long-enough-1", "role": "viewer"})
    assert r.status_code == 200 and "已添加用户 auditor" in r.text
    r = admin.post("/admin/users", data={"name": "auditor", "password": "long-enough-1", "role": "viewer"})
    assert r.status_code == 400 and "已存在" in r.text
    r = admin.post("/api/users", json={"name": "boss", "password": "long-enough-2", "role": "reviewer"})
    assert r.status_code == 201 and r.json() == {"name": "boss", "role": "reviewer"}
    assert admin.post("/api/users", json={"name": "short", "password": "123", "role": "viewer"}).status_code == 400


def test_english_interface(viewer):
    r = viewer.get("/lang/en", params={"next": "/reports"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/reports"
    viewer.cookies.set("lang", "en")
    page = viewer.get("/reports")
    assert "Reports" in page.text and "报告列表" not in page.text
    assert viewer.get("/lang/xx", follow_redirects=False).status_code == 303


def test_form_tables_in_english(env, viewer, monkeypatch):
    en = viewer.get(f"/reports/{env['r22']}", params={"lang": "en"}).text
    for label in ("Article 20, item (1)", "issued this year", "in force", "legal persons or other organisations",
                  "administrative litigation", "3. results this year"):
        assert label in en, label
    for label in ("第二十条第(一)项", "本年制发件数", "法人或其他组织", "三、本年度办理结果"):
        assert label not in en, label
    zh = viewer.get(f"/reports/{env['r22']}", params={"lang": "zh"}).text
    assert "本年制发件数" in zh and "issued this year" not in zh
    cells = viewer.get("/api/compare", params={"b": env["r22"], "lang": "en"}).json()["cells"]
    assert any("table 2 regulations / issued this year" in json.dumps(c, ensure_ascii=False) for c in cells)

    # NIANBAO_LANG=en makes English the default (Settings.default_lang); ?lang= still switches back
    monkeypatch.setattr(env["app"].state.settings, "default_lang", "en")
    assert "issued this year" in viewer.get(f"/reports/{env['r22']}").text
    assert "本年制发件数" in viewer.get(f"/reports/{env['r22']}", params={"lang": "zh"}).text


def test_errors_are_messages_not_tracebacks(env, tmp_path, monkeypatch):
    app = _app(tmp_path)
    c = TestClient(app, raise_server_exceptions=False)
    c.headers["X-CSRF-Token"] = _login(c, "rev")

    def boom(*a, **k):
        raise RuntimeError("/secret/path/db.sqlite exploded")

    monkeypatch.setattr(app.state.backend, "reports", boom)
    r = c.get("/reports")
    assert r.status_code == 500 and "服务器内部错误" in r.text
    assert "Traceback" not in r.text and "/secret/path" not in r.text
    r = c.get("/api/reports")
    assert r.status_code == 500 and r.json()["detail"] == "internal"
    assert c.get("/no/such/page").status_code == 404
    assert "test-secret" not in c.get("/upload").text


def test_openapi_documents_the_api(anon):
    schema = anon.get("/api/openapi.json").json()
    paths = schema["paths"]
    for p in ("/api/reports", "/api/reports/{rid}", "/api/reports/{rid}/source", "/api/reports/{rid}/original",
              "/api/reports/{rid}/findings/{fid}/review", "/api/reports/{rid}/corrections", "/api/compare",
              "/api/stats", "/api/export", "/api/users", "/api/me", "/api/facets"):
        assert p in paths, p
    assert "multipart/form-data" in paths["/api/reports"]["post"]["requestBody"]["content"]
    assert anon.get("/api/docs").status_code == 200
    assert anon.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200


# ---------------------------------------------------------------- any store by URL: PostgreSQL

def _store_test_kit():
    """The store tests' PostgreSQL fixtures (a real server on a free port), reused rather than copied."""
    import importlib.util
    path = Path(__file__).parent / "store" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_nianbao_store_conftest_for_web", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_kit = _store_test_kit()
pg_server = _kit.pg_server


def test_web_on_postgresql(pg_server, tmp_path):
    url = _kit.new_pg_database(pg_server)
    app = create_app(settings=Settings(store_url=url, secret_key="pg-secret"))
    add_user(app.state.engine, "rev", PASSWORD, "reviewer")
    c = TestClient(app)
    c.headers["X-CSRF-Token"] = _login(c, "rev")
    data, rec = make_report(51, 2022, agency="安平区卫生健康委员会", region="临海省临海市安平区")
    up = c.post("/api/reports", files={"files": ("anping.html", data, "text/html")}).json()[0]
    assert up["ok"] and up["errors"] >= 1
    rid = up["id"]
    f = _finding(c, rid)
    assert c.post(f"/api/reports/{rid}/findings/{f['id']}/review",
                  json={"decision": "dismissed", "comment": "核实无误"}).status_code == 200
    right = sum(rec["t3"]["rows"]["new"][:6])
    got = c.post(f"/api/reports/{rid}/corrections", json={"values": {"t3.new[6]": right}, "comment": "更正"}).json()
    assert got["version"] == 2 and got["record"]["t3"]["rows"]["new"][6] == right
    assert "安平区卫生健康委员会" in c.get("/reports").text
    assert c.get(f"/reports/{rid}/source", params={"cell": "t3.new[6]"}).status_code == 200
    charts = c.get("/api/stats").json()
    assert charts["by_year"]["categories"] == ["2022"]
    assert c.get("/api/export", params={"format": "csv"}).status_code == 200


def test_author_routes(env, admin):
    """The 编制 routes on this app (their behaviour is tested in test_author_web.py)."""
    did = admin.post("/api/author/drafts", json={"agency": "江州市教育局", "year": 2023}).json()["id"]
    assert admin.get("/author").status_code == 200 and admin.get("/api/author/drafts").status_code == 200
    assert admin.post("/author/new", data={"agency": "江州市教育局", "year": "2023"},
                      follow_redirects=False).status_code == 303
    page = admin.get(f"/author/{did}")
    assert page.status_code == 200 and admin.get(f"/api/author/drafts/{did}").status_code == 200
    form = {"c:t3.new[0]": "1", "base": "1"}
    assert admin.post(f"/author/{did}/check", data=form).status_code == 200
    assert admin.post(f"/author/{did}/save", data=form).status_code == 200
    assert admin.post(f"/author/{did}/zeros", data={"base": "2"}, follow_redirects=False).status_code == 303
    record = admin.get(f"/api/author/drafts/{did}").json()["record"]
    assert admin.post(f"/api/author/drafts/{did}/check", json=record).status_code == 200
    assert admin.put(f"/api/author/drafts/{did}", json={"record": record}).status_code == 200
    assert admin.post(f"/author/{did}/export?fmt=json", data={}).status_code == 200
    assert admin.post(f"/api/author/drafts/{did}/export?format=json").status_code == 200
    assert admin.post(f"/author/{did}/store", data={}).status_code == 409  # still has errors
    assert admin.post(f"/api/author/drafts/{did}/store", json={"reason": "路由测试"}).status_code == 200
    assert admin.get("/author/admin/grants").status_code == 200
    assert admin.post("/author/admin/grants", data={"name": "viewer", "agency": "江州市教育局"},
                      follow_redirects=False).status_code == 303


def test_oversight_pages_and_api(env, anon, viewer, reviewer):
    """汇总一致性, scores, rankings and the hierarchy through the web (nianbao.web.routes.oversight)."""
    store = env["app"].state.backend.store
    gov_data, gov = make_report(14, 2022, agency="江州市人民政府", region="江州省江州市", broken=False,
                                extra_text="本报告所列数据为全市汇总数据。")
    store.store_record(gov, data=gov_data, filename="gov-2022.html")
    assert anon.get("/reconcile", follow_redirects=False).status_code == 303  # to the login page
    assert anon.get("/api/rankings").status_code == 401
    page = viewer.get("/reconcile", params={"agency": "江州市人民政府", "year": 2022})
    assert page.status_code == 200 and "全域汇总" in page.text and 'id="rec-gaps"' in page.text
    assert 't3.new[0]</td>' not in page.text  # cells are shown by their labels
    res = viewer.get("/api/reconcile", params={"agency": "江州市人民政府", "year": 2022}).json()
    assert res["scope"]["kind"] == "area" and res["gaps"]
    assert "江州市教育局" in {c["name"] for c in res["contributors"] if c["report_id"]}
    assert viewer.get("/api/reconcile", params={"agency": "江州市教育局", "year": 2022}).status_code == 400
    assert viewer.get("/api/reconcile", params={"agency": "没有", "year": 2022}).status_code == 404
    assert viewer.get("/reconcile").status_code == 200

    panel = viewer.get(f"/reports/{env['r22']}/score")
    assert panel.status_code == 200 and 'id="score-value"' in panel.text
    ex = viewer.get(f"/api/reports/{env['r22']}/score").json()
    assert ex["score"] <= ex["max"] == 100
    assert viewer.get("/api/reports/999999/score").status_code == 404
    scores = viewer.get("/api/scores", params={"limit": 2}).json()
    assert len(scores["reports"]) == 2 and scores["weights"]["total"] == 100
    assert {d["key"] for d in viewer.get("/api/score/weights").json()["dimensions"]} >= {"timeliness", "fees"}
    listed = viewer.get("/api/reports").json()
    assert all(r["score"] is not None for r in listed)

    page = viewer.get("/rankings", params={"group": "agency"})
    assert page.status_code == 200 and XSS_SCRIPT not in page.text and 'id="ranking"' in page.text
    assert viewer.get("/rankings", params={"by": "no_such_metric"}).status_code == 400
    xlsx = viewer.get("/rankings.xlsx", params={"group": "level"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    ranked = viewer.get("/api/rankings", params={"group": "agency", "by": "applications"}).json()
    assert ranked["groups"] and ranked["by"] == "applications"

    assert viewer.get("/hierarchy").status_code == 200
    gov_id = next(a["id"] for a in store.agencies() if a["name"] == "江州市人民政府")
    dept_id = next(a["id"] for a in store.agencies() if a["name"] == "江州市教育局")
    page = viewer.get("/hierarchy", params={"agency": gov_id})
    assert "江州市教育局" in page.text and "/hierarchy/" not in page.text  # a viewer gets no forms
    tree = viewer.get(f"/api/hierarchy/{gov_id}").json()
    assert "江州市教育局" in [c["name"] for c in tree["children"]]
    assert viewer.post(f"/api/hierarchy/{dept_id}", json={"parent_set": True}).status_code == 403
    got = reviewer.post(f"/api/hierarchy/{dept_id}", json={"parent_set": True, "reason": "垂直管理"}).json()
    assert got["parent"] is None and got["override"]["set_by"] == "rev"
    assert reviewer.delete(f"/api/hierarchy/{dept_id}/override").json()["parent"]["name"] == "江州市人民政府"
    r = reviewer.post(f"/hierarchy/{dept_id}", data={"kind": "department", "level": "city", "reason": "核对"},
                      follow_redirects=False)
    assert r.status_code == 303
    assert viewer.get(f"/api/hierarchy/{dept_id}", params={"depth": 0}).json()["override"]["source"] == "web"
    r = reviewer.post("/hierarchy-import", files={"file": ("h.csv", "agency,parent\n江州市审计局,江州市人民政府\n,\n"
                                                                   "江州市教育局,没有这个政府\n", "text/csv")})
    assert r.status_code == 200 and 'id="import-result"' in r.text
    csv = viewer.get("/hierarchy.csv")
    assert csv.status_code == 200 and "江州市审计局" in csv.content.decode("utf-8-sig")


# ---------------------------------------------------------------- accounts: throttling, sessions, administration

def _login_form(client: TestClient, name: str, password: str, next_: str = "/reports"):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": next_},
                       follow_redirects=False)


def test_login_throttled_per_account_and_per_address(tmp_path):
    app = _app(tmp_path)
    c = TestClient(app)
    for _ in range(5):
        assert _login_form(c, "rev", "wrong-password-x").status_code == 401
    r = _login_form(c, "rev", PASSWORD)          # the right password too: the account waits
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "登录失败次数过多" in r.text
    assert _login_form(c, "viewer", PASSWORD).status_code == 303   # another account from here still may
    # many accounts from one address: the address is stopped
    for i in range(20 - 5):  # 5 failures so far; the refused attempt did not count
        assert _login_form(c, f"nobody{i}", "wrong-password-x").status_code == 401
    assert _login_form(c, "admin", PASSWORD).status_code == 429
    # an administrator's password reset lets the account in again at once
    app.state.throttle = type(app.state.throttle)()
    for _ in range(5):
        _login_form(c, "rev", "wrong-password-x")
    a = TestClient(app)
    a.headers["X-CSRF-Token"] = _login(a, "admin")
    assert a.patch("/api/users/rev", json={"password": "a-brand-new-secret-9"}).status_code == 200
    assert _login_form(c, "rev", "a-brand-new-secret-9").status_code == 303


def test_throttle_window_slides():
    from nianbao.web.throttle import LoginThrottle
    now = [1000.0]
    t = LoginThrottle(per_account=3, per_address=5, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert t.retry_after("ann", "10.0.0.1") == 0
        t.failed("ann", "10.0.0.1")
        now[0] += 1
    assert 55 < t.retry_after("ANN ", "10.0.0.9") <= 60          # the account, from any address
    assert t.retry_after("bob", "10.0.0.2") == 0
    now[0] += 58                                                   # the oldest failure leaves the window
    assert t.retry_after("ann", "10.0.0.9") == 0
    t.failed("ann", "10.0.0.1")
    t.succeeded("ann")
    assert t.retry_after("ann", "10.0.0.3") == 0
    for name in ("a", "b", "c"):                                    # 5 failures from one address in all
        t.failed(name, "10.0.0.1")
    assert t.retry_after("zed", "10.0.0.1") > 0 and t.retry_after("zed", "10.0.0.4") == 0
    small = LoginThrottle(max_keys=10, clock=lambda: now[0])
    for i in range(100):
        small.failed(f"u{i}", f"10.1.0.{i}")
    assert len(small._failures) <= 10                              # memory stays bounded


def test_old_password_hashes_are_renewed_at_sign_in(tmp_path):
    import sqlalchemy as sa
    from argon2 import PasswordHasher

    from nianbao.web.db import users
    app = _app(tmp_path)
    engine = app.state.engine
    with engine.begin() as conn:
        conn.execute(users.update().where(users.c.name == "rev").values(password_hash=PasswordHasher().hash(PASSWORD)))
    assert _login_form(TestClient(app), "rev", PASSWORD).status_code == 303
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.name == "rev")).scalar()
    assert "m=19456,t=2,p=1" in stored
    assert _login_form(TestClient(app), "rev", PASSWORD).status_code == 303


def test_logout_revokes_the_session_on_the_server(tmp_path):
    app = _app(tmp_path)
    c = TestClient(app)
    c.headers["X-CSRF-Token"] = _login(c, "rev")
    stolen = c.cookies.get("nianbao_session")
    assert c.get("/api/me").json()["name"] == "rev"
    assert c.post("/logout", follow_redirects=False).status_code == 303
    thief = TestClient(app)
    thief.cookies.set("nianbao_session", stolen)
    assert thief.get("/api/me").json()["role"] == "anonymous"
    assert thief.get("/api/reports").status_code == 401


def test_password_change_ends_other_sessions_and_checks_strength(tmp_path):
    app = _app(tmp_path)
    here, there = TestClient(app), TestClient(app)
    here.headers["X-CSRF-Token"] = _login(here, "rev")
    there.headers["X-CSRF-Token"] = _login(there, "rev")
    assert here.get("/account").status_code == 200
    r = here.post("/account/password", data={"current": PASSWORD, "new": "password123", "repeat": "password123"})
    assert r.status_code == 400 and "密码" in r.text            # too weak (and too short)
    r = here.post("/account/password", data={"current": "wrong-password", "new": "violet-canyon-4817",
                                             "repeat": "violet-canyon-4817"})
    assert r.status_code == 401 and "当前密码不正确" in r.text
    r = here.post("/account/password", data={"current": PASSWORD, "new": "violet-canyon-4817",
                                             "repeat": "violet-canyon-4817"})
    assert r.status_code == 200 and "其他设备上的登录已全部退出" in r.text
    assert here.get("/api/me").json()["name"] == "rev"          # this session goes on
    assert there.get("/api/me").json()["role"] == "anonymous"   # the other one has ended
    assert _login_form(TestClient(app), "rev", "violet-canyon-4817").status_code == 303
    r = here.post("/api/me/password", json={"current": "violet-canyon-4817", "new": "short"})
    assert r.status_code == 400 and "至少 10 个字符" in r.json()["detail"]


def test_admin_disables_changes_roles_and_resets(tmp_path):
    app = _app(tmp_path)
    a, v = TestClient(app), TestClient(app)
    a.headers["X-CSRF-Token"] = _login(a, "admin")
    v.headers["X-CSRF-Token"] = _login(v, "viewer")
    page = a.get("/admin/users")
    assert page.status_code == 200 and 'id="users-table"' in page.text
    r = a.post("/admin/users/viewer", data={"action": "role", "role": "reviewer"})
    assert r.status_code == 200 and "viewer 的角色已改为" in r.text
    assert v.get("/api/me").json()["role"] == "reviewer"       # the role is read on every request
    r = a.post("/admin/users/viewer", data={"action": "disable"})
    assert r.status_code == 200 and "已停用 viewer" in r.text
    assert v.get("/api/me").json()["role"] == "anonymous"
    assert _login_form(TestClient(app), "viewer", PASSWORD).status_code == 401
    listed = {u["name"]: u for u in a.get("/api/users").json()}
    assert listed["viewer"]["disabled"] and listed["viewer"]["sessions"] == 0 and listed["admin"]["sessions"] >= 1
    assert a.post("/admin/users/viewer", data={"action": "enable"}).status_code == 200
    assert _login_form(TestClient(app), "viewer", PASSWORD).status_code == 303
    r = a.post("/admin/users/viewer", data={"action": "password", "password": "12345678"})
    assert r.status_code == 400 and "至少 10 个字符" in r.text
    r = a.post("/admin/users/viewer", data={"action": "password", "password": "sunlit-harbour-2290"})
    assert r.status_code == 200 and "已重置 viewer 的密码" in r.text
    # the last admin cannot go
    assert a.post("/admin/users/admin", data={"action": "disable"}).status_code == 400
    r = a.patch("/api/users/admin", json={"role": "viewer"})
    assert r.status_code == 400 and "管理员" in r.json()["detail"]
    assert a.patch("/api/users/ghost", json={"disabled": True}).status_code == 404
    r = a.post("/admin/users", data={"name": "weak", "password": "abcdefghij", "role": "viewer"})
    assert r.status_code == 400 and "太容易猜到" in r.text


def test_login_and_language_keep_the_query(anon, viewer):
    r = anon.get("/reports?year=2022&level=city", follow_redirects=False)
    assert r.status_code == 303
    target = r.headers["location"]
    assert target.startswith("/login?next=") and "year%3D2022" in target and "level%3Dcity" in target
    page = anon.get(target)
    assert 'name="next" value="/reports?year=2022&amp;level=city"' in page.text
    r = _login_form(TestClient(anon.app), "viewer", PASSWORD, "/reports?year=2022&level=city")
    assert r.headers["location"] == "/reports?year=2022&level=city"
    page = viewer.get("/reports?year=2022&q=教育")
    link = re.search(r'href="(/lang/en\?next=[^"]+)"', page.text).group(1)
    r = viewer.get(link.replace("&amp;", "&"), follow_redirects=False)
    assert r.headers["location"] == "/reports?year=2022&q=%E6%95%99%E8%82%B2"


def test_api_docs_are_served_from_the_app(anon):
    page = anon.get("/api/docs")
    assert page.status_code == 200
    assert "/static/vendor/swagger-ui-bundle-5.35.0.js" in page.text and "/static/api-docs.js" in page.text
    assert "cdn" not in page.text.lower() and "<script>" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/static/vendor/swagger-ui-bundle-5.35.0.js", "/static/vendor/swagger-ui-5.35.0.css",
                  "/static/api-docs.js"):
        assert anon.get(asset).status_code == 200, asset


# ---------------------------------------------------------------- review form, corrections in the pages

def _fresh(store, seed, year=2022, *, agency, region="白沙省白沙市", broken=True):
    data, rec = make_report(seed, year, agency=agency, region=region, broken=broken)
    return store.store_record(rec, data=data, filename=f"{agency}-{year}.html")["report_id"], rec


def test_review_form_has_explicit_buttons_and_needs_a_reason_to_dismiss(env, reviewer):
    store = env["app"].state.backend.store
    rid, _ = _fresh(store, 61, agency="白沙市教育局")
    page = reviewer.get(f"/reports/{rid}").text
    form = re.search(r'<form class="review".*?</form>', page, re.S).group(0)
    assert '<textarea name="comment"' in form and '<input name="comment"' not in form  # Enter: a new line
    assert 'value="confirmed"' in form and 'value="dismissed"' in form
    f = _finding(reviewer, rid)
    url = f"/reports/{rid}/findings/{f['id']}/review"
    r = reviewer.post(url, data={"decision": "dismissed", "comment": "  "}, headers={"HX-Request": "true"})
    assert r.status_code == 422 and "须说明理由" in r.text and 'aria-invalid="true"' in r.text
    assert _finding(reviewer, rid)["status"] == "open"
    r = reviewer.post(f"/api/reports/{rid}/findings/{f['id']}/review", json={"decision": "dismissed"})
    assert r.status_code == 400 and "须说明理由" in r.json()["detail"]
    r = reviewer.post(url, data={"decision": "dismissed", "comment": "原表如此"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    # the badges at the top come back with the finding (htmx swaps them in place)
    counts = re.search(r'<p class="counts" id="report-counts" hx-swap-oob="true".*?</p>', r.text, re.S).group(0)
    assert re.search(r'id="count-error">(\d+)', counts).group(1) == str(
        sum(1 for x in reviewer.get(f"/api/reports/{rid}").json()["findings"]
            if x["severity"] == "error" and x["status"] != "dismissed"))
    r = reviewer.post(url, data={"decision": "open"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and _finding(reviewer, rid)["status"] == "open"
    r = reviewer.post(url, data={"decision": "confirmed"}, follow_redirects=False)   # without JavaScript
    assert r.status_code == 303 and r.headers["location"].endswith(f"#finding-{f['id']}")


def test_edit_mode_saves_several_cells_and_refuses_bad_ones_by_name(env, reviewer):
    store = env["app"].state.backend.store
    rid, rec = _fresh(store, 62, agency="白沙市民政局")
    page = reviewer.get(f"/reports/{rid}", params={"edit": 1}).text
    assert 'id="edit-form"' in page and 'name="cell:t3.new[6]"' in page and 'name="cell:meta.published"' in page
    assert 'type="date" name="cell:meta.published"' in page
    fields = dict(re.findall(r'name="(cell:[^"]+)" form="edit-form" value="([^"]*)"', page))
    assert len(fields) > 150
    new = rec["t3"]["rows"]["new"]
    # two bad cells: nothing saved, both named in words, the entered values kept
    bad = {**fields, "cell:t3.new[0]": "3.7", "cell:t4.reconsideration[1]": "-5", "comment": "试"}
    r = reviewer.post(f"/reports/{rid}/correct", data=bad)
    assert r.status_code == 400
    assert "2 处数值不符合" in r.text and "件数须为整数" in r.text and "不能为负数" in r.text
    assert "表三 一、本年新收政府信息公开申请数量 / 自然人" in r.text or "表三“一、本年新收" in r.text
    assert re.search(r'class="v edit[^"]*invalid" data-ref="t3.new\[0\]"', r.text)
    assert 'value="3.7"' in r.text
    assert reviewer.get(f"/api/reports/{rid}").json()["version"] == 1
    # a value and its total together: one version, the row finding gone
    good = {**fields, "cell:t3.new[0]": str(new[0] + 1), "cell:meta.published": "2023-01-15",
            "comment": "按原件更正"}
    r = reviewer.post(f"/reports/{rid}/correct", data=good, follow_redirects=False)
    assert r.status_code == 303 and "saved=2" in r.headers["location"]
    got = reviewer.get(f"/api/reports/{rid}").json()
    assert got["version"] == 2 and got["record"]["t3"]["rows"]["new"][0] == new[0] + 1
    assert got["record"]["meta"]["published"] == "2023-01-15"
    assert sorted(c["ref"] for c in got["corrections"]) == ["meta.published", "t3.new[0]"]
    assert not any(f["rule"].endswith("t3.row_total") and "t3.new[6]" in f["cells"] for f in got["findings"])
    # meta.agency has its own editor and no longer fails
    r = reviewer.post(f"/reports/{rid}/correct", data={"cell:meta.agency": "白沙市民政和社会事务局", "comment": "机关更名"},
                      follow_redirects=False)
    assert r.status_code == 303
    assert reviewer.get(f"/api/reports/{rid}").json()["record"]["meta"]["agency"] == "白沙市民政和社会事务局"
    r = reviewer.post(f"/api/reports/{rid}/corrections", json={"values": {"t3.new[99]": 1, "t3.new[1]": 2.5},
                                                               "comment": "x"})
    assert r.status_code == 400
    assert [p["cell"] for p in r.json()["problems"]] == ["t3.new[99]", "t3.new[1]"]
    # unchanged values are no correction
    r = reviewer.post(f"/reports/{rid}/correct", data={"cell:t3.new[2]": fields["cell:t3.new[2]"], "comment": "x"})
    assert r.status_code == 400 and "没有改动" in r.text


def test_live_preview_uses_the_validator(env, reviewer):
    store = env["app"].state.backend.store
    rid, rec = _fresh(store, 63, agency="白沙市公安局")
    new = rec["t3"]["rows"]["new"]
    out = reviewer.post(f"/api/reports/{rid}/preview", json={"values": {}}).json()
    assert any(f["rule"] == "arith.t3.row_total" for f in out["findings"])
    out = reviewer.post(f"/api/reports/{rid}/preview", json={"values": {"t3.new[6]": str(sum(new[:6])),
                                                                        "t3.new[1]": "x"}}).json()
    assert [p["cell"] for p in out["problems"]] == ["t3.new[1]"]
    assert all("t3.new[6]" not in f["cells"] or not f["rule"].endswith("row_total") for f in out["findings"])
    assert "t3.new" not in " ".join(f["evidence"] or "" for f in out["findings"])   # evidence in words
    assert reviewer.get(f"/api/reports/{rid}").json()["version"] == 1


def test_revert_and_reextract_from_the_page(env, reviewer):
    store = env["app"].state.backend.store
    rid, rec = _fresh(store, 64, agency="白沙市司法局")
    wrong = rec["t3"]["rows"]["new"][6]
    reviewer.post(f"/reports/{rid}/correct", data={"cell:t3.new[6]": str(wrong - 1), "comment": "更正"})
    page = reviewer.get(f"/reports/{rid}").text
    assert 'id="corrections"' in page and "生效中" in page
    cid = reviewer.get(f"/api/reports/{rid}").json()["corrections"][0]["id"]
    r = reviewer.post(f"/reports/{rid}/corrections/{cid}/revert", data={"comment": "原表无误"}, follow_redirects=False)
    assert r.status_code == 303
    got = reviewer.get(f"/api/reports/{rid}").json()
    assert got["record"]["t3"]["rows"]["new"][6] == wrong and got["corrections"][0]["status"] == "reverted"
    assert reviewer.post(f"/reports/{rid}/corrections/{cid}/revert", data={}).status_code == 400
    reviewer.post(f"/api/reports/{rid}/corrections", json={"values": {"t3.new[0]": 0}, "comment": "再更正"})
    cid = next(c["id"] for c in reviewer.get(f"/api/reports/{rid}").json()["corrections"] if c["status"] == "active")
    assert reviewer.post(f"/api/reports/{rid}/corrections/{cid}/revert", json={"comment": "撤"}).status_code == 200
    reviewer.post(f"/api/reports/{rid}/corrections", json={"values": {"t3.new[0]": 0}, "comment": "再更正"})
    r = reviewer.post(f"/reports/{rid}/reextract", follow_redirects=False)
    assert r.status_code == 303
    got = reviewer.get(f"/api/reports/{rid}").json()
    kinds = [v["kind"] for v in got["versions"]]
    assert kinds[-2:] == ["extracted", "corrected"] and got["record"]["t3"]["rows"]["new"][0] == 0
    assert got["versions"][-2]["user"] == "rev"
    assert reviewer.post(f"/api/reports/{rid}/reextract").json()["reapplied"] == ["t3.new[0]"]


def test_reupload_through_the_page_keeps_corrections(reviewer):
    data, rec = make_report(65, 2022, agency="青石县人民政府", region="北川省青川市青石县")
    up = reviewer.post("/api/reports", files={"files": ("qingshi-2022.html", data, "text/html")}).json()[0]
    rid = up["id"]
    right = sum(rec["t3"]["rows"]["new"][:6])
    reviewer.post(f"/api/reports/{rid}/corrections", json={"values": {"t3.new[6]": right}, "comment": "按各列之和"})
    again = data.replace(b"</body>", "<p>（重新发布）</p></body>".encode())
    up = reviewer.post("/api/reports", files={"files": ("qingshi-2022-v2.html", again, "text/html")}).json()[0]
    assert up["ok"] and up["id"] == rid and up["reapplied"] == 1 and up["version"] == 4
    got = reviewer.get(f"/api/reports/{rid}").json()
    assert got["record"]["t3"]["rows"]["new"][6] == right
    assert [(v["kind"], v["user"]) for v in got["versions"]][2:] == [("extracted", "rev"), ("corrected", "rev")]
    page = reviewer.post("/upload?rows=1", files={"files": ("qingshi-2022-v3.html", again + b" ", "text/html")}).text
    assert "已重新应用 1 处更正" in page and "存为第 6 版" in page


def test_findings_speak_in_words_and_link_the_other_year(env, viewer):
    store = env["app"].state.backend.store
    rng = __import__("random").Random(7)
    from nianbao.web.forms import fmt_value  # noqa: F401
    sys.path.insert(0, str(Path(__file__).parent / "store"))
    import kit
    a = kit.record(rng, 2021, agency="望江市民政局", region="望江省望江市")
    b = kit.next_year(rng, a, break_carry=True)
    b["sections"] = a["sections"]                       # last year's prose, word for word
    ra = store.store_record(a, data=kit.render_text(a).encode(), filename="wangjiang-2021.txt")["report_id"]
    rb = store.store_record(b, data=kit.render_text(b).encode(), filename="wangjiang-2022.txt")["report_id"]
    page = viewer.get(f"/reports/{rb}").text
    carry = re.search(r'<li class="finding[^"]*" id="finding-\d+"[^>]*>(?:(?!</li>).)*cross.carry_over.*?</li>',
                      page, re.S).group(0)
    assert f'href="/reports/{ra}"' in carry and "查看 2021 年报告" in carry
    assert "t3.carried[0]" not in re.sub(r'(title|href|data-cells)="[^"]*"', "", carry)   # words, not codes
    assert "二、上年结转政府信息公开申请数量" in carry
    assert f"/reports/{ra}/source?cell=t3.carry_next%5B0%5D" in carry
    copied = re.search(r'<li class="finding[^"]*"(?:(?!</li>).)*cross.copied_prose.*?</li>', page, re.S).group(0)
    assert f"/reports/{rb}/prose?against={ra}" in copied
    diff = viewer.get(f"/reports/{rb}/prose", params={"against": ra})
    assert diff.status_code == 200
    assert diff.text.count('class="sentence shared') >= 2 * 5
    assert viewer.get(f"/reports/{rb}/prose").status_code == 200          # the previous year by default
    assert viewer.get(f"/reports/{ra}/prose").status_code == 404          # no 2020 report


def test_source_view_shows_the_table_value_beside_the_highlight(env, viewer):
    fid = _finding(viewer, env["r22"])["id"]
    page = viewer.get(f"/reports/{env['r22']}/source", params={"finding": fid}).text
    wrong = env["rec22"]["t3"]["rows"]["new"][6]
    assert re.search(rf'<mark id="hit">{wrong}</mark><span class="beside" id="hit-value"[^>]*>表中值 {wrong}', page)


def test_uploaded_scan_is_shown_with_the_value_outlined(env, reviewer):
    from PIL import Image
    store = env["app"].state.backend.store
    img = Image.new("RGB", (800, 600), "white")
    buf = io.BytesIO()
    img.save(buf, "TIFF")
    rec = json.loads(json.dumps(env["rec22"]))
    rec["meta"]["agency"] = "白鹿市审计局"
    rec["source"] = {"path": "scan.tif", "sha256": "", "format": "image"}
    rec["provenance"] = {"t3.new[6]": {"span": [0, 0], "page": 1, "bbox": [400.0, 300.0, 460.0, 320.0]}}
    rid = store.store_record(rec, data=buf.getvalue(), filename="scan.tif")["report_id"]
    page = reviewer.get(f"/reports/{rid}/source", params={"cell": "t3.new[6]"}).text
    assert f"/reports/{rid}/page/1.png?bbox=" in page and 'hx-trigger="load"' in page   # the text comes after OCR
    assert "正在识读扫描件" in page
    png = reviewer.get(f"/reports/{rid}/page/1.png", params={"bbox": "400,300,460,320"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    im = Image.open(io.BytesIO(png.content)).convert("RGB")
    r, g, b = im.getpixel((397, 310))
    assert r > 180 and g < 80, (r, g, b)
    assert reviewer.get(f"/reports/{rid}/page/2.png").status_code == 404


def test_report_list_search_sort_and_cascade(env, viewer):
    store = env["app"].state.backend.store
    for seed, agency, region in ((71, "东湖区教育局", "江州省江州市东湖区"), (72, "西湖区教育局", "江州省江州市西湖区"),
                                 (73, "临海市教育局", "临海省临海市")):
        _fresh(store, seed, 2020, agency=agency, region=region, broken=False)
    rows = viewer.get("/reports", params={"q": "湖区教育"}).text
    assert "东湖区教育局" in rows and "西湖区教育局" in rows and "临海市教育局" not in rows
    provinces = viewer.get("/api/regions").json()
    jz = next(p for p in provinces if p["name"] == "江州省")
    cities = viewer.get("/api/regions", params={"level": "city", "parent": jz["id"]}).json()
    city = next(c for c in cities if c["name"] == "江州市")
    counties = viewer.get("/api/regions", params={"level": "county", "parent": city["id"]}).json()
    east = next(c for c in counties if c["name"] == "东湖区")
    page = viewer.get("/reports", params={"province": jz["id"], "city": city["id"], "county": east["id"]}).text
    assert "东湖区教育局" in page and "西湖区教育局" not in page
    assert f'<option value="{east["id"]}" selected>东湖区</option>' in page          # the cascade keeps its choice
    page = viewer.get("/reports", params={"province": jz["id"]}).text
    assert "西湖区教育局" in page and "临海市教育局" not in page
    asc = viewer.get("/api/reports", params={"limit": 500}).json()
    by_agency = [r["agency"] for r in env["app"].state.backend.reports({}, limit=500, order="agency")]
    assert by_agency == sorted(by_agency, key=lambda x: (x is None, x or ""))
    page = viewer.get("/reports", params={"order": "-agency"}).text
    names = re.findall(r'<td><a href="/reports/\d+">([^<]+)</a></td>', page)
    assert names == sorted(names, reverse=True) and len(names) == min(len(asc), 50)
    assert 'aria-sort="descending"' in page and "order=agency" in page
    found = viewer.get("/api/search", params={"q": "湖区"}).json()
    assert {f["agency"] for f in found} == {"东湖区教育局", "西湖区教育局"} and all("#" in f["label"] for f in found)


def test_compare_picker_searches_the_whole_store(env, viewer):
    page = viewer.get("/compare", params={"b": "江州市教育局 2022"})
    assert page.status_code == 200 and 'id="cmp-t3"' in page.text        # one match: taken; A = its previous year
    page = viewer.get("/compare", params={"b": "教育局"}).text
    assert 'id="matches-b"' in page and "江州市教育局" in page
    page = viewer.get("/compare", params={"a": env["r21"], "b": f"江州市教育局 2022 #{env['r22']}"}).text
    assert 'id="cmp-t3"' in page
    assert "<select" not in page.split("compare-picker")[1].split("</form>")[0]   # no capped drop-down


def test_original_downloads_under_its_own_name(env, viewer):
    r = viewer.get(f"/api/reports/{env['r22']}/original")
    cd = r.headers["content-disposition"]
    assert 'filename="jiangzhou-2022.html"' in cd and "filename*=UTF-8''jiangzhou-2022.html" in cd
    store = env["app"].state.backend.store
    rid, _ = _fresh(store, 66, agency="白沙市财政局")
    cd = viewer.get(f"/api/reports/{rid}/original").headers["content-disposition"]
    assert "filename*=UTF-8''%E7%99%BD%E6%B2%99%E5%B8%82" in cd and f'filename="report-{rid}.html"' in cd


def test_exports_in_words_with_whole_numbers_and_telling_names(env, viewer):
    r = viewer.get("/exports/download", params={"format": "csv", "labels": "zh", "year": 2022})
    assert r.status_code == 200
    cd = r.headers["content-disposition"]
    assert "filename*=UTF-8''" in cd and "2022" in cd and "%E5%AE%BD%E8%A1%A8" in cd   # 宽表
    text = r.content.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("报告编号,机关,地区") and "表三 一、本年新收政府信息公开申请数量·自然人" in header
    assert "t3.new[0]" not in header
    import csv
    rows = list(csv.DictReader(io.StringIO(text)))
    counts = [h for h in rows[0] if h.startswith(("表三", "表四")) or (h.startswith("表二") and "金额" not in h)]
    values = [row[h] for row in rows for h in counts if row[h]]
    assert values and all(re.fullmatch(r"-?\d+", v) for v in values)       # counts as integers: 12, never 12.0
    r = viewer.get("/api/export", params={"format": "csv_long", "labels": "en"})
    long = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert list(long[0])[:2] == ["report id", "agency"] and "cell" in long[0]
    values = [row["value"] for row in long if row["value"] and not row["cell reference"].startswith(
        ("t2.fees_wan", "t2.procurement[1]", "legacy."))]
    assert values and all(re.fullmatch(r"-?\d+", v) for v in values)
    assert viewer.get("/api/export", params={"format": "csv", "labels": "xx"}).status_code == 422


def test_dashboard_shows_the_rates(env, viewer):
    page = viewer.get("/dashboard").text
    for key in ("kpi-disclosure", "kpi-correction", "kpi-yoy", "kpi-copy"):
        assert f'id="{key}"' in page, key
    assert re.search(r'id="kpi-disclosure">\d+\.\d%<', page)
    assert "公开率" in page and "复议纠错率" in page and "同比" in page and "重复率" in page
    apps = re.search(r'id="kpi-applications">([\d,]+)<', page).group(1)
    assert "," in apps or int(apps) < 1000


def test_zz_every_route_was_exercised(env):
    app = env["app"]
    wanted = set()

    def walk(routes, prefix=""):
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # an included router: its routes under its prefix
                walk(inner.routes, prefix + (route.include_context.prefix or ""))
                continue
            for m in getattr(route, "methods", None) or ():
                # the two schema routes are Starlette's own (no route in scope); test_openapi… covers them
                if m != "HEAD" and route.path not in ("/api/docs", "/api/openapi.json"):
                    wanted.add((m, prefix + route.path))

    walk(app.routes)
    assert len(wanted) > 30
    missing = sorted(wanted - HIT_ROUTES)
    assert not missing, missing


def test_cli_user_add_and_serve_errors(tmp_path):
    from typer.testing import CliRunner
    from nianbao.cli import app as cli
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    r = runner.invoke(cli, ["user", "add", "ann", "--role", "admin", "--password", "granite-lantern-7", "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["user", "add", "bob", "--role", "root", "--password", "granite-lantern-7", "--db", db])
    assert r.exit_code == 2 and "角色必须是" in r.output
    r = runner.invoke(cli, ["user", "add", "bob", "--role", "viewer", "--password", "long-password", "--db", db])
    assert r.exit_code == 2 and "太容易猜到" in r.output
    r = runner.invoke(cli, ["user", "add", "bob", "--role", "viewer", "--password", "copper-meadow-51", "--db", db])
    assert r.exit_code == 0
    r = runner.invoke(cli, ["user", "list", "--db", db])
    assert "ann\tadmin" in r.output
    r = runner.invoke(cli, ["user", "passwd", "ann", "--password", "another-password", "--db", db])
    assert r.exit_code == 0
    assert runner.invoke(cli, ["user", "role", "bob", "reviewer", "--db", db]).exit_code == 0
    assert runner.invoke(cli, ["user", "disable", "bob", "--db", db]).exit_code == 0
    assert "bob\treviewer\t已停用" in runner.invoke(cli, ["user", "list", "--db", db]).output
    assert runner.invoke(cli, ["user", "enable", "bob", "--db", db]).exit_code == 0
    r = runner.invoke(cli, ["user", "disable", "ann", "--db", db])
    assert r.exit_code == 2 and "管理员" in r.output
    r = runner.invoke(cli, ["serve", "--db", "postgresql://nobody@127.0.0.1:1/none"])
    assert r.exit_code == 2 and "无法打开存储" in r.output and "Traceback" not in r.output


def test_message_catalogue_covers_the_templates():
    from nianbao.web.i18n import catalogue
    cat = catalogue()
    assert all(set(v) >= {"zh", "en"} and v["zh"] and v["en"] for v in cat.values())
    web = Path(__file__).resolve().parents[1] / "nianbao" / "web"
    used = set()
    for f in list((web / "templates").glob("*.html")) + list(web.glob("*.py")) + list((web / "routes").glob("*.py")):
        used |= set(re.findall(r"""\bt\(\s*['"]([a-z_]+\.[a-z_.]*[a-z_])['"]""", f.read_text(encoding="utf-8")))
    assert len(used) > 60
    assert not sorted(used - set(cat))
    for prefix, values in (("level.", ("province", "city", "county", "township")), ("role.", ("viewer", "author", "reviewer",
                           "admin", "anonymous")), ("status.", ("open", "clean", "reviewed")),
                           ("sev.", ("error", "warning", "info")), ("sev1.", ("error", "warning", "info")),
                           ("review.", ("confirmed", "dismissed")),
                           ("export.", ("csv", "csv_long", "xlsx", "jsonl", "parquet"))):
        assert not [prefix + v for v in values if prefix + v not in cat]
