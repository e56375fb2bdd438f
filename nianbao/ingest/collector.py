"""Python's cyclic garbage collector, set for long batch runs.

Extraction and storing allocate millions of short-lived dicts and lists; with the default
thresholds the collector runs every 700 of them and, every 70,000, walks every object alive —
the modules, SQLAlchemy's tables, the batch in flight. Measured on generated reports, that was
most of the time to unpickle a result in the ingesting process (0.7 of 0.8 ms) and a fifth of an
extraction worker's time. Objects alive when the run starts are set aside (``gc.freeze``) and
the collector runs less often; reference counting still frees almost everything at once, and
cycles are still collected, later.
"""
from __future__ import annotations

import contextlib
import gc

THRESHOLDS = (50_000, 20, 20)


def tune() -> None:
    """For a process that does nothing but the run (an extraction worker): for good."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


@contextlib.contextmanager
def tuned():
    """For a run inside a longer-lived process (``nianbao ingest``, a library call): restored after."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
