"""The 编制 pages and their JSON twins through FastAPI's test client: who may write whose report, the
live check, saving versions, conflicts, the export gate with its kept reason, storing the report."""
from __future__ import annotations

import random
import re

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from nianbao.author import drafts  # noqa: E402
from nianbao.generate import random_record  # noqa: E402
from nianbao.generate.sections import add_prose  # noqa: E402
from nianbao.web import create_app  # noqa: E402
from nianbao.web.auth import add_user  # noqa: E402
from nianbao.web.settings import Settings  # noqa: E402

PASSWORD = "correct-horse-1"
AGENCY, OTHER = "温州市人力资源和社会保障局", "温州市教育局"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("author-web")
    app = create_app(settings=Settings(store_url=f"sqlite:///{tmp / 'web.sqlite'}", secret_key="test-secret"))
    store = app.state.backend.store
    users = {}
    for name, role in (("wang", "author"), ("li", "author"), ("rev", "reviewer"), ("admin", "admin"),
                       ("viewer", "viewer")):
        users[name] = add_user(app.state.engine, name, PASSWORD, role)
    drafts.grant(store, users["wang"].id, AGENCY, "admin")
    drafts.grant(store, users["li"].id, OTHER, "admin")
    rng = random.Random(3)
    last = random_record(rng, "2021", 2024, scale="medium")
    add_prose(rng, last)
    last["meta"].update(agency=AGENCY, region="浙江省温州市", published="2025-01-20")
    last["source"] = {"path": "2024.html", "sha256": "a" * 64, "format": "html"}
    store.store_record(last)
    return {"app": app, "store": store, "last": last}


def _client(env, name: str) -> TestClient:
    c = TestClient(env["app"])
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
    return c


