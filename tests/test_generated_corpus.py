"""The extractor against 2,000 generated reports in every shape real reports take.

Each document's truth is known by construction (nianbao.generate); cells the
source cannot fix are listed by the brute-force oracle and must be flagged
with an ``extract.ambiguous`` finding, and no other cell may be. Failures
print the shape, the seed and the differing cells; regenerate one with
``nianbao.generate.render.generate(shape, seed)``.
"""
from __future__ import annotations

import os
import signal

import pytest

from nianbao.extract import extract_bytes
from nianbao.generate.compare import compare, format_diffs
from nianbao.generate.render import SHAPES, generate

DOCS_PER_SHAPE = 250          # 8 shapes → 2,000 documents
SHOW = 8                      # failing documents printed per shape
# While the extractor is being built, a shape that does not pass yet is reported as xfail with the
# same summary; NIANBAO_CORPUS_STRICT=1 (or flipping this default) makes every difference a failure.
STRICT = os.environ.get("NIANBAO_CORPUS_STRICT", "0") == "1"
SECONDS_PER_DOC = 1.0         # a report this size takes milliseconds; past this it counts as a failure


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
    for seed in range(DOCS_PER_SHAPE):
        doc = generate(shape, seed)
        try:
            record = extract_with_deadline(doc)
        except ExtractTimeout:
            failures.append((seed, doc.truth.get("variant"), [("extract", "a record", f"over {SECONDS_PER_DOC} s")]))
            continue
        except Exception as exc:  # one broken document must not hide the others
            failures.append((seed, doc.truth.get("variant"), [("extract", "a record", f"{type(exc).__name__}: {exc}")]))
            continue
        diffs = compare(doc.truth, record)
        if diffs:
            failures.append((seed, doc.truth.get("variant"), diffs))
    if failures:
        lines = [f"{shape}: {len(failures)}/{DOCS_PER_SHAPE} documents differ "
                 f"(generate({shape!r}, seed) rebuilds one)"]
        for seed, variant, diffs in failures[:SHOW]:
            lines.append(f"  seed={seed} [{variant}] {len(diffs)} cells: {format_diffs(diffs)}")
        if STRICT:
            pytest.fail("\n".join(lines), pytrace=False)
        print("\n".join(lines))
        pytest.xfail(lines[0])
