#!/usr/bin/env python3
"""Scale-out of ingest on text-layer PDFs: the process pool and a local Dask cluster, 1 and 2 workers.

    .venv/bin/python benchmarks/dask_scale.py --corpus-dir /tmp/nianbao-pdf-corpus            # 2,000 PDFs
    .venv/bin/python benchmarks/dask_scale.py --docs 100 --corpus-dir /tmp/nianbao-pdf-corpus  # quicker

The corpus: ``--docs`` generated reports (tests/formats_corpus.py: each a distinct random
record, drawn in one of the table shapes real PDFs print, in one of two CJK fonts, with prose
of varying length and type of varying size, so page breaks fall differently), printed to PDF
by LibreOffice, many files per soffice call. It is kept in ``--corpus-dir`` (with
``corpus.json``: file, pages, sha256); a rerun builds only what is missing.

Each run ingests the same files into a fresh SQLite store with the real extractor, as
``nianbao ingest`` does (``ingest_paths``, original bytes kept), start-up of the workers
included:

- ``ingest process ×1``: the process pool, one worker (the baseline);
- ``ingest process ×2``: the process pool, two workers;
- ``ingest dask ×1`` and ``ingest dask ×2``: a local Dask cluster (``--engine dask``);
- ``extract dask ×1`` and ``extract dask ×2``: the same cluster, extraction (and the
  worker-side validation) only, nothing stored: what the workers alone can give;
- ``writer alone``: the records of the last extraction stored in batches of 200, one
  thread, no extraction: what the writer alone can take.

Printed per run: seconds, docs/s, pages/s, the ratio to the baseline; the CPU seconds of
this process and every process under it (sampled), the cores that makes over the run's
time, the machine's CPU busy (every process, from /proc/stat) and the 1-minute load average
at the end; for ingest runs the writer thread's busy share (time inside
``Store.store_records`` over the run's time). Then the ratios of two workers to one, and
whether the bottleneck has moved to the writer: it has when the writer is busy 80 % of the
dask ×2 ingest or more, or when the writer alone stores fewer docs/s than the two workers
alone extract; else it is the machine's cores when the run used nearly all of them, or the
cores the other sessions left it when the machine was busy and the run had less, else
extraction. And how many workers' extraction the writer alone could keep up with.

The machine is shared: read the ratios beside "cores ours" and "machine busy" (two workers
cannot go twice as fast when the other sessions leave this run one core).
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

CHUNK = 200  # HTML files per soffice call


# ---------------------------------------------------------------------- the corpus

def build_corpus(folder: Path, n: int, seed: int) -> list[dict]:
    """``n`` PDFs in ``folder`` (built where missing); their entries of ``corpus.json``."""
    import formats_corpus as fc
    import pypdfium2 as pdfium

    from nianbao.sources import office

    folder.mkdir(parents=True, exist_ok=True)
    index_path = folder / "corpus.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {"seed": seed, "docs": {}}
    if index.get("seed") != seed:
        raise SystemExit(f"{folder} holds a corpus of seed {index.get('seed')}, not {seed}: give another --corpus-dir")
    docs: dict = index["docs"]
    names = [f"report{i:05d}.pdf" for i in range(n)]
    missing = [i for i, name in enumerate(names) if name not in docs or not (folder / name).exists()]
    if missing:
        t0 = time.perf_counter()
        records = fc.generated_records(n, seed=seed)   # the first k records are the same for any n
        draw = random.Random(seed + 1)
        html_dir = folder / "html"
        html_dir.mkdir(exist_ok=True)
        todo, wanted = [], set(missing)
        for i, rec in enumerate(records):
            # drawn for every file, so file i looks the same however many are built at a time
            shape, filler, size = fc.draw_shape(draw), draw.randint(1, 9), draw.choice([9, 10, 11, 12])
            font = fc.FONTS["noto" if i % 2 == 0 else "wqy"]
            if i in wanted:
                h = html_dir / f"report{i:05d}.html"
                h.write_text(fc.render_html(rec, font, filler=filler, size=size, shape=shape), encoding="utf-8")
                todo.append(h)
        made = 0
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start:start + CHUNK]
            out = office.convert(chunk, folder, target="pdf:writer_pdf_Export", infilter="HTML (StarWriter)")
            for h, pdf in out.items():
                if pdf is None:
                    raise SystemExit(f"LibreOffice made no PDF of {h}")
                doc = pdfium.PdfDocument(str(pdf))
                try:
                    pages = len(doc)
                finally:
                    doc.close()
                docs[pdf.name] = {"pages": pages, "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest()}
                h.unlink()
            made += len(chunk)
            index_path.write_text(json.dumps(index, indent=0))
            print(f"  corpus: {made}/{len(todo)} PDFs printed by LibreOffice "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    chosen = [{"path": str(folder / name), **docs[name]} for name in names]
    if len({d["sha256"] for d in chosen}) != len(chosen):
        raise SystemExit("two PDFs of the corpus are the same file: ingest would store one")
    return chosen


# ---------------------------------------------------------------------- measuring

def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        vals = [float(v) for v in fh.readline().split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0.0)
    return (sum(vals[:8]) - idle) / tick, sum(vals[:8]) / tick


def self_cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    return s.ru_utime + s.ru_stime


class Meter:
    """Wall time of a run; the CPU seconds of this process and of every process under it (the pool's
    workers are the fork server's children, Dask's the nannies'), sampled every 0.2 s; the machine's."""

    def __enter__(self):
        import psutil
        self._psutil = psutil
        self.children: dict[int, list[float]] = {}  # pid → [CPU at first sight (0 if born in the run), last]
        self._sample(first=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.t, self.cpu, self.machine = time.perf_counter(), self_cpu(), machine_cpu()
        self._thread.start()
        return self

    def _sample(self, first: bool = False) -> None:
        for p in self._psutil.Process().children(recursive=True):
            try:
                t = p.cpu_times()
            except self._psutil.Error:
                continue
            used = t.user + t.system
            entry = self.children.setdefault(p.pid, [used if first else 0.0, used])
            entry[1] = used

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
        busy, total = machine_cpu()
        self.seconds = time.perf_counter() - self.t
        self.own_cpu = self_cpu() - self.cpu + sum(last - first for first, last in self.children.values())
        self.machine_busy = (busy - self.machine[0]) / max(1e-9, total - self.machine[1])  # of all cores
        self.load = os.getloadavg()[0]


def run_ingest(docs: list[dict], engine: str, workers: int, work: Path) -> dict:
    from nianbao.ingest import ingest_paths
    from nianbao.store import Store

    store = Store.open(f"sqlite:///{work / f'ingest-{engine}-{workers}.sqlite'}")
    busy = [0.0, 0]
    lock = threading.Lock()
    store_records = store.store_records

    def timed(batch):  # the writer thread's time inside the store
        t = time.perf_counter()
        try:
            return store_records(batch)
        finally:
            with lock:
                busy[0] += time.perf_counter() - t
                busy[1] += 1

    store.store_records = timed
    try:
        with Meter() as m:
            res = ingest_paths(store, [d["path"] for d in docs], engine=engine, workers=workers, timeout=120)
        counts, prints = store.counts(), fingerprints(store)
    finally:
        store.close()
    pages = {d["path"]: d["pages"] for d in docs}
    return {"run": f"ingest {engine} ×{workers}", "docs": len(res.stored), "failed": len(res.failed),
            "pages": sum(pages[s["path"]] for s in res.stored), "meter": m,
            "writer_busy": busy[0], "batches": busy[1], "counts": counts, "prints": prints,
            "errors": [f"{Path(f['path']).name}: {f['error']}" for f in res.failed][:5]}


def fingerprints(store) -> dict[str, str]:
    """File (sha256) → digest of the record stored from it and of its findings.

    The cross-year findings counted are those of each report's current version (by the file of
    the neighbour year's version): a superseded version keeps those it had when it was current,
    which depend on which files had been stored by then, so on the order files end in.
    """
    from sqlalchemy import select

    from nianbao.store.schema import Finding, Source, Version
    with store.session() as s:
        versions = s.execute(select(Version.id, Version.report_id, Version.number, Source.sha256, Version.record)
                             .join(Source, Version.source_id == Source.id)).all()
        sha = {v.id: v.sha256 for v in versions}
        current = {}
        for v in versions:
            if v.report_id not in current or v.number > current[v.report_id][1]:
                current[v.report_id] = (v.id, v.number)
        current_ids = {vid for vid, _ in current.values()}
        findings: dict[int, list] = {}
        for vid, scope, other, rule, severity, cells in s.execute(
                select(Finding.version_id, Finding.scope, Finding.other_version_id, Finding.rule, Finding.severity,
                       Finding.cells)):
            if scope == "report" or vid in current_ids:
                findings.setdefault(vid, []).append((scope, sha.get(other), rule, severity, cells))
    out = {}
    for v in versions:
        body = json.dumps([v.record, v.id in current_ids, sorted(findings.get(v.id, []), key=repr)],
                          sort_keys=True, ensure_ascii=False)
        out[v.sha256] = hashlib.sha256(body.encode()).hexdigest()
    return out


def run_extract(docs: list[dict], workers: int) -> tuple[dict, list]:
    from nianbao.ingest.dask_engine import DaskEngine
    from nianbao.ingest.worker import EXTRACTOR

    tasks = [(d["path"], (d["path"], None, Path(d["path"]).name, EXTRACTOR)) for d in docs]
    records, failed = [], []
    with Meter() as m:
        t = time.perf_counter()
        with DaskEngine(workers=workers) as engine:
            start = time.perf_counter() - t
            for got in engine.run(tasks, timeout=120):
                for key, ok, payload in got:
                    (records if ok else failed).append((key, payload))
    pages = {d["path"]: d["pages"] for d in docs}
    return ({"run": f"extract dask ×{workers}", "docs": len(records), "failed": len(failed),
             "pages": sum(pages[k] for k, _ in records), "meter": m, "start": start,
             "errors": [f"{Path(k).name}: {e}" for k, e in failed][:5]}, records)


def run_writer(records: list, docs: list[dict], work: Path) -> dict:
    from nianbao.store import Doc, Store

    sha = {d["path"]: d["sha256"] for d in docs}
    batch = [Doc(record=rec, data=Path(key).read_bytes(), path=key, filename=Path(key).name, sha256=sha[key],
                 size=Path(key).stat().st_size) for key, rec in records]
    store = Store.open(f"sqlite:///{work / 'writer-alone.sqlite'}")
    try:
        with Meter() as m:
            for i in range(0, len(batch), 200):
                store.store_records(batch[i:i + 200])
    finally:
        store.close()
    pages = {d["path"]: d["pages"] for d in docs}
    return {"run": "writer alone", "docs": len(batch), "failed": 0, "pages": sum(pages[k] for k, _ in records),
            "meter": m}


# ---------------------------------------------------------------------- report

def show(rows: list[dict], base: dict, cores: int) -> None:
    print(f"\n{'run':<18} {'docs':>5} {'failed':>6} {'s':>7} {'docs/s':>7} {'pages/s':>8} {'× base':>7} "
          f"{'our CPU s':>9} {'cores ours':>10} {'docs/CPU s':>10} {'machine busy':>12} {'load 1m':>7} "
          f"{'writer busy':>11}")
    for r in rows:
        m = r["meter"]
        rate = r["docs"] / m.seconds
        writer = f"{r['writer_busy'] / m.seconds:>11.0%}" if "writer_busy" in r else f"{'':>11}"
        print(f"{r['run']:<18} {r['docs']:>5} {r['failed']:>6} {m.seconds:>7.1f} {rate:>7.1f} "
              f"{r['pages'] / m.seconds:>8.1f} {rate / (base['docs'] / base['meter'].seconds):>6.2f}× "
              f"{m.own_cpu:>9.1f} {m.own_cpu / m.seconds:>10.2f} {r['docs'] / max(1e-9, m.own_cpu):>10.1f} "
              f"{m.machine_busy * cores:>7.2f} / {cores} {m.load:>7.2f} {writer}")
        for e in r.get("errors", []):
            print(f"{'':<20}failed: {e}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000, help="PDFs in the corpus (default 2000)")
    ap.add_argument("--corpus-dir", type=Path, default=Path(tempfile.gettempdir()) / "nianbao-dask-scale-corpus",
                    help="where the PDFs are kept between runs")
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--work-dir", type=Path, default=None, help="where the stores go (default: a temporary folder)")
    args = ap.parse_args()

    cores = os.cpu_count() or 1
    print(f"dask_scale {datetime.datetime.now().isoformat(timespec='seconds')}  cores {cores}  "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}  docs {args.docs}")
    t = time.perf_counter()
    docs = build_corpus(args.corpus_dir, args.docs, args.seed)
    n_pages = sum(d["pages"] for d in docs)
    print(f"corpus: {len(docs)} PDFs, {n_pages} pages ({n_pages / len(docs):.1f} a PDF), in {args.corpus_dir} "
          f"({time.perf_counter() - t:.0f} s)", flush=True)

    work = Path(tempfile.mkdtemp(prefix="nianbao-dask-scale-", dir=args.work_dir))
    rows = []
    try:
        # one worker and two side by side, the cluster's twice in a row: the machine's load drifts
        for engine, workers in (("process", 1), ("dask", 1), ("dask", 2), ("process", 2)):
            rows.append(run_ingest(docs, engine, workers, work))
            print(f"  {rows[-1]['run']}: {rows[-1]['meter'].seconds:.1f} s", flush=True)
        records = None
        for workers in (2, 1):
            row, records = run_extract(docs, workers)
            rows.append(row)
            print(f"  {row['run']}: {row['meter'].seconds:.1f} s", flush=True)
        rows.append(run_writer(records, docs, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    by = {r["run"]: r for r in rows}
    show(rows, by["ingest process ×1"], cores)
    rate = {k: r["docs"] / r["meter"].seconds for k, r in by.items()}
    stores = [r for r in rows if "prints" in r]
    same = all(r["prints"] == stores[0]["prints"] for r in stores)
    print(f"\nthe four stores hold the same record and findings for every file: {same}")
    for r in stores:
        print(f"  {r['run']:<18} " + "  ".join(f"{k} {v}" for k, v in r["counts"].items()))
    if not same:
        for r in stores[1:]:
            diff = [k for k in stores[0]["prints"] if r["prints"].get(k) != stores[0]["prints"][k]]
            print(f"  {r['run']}: {len(diff)} files differ from {stores[0]['run']}, e.g. {diff[:3]}")
    print(f"dask ×2 / dask ×1:       ingest {rate['ingest dask ×2'] / rate['ingest dask ×1']:.2f}×   "
          f"extraction only {rate['extract dask ×2'] / rate['extract dask ×1']:.2f}×")
    print(f"process ×2 / process ×1: ingest {rate['ingest process ×2'] / rate['ingest process ×1']:.2f}×")
    print(f"dask ×1 / process ×1:    ingest {rate['ingest dask ×1'] / rate['ingest process ×1']:.2f}×")
    two = by["ingest dask ×2"]
    share = two["writer_busy"] / two["meter"].seconds
    used = two["meter"].own_cpu / two["meter"].seconds
    print(f"writer: busy {share:.0%} of the dask ×2 ingest ({two['batches']} batches, "
          f"{two['docs'] / max(1, two['batches']):.0f} docs each); alone it stores {rate['writer alone']:.0f} docs/s, "
          f"the two workers alone extract {rate['extract dask ×2']:.0f} docs/s")
    print(f"CPU: the dask ×2 ingest used {used:.2f} of {cores} cores, {two['meter'].own_cpu:.1f} CPU s: extraction alone "
          f"took {by['extract dask ×2']['meter'].own_cpu:.1f} (extract dask ×2), the writer alone "
          f"{by['writer alone']['meter'].own_cpu:.1f} (writer alone)")
    if share >= 0.8 or rate["writer alone"] < rate["extract dask ×2"]:
        print("→ with two workers the bottleneck is the writer: more workers would not ingest faster")
    elif used < 0.85 * cores and two["meter"].machine_busy >= 0.9:
        print(f"→ with two workers the bottleneck is the CPU the machine's other processes left this run: it used "
              f"{used:.2f} of {cores} cores while the machine was {two['meter'].machine_busy:.0%} busy (the writer has "
              f"{1 - share:.0%} of its time to spare); rerun when the machine is quieter for the scale-out")
    elif used >= 0.85 * cores:
        print(f"→ with two workers the bottleneck is not the writer (it has {1 - share:.0%} of its time to spare) but "
              f"this machine's {cores} cores, which the workers, the writer and Dask's scheduler share")
    else:
        print(f"→ with two workers the bottleneck is still extraction (the writer has {1 - share:.0%} of its time "
              f"to spare)")
    per_worker = rate["extract dask ×1"]
    print(f"the writer alone would bound ingest at {rate['writer alone']:.0f} docs/s: the extraction of about "
          f"{rate['writer alone'] / per_worker:.1f} workers like these ({per_worker:.1f} docs/s each), on cores of "
          f"their own")
    starts = ", ".join(f"×{r['run'][-1]} {r['start']:.1f} s" for r in rows if "start" in r)
    print(f"local Dask cluster start-up (in the times above): {starts}")
    print("our CPU s: this process and every process under it; cores ours: that over the run's time; "
          "machine busy: CPU in use on the whole machine (every session's), in cores; load 1m: at the run's end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
