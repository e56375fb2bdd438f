"""The collector against a mock government site on loopback: a column of three pages whose reports
are published in every format the project reads, with the troubles real sites have."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

import gov
from collect_site import Server, Site
from nianbao.collect import IngestOptions, Policy, collect, target
from nianbao.store import Store
from nianbao.store.schema import (Source, Version, collect_blobs, collect_documents, collect_entries,
                                  collect_entry_documents, collect_fetches)

COLUMN = "/zwgk/ndbg/index.html"
SLOW = 2.0          # the slow responses take this long …
POLICY = dict(per_host=2, delay=0.02, timeout=0.8, retries=2, backoff=0.1)   # … past this timeout


@pytest.fixture
def site(corpus):
    """A fresh site (hit counters at zero) served on a free loopback port."""
    holder = Site("gov")
    with Server(holder) as srv:
        built, reports = gov.gov_site(corpus, srv.base, slow=SLOW)
        holder.resources = built.resources
        holder.base, holder.reports = srv.base, reports
        yield holder


def _run(store, site, ingest=True, **kw):
    return collect(store, [target(site.base + COLUMN)], Policy(**POLICY),
                   ingest=IngestOptions(workers=2, timeout=180) if ingest else None, **kw)


def _count(store, table) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table))


def _fetch_rows(store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(collect_fetches)).mappings()]


def _assert_every_report_stored_once_with_its_origin(store, site):
    base, reports = site.base, site.reports
    assert store.counts()["reports"] == len(gov.REPORTED)
    with store.session() as s:
        sources = {src.url: src for src in s.scalars(select(Source))}
    # the duplicate PDF (two addresses) is one source
    assert len(sources) == len(gov.REPORTED)
    for key in gov.REPORTED:
        rep = reports[key]
        meta = rep.record["meta"]
        rid = store.find_report(meta["agency"], meta["year"])
        assert rid is not None, f"{key}: {meta['agency']} {meta['year']} not stored"
        got = store.get_report(rid)
        assert got["source"]["url"] == base + rep.source, key
        assert got["source"]["fetched_at"] is not None
        assert got["source"]["has_bytes"]
        data, _, _ = store.source_bytes(rid)
        assert hashlib.sha256(data).hexdigest() == got["source"]["sha256"]
        src = got["record"]["source"]
        assert src["url"] == base + rep.source and src["title"] == rep.title
        assert src["page_url"] == (base + rep.page if rep.page else None), key
        assert got["record"].get("t3") or got["record"].get("legacy"), f"{key}: the source holds no table"
        assert len(got["versions"]) == 1
    # the page is kept beside each attached report, both traceable to the entry and the report
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(collect_entries.c.url, collect_entries.c.report_id, collect_entry_documents.c.role,
                   collect_documents.c.url, collect_fetches.c.sha256)
            .select_from(collect_entries.join(collect_entry_documents,
                                              collect_entry_documents.c.entry_id == collect_entries.c.id)
                         .join(collect_documents, collect_documents.c.id == collect_entry_documents.c.document_id)
                         .outerjoin(collect_fetches, collect_fetches.c.id == collect_documents.c.fetch_id))).all()
    by_entry: dict[str, dict] = {}
    for entry, report_id, role, url, sha in rows:
        by_entry.setdefault(entry, {"report": report_id, "docs": {}})["docs"][url] = (role, sha)
    for key in ("chromium_pdf", "doc", "wps", "txt", "flaky", "lo_pdf", "docx"):
        rep = reports[key]
        e = by_entry[base + rep.entry]
        assert e["report"] == store.find_report(rep.record["meta"]["agency"], rep.record["meta"]["year"])
        assert e["docs"][base + rep.page][0] == "page" and e["docs"][base + rep.page][1]
        assert e["docs"][base + rep.source][0] == "attachment"
    # the spreadsheet is kept beside the PDF; the attachment that never answered is linked, without content
    lo = by_entry[base + reports["lo_pdf"].entry]["docs"]
    assert lo[base + "/files/lo_tables.xls"][1] is not None
    assert by_entry[base + reports["docx"].entry]["docs"][base + "/files/never.pdf"][1] is None
    # the second page of one report, its PDF under another address: the same report
    dup = by_entry[base + "/zwgk/ndbg/2024/t_dup.html"]
    assert dup["report"] == by_entry[base + reports["chromium_pdf"].entry]["report"]


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_collect_column_ingest_then_second_run_fetches_nothing(db_url, site):
    store = Store.open(db_url)
    try:
        res = _run(store, site)
        base = site.base
        # --- the crawl
        assert len(res.entries) == 15  # 12 reports, the duplicate page, the lost page, the disallowed page
        failed = {f["url"]: f["reason"] for f in res.failed}
        assert failed == {base + "/zwgk/ndbg/2021/t_missing.html": "http-404", base + "/files/never.pdf": "timeout"}
        assert {s["url"] for s in res.skipped if s["reason"] == "robots"} == {base + "/private/t_robots.html"}
        hits = site.log
        assert not [p for p in site.started if p.startswith("/private/")], "a disallowed address was fetched"
        assert hits[0].path == "/robots.txt" and sum(h.path == "/robots.txt" for h in hits) == 1
        assert all(h.user_agent.startswith("nianbao/") for h in hits)
        assert not [h for h in hits if "notice" in h.path], "a link that is no report was followed"
        assert [h.status for h in hits if h.path.endswith("P0flaky_report.docx")] == [500, 200]
        slow = sorted((h for h in hits if h.path.endswith("t_slow.html")), key=lambda h: h.start)
        assert len(slow) == 2 and slow[1].status == 200
        assert site.started.count("/files/never.pdf") == POLICY["retries"] + 1
        assert sum(h.path == "/zwgk/ndbg/index_1.html" for h in hits) == 1   # each page once
        fetches = {r["url"]: r for r in _fetch_rows(store)}
        red = fetches[base + "/zwgk/ndbg/old/redirect.html"]
        assert red["final_url"] == base + "/zwgk/ndbg/2022/t_redirect.html"
        assert red["redirects"] == [[301, base + "/tmp/moved.html"], [302, base + "/zwgk/ndbg/2022/t_redirect.html"]]
        for url, row in fetches.items():
            assert row["status"] == 200 and row["etag"] and row["last_modified"] and row["content_type"], url
            body = site.resources[row["final_url"][len(base):]].body
            assert row["sha256"] == hashlib.sha256(body).hexdigest() and row["size"] == len(body), url
        assert fetches[base + "/files/docx_report.docx"]["filename"] == "年报.docx"
        # the duplicate attachment: two addresses, one blob
        assert fetches[base + "/upload/dup.pdf"]["sha256"] == \
            fetches[base + site.reports["chromium_pdf"].source]["sha256"]
        assert _count(store, collect_blobs) == len({r["sha256"] for r in fetches.values()}) == len(fetches) - 1
        # --- the store
        ing = res.ingest
        assert not ing.failed, ing.failed
        assert len(ing.stored) == len(gov.REPORTED) and len(ing.duplicate) == 1
        _assert_every_report_stored_once_with_its_origin(store, site)

        # --- a second run: conditional requests, nothing new fetched or stored
        n_fetches, n_blobs, n_versions = len(fetches), _count(store, collect_blobs), store.counts()["versions"]
        site.settle()
        site.clear_log()
        again = _run(store, site)
        new_content = [h.path for h in site.log if h.status == 200 and h.path != "/robots.txt"]
        assert new_content == [], f"fetched again: {new_content}"
        known = [h for h in site.log if h.status == 304]
        assert known and all(h.conditional for h in known)
        assert again.new == again.changed == 0 and again.unchanged == n_fetches
        assert len(_fetch_rows(store)) == n_fetches and _count(store, collect_blobs) == n_blobs
        assert store.counts()["versions"] == n_versions
        assert not again.ingest.stored and not again.ingest.failed
        assert len(again.ingest.unchanged) == len(gov.REPORTED) + 1
    finally:
        store.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_changed_page_is_fetched_again_and_becomes_a_new_version(store, site):
    _run(store, site)
    rep = site.reports["html"]
    page = site.resources[rep.source]
    old_sha = hashlib.sha256(page.body).hexdigest()
    page.body = page.body.replace("</body>".encode(), "<p>（本页于2024年3月更新）</p></body>".encode())
    page.modified += 3600
    res = _run(store, site)
    assert res.changed == 1 and res.new == 0
    assert len(res.ingest.stored) == 1 and res.ingest.stored[0]["url"] == site.base + rep.entry
    rid = store.find_report(rep.record["meta"]["agency"], rep.record["meta"]["year"])
    assert [v["number"] for v in store.get_report(rid)["versions"]] == [1, 2]
    with store.engine.connect() as conn:
        shas = conn.execute(select(collect_fetches.c.sha256).where(collect_fetches.c.url == site.base + rep.source)
                            .order_by(collect_fetches.c.id)).scalars().all()
        assert shas[0] == old_sha and len(shas) == 2
        # the bytes it served before are kept
        assert conn.scalar(select(func.count()).select_from(collect_blobs)
                           .where(collect_blobs.c.sha256 == old_sha)) == 1


def test_since_leaves_older_reports_unfetched(store, site):
    res = _run(store, site, ingest=False, since=2022)
    fetched = {h.path for h in site.log}
    for key, rep in site.reports.items():
        if key == "robots":
            continue
        if rep.record["meta"]["year"] < 2022:
            assert rep.entry not in fetched and rep.source not in fetched, key
        else:
            assert rep.entry in fetched, key
    assert {s["url"] for s in res.skipped if s["reason"] == "since"} >= \
        {site.base + r.entry for k, r in site.reports.items() if r.record["meta"]["year"] < 2022 and k != "robots"}


def _cli(args, env):
    return subprocess.Popen([sys.executable, "-m", "nianbao.cli.__main__", "collect", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


# PostgreSQL's transactions are the server's; SQLite's, a file's: the kill is tested where it can hurt
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_kill_9_in_the_middle_then_rerun_loses_and_duplicates_nothing(db_url, site):
    env = {**os.environ, "NIANBAO_LANG": "zh"}
    args = [site.base + COLUMN, "--db", db_url, "--ingest", "--workers", "2", "--no-progress", "--delay", "0.25",
            "--timeout", str(POLICY["timeout"]), "--retries", "2"]
    store = Store.open(db_url)

    def kill_when(ready):
        proc = _cli(args, env)
        try:
            deadline = time.monotonic() + 120
            while not ready():
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.02)
            os.killpg(proc.pid, signal.SIGKILL)   # the command and its extraction workers
            proc.wait()
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)

    try:
        # killed in the middle of the crawl (28 requests 0.25 s apart), then in the middle of the extraction
        kill_when(lambda: _count(store, collect_fetches) >= 8)
        assert 8 <= _count(store, collect_fetches) < 25
        kill_when(lambda: store.counts()["versions"] >= 1)
        assert store.counts()["versions"] < len(gov.REPORTED)
        done = _cli(args[:args.index("--delay") + 1] + ["0.02"] + args[args.index("--delay") + 2:], env)
        out, err = done.communicate(timeout=240)
        assert done.returncode == 1, err.decode()  # the lost page and the attachment that never answers
        assert "t_missing.html" in err.decode()
        # every address once, every content once, every report once
        rows = _fetch_rows(store)
        urls = [r["url"] for r in rows]
        assert len(urls) == len(set(urls)) == 25, sorted(urls)
        assert _count(store, collect_blobs) == 24
        with store.engine.connect() as conn:
            entries = conn.execute(select(collect_entries.c.url)).scalars().all()
        assert len(entries) == len(set(entries)) == 15
        _assert_every_report_stored_once_with_its_origin(store, site)
        with store.session() as s:
            assert s.scalar(select(func.count()).select_from(Version)) == len(gov.REPORTED)
    finally:
        store.close()
