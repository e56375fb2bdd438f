"""Tasks for the pool tests, run in worker processes (imported there by name)."""
from __future__ import annotations

import os
import time


def act(what: str, seconds: float = 0.0, _payload: str = ""):
    """``sleep``: wait ``seconds`` then answer; ``crash``: the process dies; ``pid``: the worker's pid.
    ``_payload``: ballast, to make a task large."""
    if what == "crash":
        os._exit(7)
    time.sleep(seconds)
    return (what, os.getpid(), time.monotonic())


def collector():
    import gc
    return gc.get_threshold(), gc.get_freeze_count()
