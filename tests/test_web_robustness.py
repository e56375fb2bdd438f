"""Hostile uploads through the web API of a real server, while another client reads pages.

Each file of ``../shared/robustness/`` (inputs that once hung the extractor, or took gigabytes)
is uploaded; every upload must end stored or failed with its reason, the reader's p99 stay
under 300 ms and the server process stay under 1 GB: the extraction runs in bounded worker
processes, never in the server.
"""
from __future__ import annotations

import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROBUSTNESS = ROOT / ".." / "shared" / "robustness"
PASSWORD = "robust-horse-7"

httpx = pytest.importorskip("httpx")
psutil = pytest.importorskip("psutil")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(url: str, n: int = 300) -> None:
    """A store with reports to read, and a reviewer."""
    sys.path.insert(0, str(ROOT / "tests" / "store"))
    import kit
    from nianbao.store import Doc, Store
    from nianbao.web.auth import add_user
    rng = random.Random(3)
    store = Store.open(url)
    try:
        store.store_records([Doc(record=kit.record(rng, 2021 + i % 3, agency=f"第{i}局",
                                                    region=["江州省江州市", "临海省临海市东湖区"][i % 2]))
                             for i in range(n)])
        add_user(store.engine, "rev", PASSWORD, "reviewer")
    finally:
        store.close()


def _login(client) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"name": "rev", "password": PASSWORD, "csrf_token": token, "next": "/reports"})
    assert r.status_code in (200, 303), r.text
    client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]


def test_hostile_uploads_end_stored_or_failed_while_the_server_keeps_serving(tmp_path):
    if not ROBUSTNESS.is_dir():
        pytest.skip("../shared/robustness is not beside the repository")
    files = sorted(p for p in ROBUSTNESS.iterdir() if p.is_file() and p.suffix != ".md")
    assert len(files) >= 10
    url = f"sqlite:///{tmp_path / 'web.sqlite'}"
    _seed(url)
    port = _free_port()
    env = {**os.environ, "NIANBAO_UPLOAD_TIMEOUT": "20", "NIANBAO_UPLOAD_MEMORY_MB": "1024",
           "NIANBAO_UPLOAD_WORKERS": "1"}
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "nianbao.cli.__main__", "serve", "--db", url, "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(0.1)
        proc = psutil.Process(server.pid)
        rss: list[int] = []
        latencies: list[float] = []
        errors: list[str] = []
        stop = threading.Event()

        def read_pages():
            with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as c:
                _login(c)
                ids = [r["id"] for r in c.get("/api/reports", params={"limit": 100}).json()]
                paths = ["/reports", "/api/reports?limit=50", "/api/stats", "/dashboard"]
                i = 0
                while not stop.is_set():
                    path = paths[i % len(paths)] if i % 2 else f"/api/reports/{ids[i % len(ids)]}"
                    t0 = time.perf_counter()
                    r = c.get(path)
                    latencies.append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        errors.append(f"{path}: {r.status_code}")
                    i += 1

        def watch_memory():
            while not stop.is_set():
                rss.append(proc.memory_info().rss)
                time.sleep(0.2)

        threads = [threading.Thread(target=read_pages), threading.Thread(target=watch_memory)]
        for t in threads:
            t.start()
        with httpx.Client(base_url=base, timeout=60) as up:
            _login(up)
            jobs = {}
            for f in files:
                r = up.post("/api/reports", files={"files": (f.name, f.read_bytes())})
                assert r.status_code == 202, r.text
                row = r.json()[0]
                jobs[f.name] = row
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                for name, row in jobs.items():
                    if row.get("job") and row["status"] in ("queued", "running"):
                        jobs[name] = up.get(f"/api/jobs/{row['job']}").json()
                if all(r["status"] in ("done", "failed") for r in jobs.values()):
                    break
                time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join()
        unfinished = {n: r["status"] for n, r in jobs.items() if r["status"] not in ("done", "failed")}
        assert not unfinished, unfinished
        for name, r in jobs.items():
            if r["status"] == "failed":
                assert r["message"].strip(), name  # a failure always says why
            else:
                assert r["id"] is not None, name
        # the files that once hung or ballooned fail with their reason (timeout or memory), or are read
        for name in ("h01_digit_split_memory_4KB.txt", "h02_blocks_parts_for_hang_6KB.txt"):
            r = jobs[name]
            assert r["status"] == "done" or re.search(r"超时|内存|timed out|memory", r["message"]), (name, r)
        assert not errors, errors[:5]
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(f"\nreader: {len(latencies)} requests, p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms; server RSS max {max(rss) / 2**20:.0f} MB; "
              + ", ".join(f"{n}: {r['status']}" for n, r in jobs.items()))
        assert len(latencies) > 50
        assert p99 < 0.300, f"reader p99 {p99 * 1000:.0f} ms"
        assert max(rss) < 1024 * 2**20, f"server RSS {max(rss) / 2**20:.0f} MB"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
