"""Drafts: totals computed not typed, typed values checked, pre-fill from last year, the same findings as
the validator, the export gate, JSON in the canonical shape, Word working copies."""
from __future__ import annotations

import copy
import io
import json
import random

import pytest

from nianbao import validate
from nianbao.author import canonical
from nianbao.author.checks import check_draft, copy_rates
from nianbao.author.draft import (AuthorError, fill_blanks, get_value, leaf_refs, new_draft, normalise, set_meta,
                                  set_section, set_values, suggestions, to_record, total_refs)
from nianbao.author.publish import Refused, export, gate
from nianbao.generate import random_record
from nianbao.generate.sections import add_prose
from nianbao.template import T3_TOTAL_COL, identities, check_identity


def _last_year(seed=1, year=2024, form="2021"):
    rng = random.Random(seed)
    rec = random_record(rng, form, year, scale="medium")
    add_prose(rng, rec)
    return rec


def _filled(draft, seed=2, *, published="2026-01-20"):
    """Fill every leaf of the draft from another consistent record, keeping what was pre-filled."""
    rec = draft["record"]
    other = random_record(random.Random(seed), rec["meta"]["template"], rec["meta"]["year"], scale="medium")
    values = {ref: get_value(other, ref) for ref in leaf_refs(rec["meta"]["template"])
              if ref not in draft["follow"] and not ref.startswith("t3.carried")}
    set_values(draft, values)
    # 一 + 二 = 三(七) + 四 with 二 as pre-filled: new = handled + carried to next year − carried over
    rows = rec["t3"]["rows"]
    for c in range(T3_TOTAL_COL):
        new = max(0, rows["total"][c] + rows["carry_next"][c] - rows["carried"][c])
        set_values(draft, {f"t3.new[{c}]": new,
                           f"t3.carry_next[{c}]": new + rows["carried"][c] - rows["total"][c]})
    for sec in rec["sections"]:
        if not sec["text"]:
            set_section(draft, sec["number"], f"本年度{sec['title']}的情况良好，各项工作有序推进。")
    set_meta(draft, published=published)
    return draft


def test_totals_are_computed_and_cannot_be_typed():
    d = new_draft("温州市人力资源和社会保障局", 2025)
    set_values(d, {"t3.new[0]": 3, "t3.new[1]": "2", "t3.granted[0]": 1, "t3.partial[0]": 4, "t4.reconsideration[1]": 2})
    rows = d["record"]["t3"]["rows"]
    assert rows["new"][T3_TOTAL_COL] == 5
    assert rows["total"][0] == 5 and rows["total"][T3_TOTAL_COL] == 5
    assert d["record"]["t4"]["reconsideration"][4] == 2
    for ref in ("t3.new[6]", "t3.total[0]", "t4.reconsideration[4]"):
        with pytest.raises(AuthorError, match="合计"):
            set_values(d, {ref: 1})
    # every total of a record made from a draft holds its identity, whatever was typed
    fill_blanks(d)
    rec = to_record(d)
    for ident in identities("2021"):
        if ident.rule != "t3.balance":
            assert check_identity(ident, rec).holds, ident.description


@pytest.mark.parametrize("raw, message", [("十二", "不是数字"), (-3, "不能为负数"), ("1.5", "须为整数"),
                                          (True, "须为数字"), ("1e20", "超出范围")])
def test_typed_values_are_refused_with_the_cell_named(raw, message):
    d = new_draft("温州市人力资源和社会保障局", 2025)
    with pytest.raises(AuthorError, match=message) as exc:
        set_values(d, {"t3.granted[0]": raw})
    assert "(一)予以公开" in str(exc.value) and "自然人" in str(exc.value)
    assert get_value(d["record"], "t3.granted[0]") is None  # nothing written


def test_numbers_as_typed_and_money():
    d = new_draft("温州市人力资源和社会保障局", 2025)
    set_values(d, {"t3.new[0]": " １,２３４ ", "t2.fees_wan": "12.3456", "t3.new[1]": "—", "t4.reconsideration[0]": 3.0})
    r = d["record"]
    assert get_value(r, "t3.new[0]") == 1234 and get_value(r, "t3.new[1]") is None
    assert get_value(r, "t2.fees_wan") == 12.3456 and get_value(r, "t4.reconsideration[0]") == 3
    d19 = new_draft("温州市人力资源和社会保障局", 2020)
    set_values(d19, {"t2.fees[1]": -4})  # 本年增/减 of the 2019 form may be negative
    assert d19["record"]["t2"]["fees"][1] == -4
    with pytest.raises(AuthorError, match="不能为负数"):
        set_values(d19, {"t2.fees[0]": -4})


