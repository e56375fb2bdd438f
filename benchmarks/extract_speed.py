"""Extraction speed and memory per document shape, on one core.

Generates N documents per shape first (nianbao.generate), then times only
``nianbao.extract.extract_bytes`` over them, and measures the peak Python
allocation of one extraction (tracemalloc, on a sample) and the process's peak
RSS. Aim: 200 documents/s for text and HTML.

``docs/s`` is wall-clock; ``cpu d/s`` counts only this process's CPU time,
which is what one uncontended core would give when other work shares the
machine (the load average is printed with the figures).

    .venv/bin/python benchmarks/extract_speed.py [-n 200] [--shapes html,concat]
"""
from __future__ import annotations

import argparse
import os
import resource
import signal
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from nianbao.extract import extract_bytes  # noqa: E402
from nianbao.generate.render import SHAPES, generate  # noqa: E402


class Deadline(Exception):
    pass


def _alarm(signum, frame):
    raise Deadline()


def extract_within(d, seconds: float):
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return extract_bytes(d.data, d.path, d.fmt)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200, help="documents per shape")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--deadline", type=float, default=5.0,
                    help="seconds after which one extraction is abandoned (counted in 'late', timed at the deadline)")
    ap.add_argument("--sample", type=int, default=20, help="documents per shape measured with tracemalloc")
    args = ap.parse_args(argv)
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})   # one core
    except (AttributeError, OSError):
        pass
    shapes = [s for s in args.shapes.split(",") if s]
    signal.signal(signal.SIGALRM, _alarm)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'shape':<16}{'docs':>6}{'KiB/doc':>9}{'gen s':>8}{'docs/s':>9}{'cpu d/s':>9}{'ms/doc':>8}{'max ms':>8}"
          f"{'peak alloc MiB':>16}{'errors':>8}{'late':>6}")
    total_docs, total_time, total_cpu = 0, 0.0, 0.0
    for shape in shapes:
        t0 = time.perf_counter()
        docs = [generate(shape, seed) for seed in range(args.n)]
        gen_s = time.perf_counter() - t0
        size = sum(len(d.data) for d in docs) / len(docs) / 1024
        errors, late, worst = 0, 0, 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        for d in docs:
            t = time.perf_counter()
            try:
                extract_within(d, args.deadline)
            except Deadline:
                late += 1
            except Exception:
                errors += 1
            worst = max(worst, time.perf_counter() - t)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = 0
        for d in docs[:args.sample]:
            tracemalloc.start()
            try:
                extract_within(d, args.deadline)
            except Exception:
                pass
            peak = max(peak, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        total_docs += len(docs)
        total_time += elapsed
        total_cpu += cpu
        print(f"{shape:<16}{len(docs):>6}{size:>9.1f}{gen_s:>8.1f}{len(docs) / elapsed:>9.0f}{len(docs) / cpu:>9.0f}"
              f"{elapsed / len(docs) * 1000:>8.1f}{worst * 1000:>8.0f}{peak / 2**20:>16.1f}{errors:>8}{late:>6}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'all':<16}{total_docs:>6}{'':>9}{'':>8}{total_docs / total_time:>9.0f}{total_docs / total_cpu:>9.0f}"
          f"{total_time / total_docs * 1000:>8.1f}")
    print(f"process peak RSS: {rss:.0f} MiB")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
