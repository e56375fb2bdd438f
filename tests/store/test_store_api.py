"""The store API on SQLite and on a real PostgreSQL 15."""
from __future__ import annotations

import random

import pytest

import kit
from nianbao.ingest import ingest_bytes
from nianbao.store import StoreError
from nianbao.store.cells import iter_cells


def _rules(rep, scope=None):
    return [f["rule"] for f in rep["findings"] if scope is None or f["scope"] == scope]


def test_stored_record_reads_back_with_cells_hierarchy_and_provenance(store):
    rng = random.Random(1)
    rec = kit.record(rng, 2022, agency="江州市临川区人力资源和社会保障局", region="江州省江州市临川区")
    out = store.store_record(rec)
    assert out["status"] == "stored"
    rep = store.get_report(out["report_id"])
    assert rep["year"] == 2022
    assert rep["record"]["t3"] == rec["t3"] and rep["record"]["t4"] == rec["t4"] and rep["record"]["t2"] == rec["t2"]
    assert rep["agency"]["name"] == "江州市临川区人力资源和社会保障局" and rep["agency"]["kind"] == "department"
    assert rep["agency"]["level"] == "county"
    assert rep["region"]["name"] == "江州省江州市临川区"
    levels = {r["full_name"]: r["level"] for r in store.regions()}
    assert levels == {"江州省": "province", "江州省江州市": "city", "江州省江州市临川区": "county"}
    cells = store.cells(out["report_id"])
    assert len(cells) == sum(1 for _ in iter_cells(rec))
    by_ref = {c["ref"]: c for c in cells}
    assert by_ref["t3.granted[6]"]["value"] == rec["t3"]["rows"]["granted"][6]
    assert by_ref["t3.new[6]"]["provenance"]["span"] == [10, 12] and by_ref["t3.new[6]"]["confidence"] == 0.9
    assert [v["kind"] for v in rep["versions"]] == ["extracted"]
    assert rep["findings"] == []


def test_department_hangs_under_its_government(store):
    rng = random.Random(2)
    dep = store.store_record(kit.record(rng, 2022, agency="江州市教育局", region="江州省江州市"))
    gov = store.store_record(kit.record(rng, 2022, agency="江州市人民政府", region="江州省江州市"))
    d, g = store.get_report(dep["report_id"]), store.get_report(gov["report_id"])
    assert g["agency"]["kind"] == "government" and d["agency"]["parent_id"] == g["agency"]["id"]


def test_same_source_is_stored_once(store):
    rng = random.Random(3)
    rec = kit.record(rng, 2022, agency="临海市人民政府", region="临海省临海市")
    assert store.store_record(rec)["status"] == "stored"
    again = store.store_record(rec)
    assert again["status"] == "duplicate"
    assert store.counts()["versions"] == 1 and store.counts()["sources"] == 1


def test_manifest_overrides_extraction(store):
    rng = random.Random(4)
    rec = kit.record(rng, 2022)
    rec["meta"]["agency"] = None
    out = store.store_record(rec, manifest_row={"agency": "南屏市自然资源局", "region": "临海省南屏市", "year": "2020",
                                                "level": "市级", "url": "http://example.invalid/r.html"})
    rep = store.get_report(out["report_id"])
    assert rep["agency"]["name"] == "南屏市自然资源局" and rep["year"] == 2020 and rep["agency"]["level"] == "city"
    assert rep["source"]["url"] == "http://example.invalid/r.html"
    with pytest.raises(StoreError):
        store.store_record(kit.record(rng, 2022), manifest_row={"year": "二〇二二"})


def test_unknown_agency_reports_stay_apart(store):
    rng = random.Random(5)
    ids = set()
    for _ in range(2):
        rec = kit.record(rng, 2022)
        rec["meta"]["agency"] = rec["meta"]["year"] = None
        ids.add(store.store_record(rec)["report_id"])
    assert len(ids) == 2


