"""End to end: the oversight pages of `nianbao serve` on a generated city, driven by Debian's headless Chromium.

Reconciliation (planted gaps on the right cells, missing departments named), the score panel on the
report page and the score column of the list, rankings with their Excel export, and an override set
on the hierarchy page. Screenshots go to artifacts/oversight/ for a person to look at.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from nianbao.analyse import score as scoring  # noqa: E402
from nianbao.generate.hierarchy import city_hierarchy  # noqa: E402
from nianbao.store import Store  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from web_fixtures import NianbaoServer, open_page  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "oversight"
PASSWORD = "e2e-password-1"
YEARS = (2022, 2023, 2024)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oversight-e2e")
    db = f"sqlite:///{tmp / 'store.sqlite'}"
    h = city_hierarchy(31, YEARS, departments=4, districts=2, district_departments=3, streets=1)
    with Store.open(db) as store:
        for rec in h.records:
            store.store_record(rec)
    srv = NianbaoServer(db, tmp)
    srv.add_user("rev1", "reviewer", PASSWORD)
    with srv as url:
        yield {"url": url, "tmp": tmp, "h": h, "db": db}


@pytest.fixture(scope="module")
def page(server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser, pg = open_page(p, CHROMIUM, timeout_ms=20000)
        pg.goto(server["url"] + "/login")
        pg.fill("input[name=name]", "rev1")
        pg.fill("input[name=password]", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_url("**/reports")
        yield pg
        browser.close()


def shot(pg, name: str) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_reconcile_page_shows_the_planted_gaps(server, page):
    h, url = server["h"], server["url"]
    gov = h.agencies[0].name
    page.goto(url + "/reconcile")
    page.fill("#reconcile-form input[name=agency]", gov)
    page.select_option("#reconcile-form select[name=year]", str(YEARS[-1]))
    page.click("#reconcile-form button.primary")
    page.wait_for_selector("#rec-gaps")
    planted = h.gaps[(gov, YEARS[-1])]
    rows = page.locator("#rec-gaps tbody tr")
    assert rows.count() == len(planted)
    shown = {rows.nth(i).get_attribute("data-ref"): rows.nth(i) for i in range(rows.count())}
    assert set(shown) == set(planted)
    for ref, delta in planted.items():
        cells = shown[ref].locator("td")
        assert cells.nth(4).inner_text() == f"{delta:+g}"
        assert "“" in cells.nth(0).inner_text() and "t3." not in cells.nth(0).inner_text()  # labels, no codes
    assert "全域汇总" in page.inner_text("#rec-scope")
    # in the form's own table, exactly the planted cells are marked
    marked = {page.locator("#rec-t3 td.rc-gap").nth(i).get_attribute("data-ref")
              for i in range(page.locator("#rec-t3 td.rc-gap").count())}
    assert marked == {r for r in planted if r.startswith("t3.")}
    shot(page, "01-reconcile-gaps")

    page.select_option("#reconcile-form select[name=year]", str(YEARS[1]))
    page.click("#reconcile-form button.primary")
    page.wait_for_selector("#rec-missing")
    assert sorted(page.locator("#rec-missing li").all_inner_texts()) == sorted(h.missing[YEARS[1]])
    shot(page, "02-reconcile-missing")

    district = next(a for a in h.agencies if a.scope == "self")
    page.goto(url + f"/reconcile?agency={district.name}&year={YEARS[0]}&all=1")
    assert "本级" in page.inner_text("#rec-scope")
    assert page.inner_text("#rec-gap-n") == "0"
    assert page.locator("#rec-t3 td.rc-agree").count() == page.locator("#rec-t3 td.v").count()
    shot(page, "03-reconcile-self-scope-all-cells")
    assert not page.js_errors


def test_score_panel_and_list_column(server, page):
    url = server["url"]
    with Store.open(server["db"]) as store:
        rows = scoring.scores(store, order="asc", limit=1)
        worst = rows[0]
        ex = scoring.explain(store, worst["report_id"])
    page.goto(url + f"/reports/{worst['report_id']}")
    page.wait_for_selector("#score-value")
    assert page.inner_text("#score-value") == f"{worst['score']:g}"
    lost = [d for d in ex["dimensions"] if d["lost"]]
    assert lost
    for d in lost:
        row = page.locator(f"tr.dim[data-dim={d['key']}]")
        assert row.locator("td.num").inner_text() == f"{d['score']:g}/{d['max']:g}"
    page.locator(".score-panel details summary").first.click()
    assert page.locator(".score-panel details[open] li").count() >= 1
    shot(page, "04-report-score-panel")
    page.goto(url + "/reports")
    cells = page.locator("td.score-cell a.score")
    assert cells.count() > 0
    shot(page, "05-report-list-score-column")
    assert not page.js_errors


def test_rankings_page_and_excel(server, page):
    url = server["url"]
    page.goto(url + "/rankings")
    page.select_option("#rank-form select[name=group]", "county")
    page.select_option("#rank-form select[name=year]", str(YEARS[-1]))
    page.click("#rank-form button.primary")
    page.wait_for_selector("#ranking tbody tr")
    means = [float(x) for x in page.locator("#ranking tbody tr td:nth-child(4)").all_inner_texts()]
    assert means == sorted(means, reverse=True) and len(means) >= 2
    shot(page, "06-rankings-by-county")
    with page.expect_download() as dl:
        page.click("#rank-xlsx")
    path = server["tmp"] / "rankings.xlsx"
    dl.value.save_as(path)
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames[:2] == ["排名 ranking", "评分 scores"]
    explained = [r[-1] for r in wb["评分 scores"].iter_rows(min_row=2, values_only=True)]
    assert explained and all(isinstance(x, str) and x for x in explained)
    page.select_option("#rank-form select[name=by]", "disclosure_rate")
    page.select_option("#rank-form select[name=group]", "agency")
    page.click("#rank-form button.primary")
    page.wait_for_selector("#ranking tbody tr")
    shot(page, "07-rankings-agencies-by-disclosure-rate")
    assert not page.js_errors


def test_hierarchy_override_in_the_browser(server, page):
    h, url = server["h"], server["url"]
    gov = h.agencies[0].name
    dept = next(a for a in h.children(gov) if a.kind == "department" and not a.name.endswith("办公室"))
    page.goto(url + f"/hierarchy?agency={gov}")
    page.wait_for_selector("#hierarchy-tree")
    row = page.locator("#hierarchy-tree tr", has_text=dept.name).first
    row.locator("details.set summary").click()
    row.locator("input[name=no_parent]").check()
    row.locator("input[name=reason]").fill("垂直管理，不属市政府")
    row.locator("button[value=set]").click()
    page.wait_for_selector("#hierarchy-tree")
    assert page.locator("#hierarchy-tree tr", has_text=dept.name).count() == 0  # no longer under the city
    page.goto(url + f"/reconcile?agency={gov}&year={YEARS[0]}")
    assert dept.name not in page.inner_text("details.contributors")
    page.goto(url + f"/hierarchy?agency={gov}")
    shot(page, "08-hierarchy-after-override")
    assert not page.js_errors
