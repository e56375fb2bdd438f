"""The dashboard's figures, read from the aggregates, equal a plain computation over the rows — on SQLite
and on a real PostgreSQL 15 — after every kind of write: batches, a re-upload, review decisions,
corrections of values and of who or which year a report is about, a revert, a re-extraction, the
agency hierarchy inferred again.

The reference below reads ``report_facts`` only for each report's place and metric inputs; open
findings and copied prose come from the ``findings`` of each report's current version, and last
year's report from ``reports``, so that the per-report counts the dashboard sums are checked too.
"""
from __future__ import annotations

import copy
import random

import pytest
from sqlalchemy import select

import kit
from nianbao.analyse.metrics import evaluate, metric, refs_needed
from nianbao.store import Doc, rollup
from nianbao.store.facts import fact_column
from nianbao.store.regions import normalise_level
from nianbao.store.schema import (Agency, FactsAgency, FactsRollup, Finding, Region, Report, ReportFacts)
from nianbao.web.backend import Backend
from nianbao.web.dashboard import build
from nianbao.web.i18n import translator

CITY, COUNTY = "江州省江州市", "江州省江州市临川区"
TOWNSHIP = COUNTY + "东湖街道"
FILTERS = [{}, {"year": 2022}, {"year": 2019}, {"level": "county"}, {"level": "city", "year": 2023},
           {"region": "江州省"}, {"region": CITY}, {"region": "临川区"}, {"region": TOWNSHIP},
           {"region": "河西省"}, {"region": "江州省", "year": 2022}, {"region": "无此地方"}, {"year": 2030}]


# ---------------------------------------------------------------------- the reference

def _facts_rows(store) -> list[dict]:
    with store.session() as s:
        return [dict(r) for r in s.execute(select(ReportFacts.__table__)).mappings()]


def _truth(store) -> dict:
    """Per report: open findings and live copied prose of its current version, whether last year's exists."""
    with store.session() as s:
        reports = s.execute(select(Report.id, Report.agency_id, Report.year, Report.current_version_id)).all()
        findings = s.execute(select(Finding.version_id, Finding.rule, Finding.status)).all()
    keys = {(a, y) for _, a, y, _ in reports if a is not None and y is not None}
    by_version: dict[int, list] = {}
    for vid, rule, status in findings:
        by_version.setdefault(vid, []).append((rule, status))
    out = {}
    for rid, a, y, vid in reports:
        fs = by_version.get(vid, [])
        out[rid] = {"n_findings": len(fs), "n_open": sum(st == "open" for _, st in fs),
                    "n_copied": sum(r == "cross.copied_prose" and st != "dismissed" for r, st in fs),
                    "has_prev": a is not None and y is not None and (a, y - 1) in keys}
    return out


def _region_of(store, name: str) -> int | None:
    with store.session() as s:
        return s.scalar(select(Region.id).where((Region.full_name == name) | (Region.name == name))
                        .order_by(Region.id).limit(1))


def _selected(store, rows: list[dict], filters: dict, *, year: bool = True) -> list[dict]:
    out = rows
    if filters.get("region"):
        rid = _region_of(store, filters["region"])  # the old condition: any of the four region columns
        out = [r for r in out if rid is not None and rid in (r["region_id"], r["province_id"], r["city_id"],
                                                              r["county_id"])]
    if filters.get("level"):
        out = [r for r in out if r["level"] == normalise_level(filters["level"])]
    if year and filters.get("year") is not None:
        out = [r for r in out if r["year"] == int(filters["year"])]
    return out


def _sums(rows: list[dict], metrics) -> dict:
    sums = {}
    for ref in refs_needed([metric(m) for m in metrics]):
        vals = [r[fact_column(ref)] for r in rows if r["has_t3"] and r[fact_column(ref)] is not None]
        sums[ref] = sum(vals) if vals else None
    return sums


