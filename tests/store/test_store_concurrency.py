"""Writers side by side: several `nianbao ingest` processes at once, on SQLite and on a real PostgreSQL.

None aborts, and the store they leave equals, report by report, the one a serial ingest of the
same files leaves. Also: a batch written in one transaction equals the same documents written
one by one, and a database error on one document fails that document only.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kit
from nianbao.ingest import ingest_paths
from nianbao.store import Doc, Store

HERE = Path(__file__).resolve().parent


def _corpus(root: Path, seed: int) -> dict[str, list[Path]]:
    """Four folders of canonical records: agencies over several years (cross-year checks between
    folders), shared regions, agencies without a region, and files present in two folders."""
    rng = random.Random(seed)
    records = []
    regions = ["江州省江州市北湖区", "江州省江州市南湖区", "江州省临川市", "临海省临海市东湖区"]
    for i in range(10):
        region = regions[i % len(regions)]
        gov = i % 3 == 0
        name = f"{region[-3:]}人民政府" if gov else f"{region[-3:]}第{i}局"
        y = kit.record(rng, 2020 + i % 2, agency=name, region=region)
        chain = [y]
        for k in range(3):
            chain.append(kit.next_year(rng, chain[-1], break_carry=(i + k) % 3 == 0))
        records += chain
    for i in range(4):  # agencies whose region stays unknown
        rec = kit.record(rng, 2022, agency=f"某某委员会{i % 2}")
        rec["meta"]["region"] = None
        rec["meta"]["year"] = 2021 + i
        records.append(rec)
    rng.shuffle(records)
    folders = {name: root / name for name in "ABCD"}
    for f in folders.values():
        f.mkdir(parents=True)
    out: dict[str, list[Path]] = {name: [] for name in folders}
    for i, rec in enumerate(records):
        rec = dict(rec)
        rec.pop("source")
        homes = [list(folders)[i % 4]] + ([list(folders)[(i + 1) % 4]] if i % 3 == 0 else [])
        for home in homes:  # a third of the files in two folders: the same bytes ingested twice at once
            p = kit.write_json(rec, folders[home] / f"r{i:03d}.json")
            out[home].append(p)
    return folders


def _ingest(folders: list[Path], url: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nianbao.cli.__main__", "ingest", *map(str, folders),
                             "--db", url, "--workers", "1", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _serial(folders, tmp_path) -> dict:
    store = Store.open(f"sqlite:///{tmp_path / 'serial.sqlite'}")
    try:
        for f in folders:
            res = ingest_paths(store, [f], workers=1)
            assert not res.failed, res.failed
        return kit.dump(store)
    finally:
        store.close()


def _run_together(groups: list[list[Path]], url: str) -> list[tuple[int, str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    procs = [_ingest(g, url, env) for g in groups]
    out = []
    for p in procs:
        _, err = p.communicate(timeout=300)
        out.append((p.returncode, err.decode("utf-8", "replace")))
    return out


def _new_url(backend: str, tmp_path: Path, request, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.sqlite')}"
    return request.getfixturevalue("make_pg_database")()  # brand new: not migrated yet


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_four_ingests_at_once_onto_a_new_store_equal_a_serial_ingest(backend, tmp_path, request):
    folders = _corpus(tmp_path / "in", seed=5)
    A, B, C, D = (folders[k] for k in "ABCD")
    expected = _serial([A, B, C, D], tmp_path)
    url = _new_url(backend, tmp_path, request, "together")
    # overlapping: every folder is ingested by two of the four processes, which start together
    runs = _run_together([[A, B], [B, C], [C, D], [D, A]], url)
    for code, err in runs:
        assert code == 0 and "Traceback" not in err, err
    store = Store.open(url)
    try:
        got = kit.dump(store)
        assert got["reports"].keys() == expected["reports"].keys()
        for key in expected["reports"]:
            assert got["reports"][key] == expected["reports"][key], key
        assert got == expected
        # the rollup kept in step by the writers equals one computed afresh
        store.rebuild_rollup()
        assert kit.dump(store)["rollup"] == got["rollup"]
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_disjoint_ingests_at_once_then_again_over_the_same_folders(backend, tmp_path, request):
    folders = _corpus(tmp_path / "in", seed=9)
    A, B, C, D = (folders[k] for k in "ABCD")
    expected = _serial([A, B, C, D], tmp_path)
    url = _new_url(backend, tmp_path, request, "disjoint")
    Store.open(url).close()  # an existing (empty) store this time
    runs = _run_together([[A], [B], [C, D]], url)
    for code, err in runs:
        assert code == 0 and "Traceback" not in err, err
    again = _run_together([[A, B, C, D], [D, C, B, A]], url)  # everything stored: both skip all
    for code, err in again:
        assert code == 0 and "入库 stored: 0" in err, err
    store = Store.open(url)
    try:
        assert kit.dump(store) == expected
    finally:
        store.close()


def _chain(rng, n=3, agency="江州市教育局", region="江州省江州市"):
    out = [kit.record(rng, 2021, agency=agency, region=region)]
    for k in range(n - 1):
        out.append(kit.next_year(rng, out[-1], break_carry=k == 0))
    return out


def test_a_batch_stores_what_storing_one_by_one_stores(db_url, tmp_path):
    """Same agency over years, a second file of one report, a duplicate, a review kept: batch = serial."""
    rng = random.Random(17)
    recs = _chain(rng, 4) + _chain(rng, 2, agency="江州市人民政府")
    again = kit.without_source(recs[0])  # a second file of 2021 (same table, other prose): version 2
    again["sections"] = kit.fresh_prose(rng, 2021)
    again["source"] = {"path": "again.txt", "sha256": "ab" * 32, "format": "txt"}
    recs.append(again)
    recs.append(dict(recs[1]))  # the same bytes again: a duplicate of a stored file
    recs.append(dict(recs[2]))  # … and of a file earlier in the same batch
    serial = Store.open(f"sqlite:///{tmp_path / 'one-by-one.sqlite'}")
    batch = Store.open(db_url)
    try:
        for store in (serial, batch):
            # a reviewed cross-year finding on a stored report must survive the batch
            first = store.store_record(recs[0])
            second = store.store_record(recs[1])
            cross = [f for f in store.get_report(second["report_id"])["findings"] if f["scope"] == "cross_year"]
            assert cross
            store.review_finding(cross[0]["id"], "dismissed", "王", "口径不同")
            assert first["status"] == "stored"
        one = [serial.store_record(r) for r in recs[2:]]
        many = batch.store_records([Doc(record=r) for r in recs[2:]])
        assert [r["status"] for r in one] == [r["status"] for r in many] == ["stored"] * 5 + ["duplicate"] * 2
        assert many[-1]["report_id"] == many[0]["report_id"] and many[-2]["report_id"] == second["report_id"]
        assert kit.dump(batch) == kit.dump(serial)
        assert [v["number"] for v in batch.get_report(first["report_id"])["versions"]] == [1, 2]
        # the 2022 cross-year check ran again against 2021's new version: the person's review stays
        rep = batch.get_report(second["report_id"])
        kept = [f for f in rep["findings"] if f["status"] == "dismissed"]
        assert kept and kept[0]["comment"] == "口径不同"
    finally:
        serial.close()
        batch.close()


def _refuse_agency(store, name: str) -> None:
    """A trigger that makes the database refuse one agency: a database error on one document."""
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql(f"CREATE TRIGGER refuse BEFORE INSERT ON agencies WHEN NEW.name = '{name}' "
                                 "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                                 f"IF NEW.name = '{name}' THEN RAISE EXCEPTION 'refused by the test trigger'; "
                                 "END IF; RETURN NEW; END $$ LANGUAGE plpgsql")
            conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON agencies FOR EACH ROW EXECUTE FUNCTION refuse()")


def test_a_database_error_fails_that_document_and_the_batch_goes_on(store, tmp_path):
    rng = random.Random(23)
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        rec = kit.record(rng, 2022, agency="坏机关" if i == 3 else f"好机关{i}", region="江州省江州市")
        rec.pop("source")
        kit.write_json(rec, folder / f"r{i}.json")
    _refuse_agency(store, "坏机关")
    try:
        res = ingest_paths(store, [folder], workers=1)
        assert len(res.stored) == 5
        assert [Path(f["path"]).name for f in res.failed] == ["r3.json"]
        assert "refused by the test trigger" in res.failed[0]["error"] and "入库失败" in res.failed[0]["error"]
        assert {i["agency"] for i in store.list_reports()["items"]} == {f"好机关{i}" for i in (0, 1, 2, 4, 5)}
    finally:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse" + ("" if store.dialect == "sqlite" else " ON agencies"))


def test_migrations_of_a_new_sqlite_store_opened_by_four_processes_at_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    code = ("import sys, time; from nianbao.store import Store; t = float(sys.argv[2]); "
            "time.sleep(max(0, t - time.time())); Store.open(sys.argv[1]).close(); print('ok')")
    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", code, url, str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip() == b"ok", err.decode()
    store = Store.open(url)
    try:
        assert store.counts()["reports"] == 0 and store.generation() >= 1
    finally:
        store.close()