def test_cross_year_carry_over_found_and_cleared_by_correction(store):
    rng = random.Random(6)
    y1 = kit.record(rng, 2022, agency="青川市生态环境局", region="北川省青川市")
    y2 = kit.next_year(rng, y1, break_carry=True)
    r1 = store.store_record(y1)["report_id"]
    r2 = store.store_record(y2)["report_id"]
    rep = store.get_report(r2)
    cross = [f for f in rep["findings"] if f["scope"] == "cross_year"]
    assert cross, rep["findings"]
    assert any("t3.carried[0]" in f["cells"] for f in cross)
    assert _rules(rep, "check") == []  # the year itself is consistent
    assert store.get_report(r1)["findings"] == []
    listed = store.list_reports(status="open")
    assert [i["id"] for i in listed["items"]] == [r2]

    fixed = y1["t3"]["rows"]["carry_next"]
    res = store.correct_values(r2, {"t3.carried[0]": fixed[0], "t3.carried[6]": fixed[6],
                                    "t3.total[0]": y2["t3"]["rows"]["total"][0] - 3,
                                    "t3.total[6]": y2["t3"]["rows"]["total"][6] - 3,
                                    "t3.other_misc[0]": y2["t3"]["rows"]["other_misc"][0] - 3,
                                    "t3.other_misc[6]": y2["t3"]["rows"]["other_misc"][6] - 3},
                               user="王审核", reason="核对原件：上年结转应与上年结转下年度一致")
    assert res["number"] == 2 and res["findings"] == []
    rep = store.get_report(r2)
    assert rep["findings"] == []
    assert [(v["number"], v["kind"], v["author"]) for v in rep["versions"]] == [(1, "extracted", None),
                                                                                (2, "corrected", "王审核")]
    assert rep["record"]["t3"]["rows"]["carried"][0] == fixed[0]
    # the first version is kept unchanged, with its finding
    old = store.get_report(r2, version=1)
    assert old["record"]["t3"]["rows"]["carried"][0] == fixed[0] + 3
    assert any(f["scope"] == "cross_year" for f in old["findings"])
    cell = {c["ref"]: c for c in store.cells(r2)}["t3.carried[0]"]
    assert cell["provenance"]["corrected_by"] == "王审核" and cell["provenance"]["was"] == fixed[0] + 3
    assert store.list_reports(status="open")["total"] == 0


def test_cross_year_reruns_when_the_earlier_year_arrives_later_or_is_corrected(store):
    rng = random.Random(7)
    y1 = kit.record(rng, 2021, agency="白鹿市卫生健康委员会", region="云岭省白鹿市")
    y2 = kit.next_year(rng, y1, break_carry=True)
    r2 = store.store_record(y2)["report_id"]
    assert store.get_report(r2)["findings"] == []           # no neighbour yet
    r1 = store.store_record(y1)["report_id"]
    assert _rules(store.get_report(r2), "cross_year")        # the neighbour's arrival re-ran the check
    # correcting the earlier year's 结转下年度 to what the later year says clears it as well
    c = y2["t3"]["rows"]["carried"]
    rows1 = y1["t3"]["rows"]
    store.correct_values(r1, {"t3.carry_next[0]": c[0], "t3.carry_next[6]": c[6],
                              "t3.new[0]": rows1["new"][0] + 3, "t3.new[6]": rows1["new"][6] + 3},
                         user="李", reason="上年数据更正")
    assert store.get_report(r1)["findings"] == []
    assert store.get_report(r2)["findings"] == []


