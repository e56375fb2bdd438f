"""Drafts in the store (SQLite and PostgreSQL): year N+1 pre-filled from a stored year N, versions,
conflicts, the export log, and a finished draft stored as the agency's report of its year."""
from __future__ import annotations

import random

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from nianbao.author import drafts
from nianbao.author.checks import check_draft
from nianbao.author.draft import AuthorError, get_value, leaf_refs, set_meta, set_section, set_values
from nianbao.author.publish import Refused, store_report
from nianbao.generate import random_record
from nianbao.generate.sections import add_prose
from nianbao.store import Store
from nianbao.template import T3_TOTAL_COL

AGENCY, REGION = "温州市人力资源和社会保障局", "浙江省温州市"


def _store_year(store, year: int, seed: int) -> dict:
    rng = random.Random(seed)
    rec = random_record(rng, "2021", year, scale="medium")
    add_prose(rng, rec)
    rec["meta"].update(agency=AGENCY, region=REGION, published=f"{year + 1}-01-20")
    rec["source"] = {"path": f"{year}.html", "sha256": f"{seed:064x}", "format": "html"}
    store.store_record(rec)
    return rec


def _write_year(draft: dict, seed: int) -> None:
    """Type this year's figures as an agency would: results, 结转下年度, 制发/废止; 一 keeps the balance."""
    rec = draft["record"]
    other = random_record(random.Random(seed), "2021", rec["meta"]["year"], scale="medium")
    skip = ("t3.carried", "t3.new", "t2.regulations[2]", "t2.normative_docs[2]")
    set_values(draft, {ref: get_value(other, ref) for ref in leaf_refs("2021") if not ref.startswith(skip)})
    rows = rec["t3"]["rows"]
    for c in range(T3_TOTAL_COL):
        new = max(0, rows["total"][c] + rows["carry_next"][c] - rows["carried"][c])
        set_values(draft, {f"t3.new[{c}]": new, f"t3.carry_next[{c}]": new + rows["carried"][c] - rows["total"][c]})
    for sec in rec["sections"]:
        if not sec["text"]:
            set_section(draft, sec["number"], f"{rec['meta']['year']}年，我局{sec['title']}方面的工作有序开展，成效明显。")
    set_meta(draft, published=f"{rec['meta']['year'] + 1}-01-18")


def test_next_year_from_a_stored_year(store):
    last = _store_year(store, 2024, 1)
    draft_id = drafts.start(store, AGENCY, 2025, "王")
    info = drafts.get(store, draft_id)
    draft = info["draft"]
    assert info["previous_report_id"] == store.find_report(AGENCY, 2024)
    assert draft["record"]["meta"]["region"] == REGION
    rows = draft["record"]["t3"]["rows"]
    assert rows["carried"] == last["t3"]["rows"]["carry_next"]  # column by column, and its total
    _write_year(draft, 2)
    t2, before = draft["record"]["t2"], last["t2"]
    for key in ("regulations", "normative_docs"):
        assert t2[key][2] == before[key][2] + t2[key][0] - t2[key][1]
    found = check_draft(draft)
    assert not [f for f in found if f["rule"].startswith(("cross.", "arith."))], found
    assert not [f for f in found if f["severity"] == "error"], found

    number = drafts.save(store, draft_id, draft, "王", note="填好", base=1)
    assert number == 2
    res = store_report(store, drafts.get(store, draft_id)["draft"], user="王")
    drafts.log_export(store, draft_id, 2, "store", "docx", "王", res["export"].overridden, None,
                      res["export"].filename, res["export"].sha256, report_id=res["report_id"])
    stored = store.get_report(res["report_id"])
    assert stored["year"] == 2025 and stored["version"]["kind"] == "authored" and stored["version"]["author"] == "王"
    assert stored["source"]["format"] == "docx" and stored["source"]["has_bytes"]
    assert stored["record"]["t3"] == draft["record"]["t3"]
    # the store's own cross-year checks agree: no carry-over or arithmetic error between the two years
    assert not [f for f in stored["findings"] if f["rule"].startswith(("cross.carry_over", "cross.in_force", "arith."))]
    assert stored["neighbours"]["prev"] == info["previous_report_id"]
    info = drafts.get(store, draft_id)
    assert info["status"] == "stored" and info["report_id"] == res["report_id"]
    with pytest.raises(AuthorError, match="入库"):
        drafts.save(store, draft_id, draft, "王")


def test_versions_conflicts_and_the_export_log(store):
    draft_id = drafts.start(store, AGENCY, 2025, "王")
    draft = drafts.get(store, draft_id)["draft"]
    set_values(draft, {"t3.new[0]": 3})
    assert drafts.save(store, draft_id, draft, "王", base=1) == 2
    set_values(draft, {"t3.new[0]": 4})
    with pytest.raises(drafts.Conflict, match="第 2 版"):
        drafts.save(store, draft_id, draft, "李", base=1)  # 李 started from version 1: refused, nothing lost
    info = drafts.get(store, draft_id)
    assert [v["author"] for v in info["versions"]] == ["王", "王"]
    assert get_value(info["draft"]["record"], "t3.new[0]") == 3
    assert get_value(drafts.get(store, draft_id, version=1)["draft"]["record"], "t3.new[0]") is None
    with pytest.raises(Refused):
        store_report(store, info["draft"], user="王")
    res = store_report(store, info["draft"], user="王", reason="测试：表格尚未填完，先行入库")
    errors = [f for f in check_draft(info["draft"]) if f["severity"] == "error"]
    drafts.log_export(store, draft_id, 2, "store", "docx", "王", errors, res["export"].reason,
                      res["export"].filename, res["export"].sha256, report_id=res["report_id"])
    log = drafts.get(store, draft_id)["exports"]
    assert log[0]["reason"] == "测试：表格尚未填完，先行入库" and log[0]["errors"] == len(errors) > 0
    assert {e["rule"] for e in log[0]["overridden"]} == {f["rule"] for f in errors}
    assert store.get_report(res["report_id"])["version"]["reason"] == "测试：表格尚未填完，先行入库"
    listed = drafts.list_drafts(store, [AGENCY])
    assert listed[0]["id"] == draft_id and listed[0]["status"] == "stored"
    assert drafts.list_drafts(store, []) == []


def test_grants(store):
    from nianbao.web.auth import add_user
    u = add_user(store.engine, "wang", "Tall-Harbor-Lantern-93", "author")
    drafts.grant(store, u.id, " 温州市 人力资源和社会保障局", "admin")
    drafts.grant(store, u.id, AGENCY, "admin")  # twice is once
    assert drafts.grants(store, u.id) == [AGENCY]
    assert drafts.all_grants(store)[0]["user"] == "wang"
    assert drafts.revoke(store, u.id, AGENCY) and not drafts.grants(store, u.id)


def test_migration_down_and_up(db_url):
    from pathlib import Path
    store = Store.open(db_url)
    tables = set(inspect(store.engine).get_table_names())
    assert {"author_drafts", "author_draft_versions", "author_exports", "author_grants"} <= tables
    cfg = Config()
    cfg.set_main_option("script_location",
                        str(Path(__file__).resolve().parents[2] / "nianbao" / "store" / "migrations"))
    from alembic.script import ScriptDirectory
    before = ScriptDirectory.from_config(cfg).get_revision("store_0007_author").down_revision
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, before)
    assert not {"author_drafts", "author_grants"} & set(inspect(store.engine).get_table_names())
    store.close()
    store = Store.open(db_url)  # opening upgrades again
    assert "author_drafts" in set(inspect(store.engine).get_table_names())
    store.close()
