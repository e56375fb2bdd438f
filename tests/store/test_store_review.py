"""A reviewer's work across versions, on SQLite and on a real PostgreSQL 15: decisions carried over,
corrections checked against the template, re-applied on a new extraction, reverted."""
from __future__ import annotations

import copy
import random

import pytest

import kit
from nianbao.store import StoreError
from nianbao.store.api import CorrectionError


def _again(rec: dict, seed: int) -> dict:
    """The same report uploaded again: another file (another sha256), the same values."""
    out = copy.deepcopy(rec)
    out["source"] = {**out["source"], "sha256": f"{random.Random(seed).getrandbits(256):064x}",
                     "path": f"again-{seed}.txt"}
    return out


def _broken(rng, year=2022, agency="江州市教育局"):
    """A report whose 一、本年新收 total is one too high (arith.t3.row_total, arith.t3.balance)."""
    rec = kit.record(rng, year, agency=agency, region="江州省江州市")
    rec["t3"]["rows"]["new"][6] += 1
    return rec


def _find(rep, rule, cell=None):
    return next(f for f in rep["findings"] if f["rule"] == rule and (cell is None or cell in f["cells"]))


def test_decisions_survive_a_correction_and_reopen_when_their_cells_change(store):
    rng = random.Random(1)
    rec = _broken(rng)
    rec["t4"]["reconsideration"][4] += 2          # a second, unrelated error: table 四's total
    rid = store.store_record(rec)["report_id"]
    rep = store.get_report(rid)
    t4 = _find(rep, "arith.t4.group_total")
    row = _find(rep, "arith.t3.row_total", "t3.new[6]")
    store.review_finding(t4["id"], "dismissed", "王", "原表如此")
    store.review_finding(row["id"], "confirmed", "王", "确有错误")

    # correcting a cell of the t3 row: the t4 finding is the same (rule, cells, values): decision kept
    out = store.correct_values(rid, {"t3.new[0]": rec["t3"]["rows"]["new"][0] + 1}, "李", "按原件更正")
    rep = store.get_report(rid)
    assert rep["version"]["number"] == 2
    t4 = _find(rep, "arith.t4.group_total")
    assert (t4["status"], t4["reviewed_by"], t4["comment"]) == ("dismissed", "王", "原表如此")
    assert t4["prior"]["kept"] and t4["prior"]["version"] == 1
    # ... t3.new[0] changed and the row now adds up: the row finding is gone, its review with it
    assert not [f for f in rep["findings"] if f["rule"] == "arith.t3.row_total"]
    assert out["changed"] == ["t3.new[0]"]

    # a finding whose cells changed but that still fails: re-opened, the old decision shown beside it
    bal = _find(rep, "arith.t3.balance", "t3.new[0]")
    store.review_finding(bal["id"], "confirmed", "王", "收结不平")
    store.correct_values(rid, {"t3.carried[0]": rec["t3"]["rows"]["carried"][0] + 5}, "李", "再更正")
    rep = store.get_report(rid)
    bal = _find(rep, "arith.t3.balance", "t3.new[0]")
    assert bal["status"] == "open" and bal["reviewed_by"] is None
    prior = bal["prior"]
    assert prior["status"] == "confirmed" and prior["comment"] == "收结不平" and not prior["kept"]
    assert prior["version"] == 2
    assert prior["values"]["t3.carried[0]"] == rec["t3"]["rows"]["carried"][0]
    assert bal["cell_values"]["t3.carried[0]"] == rec["t3"]["rows"]["carried"][0] + 5
    # the unrelated decision is still there two versions on
    assert _find(rep, "arith.t4.group_total")["status"] == "dismissed"


def test_cross_year_decisions_survive_and_reopen(store):
    rng = random.Random(2)
    a = kit.record(rng, 2021, agency="江州市民政局", region="江州省江州市")
    b = kit.next_year(rng, a, break_carry=True)
    ra = store.store_record(a)["report_id"]
    rb = store.store_record(b)["report_id"]
    carry = _find(store.get_report(rb), "cross.carry_over", "t3.carried[0]")
    assert carry["other_report_id"] == ra and carry["other_year"] == 2021
    assert carry["extra"]["previous_cells"] == ["t3.carry_next[0]"]
    store.review_finding(carry["id"], "dismissed", "王", "口径调整")
    # a correction of an unrelated cell of this year: the cross-year decision stays on the new version
    store.correct_values(rb, {"t4.reconsideration[0]": b["t4"]["reconsideration"][0] + 1,
                              "t4.reconsideration[4]": b["t4"]["reconsideration"][4] + 1}, "李", "核对")
    carry = _find(store.get_report(rb), "cross.carry_over", "t3.carried[0]")
    assert (carry["status"], carry["comment"]) == ("dismissed", "口径调整")
    # last year's 结转下年度 corrected (still not equal): this year's finding re-opens, the decision shown
    store.correct_values(ra, {"t3.carry_next[0]": a["t3"]["rows"]["carry_next"][0] + 1}, "李", "上年更正")
    carry = _find(store.get_report(rb), "cross.carry_over", "t3.carried[0]")
    assert carry["status"] == "open"
    assert carry["prior"]["status"] == "dismissed" and carry["prior"]["comment"] == "口径调整"
    key = "prev:t3.carry_next[0]"
    assert carry["cell_values"][key] == carry["prior"]["values"][key] + 1


