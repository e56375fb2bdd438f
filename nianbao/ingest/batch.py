"""Batch ingest: files, folders, a manifest of paths or URLs → extracted records → the store.

Extraction runs in bounded worker processes (or on a Dask cluster); this process writes.
The writer runs in a thread of its own and takes whatever results have arrived as one batch
(one transaction, :meth:`Store.store_records`): when extraction is the slower side batches
stay small, when the store is they grow, and the workers never wait for the writer. A crash
(even ``kill -9``) loses nothing committed and leaves no batch half-written; a file whose
sha256 is stored is skipped before extraction, so running the same command again completes
the run.
"""
from __future__ import annotations

import csv
import hashlib
import os
import queue
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from ..folders import display, walk
from ..store import Doc, Store, StoreError
from . import collector
from .worker import EXTRACTOR, RECORD_SUFFIXES

MANIFEST_COLUMNS = ("path", "url", "agency", "region", "level", "year", "kind")
MAX_BATCH = 200     # documents per transaction at most
BACKLOG = 400       # results waiting for the writer before extraction pauses
LINGER = 0.3        # seconds the writer gathers results into one batch


@dataclass
class IngestResult:
    stored: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)


@dataclass
class Item:
    """One document to ingest."""
    key: str                   # path or URL as given
    path: str | None = None
    url: str | None = None
    manifest: dict | None = None
    sha256: str | None = None
    size: int | None = None
    data: bytes | None = None  # fetched URL content
    fetched_at: datetime | None = None


# ---------------------------------------------------------------------- inputs

