"""Collect speed: 1,000 reports from a mock government site on loopback, per host as its server saw it.

    .venv/bin/python benchmarks/collect_speed.py                        # 1,000 reports on 3 hosts
    .venv/bin/python benchmarks/collect_speed.py --reports 200 --per-host 2 --delay 0.05
    .venv/bin/python benchmarks/collect_speed.py --ingest --workers 2   # and extract them into the store

Each host (127.0.0.1, 127.0.0.2, … — loopback addresses, one server thread pool each) serves
a 年报 column of 20 entries a page; half the reports are pages with their tables, half pages
with the report attached as a text file. ``nianbao.collect`` crawls all columns at once into a
fresh SQLite store; the servers' logs give, per host: requests, requests/s, reports/s, the most
requests in flight at one moment (against ``--per-host``) and the shortest time between two
starts (against ``--delay``; the mean is the measure: a loaded machine may start the server's
handler threads of two requests sent ``--delay`` apart back to back, so the shortest gap may
fall below it). Beside it, from the same run: the same addresses fetched one at a
time with urllib (no politeness, no store: the floor of a naive script), and a second collect
of the same columns (conditional requests: nothing changed).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from collect_site import Server, Site, column_page, max_overlap, mean_gap, min_gap, pager, report_page  # noqa: E402
from nianbao.collect import IngestOptions, Policy, collect, target  # noqa: E402
from nianbao.generate.records import random_record  # noqa: E402
from nianbao.generate.render import render_html, render_lines  # noqa: E402
from nianbao.store import Store  # noqa: E402

PER_PAGE = 20


def build(site: Site, n: int, rng: random.Random) -> int:
    """A column of ``n`` reports on ``site``; returns the number of listing pages."""
    entries = []
    for i in range(n):
        rec = random_record(rng, rng.choice(["2021", "2021", "2019"]))
        title = f"{rec['meta']['agency']}{rec['meta']['year']}年度政府信息公开工作年度报告（{site.name}-{i}）"
        page = f"/zwgk/ndbg/{i // 100:02d}/t{i:05d}.html"
        if i % 2:
            data, _ = render_html(rng, rec)
            site.add(page, data)
        else:
            site.add(page, report_page(title, [(f"./P{i:05d}.txt", "年报全文.txt")]))
            data, _ = render_lines(rng, rec, "pipe_rows")
            site.add(f"/zwgk/ndbg/{i // 100:02d}/P{i:05d}.txt", data, content_type="text/plain; charset=utf-8")
        entries.append((page, title, f"2024-01-{1 + i % 28:02d}"))
    names = ["index.html"] + [f"index_{k}.html" for k in range(1, -(-n // PER_PAGE))]
    for k, name in enumerate(names):
        site.add(f"/zwgk/ndbg/{name}", column_page("政府信息公开年报", entries[k * PER_PAGE:(k + 1) * PER_PAGE],
                                                   pager(names, k)))
    site.add("/robots.txt", "User-agent: *\nDisallow: /admin/\n", content_type="text/plain")
    return len(names)


def per_host(servers: list[Server], seconds: float, reports: dict[str, int], limit: int, delay: float) -> None:
    print(f"{'host':<22}{'requests':>9}{'req/s':>8}{'reports':>9}{'reports/s':>10}"
          f"{'in flight max':>15}{'limit':>7}{'gap mean s':>12}{'gap min s':>11}{'delay':>7}")
    for s in servers:
        hits = s.site.log
        mean, least = mean_gap(hits), min_gap(hits)
        print(f"{s.host + ':' + str(s.port):<22}{len(hits):>9}{len(hits) / seconds:>8.1f}{reports[s.base]:>9}"
              f"{reports[s.base] / seconds:>10.1f}{max_overlap(hits):>15}{limit:>7}"
              f"{mean if mean is not None else float('nan'):>12.3f}"
              f"{least if least is not None else float('nan'):>11.3f}{delay:>7.2f}")
    total = sum(len(s.site.log) for s in servers)
    print(f"{'all hosts':<22}{total:>9}{total / seconds:>8.1f}{sum(reports.values()):>9}"
          f"{sum(reports.values()) / seconds:>10.1f}{max_overlap([h for s in servers for h in s.site.log]):>15}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reports", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=3)
    ap.add_argument("--per-host", type=int, default=4)
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--ingest", action="store_true", help="extract and store the reports too")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    rng = random.Random(7)
    sites = [Site(f"h{i}") for i in range(args.hosts)]
    counts = [args.reports // args.hosts + (1 if i < args.reports % args.hosts else 0) for i in range(args.hosts)]
    t = time.perf_counter()
    for site, n in zip(sites, counts):
        build(site, n, rng)
    print(f"site built: {args.reports} reports on {args.hosts} hosts in {time.perf_counter() - t:.1f} s")

    servers = [Server(site, f"127.0.0.{i + 1}") for i, site in enumerate(sites)]
    for s in servers:
        s.__enter__()
    try:
        with tempfile.TemporaryDirectory(prefix="nianbao-collect-bench-") as tmp:
            store = Store.open(f"sqlite:///{Path(tmp) / 'store.sqlite'}")
            policy = Policy(per_host=args.per_host, delay=args.delay, timeout=30)
            targets = [target(s.base + "/zwgk/ndbg/index.html") for s in servers]
            ingest = IngestOptions(workers=args.workers, timeout=300) if args.ingest else None
            t = time.perf_counter()
            res = collect(store, targets, policy, ingest=ingest)
            took = time.perf_counter() - t
            reports = {s.base: sum(1 for e in res.entries if e["url"].startswith(s.base + "/")) for s in servers}
            print(f"\ncollect (per host ≤ {args.per_host} at once, {args.delay:g} s apart): {len(res.entries)} reports, "
                  f"{res.new} originals, {len(res.failed)} failed, {took:.1f} s")
            per_host(servers, took, reports, args.per_host, args.delay)
            if res.ingest is not None:
                print(f"ingested: {len(res.ingest.stored)} stored, {len(res.ingest.failed)} failed "
                      f"({len(res.ingest.stored) / took:.1f} reports/s end to end)")

            # the floor: every address the collector fetched, once, one at a time, no politeness, no store
            urls = [s.base + h.path for s in servers for h in s.site.log if h.status == 200]
            t = time.perf_counter()
            for url in urls:
                with urllib.request.urlopen(url, timeout=30) as r:
                    r.read()
            base = time.perf_counter() - t
            print(f"\nbaseline, sequential urllib GETs of the same {len(urls)} addresses: {base:.1f} s, "
                  f"{len(urls) / base:.1f} requests/s ({sum(reports.values()) / base:.1f} reports/s)")

            for s in servers:
                s.site.settle()
                s.site.clear_log()
            t = time.perf_counter()
            again = collect(store, targets, policy)
            took2 = time.perf_counter() - t
            fetched = sum(1 for s in servers for h in s.site.log if h.status == 200 and h.path != "/robots.txt")
            print(f"\nsecond collect (conditional requests): {took2:.1f} s, new {again.new}, changed {again.changed}, "
                  f"unchanged {again.unchanged}, bodies sent again {fetched}")
            per_host(servers, took2, reports, args.per_host, args.delay)
            store.close()
    finally:
        for s in servers:
            s.__exit__(None, None, None)


if __name__ == "__main__":
    main()
