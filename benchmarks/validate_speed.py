"""Validator throughput on generated reports with prose: prints reports/s for check() and cross_year()."""
from __future__ import annotations

import random
import time

from nianbao.generate import random_record
from nianbao.generate.sections import add_prose
from nianbao.validate import check, cross_year


def main(n: int = 2000) -> None:
    rng = random.Random(0)
    recs = []
    for _ in range(n):
        rec = random_record(rng, rng.choice(["2021", "2019"]), scale=rng.choice(["small", "medium", "large"]))
        recs.append(add_prose(rng, rec))
    t = time.perf_counter()
    findings = sum(len(check(r)) for r in recs)
    dt = time.perf_counter() - t
    print(f"check():      {n} reports in {dt:.2f} s = {n / dt:.0f} reports/s ({dt / n * 1000:.2f} ms each), "
          f"{findings} findings")
    t = time.perf_counter()
    for a, b in zip(recs, recs[1:]):
        cross_year(a, b)
    dt = time.perf_counter() - t
    print(f"cross_year(): {n - 1} pairs in {dt:.2f} s = {(n - 1) / dt:.0f} pairs/s")


if __name__ == "__main__":
    main()
