"""Ingest: drive extraction (bounded worker processes, or a Dask cluster) and hand the records to the store.

The store (:mod:`nianbao.store`) only writes records; this package reads files, folders,
manifests and URLs, extracts them away from the calling process, and calls
``Store.store_records``. Public API::

    from nianbao.ingest import ingest_paths, ingest_bytes

    ingest_paths(store, paths, manifest=None, workers=None, timeout=300, memory_mb=None,
                 engine="process"|"dask", scheduler=None, keep_bytes=True, progress=False)
        -> IngestResult(stored, skipped, failed)
    ingest_bytes(store, data, filename, manifest_row=None, url=None, keep_bytes=True,
                 timeout=None, memory_mb=None, author=None)
        -> {"status": "stored"|"duplicate"|"failed", "report_id", "version_id", "sha256", "error"}
    reextract(store, report_id, user=None, timeout=None, memory_mb=None)
        -> {"report_id", "version_id", "number", "reapplied"}   # the stored file read again

Every extraction runs in a worker process capped in time and memory (by default the limits of
folder runs, :func:`nianbao.sources.limits.limits`); a file that overruns fails alone.
The web server's uploads go through :mod:`nianbao.ingest.jobs` (a queue in the store, run by a
bounded pool in the background).
"""
from __future__ import annotations

import hashlib

from .batch import IngestResult, Item, collect, ingest, read_manifest

__all__ = ["ingest_paths", "ingest_bytes", "reextract", "IngestResult", "Item", "collect", "read_manifest"]

ingest_paths = ingest


def _extract_bounded(data: bytes, filename: str, timeout: float | None, memory_mb: int | None) -> tuple[bool, object]:
    """(ok, record or error): one file's bytes extracted in a worker process capped in time and memory."""
    from ..sources.limits import limits
    from .pool import Pool
    default_timeout, default_memory = limits()
    with Pool("nianbao.ingest.worker:extract_task", workers=1, timeout=timeout or default_timeout,
              memory_mb=memory_mb or default_memory) as pool:
        pool.submit(filename, (None, data, filename))
        got = []
        while not got:
            got = pool.poll()
    _, ok, payload = got[0]
    return ok, payload


def ingest_bytes(store, data: bytes, filename: str, manifest_row: dict | None = None, url: str | None = None,
                 keep_bytes: bool = True, timeout: float | None = None, memory_mb: int | None = None,
                 author: str | None = None) -> dict:
    """Extract one file's bytes in a bounded worker process and store the record."""
    from ..store import Doc
    sha = hashlib.sha256(data).hexdigest()
    existing = store.report_of_sha(sha)
    if existing is not None:
        return {"status": "duplicate", "report_id": existing, "sha256": sha}
    ok, payload = _extract_bounded(data, filename, timeout, memory_mb)
    if not ok:
        return {"status": "failed", "error": str(payload), "sha256": sha, "filename": filename}
    return store.store_records([Doc(record=payload, data=data if keep_bytes else None, filename=filename,
                                    manifest_row=manifest_row, url=url, sha256=sha, size=len(data),
                                    author=author)])[0]


def reextract(store, report_id: int, user: str | None = None, timeout: float | None = None,
              memory_mb: int | None = None) -> dict:
    """Read a stored report's file again (in a bounded worker) and store the new extraction, the
    corrections in force re-applied on top (``Store.store_reextraction``)."""
    from ..store import StoreError
    data, filename, _fmt = store.source_bytes(report_id)
    ok, payload = _extract_bounded(data, filename, timeout, memory_mb)
    if not ok:
        raise StoreError(f"{filename}: 重新抽取失败 (re-extraction failed): {payload}")
    return store.store_reextraction(report_id, payload, user)
