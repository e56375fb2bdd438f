"""``--ingest``: each collected report into the store, as ``nianbao ingest`` stores a file.

An entry's originals (its page, its attachments) are extracted with the ingest engine
(worker processes with a deadline each, or a Dask cluster); the one that holds the
tables becomes the report's source, stored with ``Store.store_record`` like any
ingested file: deduplicated by sha256, its URL and fetch time in the source row, the
page's URL beside it in the record's ``source``. The others stay in the collected
originals, linked to the same entry.

Runs in a thread of its own, fed entries as the crawl finishes them, in small
batches, so extraction overlaps fetching.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from .originals import Candidate, Originals, digest

EXTRACT_TASK = "nianbao.ingest.worker:extract_task"
TABLES = ("t2", "t3", "t4", "legacy")
# what the extractor reads (nianbao.sources.READERS); spreadsheets and OFD are kept, not read
READABLE = frozenset({"html", "txt", "pdf", "docx", "doc", "wps", "image"})


@dataclass
class IngestOptions:
    engine: str = "process"           # process | dask | inline
    scheduler: str | None = None
    workers: int | None = None
    timeout: float | None = 300       # per document
    batch: int = 0                    # entries per batch (0: 4 × workers)
    linger: float = 2.0               # seconds a batch waits for more entries before it starts


@dataclass
class Outcome:
    stored: list[dict] = field(default_factory=list)
    duplicate: list[dict] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)


def n_tables(record: dict) -> int:
    return sum(1 for k in TABLES if record.get(k))


def choose(results: list[tuple[Candidate, dict | None]]) -> tuple[Candidate, dict] | None:
    """The original that holds the report: most tables, then a report's title or sections, then an
    attachment before the page (the attachment is the document the agency issued), then link order."""
    ok = [(c, r) for c, r in results if isinstance(r, dict)]
    if not ok:
        return None

    def score(item):
        c, r = item
        meta = r.get("meta") or {}
        looks = bool(meta.get("year")) + bool(r.get("sections"))
        return (n_tables(r), looks, c.role != "page", -c.position)

    return max(ok, key=score)


def fill_from_title(record: dict, entry: dict) -> dict:
    """Year and agency the extraction left unknown, taken from the entry's title."""
    meta = dict(record.get("meta") or {})
    changed = False
    if meta.get("year") is None and entry.get("year"):
        meta["year"] = entry["year"]
        changed = True
    if not meta.get("agency") and entry.get("agency"):
        meta["agency"] = entry["agency"]
        changed = True
        if not meta.get("region"):
            try:
                from ..extract.meta import region_of
                meta["region"] = region_of(entry["agency"], "", meta.get("year"))
            except Exception:  # the gazetteer cannot place it: the region stays unknown
                pass
    if not changed:
        return record
    record = dict(record)
    record["meta"] = meta
    record.pop("_checked", None)  # meta changed: the store validates again
    return record


