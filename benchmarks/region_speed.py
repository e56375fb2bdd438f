"""Cost of meta.region: gazetteer import and index build (once), and per-document resolution.

Resolves the region of N generated text documents (agency as extracted, whole text)
and of the same texts with the agency withheld (the slower fallback through the text),
and prints the time per document. Seeds in ../shared are timed too when present.

    .venv/bin/python benchmarks/region_speed.py [-n 400]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

ROOT = Path(__file__).resolve().parents[1]


def _import_cost() -> tuple[float, float]:
    code = ("import time; t = time.perf_counter(); from nianbao import gazetteer; a = time.perf_counter() - t; "
            "t = time.perf_counter(); gazetteer.places(); print(a, time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    imp, build = map(float, out.stdout.split())
    return imp, build


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=400)
    args = ap.parse_args()
    imp, build = _import_cost()
    print(f"import nianbao.gazetteer: {imp * 1000:.1f} ms; index build on first use: {build * 1000:.0f} ms")

    from nianbao import gazetteer
    from nianbao.extract import meta
    from nianbao.extract.place import resolve
    from nianbao.generate.render import generate
    from nianbao.sources import read_bytes

    gazetteer.places()
    docs = []
    shapes = ("plain_lines", "html", "concat", "legacy")
    for seed in range(args.n):
        doc = generate(shapes[seed % len(shapes)], seed)
        text = read_bytes(doc.data, doc.path, doc.fmt).text
        titles = meta.find_titles(text)
        year, _ = meta.find_year(text, titles)
        agency, span = meta.find_agency(text, titles, text.split("\n"))
        docs.append((agency, text, year, span, doc.truth["meta"]["region"]))
    chars = sum(len(d[1]) for d in docs) / len(docs)

    for label, withhold in (("agency + text", False), ("text only (agency withheld)", True)):
        right = 0
        t = time.perf_counter()
        for agency, text, year, span, truth in docs:
            got = resolve(None if withhold else agency, text, year, None if withhold else span)
            right += got.name == truth
        dt = (time.perf_counter() - t) / len(docs)
        print(f"{label:30s} {dt * 1000:.3f} ms/doc over {len(docs)} docs of {chars:.0f} chars; "
              f"{right}/{len(docs)} equal the generator's region")

    seeds = ROOT.parent / "shared" / "seeds"
    if seeds.is_dir():
        from nianbao.sources import read
        texts = [read(p).text for p in sorted(seeds.glob("*.txt"))]
        cases = []
        for text in texts:
            titles = meta.find_titles(text)
            agency, span = meta.find_agency(text, titles, text.split("\n"))
            cases.append((agency, text, span))
        t = time.perf_counter()
        for _ in range(20):
            for agency, text, span in cases:
                resolve(agency, text, None, span)
        dt = (time.perf_counter() - t) / (20 * len(texts))
        print(f"{'seeds (agency as extracted)':30s} {dt * 1000:.3f} ms/doc over {len(texts)} seeds")


if __name__ == "__main__":
    main()
