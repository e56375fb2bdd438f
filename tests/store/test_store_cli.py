"""The store commands end to end (in process), the Alembic history, and region parsing."""
from __future__ import annotations

import json
import random

from typer.testing import CliRunner

import kit
from nianbao.cli import app
from nianbao.store.regions import split_region

runner = CliRunner()


def _run(*args):
    res = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "250"})
    return res


def test_cli_ingest_list_show_correct_compare_stats_export(tmp_path):
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    rng = random.Random(5)
    y1 = kit.record(rng, 2022, agency="南屏市人民政府", region="临海省南屏市")
    y2 = kit.next_year(rng, y1, break_carry=True)
    folder = tmp_path / "in"
    folder.mkdir()
    for i, r in enumerate((y1, y2)):
        r.pop("source")
        kit.write_json(r, folder / f"r{i}.json")
    (folder / "notes.json").write_text("[1, 2]")
    res = _run("ingest", folder, "--db", db, "--workers", 1, "--no-progress")
    assert res.exit_code == 1  # one file failed: listed, the rest stored
    assert "stored: 2" in res.output and "notes.json" in res.output
    res = _run("list", "--db", db, "--json")
    items = json.loads(res.stdout)["items"]
    assert res.exit_code == 0 and len(items) == 2
    r2 = next(i["id"] for i in items if i["year"] == 2023)
    assert next(i for i in items if i["year"] == 2023)["errors"] >= 1    # the broken carry-over
    table = _run("list", "--db", db).output
    assert "错误 errors" in table and "v1" in table
    show = json.loads(_run("show", "--agency", "南屏市人民政府", "--year", 2023, "--db", db, "--json").stdout)
    assert show["id"] == r2 and any(f["scope"] == "cross_year" and "t3.carried[0]" in f["cells"]
                                       for f in show["findings"])
    fid = show["findings"][0]["id"]
    res = _run("review", fid, "dismissed", "--user", "赵", "--comment", "口径不同", "--db", db)
    assert res.exit_code == 0 and "dismissed" in res.output
    res = _run("show", r2, "--db", db)
    assert res.exit_code == 0 and "南屏市人民政府" in res.output
    rows = y2["t3"]["rows"]
    c = y1["t3"]["rows"]["carry_next"]
    res = _run("correct", r2, "--set", f"t3.carried[0]={c[0]}", "--set", f"t3.carried[6]={c[6]}",
               "--set", f"t3.total[0]={rows['total'][0] - 3}", "--set", f"t3.total[6]={rows['total'][6] - 3}",
               "--set", f"t3.other_misc[0]={rows['other_misc'][0] - 3}",
               "--set", f"t3.other_misc[6]={rows['other_misc'][6] - 3}",
               "--user", "赵", "--reason", "按原件更正", "--db", db)
    assert res.exit_code == 0, res.output
    assert "findings: 0" in res.output
    res = _run("compare", "--agency", "南屏市人民政府", "--years", "2022,2023", "--db", db, "--json")
    cmp = json.loads(res.stdout)
    assert cmp["a"]["year"] == 2022 and cmp["b"]["year"] == 2023 and cmp["cells_changed"] > 0
    res = _run("stats", "--by", "year", "--db", db, "--json")
    groups = json.loads(res.stdout)["groups"]
    assert [g["key"]["year"] for g in groups] == [2022, 2023]
    res = _run("stats", "--by", "province", "--rank", "公开率", "--db", db)
    assert res.exit_code == 0 and "临海省" in res.output
    out = tmp_path / "x.xlsx"
    res = _run("export", out, "--form", "long", "--db", db)
    assert res.exit_code == 0 and out.stat().st_size > 0
    assert _run("export", tmp_path / "x.weird", "--db", db).exit_code == 2
    out = tmp_path / "zh.csv"
    assert _run("export", out, "--labels", "zh", "--db", db).exit_code == 0
    assert out.read_text(encoding="utf-8-sig").startswith("报告编号,机关,地区,层级")


def test_cli_errors_are_messages_not_tracebacks(tmp_path):
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    res = _run("show", 99, "--db", db)
    assert res.exit_code == 3 and "no such report" in res.output and "Traceback" not in res.output
    res = _run("list", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert res.exit_code == 2 and "cannot open database" in res.output
    res = _run("stats", "--by", "colour", "--db", db)
    assert res.exit_code == 2 and "colour" in res.output
    res = _run("correct", 1, "--set", "t3.new[6]", "--user", "x", "--reason", "y", "--db", db)
    assert res.exit_code == 2 and "cell=value" in res.output


def test_one_alembic_history_with_named_store_revisions(db_url):
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    from nianbao.store import Store
    from nianbao.store.api import migrate
    cfg = Config()
    cfg.set_main_option("script_location", "nianbao/store/migrations")
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1
    assert all(r.revision.startswith(("store_", "web_", "validate_")) for r in script.walk_revisions())
    st = Store.open(db_url)
    migrate(st.engine)  # running again is a no-op
    tables = set(inspect(st.engine).get_table_names())
    assert {"sources", "regions", "agencies", "reports", "versions", "cells", "findings", "report_facts",
            "alembic_version"} <= tables
    st.close()


def test_region_hierarchy_parsing():
    assert split_region("江州省江州市临川区") == [("province", "江州省"), ("city", "江州市"), ("county", "临川区")]
    assert split_region("北京市海淀区") == [("province", "北京市"), ("county", "海淀区")]
    assert split_region("内蒙古自治区呼和浩特市") == [("province", "内蒙古自治区"), ("city", "呼和浩特市")]
    assert split_region("上海市浦东新区张江镇")[-1] == ("township", "张江镇")
    assert split_region("黔东南苗族侗族自治州凯里市") == [("city", "黔东南苗族侗族自治州"), ("county", "凯里市")]
    assert split_region("") == []
