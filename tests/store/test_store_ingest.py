"""Batch ingest: worker pool, per-document timeout, failures, dedup, manifest, resume after kill -9, Dask."""
from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kit
from nianbao.ingest import ingest_paths
from nianbao.store import Store

HERE = Path(__file__).resolve().parent
SLOW = "slow_extractor:extract"


def _corpus(folder: Path, n: int, seed: int = 0, text: bool = False) -> list[dict]:
    """``n`` generated reports as canonical JSON records, or rendered as text for the real extractor."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    recs = []
    for i in range(n):
        rec = kit.record(rng, 2021 + i % 3)
        rec.pop("source")
        if text:
            (folder / f"r{i:03d}.txt").write_text(kit.render_text(rec), encoding="utf-8")
        else:
            kit.write_json(rec, folder / f"r{i:03d}.json")
        recs.append(rec)
    return recs


def test_text_reports_through_the_extractor_cross_year_finding_and_correction(store, tmp_path):
    rng = random.Random(31)
    y1 = kit.record(rng, 2022, agency="江州市教育局", region="江州省江州市")
    y2 = kit.next_year(rng, y1, break_carry=True)
    y3 = kit.next_year(rng, y2)
    folder = tmp_path / "in"
    folder.mkdir()
    for r in (y1, y2, y3):
        (folder / f"{r['meta']['year']}.txt").write_text(kit.render_text(r), encoding="utf-8")
    res = ingest_paths(store, [folder], workers=2)
    assert len(res.stored) == 3 and not res.failed, res.failed
    ids = {store.get_report(s["report_id"])["year"]: s["report_id"] for s in res.stored}
    rep = store.get_report(ids[2023])
    assert rep["record"]["t3"]["rows"] == y2["t3"]["rows"]   # the extractor read the rendered table
    cross = [f for f in rep["findings"] if f["scope"] == "cross_year"]
    assert cross and {c for f in cross for c in f["cells"]} >= {"t3.carried[0]"}
    assert [f for f in store.get_report(ids[2024])["findings"] if f["scope"] == "cross_year"] == []
    others = sorted(f["rule"] for f in rep["findings"] if f["scope"] != "cross_year")
    rows, c = y2["t3"]["rows"], y1["t3"]["rows"]["carry_next"]
    store.correct_values(ids[2023], {"t3.carried[0]": c[0], "t3.carried[6]": c[6],
                                     "t3.total[0]": rows["total"][0] - 3, "t3.total[6]": rows["total"][6] - 3,
                                     "t3.other_misc[0]": rows["other_misc"][0] - 3,
                                     "t3.other_misc[6]": rows["other_misc"][6] - 3}, "审核员", "与上年报告核对")
    # the carry-over finding is gone; what else the validator says about this rendering stays as it was
    after = store.get_report(ids[2023])["findings"]
    assert [f for f in after if f["scope"] == "cross_year"] == []
    assert sorted(f["rule"] for f in after) == others


def test_pool_stores_good_files_and_lists_every_failure(store, tmp_path):
    recs = _corpus(tmp_path / "in", 6)
    for name in ("hang", "crash", "boom"):  # distinct bytes: identical files would be deduplicated
        (tmp_path / "in" / f"{name}.json").write_text(f'{{"{name}": 1}}')
    (tmp_path / "in" / "broken.json").write_text("{not json")
    (tmp_path / "in" / "dup.json").write_bytes((tmp_path / "in" / "r000.json").read_bytes())
    res = ingest_paths(store, [tmp_path / "in", tmp_path / "missing.pdf"], workers=2, timeout=3, extractor=SLOW)
    assert len(res.stored) == 6
    failed = {Path(f["path"]).name: f["error"] for f in res.failed}
    assert set(failed) == {"hang.json", "crash.json", "boom.json", "broken.json", "missing.pdf"}
    assert "timed out" in failed["hang.json"] and "worker died" in failed["crash.json"]
    assert "extractor bug" in failed["boom.json"] and "JSON" in failed["broken.json"]
    assert "no such file" in failed["missing.pdf"]
    assert [Path(s["path"]).name for s in res.skipped] == ["r000.json"] or \
        [Path(s["path"]).name for s in res.skipped] == ["dup.json"]
    stored = {(r["agency"], r["year"]) for r in store.list_reports(limit=100)["items"]}
    assert stored == {(r["meta"]["agency"], r["meta"]["year"]) for r in recs}
    # a second run extracts nothing already stored
    again = ingest_paths(store, [tmp_path / "in"], workers=2, timeout=3, extractor=SLOW)
    assert again.stored == [] and len(again.skipped) == 7
    assert store.counts()["versions"] == 6


def test_manifest_names_agency_region_year_of_text_files(store, tmp_path):
    rng = random.Random(3)
    rows = []
    for i, year in enumerate((2022, 2023)):
        rec = kit.record(rng, year)
        p = tmp_path / f"report-{i}.txt"
        p.write_text(kit.render_text(rec), encoding="utf-8")
        rows.append({"path": p.name, "agency": "东湖区人民政府", "region": "临海省临海市东湖区", "level": "县级",
                     "year": str(year)})
    man = tmp_path / "manifest.csv"
    with open(man, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["path", "agency", "region", "level", "year"])
        w.writeheader()
        w.writerows(rows)
    res = ingest_paths(store, [], manifest=man, workers=1)
    assert len(res.stored) == 2 and not res.failed
    items = store.list_reports(agency="东湖区")["items"]
    assert sorted(i["year"] for i in items) == [2022, 2023]
    assert {i["level"] for i in items} == {"county"} and {i["region"] for i in items} == {"临海省临海市东湖区"}
    rep = store.get_report(items[0]["id"])
    assert rep["neighbours"]["prev"] or rep["neighbours"]["next"]
    data, name, fmt = store.source_bytes(items[0]["id"])
    assert data == (tmp_path / name).read_bytes() and fmt == "txt"


def test_manifest_errors_are_clear(store, tmp_path):
    from nianbao.store import StoreError
    bad = tmp_path / "m.csv"
    bad.write_text("file,agency\nx.txt,某局\n", encoding="utf-8")
    with pytest.raises(StoreError, match="path"):
        ingest_paths(store, [], manifest=bad)


def _run_ingest(args, env):
    return subprocess.Popen([sys.executable, "-m", "nianbao.cli.__main__", "ingest", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)


def test_kill_9_mid_ingest_then_rerun_stores_every_file_exactly_once(db_url, tmp_path):
    recs = _corpus(tmp_path / "in", 40, seed=11, text=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
           "NIANBAO_TEST_DELAY": "0.08"}
    args = [str(tmp_path / "in"), "--db", db_url, "--workers", "2", "--extractor", SLOW, "--no-progress"]
    proc = _run_ingest(args, env)
    store = Store.open(db_url)
    try:
        deadline = time.monotonic() + 60
        while store.counts()["versions"] < 8:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        mid = store.counts()["versions"]
        assert 8 <= mid < 40
        # the orphaned workers see their pipe close and exit; make sure of it (our own process group)
        time.sleep(0.5)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        done = _run_ingest(args, env)
        out, err = done.communicate(timeout=120)
        assert done.returncode == 0, err.decode()
        assert f"跳过 skipped: {mid}" in err.decode()
        counts = store.counts()
        assert counts["sources"] == counts["versions"] == 40
        # two generated files of one agency and year are two versions of one report
        assert counts["reports"] == len({(r["meta"]["agency"], r["meta"]["year"]) for r in recs})
        from sqlalchemy import func, select
        from nianbao.store.schema import CellRow, Version
        with store.session() as s:
            per_version = dict(s.execute(select(CellRow.version_id, func.count()).group_by(CellRow.version_id)).all())
            expected = dict(s.execute(select(Version.id, Version.n_cells)).all())
        assert per_version == expected and all(n > 0 for n in expected.values())
    finally:
        store.close()


def test_dask_local_cluster_engine(store, tmp_path):
    recs = _corpus(tmp_path / "in", 5, seed=21)
    (tmp_path / "in" / "broken.json").write_text("[]")
    res = ingest_paths(store, [tmp_path / "in"], engine="dask", workers=2, timeout=60)
    assert len(res.stored) == 5
    assert [Path(f["path"]).name for f in res.failed] == ["broken.json"]
    assert store.counts()["reports"] == len({(r["meta"]["agency"], r["meta"]["year"]) for r in recs})


REAL_PDF = HERE.parents[1] / ".." / "shared" / "real" / "pdf"


def _children() -> set[int]:
    """This process's live children, less the long-lived helpers multiprocessing keeps (fork server, resource tracker)."""
    import psutil
    out = set()
    for child in psutil.Process().children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
            if child.status() != psutil.STATUS_ZOMBIE and "forkserver" not in cmd and "resource_tracker" not in cmd:
                out.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return out


