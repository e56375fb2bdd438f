"""The run: columns → their pages → report entries → each report's page and attachments.

The crawl is asynchronous (one event loop, any number of hosts, each behind its own gate);
the store is written by one thread, so fetching never waits on the database; ``--ingest``
extraction runs beside it (see :mod:`.ingest`). Nothing is followed beyond that path: no
links but a listing's pagination, its report entries and a report page's attachments.
"""
from __future__ import annotations

import asyncio
import csv
import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import pages
from .fetch import Fetcher, FetchError, Policy, resolve
from .ingest import Ingester, IngestOptions, Outcome
from .originals import Known, Originals
from .titles import better_title, read_title

TARGET_TYPES = ("auto", "column", "report")
LIST_COLUMNS = ("url", "type", "agency", "region", "level", "year", "kind")


class CollectError(Exception):
    """A request the collector cannot start on (a bad list, a bad address); the message says why."""


@dataclass
class Target:
    url: str
    type: str = "auto"                 # auto | column | report
    given: dict = field(default_factory=dict)  # agency/region/level/year/kind the user states


@dataclass
class CollectResult:
    entries: list[dict] = field(default_factory=list)     # every report entry found
    new: int = 0                                          # addresses whose content was stored first now
    changed: int = 0
    unchanged: int = 0
    failed: list[dict] = field(default_factory=list)      # {url, role, reason, error}
    skipped: list[dict] = field(default_factory=list)     # {url, reason}: robots, --since
    requests: dict[str, int] = field(default_factory=dict)  # per host
    ingest: Outcome | None = None


