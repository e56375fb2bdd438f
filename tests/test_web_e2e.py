"""End to end: `nianbao serve` on a temporary SQLite store, driven by Debian's headless Chromium.

Screenshots go to artifacts/web/ (gitignored) for a person to look at.
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

sys.path.insert(0, str(Path(__file__).parent))
from web_fixtures import NianbaoServer, generated_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "web"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "e2e-password-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    srv = NianbaoServer(f"sqlite:///{tmp / 'store.sqlite'}", tmp)
    for name, role in (("reviewer1", "reviewer"), ("admin1", "admin")):
        srv.add_user(name, role, PASSWORD)
    with srv as url:
        yield {"url": url, "tmp": tmp}


@pytest.fixture(scope="module")
def browser(server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _new_page(browser, width: int = 1440, height: int = 1000):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(20000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.js_errors = errors
    return pg


def login(pg, url: str, name: str = "reviewer1") -> None:
    pg.goto(url + "/login")
    pg.fill("input[name=name]", name)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url("**/reports")


@pytest.fixture(scope="module")
def page(browser):
    pg = _new_page(browser)
    yield pg
    pg.context.close()


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
    assert page.is_visible("#upload-table tr.ok .badge.error")
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

    # dismiss it with a comment: the badge at the top goes down without a reload
    page.wait_for_selector("li.finding")
    finding = page.locator("li.finding", has=page.locator("code.rule", has_text="t3.row_total")).first
    fid = finding.get_attribute("id")
    errors_before = int(page.inner_text("#count-error").split()[0])
    finding.locator("textarea[name=comment]").fill("原表如此，已电话核实")
    finding.locator("button[value=dismissed]").click()
    page.wait_for_selector(f"#{fid}.dismissed")
    assert "原表如此，已电话核实" in page.inner_text(f"#{fid}")
    page.wait_for_function(f"() => parseInt(document.getElementById('count-error').textContent) === {errors_before - 1}")
    shot(page, "05-dismissed")

    # correct the value: clicking the cell opens the edit mode on it; a new version, listed with what changed
    page.click('td.v[data-ref="t3.new[6]"]')
    page.wait_for_selector("#edit-form")
    assert page.evaluate("() => document.activeElement.name") == "cell:t3.new[6]"
    page.keyboard.type(str(right))
    page.fill("#edit-reason", "按各类申请人之和更正")
    page.click("#edit-save")
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
    assert "不支持的文件类型 .exe" in page.inner_text("#upload-table tr.failed")
    shot(page, "07-upload-batch")
    page.goto(url + "/reports?year=2022")
    page.click("table.reports tbody a")
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


# ---------------------------------------------------------------- a reviewer's work across versions

def _store(server):
    from nianbao.store import Store
    return Store.open(f"sqlite:///{server['tmp'] / 'store.sqlite'}")


def _upload(pg, url: str, path: Path) -> None:
    pg.goto(url + "/upload")
    pg.set_input_files("#upload-files", str(path))
    pg.click("#upload-form button[type=submit]")
    pg.wait_for_selector("#upload-done:has-text('1/1')")


def _finding(pg, rule: str, cell: str):
    return pg.locator(f"li.finding[data-cells*='\"{cell}\"']", has=pg.locator("code.rule", has_text=rule)).first


def _tab_to(pg, predicate_js: str, limit: int = 600) -> None:
    """Press Tab until the focused element satisfies the predicate: reaching a control by keyboard alone."""
    for _ in range(limit):
        if pg.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({predicate_js}); }}"):
            return
        pg.keyboard.press("Tab")
    raise AssertionError(f"never reached by Tab: {predicate_js}")


def test_review_then_correct_by_keyboard_keeps_the_decisions(server, browser):
    url, tmp = server["url"], server["tmp"]
    data, rec = generated_report(51, 2022, agency="温州市教育局", region="浙江省温州市")
    (tmp / "edu-2022.html").write_bytes(data)
    pg = _new_page(browser)
    login(pg, url)
    _upload(pg, url, tmp / "edu-2022.html")
    pg.click("#upload-table a")
    pg.wait_for_selector("#table-t3")
    new = rec["t3"]["rows"]["new"]

    # a decision on each of two findings; Enter in the reason box decides nothing
    row = _finding(pg, "t3.row_total", "t3.new[0]")
    row.locator("textarea").fill("确有错误")
    row.locator("textarea").press("Enter")
    pg.wait_for_timeout(400)
    assert "reviewed" not in (row.get_attribute("class") or "")
    row.locator("button[value=confirmed]").click()
    pg.wait_for_selector(f"#{row.get_attribute('id')}.confirmed")
    bal = _finding(pg, "t3.balance", "t3.new[6]")
    bal_id = bal.get_attribute("id")
    bal.locator("button[value=dismissed]").click()                 # no reason: refused, said in place
    pg.wait_for_selector(f"#{bal_id} .form-error")
    assert "须说明理由" in pg.inner_text(f"#{bal_id}")
    pg.locator(f"#{bal_id} textarea").fill("结转口径不同")
    pg.locator(f"#{bal_id} button[value=dismissed]").click()
    pg.wait_for_selector(f"#{bal_id}.dismissed")

    # the edit mode, reached and used with the keyboard only
    _tab_to(pg, "el.id === 'edit-link'")
    pg.keyboard.press("Enter")
    pg.wait_for_selector("#edit-form")
    _tab_to(pg, "el.name === 'cell:t3.new[0]'")
    pg.keyboard.type(str(new[0] + 2))                                # still one too many: the row stays broken
    pg.keyboard.press("Enter")                                       # moves down a row, submits nothing
    assert pg.evaluate("() => document.activeElement.name") == "cell:t3.carried[0]"
    assert "edit=1" in pg.url
    pg.keyboard.press("ArrowUp")
    assert pg.evaluate("() => document.activeElement.value") == str(new[0] + 2)
    pg.wait_for_selector("#live-check p.bad")                        # checked live by the validator
    assert pg.locator('td.v.edit.live-error[data-ref="t3.new[6]"]').count() == 1
    _tab_to(pg, "el.id === 'edit-reason'")
    pg.keyboard.type("按原件第 2 页更正")
    pg.keyboard.press("Enter")                                       # nothing dangerous
    pg.wait_for_timeout(300)
    assert "edit=1" in pg.url
    _tab_to(pg, "el.id === 'edit-save'")
    pg.keyboard.press("Enter")
    pg.wait_for_url("**saved=2**")
    shot(pg, "11-decisions-kept")

    # the same finding (values unchanged) kept its decision; the one whose cells changed is open again,
    # the old decision and what changed shown beside it
    bal = pg.locator(f"li.finding", has=pg.locator("code.rule", has_text="t3.balance")).filter(
        has_text="结转口径不同").first
    assert "dismissed" in bal.get_attribute("class") and "审核结论沿用自 v1" in bal.inner_text()
    row = _finding(pg, "t3.row_total", "t3.new[0]")
    text = row.inner_text()
    assert "reopened" in row.get_attribute("class") and "v1 中曾被 reviewer1 已确认" in text and "确有错误" in text
    assert f"{new[0]} → {new[0] + 2}" in text
    assert pg.locator(f'td.v[data-ref="t3.new[0]"]').inner_text().startswith(str(new[0] + 2))
    assert "按原件第 2 页更正" in pg.inner_text("#corrections")
    assert not [e for e in pg.js_errors if "favicon" not in e], pg.js_errors
    pg.context.close()


def test_bad_corrections_are_refused_naming_the_cell(server, browser):
    url, tmp = server["url"], server["tmp"]
    data, _rec = generated_report(52, 2022, agency="温州市民政局", region="浙江省温州市")
    (tmp / "mz-2022.html").write_bytes(data)
    pg = _new_page(browser)
    login(pg, url)
    _upload(pg, url, tmp / "mz-2022.html")
    pg.click("#upload-table a")
    pg.click("#edit-link")
    pg.wait_for_selector("#edit-form")
    pg.fill('input[name="cell:t3.new[1]"]', "3.7")
    pg.fill('input[name="cell:t4.reconsideration[0]"]', "-5")
    pg.wait_for_selector('td.v.edit.invalid[data-ref="t3.new[1]"]')
    live = pg.inner_text("#live-check")
    assert "2 处数值不符合单元格要求" in live and "商业企业" in live
    pg.fill("#edit-reason", "试填")
    pg.click("#edit-save")
    pg.wait_for_selector("#edit-problems")
    problems = pg.inner_text("#edit-problems")
    assert "件数须为整数" in problems and "一、本年新收" in problems and "商业企业" in problems
    assert "不能为负数" in problems and "行政复议" in problems
    assert pg.input_value('input[name="cell:t3.new[1]"]') == "3.7"            # what was typed is kept
    pg.click("#edit-problems a >> nth=0")
    assert pg.evaluate("() => document.activeElement.name") == "cell:t3.new[1]"
    shot(pg, "12-refused")
    pg.goto(pg.url.split("?")[0].split("/correct")[0])
    assert "v1" in pg.inner_text(".version")                                   # nothing was saved
    pg.context.close()


def test_reupload_keeps_the_corrections(server, browser):
    url, tmp = server["url"], server["tmp"]
    data, rec = generated_report(53, 2022, agency="温州市财政局", region="浙江省温州市")
    (tmp / "cz-2022.html").write_bytes(data)
    right = sum(rec["t3"]["rows"]["new"][:6])
    pg = _new_page(browser)
    login(pg, url)
    _upload(pg, url, tmp / "cz-2022.html")
    pg.click("#upload-table a")
    pg.click('td.v[data-ref="t3.new[6]"]')
    pg.wait_for_selector("#edit-form")
    pg.keyboard.type(str(right))
    pg.fill("#edit-reason", "按各类申请人之和更正")
    pg.click("#edit-save")
    pg.wait_for_url("**saved=2**")
    # the publisher puts the (uncorrected) report up again, the page saved anew: another file, uploaded again
    again = data.replace(b"</body>", b"<!-- saved 2023-03-12 --></body>")
    (tmp / "cz-2022-again.html").write_bytes(again)
    _upload(pg, url, tmp / "cz-2022-again.html")
    row = pg.inner_text("#upload-table tr.ok")
    assert "已重新应用 1 处更正" in row and "存为第 4 版" in row
    pg.click("#upload-table a")
    pg.wait_for_selector("#table-t3")
    assert pg.locator('td.v[data-ref="t3.new[6]"]').inner_text().startswith(str(right))
    corrections = pg.inner_text("#corrections")
    assert "生效中" in corrections and "已在 v4 重新应用" in corrections and "按各类申请人之和更正" in corrections
    versions = pg.inner_text("#versions")
    assert "v3 · 抽取" in versions and "v4 · 更正" in versions and "重新应用 1 处更正" in versions
    shot(pg, "13-reupload")
    # and each correction can be undone
    pg.fill("#corrections input[name=comment]", "原文如此")
    pg.click("#corrections button[type=submit]")
    pg.wait_for_url("**saved=5**")
    assert pg.locator('td.v[data-ref="t3.new[6]"]').inner_text().startswith(str(right + 1))
    assert "已撤销" in pg.inner_text("#corrections")
    pg.context.close()


# ---------------------------------------------------------------- every screen

PAGES = [("login", "/login", None), ("reports", "/reports", None), ("report", "/reports/{r}", "#table-t3"),
         ("report-edit", "/reports/{r}?edit=1", "#edit-form"), ("source", "/reports/{r}/source?finding={f}", "#hit"),
         ("prose", "/reports/{r}/prose", ".prose-diff"), ("compare", "/compare?b={r}", "#cmp-t3"),
         ("dashboard", "/dashboard", "#chart-year canvas"), ("exports", "/exports", None),
         ("upload", "/upload", None), ("users", "/admin/users", "#users-table"), ("account", "/account", None),
         ("api-docs", "/api/docs", ".opblock")]


def _pair(server):
    """Two years of one agency, the second copying the first's prose: every page has something to show."""
    from web_fixtures import make_report
    with _store(server) as store:
        rid = store.find_report("丽水市人力资源和社会保障局", 2022)
        if rid is None:
            d21, r21 = make_report(81, 2021, agency="丽水市人力资源和社会保障局", region="浙江省丽水市", broken=False)
            d22, r22 = make_report(82, 2022, agency="丽水市人力资源和社会保障局", region="浙江省丽水市")
            r22["sections"] = r21["sections"]
            store.store_record(r21, data=d21, filename="ls-2021.html")
            rid = store.store_record(r22, data=d22, filename="ls-2022.html")["report_id"]
        fid = next(f["id"] for f in store.get_report(rid)["findings"] if "t3.new[6]" in f["cells"])
    return rid, fid