def test_a_correction_equal_to_the_current_value_is_refused(store):
    rng = random.Random(3)
    rec = kit.record(rng, 2022, agency="江州市民政局", region="江州省江州市")
    rid = store.store_record(rec)["report_id"]
    with pytest.raises(StoreError, match="没有更正"):
        store.correct_values(rid, {"t3.new[0]": rec["t3"]["rows"]["new"][0]}, "李", "核对")
    assert store.get_report(rid)["version"]["number"] == 1


@pytest.mark.parametrize("ref,value,words", [
    ("t3.nonsense[0]", 1, "没有这个单元格"),
    ("t3.new[99]", 1, "没有这个单元格"),
    ("t3.other[0]", 1, "没有这个单元格"),            # a 2019-form row in a 2021-form table
    ("t4.reconsideration[5]", 1, "没有这个单元格"),
    ("t2.fees", 1, "没有这个单元格"),                 # a 2019-layout field in a 2021 table 二
    ("meta.secret", "x", "没有这个单元格"),
    ("nonsense", 1, "不是单元格引用"),
    ("t3.new[0]", 3.7, "须为整数"),
    ("t3.new[0]", -5, "不能为负数"),
    ("t3.new[0]", "abc", "须为数字"),
    ("t2.licensing", 2.5, "须为整数"),
    ("t2.fees_wan", -1.5, "不能为负数"),
    ("meta.year", "二〇二二", "须为年份"),
    ("meta.published", "2023-02-30", "须为日期"),
    ("meta.level", "galaxy", "须为"),
    ("meta.agency", "", "不能为空"),
    ("meta.region", "银河系", "无法识别的地区"),
])
def test_bad_corrections_are_refused_naming_the_cell(store, ref, value, words):
    rng = random.Random(4)
    rec = kit.record(rng, 2022, agency="江州市民政局", region="江州省江州市")
    rid = store.store_record(rec)["report_id"]
    with pytest.raises(CorrectionError) as info:
        store.correct_values(rid, {"t3.new[1]": rec["t3"]["rows"]["new"][1] + 1, ref: value}, "李", "试")
    (bad, message), = info.value.problems
    assert bad == ref and ref in message and words in message
    if ref.startswith("t3.new[0]"):
        assert "表三“一、本年新收" in message and "自然人" in message   # the cell in words
    # nothing was written: no version, no padded row, nothing exported later
    rep = store.get_report(rid)
    assert rep["version"]["number"] == 1 and rep["record"]["t3"] == rec["t3"]
    assert store.corrections(rid) == []


def test_good_corrections_keep_their_kind_and_go_in_one_version(store):
    rng = random.Random(5)
    rec = kit.record(rng, 2022, agency="江州市民政局", region="江州省江州市")
    rid = store.store_record(rec)["report_id"]
    new = rec["t3"]["rows"]["new"]
    # a value and its total in one version: no state in between with a new error
    out = store.correct_values(rid, {"t3.new[0]": str(new[0] + 2), "t3.new[6]": float(new[6] + 2),
                                     "t2.fees_wan": "12.50", "t2.licensing": "1,234"}, "李", "按原件更正")
    rep = store.get_report(rid)
    assert out["number"] == 2 and len(rep["versions"]) == 2
    rows = rep["record"]["t3"]["rows"]["new"]
    assert rows[0] == new[0] + 2 and rows[6] == new[6] + 2 and isinstance(rows[6], int)
    assert rep["record"]["t2"]["fees_wan"] == 12.5 and rep["record"]["t2"]["licensing"] == 1234
    assert not [f for f in rep["findings"] if f["rule"] == "arith.t3.row_total"]
    refs = sorted(c["ref"] for c in store.corrections(rid))
    assert refs == ["t2.fees_wan", "t2.licensing", "t3.new[0]", "t3.new[6]"]
    # each corrected cell says who changed it and what it was
    cell = {c["ref"]: c for c in store.cells(rid)}["t3.new[0]"]
    assert cell["provenance"]["corrected_by"] == "李" and cell["provenance"]["was"] == new[0]