def test_correction_revalidates_and_review_survives(store):
    rng = random.Random(8)
    rec = kit.record(rng, 2023, agency="安平区交通运输局", region="江州省南屏市安平区")
    rec["t3"]["rows"]["granted"][6] += 5                     # breaks the row total and the column sum
    rid = store.store_record(rec)["report_id"]
    rep = store.get_report(rid)
    assert {"arith.t3.row_total", "arith.t3.results_total"} <= set(_rules(rep))
    target = next(f for f in rep["findings"] if f["rule"] == "arith.t3.results_total" and "t3.total[6]" in f["cells"])
    reviewed = store.review_finding(target["id"], "confirmed", "张三", "原件如此")
    assert reviewed["status"] == "confirmed" and reviewed["reviewed_by"] == "张三"
    assert store.list_reports(status="open")["total"] == 1
    with pytest.raises(StoreError):
        store.review_finding(target["id"], "maybe", "张三")
    with pytest.raises(StoreError):
        store.review_finding(10 ** 6, "confirmed", "张三")
    # make the row add up (natural persons +5): the row-total finding goes, the reviewed
    # column-sum finding of 总计 stays with its review, and one for 自然人 appears
    res = store.correct_values(rid, {"t3.granted[0]": rec["t3"]["rows"]["granted"][0] + 5}, "张三", "试改")
    assert res["number"] == 2
    rep = store.get_report(rid)
    assert "arith.t3.row_total" not in _rules(rep)
    col6 = [f for f in rep["findings"] if f["rule"] == "arith.t3.results_total" and "t3.total[6]" in f["cells"]]
    col0 = [f for f in rep["findings"] if f["rule"] == "arith.t3.results_total" and "t3.total[0]" in f["cells"]]
    assert [(f["status"], f["comment"]) for f in col6] == [("confirmed", "原件如此")]
    assert [f["status"] for f in col0] == ["open"]
    # the real fix clears everything
    store.correct_values(rid, {"t3.granted[6]": rec["t3"]["rows"]["granted"][6] - 5,
                               "t3.granted[0]": rec["t3"]["rows"]["granted"][0]}, "张三", "按原件")
    assert store.get_report(rid)["findings"] == []
    with pytest.raises(StoreError):
        store.correct_values(rid, {"t3.granted[6]": "many"}, "张三", "x")
    with pytest.raises(StoreError):
        store.correct_values(rid, {"nonsense": 1}, "张三", "x")
    with pytest.raises(StoreError):
        store.correct_values(rid, {"t3.granted[6]": 1}, "", "x")


def test_list_reports_filters_and_pages(store):
    rng = random.Random(9)
    for year in (2021, 2022, 2023):
        store.store_record(kit.record(rng, year, agency="江州市人民政府", region="江州省江州市"))
        store.store_record(kit.record(rng, year, agency="临川区人民政府", region="江州省江州市临川区"))
        store.store_record(kit.record(rng, year, agency="海城市教育局", region="临海省海城市"))
    assert store.list_reports()["total"] == 9
    assert store.list_reports(region="江州省")["total"] == 6
    assert store.list_reports(region="江州省江州市临川区")["total"] == 3
    assert store.list_reports(level="county")["total"] == 3
    assert store.list_reports(level="市级", year=2022)["total"] == 2
    assert store.list_reports(region="无此地")["total"] == 0
    page = store.list_reports(limit=4, offset=4, order="id")
    assert page["total"] == 9 and [i["id"] for i in page["items"]] == [5, 6, 7, 8]
    assert store.list_reports(agency="教育局")["total"] == 3
    with pytest.raises(StoreError):
        store.list_reports(level="galactic")


def test_source_bytes_and_ingest_bytes(store, tmp_path):
    rng = random.Random(10)
    rec = kit.record(rng, 2022, agency="石门县人民政府", region="云岭省白鹿市石门县")
    text = kit.render_text(rec).encode("utf-8")
    out = ingest_bytes(store, text, "shimen-2022.txt", manifest_row={"agency": "石门县人民政府",
                                                                    "region": "云岭省白鹿市石门县", "year": 2022})
    assert out["status"] == "stored"
    data, name, fmt = store.source_bytes(out["report_id"])
    assert data == text and name == "shimen-2022.txt" and fmt == "txt"
    assert ingest_bytes(store, text, "again.txt")["status"] == "duplicate"
    bad = ingest_bytes(store, b"\x00\x01\x02binary" * 50, "junk.txt")
    assert bad["status"] == "failed" and bad["error"]
    assert store.counts()["sources"] == 1