def read_manifest(path: str | os.PathLike) -> list[dict]:
    """Manifest CSV rows; paths are relative to the manifest's folder."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{display(p)}: 无法读取清单 (cannot read manifest): {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not ({"path", "url"} & {f.strip() for f in reader.fieldnames}):
        raise StoreError(f"{display(p)}: 清单须有 path 或 url 列 (manifest needs a 'path' or 'url' column)")
    rows = []
    for i, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        loc = row.get("path") or ""
        if loc.startswith(("http://", "https://")):
            row["url"], row["path"] = loc, ""
        elif loc and not Path(loc).is_absolute():
            row["path"] = str((p.parent / loc).resolve())
        if not row.get("path") and not row.get("url"):
            raise StoreError(f"{display(p)}:{i}: 没有 path 或 url (row has no path or url)")
        rows.append(row)
    return rows


def collect(paths: Iterable[str | os.PathLike], manifest: list[dict] | None,
            exclude: Iterable[str] = ()) -> tuple[list[Item], list[dict]]:
    """The documents to ingest, and the entries that cannot be (as failures, each with its reason).

    Every entry of a folder is accounted for: a symbolic link that loops or points nowhere, a
    folder that cannot be read, a FIFO or device, an empty folder named like a file are failures;
    hidden files are left out. ``exclude``: files never taken (the store's own database files).
    """
    exclude = {str(Path(e).resolve()) for e in exclude}
    by_path = {}
    by_name: dict[str, dict] = {}
    items: list[Item] = []
    failed = []
    names: dict[str, int] = {}
    for row in manifest or []:
        if row.get("path"):
            by_path[str(Path(row["path"]).resolve())] = row
            by_name.setdefault(Path(row["path"]).name, row)
            names[Path(row["path"]).name] = names.get(Path(row["path"]).name, 0) + 1
    # a file given on the command line matches a manifest row by path, else by a file name used once
    by_name = {n: r for n, r in by_name.items() if names[n] == 1}
    seen = set()

    def add_file(f: Path, row: dict | None):
        key = str(f.resolve())
        if key in seen or key in exclude:
            return
        seen.add(key)
        items.append(Item(key=str(f), path=key, manifest=row or by_path.get(key) or by_name.get(f.name)))

    def add_tree(p: Path, row: dict | None = None):
        for entry in walk(p):
            if entry.skipped:
                continue
            if entry.error:
                failed.append({"path": str(entry.path), "error": entry.error, "reason": entry.reason})
            else:
                add_file(entry.path, row)

    for p in paths:
        p = Path(p)
        if p.exists() or p.is_symlink():
            add_tree(p)
        else:
            failed.append({"path": str(p), "error": "文件不存在 (no such file or folder)", "reason": "missing"})
    if not paths:
        for row in manifest or []:
            if row.get("url") and not row.get("path"):
                items.append(Item(key=row["url"], url=row["url"], manifest=row))
            elif Path(row["path"]).exists() or Path(row["path"]).is_symlink():
                add_tree(Path(row["path"]), row)
            else:
                failed.append({"path": row["path"], "error": "文件不存在 (no such file)", "reason": "missing"})
    return items, failed


def _hash_file(path: str) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def _fetch(url: str, timeout: float) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "nianbao"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def _name(it: Item) -> str:
    return Path(it.path or it.url.split("?")[0]).name or "download"


# ---------------------------------------------------------------------- the batch

def ingest(store: Store, paths: Iterable[str | os.PathLike] = (), *, manifest: str | os.PathLike | list | None = None,
           workers: int | None = None, timeout: float | None = 300, memory_mb: int | None = None,
           engine: str = "process", scheduler: str | None = None, keep_bytes: bool = True, progress: bool = False,
           extractor: str = EXTRACTOR, on_result: Callable[[str, dict], None] | None = None,
           max_batch: int = MAX_BATCH) -> IngestResult:
    """Ingest files, folders and manifest rows; one failure never stops the batch.

    ``timeout`` and ``memory_mb`` bound each document's extraction (default: the folder-run
    limits of :mod:`nianbao.sources.limits`).
    """
    rows = read_manifest(manifest) if isinstance(manifest, (str, os.PathLike)) else manifest
    items, not_found = collect(list(paths), rows, exclude=_own_files(store))
    result = IngestResult()
    lock = threading.Lock()

    def note(kind: str, entry: dict):
        with lock:
            getattr(result, kind).append(entry)
        if on_result:
            on_result(kind, entry)

    for f in not_found:
        note("failed", f)

    # hash (and fetch) first: what is stored already is skipped before any extraction
    todo: list[Item] = []
    batch_shas: set[str] = set()
    for it in items:
        try:
            if it.url:
                it.data = _fetch(it.url, timeout or 60)
                it.fetched_at = datetime.now(timezone.utc)
                it.sha256, it.size = hashlib.sha256(it.data).hexdigest(), len(it.data)
            else:
                it.sha256, it.size = _hash_file(it.path)
        except OSError as exc:
            note("failed", {"path": it.key, "error": f"无法读取 (cannot read): {exc}"})
            continue
        if it.sha256 in batch_shas:
            note("skipped", {"path": it.key, "sha256": it.sha256, "reason": "本批重复 (duplicate in batch)"})
            continue
        batch_shas.add(it.sha256)
        todo.append(it)
    known = store.known_shas(it.sha256 for it in todo)
    pending = []
    for it in todo:
        if it.sha256 in known:
            note("skipped", {"path": it.key, "sha256": it.sha256, "reason": "已入库 (already stored)"})
        else:
            pending.append(it)

    by_key = {it.key: it for it in pending}
    tasks = [(it.key, (it.path if it.data is None else None, it.data, _name(it), extractor)) for it in pending]
    workers = workers or max(1, min(os.cpu_count() or 1, 8))
    if engine not in ("process", "dask", "inline"):
        raise StoreError(f"未知引擎 (unknown engine): {engine}; 可用 (use) process, dask")
    if timeout is None or memory_mb is None:
        from ..sources.limits import limits
        default_timeout, default_memory = limits()
        memory_mb = memory_mb or default_memory
    bar = _progress(progress, len(pending))
    results: queue.Queue = queue.Queue()
    write_errors: list[BaseException] = []

    def write_loop():
        while True:
            first = results.get()
            if first is None:
                return
            batch = [first]
            done = False
            # gather for a moment: a batch's fixed cost (a transaction, a dozen statements) spread
            # over several documents, at the price of a fraction of a second before they are stored
            until = time.monotonic() + LINGER
            while len(batch) < max_batch:
                try:
                    nxt = results.get(timeout=max(0.0, until - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    done = True
                    break
                batch.append(nxt)
            try:
                _store_batch(store, batch, by_key, keep_bytes, note)
            except BaseException as exc:  # noqa: BLE001  (re-raised in the caller's thread)
                write_errors.append(exc)
                return
            if bar:
                bar[0].advance(bar[1], len(batch))
            if done:
                return

    writer = threading.Thread(target=write_loop, name="nianbao-writer", daemon=True)
    with collector.tuned():
        writer.start()
        try:
            _feed(_stream(engine, tasks, workers, timeout, memory_mb, scheduler, results), results, write_errors,
                  by_key, note, bar)
        finally:
            results.put(None)
            writer.join()
            if bar:
                bar[0].stop()
    if write_errors:
        raise write_errors[0]
    return result


def _feed(stream, results: queue.Queue, write_errors: list, by_key: dict, note, bar) -> None:
    """Extraction results to the writer; failures noted as they come."""
    for got in stream:
        for key, ok, payload in got:
            if write_errors:
                raise write_errors[0]
            if ok:
                results.put((key, payload))
            else:
                note("failed", {"path": key, "sha256": by_key[key].sha256, "error": str(payload)})
                if bar:
                    bar[0].advance(bar[1])


def _stream(engine, tasks, workers, timeout, memory_mb, scheduler, backlog: queue.Queue):
    """Lists of ``(key, ok, record or reason)`` as extraction ends; paused while the writer is behind."""
    if engine == "dask":
        from .dask_engine import run_dask
        yield from run_dask(tasks, scheduler=scheduler, workers=workers, timeout=timeout, memory_mb=memory_mb,
                            ready=lambda: backlog.qsize() < BACKLOG)
        return
    if engine == "inline":  # no subprocesses: for debugging an extractor
        for key, args in tasks:
            yield [_inline(key, args)]
        return
    from .pool import Pool
    todo = iter(tasks)
    exhausted = False
    with Pool("nianbao.ingest.worker:extract_task", workers=workers, timeout=timeout, memory_mb=memory_mb,
              ahead=True) as pool:
        while True:
            while not exhausted and pool.idle() > 0 and backlog.qsize() < BACKLOG:
                nxt = next(todo, None)
                if nxt is None:
                    exhausted = True
                else:
                    pool.submit(*nxt)
            if exhausted and pool.pending == 0:
                return
            if not pool.pending:  # the writer is behind: let it catch up
                time.sleep(0.05)
                continue
            got = pool.poll()
            if got:
                yield got


def _inline(key, args):
    from .pool import describe
    from .worker import extract_task
    try:
        return key, True, extract_task(*args)
    except Exception as exc:
        return key, False, describe(exc)


def _store_batch(store: Store, batch: list[tuple[str, dict]], by_key: dict, keep_bytes: bool, note) -> None:
    docs, keys = [], []
    for key, record in batch:
        it = by_key[key]
        data = it.data
        try:
            if data is None and keep_bytes and not key.lower().endswith(RECORD_SUFFIXES):
                data = Path(it.path).read_bytes()
        except OSError as exc:
            note("failed", {"path": key, "sha256": it.sha256, "error": f"无法读取 (cannot read): {exc}"})
            continue
        docs.append(Doc(record=record, data=data if keep_bytes else None, path=it.path, filename=_name(it),
                        manifest_row=it.manifest, url=it.url, sha256=it.sha256, size=it.size,
                        fetched_at=it.fetched_at))
        keys.append(key)
    if not docs:
        return
    for key, out in zip(keys, store.store_records(docs)):
        out = {**out, "path": key}
        if out["status"] == "stored":
            note("stored", out)
        elif out["status"] == "duplicate":
            note("skipped", {**out, "reason": "已入库 (already stored)"})
        else:
            note("failed", out)


def _own_files(store: Store) -> list[str]:
    db = store.engine.url.database if store.dialect == "sqlite" else None
    if not db or db == ":memory:":
        return []
    return [db + suffix for suffix in ("", "-wal", "-shm", "-journal")]


def _progress(enabled: bool, total: int):
    if not enabled or total == 0:
        return None
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)
    bar = Progress(TextColumn("入库 ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn(), transient=False)
    task = bar.add_task("ingest", total=total)
    bar.start()
    return bar, task
