"""stats (derived metrics from cells), compare (cell diff, 重复率), export (4 formats × wide/long)."""
from __future__ import annotations

import csv
import json
import random

import pytest

import kit
from nianbao.analyse.compare import repeat_rate
from nianbao.analyse.metrics import METRICS

PLACES = [("江州市人民政府", "江州省江州市"), ("江州市教育局", "江州省江州市"), ("临川区人民政府", "江州省江州市临川区"),
          ("海城市人民政府", "临海省海城市"), ("海城市自然资源局", "临海省海城市")]


@pytest.fixture
def corpus(store):
    rng = random.Random(42)
    recs = []
    for agency, region in PLACES:
        for year in (2022, 2023):
            rec = kit.record(rng, year, agency=agency, region=region, scale=rng.choice(["medium", "large"]))
            store.store_record(rec)
            recs.append(rec)
    return recs


def _sum(recs, ref_row, col=6, table="t3"):
    if table == "t3":
        return sum(r["t3"]["rows"][ref_row][col] for r in recs)
    return sum(r["t4"][ref_row][col] for r in recs)


def test_stats_by_province_recomputes_rates_from_cells(store, corpus):
    res = store.stats(group_by=["province"])
    groups = {g["label"]["province"]: g for g in res["groups"]}
    assert set(groups) == {"江州省", "临海省"}
    for prov, g in groups.items():
        recs = [r for r in corpus if r["meta"]["region"].startswith(prov)]
        assert g["reports"] == len(recs)
        disclosed = _sum(recs, "granted") + _sum(recs, "partial")
        assert g["values"]["disclosure_rate"] == pytest.approx(disclosed / _sum(recs, "total"))
        assert g["values"]["applications"] == _sum(recs, "new")
        deny = sum(_sum(recs, k) for k in recs[0]["t3"]["rows"] if k.startswith("deny_"))
        assert g["values"]["denial_rate"] == pytest.approx(deny / _sum(recs, "total"))
        decided = sum(_sum(recs, "reconsideration", c, "t4") for c in (0, 1, 2))
        expect = _sum(recs, "reconsideration", 1, "t4") / decided if decided else None
        assert g["values"]["reconsideration_correction_rate"] == (pytest.approx(expect) if expect else None)
        carry = _sum(recs, "carry_next") / (_sum(recs, "new") + _sum(recs, "carried"))
        assert g["values"]["carry_rate"] == pytest.approx(carry)
    assert {m["key"] for m in res["metrics"]} == {m.key for m in METRICS}


def test_stats_year_on_year_and_ranking(store, corpus):
    res = store.stats(group_by=["province", "year"], metrics=["申请量", "applications_yoy"])
    g = {(x["label"]["province"], x["key"]["year"]): x["values"] for x in res["groups"]}
    for prov in ("江州省", "临海省"):
        a = _sum([r for r in corpus if r["meta"]["region"].startswith(prov) and r["meta"]["year"] == 2022], "new")
        b = _sum([r for r in corpus if r["meta"]["region"].startswith(prov) and r["meta"]["year"] == 2023], "new")
        assert g[(prov, 2022)]["applications_yoy"] is None
        assert g[(prov, 2023)]["applications_yoy"] == (pytest.approx((b - a) / a) if a else None)
    # a single year filter still gets its year-on-year from the year before
    one = store.stats(group_by=["province"], filters={"year": 2023}, metrics=["applications_yoy"])
    assert {x["label"]["province"]: x["values"]["applications_yoy"] for x in one["groups"]} == \
        {p: g[(p, 2023)]["applications_yoy"] for p in ("江州省", "临海省")}
    ranked = store.stats(group_by=["agency"], rank="公开率", top=3)
    vals = [x["values"]["disclosure_rate"] for x in ranked["groups"]]
    assert len(vals) == 3 and vals == sorted(vals, reverse=True) and [x["rank"] for x in ranked["groups"]] == [1, 2, 3]
    levels = store.stats(group_by=["level"], filters={"region": "江州省"})
    assert {x["key"]["level"]: x["reports"] for x in levels["groups"]} == {"city": 4, "county": 2}
    with pytest.raises(ValueError):
        store.stats(group_by=["colour"])


def test_compare_cells_and_sections(store, corpus):
    a = store.find_report("江州市人民政府", 2022)
    b = store.find_report("江州市人民政府", 2023)
    res = store.compare(a, b)
    ra, rb = corpus[0], corpus[1]
    changed = {c["ref"]: c for c in res["cells"]}
    for key, vals in ra["t3"]["rows"].items():
        for i, v in enumerate(vals):
            other = rb["t3"]["rows"][key][i]
            ref = f"t3.{key}[{i}]"
            assert (ref in changed) == (v != other)
            if ref in changed:
                assert changed[ref]["delta"] == other - v
    # the generated sections differ only in the year: copied prose
    assert all(s["repeat_rate"] > 0.7 for s in res["sections"])
    assert res["repeat_rate"] > 0.8