def _statements(store):
    """A list that collects every SQL statement the store's engine runs (transaction control left out)."""
    from sqlalchemy import event
    seen = []

    def collect(conn, cur, stmt, *a):
        if stmt.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(stmt)
    event.listen(store.engine, "before_cursor_execute", collect)
    return seen


def test_list_reports_counts_findings_by_severity_in_one_query(store):
    from nianbao.findings import finding
    rng = random.Random(21)
    clean = kit.record(rng, 2021, agency="北湖区人民政府", region="江州省江州市北湖区")
    broken = kit.record(rng, 2022, agency="北湖区财政局", region="江州省江州市北湖区")
    broken["t3"]["rows"]["granted"][6] += 5                      # two arithmetic errors
    noted = kit.record(rng, 2022, agency="南湖区教育局", region="江州省江州市南湖区")
    noted["findings"] = [finding("extract.ocr_digit", "warning", "疑似识别错误", "maybe an OCR error",
                                 cells=["t3.new[0]"]),
                         finding("extract.note", "info", "表格跨页", "table split over pages"),
                         finding("extract.note2", "info", "附注", "a footnote")]
    ids = {name: store.store_record(rec, data=name.encode(), filename=f"{name}.html")["report_id"]
           for name, rec in (("clean", clean), ("broken", broken), ("noted", noted))}

    def expected(rid):
        fs = [f for f in store.get_report(rid)["findings"] if f["status"] != "dismissed"]
        return {s: sum(f["severity"] == s for f in fs) for s in ("error", "warning", "info")}

    seen = _statements(store)
    items = {i["id"]: i for i in store.list_reports(limit=10)["items"]}
    assert len(seen) == 1                                         # summaries and counts: one statement
    assert set(items) == set(ids.values())
    for rid in ids.values():
        want = expected(rid)
        assert (items[rid]["errors"], items[rid]["warnings"], items[rid]["infos"]) == \
            (want["error"], want["warning"], want["info"])
    assert items[ids["clean"]]["errors"] == items[ids["clean"]]["warnings"] == items[ids["clean"]]["infos"] == 0
    assert items[ids["broken"]]["errors"] >= 2
    assert (items[ids["noted"]]["warnings"], items[ids["noted"]]["infos"]) == (1, 2)
    assert items[ids["noted"]]["filename"] == "noted.html" and items[ids["noted"]]["format"] == "txt"
    assert items[ids["broken"]]["version"] == 1

    # a dismissed finding is no longer counted; a correction moves the counts to the new version
    err = next(f for f in store.get_report(ids["broken"])["findings"] if f["severity"] == "error")
    store.review_finding(err["id"], "dismissed", "张三", "原件如此")
    after = {i["id"]: i for i in store.list_reports()["items"]}[ids["broken"]]
    assert after["errors"] == items[ids["broken"]]["errors"] - 1
    store.correct_values(ids["broken"], {"t3.granted[6]": broken["t3"]["rows"]["granted"][6] - 5}, "张三", "按原件")
    fixed = {i["id"]: i for i in store.list_reports()["items"]}[ids["broken"]]
    assert fixed["version"] == 2 and fixed["errors"] == expected(ids["broken"])["error"] == 0

    # a page of a longer list: the page's statement and the total's, whatever the order
    for order in ("year", "agency", "open", "id"):
        seen.clear()
        page = store.list_reports(order=order, limit=2, offset=1)
        assert len(seen) == 2 and page["total"] == 3 and len(page["items"]) == 2
    assert [i["year"] for i in store.list_reports(order="year")["items"]] == [2022, 2022, 2021]
    by_open = [i["n_open"] for i in store.list_reports(order="open")["items"]]
    assert by_open == sorted(by_open, reverse=True)
    assert store.list_reports(status="open", limit=10)["items"][0]["id"] == ids["noted"]
    past = store.list_reports(offset=50)
    assert past["items"] == [] and past["total"] == 3


