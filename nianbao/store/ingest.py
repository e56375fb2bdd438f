"""Batch ingest: files (or a manifest of paths/URLs) → the store.

Extraction runs in worker processes (or on a Dask cluster); the parent writes,
one transaction per document, so a crash loses nothing committed and leaves
nothing half-written. A file whose sha256 is already stored is skipped before
extraction, which makes re-running a batch resume it.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from .api import IngestResult, Store, StoreError

EXTRACTOR = "nianbao.extract:extract_path"
MANIFEST_COLUMNS = ("path", "url", "agency", "region", "level", "year", "kind")
RECORD_SUFFIXES = (".json",)  # canonical records written by `nianbao extract --json`


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


# ---------------------------------------------------------------------- worker side

def extract_file(path: str, extractor: str = EXTRACTOR):
    """Runs in a worker: one file → its canonical record (a pre-extracted .json record is read as is)."""
    if path.lower().endswith(RECORD_SUFFIXES):
        return read_record_file(path)
    from .pool import _resolve
    return _resolve(extractor)(path)


def read_record_file(path: str) -> dict:
    from ..sources import SourceError
    try:
        rec = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"不是有效的 JSON 记录 (not a valid JSON record): {exc}") from exc
    if not isinstance(rec, dict) or "meta" not in rec:
        raise SourceError("JSON 文件不是 canonical 记录 (JSON is not a canonical record: no 'meta')")
    return rec


def extract_data(data: bytes, filename: str) -> tuple[bool, object]:
    """In-process extraction of bytes: (True, record) or (False, reason)."""
    from ..sources import SourceError
    try:
        if filename.lower().endswith(RECORD_SUFFIXES):
            rec = json.loads(data.decode("utf-8"))
            if not isinstance(rec, dict) or "meta" not in rec:
                raise SourceError("JSON 文件不是 canonical 记录 (JSON is not a canonical record)")
            return True, rec
        from ..extract import extract_bytes
        return True, extract_bytes(data, filename)
    except SourceError as exc:
        return False, str(exc)
    except Exception as exc:  # an extractor bug is this file's failure, not the caller's crash
        return False, f"{type(exc).__name__}: {exc}"


def extract_task(path: str | None, data: bytes | None, name: str, extractor: str = EXTRACTOR):
    """Worker entry point used by both engines: extract, then validate, in the worker.

    Validation is a pure function of the record, so it runs here rather than in the
    single writing parent (``_checked`` carries the findings to ``store_record``).
    """
    rec = _extract_task(path, data, name, extractor)
    if isinstance(rec, dict):
        from . import checks
        rec = dict(rec)
        rec["_checked"] = checks.check(rec)
    return rec


def _extract_task(path: str | None, data: bytes | None, name: str, extractor: str = EXTRACTOR):
    if data is None:
        if extractor != EXTRACTOR:  # a plugged-in extractor sees every file, records included
            from .pool import _resolve
            return _resolve(extractor)(path)
        return extract_file(path)
    if name.lower().endswith(RECORD_SUFFIXES):
        ok, payload = extract_data(data, name)
        if not ok:
            from ..sources import SourceError
            raise SourceError(payload)
        return payload
    if extractor == EXTRACTOR:
        from ..extract import extract_bytes
        return extract_bytes(data, name)
    import tempfile
    from .pool import _resolve
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / Path(name).name
        p.write_bytes(data)
        return _resolve(extractor)(str(p))


# ---------------------------------------------------------------------- inputs

def read_manifest(path: str | os.PathLike) -> list[dict]:
    """Manifest CSV rows; paths are relative to the manifest's folder."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{p}: 无法读取清单 (cannot read manifest): {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not ({"path", "url"} & {f.strip() for f in reader.fieldnames}):
        raise StoreError(f"{p}: 清单须有 path 或 url 列 (manifest needs a 'path' or 'url' column)")
    rows = []
    for i, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        loc = row.get("path") or ""
        if loc.startswith(("http://", "https://")):
            row["url"], row["path"] = loc, ""
        elif loc and not Path(loc).is_absolute():
            row["path"] = str((p.parent / loc).resolve())
        if not row.get("path") and not row.get("url"):
            raise StoreError(f"{p}:{i}: 没有 path 或 url (row has no path or url)")
        rows.append(row)
    return rows


