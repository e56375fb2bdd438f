"""End to end: `nianbao serve` on a temporary SQLite store, driven by Debian's headless Chromium.

Screenshots go to artifacts/web/ (gitignored) for a person to look at.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

sys.path.insert(0, str(Path(__file__).parent))
from web_fixtures import generated_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "web"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "e2e-password-1"
NIANBAO = [sys.executable, "-m", "nianbao.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    db = f"sqlite:///{tmp / 'store.sqlite'}"
    env = {**os.environ, "NIANBAO_LANG": "zh"}
    out = subprocess.run(NIANBAO + ["user", "add", "reviewer1", "--role", "reviewer", "--password", PASSWORD,
                                    "--db", db], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    port = _free_port()
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(NIANBAO + ["serve", "--db", db, "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((tmp / "server.log").read_text())
            time.sleep(0.2)
    yield {"url": f"http://127.0.0.1:{port}", "tmp": tmp}
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="module")
def page(server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(20000)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.js_errors = errors
        yield pg
        browser.close()


def shot(pg, name: str) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_review_workflow_in_the_browser(server, page):
    url, tmp = server["url"], server["tmp"]
    # a real place: extraction gives a region (and the dashboard a region chart) only for places it knows
    agency, region = "温州市人力资源和社会保障局", "浙江省温州市"
    this_year, this_rec = generated_report(41, 2022, agency=agency, region=region)
    last_year, _ = generated_report(42, 2021, agency=agency, region=region, broken=False)
    (tmp / "jz-2022.html").write_bytes(this_year)
    (tmp / "jz-2021.html").write_bytes(last_year)
    wrong = this_rec["t3"]["rows"]["new"][6]
    right = sum(this_rec["t3"]["rows"]["new"][:6])

    # log in
    page.goto(url + "/reports")
    page.wait_for_url("**/login**")
    page.fill("input[name=name]", "reviewer1")
    page.fill("input[name=password]", PASSWORD)
    shot(page, "01-login")
    page.click("button[type=submit]")
    page.wait_for_url("**/reports")

    # upload this year's report
    page.goto(url + "/upload")
    page.set_input_files("#upload-files", str(tmp / "jz-2022.html"))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-done:has-text('1/1')")
    # extracted by a worker process: the row shows queued/running, then the result
    page.wait_for_selector("#upload-table tr.job-done .badge.error", timeout=120_000)
    shot(page, "02-upload")

    # its tables, the broken total highlighted
    page.click("#upload-table a")
    page.wait_for_selector("#table-t3")
    cell = page.locator('td.v[data-ref="t3.new[6]"]')
    assert "sev-error" in cell.get_attribute("class")
    assert cell.inner_text().startswith(str(wrong))
    assert page.locator("#table-t4 td.v").count() == 15
    shot(page, "03-report")

    # open the finding in the source: the wrong total is highlighted
    finding = page.locator("li.finding", has=page.locator("code.rule", has_text="t3.row_total")).first
    finding.locator("a.source-link").click()
    page.wait_for_selector("mark#hit")
    assert page.inner_text("mark#hit") == str(wrong)
    assert page.locator("mark#hit").is_visible()
    shot(page, "04-source")
    page.go_back()

    # dismiss it with a comment
    page.wait_for_selector("li.finding")
    finding = page.locator("li.finding", has=page.locator("code.rule", has_text="t3.row_total")).first
    fid = finding.get_attribute("id")
    finding.locator("input[name=comment]").fill("原表如此，已电话核实")
    finding.locator("button[value=dismissed]").click()
    page.wait_for_selector(f"#{fid}.dismissed")
    assert "原表如此，已电话核实" in page.inner_text(f"#{fid}")
    shot(page, "05-dismissed")

    # correct the value: a new version, listed with what changed
    page.click('td.v[data-ref="t3.new[6]"]')
    assert page.input_value("#correct-cell") == "t3.new[6]"
    page.fill("#correct-value", str(right))
    page.fill("#correct-form input[name=comment]", "按各类申请人之和更正")
    page.click("#correct-form button")
    page.wait_for_selector("ol#versions li:nth-child(2)")
    versions = page.inner_text("ol#versions")
    assert "v2" in versions and "按各类申请人之和更正" in versions and f"{wrong} → {right}" in versions
    assert page.locator('td.v[data-ref="t3.new[6]"]').inner_text().startswith(str(right))
    page.locator("#versions").scroll_into_view_if_needed()
    shot(page, "06-corrected")

    # drop last year's report and a file of the wrong type onto the upload zone, then compare the two years
    page.goto(url + "/upload")
    drop = page.evaluate_handle("""(files) => {
        const dt = new DataTransfer();
        for (const [name, bytes] of files) dt.items.add(new File([new Uint8Array(bytes)], name, {type: "text/html"}));
        return dt;
    }""", [["jz-2021.html", list(last_year)], ["notes.exe", list(b"MZ")]])
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": drop})
    page.wait_for_selector("#upload-done:has-text('1/2')")
    assert page.locator("#upload-table tr.ok").count() == 1
    page.wait_for_selector("#upload-table tr.ok.job-done", timeout=120_000)
    assert "不支持的文件类型 .exe" in page.inner_text("#upload-table tr.failed")
    shot(page, "07-upload-batch")
    page.goto(url + "/reports?year=2022")
    page.click("table.reports a")
    page.click("text=与上一年度比较")
    page.wait_for_selector("#cmp-t3")
    assert page.locator("#cmp-t3 td.v.changed").count() > 5
    assert page.locator("#cmp-t3 td.v.changed .delta").count() > 5
    heading = page.inner_text("h2.pair")
    assert "2021" in heading and "2022" in heading
    assert page.locator(".section-compare").count() == 6
    shot(page, "08-compare")

    # the dashboard draws its charts with data
    page.goto(url + "/dashboard")
    page.wait_for_selector("#chart-year canvas")
    series = page.evaluate("""() => {
        const opt = echarts.getInstanceByDom(document.getElementById('chart-year')).getOption();
        return opt.series.map(s => ({name: s.name, data: s.data}));
    }""")
    assert series and any(any(v for v in s["data"]) for s in series), series
    assert page.locator("#chart-region canvas").count() == 1
    assert page.locator("#chart-rank canvas").count() == 1
    page.wait_for_timeout(600)  # let the entry animation finish before the picture
    shot(page, "09-dashboard")

    # drill down from the chart of years to that year's reports
    page.click("#chart-year ~ ul.drill a:text-is('2021')")
    page.wait_for_url("**/reports?year=2021")
    assert page.locator("table.reports tbody tr").count() == 1
    page.go_back()
    page.wait_for_selector("#chart-year canvas")

    # English is one click away
    page.click("a.lang")
    page.wait_for_selector("text=Dashboard")
    shot(page, "10-dashboard-en")
    assert not [e for e in page.js_errors if "favicon" not in e], page.js_errors