@pytest.mark.parametrize("width", [390, 768, 1440])
def test_every_page_fits_the_screen(server, browser, width):
    url = server["url"]
    rid, fid = _pair(server)
    pg = _new_page(browser, width, 900)
    shots = SHOTS / "pages"
    shots.mkdir(parents=True, exist_ok=True)
    pg.goto(url + "/login")
    pg.wait_for_selector("input[name=name]")
    if width != 768:
        pg.screenshot(path=str(shots / f"login-{width}.png"), full_page=True)
    login(pg, url, "admin1")
    for name, path, ready in PAGES:
        pg.goto(url + path.format(r=rid, f=fid))
        if ready:
            pg.wait_for_selector(ready)
        pg.wait_for_timeout(300)
        # the page itself never scrolls sideways ...
        page_width = pg.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert page_width <= width, (name, page_width)
        # ... every table fits, or scrolls inside a box of its own that fits
        bad = pg.evaluate("""(w) => Array.from(document.querySelectorAll('main table')).filter(t => {
            if (!t.offsetParent) return false;
            if (t.getBoundingClientRect().right <= w + 1) return false;
            for (let el = t.parentElement; el && el !== document.body; el = el.parentElement) {
                const ox = getComputedStyle(el).overflowX;
                if ((ox === 'auto' || ox === 'scroll') && el.getBoundingClientRect().right <= w + 1) return false;
            }
            return true; }).map(t => t.id || t.className)""", width)
        assert not bad, (name, bad)
        if width == 768:
            continue
        pg.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    if width == 390:
        pg.goto(url + f"/reports/{rid}")
        box = pg.locator("#block-t3 .table-scroll")
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")        # table 三 is wider than a phone ...
        box.evaluate("el => { el.scrollLeft = 200; }")
        assert box.evaluate("el => el.scrollLeft") > 0                      # ... and scrolls in its own box
        assert pg.evaluate("() => window.scrollX") == 0
    assert not [e for e in pg.js_errors if "favicon" not in e], pg.js_errors
    pg.context.close()


