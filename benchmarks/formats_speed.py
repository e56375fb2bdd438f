#!/usr/bin/env python3
"""Speed and memory of the binary sources: pages/s per format, OCR seconds
per page, peak memory (max RSS) of the process reading each format.

usage: .venv/bin/python benchmarks/formats_speed.py [DIR ...] [--repeat N]

Each format is read in its own child process (fresh interpreter, so peak
memory is that format's alone), over the files of ../shared/samples/formats
and any DIR given (e.g. a corpus built by tests/formats_corpus.py).
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
                  "first": first, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

KIND = {".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".wps": "doc", ".png": "image", ".jpg": "image",
        ".jpeg": "image", ".tif": "image", ".tiff": "image"}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    from formats_paths import SHARED

    dirs = [SHARED / "samples" / "formats"] + [Path(d) for d in args.dirs]
    groups: dict[str, list[str]] = defaultdict(list)
    for d in dirs:
        for p in sorted(Path(d).rglob("*")):
            kind = KIND.get(p.suffix.lower())
            if kind is None or not p.is_file():
                continue
            if kind == "pdf":
                import pypdfium2 as pdfium

                pdf = pdfium.PdfDocument(str(p))
                scanned = all(not pdf[i].get_textpage().count_chars() for i in range(len(pdf)))
                kind = "scanned-pdf" if scanned else "pdf"
            groups[kind].append(str(p))
    print(f"{'format':<12} {'files':>5} {'pages':>6} {'seconds':>8} {'pages/s':>8} {'OCR s/page':>10} "
          f"{'first file s':>12} {'peak MB':>8}")
    for kind in ("pdf", "docx", "doc", "scanned-pdf", "image"):
        paths = groups.get(kind)
        if not paths:
            continue
        repeat = args.repeat if kind not in ("scanned-pdf", "image") else 1
        out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(paths), str(repeat)], cwd=ROOT,
                             capture_output=True, text=True)
        if out.returncode:
            print(f"{kind:<12} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ocr = f"{r['seconds'] / r['ocr_pages']:.2f}" if r["ocr_pages"] else "-"
        print(f"{kind:<12} {r['files']:>5} {r['pages']:>6} {r['seconds']:>8.2f} {r['pages'] / r['seconds']:>8.2f} "
              f"{ocr:>10} {r['first']:>12.2f} {r['max_rss_mb']:>8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