def test_repeat_rate():
    old = "本机关坚持以公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开。"
    assert repeat_rate(old, old) == 1.0
    assert repeat_rate(old, "今年新建了依申请公开办理系统，培训工作人员三百人次，网站改版上线。") < 0.2
    assert repeat_rate(old, "") is None


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "jsonl"])
def test_export_wide_and_long(store, corpus, tmp_path, fmt):
    wide = tmp_path / f"wide.{fmt}"
    long = tmp_path / f"long.{fmt}"
    assert store.export(str(wide), fmt=fmt, form="wide") == len(corpus)
    n_cells = store.counts()["cells"]
    assert store.export(str(long), fmt=fmt, form="long") == n_cells
    rows = _read(wide, fmt)
    assert len(rows) == len(corpus)
    by_key = {(r["agency"], int(r["year"])): r for r in rows}
    for rec in corpus:
        row = by_key[(rec["meta"]["agency"], rec["meta"]["year"])]
        assert float(row["t3.granted[6]"]) == rec["t3"]["rows"]["granted"][6]
        assert float(row["t4.litigation_direct[4]"]) == rec["t4"]["litigation_direct"][4]
    lrows = _read(long, fmt)
    assert len(lrows) == n_cells
    one = [r for r in lrows if r["ref"] == "t3.total[6]" and r["agency"] == "海城市教育局"] or \
        [r for r in lrows if r["ref"] == "t3.total[6]" and r["agency"] == "海城市自然资源局"]
    assert {float(r["value"]) for r in one} == {rec["t3"]["rows"]["total"][6] for rec in corpus
                                                if rec["meta"]["agency"] == one[0]["agency"]}
    filtered = tmp_path / f"f.{fmt}"
    assert store.export(str(filtered), fmt=fmt, form="wide", filters={"year": 2023, "region": "临海省"}) == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl"])
def test_export_in_words_with_whole_numbers(store, corpus, tmp_path, fmt):
    from nianbao.store.export import amount_cells, headers, wide_cells
    path = tmp_path / f"zh.{fmt}"
    assert store.export(str(path), fmt=fmt, form="wide", labels="zh") == len(corpus)
    rows = _read(path, fmt)
    head = list(rows[0])
    refs = ["report_id", "agency", "region", "level", "kind", "year", "template", "version", "findings",
            "open_findings"] + wide_cells()
    assert head == headers(refs, "zh") and len(set(head)) == len(head)
    assert head[:3] == ["报告编号", "机关", "地区"]
    name = {ref: h for ref, h in zip(refs, head)}
    assert name["t3.granted[6]"] == "表三 (一)予以公开·总计"
    assert name["t3.deny_secret[0]"] == "表三 (三)不予公开1.属于国家秘密·自然人"
    assert name["t3.new[5]"].endswith("·其他法人或其他组织")
    assert name["t2.fees_wan"] == "表二 行政事业性收费·本年收费金额(单位:万元)"
    by_key = {(r["机关"], int(r["年度"])): r for r in rows}
    money = {name[ref] for ref in amount_cells()}
    for rec in corpus:
        row = by_key[(rec["meta"]["agency"], rec["meta"]["year"])]
        assert int(row[name["t3.granted[6]"]]) == rec["t3"]["rows"]["granted"][6]
        for h, v in row.items():
            if h.startswith(("表三 ", "表四 ")) and h not in money and v not in (None, ""):
                # counts as integers: "12", never "12.0"
                assert (isinstance(v, int) if fmt != "csv" else str(v).lstrip("-").isdigit()), (h, v)
    en = tmp_path / f"en.{fmt}"
    store.export(str(en), fmt=fmt, form="long", labels="en")
    lrows = _read(en, fmt)
    assert list(lrows[0])[:3] == ["report id", "agency", "region"] and "cell" in lrows[0]
    assert any(r["cell"] == "table 3 (3) not disclosed state secret × natural persons" for r in lrows)
    with pytest.raises(ValueError, match="列名"):
        store.export(str(tmp_path / "x.csv"), fmt="csv", labels="fr")


def _read(path, fmt):
    if fmt == "csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if fmt == "xlsx":
        from openpyxl import load_workbook
        ws = load_workbook(path, read_only=True).active
        it = ws.iter_rows(values_only=True)
        head = next(it)
        return [dict(zip(head, r)) for r in it]
    import pyarrow.parquet as pq
    return pq.read_table(path).to_pylist()


def _rollup_rows(store):
    from sqlalchemy import select

    from nianbao.store.schema import FactsRollup as R
    with store.session() as s:
        rows = [dict(r) for r in s.execute(select(R.__table__)).mappings()]
    return sorted(({k: v for k, v in r.items() if k != "id"} for r in rows),
                  key=lambda r: tuple(str(r[k]) for k in ("grain", "province_id", "city_id", "county_id", "level",
                                                          "kind", "year", "template")))


def test_rollup_kept_in_step_with_corrections(store, corpus):
    rid = store.find_report("海城市人民政府", 2023)
    store.correct_values(rid, {"t3.granted[6]": 10 ** 6}, "钱", "测试")
    incremental = _rollup_rows(store)
    assert incremental and {r["grain"] for r in incremental} == {"province", "city", "county"}
    store.rebuild_rollup()
    assert _rollup_rows(store) == incremental
    total = sum(r["n"] for r in incremental if r["grain"] == "province")
    assert total == len(corpus)
    # group by city answers from the rollup and agrees with the reports
    g = {x["label"]["city"]: x for x in store.stats(["city"], metrics=["handled"])["groups"]}
    expect = sum(r["t3"]["rows"]["total"][6] for r in corpus if r["meta"]["region"].startswith("临海省海城市"))
    assert g["临海省海城市"]["values"]["handled"] == expect