def test_print_preview_holds_table_three_whole(server, browser):
    import pypdfium2 as pdfium

    from nianbao.template import t3_rows
    url, tmp = server["url"], server["tmp"]
    rid, _fid = _pair(server)
    pg = _new_page(browser)
    login(pg, url)
    pg.goto(url + f"/reports/{rid}")
    pg.wait_for_selector("#table-t3")
    pg.emulate_media(media="print")
    out = tmp / "report.pdf"
    pg.pdf(path=str(out), format="A4", print_background=True)
    (SHOTS / "pages").mkdir(parents=True, exist_ok=True)
    shutil.copy(out, SHOTS / "pages" / "report-print.pdf")
    pdf = pdfium.PdfDocument(str(out))
    texts = ["".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))]
    (where,) = [i for i, t in enumerate(texts) if "三、收到和处理政府信息公开申请情况" in t]
    page = texts[where]
    for row in t3_rows("2021"):
        label = "".join(row.label.split())[:6]
        assert label in page, row.label                                   # every row of table 三 on that page
    with _store(server) as store:
        rec = store.get_report(rid)["record"]
    last = rec["t3"]["rows"]["carry_next"]
    assert "申请人情况" in page and "总计" in page and str(last[6]) in page
    # and the table is not cut at the right edge: its last column's values are on the page, in order
    totals = [str(rec["t3"]["rows"][r.key][6]) for r in t3_rows("2021")]
    pos = 0
    for v in totals:
        pos = page.find(v, pos)
        assert pos >= 0, (v, totals)
    w, h = pdf[where].get_size()
    assert abs(w - 595.3) < 2 and abs(h - 841.9) < 2                        # A4 portrait (210 × 297 mm)
    pg.context.close()