def test_prefill_from_last_year():
    prev = _last_year()
    d = new_draft(prev["meta"]["agency"], 2025, previous=prev)
    rows = d["record"]["t3"]["rows"]
    assert rows["carried"][:T3_TOTAL_COL] == prev["t3"]["rows"]["carry_next"][:T3_TOTAL_COL]
    assert rows["carried"][T3_TOTAL_COL] == prev["t3"]["rows"]["carry_next"][T3_TOTAL_COL]
    assert d["record"]["meta"]["region"] == prev["meta"]["region"]
    assert d["record"]["meta"]["period"] == {"start": "2025-01-01", "end": "2025-12-31"}
    # sections start empty, last year's text is kept apart; section 六 opens with the fee sentence
    texts = {s["number"]: s["text"] for s in d["record"]["sections"]}
    assert all(not texts[n] for n in "一二三四五") and "信息处理费" in texts["六"]
    assert d["previous"]["record"]["sections"][0]["text"] == prev["sections"][0]["text"]
    # 现行有效件数 follows last year's + issued − repealed until typed over
    last = prev["t2"]["regulations"][2]
    assert d["record"]["t2"]["regulations"][2] == last
    set_values(d, {"t2.regulations[0]": 5, "t2.regulations[1]": 2})
    assert d["record"]["t2"]["regulations"][2] == last + 3
    assert suggestions(d)["t2.regulations[2]"]["following"]
    set_values(d, {"t2.regulations[2]": 1})
    set_values(d, {"t2.regulations[0]": 9})
    assert d["record"]["t2"]["regulations"][2] == 1 and not suggestions(d)["t2.regulations[2]"]["following"]
    with pytest.raises(AuthorError, match="不是"):
        new_draft(prev["meta"]["agency"], 2026, previous=prev)  # last year's report must be the year before


def test_the_draft_gets_the_validators_findings_and_its_own():
    prev = _last_year()
    d = _filled(new_draft(prev["meta"]["agency"], 2025, previous=prev))
    d["record"]["t3"]["rows"]["carried"][0] += 1  # as if typed: 上年结转 no longer last year's 结转下年度
    set_values(d, {"t3.carried[0]": d["record"]["t3"]["rows"]["carried"][0]})
    rec = to_record(d)
    found = check_draft(d)
    own = [f for f in found if not f["rule"].startswith("author.")]
    expected = validate.check(rec) + validate.cross_year(d["previous"]["record"], rec)
    key = lambda f: (f["rule"], tuple(f["cells"]), f["message"])  # noqa: E731
    assert sorted(map(key, own)) == sorted(map(key, expected))
    assert any(f["rule"] == "cross.carry_over" and f["cells"] == ["t3.carried[0]"] for f in found)
    assert any(f["rule"] == "arith.t3.balance" for f in found)
    assert not [f for f in found if f["rule"].startswith("author.")]


def test_completeness_findings():
    d = new_draft("温州市人力资源和社会保障局", 2025)
    rules = {f["rule"] for f in check_draft(d)}
    assert {"author.blank", "author.empty_section", "author.no_date"} <= rules
    fill_blanks(d)
    set_meta(d, published="2025-12-30")
    found = check_draft(d)
    assert "author.blank" not in {f["rule"] for f in found}
    assert any(f["rule"] == "author.early_date" for f in found)


def test_copy_rate_per_section_is_the_validators_measure():
    prev = _last_year()
    d = new_draft(prev["meta"]["agency"], 2025, previous=prev)
    old = prev["sections"][4]["text"]
    set_section(d, "五", old)
    set_section(d, "一", "今年我们重新梳理了公开目录，新增了政策解读专栏，全年开展业务培训三次。")
    rates = copy_rates(d)
    assert rates["五"] == pytest.approx(1.0) and rates["一"] == 0.0
    assert rates["二"] is None  # nothing written yet


