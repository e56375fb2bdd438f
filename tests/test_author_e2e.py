"""The 编制 page end to end: `nianbao serve` on a temporary store holding last year's report, driven by
Debian's headless Chromium — create a draft, type figures, see a broken identity flagged and fixed,
export the Word file, store it as the agency's report.

Screenshots go to artifacts/author/ (gitignored) for a person to look at.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from nianbao.author.draft import normalise, to_record  # noqa: E402
from nianbao.author.render_html import render_html  # noqa: E402
from nianbao.generate import random_record  # noqa: E402
from nianbao.generate.sections import add_prose  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from web_fixtures import NianbaoServer, open_page  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "author"
PASSWORD = "e2e-password-1"
NIANBAO = [sys.executable, "-m", "nianbao.cli"]
AGENCY, REGION = "温州市人力资源和社会保障局", "浙江省温州市"


def _last_year() -> dict:
    """A 2024 report whose 结转下年度 is 2 in the 自然人 column only (so 上年结转 shows where it matters)."""
    rng = random.Random(77)
    rec = random_record(rng, "2021", 2024, scale="small")
    add_prose(rng, rec)
    rec["meta"].update(agency=AGENCY, region=REGION, published="2025-01-20")
    rows = rec["t3"]["rows"]
    rows["carry_next"] = [2, 0, 0, 0, 0, 0, 2]
    rows["carried"] = [0] * 7
    rows["new"] = [rows["total"][c] + rows["carry_next"][c] for c in range(6)]
    rows["new"].append(sum(rows["new"]))
    return to_record({"record": normalise(rec), "contact": ""})


def _run(args, env):
    out = subprocess.run(NIANBAO + args, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("author-e2e")
    db = f"sqlite:///{tmp / 'store.sqlite'}"
    env = {**os.environ, "NIANBAO_LANG": "zh", "NIANBAO_DB": db}
    last = _last_year()
    (tmp / "wz-2024.html").write_text(render_html(last), encoding="utf-8")
    _run(["ingest", str(tmp / "wz-2024.html"), "--no-progress", "--workers", "1"], env)
    _run(["user", "add", "wang", "--role", "author", "--password", PASSWORD], env)
    _run(["author", "grant", "wang", AGENCY, "--user", "admin"], env)
    with NianbaoServer(db, tmp, env) as url:
        yield {"url": url, "tmp": tmp, "last": last}


@pytest.fixture(scope="module")
def page(server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser, pg = open_page(p, CHROMIUM, timeout_ms=30000)
        yield pg
        browser.close()


def shot(pg, name: str, full: bool = True) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def cell(pg, ref: str):
    return pg.locator(f'#draft-form [data-ref="{ref}"]')


def live_idle(pg) -> None:
    """Wait until the live check has answered the last keystroke."""
    pg.wait_for_timeout(600)
    pg.wait_for_function("() => !document.querySelector('#draft-form.htmx-request')")


def test_write_a_report_in_the_browser(server, page):
    url, last = server["url"], server["last"]
    page.goto(url + "/author")
    page.wait_for_url("**/login**")
    page.fill("input[name=name]", "wang")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/author")
    assert page.locator("#new-agency").input_value() == AGENCY
    page.fill("#new-year", "2025")
    shot(page, "01-drafts")

    # create a draft: pre-filled from the stored 2024 report
    page.click("#new-draft-button")
    page.wait_for_selector("#draft-form")
    assert cell(page, "t3.carried[0]").input_value() == "2"
    assert cell(page, "t2.regulations[2]").input_value() == str(last["t2"]["regulations"][2])
    assert page.locator(".prev-text").first.inner_text().strip()
    shot(page, "02-new-draft")

    # the sections, the date; then every blank cell to 0
    for i, number in enumerate("一二三四五"):
        page.fill(f'textarea[name="s:{number}"]', f"2025年，我局认真做好第{i + 1}部分所述工作，各项任务按期完成，群众满意度持续提升。")
    page.fill("#cell-meta-published", "2026-01-16")
    page.click("#zeros-button")
    page.wait_for_selector("#draft-form")
    assert cell(page, "t3.granted[3]").input_value() == "0"

    # 现行有效件数 follows last year's + 本年制发 − 本年废止
    cell(page, "t2.regulations[0]").fill("3")
    cell(page, "t2.regulations[1]").fill("1")
    live_idle(page)
    want = str(last["t2"]["regulations"][2] + 2)
    page.wait_for_function(f"() => document.querySelector('#draft-form [data-ref=\"t2.regulations[2]\"]').value === '{want}'")

    # carried over 2 with nothing else: 一 + 二 = 三(七) + 四 is broken in the 自然人 column
    page.wait_for_selector('#author-findings li[data-rule="arith.t3.balance"]')
    balance = page.locator('#author-findings li[data-rule="arith.t3.balance"]')
    assert "自然人" in balance.first.inner_text()
    # type this year's figures: 5 new applications, 4 disclosed, 1 partly
    cell(page, "t3.new[0]").fill("5")
    cell(page, "t3.granted[0]").fill("4")
    cell(page, "t3.partial[0]").fill("1")
    live_idle(page)
    page.wait_for_function("() => document.querySelector('output[data-ref=\"t3.total[0]\"]').textContent.trim() === '5'")
    assert page.locator('output[data-ref="t3.new[6]"]').inner_text().strip() == "5"
    assert page.locator('#author-findings li[data-rule="arith.t3.balance"]').count() >= 1
    assert "sev-error" in (cell(page, "t3.carry_next[0]").locator("xpath=..").get_attribute("class") or "")
    shot(page, "03-identity-broken")
    # 四、结转下年度继续办理: the 2 carried over are still open — the identity holds again
    cell(page, "t3.carry_next[0]").fill("2")
    live_idle(page)
    page.wait_for_function("() => !document.querySelector('#author-findings li[data-rule=\"arith.t3.balance\"]')")
    assert "sev-error" not in (cell(page, "t3.carry_next[0]").locator("xpath=..").get_attribute("class") or "")
    assert page.locator("#count-error").inner_text().startswith("0")
    shot(page, "04-identity-fixed")

    page.fill('input[name="note"]', "填报完成")
    page.click("#save-button")
    page.wait_for_selector("#save-status.ok")
    assert "已保存为第" in page.locator("#save-status").inner_text()

    # export the Word file: what is downloaded reads back as typed
    with page.expect_download() as dl:
        page.click("#export-docx")
    download = dl.value
    target = SHOTS / "report-2025.docx"
    download.save_as(str(target))
    assert download.suggested_filename.endswith(".docx")
    from nianbao.extract import extract_path
    got = extract_path(target)
    assert got["meta"]["agency"] == AGENCY and got["meta"]["year"] == 2025
    assert got["t3"]["rows"]["new"][:2] == [5, 0] and got["t3"]["rows"]["carried"][0] == 2
    assert got["t3"]["rows"]["carry_next"][0] == 2

    # store it as the agency's 2025 report
    page.goto(page.url)
    page.wait_for_selector("#store-button")
    page.click("#store-button")
    page.wait_for_url("**/reports/*")
    assert AGENCY in page.locator("h1").inner_text()
    assert page.locator("#table-t3").count() == 1
    shot(page, "05-stored-report")
    assert not page.js_errors, page.js_errors


def test_refused_export_says_why(server, page):
    page.goto(server["url"] + "/author")
    page.fill("#new-year", "2026")
    page.click("#new-draft-button")
    page.wait_for_selector("#draft-form")
    draft_url = page.url
    assert cell(page, "t3.carried[0]").input_value() == "2"  # from the 2025 report stored above
    page.click("#export-pdf")
    page.wait_for_selector("#author-message.error")
    assert "错误" in page.locator("#author-message").inner_text()
    shot(page, "06-export-refused", full=False)
    page.fill("#override-reason", "仅供内部审阅")
    with page.expect_download() as dl:
        page.click("#export-html")
    assert dl.value.suggested_filename.endswith(".html")
    page.goto(draft_url)
    assert "仅供内部审阅" in page.locator("#export-log").inner_text()
    # the refused export answered 409 on purpose; nothing else may have gone wrong
    assert not [e for e in page.js_errors if "status of 409" not in e], page.js_errors