def read_list(path: str | Path) -> list[Target]:
    """``--list``: a CSV with a ``url`` column, and optionally type (column|report), agency, region, level,
    year, kind; what a row gives overrides what extraction finds, as in an ingest manifest."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CollectError(f"{p}: 无法读取地址清单 (cannot read the list): {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or "url" not in {f.strip() for f in reader.fieldnames}:
        raise CollectError(f"{p}: 清单须有 url 列 (the list needs a 'url' column)")
    out = []
    for i, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        out.append(target(row.get("url", ""), row.get("type") or "auto",
                          {k: row[k] for k in LIST_COLUMNS[2:] if row.get(k)}, where=f"{p}:{i}"))
    return out


def target(url: str, type_: str = "auto", given: dict | None = None, where: str | None = None) -> Target:
    where = f"{where}: " if where else ""
    norm = resolve("http://x/", url) if url.startswith(("http://", "https://")) else None
    if norm is None:
        raise CollectError(f"{where}不是 http(s) 地址 (not an http(s) URL): {url!r}")
    if type_ not in TARGET_TYPES:
        raise CollectError(f"{where}type 须为 column 或 report (type must be column or report): {type_!r}")
    given = dict(given or {})
    if given.get("year"):
        try:
            given["year"] = int(str(given["year"]))
        except ValueError:
            raise CollectError(f"{where}年份无效 (bad year): {given['year']!r}") from None
    return Target(norm, type_, given)


class Run:
    def __init__(self, store, policy: Policy | None = None, *, since: int | None = None,
                 ingest: IngestOptions | None = None, max_pages: int = 500,
                 progress: Callable[[str, int], None] | None = None, transport=None):
        self.store = store
        self.originals = Originals(store)
        self.policy = policy or Policy()
        self.since = since
        self.ingest_options = ingest
        self.max_pages = max_pages
        self.progress = progress or (lambda kind, n=1: None)
        self.transport = transport
        self.result = CollectResult()
        self._docs: dict[str, asyncio.Future] = {}
        self._entries: set[str] = set()
        self._known: dict[str, Known] = {}
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="nianbao-collect-db")
        self._ingester: Ingester | None = None

    # ------------------------------------------------------------------ entry point
    def run(self, targets: list[Target]) -> CollectResult:
        self._known = self.originals.known()
        if self.ingest_options is not None:
            self._ingester = Ingester(self.store, self.ingest_options,
                                      on_done=lambda kind, item: self.progress("ingested"),
                                      on_submit=lambda: self.progress("ingest_total")).start()
        try:
            if targets:
                asyncio.run(self._main(targets))
            elif self._ingester is not None:
                for eid in self.originals.pending():
                    self._ingester.submit(eid)
        except BaseException:
            if self._ingester is not None:
                self._ingester.cancel()
            raise
        finally:
            self._writer.shutdown(wait=True)
            if self._ingester is not None:
                self.result.ingest = self._ingester.close()
        return self.result

    async def _main(self, targets: list[Target]) -> None:
        async with Fetcher(self.policy, transport=self.transport,
                           on_request=lambda host, url, outcome: self.progress("request")) as fetcher:
            self.fetcher = fetcher
            async with asyncio.TaskGroup() as tg:
                self.tg = tg
                for t in targets:
                    self._spawn(self._start(t), t.url)
            self.result.requests = dict(fetcher.requests)

    def _spawn(self, coro, url: str) -> None:
        self.tg.create_task(self._guard(coro, url))

    async def _guard(self, coro, url: str) -> None:
        try:
            await coro
        except Exception as exc:  # a bug or a store failure costs one branch of the crawl, not the run
            self._fail(url, "run", "error", f"{type(exc).__name__}: {exc}")

    async def _db(self, fn, *args, **kw):
        return await asyncio.get_running_loop().run_in_executor(self._writer, functools.partial(fn, *args, **kw))

    # ------------------------------------------------------------------ fetching with the store
    async def _fetch(self, url: str, role: str, parent: str | None = None, text: str | None = None) -> dict | None:
        """The document at ``url``, fetched once per run: {url, final_url, sha256, data, …} or None (failed).

        Only the first caller gets the bytes; a later one (the same attachment on a second page) reads
        them from the store if it needs them, so a run holds no more bytes than it is working on."""
        fut = self._docs.get(url)
        if fut is not None:
            doc = await fut
            return dict(doc) if doc else None
        fut = self._docs[url] = asyncio.get_running_loop().create_future()
        doc = None
        try:
            doc = await self._fetch_once(url, role, parent, text)
        except Exception as exc:  # a store failure or a bug: this address fails, the run goes on
            self._fail(url, role, "error", f"{type(exc).__name__}: {exc}")
        finally:
            fut.set_result(dict(doc, data=None) if doc else None)
        return doc

    async def _fetch_once(self, url: str, role: str, parent: str | None, text: str | None) -> dict | None:
        known = self._known.get(url)
        have = known is not None and known.sha256 is not None
        self.progress("total")
        try:
            res = await self.fetcher.get(url, etag=known.etag if have else None,
                                         last_modified=known.last_modified if have else None)
        except FetchError as exc:
            if exc.reason == "robots":
                self.result.skipped.append({"url": url, "role": role, "reason": "robots", "error": str(exc)})
            else:
                self._fail(url, role, exc.reason, str(exc))
            await self._db(self.originals.failed, url, role, str(exc), exc.status, parent, text)
            self.progress("fetched")
            return None
        self.progress("fetched")
        if res.not_modified:
            if not have:
                msg = "服务器回答 304 但库中没有此文件 (HTTP 304 for an address never stored)"
                self._fail(url, role, "http-304", msg)
                await self._db(self.originals.failed, url, role, msg, 304, parent, text)
                return None
            await self._db(self.originals.unchanged, url, role, 304, parent, text)
            self.result.unchanged += 1
            return {"url": url, "final_url": known.final_url or url, "sha256": known.sha256,
                    "content_type": known.content_type, "filename": known.filename, "data": None}
        status, stored = await self._db(self.originals.save, res, role, parent, text)
        self._known[url] = stored
        if status == "new":
            self.result.new += 1
        elif status == "changed":
            self.result.changed += 1
        else:
            self.result.unchanged += 1
        return {"url": url, "final_url": res.final_url, "sha256": res.sha256, "content_type": res.content_type,
                "filename": res.filename, "data": res.data}

    async def _is_html(self, doc: dict) -> bool:
        head = doc["data"][:2048] if doc["data"] is not None else await self._db(self.originals.head, doc["sha256"])
        return pages.is_html(head, doc["content_type"], doc.get("filename") or "")

    async def _page(self, doc: dict) -> pages.Page | None:
        """The document parsed as an HTML page (None: it is a file, PDF, DOC, …)."""
        if not await self._is_html(doc):
            return None
        data = doc["data"]
        if data is None:
            data = await self._db(self.originals.blob, doc["sha256"])
        # parsing a large page takes a while: the other hosts' transfers go on meanwhile
        return await asyncio.to_thread(pages.parse, data, doc["final_url"])

    def _fail(self, url: str, role: str, reason: str, error: str) -> None:
        self.result.failed.append({"url": url, "role": role, "reason": reason, "error": error})

    # ------------------------------------------------------------------ the crawl
    async def _start(self, t: Target) -> None:
        doc = await self._fetch(t.url, "column" if t.type == "column" else "page")
        if doc is None:
            return
        page = await self._page(doc)
        if page is None or t.type == "report" or (t.type == "auto" and pages.kind(page) == "report"):
            await self._report(t.url, None, None, t.given, doc=doc, page=page, depth=1)
            return
        await self._listing(t.url, t.url, doc, page, t.given, {t.url})

    async def _listing(self, column: str, url: str, doc: dict | None, page: pages.Page | None, given: dict,
                       seen: set[str], depth: int = 0) -> None:
        if doc is None:
            doc = await self._fetch(url, "listing", column)
            if doc is None:
                return
            page = await self._page(doc)
        if page is None:
            self._fail(url, "listing", "not-html", "栏目页不是网页 (the listing is not an HTML page)")
            return
        # what a list row says of a column holds for all its reports, but its year for none
        given = {k: v for k, v in given.items() if k != "year"}
        for link in pages.entries(page):
            self._spawn(self._report(link.url, column, link.text, given, depth=depth), link.url)
        for nxt in pages.pagination(page, column):
            if nxt in seen:
                continue
            if len(seen) >= self.max_pages:
                self.result.skipped.append({"url": nxt, "role": "listing", "reason": "max-pages",
                                            "error": f"栏目超过 {self.max_pages} 页 (more than {self.max_pages} "
                                                     f"listing pages)"})
                break
            seen.add(nxt)
            self._spawn(self._listing(column, nxt, None, None, given, seen, depth), nxt)

    async def _entry_record(self, url: str, column: str | None, title: str | None, given: dict) -> int:
        year, agency = read_title(title)
        eid = await self._db(self.originals.add_entry, url, column_url=column, title=title, year=year,
                             agency=agency, given=given or None)
        return eid

    async def _report(self, url: str, column: str | None, title: str | None, given: dict, *,
                      doc: dict | None = None, page: pages.Page | None = None, depth: int = 0) -> None:
        if url in self._entries:  # linked twice (on two listing pages, or on a column and in the list)
            return
        self._entries.add(url)
        year, _ = read_title(title)
        year = given.get("year") or year
        if self.since and year and year < self.since:
            self.result.skipped.append({"url": url, "role": "page", "reason": "since",
                                        "error": f"{year} 年早于 --since {self.since} (year before --since)"})
            return
        if doc is None:
            doc = await self._fetch(url, "page", column, title)
            page = await self._page(doc) if doc is not None else None
        if page is not None and depth == 0 and not page.has_tables and not pages.attachments(page) \
                and pages.kind(page) == "column":
            # an entry that lists reports itself (one year's reports of every agency): one level down
            await self._listing(url, url, doc, page, given, {url}, depth=1)
            return
        eid = await self._entry_record(url, column, title, given)
        item = {"entry": eid, "url": url, "title": title, "column": column}
        self.result.entries.append(item)
        if doc is None:
            await self._db(self.originals.link, eid, [(url, "page", title)])
            return
        if page is None:  # the entry links the report's file itself
            await self._db(self.originals.link, eid, [(url, "file", title)])
            self._done(eid)
            return
        fuller = better_title(title, page.title)
        if fuller and fuller != title:
            y, a = read_title(fuller)
            await self._db(self.originals.retitle, eid, fuller, y, a)
            item["title"] = fuller
            if self.since and y and y < self.since and not given.get("year"):
                self.result.skipped.append({"url": url, "role": "page", "reason": "since",
                                            "error": f"{y} 年早于 --since {self.since} (year before --since)"})
                return
        links = pages.attachments(page)
        docs = await asyncio.gather(*(self._fetch(a.url, "attachment", url, a.text) for a in links))
        originals = [(url, "page", item["title"])]
        for link, d in zip(links, docs):
            if d is not None and await self._is_html(d):
                continue  # a link that answers with a web page (a viewer, a login) is no attachment
            originals.append((link.url, "attachment", link.text))
        await self._db(self.originals.link, eid, originals)
        self._done(eid)

    def _done(self, eid: int) -> None:
        if self._ingester is not None:
            self._ingester.submit(eid)


def collect(store, targets: list[Target], policy: Policy | None = None, **kw) -> CollectResult:
    """Collect ``targets`` into ``store``; see :class:`Run` for the options."""
    return Run(store, policy, **kw).run(targets)
