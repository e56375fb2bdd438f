"""Oversight over a generated city (its government, departments, districts and streets over three years),
on SQLite and on a real PostgreSQL: the hierarchy, 汇总一致性, the quality score and the rankings."""
from __future__ import annotations

import copy
import random
from pathlib import Path

import kit
import pytest
import yaml

from nianbao.analyse import hierarchy, rankings
from nianbao.analyse import score as scoring
from nianbao.analyse.reconcile import reconcile, scope_of, summed_refs
from nianbao.generate.hierarchy import city_hierarchy
from nianbao.template import CellRef, cell_value

YEARS = (2022, 2023, 2024)


def _stored(store, seed=5, **kw):
    h = city_hierarchy(seed, YEARS, **kw)
    for rec in h.records:
        assert store.store_record(rec)["status"] == "stored"
    return h


def _value(rec, ref):
    return cell_value(rec, CellRef.parse(ref))


def test_hierarchy_inferred_from_names_and_regions(store):
    h = _stored(store)
    # an agency the names alone place elsewhere: vertically managed, and a national body
    extra = copy.deepcopy(h.records[0])
    extra["meta"].update(agency="国家税务总局" + h.agencies[0].name.replace("人民政府", "税务局"), kind="department")
    extra["source"]["sha256"] = "f" * 64
    store.store_record(extra)
    res = hierarchy.infer(store)
    assert res["agencies"] == len(h.agencies) + 1
    for a in h.agencies:
        n = hierarchy.node(store, hierarchy.find_agency(store, a.name)["id"])
        assert (n["parent"] or {}).get("name") == a.parent, a
        assert (n["kind"], n["level"]) == (a.kind, a.level), a
        assert n["via"] in hierarchy.VIA
    tax = hierarchy.node(store, hierarchy.find_agency(store, extra["meta"]["agency"])["id"])
    assert tax["parent"] is None and tax["via"] == "vertical"
    # what the facts table says follows (rankings by level read it)
    assert {r["level"] for r in store.list_reports(limit=500)["items"]} == {"city", "county", "township"}
    assert hierarchy.infer(store)["changed"] == 0  # inferring again changes nothing


def test_reconcile_finds_every_planted_gap_and_names_missing_reports(store):
    h = _stored(store)
    governments = [a for a in h.agencies if a.kind == "government" and a.level != "township"]
    assert len(governments) == 4
    missing_year = YEARS[1]
    for g in governments:
        for year in YEARS:
            res = reconcile(store, g.name, year)
            assert res["scope"]["kind"] == g.scope, (g.name, res["scope"])
            assert res["report"] is not None
            got = {x["ref"]: x["gap"] for x in res["gaps"]}
            want = dict(h.gaps.get((g.name, year), {}))
            if year == missing_year and g.level == "city":
                # the city's figures count the departments that published nothing: the gap is theirs
                assert sorted(m["name"] for m in res["missing"]) == h.missing[year]
                for ref in summed_refs():
                    lost = sum(_value(h.truth[(m, year)], ref) or 0 for m in h.missing[year])
                    if lost:
                        want[ref] = want.get(ref, 0) + lost
                assert any(f["kind"] == "missing" for f in res["findings"])
            else:
                assert res["missing"] == []
            assert got == pytest.approx(want), (g.name, year)
            # no gap where the figures agree: every other cell agrees
            assert res["summary"]["agree"] + res["summary"]["gap"] == res["summary"]["cells"]
            for gap in res["gaps"]:
                assert gap["row"] and gap["column"]  # shown with the form's labels
                assert gap["government"] - gap["sum"] == pytest.approx(gap["gap"])


def test_scope_follows_the_report_words():
    rec = {"preamble": "本报告所列数据为市政府本级数据，不含各县（市、区）。", "sections": []}
    assert scope_of(rec).kind == "self"
    rec = {"preamble": "", "sections": [{"number": "一", "title": "总体情况",
                                         "text": "2023年，全市共收到政府信息公开申请120件。全市各级行政机关办结118件。"}]}
    s = scope_of(rec)
    assert s.kind == "area" and "全市" in s.evidence
    assert scope_of({"sections": [{"number": "一", "title": "", "text": "我局共收到申请3件。"}]}).kind is None


def test_self_scope_leaves_lower_governments_out(store):
    h = _stored(store, seed=9)
    district = next(a for a in h.agencies if a.scope == "self")
    res = reconcile(store, district.name, YEARS[0])
    names = {c["name"] for c in res["contributors"]}
    assert names == {a.name for a in h.children(district.name) if a.kind == "department"}
    assert "本级" in res["comparison"]["zh"]
    # the city adds that district's streets itself
    city = reconcile(store, h.agencies[0].name, YEARS[0])
    streets = {a.name for a in h.children(district.name) if a.kind == "government"}
    assert streets <= {c["name"] for c in city["contributors"] if c["through"] == district.name}