def test_2019_change_column_may_be_negative(store):
    rng = random.Random(6)
    rec = kit.record(rng, 2019, agency="江州市民政局", region="江州省江州市", form="2019")
    assert rec["t2"]["layout"] == "2019"
    rid = store.store_record(rec)["report_id"]
    store.correct_values(rid, {"t2.licensing[1]": -3, "t2.procurement[1]": "88.25"}, "李", "按原件")
    t2 = store.get_report(rid)["record"]["t2"]
    assert t2["licensing"][1] == -3 and t2["procurement"][1] == 88.25
    with pytest.raises(CorrectionError, match="不能为负数"):
        store.correct_values(rid, {"t2.licensing[0]": -3}, "李", "按原件")


def test_meta_corrections_move_the_report(store):
    rng = random.Random(7)
    a = kit.record(rng, 2021, agency="江州市民政局", region="江州省江州市")
    wrong = kit.next_year(rng, a)
    wrong["meta"]["agency"] = "江州市民政"             # extraction lost a character
    ra = store.store_record(a)["report_id"]
    rb = store.store_record(wrong)["report_id"]
    assert store.get_report(rb)["neighbours"]["prev"] is None
    store.correct_values(rb, {"meta.agency": "江州市 民政局", "meta.published": "2023-01-20"}, "李", "机关名称更正")
    rep = store.get_report(rb)
    assert rep["agency"]["name"] == "江州市民政局" and rep["record"]["meta"]["published"] == "2023-01-20"
    assert rep["neighbours"]["prev"] == ra                 # now paired with last year's report
    assert store.find_report("江州市民政局", 2022) == rb
    assert [c["ref"] for c in store.corrections(rb)] == ["meta.agency", "meta.published"]
    # a year that another report of the agency already has is refused, naming it
    with pytest.raises(StoreError, match=f"#{ra}"):
        store.correct_values(rb, {"meta.year": 2021}, "李", "年度更正")


def test_reupload_gets_the_corrections_reapplied(store):
    rng = random.Random(8)
    rec = _broken(rng)
    rec["t4"]["reconsideration"][4] += 2          # an error nobody corrects: dismissed below
    rid = store.store_record(rec, author="张")["report_id"]
    assert store.get_report(rid)["versions"][0]["author"] == "张"
    right = sum(rec["t3"]["rows"]["new"][:6])
    store.correct_values(rid, {"t3.new[6]": right}, "李", "按各列之和更正")
    t4 = _find(store.get_report(rid), "arith.t4.group_total")
    store.review_finding(t4["id"], "dismissed", "李", "原表如此")

    # the same (uncorrected) report uploaded again, by another person: never a silent overwrite
    out = store.store_record(_again(rec, 1), author="赵")
    assert out["report_id"] == rid and out["reapplied"] == ["t3.new[6]"]
    rep = store.get_report(rid)
    kinds = [(v["number"], v["kind"], v["author"]) for v in rep["versions"]]
    assert kinds == [(1, "extracted", "张"), (2, "corrected", "李"), (3, "extracted", "赵"), (4, "corrected", "赵")]
    assert "重新应用 1 处更正" in rep["versions"][-1]["reason"]
    assert rep["record"]["t3"]["rows"]["new"][6] == right
    cell = {c["ref"]: c for c in store.cells(rid)}["t3.new[6]"]
    assert cell["provenance"]["corrected_by"] == "李" and cell["provenance"]["reason"] == "按各列之和更正"
    (c,) = store.corrections(rid)
    assert c["status"] == "active" and c["version"] == 2 and c["applied_version"] == 4
    # the decisions made before the re-upload are still there
    t4 = _find(rep, "arith.t4.group_total")
    assert (t4["status"], t4["reviewed_by"], t4["comment"]) == ("dismissed", "李", "原表如此")
    assert not [f for f in rep["findings"] if f["rule"] == "arith.t3.row_total"]
    assert store.get_report(rid, 3)["record"]["t3"]["rows"]["new"][6] == right + 1   # the extraction, kept as is

    # a corrected file: the new extraction agrees with the correction, which is closed as absorbed
    fixed = _again(rec, 2)
    fixed["t3"]["rows"]["new"][6] = right
    out = store.store_record(fixed, author="赵")
    assert out["reapplied"] == []
    (c,) = store.corrections(rid)
    assert c["status"] == "absorbed" and c["closed_by"] == "赵"
    assert store.get_report(rid)["versions"][-1]["kind"] == "extracted"