def collect(paths: Iterable[str | os.PathLike], manifest: list[dict] | None,
            exclude: Iterable[str] = ()) -> tuple[list[Item], list[dict]]:
    """The documents to ingest, and the inputs that do not exist (as failures).

    ``exclude``: files never taken from a folder walk (the store's own database files).
    """
    exclude = {str(Path(e).resolve()) for e in exclude}
    by_path = {}
    by_name: dict[str, dict] = {}
    items: list[Item] = []
    missing = []
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

    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(x for x in p.rglob("*") if x.is_file() and not x.name.startswith(".")):
                add_file(f, None)
        elif p.is_file():
            add_file(p, None)
        else:
            missing.append({"path": str(p), "error": "文件不存在 (no such file or folder)"})
    if not paths:
        for row in manifest or []:
            if row.get("url") and not row.get("path"):
                items.append(Item(key=row["url"], url=row["url"], manifest=row))
            elif Path(row["path"]).is_file():
                add_file(Path(row["path"]), row)
            else:
                missing.append({"path": row["path"], "error": "文件不存在 (no such file)"})
    return items, missing


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


# ---------------------------------------------------------------------- the batch

def ingest(store: Store, paths: Iterable[str | os.PathLike] = (), *, manifest: str | os.PathLike | list | None = None,
           workers: int | None = None, timeout: float | None = 300, engine: str = "process",
           scheduler: str | None = None, keep_bytes: bool = True, progress: bool = False,
           extractor: str = EXTRACTOR, on_result: Callable[[str, dict], None] | None = None) -> IngestResult:
    """Ingest files, folders and manifest rows; one failure never stops the batch."""
    rows = read_manifest(manifest) if isinstance(manifest, (str, os.PathLike)) else manifest
    items, missing = collect(list(paths), rows, exclude=_own_files(store))
    result = IngestResult(failed=list(missing))

    def note(kind: str, entry: dict):
        getattr(result, kind).append(entry)
        if on_result:
            on_result(kind, entry)

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
    tasks = [(it.key, (it.path if it.data is None else None, it.data,
                       Path(it.path or it.url.split("?")[0]).name or "download", extractor)) for it in pending]
    workers = workers or max(1, min(os.cpu_count() or 1, 8))

    bar = _progress(progress, len(pending))
    try:
        if engine == "dask":
            from .dask_engine import run_dask
            stream = run_dask(tasks, scheduler=scheduler, workers=workers, timeout=timeout)
        elif engine == "process":
            from .pool import run_tasks
            stream = run_tasks("nianbao.store.ingest:extract_task", tasks, workers=workers, timeout=timeout)
        elif engine == "inline":  # no subprocesses: for debugging an extractor
            stream = _inline(tasks)
        else:
            raise StoreError(f"未知引擎 (unknown engine): {engine}; 可用 (use) process, dask")
        for key, ok, payload in stream:
            it = by_key[key]
            if not ok:
                note("failed", {"path": key, "sha256": it.sha256, "error": str(payload)})
            else:
                try:
                    data = it.data
                    if data is None and keep_bytes and not key.lower().endswith(RECORD_SUFFIXES):
                        data = Path(it.path).read_bytes()
                    out = store.store_record(payload, data=data if keep_bytes else None, path=it.path,
                                             filename=Path(it.path or it.url.split("?")[0]).name,
                                             manifest_row=it.manifest, url=it.url, sha256=it.sha256,
                                             size=it.size, fetched_at=it.fetched_at)
                except (StoreError, OSError, ValueError, TypeError, KeyError) as exc:
                    note("failed", {"path": key, "sha256": it.sha256, "error": f"入库失败 (store failed): {exc}"})
                else:
                    out["path"] = key
                    note("stored" if out["status"] == "stored" else "skipped",
                         out if out["status"] == "stored" else {**out, "reason": "已入库 (already stored)"})
            if bar:
                bar[0].advance(bar[1])
    finally:
        if bar:
            bar[0].stop()
    return result


def _own_files(store: Store) -> list[str]:
    db = store.engine.url.database if store.dialect == "sqlite" else None
    if not db or db == ":memory:":
        return []
    return [db + suffix for suffix in ("", "-wal", "-shm", "-journal")]


def _inline(tasks):
    for key, args in tasks:
        try:
            yield key, True, extract_task(*args)
        except Exception as exc:
            from .pool import describe
            yield key, False, describe(exc)


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