def _value(rows, name, prev_rows=None):
    m = metric(name)
    names = [m.of] if m.kind == "yoy" else [name]
    return evaluate(m, _sums(rows, names), _sums(prev_rows, names) if prev_rows else None)


def _r4(v):
    return None if v is None else round(v, 4)


def reference(store, filters: dict) -> dict:
    """The dashboard's figures computed from the rows, one by one."""
    truth = _truth(store)
    every = _facts_rows(store)
    for r in every:
        r.update(truth[r["report_id"]])
    rows = _selected(store, every, filters)
    other_years = _selected(store, every, filters, year=False)

    years = sorted({r["year"] for r in rows if r["year"] is not None})
    by_year = []
    for y in years:
        g = [r for r in rows if r["year"] == y]
        prev = [r for r in other_years if r["year"] == y - 1]
        by_year.append({"year": y, "reports": len(g), "applications": _r4(_value(g, "applications")),
                        "disclosed": _r4(_value(g, "disclosed")),
                        "yoy": _value(g, "applications_yoy", prev or None)})

    names = {}
    with store.session() as s:
        names.update(s.execute(select(Region.id, Region.full_name)).all())
        agencies = dict(s.execute(select(Agency.id, Agency.name)).all())
    regions = []
    for dim in (("city", "county", "region") if filters.get("region") else ("province", "city", "county", "region")):
        col = f"{dim}_id"
        ids = {r[col] for r in rows if r[col] is not None}
        if ids:
            for i in ids:
                g = [r for r in rows if r[col] == i]
                regions.append((names[i], _r4(_value(g, "applications")), len(g)))
            break
    regions.sort(key=lambda x: (x[1] is None, -(x[1] or 0)))

    order = ("province", "city", "county", "township")
    levels = sorted({r["level"] for r in rows if r["level"] is not None},
                    key=lambda lv: order.index(lv) if lv in order else 9)
    by_level = [(lv, len([r for r in rows if r["level"] == lv]),
                 _r4(_value([r for r in rows if r["level"] == lv], "applications"))) for lv in levels]

    worst = sorted((r for r in rows if r["n_open"] > 0), key=lambda r: (-r["n_open"], r["report_id"]))[:10]
    ranking = [(f"{agencies.get(r['agency_id']) or '#' + str(r['report_id'])} {r['year'] or ''}".strip(),
                r["n_open"], f"/reports/{r['report_id']}") for r in worst]

    latest = next((g for g in reversed(by_year) if g["yoy"] is not None), None)
    copied = sum(1 for r in rows if r["n_copied"] > 0)
    comparable = sum(1 for r in rows if r["has_prev"])
    return {
        "totals": {"reports": sum(g["reports"] for g in by_year) if by_year else len(rows),
                   "agencies": len({r["agency_id"] for r in rows if r["agency_id"] is not None}),
                   "applications": int(sum(g["applications"] or 0 for g in by_year)),
                   "open": sum(1 for r in rows if r["n_open"] > 0)},
        "rates": {"disclosure_rate": _value(rows, "disclosure_rate") if rows else None,
                  "correction_rate": _value(rows, "reconsideration_correction_rate") if rows else None,
                  "yoy": latest["yoy"] if latest else None, "yoy_year": latest["year"] if latest else None,
                  "copy_rate": copied / comparable if comparable else None, "copied": copied,
                  "comparable": comparable},
        "by_year": by_year, "regions": regions, "by_level": by_level, "ranking": ranking,
    }