def test_export_gate_refuses_errors_and_keeps_the_reason():
    prev = _last_year()
    d = _filled(new_draft(prev["meta"]["agency"], 2025, previous=prev))
    assert not [f for f in check_draft(d) if f["severity"] == "error"], check_draft(d)
    clean = export(d, "docx")
    assert clean.data[:2] == b"PK" and not clean.overridden
    set_values(d, {"t3.carried[1]": d["record"]["t3"]["rows"]["carried"][1] + 2})
    with pytest.raises(Refused) as exc:
        export(d, "docx")
    assert exc.value.errors and "不能导出" in str(exc.value)
    with pytest.raises(Refused):
        export(d, "html", reason="  ")  # a blank reason is no reason
    out = export(d, "docx", reason="上年报告结转数有误，已在第六部分说明")
    assert out.overridden and out.reason.startswith("上年报告")
    import docx
    props = docx.Document(io.BytesIO(out.data)).core_properties
    assert "上年报告结转数有误" in props.comments
    page = export(d, "html", reason="上年报告结转数有误，已在第六部分说明").data.decode("utf-8")
    assert 'name="nianbao-override"' in page and "上年报告结转数有误" in page
    # working files are not the report: no gate
    assert export(d, "xlsx").data[:2] == b"PK"
    assert json.loads(export(d, "json").data)["meta"]["agency"] == prev["meta"]["agency"]
    assert gate([{"severity": "warning"}], None) == ([], None)


def test_json_in_and_out_in_the_canonical_shape():
    prev = _last_year()
    d = _filled(new_draft(prev["meta"]["agency"], 2025, previous=prev))
    d["contact"] = "联系电话：0577-88888888"
    out = json.loads(json.dumps(canonical.to_json(d, findings=check_draft(d)), default=str))
    assert set(out) >= {"meta", "t2", "t3", "t4", "sections", "findings", "author"}
    assert out["t3"]["rows"]["total"] == d["record"]["t3"]["rows"]["total"]
    assert out["author"]["previous"]["year"] == 2024
    record, contact = canonical.from_json(out)
    assert contact == "联系电话：0577-88888888"
    for key in ("t2", "t3", "t4"):
        assert record[key] == d["record"][key]
    # totals in the input are never taken as given
    wrong = copy.deepcopy(out)
    wrong["t3"]["rows"]["new"][T3_TOTAL_COL] += 100
    assert canonical.from_json(wrong)[0]["t3"]["rows"]["new"] == d["record"]["t3"]["rows"]["new"]
    # what cannot be read is named
    bad = copy.deepcopy(out)
    bad["t3"]["rows"]["granted"][2] = "三"
    bad["t4"]["reconsideration"][0] = -1
    with pytest.raises(AuthorError) as exc:
        canonical.from_json(bad, "in.json")
    assert "in.json" in str(exc.value) and "(一)予以公开" in str(exc.value) and "行政复议" in str(exc.value)
    with pytest.raises(AuthorError, match="meta.year"):
        canonical.from_json({"meta": {"agency": "某局", "year": 2015}})
    with pytest.raises(AuthorError, match="other_misc|表三没有"):
        canonical.from_json({"meta": {"agency": "某局", "year": 2020, "template": "2019"},
                             "t3": {"rows": {"other_misc": [0] * 7}}})


def test_normalise_takes_every_shape_of_input():
    rec = random_record(random.Random(4), "2019", 2020)
    rec["t2"]["procurement_unit"] = "元"
    rec["t2"]["procurement"][1] = 123456
    out = normalise(rec)
    assert out["t2"]["procurement"][1] == pytest.approx(12.3456) and out["t2"]["procurement_unit"] == "万元"
    assert out["meta"]["template"] == "2019" and "other" in out["t3"]["rows"]
    assert set(total_refs("2019")) & set(leaf_refs("2019")) == set()


def test_word_working_copy_reads_back(tmp_path):
    from nianbao.author.wordfile import draft_docx, read_docx
    prev = _last_year()
    d = _filled(new_draft(prev["meta"]["agency"], 2025, previous=prev))
    path = tmp_path / "draft.docx"
    path.write_bytes(draft_docx(d))
    record, _ = read_docx(path)
    for key in ("t2", "t3", "t4"):
        assert record[key] == d["record"][key], key
    mine = {s["number"]: s["text"] for s in d["record"]["sections"]}
    assert {s["number"]: s["text"] for s in record["sections"]} == mine  # last year's reference text dropped