def _form_of(page: str) -> dict:
    """The editing form's fields as the browser would post them."""
    fields = dict(re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', page))
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        fields[name] = text
    import html
    return {k: html.unescape(v) for k, v in fields.items()}


def test_who_may_write_whose_report(env):
    wang, li, rev, viewer = (_client(env, n) for n in ("wang", "li", "rev", "viewer"))
    r = wang.post("/api/author/drafts", json={"agency": AGENCY, "year": 2025})
    assert r.status_code == 201
    did = r.json()["id"]
    assert li.post("/api/author/drafts", json={"agency": AGENCY, "year": 2025}).status_code == 403
    assert li.get(f"/author/{did}").status_code == 403            # another agency's draft: not even read
    assert rev.get(f"/author/{did}").status_code == 200           # a reviewer reads …
    assert rev.post(f"/author/{did}/save", data={"note": "x"}).status_code == 403  # … but does not write
    assert viewer.get(f"/api/author/drafts/{did}").status_code == 403
    assert [d["id"] for d in li.get("/api/author/drafts").json()] == []
    assert did in [d["id"] for d in rev.get("/api/author/drafts").json()]
    assert TestClient(env["app"]).get("/author", follow_redirects=False).status_code in (303, 401)
    # writes without the CSRF token are refused
    bare = _client(env, "wang")
    del bare.headers["X-CSRF-Token"]
    assert bare.post(f"/author/{did}/save", data={"note": "x"}).status_code == 403
    page = wang.get("/author")
    assert AGENCY in page.text and 'id="new-draft"' in page.text


def test_page_live_check_save_and_conflict(env):
    wang = _client(env, "wang")
    r = wang.post("/author/new", data={"agency": AGENCY, "year": "2025"}, follow_redirects=False)
    assert r.status_code == 303
    did = int(r.headers["location"].rsplit("/", 1)[1])
    page = wang.get(f"/author/{did}").text
    carry = env["last"]["t3"]["rows"]["carry_next"]
    # pre-filled carry-over, totals as outputs (never inputs), last year's text beside an empty box
    assert f'name="c:t3.carried[0]" data-ref="t3.carried[0]" value="{carry[0]}"' in page
    assert 'name="c:t3.new[6]"' not in page and '<output id="cell-t3-new-6"' in page
    assert '<textarea name="s:一"' in page and "上年原文" in page
    form = _form_of(page)
    form.update({"c:t3.granted[0]": "5", "c:t3.new[0]": "5", "c:t3.carry_next[0]": str(carry[0])})
    live = wang.post(f"/author/{did}/check", data=form).text
    assert "表三“自然人”列：一 + 二" not in live
    marks = re.search(r'data-marks="([^"]*)"', live).group(1)
    # 一 + 二 = 三(七) + 四 holds in column 0 only when the numbers agree: break it
    form["c:t3.new[0]"] = "9"
    live = wang.post(f"/author/{did}/check", data=form).text
    assert "arith.t3.balance" in live and "表三“自然人”列：一 + 二" in live
    form["c:t3.new[0]"] = "5"
    live = wang.post(f"/author/{did}/check", data=form).text
    assert "表三“自然人”列：一 + 二" not in live
    form["c:t3.granted[1]"] = "abc"
    live = wang.post(f"/author/{did}/check", data=form).text
    assert "author.input" in live and "“abc”不是数字" in live
    assert wang.post(f"/author/{did}/save", data=form).status_code == 422  # nothing saved with unreadable cells
    form["c:t3.granted[1]"] = "1"
    r = wang.post(f"/author/{did}/save", data={**form, "base": "1", "note": "第一次"})
    assert r.status_code == 200 and "已保存为第 2 版" in r.text and 'id="draft-base" value="2"' in r.text
    r = wang.post(f"/author/{did}/save", data={**form, "base": "1", "c:t3.granted[2]": "3"})
    assert r.status_code == 409 and "第 2 版" in r.text  # a save on a stale version: refused
    info = drafts.get(env["store"], did)
    assert info["latest"] == 2 and info["versions"][1]["note"] == "第一次"
    assert info["draft"]["record"]["t3"]["rows"]["granted"][:2] == [5, 1]
    assert marks  # the check marks cells (blank ones at least)


def test_export_gate_and_store(env):
    wang = _client(env, "wang")
    did = wang.post("/api/author/drafts", json={"agency": AGENCY, "year": 2025}).json()["id"]
    got = wang.get(f"/api/author/drafts/{did}").json()
    assert got["record"]["author"]["previous"]["year"] == 2024
    r = wang.post(f"/api/author/drafts/{did}/export?format=docx", json={"reason": ""})
    assert r.status_code == 409 and r.json()["errors"]
    page = wang.post(f"/author/{did}/export?fmt=docx", data=_form_of(wang.get(f"/author/{did}").text))
    assert page.status_code == 409 and 'id="author-message"' in page.text
    # fill it in through the JSON API: the canonical shape in, totals recomputed
    record = got["record"]
    other = random_record(random.Random(9), "2021", 2025, scale="small")
    for key in ("t2", "t4"):
        record[key] = other[key]
    rows = other["t3"]["rows"]
    rows["carried"] = record["t3"]["rows"]["carried"]
    for c in range(6):
        rows["new"][c] = max(0, rows["total"][c] + rows["carry_next"][c] - rows["carried"][c])
        rows["carry_next"][c] = rows["new"][c] + rows["carried"][c] - rows["total"][c]
    record["t3"] = other["t3"]
    record["meta"]["published"] = "2026-01-15"
    for s in record["sections"]:
        s["text"] = s["text"] or f"本年度{s['title']}工作扎实推进，取得新的成效。"
    r = wang.put(f"/api/author/drafts/{did}", json={"record": record, "base": 1, "note": "系统导入"})
    assert r.status_code == 200, r.text
    errors = [f for f in r.json()["findings"] if f["severity"] == "error"]
    # 现行有效 followed the suggestion unless the record gave it; cross.in_force is a warning at most
    assert not errors, errors
    r = wang.post(f"/api/author/drafts/{did}/export?format=pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    r = wang.post(f"/api/author/drafts/{did}/store")
    assert r.status_code == 200
    rid = r.json()["report_id"]
    rep = env["store"].get_report(rid)
    assert rep["version"]["kind"] == "authored" and rep["version"]["author"] == "wang"
    info = drafts.get(env["store"], did)
    assert info["status"] == "stored" and [e["action"] for e in info["exports"]] == ["export", "store"]
    assert wang.put(f"/api/author/drafts/{did}", json={"record": record}).status_code == 422


def test_override_reason_is_kept(env):
    wang = _client(env, "wang")
    did = wang.post("/api/author/drafts", json={"agency": AGENCY, "year": 2025}).json()["id"]
    form = _form_of(wang.get(f"/author/{did}").text)
    form["reason"] = "演示：尚未填完，先导出给领导审阅"
    r = wang.post(f"/author/{did}/export?fmt=html", data=form)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "演示：尚未填完" in r.text
    log = drafts.get(env["store"], did)["exports"]
    assert log[-1]["reason"] == "演示：尚未填完，先导出给领导审阅" and log[-1]["errors"] > 0
    page = wang.get(f"/author/{did}").text
    assert "演示：尚未填完，先导出给领导审阅" in page  # shown in the export log of the page


def test_admin_grants_page(env):
    admin = _client(env, "admin")
    assert admin.get("/author/admin/grants").status_code == 200
    r = admin.post("/author/admin/grants", data={"name": "li", "agency": "温州市财政局", "action": "grant"},
                   follow_redirects=False)
    assert r.status_code == 303
    assert "温州市财政局" in admin.get("/author/admin/grants").text
    admin.post("/author/admin/grants", data={"name": "li", "agency": "温州市财政局", "action": "revoke"})
    assert "温州市财政局" not in admin.get("/author/admin/grants").text
    assert _client(env, "wang").get("/author/admin/grants").status_code == 403
