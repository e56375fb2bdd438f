#!/usr/bin/env python3
"""Speed and memory of the binary sources: pages/s per format beside
``pdftotext -layout`` on the same files, OCR seconds per page, peak memory
(max RSS) of the process reading each format.

usage: .venv/bin/python benchmarks/formats_speed.py [DIR ...] [--repeat N] [--corpus N [--scans M]]

Each format is read in its own child process (fresh interpreter, so peak
memory is that format's alone), over the files of ../shared/samples/formats,
../shared/real/pdf and any DIR given; ``--corpus N`` first builds a corpus of
N generated reports with the real converters (tests/formats_corpus.py:
Chromium and LibreOffice PDFs, DOCX, DOC, M single-page scans, one two-page
scanned report as TIFF and as PDF) in a temporary folder and adds it. PDFs
are split by the program that made them (Chromium, LibreOffice, other) and
the real reports kept apart.

Times are CPU seconds of one process on one core (the OCR engine held to
one thread): ``pages/s`` counts the pages read per CPU second, the first
file read once before, uncounted (imports, models); for
text-layer PDFs ``pdftotext pages/s`` is poppler's ``pdftotext -layout`` on
the same files in the same run (the CPU time of its processes, start
included: it is a program run per file), and ``× pdftotext`` how many times
its time ours takes.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from formats_paths import SHARED  # noqa: E402

REAL_PDF = SHARED / "real" / "pdf"

CHILD = r"""
import json, resource, sys, time
from nianbao.sources import read
paths, repeat = json.loads(sys.argv[1]), int(sys.argv[2])
t = time.process_time()
read(paths[0])  # imports, models: the first file is read once more, uncounted
first = time.process_time() - t
def children():  # LibreOffice, for DOC: its CPU time is the reading's too
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime
pages = ocr_pages = 0
wall, t0, c0 = time.perf_counter(), time.process_time(), children()
for r in range(repeat):
    for p in paths:
        doc = read(p)
        pages += doc.pages or 1
        ocr_pages += len(doc.ocr_pages)
print(json.dumps({"files": len(paths) * repeat, "pages": pages, "ocr_pages": ocr_pages,
                  "seconds": time.process_time() - t0 + children() - c0, "wall": time.perf_counter() - wall,
                  "first": first,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

PDFTOTEXT = r"""
import json, resource, subprocess, sys, time
paths, repeat = json.loads(sys.argv[1]), int(sys.argv[2])
wall = time.perf_counter()
for r in range(repeat):
    for p in paths:
        subprocess.run(["pdftotext", "-layout", p, "/dev/null"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": use.ru_utime + use.ru_stime, "wall": time.perf_counter() - wall}))
"""

BUILD = r"""
import sys
from pathlib import Path
sys.path.insert(0, "tests")
import formats_corpus
built = formats_corpus.build(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), multipage=True)
print(len(built["truth"]))
"""

KIND = {".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".wps": "doc", ".png": "image", ".jpg": "image",
        ".jpeg": "image", ".tif": "image", ".tiff": "image"}


def _pdf_kind(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        if all(not pdf[i].get_textpage().count_chars() for i in range(len(pdf))):
            return "scanned-pdf"
        meta = pdf.get_metadata_dict()
    finally:
        pdf.close()
    made_by = f"{meta.get('Producer', '')} {meta.get('Creator', '')}".lower()
    return "pdf-chromium" if ("skia" in made_by or "chrom" in made_by) else \
        "pdf-libreoffice" if "libreoffice" in made_by else "pdf-other"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--corpus", type=int, default=0, help="build a corpus of N generated reports first")
    ap.add_argument("--scans", type=int, default=2, help="single-page scans in that corpus")
    args = ap.parse_args()

    dirs = [SHARED / "samples" / "formats", REAL_PDF] + [Path(d) for d in args.dirs]
    tmp = None
    if args.corpus:
        import tempfile
        import time

        tmp = tempfile.TemporaryDirectory(prefix="nianbao-formats-bench-")
        t0 = time.perf_counter()
        # built in a child: Linux keeps a process's peak RSS across exec, so
        # the readers must not be forked from a process that held the corpus
        out = subprocess.run([sys.executable, "-c", BUILD, tmp.name, str(args.corpus), str(args.scans)], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        print(f"corpus: {out.stdout.strip()} files built in {time.perf_counter() - t0:.0f} s")
        for sub in ("chromium", "lo", "scans", "multipage"):
            dirs.append(Path(tmp.name) / sub)
    groups: dict[str, list[str]] = defaultdict(list)
    for d in dirs:
        for p in sorted(Path(d).rglob("*")):
            kind = KIND.get(p.suffix.lower())
            if kind is None or not p.is_file():
                continue
            if kind == "pdf":
                kind = "pdf-real" if Path(d).resolve() == REAL_PDF.resolve() else _pdf_kind(p)
            groups[kind].append(str(p))
    print(f"{datetime.date.today()}, load {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} CPUs; CPU seconds of one process")
    print(f"{'format':<16} {'files':>5} {'pages':>6} {'CPU s':>7} {'pages/s':>8} {'s/page':>7} "
          f"{'pdftotext pages/s':>17} {'× pdftotext':>11} {'first file s':>12} {'peak MB':>8} {'soffice MB':>10}")
    for kind in ("pdf-real", "pdf-chromium", "pdf-libreoffice", "pdf-other", "docx", "doc", "scanned-pdf", "image"):
        paths = groups.get(kind)
        if not paths:
            continue
        repeat = args.repeat if kind not in ("scanned-pdf", "image") else 1
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(paths), str(repeat)], cwd=ROOT,
                             capture_output=True, text=True, env=dict(os.environ, NIANBAO_OCR_THREADS="1"))
        if out.returncode:
            print(f"{kind:<16} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        base = base_rate = ratio = "-"
        if kind.startswith("pdf") and shutil.which("pdftotext"):
            b = json.loads(subprocess.run([sys.executable, "-c", PDFTOTEXT, json.dumps(paths), str(repeat)],
                                          capture_output=True, text=True, check=True).stdout)
            base_rate = f"{r['pages'] / b['seconds']:.1f}"
            ratio = f"{r['seconds'] / b['seconds']:.1f}"
        lo_mb = f"{r['children_mb']:.0f}" if kind == "doc" else "-"
        print(f"{kind:<16} {r['files']:>5} {r['pages']:>6} {r['seconds']:>7.2f} {r['pages'] / r['seconds']:>8.1f} "
              f"{r['seconds'] / r['pages']:>7.3f} {base_rate:>17} {ratio:>11} {r['first']:>12.2f} "
              f"{r['max_rss_mb']:>8.0f} {lo_mb:>10}")
    print("pages/s, s/page: CPU time of the reading process (and of the LibreOffice it starts, for DOC) over the "
          "pages read (for scans: rendering, OCR, ruling, grid); first file s: imports and models, not counted; "
          "peak MB: the reading process (max RSS); soffice MB: the largest LibreOffice process it started")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
