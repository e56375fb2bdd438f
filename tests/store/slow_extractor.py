"""A test extractor plugged in by name: slows down, hangs or crashes on request, else reads normally."""
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
    time.sleep(float(os.environ.get("NIANBAO_TEST_DELAY", "0")))
    return extract_file(path)
