"""A test extractor plugged in by name: slows down, hangs, crashes or balloons on request, else reads normally."""
from __future__ import annotations

import os
import time
from pathlib import Path

from nianbao.ingest.worker import extract_file


def extract(path: str):
    name = Path(path).name
    if "hang" in name:
        time.sleep(3600)
    if "crash" in name:
        os._exit(7)
    if "boom" in name:
        raise RuntimeError("extractor bug")
    if "balloon" in name:  # 2 GiB at once: over the address-space cap of a worker
        return len(bytearray(2 << 30))
    time.sleep(float(os.environ.get("NIANBAO_TEST_DELAY", "0")))
    return extract_file(path)


def pid(path: str):
    """Which process extracted this file (a list: no record, so no validation)."""
    time.sleep(float(os.environ.get("NIANBAO_TEST_DELAY", "0")))
    return [os.getpid(), Path(path).name]
