"""Time the web pages over a store of N generated reports: python benchmarks/web_pages.py [N]."""
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


def main(n: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    app = create_app(settings=Settings(store_url=f"sqlite:///{tmp / 'b.sqlite'}", secret_key="bench"))
    add_user(app.state.engine, "bench", "bench-password", "viewer")
    store = app.state.backend.store
    rng = random.Random(7)
    t0 = time.perf_counter()
    for i in range(n):
        rec = random_record(rng, "2021", 2021 + i % 4)
        rec["source"] = {"path": f"r{i}.json", "sha256": f"{i:064x}", "format": "html"}
        rec["findings"] = []
        rec["t3"]["rows"]["new"][6] += i % 3 == 0  # a third of them with a wrong total
        store.store_record(rec, data=b"x", filename=f"r{i}.html", sha256=f"{i:064x}")
    print(f"stored {n} records in {time.perf_counter() - t0:.1f} s")
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
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
