"""Time the web pages over a store of N generated reports: python benchmarks/web_pages.py [N] [--db FILE].

With ``--db FILE`` an existing SQLite store is used as it is (when the file exists) or
kept there (when it does not), so that two versions of the code can be timed on the
same data; opening an older store migrates it first (the time is printed).
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from nianbao.generate import random_record
from nianbao.web import create_app
from nianbao.web.auth import add_user
from nianbao.web.settings import Settings

REPEAT = 5


def main(n: int, db: Path | None = None) -> None:
    existing = db is not None and db.exists()
    db = db or Path(tempfile.mkdtemp()) / "b.sqlite"
    t0 = time.perf_counter()
    app = create_app(settings=Settings(store_url=f"sqlite:///{db}", secret_key="bench"))
    print(f"opened (and migrated) the store in {time.perf_counter() - t0:.1f} s")
    if not existing:
        add_user(app.state.engine, "bench", "bench-password", "viewer")
        fill(app.state.backend.store, n)
    pages(app)


def fill(store, n: int) -> None:
    rng = random.Random(7)
    t0 = time.perf_counter()
    for i in range(n):
        rec = random_record(rng, "2021", 2021 + i % 4)
        # four years of one agency each: N distinct reports (generated names repeat otherwise)
        rec["meta"]["agency"] = f"第{i // 4}{rec['meta']['agency']}"
        rec["source"] = {"path": f"r{i}.json", "sha256": f"{i:064x}", "format": "html"}
        rec["findings"] = []
        rec["t3"]["rows"]["new"][6] += i % 3 == 0  # a third of them with a wrong total
        store.store_record(rec, data=b"x", filename=f"r{i}.html", sha256=f"{i:064x}")
    print(f"stored {n} records in {time.perf_counter() - t0:.1f} s")


def pages(app) -> None:
    print(f"{app.state.backend.store.list_reports(limit=1)['total']} reports")
    c = TestClient(app)
    tok = c.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    c.post("/login", data={"name": "bench", "password": "bench-password", "csrf_token": tok})
    for url in ("/reports", "/reports?page=2", "/reports?page=100", "/reports?status=open", "/api/reports?limit=50",
                "/api/reports?limit=500", "/reports/1", "/compare?b=5", "/dashboard", "/api/stats",
                "/exports/download?format=csv"):
        c.get(url)  # warm: a long-running server has its caches filled
        times = []
        for _ in range(REPEAT):
            t = time.perf_counter()
            r = c.get(url)
            times.append((time.perf_counter() - t) * 1000)
        print(f"{url:32s} {r.status_code} median {statistics.median(times):7.0f} ms {len(r.content) / 1024:7.0f} KB")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--db")]
    dbs = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--db=")]
    main(int(args[0]) if args else 500, Path(dbs[0]) if dbs else None)
