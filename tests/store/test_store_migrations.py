"""One Alembic history: a fresh database, and a database the old code made with two histories.

Until ``store_0002_web_accounts`` the web tables had their own history (version table
``nianbao_web_version``, kept under ``legacy_web_migrations/``), and until
``store_0003_provenance_in_cells`` every version kept its cells' provenance twice. The old
database is built here by the old code path: the store history up to ``store_0001_initial``,
the web's own history, users and the session secret written by the web code, and reports
written by the old ``Store._new_version`` (kept below verbatim).
"""
from __future__ import annotations

import base64
import json
import random
import re
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, inspect, select, text

from nianbao.store import Store
from nianbao.store import writer
from nianbao.store.api import _finding_row, now
from nianbao.store.writer import split_cells as _new_split_cells
from nianbao.store.cells import iter_cells, numeric
from nianbao.store.schema import CellRow, Version

from kit import alembic_config, next_year, record


LEGACY_WEB_MIGRATIONS = Path(__file__).parent / "legacy_web_migrations"
PASSWORD = "correct-horse-1"


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    return request.getfixturevalue("make_pg_database")()


def _tables(store) -> set[str]:
    return set(inspect(store.engine).get_table_names())


def _versions(store, table="alembic_version") -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(text(f"SELECT version_num FROM {table}"))]


def _old_new_version(self, s, report, record, *, kind, source_id, author, reason, findings, parent_id=None,
                     corrected=None, **_later_keywords):
    """``Store._new_version`` as it was before store_0003 (provenance in the record and in the cells).

    (Keywords added since — who corrected each cell, the predecessor version — are ignored.)"""
    number = (s.scalar(select(func.max(Version.number)).where(Version.report_id == report.id)) or 0) + 1
    stored = {k: v for k, v in record.items() if k != "findings"}
    prov = record.get("provenance") or {}
    cells = []
    for ref, tbl, key, col, value in iter_cells(record):
        p = prov.get(ref)
        if corrected is not None and ref in corrected:
            p = {"corrected_by": author, "reason": reason, "was": corrected[ref]}
        num = numeric(value)
        cells.append({"ref": ref, "tbl": tbl, "row_key": key, "col": col, "value": num,
                      "text": None if num is not None or value is None else str(value),
                      "provenance": p, "confidence": (p or {}).get("confidence") if corrected is None
                      or ref not in corrected else 1.0})
    version = Version(report_id=report.id, number=number, kind=kind, source_id=source_id, parent_id=parent_id,
                      author=author, reason=reason, created_at=now(), record=stored, n_cells=len(cells))
    s.add(version)
    s.flush()
    if cells:
        for c in cells:
            c["version_id"] = version.id
        s.connection().execute(insert(CellRow.__table__), cells)
    for scope, f in findings:
        s.add(_finding_row(version.id, scope, f))
    report.current_version_id = version.id
    s.flush()
    return version


LATER_COLUMNS = {"findings": {"cell_values": "JSON", "prior": "JSON", "extra": "JSON"},  # store_0004
                 "web_users": {"disabled": "BOOLEAN NOT NULL DEFAULT FALSE", "session_floor": "TIMESTAMP",
                               "password_changed_at": "TIMESTAMP"},
                 # store_0009
                 "report_facts": {"n_copied": "INTEGER NOT NULL DEFAULT 0",
                                  "has_prev": "BOOLEAN NOT NULL DEFAULT FALSE"},
                 "facts_rollup": {c: "INTEGER NOT NULL DEFAULT 0"
                                  for c in ("n_with_open", "n_copied", "n_with_prev", "n_with_agency")}}


def _add_later_columns(engine) -> None:
    """What today's code writes and the code of that time did not have, added for the old writes only."""
    from nianbao.store.schema import Correction, FactsAgency, web_sessions
    with engine.begin() as conn:
        for table, cols in LATER_COLUMNS.items():
            for col, typ in cols.items():
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {col} {typ}"))
        Correction.__table__.create(conn)
        web_sessions.create(conn)
        FactsAgency.__table__.create(conn)