def test_record_reads_back_as_extraction_gave_it(store):
    """Provenance is stored once (in the cells) and put back into the record on reading."""
    import json

    from sqlalchemy import select

    from nianbao.store.schema import Version
    rng = random.Random(22)
    rec = kit.record(rng, 2022, agency="东山县人民政府", region="云岭省白鹿市东山县")
    rec["provenance"] = {ref: {"span": [i, i + 3], "page": 1 + i % 2, "bbox": [1.0, 2.0, 3.5, 4.0],
                               "confidence": 0.75}
                         for i, (ref, *_rest) in enumerate(kit.iter_cells(rec)) if i % 3}
    rec["provenance"]["meta.agency"] = {"span": [0, 7]}
    bare = kit.record(rng, 2021, agency="东山县人民政府", region="云岭省白鹿市东山县")
    del bare["provenance"]
    want = json.loads(json.dumps({k: v for k, v in rec.items() if k != "findings"}))
    rid = store.store_record(json.loads(json.dumps(rec)))["report_id"]
    bid = store.store_record(json.loads(json.dumps(bare)))["report_id"]
    got = store.get_report(rid)["record"]
    assert {k: v for k, v in got.items() if k != "findings"} == want
    assert "provenance" not in store.get_report(bid)["record"]
    with store.session() as s:
        kept = s.scalar(select(Version.record).where(Version.report_id == rid))
    assert kept["provenance"] == {"meta.agency": {"span": [0, 7]}}   # the cells' provenance is not in the JSON
    cells = {c["ref"]: c for c in store.cells(rid)}
    assert all(cells[ref]["provenance"] == p for ref, p in want["provenance"].items() if ref in cells)

    # a correction keeps each cell's provenance; the corrected one says who, and still where it was printed
    ref = next(r for r in want["provenance"] if r.startswith("t3.") and r != "meta.agency")
    store.correct_values(rid, {ref: 999}, "王审核", "核对原件")
    v2 = store.get_report(rid)["record"]["provenance"]
    was = want["provenance"][ref]
    assert v2[ref] == {"span": was["span"], "page": was["page"], "bbox": was["bbox"], "corrected_by": "王审核",
                       "reason": "核对原件", "was": kit.cell_value(want, ref)}
    assert {k: v for k, v in v2.items() if k != ref} == {k: v for k, v in want["provenance"].items() if k != ref}
    assert {k: v for k, v in store.get_report(rid, 1)["record"].items() if k != "findings"} == want
    values = store.version_records(rid)                              # the audit trail's one read
    assert sorted(values) == [1, 2] and kit.cell_value(values[2], ref) == 999
    assert kit.cell_value(values[1], ref) == kit.cell_value(want, ref)


def test_memo_serves_until_any_write_then_recomputes(store, tmp_path):
    """Cached aggregates stay valid until a write (here: one from another Store, as another process would)."""
    from nianbao.store import Store
    rng = random.Random(77)
    store.store_record(kit.record(rng, 2022, agency="甲县人民政府", region="江州省江州市甲县"))
    calls = []

    def compute():
        calls.append(1)
        return store.stats(group_by=("year",))["groups"][0]["reports"]

    assert store.memo("n", compute) == 1 and store.memo("n", compute) == 1 and len(calls) == 1
    other = Store.open(store.url if store.dialect == "sqlite" else str(store.engine.url.render_as_string(False)))
    try:
        other.store_record(kit.record(rng, 2022, agency="乙县人民政府", region="江州省江州市乙县"))
        assert store.memo("n", compute) == 2 and len(calls) == 2
        fid = store.get_report(store.find_report("乙县人民政府", 2022))["findings"]
        before = store.generation()
        if fid:  # a review is a write too
            other.review_finding(fid[0]["id"], "dismissed", "王", "口径不同")
            assert store.generation() > before
    finally:
        other.close()
