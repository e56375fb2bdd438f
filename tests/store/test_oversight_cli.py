"""The oversight commands end to end (in process): hierarchy, reconcile, score, rank."""
from __future__ import annotations

import json

from openpyxl import load_workbook
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.generate.hierarchy import city_hierarchy
from nianbao.store import Store

runner = CliRunner()


def _run(*args, lang="zh"):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250", "NIANBAO_LANG": lang})


def _city(tmp_path):
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    h = city_hierarchy(21, (2022, 2023), departments=3, districts=2, district_departments=2, streets=1)
    with Store.open(db) as store:
        for rec in h.records:
            store.store_record(rec)
    return db, h


def test_hierarchy_commands(tmp_path):
    db, h = _city(tmp_path)
    res = _run("hierarchy", "infer", "--db", db)
    assert res.exit_code == 0 and f"agencies: {len(h.agencies)}" in res.output
    gov = h.agencies[0]
    res = _run("hierarchy", "show", gov.name, "--db", db)
    assert res.exit_code == 0
    for child in h.children(gov.name):
        assert child.name in res.output
    tree = json.loads(_run("hierarchy", "show", gov.name, "--json", "--db", db).stdout)
    assert {c["name"] for c in tree["children"]} == {c.name for c in h.children(gov.name)}
    dept = next(c for c in h.children(gov.name) if c.kind == "department" and not c.name.endswith("办公室"))
    res = _run("hierarchy", "set", dept.name, "--no-parent", "--user", "王", "--reason", "垂直管理", "--db", db)
    assert res.exit_code == 0 and "—" in res.output
    res = _run("hierarchy", "set", dept.name, "--kind", "bogus", "--user", "王", "--db", db)
    assert res.exit_code == 3 and "government" in res.output
    res = _run("hierarchy", "set", "没有这个局", "--kind", "department", "--user", "王", "--db", db)
    assert res.exit_code == 3 and "no such agency" in res.output
    out = tmp_path / "h.csv"
    assert _run("hierarchy", "export", out, "--db", db).exit_code == 0
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "agency,region,parent,kind,level,reason" and dept.name in text
    bad = tmp_path / "bad.csv"
    bad.write_text("agency,kind\n" + f"{dept.name},department\n" + ",department\n", encoding="utf-8")
    res = _run("hierarchy", "import", bad, "--user", "李", "--db", db)
    assert res.exit_code == 1 and f"{bad}:3" in res.output
    assert _run("hierarchy", "clear", dept.name, "--db", db).exit_code == 0
    tree = json.loads(_run("hierarchy", "show", gov.name, "--json", "--db", db).stdout)
    assert dept.name in {c["name"] for c in tree["children"]}


def test_reconcile_command(tmp_path):
    db, h = _city(tmp_path)
    gov = h.agencies[0].name
    res = _run("reconcile", "--agency", gov, "--year", 2022, "--db", db)
    assert res.exit_code == 0, res.output  # no gap planted in 2022
    assert "全域汇总" in res.output
    res = _run("reconcile", "--agency", gov, "--year", 2023, "--db", db)
    assert res.exit_code == 1  # the planted gaps (and the missing departments)
    for m in h.missing[2023]:
        assert m in res.output
    assert "表三" in res.output and "t3." not in res.output  # labels, not cell codes
    data = json.loads(_run("reconcile", "--agency", gov, "--year", 2023, "--json", "--db", db).stdout)
    assert sorted(m["name"] for m in data["missing"]) == h.missing[2023]
    en = _run("reconcile", "--agency", gov, "--year", 2023, "--db", db, lang="en")
    assert "whole area" in en.output and "table 3" in en.output
    dept = next(a.name for a in h.children(gov) if a.kind == "department")
    res = _run("reconcile", "--agency", dept, "--year", 2023, "--db", db)
    assert res.exit_code == 3 and "not a government" in res.output


def test_score_and_rank_commands(tmp_path):
    db, h = _city(tmp_path)
    res = _run("score", "--year", 2023, "--json", "--db", db)
    assert res.exit_code == 0
    rows = json.loads(res.stdout)["reports"]
    assert rows and [r["score"] for r in rows] == sorted(r["score"] for r in rows)
    worst = rows[0]
    res = _run("score", worst["report_id"], "--db", db)
    assert res.exit_code == 0 and f"{worst['score']:g} / 100" in res.output
    ex = json.loads(_run("score", worst["report_id"], "--json", "--db", db).stdout)
    assert ex["score"] == worst["score"]
    bad = tmp_path / "w.yaml"
    bad.write_text("dimensions: 3\n", encoding="utf-8")
    res = _run("score", "--weights", bad, "--db", db)
    assert res.exit_code == 2 and "w.yaml" in res.output
    res = _run("rank", "--group", "county", "--year", 2023, "--metric", "公开率", "--db", db)
    assert res.exit_code == 0 and "公开率" in res.output
    out = tmp_path / "rank.xlsx"
    res = _run("rank", "--group", "level", "--by", "公开率", "--xlsx", out, "--db", db)
    assert res.exit_code == 0, res.output
    wb = load_workbook(out, read_only=True)
    assert "评分 scores" in wb.sheetnames
    res = _run("rank", "--by", "no-such-metric", "--db", db)
    assert res.exit_code == 2 and "no-such-metric" in res.output