def test_api_docs_render_offline(server, browser):
    url = server["url"]
    pg = _new_page(browser)
    outside: list[str] = []

    def only_here(route):
        if route.request.url.startswith(url):
            route.continue_()
        else:  # an intranet reaches no CDN
            outside.append(route.request.url)
            route.abort()
    pg.context.route("**/*", only_here)
    pg.goto(url + "/api/docs")
    pg.wait_for_selector(".swagger-ui .opblock")
    assert pg.locator(".swagger-ui .opblock").count() > 20
    assert "nianbao" in pg.inner_text(".swagger-ui .info")
    pg.click(".opblock-summary:has-text('/api/facets')")
    pg.wait_for_selector(".opblock.is-open")
    assert not outside, outside
    assert not [e for e in pg.js_errors if "favicon" not in e], pg.js_errors
    shot(pg, "14-api-docs")
    pg.context.close()


def test_filters_survive_the_language_switch_and_the_login(server, browser):
    url = server["url"]
    _pair(server)
    pg = _new_page(browser)
    pg.goto(url + "/reports?year=2022&q=丽水")                     # not signed in: the login keeps the query
    pg.wait_for_url("**/login**")
    login_url = pg.url
    pg.fill("input[name=name]", "reviewer1")
    pg.fill("input[name=password]", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_url("**/reports?year=2022**")
    assert "q=" in pg.url and "next" in login_url
    assert pg.locator("table.reports tbody tr").count() == 1
    pg.select_option("select[name=level]", "city")                  # filtered in place (htmx), the address follows
    pg.wait_for_url("**level=city**")
    pg.click("a.lang")
    pg.wait_for_url("**level=city**")
    assert "year=2022" in pg.url and "Reports" in pg.inner_text("h1")
    assert pg.locator("table.reports tbody tr").count() == 1
    pg.click("a.lang")                                               # and back to Chinese
    pg.wait_for_selector("h1:has-text('报告列表')")
    pg.context.close()


def _scan(path: Path) -> None:
    """A page photographed: a report's title and opening lines drawn as an image (PNG) to be read by OCR."""
    from PIL import Image, ImageDraw, ImageFont
    font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 30)
    img = Image.new("RGB", (1300, 520), "white")
    draw = ImageDraw.Draw(img)
    lines = ["温州市审计局2022年政府信息公开工作年度报告", "一、总体情况",
             "本年度共收到政府信息公开申请12件，均已按期答复。", "二、主动公开政府信息情况"]
    for i, line in enumerate(lines):
        draw.text((60, 60 + i * 100), line, fill="black", font=font)
    img.save(path)


def test_a_scan_shows_progress_while_it_is_read(server, browser):
    url, tmp = server["url"], server["tmp"]
    _scan(tmp / "audit-2022.png")
    pg = _new_page(browser)
    login(pg, url)
    pg.goto(url + "/upload")
    pg.set_input_files("#upload-files", str(tmp / "audit-2022.png"))
    pg.click("#upload-form button[type=submit]")
    # while the server reads the scan: an indeterminate bar and the seconds counting
    pg.wait_for_selector("#upload-status:has-text('正在识读')")
    assert pg.evaluate("() => !document.getElementById('upload-progress').hasAttribute('value')")
    shot(pg, "15-reading-scan")
    pg.wait_for_selector("#upload-done:has-text('/1')", timeout=240_000)
    assert pg.evaluate("() => document.getElementById('upload-progress').value") == 100
    assert "正在识读" not in pg.inner_text("#upload-status")
    pg.context.close()