def test_revert_returns_the_source_value_and_stops_reapplying(store):
    rng = random.Random(9)
    rec = _broken(rng)
    rid = store.store_record(rec)["report_id"]
    wrong = rec["t3"]["rows"]["new"][6]
    store.correct_values(rid, {"t3.new[6]": wrong - 1, "t3.new[0]": rec["t3"]["rows"]["new"][0] + 4}, "李", "更正")
    by_ref = {c["ref"]: c for c in store.corrections(rid)}
    out = store.revert_correction(by_ref["t3.new[6]"]["id"], "王", "原表无误")
    assert out["value"] == wrong and out["number"] == 3
    rep = store.get_report(rid)
    assert rep["record"]["t3"]["rows"]["new"][6] == wrong
    assert rep["record"]["t3"]["rows"]["new"][0] == rec["t3"]["rows"]["new"][0] + 4   # the other stays
    by_ref = {c["ref"]: c for c in store.corrections(rid)}
    assert by_ref["t3.new[6]"]["status"] == "reverted" and by_ref["t3.new[6]"]["closed_by"] == "王"
    with pytest.raises(StoreError, match="不在生效中"):
        store.revert_correction(by_ref["t3.new[6]"]["id"], "王")
    out = store.store_record(_again(rec, 3), author="赵")
    assert out["reapplied"] == ["t3.new[0]"]
    assert store.get_report(rid)["record"]["t3"]["rows"]["new"][6] == wrong


def test_a_superseding_correction_closes_the_earlier_one(store):
    rng = random.Random(10)
    rec = kit.record(rng, 2022, agency="江州市民政局", region="江州省江州市")
    rid = store.store_record(rec)["report_id"]
    v = rec["t3"]["rows"]["granted"][0]
    store.correct_values(rid, {"t3.granted[0]": v + 1}, "李", "一")
    store.correct_values(rid, {"t3.granted[0]": v + 2}, "王", "二")
    first, second = store.corrections(rid)
    assert first["status"] == "superseded" and second["status"] == "active" and second["previous"] == v + 1


def test_dismissal_needs_a_reason_and_old_versions_are_read_only(store):
    rng = random.Random(11)
    rid = store.store_record(_broken(rng))["report_id"]
    f = _find(store.get_report(rid), "arith.t3.row_total")
    with pytest.raises(StoreError, match="须说明理由"):
        store.review_finding(f["id"], "dismissed", "王", "  ")
    store.review_finding(f["id"], "confirmed", "王")
    store.correct_values(rid, {"t3.new[1]": 0}, "李", "更正")
    with pytest.raises(StoreError, match="历史版本"):
        store.review_finding(f["id"], "open", "王")


def test_preview_checks_without_writing(store):
    rng = random.Random(12)
    rec = _broken(rng)
    rid = store.store_record(rec)["report_id"]
    right = sum(rec["t3"]["rows"]["new"][:6])
    out = store.preview_correction(rid, {"t3.new[6]": str(right), "t3.new[0]": "1.5"})
    assert [p["cell"] for p in out["problems"]] == ["t3.new[0]"]
    rules = {(f["rule"], tuple(f["cells"])[:1]) for f in out["findings"]}
    assert ("arith.t3.row_total", ("t3.new[6]",)) not in rules
    out = store.preview_correction(rid, {})
    assert any(f["rule"] == "arith.t3.row_total" for f in out["findings"])
    assert store.get_report(rid)["version"]["number"] == 1 and store.corrections(rid) == []


def test_reextraction_of_the_stored_file(store):
    rng = random.Random(13)
    rec = kit.record(rng, 2022, agency="江州市民政局", region="江州省江州市")
    data = kit.render_text(rec).encode("utf-8")
    out = store.ingest_bytes(data, "jiangzhou-2022.txt")
    assert out["status"] == "stored", out
    rid = out["report_id"]
    got = store.get_report(rid)["record"]["t3"]["rows"]["granted"]
    store.correct_values(rid, {"t3.granted[1]": got[1] + 1, "t3.granted[6]": got[6] + 1}, "李", "按原件")
    out = store.reextract(rid, "王")
    assert out["reapplied"] == ["t3.granted[1]", "t3.granted[6]"]
    rep = store.get_report(rid)
    assert [(v["kind"], v["author"]) for v in rep["versions"]][-2:] == [("extracted", "王"), ("corrected", "王")]
    assert rep["record"]["t3"]["rows"]["granted"][1] == got[1] + 1
    assert rep["versions"][-2]["source_id"] == rep["versions"][0]["source_id"]