def test_dask_two_local_workers_are_two_processes_giving_the_pool_s_records(tmp_path, monkeypatch):
    from nianbao.ingest.dask_engine import DaskEngine
    from nianbao.ingest.pool import run_tasks
    from nianbao.ingest.worker import EXTRACTOR
    _corpus(tmp_path / "in", 6, seed=5, text=True)
    (tmp_path / "in" / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\n")
    files = sorted((tmp_path / "in").iterdir()) + sorted(REAL_PDF.resolve().glob("*.pdf"))[:2]
    assert len(files) == 9
    tasks = [(f.name, (str(f), None, f.name, EXTRACTOR)) for f in files]
    monkeypatch.setenv("NIANBAO_TEST_DELAY", "0.3")  # seen by the workers: long enough for both to take tasks
    before = _children()
    with DaskEngine(workers=2) as engine:
        pids = engine.worker_pids()
        assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
        assert set(pids.values()) <= _children() - before   # worker processes of this run, children of this one
        who = [r for got in engine.run([(i, (str(f), None, f.name, "slow_extractor:pid"))
                                        for i, f in enumerate(files[:6])], timeout=60) for r in got]
        assert len(who) == 6 and all(ok for _, ok, _ in who)
        assert {pid for _, _, (pid, _) in who} == set(pids.values())   # both processes extracted
        by_dask = {k: (ok, v) for got in engine.run(tasks, timeout=120) for k, ok, v in got}
    assert _children() == before   # closed: no worker process left behind
    by_pool = {k: (ok, v) for got in run_tasks("nianbao.ingest.worker:extract_task", tasks, workers=2, timeout=120)
               for k, ok, v in got}
    assert by_dask == by_pool
    assert [k for k, (ok, _) in by_dask.items() if not ok] == ["broken.pdf"]
    assert all(by_dask[f.name][1]["t3"] for f in files if f.suffix == ".pdf" and f.name != "broken.pdf")


def test_dask_local_workers_bound_each_document_and_go_on(tmp_path):
    """A hang, a crash, a bug and a balloon each fail alone; the restarted workers serve the next run."""
    from nianbao.ingest.dask_engine import DaskEngine
    recs = _corpus(tmp_path / "in", 3)
    for name in ("hang", "crash", "boom", "balloon"):
        (tmp_path / "in" / f"{name}.json").write_text(f'{{"{name}": 1}}')
    files = sorted((tmp_path / "in").iterdir())
    tasks = [(f.name, (str(f), None, f.name, SLOW)) for f in files]
    before = _children()
    t0 = time.monotonic()
    with DaskEngine(workers=2, memory_mb=1024) as engine:
        first = set(engine.worker_pids().values())
        out = {k: (ok, v) for got in engine.run(tasks, timeout=4) for k, ok, v in got}
        assert set(out) == {f.name for f in files}
        failed = {k: v for k, (ok, v) in out.items() if not ok}
        assert set(failed) == {"hang.json", "crash.json", "boom.json", "balloon.json"}, failed
        assert "timed out after 4 s" in failed["hang.json"] and "worker died" in failed["crash.json"]
        assert "extractor bug" in failed["boom.json"] and "out of memory: limit 1024 MB" in failed["balloon.json"]
        assert sorted(v["meta"]["agency"] for ok, v in out.values() if ok) == sorted(r["meta"]["agency"] for r in recs)
        engine.client.wait_for_workers(2, timeout=60)   # the crashed worker's nanny starts another
        now = engine.worker_pids()
        assert len(now) == 2 and set(now.values()) != first   # the hung and the crashed workers were replaced
        again = [r for got in engine.run(tasks[-3:], timeout=30) for r in got]
        assert len(again) == 3 and all(ok for _, ok, _ in again)
        # two tasks a worker: those waiting behind the crash on its worker run again elsewhere
        crash = next(t for t in tasks if t[0] == "crash.json")
        good = [(f"{k}#{i}", args) for i in range(3) for k, args in tasks[-3:]]
        out = {k: ok for got in engine.run([crash] + good, timeout=30, in_flight=4) for k, ok, _ in got}
        assert out == {"crash.json": False, **{k: True for k, _ in good}}
    assert time.monotonic() - t0 < 90   # the hung task cost its time limit, not an hour
    assert _children() == before


def test_cli_ingest_with_two_dask_workers_exits_cleanly(tmp_path):
    recs = _corpus(tmp_path / "in", 6, seed=8, text=True)
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    proc = _run_ingest([str(tmp_path / "in"), "--db", db, "--engine", "dask", "--workers", "2", "--no-progress"],
                       os.environ.copy())
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert "入库 stored: 6" in err.decode()
    store = Store.open(db)
    try:
        assert store.counts()["reports"] == len({(r["meta"]["agency"], r["meta"]["year"]) for r in recs})
    finally:
        store.close()


def test_manifest_urls_are_fetched_with_their_time(tmp_path):
    """A manifest row may give a URL instead of a path (served here on loopback)."""
    import functools
    import http.server
    import threading
    rng = random.Random(41)
    site = tmp_path / "site"
    site.mkdir()
    rec = kit.record(rng, 2023)
    (site / "report.txt").write_text(kit.render_text(rec), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    man = tmp_path / "m.csv"
    man.write_text(f"url,agency,region,year\n{base}/report.txt,清河县人民政府,北川省青川市清河县,2023\n"
                   f"{base}/missing.txt,清河县人民政府,北川省青川市清河县,2022\n", encoding="utf-8")
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        res = ingest_paths(store, [], manifest=man, workers=1)
        assert len(res.stored) == 1 and [f["path"] for f in res.failed] == [f"{base}/missing.txt"]
        assert "404" in res.failed[0]["error"]
        rep = store.get_report(res.stored[0]["report_id"])
        assert rep["source"]["url"] == f"{base}/report.txt" and rep["source"]["fetched_at"] is not None
        assert rep["agency"]["name"] == "清河县人民政府" and rep["region"]["level"] == "county"
        assert store.source_bytes(rep["id"])[0] == (site / "report.txt").read_bytes()
    finally:
        store.close()
        server.shutdown()