def test_overrides_and_csv_import_survive_inference(store, tmp_path):
    h = _stored(store, seed=6, departments=3, districts=1)
    hierarchy.infer(store)
    office = next(a for a in h.agencies if a.name.endswith("人民政府办公室") and a.level == "city")
    gov = h.agencies[0]
    hierarchy.set_override(store, office.name, kind="government", parent=None, user="王", reason="发布本级政府年报")
    n = hierarchy.node(store, hierarchy.find_agency(store, office.name)["id"])
    assert n["kind"] == "government" and n["parent"] is None and n["override"]["set_by"] == "王"
    assert hierarchy.infer(store)["changed"] == 0
    n = hierarchy.node(store, n["id"])
    assert n["kind"] == "government" and n["via"] == "override"
    with pytest.raises(hierarchy.HierarchyError):
        hierarchy.set_override(store, gov.name, parent=gov.name, user="王")
    back = hierarchy.clear_override(store, office.name)
    assert back["kind"] == "department" and back["parent"]["name"] == gov.name

    csv = tmp_path / "expected.csv"
    dept = f"{gov.name.replace('人民政府', '')}审计局"
    csv.write_text("agency,region,parent,kind,level,reason\n"
                   f"{dept},{gov.region},{gov.name},department,,应发布年报\n"
                   f"没有这个局,,没有这个政府,,,\n"
                   f"{office.name},,,department,township,\n"
                   f"{office.name},,,bogus,,\n", encoding="utf-8")
    res = hierarchy.import_csv(store, csv, user="李")
    assert res["added"] == 2 and res["applied"] == 2
    assert sorted(e["line"] for e in res["errors"]) == [3, 5]
    assert all(str(csv) in res["file"] for _ in [0])
    assert hierarchy.node(store, hierarchy.find_agency(store, office.name)["id"])["level"] == "township"
    rec = reconcile(store, gov.name, YEARS[0])
    assert dept in {m["name"] for m in rec["missing"]}


def _late_and_silent(rng, store, *, late_days: int, silent: bool, agency: str, year=2023):
    rec = kit.record(rng, year, agency=agency, region="江苏省镇江市")
    if late_days:
        import datetime as dt
        rec["meta"]["published"] = (dt.date(year + 1, 1, 31) + dt.timedelta(days=late_days)).isoformat()
    if silent:
        rec["sections"] = [s if s["number"] != "六" else {**s, "text": "无其他需要报告的事项。"}
                           for s in rec["sections"]]
    return store.store_record(rec)["report_id"]


def test_score_reproducible_from_findings_and_weights(store):
    h = _stored(store, seed=7, departments=3, districts=1)
    rng = random.Random(3)
    _late_and_silent(rng, store, late_days=40, silent=True, agency="镇江市审计局")
    w = scoring.load_weights()
    rows = scoring.scores(store, weights=w)
    assert len(rows) == len(h.records) + 1
    worst = min(rows, key=lambda r: r["score"])
    for r in rows:
        # recomputed from the report's findings (as the store API gives them) and the weights file alone
        findings = scoring.findings_of(store, r["report_id"])
        assert {f["id"] for f in findings} == {f["id"] for f in store.get_report(r["report_id"])["findings"]}
        ref = scoring.score_findings(findings, scoring.load_weights(scoring.DEFAULT_WEIGHTS))
        assert r["score"] == pytest.approx(ref["score"]), r
        for d in ref["dimensions"]:
            assert r[f"lost_{d['key']}"] == pytest.approx(d["lost"])
            for it in d["items"]:
                assert it["findings"] and all(f["rule"] for f in it["findings"])
    ex = scoring.explain(store, worst["report_id"], w)
    lost = {d["key"]: d for d in ex["dimensions"]}
    assert lost["timeliness"]["lost"] == 10  # 40 days late: the band from 31 days
    late = lost["timeliness"]["items"][0]["findings"][0]
    assert late["rule"] == "time.late" and late["measure"] == 40 and late["cells"] == ["meta.published"]
    assert lost["fees"]["lost"] == 10 and lost["fees"]["items"][0]["findings"][0]["cells"] == ["sections.六"]


def test_dismissing_a_finding_gives_its_points_back(store):
    rng = random.Random(4)
    rid = _late_and_silent(rng, store, late_days=5, silent=True, agency="镇江市审计局")
    before = scoring.explain(store, rid)
    fee = next(f for f in store.get_report(rid)["findings"] if f["rule"] == "fees.silent")
    store.review_finding(fee["id"], "dismissed", "王", "第六部分另有附件说明")
    after = scoring.explain(store, rid)
    assert after["score"] == before["score"] + 10
    assert scoring.score_map(store, [rid])[rid] == after["score"]