def _drop_later_columns(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE corrections"))
        conn.execute(text("DROP TABLE web_sessions"))
        conn.execute(text("DROP TABLE facts_agencies"))
        for table, cols in LATER_COLUMNS.items():
            for col in cols:
                conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {col}"))


def _old_split_cells(record: dict) -> tuple[dict, list[dict]]:
    """``writer.split_cells`` as it was before store_0003: the cells' provenance in the record as well."""
    stored, cells = _new_split_cells(record)
    stored["provenance"] = record.get("provenance")
    return stored, cells


def _records() -> tuple[dict, dict]:
    """Two years of one agency, with provenance on every cell and on a meta field."""
    rng = random.Random(5)
    a = record(rng, 2021, agency="江州市民政局", region="江州省江州市")
    b = next_year(rng, a, break_carry=True)  # a cross-year finding too
    for rec in (a, b):
        rec["provenance"] = {ref: {"span": [i * 3, i * 3 + 2], "confidence": round(0.5 + (i % 5) / 10, 2)}
                             for i, (ref, *_rest) in enumerate(iter_cells(rec))}
        rec["provenance"]["meta.year"] = {"span": [0, 4], "confidence": 1.0}
    return a, b


def _write(store, recs) -> dict:
    """What a session of the web UI and the CLI leaves behind: reports, one correction, a review."""
    a, b = recs
    ra = store.store_record(json.loads(json.dumps(a)), data=b"a", filename="a.txt")["report_id"]
    rb = store.store_record(json.loads(json.dumps(b)), data=b"b", filename="b.txt")["report_id"]
    fid = store.get_report(rb)["findings"][0]["id"]
    store.review_finding(fid, "confirmed", "ann", "核实")
    store.correct_values(rb, {"t3.new[6]": 1234}, "ann", "原表笔误")
    return {"a": ra, "b": rb}


def _snapshot(store, ids) -> dict:
    out = {}
    for name, rid in ids.items():
        rep = store.get_report(rid)
        for v in rep["versions"]:
            r = store.get_report(rid, v["number"])
            out[(name, v["number"])] = {
                "record": {k: val for k, val in r["record"].items() if k != "findings"},
                "findings": [(f["rule"], f["severity"], f["status"], f["comment"], tuple(f["cells"]))
                             for f in r["findings"]],
                "cells": store.cells(rid, v["number"]),
            }
    return out


def _reviews_forgotten(snapshot: dict) -> dict:
    return {k: {**v, "findings": [f[:2] + f[4:] for f in v["findings"]]} for k, v in snapshot.items()}


def _session_cookie(secret: str, data: dict) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it (what a logged-in browser holds)."""
    import itsdangerous
    payload = base64.b64encode(json.dumps(data).encode("utf-8"))
    return itsdangerous.TimestampSigner(secret).sign(payload).decode("utf-8")


def test_one_history_with_one_head():
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD]
    revs = list(script.walk_revisions())
    assert {r.revision for r in revs} >= {"store_0001_initial", "store_0002_web_accounts",
                                          "store_0003_provenance_in_cells"}
    assert not (Path(__file__).resolve().parents[2] / "nianbao" / "web" / "migrations").exists()


def test_fresh_database_has_one_history(fresh_url):
    with Store.open(fresh_url) as store:
        tables = _tables(store)
        assert {"web_users", "web_secrets", "reports", "cells"} <= tables
        assert "nianbao_web_version" not in tables
        assert _versions(store) == [HEAD]
    with Store.open(fresh_url) as store:  # opening again changes nothing
        assert _versions(store) == [HEAD]


def test_old_two_history_database_is_adopted(fresh_url, monkeypatch, request):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from nianbao.web import create_app, db
    from nianbao.web.auth import add_user
    from nianbao.web.settings import Settings

    recs = _records()
    # ---- the old code path: store history to store_0001, the web's own history, old writes
    old = Store.open(fresh_url, run_migrations=False)
    with old.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "store_0001_initial")
    with old.engine.begin() as conn:
        command.upgrade(alembic_config(conn, LEGACY_WEB_MIGRATIONS), "head")
    assert _versions(old) == ["store_0001_initial"]
    assert _versions(old, "nianbao_web_version") == ["w0001"]
    _add_later_columns(old.engine)
    ann = add_user(old.engine, "ann", PASSWORD, "reviewer")
    add_user(old.engine, "bob", PASSWORD + "-b", "admin")
    secret = db.secret(old.engine)
    with monkeypatch.context() as m:
        m.setattr(Store, "_new_version", _old_new_version)
        m.setattr(writer, "split_cells", _old_split_cells)
        m.setattr(writer, "bump_generation", lambda conn: None)  # (no store_state table before store_0008)
        ids = _write(old, recs)
    _drop_later_columns(old.engine)
    with old.engine.connect() as conn:  # the old layout: the cells' provenance in the record JSON as well
        rec_b1 = conn.execute(select(Version.record).where(Version.report_id == ids["b"], Version.number == 1)).scalar()
        users_before = conn.execute(text("SELECT id, name, password_hash, role FROM web_users ORDER BY id")).all()
    assert "t3.new[6]" in rec_b1["provenance"]
    old.close()

    # ---- the same session on the new code, for comparison
    new = Store.open(f"sqlite:///{Path(str(fresh_url).split('///')[-1]).parent / 'compare.sqlite'}"
                     if fresh_url.startswith("sqlite") else request.getfixturevalue("make_pg_database")())
    new_ids = _write(new, recs)
    expected = _snapshot(new, new_ids)
    expected_corrections = [(c["ref"], c["value"], c["previous"], c["author"], c["reason"], c["status"],
                             c["version"]) for c in new.corrections(new_ids["b"])]
    new.close()

    # ---- upgrade: opening the store runs the one history to its head
    store = Store.open(fresh_url)
    assert _versions(store) == [HEAD]
    assert "nianbao_web_version" not in _tables(store)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT id, name, password_hash, role FROM web_users ORDER BY id")).all() \
            == users_before
        stored = conn.execute(select(Version.record)).scalars().all()
        corrected = conn.execute(select(CellRow.provenance).join(Version, Version.id == CellRow.version_id)
                                 .where(Version.report_id == ids["b"], Version.number == 2,
                                        CellRow.ref == "t3.new[6]")).scalar()
    # provenance is kept once: no cell left in any record JSON, the rest (meta) kept there
    cell_refs = {ref for ref, *_ in iter_cells(recs[0])} | {ref for ref, *_ in iter_cells(recs[1])}
    assert all(set(r["provenance"]) == {"meta.year"} for r in stored)
    assert not cell_refs & {k for r in stored for k in r["provenance"]}
    # the corrected cell keeps where the value was printed, and who corrected it
    orig = recs[1]["provenance"]["t3.new[6]"]
    assert corrected == {"span": orig["span"], "corrected_by": "ann", "reason": "原表笔误",
                         "was": recs[1]["t3"]["rows"]["new"][6]}
    # reports intact: every version reads back as the new code writes it, and as extraction gave it
    got = _snapshot(store, ids)
    # the old code dropped the decisions on every new version (what store_0004's code fixes): v2's
    # carry-over finding, confirmed on v1, is open in the old database and confirmed by today's code
    assert ("cross.carry_over", "error", "confirmed", "核实", ("t3.carried[0]",)) in expected[("b", 2)]["findings"]
    assert ("cross.carry_over", "error", "open", None, ("t3.carried[0]",)) in got[("b", 2)]["findings"]
    assert _reviews_forgotten(got) == _reviews_forgotten(expected)
    assert {k: v for k, v in got.items() if k != ("b", 2)} == {k: v for k, v in expected.items() if k != ("b", 2)}
    for name, rec in zip("ab", recs):
        want = json.loads(json.dumps({k: v for k, v in rec.items() if k != "findings"}))
        assert got[(name, 1)]["record"] == want
    assert store.get_report(ids["b"])["record"]["t3"]["rows"]["new"][6] == 1234
    assert store.counts()["reports"] == 2
    # the correction made before store_0004 is read back from its version: in force, revertible
    got_corrections = [(c["ref"], c["value"], c["previous"], c["author"], c["reason"], c["status"], c["version"])
                       for c in store.corrections(ids["b"])]
    assert got_corrections == expected_corrections == [
        ("t3.new[6]", 1234, recs[1]["t3"]["rows"]["new"][6], "ann", "原表笔误", "active", 2)]

    # users still log in, and a session signed before the upgrade still holds
    app = create_app(settings=Settings(store_url=fresh_url))
    c = TestClient(app)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"name": "ann", "password": PASSWORD, "csrf_token": token, "next": "/reports"},
               follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/api/me").json()["name"] == "ann"
    listed = {i["id"]: i for i in c.get("/api/reports").json()}
    assert set(listed) == set(ids.values()) and listed[ids["b"]]["version"] == 2
    legacy = _session_cookie(secret, {"uid": ann.id, "csrf": "x"})
    kept = TestClient(app)
    kept.cookies.set("nianbao_session", legacy)
    assert kept.get("/api/me").json()["name"] == "ann"
    # ... until the account logs out once: then no cookie of the old kind (no server-side id) is honoured
    assert kept.post("/logout", headers={"X-CSRF-Token": "x"}, follow_redirects=False).status_code == 303
    replay = TestClient(app)
    replay.cookies.set("nianbao_session", legacy)
    assert replay.get("/api/me").json()["name"] == ""
    forged = TestClient(app)
    forged.cookies.set("nianbao_session", _session_cookie("not-the-secret", {"uid": ann.id, "csrf": "x"}))
    assert forged.get("/api/me").json()["name"] == ""
    app.state.backend.store.close()

    # down to the two histories and up again: nothing lost either way
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "store_0001_initial")
    assert _versions(store, "nianbao_web_version") == ["w0001"]
    with store.engine.connect() as conn:
        rec_b1 = conn.execute(select(Version.record).where(Version.report_id == ids["b"], Version.number == 1)).scalar()
    assert rec_b1["provenance"]["t3.new[6]"] == orig
    store.close()
    with Store.open(fresh_url) as store:
        assert _versions(store) == [HEAD] and "nianbao_web_version" not in _tables(store)
        assert _reviews_forgotten(_snapshot(store, ids)) == _reviews_forgotten(expected)


def test_unknown_web_revision_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'odd.sqlite'}"
    st = Store.open(url, run_migrations=False)
    with st.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "store_0001_initial")
        conn.execute(text("CREATE TABLE nianbao_web_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO nianbao_web_version VALUES ('w0002')"))
    st.close()
    with pytest.raises(RuntimeError, match="w0002"):
        Store.open(url)
    with Store.open(url, run_migrations=False) as st:  # nothing changed: the upgrade ran in one transaction
        assert _versions(st) == ["store_0001_initial"] and _versions(st, "nianbao_web_version") == ["w0002"]
