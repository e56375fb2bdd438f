"""The web application through FastAPI's test client: every route, roles, CSRF, XSS, upload limits."""
from __future__ import annotations

import io
import json
import re
import time
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
    r = reviewer.post("/api/reports?wait=120", files={"files": ("xss-upload.html", data, "text/html")})
    assert r.status_code == 202 and r.json()[0]["ok"] and r.json()[0]["status"] == "done", r.text
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
    # the good file is queued (a bounded worker extracts it), its row polls the job until it ends
    assert "good.html" in html and "排队等待抽取" in html
    job = re.search(r'hx-get="/upload/jobs/(\d+)"', html).group(1)
    for _ in range(240):
        row = reviewer.get(f"/upload/jobs/{job}").text
        if "hx-get" not in row:
            break
        time.sleep(0.5)
    assert "已入库" in row and "hx-get" not in row
    assert reviewer.get(f"/api/jobs/{job}").json()["status"] == "done"
    assert any(j["job"] == int(job) and j["name"] == "good.html" for j in reviewer.get("/api/jobs").json())
    assert "不支持的文件类型 .exe" in html
    assert "文件过大" in html
    assert "文件内容与扩展名 .pdf 不符" in html
    assert "空文件" in html
    results = reviewer.post("/api/reports?wait=120", files=files[:2]).json()
    assert results[0]["ok"] and results[0]["duplicate"]
    assert not results[1]["ok"]
    assert reviewer.post("/api/reports", files=[]).status_code in (400, 422)


def test_upload_too_large_request_refused(env, reviewer):
    big = b"0" * (256 * 1024 * 21)
    r = reviewer.post("/api/reports", files={"files": ("a.txt", big)})
    assert r.status_code == 413


def test_upload_through_the_real_extractor(reviewer):
    data, rec = make_report(31, 2022, agency="南屏市生态环境局", region="云岭省南屏市")
    r = reviewer.post("/api/reports?wait=120", files={"files": ("nanping-2022.html", data, "text/html")}).json()[0]
    assert r["ok"] and r["status"] == "done" and not r["duplicate"]
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
    assert 'id="correct-form"' not in old and 'class="review row"' not in old
    assert 'id="correct-form"' in page
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
    with TestClient(app) as c:  # (the lifespan ends the upload workers with the app)
        _web_on_postgresql(c)


def _web_on_postgresql(c):
    c.headers["X-CSRF-Token"] = _login(c, "rev")
    data, rec = make_report(51, 2022, agency="安平区卫生健康委员会", region="临海省临海市安平区")
    up = c.post("/api/reports?wait=120", files={"files": ("anping.html", data, "text/html")}).json()[0]
    assert up["ok"] and up["status"] == "done" and up["errors"] >= 1
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
    r = runner.invoke(cli, ["user", "add", "ann", "--role", "admin", "--password", "long-password", "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["user", "add", "bob", "--role", "root", "--password", "long-password", "--db", db])
    assert r.exit_code == 2 and "角色必须是" in r.output
    r = runner.invoke(cli, ["user", "list", "--db", db])
    assert "ann\tadmin" in r.output
    r = runner.invoke(cli, ["user", "passwd", "ann", "--password", "another-password", "--db", db])
    assert r.exit_code == 0
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
    for prefix, values in (("level.", ("province", "city", "county", "township")), ("role.", ("viewer", "reviewer",
                           "admin", "anonymous")), ("status.", ("open", "clean", "reviewed")),
                           ("sev.", ("error", "warning", "info")), ("sev1.", ("error", "warning", "info")),
                           ("review.", ("confirmed", "dismissed")),
                           ("export.", ("csv", "csv_long", "xlsx", "jsonl", "parquet"))):
        assert not [prefix + v for v in values if prefix + v not in cat]
