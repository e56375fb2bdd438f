#!/usr/bin/env python3
"""Speed and memory of the binary sources: pages/s per format, OCR seconds
per page, peak memory (max RSS) of the process reading each format.

usage: .venv/bin/python benchmarks/formats_speed.py [DIR ...] [--repeat N] [--corpus N [--scans M]]

Each format is read in its own child process (fresh interpreter, so peak
memory is that format's alone), over the files of ../shared/samples/formats
and any DIR given; ``--corpus N`` first builds a corpus of N generated
reports with the real converters (tests/formats_corpus.py: Chromium and
LibreOffice PDFs, DOCX, DOC, M single-page scans, one two-page scanned report
as TIFF and as PDF) in a temporary folder and adds it. PDFs are split by the
program that made them (Chromium, LibreOffice, other).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

CHILD = r"""
import json, resource, sys, time
from nianbao.sources import read, sniff_format
paths, repeat = json.loads(sys.argv[1]), int(sys.argv[2])
pages = ocr_pages = 0
t0 = time.perf_counter()
first = None
for r in range(repeat):
    for p in paths:
        t = time.perf_counter()
        doc = read(p)
        if first is None:
            first = time.perf_counter() - t
        pages += doc.pages or 1
        ocr_pages += len(doc.ocr_pages)
elapsed = time.perf_counter() - t0
print(json.dumps({"files": len(paths) * repeat, "pages": pages, "ocr_pages": ocr_pages, "seconds": elapsed,
                  "first": first, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
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
    from formats_paths import SHARED

    dirs = [SHARED / "samples" / "formats"] + [Path(d) for d in args.dirs]
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
                kind = _pdf_kind(p)
            groups[kind].append(str(p))
    print(f"{'format':<16} {'files':>5} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'OCR s/page':>10} "
          f"{'first file s':>12} {'peak MB':>8} {'soffice MB':>10}")
    for kind in ("pdf-chromium", "pdf-libreoffice", "pdf-other", "docx", "doc", "scanned-pdf", "image"):
        paths = groups.get(kind)
        if not paths:
            continue
        repeat = args.repeat if kind not in ("scanned-pdf", "image") else 1
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(paths), str(repeat)], cwd=ROOT,
                             capture_output=True, text=True)
        if out.returncode:
            print(f"{kind:<16} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ocr = f"{r['seconds'] / r['ocr_pages']:.2f}" if r["ocr_pages"] else "-"
        lo_mb = f"{r['children_mb']:.0f}" if kind == "doc" else "-"
        print(f"{kind:<16} {r['files']:>5} {r['pages']:>6} {r['seconds']:>8.2f} {r['pages'] / r['seconds']:>8.2f} "
              f"{ocr:>10} {r['first']:>12.2f} {r['max_rss_mb']:>8.0f} {lo_mb:>10}")
    print("OCR s/page: all the time of the OCR'd files over their pages (rendering, OCR, ruling, grid); "
          "first file s: includes imports and model loading; peak MB: the reading process (max RSS); "
          "soffice MB: the largest LibreOffice process it started")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