def assert_dashboard_exact(store) -> None:
    backend = Backend(store)
    t = translator("zh")
    for filters in FILTERS:
        got, want = build(backend, filters), reference(store, filters)
        where = f"filters {filters}"
        assert got["totals"] == want["totals"], where
        assert got["rates"] == want["rates"], where
        by_year = got["by_year"]
        assert by_year["categories"] == [str(g["year"]) for g in want["by_year"]], where
        assert [s["data"] for s in by_year["series"]] == [[g["applications"] for g in want["by_year"]],
                                                          [g["disclosed"] for g in want["by_year"]],
                                                          [g["reports"] for g in want["by_year"]]], where
        region = got["by_region"]
        shown = list(zip(region["categories"], *[s["data"] for s in region["series"]]))
        assert sorted(shown, key=repr) == sorted(want["regions"][:20], key=repr), where  # (ties: any order)
        assert [x[1] for x in shown] == [x[1] for x in want["regions"][:20]], where      # by applications
        level = got["by_level"]
        assert level["categories"] == [t("level." + lv) for lv, _, _ in want["by_level"]], where
        assert [s["data"] for s in level["series"]] == [[n for _, n, _ in want["by_level"]],
                                                        [a for _, _, a in want["by_level"]]], where
        ranking = got["ranking"]
        assert list(zip(ranking["categories"], ranking["series"][0]["data"], ranking["hrefs"])) == want["ranking"], \
            where


def assert_aggregates_exact(store) -> None:
    """Per-report counts as the findings and reports say; rollup and facts_agencies as a rebuild gives them."""
    truth = _truth(store)
    facts = {r["report_id"]: r for r in _facts_rows(store)}
    assert set(facts) == set(truth)
    for rid, want in truth.items():
        assert {k: facts[rid][k] for k in want} == want, f"report {rid}"

    def snapshot(s):
        keys = [c for c in FactsRollup.__table__.columns.keys() if c != "id"]
        roll = sorted(tuple(r) for r in s.execute(select(*[FactsRollup.__table__.c[c] for c in keys])))
        ag = sorted(tuple(r) for r in s.execute(select(*[c for c in FactsAgency.__table__.c if c.name != "id"])))
        return roll, ag

    s = store.session(write=True)
    try:
        s.begin()
        kept = snapshot(s)
        rollup.rebuild(s)
        rebuilt = snapshot(s)
        s.rollback()
    finally:
        s.close()
    assert kept[0] == rebuilt[0]
    assert kept[1] == rebuilt[1] and kept[1], "facts_agencies"


def check(store) -> None:
    assert_aggregates_exact(store)
    assert_dashboard_exact(store)


# ---------------------------------------------------------------------- the store's story

def _years(rng, agency, region, years, *, copied=True, form_before=2021):
    """One agency's reports; ``copied``: the same prose every year (cross.copied_prose between years)."""
    out, prev = [], None
    for y in years:
        if prev is not None and prev["meta"]["year"] == y - 1 and not copied:
            rec = kit.next_year(rng, prev)
        else:
            rec = kit.record(rng, y, agency=agency, region=region, form="2021" if y >= form_before else "2019")
        out.append(rec)
        prev = rec
    return out


def _again(rec: dict, seed: int, **changes) -> dict:
    out = copy.deepcopy(rec)
    out["source"] = {**out["source"], "sha256": f"{random.Random(seed).getrandbits(256):064x}",
                     "path": f"again-{seed}.txt"}
    for ref, v in changes.items():
        table, key, i = ref.split(".")[0], ref.split(".")[1].split("[")[0], int(ref.split("[")[1][:-1])
        (out[table]["rows"] if table == "t3" else out[table])[key][i] = v
    return out


def _report(store, agency, year):
    rid = store.find_report(agency, year)
    assert rid is not None, (agency, year)
    return store.get_report(rid)


def _finding(rep, rule):
    return next(f for f in rep["findings"] if f["rule"] == rule)