def test_changing_a_weight_changes_the_ranking(store, tmp_path):
    rng = random.Random(5)
    late = _late_and_silent(rng, store, late_days=10, silent=False, agency="镇江市审计局")
    silent = _late_and_silent(rng, store, late_days=0, silent=True, agency="镇江市统计局")

    def order(w):
        res = rankings.rank(store, group="agency", weights=w)
        return [g["label"] for g in res["groups"]], {g["label"]: g["score"]["mean"] for g in res["groups"]}

    default = scoring.load_weights()
    names, sc = order(default)
    assert names == ["镇江市审计局", "镇江市统计局"]  # late by 10 days: −5; no fee statement: −10
    doc = yaml.safe_load(scoring.DEFAULT_WEIGHTS.read_text(encoding="utf-8"))
    tl = next(d for d in doc["dimensions"] if d["key"] == "timeliness")
    tl["max"] = 30
    tl["deductions"][0]["bands"] = [{"at_least": 0, "points": 25}]
    custom = tmp_path / "weights.yaml"
    custom.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    w = scoring.load_weights(custom)
    names, sc2 = order(w)
    assert names == ["镇江市统计局", "镇江市审计局"]
    assert sc2["镇江市审计局"] == w.total - 25 and sc2["镇江市统计局"] == w.total - 10
    assert w.sha256 != default.sha256


def test_a_bad_weights_file_is_named_with_the_reason(tmp_path):
    bad = tmp_path / "w.yaml"
    bad.write_text("dimensions:\n  - key: x\n    max: 10\n    deductions:\n      - {rule: no.such_rule, points: 1}\n",
                   encoding="utf-8")
    with pytest.raises(scoring.WeightsError, match=r"w\.yaml.*no\.such_rule"):
        scoring.load_weights(bad)
    bad.write_text("dimensions: [", encoding="utf-8")
    with pytest.raises(scoring.WeightsError, match="YAML"):
        scoring.load_weights(bad)
    with pytest.raises(scoring.WeightsError, match="cannot read"):
        scoring.load_weights(tmp_path / "missing.yaml")


def test_rankings_and_region_view(store, tmp_path):
    h = _stored(store, seed=8)
    w = scoring.load_weights()
    rows = scoring.scores(store, filters={"year": 2024}, weights=w)
    res = rankings.rank(store, group="county", filters={"year": 2024}, weights=w, metrics=["applications"])
    assert sum(g["reports"] for g in res["groups"]) == len(rows)
    by_county: dict = {}
    for r in rows:
        by_county.setdefault(r["county_id"], []).append(r["score"])
    for g in res["groups"]:
        sc = by_county[g["key"]]
        assert g["score"]["mean"] == pytest.approx(sum(sc) / len(sc), abs=0.01)
        assert (g["score"]["min"], g["score"]["max"]) == (min(sc), max(sc))
        assert g["score"]["q1"] <= g["score"]["median"] <= g["score"]["q3"]
        assert all(x["points"] > 0 and x["title"] for x in g["worst_findings"])
    means = [g["score"]["mean"] for g in res["groups"]]
    assert means == sorted(means, reverse=True)
    # by a metric: the same order as the statistics ranking
    res = rankings.rank(store, group="agency", by="applications", filters={"year": 2024}, weights=w)
    st = store.stats(group_by=["agency"], filters={"year": 2024}, metrics=["applications"], rank="applications")
    assert [g["metrics"]["applications"] for g in res["groups"]] == [g["values"]["applications"] for g in st["groups"]]
    assert {g["key"] for g in res["groups"]} == {g["key"]["agency"] for g in st["groups"]}
    # Excel with every score explained
    from openpyxl import load_workbook
    out = rankings.export_xlsx(store, tmp_path / "r.xlsx", group="county", filters={"year": 2024}, weights=w)
    wb = load_workbook(tmp_path / "r.xlsx", read_only=True)
    assert wb.sheetnames == ["排名 ranking", "评分 scores", "扣分依据 deductions", "权重 weights"]
    scored = list(wb["评分 scores"].iter_rows(min_row=2, values_only=True))
    assert len(scored) == out["reports"] == len(rows)
    lost = [r for r in scored if r[5] < w.total]
    assert lost and all("cross." in r[-1] or "time." in r[-1] or "fees." in r[-1] or "arith." in r[-1]
                        or "form." in r[-1] or "prose." in r[-1] for r in lost)
    deds = list(wb["扣分依据 deductions"].iter_rows(min_row=2, values_only=True))
    assert len(deds) == out["deductions"] > 0 and all(d[4] and d[9] for d in deds)
    assert len(h.records) > len(rows)
