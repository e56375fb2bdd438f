"""Store speed: ingest of generated text reports, and `stats` queries over a million report rows.

    .venv/bin/python benchmarks/store_speed.py                 # 10,000 reports; 1,000,000 rows
    .venv/bin/python benchmarks/store_speed.py --docs 500 --rows 100000   # quicker
    .venv/bin/python benchmarks/store_speed.py --pg postgresql://user@host:5432   # on a PostgreSQL server
    .venv/bin/python benchmarks/store_speed.py --pg temp      # on a throwaway PostgreSQL 15 cluster

Part 1 renders generated records (nianbao.generate.records) as plain-text reports, then
runs the real ingest (process pool, real extractor) with 1 and with 2 workers into fresh
stores: docs/s and store size.
Part 2 bulk-inserts synthetic rows into ``report_facts`` (the table `stats` reads) of a
fresh store, then times typical `stats` and `list` calls (median of 5 runs).

With ``--pg`` each store is a new database on that server (the URL names the server, no
database; the role needs CREATEDB); ``temp`` runs initdb into a temporary folder and
starts the server on a free loopback port with PostgreSQL's default durability settings.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nianbao.generate.records import random_record  # noqa: E402
from nianbao.ingest import ingest_paths  # noqa: E402
from nianbao.store import Store  # noqa: E402
from nianbao.store.facts import FACT_COLUMNS  # noqa: E402
from nianbao.template import T3_ROW_BY_KEY, T4_GROUPS  # noqa: E402


def render_text(rec: dict) -> str:
    m = rec["meta"]
    lines = [f"{m['agency']}{m['year']}年政府信息公开工作年度报告", "", "一、总体情况",
             "本机关认真贯彻落实政府信息公开条例，全面推进政务公开工作。", ""]
    for key, vals in (rec.get("t3") or {}).get("rows", {}).items():
        lines.append(T3_ROW_BY_KEY[key].label + " | " + " | ".join(str(v) for v in vals))
    for key, label, _ in T4_GROUPS:
        if rec.get("t4"):
            lines.append(label + " | " + " | ".join(str(v) for v in rec["t4"][key]))
    return "\n".join(lines) + "\n"


def province_agencies() -> list[tuple[str, str, str]]:
    """(agency, region, kind) for every government and department of the province with the most
    counties (its cities and counties, each a government and the generator's departments):
    the reports a province's office collects in a year, ~1,800 agencies."""
    from nianbao import gazetteer
    from nianbao.generate.records import DEPARTMENTS
    current = [p for p in gazetteer.places() if p.code]
    counts: dict[str, int] = {}
    for p in current:
        if p.level == gazetteer.COUNTY:
            counts[p.chain[0]] = counts.get(p.chain[0], 0) + 1
    province = max(sorted(counts), key=counts.get)
    out = []
    for p in sorted((p for p in current if p.chain[0] == province and p.level != gazetteer.PROVINCE),
                    key=lambda p: p.code):
        if p.level == gazetteer.CITY:
            out.append((f"{p.name}人民政府办公室", p.full, "government"))
            out += [(f"{p.name}{d}", p.full, "department") for d in DEPARTMENTS]
        elif len(p.chain) == 3:  # a county under its city
            base = p.chain[1] + p.name
            out.append((f"{base}人民政府", p.full, "government"))
            out += [(f"{base}{d}", p.full, "department") for d in DEPARTMENTS]
    return out


YEARS = tuple(range(2019, 2026))


def corpus_records(n: int, seed: int = 1, revised: bool = False) -> list[dict]:
    """``n`` reports of the province's agencies over 2019–2025, each (agency, year) once, in a
    shuffled order (a folder of downloads: neighbouring years of an agency arrive in the same batch or
    not). ``revised``: different figures for the same (agency, year)s — a re-crawl that finds revised
    files, each stored as a new version of its report."""
    rng = random.Random(seed)
    keys = [(a, y) for y in YEARS for a in province_agencies()]
    if n > len(keys):
        raise SystemExit(f"--docs {n}: the province has {len(keys)} agency-years")
    keys = random.Random(1).sample(keys, n)
    if revised:
        rng = random.Random(seed + 1000)
    out = []
    for (agency, region, kind), year in keys:
        rec = random_record(rng, "2021" if year >= 2021 else "2019", year)
        rec["meta"].update(agency=agency, region=region, kind=kind)
        out.append(rec)
    return out


def make_corpus(folder: Path, n: int, seed: int = 1, revised: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, rec in enumerate(corpus_records(n, seed, revised)):
        (folder / f"r{i:05d}.txt").write_text(render_text(rec), encoding="utf-8")


def size_of(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


class SqliteTarget:
    """Stores as SQLite files in the work folder."""
    name = "SQLite"

    def __init__(self, work: Path):
        self.work = work

    def new_url(self, name: str) -> str:
        return f"sqlite:///{self.work / (name + '.sqlite')}"

    def size(self, store: Store) -> int:
        with store.engine.connect() as conn:  # fold the WAL into the file before measuring
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return size_of(Path(store.engine.url.database))

    def close(self) -> None:
        pass


class PgTarget:
    """Stores as new databases on a PostgreSQL server (one started here for ``temp``)."""
    name = "PostgreSQL"

    def __init__(self, server: str, work: Path):
        self.cluster = None
        if server == "temp":
            self.cluster = TempCluster(work / "pg")
            server = self.cluster.url
        self.server = server.rstrip("/")
        self.run = f"{os.getpid()}_{int(time.time())}"

    def new_url(self, name: str) -> str:
        import psycopg
        db = f"bench_{name.replace('-', '_')}_{self.run}"
        with psycopg.connect(self.server + "/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db}"')
        return f"{self.server}/{db}"

    def size(self, store: Store) -> int:
        with store.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()

    def close(self) -> None:
        if self.cluster:
            self.cluster.stop()


class TempCluster:
    """initdb + pg_ctl start on 127.0.0.1 (as the postgres user when run as root), stopped at the end."""

    def __init__(self, base: Path, bin_dir: str = os.environ.get("NIANBAO_PG_BIN", "/usr/lib/postgresql/15/bin")):
        import shutil as sh
        import socket
        self.bin, self.base = Path(bin_dir), base
        if not (self.bin / "initdb").exists():
            raise SystemExit(f"PostgreSQL not found in {self.bin} (set NIANBAO_PG_BIN)")
        self.data, sock = base / "data", base / "sock"
        for d in (base, self.data, sock):
            d.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                sh.chown(d, "postgres")
        base.chmod(0o755)
        base.parent.chmod(0o755)  # the postgres user must reach the data folder
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--locale=C.UTF-8"])
        # default durability (fsync, synchronous_commit on): figures as a real server gives them
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(base / "server.log"), "-w", "-o",
                   f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c shared_buffers=512MB", "start"])
        self.url = f"postgresql://postgres@127.0.0.1:{port}"

    def _run(self, cmd: list[str]) -> None:
        import subprocess
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr or done.stdout}")

    def stop(self) -> None:
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])


def bench_extract_only(corpus: Path, workers: int) -> tuple[dict, list]:
    """The baseline: the same files through the same bounded pool, extracted and checked, nothing stored."""
    from nianbao.ingest.pool import run_tasks
    files = sorted(corpus.glob("*.txt"))
    tasks = ((str(f), (str(f), None, f.name)) for f in files)
    t = time.perf_counter()
    records = []
    for got in run_tasks("nianbao.ingest.worker:extract_task", tasks, workers=workers, timeout=120):
        records += [(key, payload) for key, ok, payload in got if ok]
    dt = time.perf_counter() - t
    return {"workers": workers, "docs": len(records), "seconds": dt, "docs_per_s": len(records) / dt}, records


def bench_store_only(records: list, target) -> dict:
    """The writer alone: extracted records stored in batches of 200 (what the ingest's writer thread does)."""
    import hashlib
    from nianbao.store import Doc
    store = Store.open(target.new_url("store-only"))
    docs = []
    for key, rec in records:
        data = Path(key).read_bytes()
        docs.append(Doc(record=rec, data=data, path=key, filename=Path(key).name,
                        sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
    t = time.perf_counter()
    for i in range(0, len(docs), 200):
        store.store_records(docs[i:i + 200])
    dt = time.perf_counter() - t
    store.close()
    return {"docs": len(docs), "seconds": dt, "docs_per_s": len(docs) / dt}


def bench_ingest(corpus: Path, workers: int, target) -> tuple[dict, Store]:
    store = Store.open(target.new_url(f"ingest-{workers}"))
    empty = target.size(store)  # the schema alone (PostgreSQL's catalogue is ~7 MB per database)
    t = time.perf_counter()
    res = ingest_paths(store, [corpus], workers=workers, timeout=120)
    dt = time.perf_counter() - t
    size = target.size(store) - empty
    return {"workers": workers, "stored": len(res.stored), "failed": len(res.failed), "seconds": dt,
            "docs_per_s": len(res.stored) / dt, "size_mb": size / 1e6}, store


def bench_reingest(store: Store, corpus: Path) -> dict:
    t = time.perf_counter()
    res = ingest_paths(store, [corpus], workers=1, timeout=120)
    dt = time.perf_counter() - t
    return {"stored": len(res.stored), "failed": len(res.failed), "seconds": dt, "docs_per_s": len(res.stored) / dt}


def _facts_rows(rows: int, seed: int):
    """Synthetic regions, agencies and report_facts rows over a realistic region tree
    (31 provinces, ~330 cities, ~2800 counties)."""
    rng = random.Random(seed)
    regions, counties = [], []
    rid = 0
    for p in range(31):
        rid += 1
        prov = rid
        regions.append((prov, f"省{p}", f"省{p}", "province", None))
        for c in range(11):
            rid += 1
            city = rid
            regions.append((city, f"市{c}", f"省{p}市{c}", "city", prov))
            for k in range(9):
                rid += 1
                regions.append((rid, f"县{k}", f"省{p}市{c}县{k}", "county", city))
                counties.append((prov, city, rid))
    n_agencies = max(1, rows // 10)  # ten years per agency
    agencies = []
    for a in range(1, n_agencies + 1):
        prov, city, county = rng.choice(counties)
        level = rng.choices(["province", "city", "county", "township"], [1, 5, 12, 3])[0]
        agencies.append((a, prov, city, county if level in ("county", "township") else None, level))
    agency_rows = [(a, f"机关{a}", county or city or prov, "department", lv) for a, prov, city, county, lv in agencies]

    def facts():
        rid = 0
        for a, prov, city, county, level in agencies:
            for year in range(2014, 2024):
                rid += 1
                if rid > rows:
                    return
                vals = [float(rng.randint(0, 300)) for _ in FACT_COLUMNS]
                yield (rid, rid, a, county or city or prov, prov, city, county, level, "department", year,
                       "2021" if year >= 2021 else "2019", rng.randint(0, 3), rng.randint(0, 2), True, *vals)

    def reports():  # the rows report_facts points to (PostgreSQL checks the foreign key)
        from datetime import datetime, timezone
        at = datetime.now(timezone.utc)
        rid = 0
        for a, *_rest in agencies:
            for year in range(2014, 2024):
                rid += 1
                if rid > rows:
                    return
                yield rid, a, year, rid, at
    return regions, agency_rows, facts(), reports()


FACT_INSERT_COLUMNS = ["report_id", "version_id", "agency_id", "region_id", "province_id", "city_id", "county_id",
                       "level", "kind", "year", "template", "n_findings", "n_open", "has_t3", *FACT_COLUMNS]


def fill_facts(url: str, rows: int, seed: int = 2) -> None:
    """Bulk-load synthetic rows the fastest way each backend has, then rebuild the rollup."""
    Store.open(url).close()  # schema via the migrations
    regions, agency_rows, facts, reports = _facts_rows(rows, seed)
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.split("///", 1)[1])
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=OFF")
        con.executemany("INSERT INTO regions (id, name, full_name, level, parent_id) VALUES (?,?,?,?,?)", regions)
        con.executemany("INSERT INTO agencies (id, name, region_id, kind, level) VALUES (?,?,?,?,?)", agency_rows)
        sql = f"INSERT INTO report_facts ({', '.join(FACT_INSERT_COLUMNS)}) " \
              f"VALUES ({', '.join('?' * len(FACT_INSERT_COLUMNS))})"
        batch = []
        for row in facts:
            batch.append(row)
            if len(batch) >= 20000:
                con.executemany(sql, batch)
                batch.clear()
        if batch:
            con.executemany(sql, batch)
        con.commit()
        con.close()
    else:
        import psycopg
        with psycopg.connect(url) as conn, conn.cursor() as cur:
            for table, cols, data in (("regions", "id, name, full_name, level, parent_id", regions),
                                      ("agencies", "id, name, region_id, kind, level", agency_rows),
                                      ("reports", "id, agency_id, year, current_version_id, created_at", reports),
                                      ("report_facts", ", ".join(FACT_INSERT_COLUMNS), facts)):
                with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
    store = Store.open(url)
    t = time.perf_counter()
    store.rebuild_rollup()  # what ingest maintains row by row, rebuilt in one pass after the bulk load
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        n = conn.exec_driver_sql("SELECT count(*) FROM facts_rollup").scalar()
    store.close()
    print(f"rollup rebuilt in {time.perf_counter() - t:.1f} s: {n:,} rows")


def timed(fn, repeat: int = 5) -> float:
    fn()  # warm the page cache, as a long-running server would be
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def bench_stats(url: str) -> list[tuple[str, float]]:
    store = Store.open(url)
    queries = [
        ("stats by province (all years, all metrics)", lambda: store.stats(["province"])),
        ("stats by province × year", lambda: store.stats(["province", "year"])),
        ("stats by level, year=2023 (+ yoy from 2022)", lambda: store.stats(["level"], {"year": 2023})),
        ("stats by year, one province", lambda: store.stats(["year"], {"region": "省3"})),
        ("stats by county, one city, year=2023", lambda: store.stats(["county"], {"region": "省3市4", "year": 2023})),
        ("ranking: agencies by 公开率, year=2023, top 20",
         lambda: store.stats(["agency"], {"year": 2023}, metrics=["公开率"], rank="公开率", top=20)),
        ("list reports: county level, 2023, page 3", lambda: store.list_reports(level="county", year=2023, offset=100)),
    ]
    out = [(name, timed(fn)) for name, fn in queries]
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg", metavar="URL|temp", help="run on PostgreSQL: a server URL, or temp for a throwaway one")
    ap.add_argument("--skip-ingest", action="store_true")
    ap.add_argument("--skip-stats", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    target = PgTarget(args.pg, work) if args.pg else SqliteTarget(work)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; backend: {target.name}")
    try:
        if not args.skip_ingest:
            corpus = work / "corpus"
            t = time.perf_counter()
            make_corpus(corpus, args.docs)
            print(f"generated {args.docs} text reports in {time.perf_counter() - t:.1f} s")
            base, records = bench_extract_only(corpus, 1)
            print(f"baseline, extraction only (same pool, nothing stored), 1 worker: {base['docs']} docs, "
                  f"{base['seconds']:.1f} s, {base['docs_per_s']:.1f} docs/s", flush=True)
            w = bench_store_only(records, target)
            print(f"storing only (the writer, batches of 200, one process): {w['docs']} docs, {w['seconds']:.1f} s, "
                  f"{w['docs_per_s']:.1f} docs/s", flush=True)
            del records
            for w in (1, 2):
                r, store = bench_ingest(corpus, w, target)
                print(f"ingest, {w} worker(s): {r['stored']} stored, {r['failed']} failed, {r['seconds']:.1f} s, "
                      f"{r['docs_per_s']:.1f} docs/s, store {r['size_mb']:.1f} MB "
                      f"({r['size_mb'] * 1e3 / max(1, r['stored']):.1f} kB/report)", flush=True)
                if w == 2:
                    revised = work / "revised"
                    make_corpus(revised, max(1, args.docs // 10), revised=True)
                    r = bench_reingest(store, revised)
                    print(f"re-ingest of {r['stored']} revised reports (each a new version of a stored report: "
                          f"decisions carried over, corrections re-applied, one transaction each), 1 worker: "
                          f"{r['seconds']:.1f} s, {r['docs_per_s']:.1f} docs/s", flush=True)
                store.close()
        if not args.skip_stats:
            url = target.new_url("facts")
            t = time.perf_counter()
            fill_facts(url, args.rows)
            print(f"bulk-inserted {args.rows:,} report rows in {time.perf_counter() - t:.1f} s")
            for name, ms in bench_stats(url):
                print(f"  {ms:8.1f} ms  {name}")
    finally:
        target.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