def test_dashboard_figures_equal_the_rows_after_every_write(store):
    rng = random.Random(16)
    civil = _years(rng, "江州市民政局", CITY, [2021, 2022, 2023])
    schools = _years(rng, "临川区教育局", COUNTY, [2021, 2022, 2023], copied=False)
    street = _years(rng, "东湖街道办事处", TOWNSHIP, [2022, 2023])
    finance = _years(rng, "江州省财政厅", "江州省", [2019, 2020, 2022])
    west = _years(rng, "河西市人民政府", "河西省河西市", [2021, 2023])
    for rec in finance:
        rec["meta"]["level"] = "province"
    for rec in street:
        rec["meta"]["level"] = "county"  # (the hierarchy will say township)
    nowhere = kit.record(rng, 2022, agency="某某局")
    nowhere["meta"].pop("region", None)
    loose = kit.record(rng, 2022, agency="江州市统计局", region=CITY)
    loose["meta"].pop("agency")
    yearless = kit.record(rng, 2022, agency="江州市审计局", region=CITY)
    yearless["meta"].pop("year")

    # 1. batches through the writer: the later years first, then the years before them
    first = [civil[1], civil[2], schools[0], schools[2], street[0], finance[0], finance[2], west[0], nowhere,
             loose, yearless]
    assert all(r["status"] == "stored" for r in store.store_records([Doc(r) for r in first]))
    check(store)
    assert store.report_counts()["copied"] == 1  # 江州市民政局 2023 repeats 2022
    later = [civil[0], schools[1], street[1], finance[1], west[1]]
    assert all(r["status"] == "stored" for r in store.store_records([Doc(r) for r in later]))
    check(store)
    counts = store.report_counts()
    assert counts["comparable"] == 6 and counts["copied"] >= 3

    # 2. a re-upload of one report (the stored-already path), a value changed
    store.store_record(_again(finance[2], 1, **{"t3.new[0]": finance[2]["t3"]["rows"]["new"][0] + 7}))
    check(store)

    # 3. review decisions: copied prose dismissed, another confirmed, every open finding of a report closed
    rep = _report(store, "江州市民政局", 2022)
    store.review_finding(_finding(rep, "cross.copied_prose")["id"], "dismissed", "王", "模板化表述，属正常")
    rep = _report(store, "江州市民政局", 2023)
    store.review_finding(_finding(rep, "cross.copied_prose")["id"], "confirmed", "王", "照抄上年")
    rep = _report(store, "临川区教育局", 2023)
    for f in rep["findings"]:
        if f["status"] == "open":
            store.review_finding(f["id"], "dismissed", "王", "已核实")
    check(store)
    before = store.report_counts()
    store.review_finding(_finding(_report(store, "江州市民政局", 2022), "cross.copied_prose")["id"], "open", "王")
    assert store.report_counts()["copied"] == before["copied"] + 1
    check(store)

    # 4. corrections: a value; the year a report is about (its neighbours gain and lose last year's report)
    rid = store.find_report("临川区教育局", 2022)
    store.correct_values(rid, {"t3.new[0]": 999}, "李", "按原件更正")
    check(store)
    moved = store.find_report("江州市民政局", 2022)
    out = store.correct_values(moved, {"meta.year": 2020}, "李", "年度填错")
    assert store.find_report("江州市民政局", 2020) == moved
    check(store)
    # ... and the agency: 东湖街道 2022 becomes another agency's report, its 2023 loses last year's
    store.correct_values(store.find_report("东湖街道办事处", 2022), {"meta.agency": "东湖街道党工委"}, "李", "机关名称")
    check(store)

    # 5. the year correction reverted: the report is 2022 again
    year_fix = next(c for c in store.corrections(moved) if c["ref"] == "meta.year")
    assert out["number"] == year_fix["version"]
    store.revert_correction(year_fix["id"], "李", "改回")
    assert store.find_report("江州市民政局", 2022) == moved
    check(store)

    # 6. a re-extraction of a stored file (its corrections re-applied on top)
    rid = store.find_report("临川区教育局", 2021)
    again = copy.deepcopy(schools[0])
    again["t3"]["rows"]["new"][1] += 3
    store.store_reextraction(rid, again, user="李")
    check(store)

    # 7. the agency hierarchy inferred: 东湖街道 is a township, not a county (report_facts' level moves)
    from nianbao.analyse import hierarchy
    hierarchy.infer(store)
    with store.session() as s:
        assert "township" in set(s.scalars(select(ReportFacts.level)))
    check(store)


