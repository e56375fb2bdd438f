"""Fuzzing campaign: mutated reports of every format through the extractor, watched for crashes,
runs over a time limit and runs over a memory limit.

    .venv/bin/python scripts/fuzz.py                               # a short run of every format
    .venv/bin/python scripts/fuzz.py --text 50000 --html 50000 --docx 10000 --pdf 10000 --image 10000
    .venv/bin/python scripts/fuzz.py --html 2000 --seed 7 --out fuzz-findings

Seeds come from the project's generator and, for DOCX, PDF and images, from the real converters
(LibreOffice, Chromium, pypdfium2 + Pillow), built once into ``--cache``. Each input is
extracted in a worker process (``--workers``); one that runs over ``--time-limit`` seconds or
whose worker holds over ``--memory-mb`` MB is killed and counted. A crash is any exception but
the project's named errors, a StageError (the last-resort guard caught a defect), a record that
is not valid JSON, or a worker that dies. Every crash, hang and memory hog is saved in ``--out``
with a note of what happened (small ones make regression cases: ``tests/regressions/``).

Prints, per format: inputs, inputs/s (per worker), records, named errors, crashes, runs over
the limits, the longest run and the most memory a worker held. Exit code 1 if anything was found.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import fuzzing  # noqa: E402


def jobs(counts: dict[str, int], seed: int, cache: Path):
    """(fmt, name, bytes) for every input, the formats interleaved so that progress shows them all."""
    streams = {}
    for fmt, n in counts.items():
        if n <= 0:
            continue
        if fmt == "text":
            seeds = fuzzing.text_seeds()
        elif fmt == "html":
            seeds = fuzzing.html_seeds()
        else:
            seeds = fuzzing.binary_seeds(fmt, cache)
        if not seeds:
            print(f"{fmt}: no seeds could be made (converter missing?): skipped", file=sys.stderr)
            continue
        streams[fmt] = fuzzing.inputs(fmt, seeds, n, seed)
    while streams:
        for fmt in list(streams):
            item = next(streams[fmt], None)
            if item is None:
                del streams[fmt]
            else:
                yield (fmt, *item)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for fmt, default in (("text", 300), ("html", 300), ("docx", 60), ("pdf", 40), ("image", 20)):
        ap.add_argument(f"--{fmt}", type=int, default=default, help=f"{fmt} inputs (default {default})")
    ap.add_argument("--seed", type=int, default=0, help="the campaign's random seed (inputs are reproducible)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds an input may take")
    ap.add_argument("--memory-mb", type=float, default=2048.0, help="resident MB a worker may hold")
    ap.add_argument("--out", type=Path, default=ROOT / "fuzz-findings", help="where found inputs are saved")
    ap.add_argument("--cache", type=Path, default=fuzzing.temp_cache(), help="where the binary seeds are kept")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    counts = {f: getattr(args, f) for f in fuzzing.FORMATS}
    t0 = time.perf_counter()
    last = [0.0]

    def progress(tallies, elapsed):
        if args.quiet or elapsed - last[0] < 30:
            return
        last[0] = elapsed
        done = sum(t.inputs for t in tallies.values())
        found = sum(t.failures for t in tallies.values())
        print(f"[{elapsed:6.0f} s] {done} inputs, {found} found", file=sys.stderr, flush=True)

    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; seed {args.seed}; "
          f"limits {args.time_limit:g} s, {args.memory_mb:g} MB; {args.workers} workers", flush=True)
    tallies = fuzzing.run(jobs(counts, args.seed, args.cache), workers=args.workers, time_limit=args.time_limit,
                          memory_mb=args.memory_mb, save=args.out, progress=progress)
    wall = time.perf_counter() - t0
    print(fuzzing.report(tallies, wall))
    found = [f for t in tallies.values() for f in t.findings]
    for outcome, name, detail, path in found[:50]:
        print(f"  {outcome}: {name}: {detail[:300]}" + (f"  → {path}" if path else ""))
    for t in tallies.values():
        if t.reasons:
            print(f"  {t.fmt} named errors: " + ", ".join(f"{k} {v}" for k, v in sorted(t.reasons.items())))
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