class Ingester:
    """Extracts and stores entries in a background thread; ``submit`` entry ids, then ``close``."""

    def __init__(self, store, options: IngestOptions | None = None,
                 on_done: Callable[[str, dict], None] | None = None, on_submit: Callable[[], None] | None = None):
        self.store = store
        self.originals = Originals(store)
        self.options = options or IngestOptions()
        self.outcome = Outcome()
        self.on_done = on_done
        self.on_submit = on_submit
        self._queue: queue.Queue = queue.Queue()
        self._seen: set[int] = set()
        self._thread = threading.Thread(target=self._run, name="nianbao-collect-ingest", daemon=True)
        self._error: BaseException | None = None
        self._cancelled = threading.Event()
        self._dask = None  # one Dask engine for every batch: a local cluster's worker processes start once

    def start(self) -> "Ingester":
        self._thread.start()
        return self

    def submit(self, entry_id: int) -> None:
        if entry_id in self._seen:
            return
        self._seen.add(entry_id)
        if self.on_submit:
            self.on_submit()
        self._queue.put(entry_id)

    def cancel(self) -> None:
        """Stop soon: the entries not yet extracted are left for the next run."""
        self._cancelled.set()
        self._queue.put(None)

    def close(self) -> Outcome:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.outcome

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        try:
            workers = self.options.workers or 2
            size = self.options.batch or max(4, 4 * workers)
            done = False
            while not done:
                # a batch starts worker processes: gather a few entries (or wait a little) for each
                batch = [self._queue.get()]
                until = time.monotonic() + self.options.linger
                while len(batch) < size and None not in batch:
                    try:
                        batch.append(self._queue.get(timeout=max(0.0, until - time.monotonic())))
                    except queue.Empty:
                        break
                if None in batch:
                    done = True
                    batch = [b for b in batch if b is not None]
                if batch and not self._cancelled.is_set():
                    self._batch(batch, workers)
        except BaseException as exc:  # surfaced by close(); the crawl goes on meanwhile
            self._error = exc
        finally:
            self._close_dask()

    def _close_dask(self) -> None:
        engine, self._dask = self._dask, None
        if engine is not None:
            try:
                engine.close()
            except Exception:  # noqa: BLE001  (a remote scheduler already gone)
                pass

    def _note(self, kind: str, item: dict) -> None:
        getattr(self.outcome, kind).append(item)
        if self.on_done:
            self.on_done(kind, item)

    def _batch(self, entry_ids: list[int], workers: int) -> None:
        tasks, plan = [], {}
        for eid in entry_ids:
            try:
                p = self._plan(eid)
            except Exception as exc:  # this entry fails; the others go on
                self._note("failed", {"entry": eid, "error": f"{type(exc).__name__}: {exc}"})
                continue
            if p is None:
                continue
            if not p["readable"]:
                self._finish(eid, p)
                continue
            plan[eid] = p
            tasks += p.pop("tasks")
        if not tasks:
            return
        try:
            for (eid, pos), ok, payload in self._stream(tasks, workers):
                if self._cancelled.is_set():
                    return  # closing the stream stops its workers
                p = plan[eid]
                p["results"][pos] = payload if ok else str(payload)
                if len(p["results"]) == len(p["readable"]):
                    self._finish(eid, plan.pop(eid))
        except Exception as exc:  # the engine itself failed (a Dask scheduler gone): these entries fail
            self._close_dask()  # the next batch connects anew
            for eid, p in plan.items():
                self._note("failed", {**p["label"], "error": f"抽取引擎出错 (extraction engine failed): "
                                                             f"{type(exc).__name__}: {exc}"})

    def _plan(self, eid: int) -> dict | None:
        """An entry's extraction tasks, or None when there is nothing to do (noted)."""
        from ..sources import sniff_format
        entry = self.originals.entry(eid)
        cands = self.originals.candidates(eid)
        label = {"entry": eid, "url": entry.get("url"), "title": entry.get("title")}
        if not cands:
            self._note("failed", {**label, "error": "没有取得任何原件 (no original could be fetched)"})
            return None
        dig = digest(cands)
        if entry.get("ingested") == dig:
            self._note("unchanged", {**label, "report_id": entry.get("report_id")})
            return None
        readable, tasks = [], []
        for c in cands:
            name = _name(c)
            if not _readable_suffix(name) or sniff_format(self.originals.head(c.sha256), name) not in READABLE:
                continue
            readable.append(c)
            tasks.append(((eid, c.position), (None, self.originals.blob(c.sha256), name,
                                              "nianbao.extract:extract_path")))
        return {"entry": entry, "cands": cands, "readable": readable, "digest": dig, "results": {},
                "label": label, "tasks": tasks}

    def _stream(self, tasks, workers):
        o = self.options
        if o.engine == "dask":
            if self._dask is None:
                from ..ingest.dask_engine import DaskEngine
                self._dask = DaskEngine(o.scheduler, workers=workers)
            return _one_by_one(self._dask.run(tasks, timeout=o.timeout))
        if o.engine == "inline":
            return _inline(tasks)
        from ..ingest.pool import run_tasks
        return _one_by_one(run_tasks(EXTRACT_TASK, tasks, workers=workers, timeout=o.timeout))

    def _finish(self, eid: int, p: dict) -> None:
        try:
            self._store(eid, p)
        except Exception as exc:  # the store refused or failed: this entry only
            self._note("failed", {**p["label"], "error": f"入库失败 (store failed): {type(exc).__name__}: {exc}"})

    def _store(self, eid: int, p: dict) -> None:
        entry, label = p["entry"], p["label"]
        results = [(c, p["results"].get(c.position)) for c in p["readable"]]
        picked = choose(results)
        if picked is None:
            errors = "; ".join(f"{c.url}: {r}" for c, r in results) or \
                "没有可读取的原件 (no original in a format nianbao reads)"
            self.originals.ingest_failed(eid, errors)
            self._note("failed", {**label, "error": errors})
            return
        cand, record = picked
        record = fill_from_title(record, entry)
        page = next((c for c in p["cands"] if c.role == "page"), None)
        source = dict(record.get("source") or {})
        source.update(url=cand.url, final_url=cand.final_url, page_url=page.url if page else None,
                      title=entry.get("title"),
                      fetched_at=cand.fetched_at.isoformat() if cand.fetched_at else None)
        record = {**record, "source": source}
        try:
            data = self.originals.blob(cand.sha256)
            out = self.store.store_record(record, data=data, filename=_name(cand), manifest_row=entry.get("given"),
                                          url=cand.url, sha256=cand.sha256, size=len(data),
                                          fetched_at=cand.fetched_at)
        except Exception as exc:  # one entry's failure: noted, the batch goes on
            msg = f"入库失败 (store failed): {type(exc).__name__}: {exc}"
            self.originals.ingest_failed(eid, msg)
            self._note("failed", {**label, "error": msg})
            return
        self.originals.ingested(eid, p["digest"], cand.sha256, out.get("report_id"))
        item = {**label, "report_id": out.get("report_id"), "source_url": cand.url, "sha256": cand.sha256,
                "agency": out.get("agency"), "year": out.get("year")}
        self._note("stored" if out["status"] == "stored" else "duplicate", item)


def _name(c: Candidate) -> str:
    """A file name whose suffix tells the extractor the format (WPS and DOC share their magic bytes)."""
    from urllib.parse import unquote, urlsplit
    name = c.filename or unquote(urlsplit(c.final_url or c.url).path.rsplit("/", 1)[-1]) or "download"
    if "." not in name.rsplit("/", 1)[-1]:
        ctype = (c.content_type or "").split(";")[0].strip().lower()
        name += {"text/html": ".html", "application/xhtml+xml": ".html", "application/pdf": ".pdf",
                 "application/msword": ".doc", "text/plain": ".txt",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
                 "application/vnd.ms-works": ".wps", "application/kswps": ".wps", "image/jpeg": ".jpg",
                 "image/png": ".png", "image/tiff": ".tif"}.get(ctype, "")
    return name


def _readable_suffix(name: str) -> bool:
    # a spreadsheet is OLE2 or ZIP like a DOC or DOCX: its suffix alone tells them apart
    return not name.lower().endswith((".xls", ".xlsx", ".et", ".ofd"))


def _inline(tasks):
    from ..ingest.worker import extract_task
    from ..ingest.pool import describe
    for key, args in tasks:
        try:
            yield key, True, extract_task(*args)
        except Exception as exc:
            yield key, False, describe(exc)


def _one_by_one(batches):
    """The engines yield the results that ended together as a list: one at a time here."""
    for batch in batches:
        yield from batch
