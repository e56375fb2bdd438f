"""Web under load: 50 clients for 60 s on the report list, a report's page and the statistics.

    .venv/bin/python benchmarks/web_load.py                    # 10,000 reports, 50 clients, 60 s
    .venv/bin/python benchmarks/web_load.py --reports 2000 --clients 20 --seconds 15   # quicker
    .venv/bin/python benchmarks/web_load.py --db FILE          # keep (or reuse) the store

A store of generated reports is written with ``Store.store_records``; ``nianbao serve`` runs
pinned to CPU 0 and the clients (asyncio + httpx, in this process) to CPU 1, so the server has
one core of its own. Each client signs in and loops: ``/api/reports`` (a page of 50),
``/api/reports/{id}`` (a report with its findings), ``/api/stats`` (the dashboard's figures),
and the HTML pages ``/reports`` and ``/dashboard``. Printed: requests/s and p50/p99 per
endpoint, beside the baseline of the same run: the same clients on ``/api/me`` (a request that
reads nothing but the session), which is what the server and the client cost by themselves.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "store"))
PASSWORD = "load-test-horse-9"
REGIONS = ["江州省江州市北湖区", "江州省江州市南湖区", "江州省临川市", "临海省临海市东湖区", "临海省临海市西湖区",
           "北川省青川市清河县", "云岭省南屏市"]


def build_store(url: str, n: int) -> None:
    import kit
    from nianbao.store import Doc, Store
    from nianbao.web.auth import add_user
    rng = random.Random(11)
    store = Store.open(url)
    try:
        have = store.counts()["reports"]
        docs = []
        for i in range(have, n):
            region = REGIONS[i % len(REGIONS)]
            docs.append(Doc(record=kit.record(rng, 2019 + i % 5, agency=f"{region[-3:]}第{i // 5}局", region=region)))
            if len(docs) == 500:
                store.store_records(docs)
                docs = []
        if docs:
            store.store_records(docs)
        try:
            add_user(store.engine, "load", PASSWORD, "viewer")
        except Exception:
            pass  # kept from an earlier run
    finally:
        store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def login(client) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    await client.post("/login", data={"name": "load", "password": PASSWORD, "csrf_token": token, "next": "/reports"})


async def run_load(base: str, clients: int, seconds: float, paths_of, ids: list[int],
                   cookies: dict) -> dict[str, list[float]]:
    """``clients`` clients (one signed-in session, as the same user in several tabs) for ``seconds``."""
    import httpx
    out: dict[str, list[float]] = {}
    errors: list[str] = []
    end = time.monotonic() + seconds

    async def one(k: int):
        rng = random.Random(k)
        async with httpx.AsyncClient(base_url=base, timeout=60, follow_redirects=True, cookies=cookies) as c:
            while time.monotonic() < end:
                name, path = paths_of(rng, ids)
                t = time.perf_counter()
                r = await c.get(path)
                out.setdefault(name, []).append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors.append(f"{path}: {r.status_code}")
    await asyncio.gather(*(one(k) for k in range(clients)))
    if errors:
        print(f"  {len(errors)} errors, e.g. {errors[:3]}")
    return out


def report(title: str, lat: dict[str, list[float]], seconds: float) -> None:
    total = sum(len(v) for v in lat.values())
    allv = sorted(x for v in lat.values() for x in v)
    print(f"{title}: {total / seconds:.0f} requests/s, p50 {statistics.median(allv) * 1e3:.0f} ms, "
          f"p99 {allv[int(len(allv) * 0.99) - 1] * 1e3:.0f} ms")
    for name, v in sorted(lat.items()):
        v = sorted(v)
        print(f"  {name:<22} {len(v) / seconds:7.1f} req/s   p50 {statistics.median(v) * 1e3:6.0f} ms   "
              f"p99 {v[int(len(v) * 0.99) - 1] * 1e3:6.0f} ms")


def mixed(rng, ids):
    k = rng.randrange(10)
    if k < 3:
        return "GET /api/reports", f"/api/reports?limit=50&offset={rng.randrange(0, 50) * 50}"
    if k < 6:
        return "GET /api/reports/{id}", f"/api/reports/{rng.choice(ids)}"
    if k < 8:
        return "GET /api/stats", "/api/stats" + rng.choice(["", "?year=2021", "?level=county", "?year=2022"])
    if k < 9:
        return "GET /reports (page)", "/reports"
    return "GET /dashboard (page)", "/dashboard"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--db", help="SQLite file to keep (or reuse)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nianbao-load-"))
    db = Path(args.db) if args.db else work / "load.sqlite"
    url = f"sqlite:///{db}"
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    t = time.perf_counter()
    build_store(url, args.reports)
    print(f"store of {args.reports} reports ready in {time.perf_counter() - t:.1f} s")
    port = free_port()
    cmd = [sys.executable, "-m", "nianbao.cli.__main__", "serve", "--db", url, "--port", str(port)]
    pin = shutil.which("taskset")
    server = subprocess.Popen(([pin, "-c", "0"] if pin else []) + cmd, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {1})
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        import httpx
        with httpx.Client(base_url=base, follow_redirects=True) as c:
            page = c.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            c.post("/login", data={"name": "load", "password": PASSWORD, "csrf_token": token, "next": "/reports"})
            ids = [r["id"] for r in c.get("/api/reports", params={"limit": 500}).json()]
            cookies = dict(c.cookies)
            t = time.perf_counter()
            c.get("/api/stats")
            cold = time.perf_counter() - t
            t = time.perf_counter()
            c.get("/api/stats")
            warm = time.perf_counter() - t
        print(f"/api/stats once: {cold * 1e3:.0f} ms (computed), then {warm * 1e3:.0f} ms (cached until a write)")
        base_secs = max(5.0, args.seconds / 6)
        lat = asyncio.run(run_load(base, args.clients, base_secs, lambda rng, ids: ("GET /api/me", "/api/me"), ids,
                                   cookies))
        report(f"baseline, {args.clients} clients × {base_secs:.0f} s on /api/me", lat, base_secs)
        lat = asyncio.run(run_load(base, args.clients, args.seconds, mixed, ids, cookies))
        report(f"{args.clients} clients × {args.seconds:.0f} s, list / detail / stats", lat, args.seconds)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.db:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