def test_bulk_loaded_facts_rebuild_to_the_same_figures(store):
    """After a bulk load straight into report_facts (as the benchmarks do), ``rebuild_rollup`` makes the
    aggregates the writer would have kept."""
    rng = random.Random(7)
    recs = _years(rng, "江州市民政局", CITY, [2021, 2022, 2023]) + \
        _years(rng, "临川区教育局", COUNTY, [2022, 2023], copied=False)
    store.store_records([Doc(r) for r in recs])
    with store.session() as s:
        kept = sorted(tuple(r[1:]) for r in s.execute(select(FactsRollup.__table__)))
    store.rebuild_rollup()
    with store.session() as s:
        assert sorted(tuple(r[1:]) for r in s.execute(select(FactsRollup.__table__))) == kept
    check(store)
    # rows loaded without their counts (what a bulk load gives): recounted from findings and reports
    from sqlalchemy import update
    with store.session(write=True) as s, s.begin():
        s.execute(update(ReportFacts).values(n_findings=0, n_open=0, n_copied=0, has_prev=False))
        rollup.rebuild(s)
    assert store.report_counts()["comparable"] == 0
    store.rebuild_rollup(recount=True)
    with store.session() as s:
        assert sorted(tuple(r[1:]) for r in s.execute(select(FactsRollup.__table__))) == kept
    check(store)


@pytest.mark.parametrize("region", ["临川区", TOWNSHIP, "无此地方"])
def test_report_counts_read_the_facts_where_the_rollup_cannot(store, region):
    """A township (not a rollup grain) and an unknown region are answered from report_facts, the same way."""
    rng = random.Random(3)
    store.store_records([Doc(r) for r in _years(rng, "东湖街道办事处", TOWNSHIP, [2021, 2022]) +
                         _years(rng, "临川区教育局", COUNTY, [2021, 2022])])
    for filters in ({"region": region}, {"region": region, "year": 2022}, {"region": region, "template": "2021"}):
        want = reference(store, {k: v for k, v in filters.items() if k != "template"})
        got = store.report_counts(filters)
        assert got["copied"] == want["rates"]["copied"] and got["comparable"] == want["rates"]["comparable"]
        assert got["agencies"] == want["totals"]["agencies"] and got["with_open"] == want["totals"]["open"]


def test_migration_down_and_up_keeps_the_figures(db_url):
    """store_0009_dash down (columns, table and indexes gone) and up again on a store with reports: the
    new counts are computed from the findings and reports, the rollup recomputed, the figures the same."""
    from alembic import command
    from sqlalchemy import inspect

    from nianbao.store import Store
    from nianbao.store.api import _script
    store = Store.open(db_url)
    rng = random.Random(9)
    store.store_records([Doc(r) for r in _years(rng, "江州市民政局", CITY, [2021, 2022, 2023]) +
                         _years(rng, "临川区教育局", COUNTY, [2022, 2023], copied=False)])
    rep = _report(store, "江州市民政局", 2023)
    store.review_finding(_finding(rep, "cross.copied_prose")["id"], "dismissed", "王", "模板化表述")
    want = {str(f): build(Backend(store), f) for f in FILTERS}
    cfg = _script()
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "store_0008_jobs")
    insp = inspect(store.engine)
    assert "facts_agencies" not in insp.get_table_names()
    assert not {"n_copied", "has_prev"} & {c["name"] for c in insp.get_columns("report_facts")}
    assert "ix_facts_open" not in {i["name"] for i in insp.get_indexes("report_facts")}
    store.close()
    with Store.open(db_url) as store:  # opening upgrades to the head
        check(store)
        assert {str(f): build(Backend(store), f) for f in FILTERS} == want
        assert store.report_counts()["copied"] == 1
