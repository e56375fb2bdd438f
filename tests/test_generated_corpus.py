"""The extractor against 2,000 generated reports in every shape real reports take.

Each document's truth is known by construction (nianbao.generate); cells the
source cannot fix are listed by the brute-force oracle and must be flagged
with an ``extract.ambiguous`` finding, and no other cell may be. Failures
print the shape, the seed and the differing cells; regenerate one with
``nianbao.generate.render.generate(shape, seed)``.
"""
from __future__ import annotations

import signal
import time

import pytest

from nianbao.extract import extract_bytes
from nianbao.generate.compare import compare, format_diffs
from nianbao.generate.render import SHAPES, generate

DOCS_PER_SHAPE = 250          # 8 shapes → 2,000 documents
SHOW = 8                      # failing documents printed per shape
# Every difference fails the shape.
# Guards against a hang, not speed checks (speed is measured by benchmarks/extract_speed.py):
SECONDS_PER_DOC = 20.0
SECONDS_PER_SHAPE = 900.0


class ExtractTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ExtractTimeout()


def extract_with_deadline(doc):
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, SECONDS_PER_DOC)
    try:
        return extract_bytes(doc.data, doc.path, doc.fmt)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("shape", SHAPES)
def test_generated_corpus(shape):
    failures = []
    spent = 0.0
    unrun = late = 0
    for seed in range(DOCS_PER_SHAPE):
        if spent > SECONDS_PER_SHAPE:
            unrun += 1
            continue
        doc = generate(shape, seed)
        started = time.perf_counter()
        try:
            record = extract_with_deadline(doc)
        except ExtractTimeout:
            spent += time.perf_counter() - started
            late += 1
            continue
        except Exception as exc:  # one broken document must not hide the others
            spent += time.perf_counter() - started
            failures.append((seed, doc.truth.get("variant"), [("extract", "a record", f"{type(exc).__name__}: {exc}")]))
            continue
        spent += time.perf_counter() - started
        diffs = compare(doc.truth, record)
        if diffs:
            failures.append((seed, doc.truth.get("variant"), diffs))
    if failures or late or unrun:
        lines = [f"{shape}: {len(failures) + late + unrun}/{DOCS_PER_SHAPE} documents fail: {len(failures)} differ, "
                 f"{late} over {SECONDS_PER_DOC} s, {unrun} not run after {SECONDS_PER_SHAPE:.0f} s of extraction "
                 f"(generate({shape!r}, seed) rebuilds one)"]
        for seed, variant, diffs in failures[:SHOW]:
            lines.append(f"  seed={seed} [{variant}] {len(diffs)} cells: {format_diffs(diffs)}")
        pytest.fail("\n".join(lines), pytrace=False)
