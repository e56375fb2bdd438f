"""The corpus store: the Python API the CLI and the web UI call.

Open a store::

    store = Store.open(url=None)    # None → $NIANBAO_DB, else sqlite:///./nianbao-data/nianbao.sqlite
                                    # "postgresql://user@host:port/db" works the same (psycopg 3)
                                    # opening runs the Alembic migrations up to head

Write (records already extracted: extraction is :mod:`nianbao.ingest`'s job, which calls these)::

    store.store_records([Doc(record, data=None, filename=None, path=None, manifest_row=None, url=None,
                             sha256=None, size=None, fetched_at=None, author=None), …])
                                    -> [{"status": "stored"|"duplicate"|"failed", "report_id", "version_id",
                                         "sha256", "error"}, …]      # one transaction for the batch
    store.store_record(record, data=None, filename=None, ..., kind="extracted"|"authored", author=None,
                       reason=None) -> the same dict for one record (raises StoreError when it fails):
                                    # extracted, or written in nianbao.author; on a report stored already
                                    # the decisions are carried over and the corrections re-applied
    store.store_reextraction(report_id, record, user=None) -> {"version_id", "number", "reapplied"}
                                    # the stored file read again (by nianbao.ingest, never here)
    store.review_finding(finding_id, status, user, comment=None) -> finding dict
                                    # status: open | confirmed | dismissed
    store.correct_values(report_id, {"t3.new[6]": 12, …}, user, reason) -> {"version_id", "number", "changed",
                                                                           "findings"}
                                    # a new immutable version; re-validates and re-runs cross-year checks;
                                    # values are checked against the template (CorrectionError names each
                                    # refused cell); each changed cell is a correction in force
    store.preview_correction(report_id, values) -> {"problems", "findings"}   # the same checks, nothing written
    store.revert_correction(correction_id, user, reason=None) -> {"version_id", "number", "ref", "value"}
    store.reextract(report_id, user=None) -> {"version_id", "number", "reapplied"}
                                    # the stored file read again; corrections in force re-applied on top
    store.corrections(report_id) -> [correction dict, …]   # every correction with its status

Read::

    store.list_reports(region=None, level=None, year=None, status=None, agency=None, kind=None,
                       offset=0, limit=50, order="year") -> {"total": n, "items": [report summary, …]}
                                    # order: year | agency | region | level | findings | open | id;
                                    # "-year" etc. reverses the first key
                                    # status: open (has open findings) | clean (no findings) | reviewed
                                    # a summary: id, agency, region, level, kind, year, template, version,
                                    # filename, format, n_findings, n_open, errors, warnings, infos
                                    # (severity counts leave dismissed findings out): one query for
                                    # the page, one for the total (none when the page holds it all;
                                    # none either with count=False: total is None then)
    store.get_report(report_id, version=None) -> {"id", "agency", "region", "year", "record",
                                    "version", "versions", "findings", "source", "neighbours"}
                                    # record = the version's canonical record (its cells' provenance is
                                    # stored once, in the cells, and put back here); findings carry "id",
                                    # "status", "reviewed_by", "reviewed_at", "comment", "scope", "prior"
                                    # (an earlier version's decision), "extra", and cross-year ones
                                    # "other_report_id" / "other_year"; "corrections": every correction
    store.version_records(report_id) -> {version number: record}   # values of every version, one query
    store.source_bytes(report_id) -> (bytes, filename, format)
    store.find_report(agency, year) -> report_id | None
    store.compare(report_a, report_b) -> nianbao.analyse.compare result (cells, sections, 重复率)
    store.stats(group_by=("province",), filters=None, metrics=None, rank=None, top=None)
                                    -> nianbao.analyse.stats result (groups with metrics)
    store.report_counts(filters=None) -> {"reports", "with_open", "copied", "comparable", "agencies"}
                                    # how many reports the filters select, have open findings, repeat
                                    # last year's prose, have last year's report; how many agencies
    store.export(dest, fmt="csv"|"xlsx"|"parquet"|"jsonl", form="wide"|"long", filters=None,
                 labels="ref"|"zh"|"en") -> rows written       # labels: the header row in words
    store.regions() / store.agencies(region_id=None)
    store.cells(report_id, version=None) -> [{"ref", "tbl", "row_key", "col", "value", "text", "provenance",
                                              "confidence"}, …]       # long form, with provenance
    store.counts() -> rows per table

Maintenance::

    store.rerun_cross_year(report_id)   # cross-year checks against the neighbouring years again
    store.rebuild_rollup(recount=False) # recompute facts_rollup and facts_agencies from report_facts
                                        # (after bulk loads); recount: report_facts' counts of findings
                                        # and of last year's report first, from findings and reports

    store.generation() / store.memo(key, compute)   # cache what only changes when the store is written

A report is identified by (agency, year); a file whose agency or year stays unknown
(after the manifest) becomes a report of its own. Every write happens in one
transaction (a batch of documents, or one review or correction): a crash leaves either
all of it or nothing. Several processes may write at once (see :mod:`nianbao.store.writer`).
"""
from __future__ import annotations

import copy
import hashlib
import os
import random
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from sqlalchemy import (create_engine, delete, event, false, func, insert, literal_column, or_, select, text,
                        update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from . import checks, jsoncodec, review, rollup, writer
from .cells import iter_cells, numeric
from .editable import CorrectionRefused, check_values, set_value, value_of
from .facts import facts_of
from .regions import LEVELS, agency_kind, normalise_level, split_region
from .oversight import FindingMeasure
from .schema import (Agency, CellRow, Correction, Finding, Region, Report, ReportFacts, Source, Version,
                     store_state)
from .writer import Doc

DEFAULT_PATH = Path("nianbao-data") / "nianbao.sqlite"
REVIEW_STATUSES = ("open", "confirmed", "dismissed")
VERSION_KINDS = ("extracted", "authored")  # what store_record writes (corrections are "corrected")


class StoreError(Exception):
    """A request the store cannot satisfy; the message says why (Chinese first)."""


class CorrectionError(StoreError):
    """Corrected values that do not fit their cells: ``problems`` is [(cell ref, message naming it), …]."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(msg for _, msg in problems))


def now() -> datetime:
    return datetime.now(timezone.utc)


def resolve_url(url: str | None) -> str:
    url = url or os.environ.get("NIANBAO_DB")
    if not url:
        DEFAULT_PATH.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_PATH}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    elif "://" not in url:  # a bare file path means SQLite
        Path(url).expanduser().parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(url).expanduser()}"
    return url


WRITE = "nianbao_write"  # execution option of the connections that write (SQLite: BEGIN IMMEDIATE)
MIGRATION_LOCK = 7_305_811_925  # PostgreSQL advisory lock key: one migrating process at a time
MIGRATION_WAIT = 900.0  # seconds a store waits for another process's migration


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # the driver must not open transactions on its own (it would not for DDL, so two processes
    # could both create a new store's tables): SQLAlchemy's "begin" event below opens them
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")  # first: the pragmas below may wait for another writer
    # WAL: readers (the web UI) never block the ingest writer; NORMAL is durable at each commit in WAL.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn) -> None:
    # a writer takes the write lock at once: a read transaction that later writes fails outright
    # (SQLITE_BUSY_SNAPSHOT) when another process wrote meanwhile, a waiting BEGIN IMMEDIATE does not
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


def _script():
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def _at_head(engine: Engine, cfg) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest revision of the one Alembic history.

    Processes opening one store at once migrate it one at a time: PostgreSQL through an
    advisory lock, SQLite through its write lock (the whole upgrade is one IMMEDIATE
    transaction); the others wait, then find it at the head.
    """
    from alembic import command
    cfg = _script()
    if _at_head(engine, cfg):
        return
    deadline = time.monotonic() + MIGRATION_WAIT
    while True:
        try:
            with engine.execution_options(**{WRITE: True}).begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "heads")
            return
        except OperationalError as exc:
            # SQLite: another process holds the write lock past busy_timeout (a long migration)
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _transient(exc: DBAPIError) -> bool:
    """Errors after which the same transaction may well succeed: a deadlock, a lock wait, a race lost."""
    if isinstance(exc, IntegrityError):
        return True  # another writer created the same row first: a second look finds it
    code = getattr(exc.orig, "sqlstate", None)
    if code in ("40P01", "40001", "55P03"):
        return True
    text_ = str(exc.orig).lower()
    return "database is locked" in text_ or "busy" in text_


def _db_reason(exc: BaseException | None) -> str:
    detail = str(getattr(exc, "orig", None) or exc or "").strip().splitlines()
    return f"入库失败 (store failed): {type(getattr(exc, 'orig', None) or exc).__name__}: " \
           f"{detail[0] if detail else ''}"


def _failed(doc: Doc, error: str, sha: str | None = None) -> dict:
    src = doc.record.get("source") if isinstance(doc.record, dict) and isinstance(doc.record.get("source"), dict) \
        else {}
    return {"status": "failed", "error": error, "sha256": sha or doc.sha256 or src.get("sha256"),
            "filename": doc.filename}


class StoreSession(Session):
    """A session of the store: a transaction that writes through it raises the store's generation."""


@event.listens_for(StoreSession, "after_flush")
def _flushed(session, _ctx) -> None:
    session.info["nianbao_wrote"] = True


@event.listens_for(StoreSession, "do_orm_execute")
def _executed(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["nianbao_wrote"] = True


@event.listens_for(StoreSession, "before_commit")
def _committing(session) -> None:
    if session.info.pop("nianbao_wrote", False) and not session.info.get("jobs_only"):
        writer.bump_generation(session.connection())


@event.listens_for(StoreSession, "after_rollback")
def _rolled_back(session) -> None:
    session.info.pop("nianbao_wrote", None)


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.write_engine = engine.execution_options(**{WRITE: True})
        self.url = engine.url.render_as_string(hide_password=True)
        self._memo: OrderedDict = OrderedDict()
        self._memo_lock = threading.Lock()
        self._regions_found: dict[str | int, tuple[int, str | None]] = {}

    # ------------------------------------------------------------------ open
    @classmethod
    def open(cls, url: str | None = None, *, run_migrations: bool = True) -> "Store":
        full = resolve_url(url)
        if full.startswith("sqlite"):
            engine = create_engine(full, json_deserializer=jsoncodec.loads)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(full, pool_pre_ping=True, json_deserializer=jsoncodec.loads)
        if run_migrations:
            migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, write: bool = False) -> Session:
        """A session; ``write=True`` for one that writes (on SQLite it waits for the write lock first)."""
        return StoreSession(self.write_engine if write else self.engine, expire_on_commit=False)

    # ------------------------------------------------------------------ dedup
    def has_source(self, sha256: str) -> bool:
        with self.session() as s:
            return s.scalar(select(Source.id).where(Source.sha256 == sha256)) is not None

    def known_shas(self, shas: Iterable[str]) -> set[str]:
        shas = list(shas)
        out: set[str] = set()
        with self.session() as s:
            for i in range(0, len(shas), 500):
                out.update(s.scalars(select(Source.sha256).where(Source.sha256.in_(shas[i:i + 500]))))
        return out

    # ------------------------------------------------------------------ write
    def store_records(self, docs: Iterable[Doc | dict]) -> list[dict]:
        """Store extracted documents, several in one transaction; one result per document, in order.

        Each document is a :class:`~nianbao.store.writer.Doc` (or a dict of its fields: record,
        data, filename, path, manifest_row, url, sha256, size, fetched_at, author). A result is
        ``{"status": "stored", "report_id", "version_id", "sha256", "agency", "year"}``,
        ``{"status": "duplicate", "report_id", "sha256"}`` (these bytes are stored already) or
        ``{"status": "failed", "error", "sha256"}``. The batch is atomic; when it cannot be
        written (a database error), it is retried, then written a document at a time, so that
        only the document at fault fails, with the database's reason.

        A document for a report stored already (the same agency and year) is stored on its own
        (:meth:`store_record`'s path): the decisions on the report's findings carry over to the new
        version and the corrections in force are re-applied on top of it (``nianbao.store.review``).
        """
        docs = [d if isinstance(d, Doc) else Doc(**d) for d in docs]
        results: list[dict | None] = [None] * len(docs)
        ready = []
        for i, doc in enumerate(docs):
            try:
                ready.append(writer.prepare(i, doc))
            except writer.DocumentError as exc:
                results[i] = _failed(doc, str(exc))
            except Exception as exc:  # a validator defect fails this document, not the batch
                results[i] = _failed(doc, f"校验时出错 (internal error while checking): {type(exc).__name__}: {exc}")
        existing = self._reports_stored(ready)
        alone = [p for p in ready if (p.agency, p.year) in existing]
        ready = [p for p in ready if (p.agency, p.year) not in existing]
        for p in alone:
            doc = docs[p.index]
            try:
                results[p.index] = self._store_one(doc.record, data=doc.data, filename=doc.filename, path=doc.path,
                                                   manifest_row=doc.manifest_row, url=doc.url, sha256=p.sha,
                                                   size=doc.size, fetched_at=doc.fetched_at, author=doc.author)
            except StoreError as exc:
                results[p.index] = _failed(doc, str(exc), p.sha)
        if ready:
            out, error = self._write(ready)
            if out is None and len(ready) > 1:
                out = []
                for p in ready:
                    one, err = self._write([p])
                    out += one if one is not None else [_failed(docs[p.index], _db_reason(err), p.sha)]
            elif out is None:
                out = [_failed(docs[ready[0].index], _db_reason(error), ready[0].sha)]
            for p, res in zip(ready, out):
                results[p.index] = res
        return results

    def _reports_stored(self, ready: list) -> set[tuple[str, int]]:
        """(agency, year) of the documents whose report is stored already (by agency name: a namesake
        elsewhere only sends a document down the slower path)."""
        keys = {(p.agency, p.year) for p in ready if p.agency and p.year is not None}
        if not keys:
            return set()
        names = sorted({a for a, _ in keys})
        found: set[tuple[str, int]] = set()
        with self.session() as s:
            for i in range(0, len(names), 500):
                found.update(s.execute(select(Agency.name, Report.year).join(Report, Report.agency_id == Agency.id)
                                       .where(Agency.name.in_(names[i:i + 500]),
                                              Report.current_version_id.is_not(None))).all())
        return found & keys

    def _write(self, ready: list) -> tuple[list[dict] | None, BaseException | None]:
        """One transaction; retried when the database says to try again (deadlock, busy, a race lost)."""
        error = None
        for attempt in range(4):
            try:
                with self.write_engine.begin() as conn:
                    return writer.write(conn, ready), None
            except DBAPIError as exc:
                error = exc
                if not _transient(exc) or attempt == 3:
                    return None, exc
                time.sleep(0.05 * (attempt + 1) * (1 + random.random()))
        return None, error

    def store_record(self, record: dict, *, data: bytes | None = None, filename: str | None = None,
                     path: str | None = None, manifest_row: dict | None = None, url: str | None = None,
                     sha256: str | None = None, size: int | None = None,
                     fetched_at: datetime | None = None, kind: str = "extracted", author: str | None = None,
                     reason: str | None = None) -> dict:
        """Store one record as a new version, in one transaction; a failure raises StoreError.

        ``kind`` says where the values come from: "extracted" from a file, or "authored" when the
        agency wrote the report in nianbao (``author``, ``reason``: who stored it, and why when it
        still had errors). ``author`` is also who uploaded a file (kept on the version)."""
        if kind not in VERSION_KINDS:
            raise StoreError(f"版本类别须为 {'/'.join(VERSION_KINDS)} (version kind must be one of {VERSION_KINDS}): {kind}")
        if kind != "extracted" or reason:
            return self._store_one(record, data=data, filename=filename, path=path, manifest_row=manifest_row,
                                   url=url, sha256=sha256, size=size, fetched_at=fetched_at, kind=kind,
                                   author=author, reason=reason)
        res = self.store_records([Doc(record=record, data=data, filename=filename, path=path,
                                      manifest_row=manifest_row, url=url, sha256=sha256, size=size,
                                      fetched_at=fetched_at, author=author)])[0]
        if res["status"] == "failed":
            raise StoreError(res["error"])
        return res

    def _store_one(self, record: dict, *, data: bytes | None = None, filename: str | None = None,
                   path: str | None = None, manifest_row: dict | None = None, url: str | None = None,
                   sha256: str | None = None, size: int | None = None, fetched_at: datetime | None = None,
                   kind: str = "extracted", author: str | None = None, reason: str | None = None) -> dict:
        """One record in a transaction of its own (retried when the database says so): a report stored
        already gets a new current version with the earlier decisions carried over and the corrections
        in force re-applied on top (see ``nianbao.store.review``)."""
        error = None
        for attempt in range(4):
            try:
                return self._store_one_once(record, data=data, filename=filename, path=path,
                                            manifest_row=manifest_row, url=url, sha256=sha256, size=size,
                                            fetched_at=fetched_at, kind=kind, author=author, reason=reason)
            except DBAPIError as exc:
                error = exc
                if not _transient(exc) or attempt == 3:
                    break
                time.sleep(0.05 * (attempt + 1) * (1 + random.random()))
        raise StoreError(_db_reason(error))

    def _store_one_once(self, record: dict, *, data, filename, path, manifest_row, url, sha256, size, fetched_at,
                        kind, author, reason) -> dict:
        src = record.get("source") or {}
        sha = sha256 or src.get("sha256") or (hashlib.sha256(data).hexdigest() if data is not None else None)
        if not sha:
            raise StoreError("记录没有 sha256 (record has no source sha256)")
        manifest_row = {k: v for k, v in (manifest_row or {}).items() if v not in (None, "")}
        record = dict(record)
        prechecked = record.pop("_checked", None)  # validated in the ingest worker already
        for key in ("_cells", "_facts"):
            record.pop(key, None)
        if manifest_row:
            record = _apply_manifest(record, manifest_row)
            prechecked = None  # the manifest changed meta (year, agency): validate again
        with self.session(write=True) as s, s.begin():
            if s.scalar(select(Source.id).where(Source.sha256 == sha)) is not None:
                return {"status": "duplicate", "sha256": sha,
                        "report_id": s.scalar(select(Version.report_id).join(Source, Version.source_id == Source.id)
                                              .where(Source.sha256 == sha).limit(1))}
            source = Source(sha256=sha, filename=filename or (Path(src["path"]).name if src.get("path") else None),
                            path=path or src.get("path"), url=url or manifest_row.get("url"),
                            format=src.get("format"), size=size if size is not None else (len(data) if data else None),
                            data=data, fetched_at=fetched_at, stored_at=now())
            s.add(source)
            s.flush()
            meta = record.get("meta") or {}
            region = self._region(s, meta.get("region"))
            agency = self._agency(s, meta.get("agency"), region, normalise_level(meta.get("level")),
                                  meta.get("kind"))
            year = meta.get("year") if isinstance(meta.get("year"), int) else None
            report = None
            if agency is not None and year is not None:
                report = s.scalar(select(Report).where(Report.agency_id == agency.id, Report.year == year))
            if report is None:
                report = Report(agency_id=agency.id if agency else None, year=year, created_at=now())
                s.add(report)
                s.flush()
            version, reapplied = self._add_extraction(s, report, record, source_id=source.id, author=author,
                                                      prechecked=prechecked, kind=kind, reason=reason)
            return {"status": "stored", "report_id": report.id, "version_id": version.id, "sha256": sha,
                    "agency": agency.name if agency else None, "year": year, "reapplied": reapplied}

    def _add_extraction(self, s: Session, report: Report, record: dict, *, source_id: int | None,
                        author: str | None, prechecked: list | None = None, kind: str = "extracted",
                        reason: str | None = None) -> tuple[Version, list[str]]:
        """A new extracted version of ``report``; on an existing report, decisions carried over and the
        corrections in force re-applied in a version of their own. Returns (current version, re-applied refs)."""
        extracted = list(record.get("findings") or [])
        checked = prechecked if prechecked is not None else checks.check(record)
        before = s.get(Version, report.current_version_id) if report.current_version_id else None
        version = self._new_version(s, report, record, kind=kind, source_id=source_id,
                                    author=author, reason=reason,
                                    findings=[("extract", f) for f in extracted]
                                    + [("check", f) for f in _without(checked, extracted)],
                                    predecessor=before)
        reapplied: list[str] = []
        if before is not None:
            self._carry(s, before, version)
            version, reapplied = self._reapply(s, report, version, author)
        self._cross_year_around(s, report)
        self._refresh_facts(s, report.id)
        return version, reapplied

    def _reapply(self, s: Session, report: Report, version: Version, author: str | None) -> tuple[Version, list[str]]:
        """Put the corrections in force on top of a fresh extraction (a version of its own)."""
        active = review.active_corrections(s, report.id)
        if not active:
            return version, []
        values, absorbed = review.to_reapply(_full_record(s, version), active)
        for c in absorbed:
            c.status, c.closed_by, c.closed_at, c.closed_version_id = "absorbed", author, now(), version.id
            c.closed_reason = "新抽取的值与更正相同 (the new extraction gives the corrected value)"
        if not values:
            return version, []
        who = {c.ref: (c.author, c.reason) for c in active if c.ref in values}
        new = self._corrected_version(
            s, report, version, values, author=author or "nianbao",
            reason=f"重新应用 {len(values)} 处更正 (re-applied {len(values)} corrections on top of the new extraction)",
            cell_authors=who)
        for c in active:
            if c.ref in values:
                c.applied_version_id = new.id
        return new, sorted(values)

    def _carry(self, s: Session, old: Version, new: Version) -> None:
        """Decisions on ``old``'s findings passed on to the same findings of ``new`` (cross-year aside)."""
        old_rows = list(s.scalars(select(Finding).where(Finding.version_id == old.id, Finding.scope != "cross_year")
                                  .order_by(Finding.id)))
        if not any(f.status != "open" or f.prior for f in old_rows):
            return
        new_rows = list(s.scalars(select(Finding).where(Finding.version_id == new.id, Finding.scope != "cross_year")
                                  .order_by(Finding.id)))
        review.carry_reviews(old_rows, new_rows, old.number, old.record)
        s.flush()

    def report_of_sha(self, sha: str) -> int | None:
        """The report a stored file belongs to (None when those bytes are not stored)."""
        with self.session() as s:
            return s.scalar(select(Version.report_id).join(Source, Version.source_id == Source.id)
                            .where(Source.sha256 == sha).limit(1))

    # ------------------------------------------------------------------ generation (cache validity)
    def generation(self) -> int:
        """A number raised by every transaction that writes reports, versions or findings (any process)."""
        with self.engine.connect() as conn:
            return conn.execute(select(store_state.c.value).where(store_state.c.name == "generation")).scalar() or 0

    def memo(self, key, compute):
        """``compute()``, cached until the next write to the store; for aggregates read often, written rarely.

        The value is shared between callers: treat it as read-only.
        """
        gen = self.generation()
        with self._memo_lock:
            hit = self._memo.get(key)
            if hit is not None and hit[0] == gen:
                self._memo.move_to_end(key)
                return hit[1]
        value = compute()
        with self._memo_lock:
            self._memo[key] = (gen, value)
            while len(self._memo) > 256:
                self._memo.popitem(last=False)
        return value

    def _region(self, s: Session, name: str | None) -> Region | None:
        parts = split_region(name)
        if not parts:
            return None
        full = "".join(p for _, p in parts)
        reg = s.scalar(select(Region).where(Region.full_name == full))
        if reg is not None:  # the usual case: the whole chain exists already
            return reg
        parent = None
        full = ""
        for level, part in parts:
            full += part
            reg = s.scalar(select(Region).where(Region.full_name == full))
            if reg is None:
                reg = Region(name=part, full_name=full, level=level, parent_id=parent.id if parent else None)
                s.add(reg)
                s.flush()
            parent = reg
        return parent

    def _agency(self, s: Session, name: str | None, region: Region | None, level: str | None,
                kind: str | None) -> Agency | None:
        if not name:
            return None
        name = "".join(str(name).split())
        rid = region.id if region else None
        ag = s.scalar(select(Agency).where(Agency.name == name,
                                           Agency.region_id.is_(None) if rid is None else Agency.region_id == rid))
        if ag is not None:
            if level and ag.level != level:
                ag.level = level
            return ag
        kind = kind if kind in ("government", "department") else agency_kind(name)
        ag = Agency(name=name, region_id=rid, kind=kind, level=level or (region.level if region else None))
        s.add(ag)
        s.flush()
        if rid is not None:
            # departments hang under their government of the same region
            if kind == "department":
                gov = s.scalar(select(Agency.id).where(Agency.region_id == rid, Agency.kind == "government")
                               .order_by(Agency.id).limit(1))
                ag.parent_id = gov
            else:
                s.execute(update(Agency).where(Agency.region_id == rid, Agency.kind == "department",
                                               Agency.parent_id.is_(None)).values(parent_id=ag.id))
        return ag

    def _new_version(self, s: Session, report: Report, record: dict, *, kind: str, source_id: int | None,
                     author: str | None, reason: str | None, findings: list[tuple[str, dict]],
                     parent_id: int | None = None, corrected: dict | None = None,
                     cell_authors: dict | None = None, predecessor: Version | None = None) -> Version:
        """``corrected``: {ref: value before} of the cells a person changed; ``cell_authors``: {ref: (who,
        why)} where that is not this version's author (corrections re-applied); ``predecessor``: the
        version this one follows (its cross-year decisions are carried over)."""
        number = (s.scalar(select(func.max(Version.number)).where(Version.report_id == report.id)) or 0) + 1
        stored = {k: v for k, v in record.items() if k != "findings"}
        prov = record.get("provenance") if isinstance(record.get("provenance"), dict) else {}
        cells = []
        in_cells = set()
        for ref, tbl, key, col, value in iter_cells(record):
            p = prov.get(ref)
            if corrected is not None and ref in corrected:
                # where the value was printed stays (the source view still finds it); who changed it is added
                base = {k: v for k, v in p.items() if k != "confidence"} if isinstance(p, dict) else {}
                who, why = (cell_authors or {}).get(ref, (author, reason))
                p = {**base, "corrected_by": who, "reason": why, "was": corrected[ref]}
            if p is not None:
                in_cells.add(ref)
            num = numeric(value)
            cells.append({"ref": ref, "tbl": tbl, "row_key": key, "col": col, "value": num,
                          "text": None if num is not None or value is None else str(value),
                          "provenance": p, "confidence": (p or {}).get("confidence") if corrected is None
                          or ref not in corrected else 1.0})
        if isinstance(stored.get("provenance"), dict):
            # a cell's provenance is kept once, in its cell row; the record keeps the rest (meta, sections)
            stored["provenance"] = {k: v for k, v in prov.items() if k not in in_cells}
        version = Version(report_id=report.id, number=number, kind=kind, source_id=source_id, parent_id=parent_id,
                          author=author, reason=reason, created_at=now(), record=stored, n_cells=len(cells))
        s.add(version)
        s.flush()
        if cells:
            for c in cells:
                c["version_id"] = version.id
            s.connection().execute(insert(CellRow.__table__), cells)
        for scope, f in findings:
            s.add(_finding_row(version.id, scope, f, values=review.finding_values(record, f.get("cells") or ())))
        pred = predecessor.id if predecessor is not None else parent_id
        if pred is not None:
            s.info.setdefault("nianbao_predecessor", {})[version.id] = pred
        report.current_version_id = version.id
        s.flush()
        return version

    # ------------------------------------------------------------------ cross-year
    def _cross_year_around(self, s: Session, report: Report) -> None:
        """Re-run cross-year checks between this report and its neighbouring years."""
        if report.agency_id is None or report.year is None:
            return
        near = {r.year: r for r in s.scalars(select(Report).where(
            Report.agency_id == report.agency_id, Report.year.in_([report.year - 1, report.year, report.year + 1])))}
        if len(near) < 2:
            # no neighbour: only this report's own cross-year findings can be stale (from a correction)
            if s.scalar(select(Finding.id).where(Finding.version_id == report.current_version_id,
                                                 Finding.scope == "cross_year").limit(1)) is None:
                return
        for earlier, later in ((report.year - 1, report.year), (report.year, report.year + 1)):
            prev, cur = near.get(earlier), near.get(later)
            if cur is None or cur.current_version_id is None:
                continue
            cv = s.get(Version, cur.current_version_id)
            old = list(s.scalars(select(Finding).where(Finding.version_id == cv.id, Finding.scope == "cross_year")
                                 .order_by(Finding.id)))
            old_version = cv
            pred = s.info.get("nianbao_predecessor", {}).get(cv.id)
            if not old and pred is not None:  # a version made in this transaction: its predecessor's decisions
                old_version = s.get(Version, pred)
                old = list(s.scalars(select(Finding).where(Finding.version_id == pred, Finding.scope == "cross_year")
                                     .order_by(Finding.id)))
            new = []
            if prev is not None and prev.current_version_id is not None:
                pv = s.get(Version, prev.current_version_id)
                for f in checks.cross_year(pv.record, cv.record):
                    values = review.finding_values(cv.record, f.get("cells") or (), pv.record,
                                                   f.get("previous_cells") or ())
                    new.append(_finding_row(cv.id, "cross_year", f, other_version_id=pv.id, values=values))
                review.carry_reviews(old, new, old_version.number, old_version.record)
            s.execute(delete(Finding).where(Finding.version_id == cv.id, Finding.scope == "cross_year"))
            s.add_all(new)
            s.flush()
            if cur.id != report.id:
                self._refresh_facts(s, cur.id)

    def rerun_cross_year(self, report_id: int) -> None:
        with self.session(write=True) as s, s.begin():
            report = s.get(Report, report_id)
            if report is None:
                raise StoreError(f"没有这份报告 (no such report): {report_id}")
            self._cross_year_around(s, report)
            self._refresh_facts(s, report.id)

    # ------------------------------------------------------------------ facts
    def _refresh_facts(self, s: Session, report_id: int) -> None:
        report = s.get(Report, report_id)
        version = s.get(Version, report.current_version_id)
        agency = s.get(Agency, report.agency_id) if report.agency_id else None
        chain = self._region_chain(s, agency.region_id if agency else None)
        n_find, n_open, n_copied = s.execute(select(*rollup.finding_counts(Finding))
                                             .where(Finding.version_id == version.id)).one()
        has_prev = report.agency_id is not None and report.year is not None and s.scalar(
            select(Report.id).where(Report.agency_id == report.agency_id, Report.year == report.year - 1)) is not None
        meta = version.record.get("meta") or {}
        row = {"report_id": report.id, "version_id": version.id, "agency_id": report.agency_id,
               "region_id": agency.region_id if agency else None,
               "province_id": chain.get("province"), "city_id": chain.get("city"), "county_id": chain.get("county"),
               "level": agency.level if agency else None, "kind": agency.kind if agency else None,
               "year": report.year, "template": meta.get("template"), "n_findings": n_find, "n_open": n_open,
               "n_copied": n_copied, "has_prev": has_prev,
               "has_t3": bool(version.record.get("t3")), **facts_of(version.record)}
        old = s.execute(select(ReportFacts).where(ReportFacts.report_id == report.id)).scalars().first()
        changes = [(row, 1)]
        if old is not None:
            changes.insert(0, ({c.key: getattr(old, c.key) for c in ReportFacts.__table__.columns}, -1))
            s.delete(old)
            s.flush()
        s.execute(insert(ReportFacts), [row])
        rollup.apply(s, changes)

    def rebuild_rollup(self, recount: bool = False) -> None:
        """Recompute ``facts_rollup`` and ``facts_agencies`` from ``report_facts`` (after a bulk load, or to
        repair); ``recount``: first each report's counts of findings and whether last year's report
        exists, from ``findings`` and ``reports``."""
        with self.session(write=True) as s, s.begin():
            if recount:
                rollup.recount(s)
            rollup.rebuild(s)

    def _region_chain(self, s: Session, region_id: int | None) -> dict[str, int]:
        out = {}
        while region_id is not None:
            reg = s.get(Region, region_id)
            out.setdefault(reg.level, reg.id)
            region_id = reg.parent_id
        return out

    # ------------------------------------------------------------------ review & correct
    def review_finding(self, finding_id: int, status: str, user: str, comment: str | None = None) -> dict:
        """Confirm, dismiss (a reason is required) or re-open a finding of the report's current version."""
        if status not in REVIEW_STATUSES:
            raise StoreError(f"审核状态须为 open/confirmed/dismissed (status must be one of {REVIEW_STATUSES}): {status}")
        comment = (comment or "").strip() or None
        if status == "dismissed" and not comment:
            raise StoreError("排除一条发现须说明理由 (dismissing a finding needs a reason)")
        with self.session(write=True) as s, s.begin():
            f = s.get(Finding, finding_id)
            if f is None:
                raise StoreError(f"没有这条发现 (no such finding): {finding_id}")
            report_id = s.scalar(select(Version.report_id).where(Version.id == f.version_id))
            current = s.scalar(select(Report.current_version_id).where(Report.id == report_id))
            if f.version_id != current:
                raise StoreError(f"这条发现属于历史版本，请在当前版本上审核 (finding {finding_id} belongs to an "
                                 "older version: review it on the current one)")
            f.status, f.reviewed_by, f.reviewed_at, f.comment = status, user, now(), comment
            if status != "open" and isinstance(f.prior, dict) and not f.prior.get("kept"):
                f.prior = {**f.prior, "superseded": True}  # decided again: the old decision is history
            s.flush()
            self._refresh_facts(s, report_id)
            return _finding_dict(f)

    def correct_values(self, report_id: int, values: dict, user: str, reason: str) -> dict:
        """A new version with ``values`` ({cell ref: value}) replaced; re-validated, cross-year re-run.

        Each value is checked against its cell in the template (``nianbao.store.editable``): refused
        values raise :class:`CorrectionError` (a StoreError) naming every such cell, and nothing is written. Values equal to the
        current ones are left out; meta fields (agency, year, region …) move the report when they change
        who or which year it is about. Each changed cell becomes a correction in force until reverted."""
        if not user:
            raise StoreError("更正须署名 (a correction needs the user's name)")
        if not (reason or "").strip():
            raise StoreError("更正须说明理由 (a correction needs a reason)")
        if not values:
            raise StoreError("没有要更正的值 (no values to correct)")
        with self.session(write=True) as s, s.begin():
            report = s.get(Report, report_id)
            if report is None or report.current_version_id is None:
                raise StoreError(f"没有这份报告 (no such report): {report_id}")
            prev = s.get(Version, report.current_version_id)
            record = _full_record(s, prev)
            try:
                wanted = check_values(record, values)
            except CorrectionRefused as exc:
                raise CorrectionError(exc.problems) from None
            changed = {ref: v for ref, v in wanted.items()
                       if review.comparable(value_of(record, ref)) != review.comparable(v)}
            if not changed:
                raise StoreError("所填的值与当前版本相同，没有更正 (the values equal the current ones: nothing to correct)")
            version = self._corrected_version(s, report, prev, changed, author=user, reason=reason.strip())
            self._record_corrections(s, report, prev, version, changed, user, reason.strip())
            self._cross_year_around(s, report)
            self._refresh_facts(s, report.id)
            s.flush()
            findings = [_finding_dict(f) for f in s.scalars(select(Finding).where(Finding.version_id == version.id))]
            return {"report_id": report.id, "version_id": version.id, "number": version.number,
                    "changed": sorted(changed), "findings": findings}

    def preview_correction(self, report_id: int, values: dict) -> dict:
        """What ``correct_values`` would say, without writing: refused cells, and the validator's
        findings on the report with these values (the edit mode re-checks totals and identities live)."""
        rep = self.get_report(report_id)
        record = {k: v for k, v in rep["record"].items() if k != "findings"}
        problems, good = [], {}
        for ref, raw in (values or {}).items():
            try:
                good[ref] = check_values(record, {ref: raw})[ref]
            except CorrectionRefused as exc:
                problems += exc.problems
        for ref, v in good.items():
            set_value(record, ref, v)
        findings = [f for f in checks.check(record) if not str(f.get("rule", "")).startswith(("extract.", "source."))]
        return {"problems": [{"cell": ref, "message": msg} for ref, msg in problems], "findings": findings}

    def revert_correction(self, correction_id: int, user: str, reason: str | None = None) -> dict:
        """Undo a correction in force: the cell gets back the value of the latest extraction (a new version)."""
        if not user:
            raise StoreError("撤销更正须署名 (reverting needs the user's name)")
        with self.session() as s, s.begin():
            c = s.get(Correction, correction_id)
            if c is None:
                raise StoreError(f"没有这条更正 (no such correction): {correction_id}")
            if c.status != review.ACTIVE:
                raise StoreError(f"更正 #{correction_id} 已不在生效中 (correction {correction_id} is not in force: "
                                 f"{c.status})")
            report = s.get(Report, c.report_id)
            prev = s.get(Version, report.current_version_id)
            base = s.scalar(select(Version).where(Version.report_id == report.id, Version.kind == "extracted")
                            .order_by(Version.number.desc()).limit(1))
            source_value = value_of(base.record, c.ref) if base is not None else None
            why = (reason or "").strip() or f"撤销更正 #{c.id} (reverted correction {c.id})"
            version = self._corrected_version(s, report, prev, {c.ref: source_value}, author=user, reason=why)
            c.status, c.closed_by, c.closed_at, c.closed_version_id, c.closed_reason = (
                "reverted", user, now(), version.id, why)
            for other in review.active_corrections(s, report.id):
                other.applied_version_id = version.id
            self._cross_year_around(s, report)
            self._refresh_facts(s, report.id)
            return {"report_id": report.id, "version_id": version.id, "number": version.number, "ref": c.ref,
                    "value": source_value}

    def store_reextraction(self, report_id: int, record: dict, user: str | None = None) -> dict:
        """A new extraction of the report's stored file (made by :func:`nianbao.ingest.reextract` or a web
        job, never in the store): a new extracted version, corrections re-applied on top."""
        record = dict(record)
        for key in ("_checked", "_cells", "_facts"):
            record.pop(key, None)
        with self.session(write=True) as s, s.begin():
            report = s.get(Report, report_id)
            if report is None or report.current_version_id is None:
                raise StoreError(f"没有这份报告 (no such report): {report_id}")
            source_id = s.get(Version, report.current_version_id).source_id
            # the same report: who and which year it is about stay as its last extraction said
            # (corrections of meta are re-applied on top like any other)
            last = s.scalar(select(Version).where(Version.report_id == report_id, Version.kind == "extracted")
                            .order_by(Version.number.desc()).limit(1))
            meta = dict((last.record if last is not None else {}).get("meta") or {})
            record["meta"] = {**(record.get("meta") or {}),
                              **{k: meta[k] for k in ("agency", "region", "year", "level", "kind") if k in meta}}
            version, reapplied = self._add_extraction(s, report, record, source_id=source_id, author=user)
            return {"report_id": report.id, "version_id": version.id, "number": version.number,
                    "reapplied": reapplied}

    def corrections(self, report_id: int) -> list[dict]:
        with self.session() as s:
            numbers = dict(s.execute(select(Version.id, Version.number).where(Version.report_id == report_id)).all())
            return [review.correction_dict(c, numbers) for c in s.scalars(
                select(Correction).where(Correction.report_id == report_id).order_by(Correction.id))]

    def _corrected_version(self, s: Session, report: Report, prev: Version, values: dict, *, author: str,
                           reason: str, cell_authors: dict | None = None) -> Version:
        """A corrected version on top of ``prev`` with ``values`` (already checked), findings re-derived and
        the decisions on ``prev``'s findings carried over."""
        base = _full_record(s, prev)
        before = {ref: value_of(base, ref) for ref in values}
        record = copy.deepcopy(base)
        for ref, v in values.items():
            set_value(record, ref, v)
        if any(ref.startswith("meta.") for ref in values):
            self._relink(s, report, record)
        prev_findings = list(s.scalars(select(Finding).where(Finding.version_id == prev.id).order_by(Finding.id)))
        # findings the validator derives are re-derived; extraction findings on corrected cells go
        validator_rules = {f["rule"] for f in checks.check(prev.record)}
        kept = [f for f in prev_findings if f.scope == "extract" and f.rule not in validator_rules
                and not set(f.cells) & set(values)]
        checked = checks.check(record)
        version = self._new_version(
            s, report, record, kind="corrected", source_id=prev.source_id, author=author, reason=reason,
            parent_id=prev.id, corrected={r: v for r, v in before.items() if not r.startswith("meta.")},
            cell_authors=cell_authors,
            findings=[("extract", _finding_dict(f)) for f in kept] + [("check", f) for f in checked])
        new_rows = list(s.scalars(select(Finding).where(Finding.version_id == version.id).order_by(Finding.id)))
        review.carry_reviews([f for f in prev_findings if f.scope != "cross_year"], new_rows, prev.number,
                             prev.record)
        s.flush()
        return version

    def _record_corrections(self, s: Session, report: Report, prev: Version, version: Version, changed: dict,
                            user: str, reason: str) -> None:
        before = _full_record(s, prev)
        active = {c.ref: c for c in review.active_corrections(s, report.id)}
        for ref, value in changed.items():
            old = active.pop(ref, None)
            if old is not None:
                old.status, old.closed_by, old.closed_at, old.closed_version_id = "superseded", user, now(), version.id
                old.closed_reason = "同一单元格再次更正 (the same cell was corrected again)"
            s.add(Correction(report_id=report.id, ref=ref, value=value, previous=value_of(before, ref), author=user,
                             reason=reason, created_at=now(), version_id=version.id, applied_version_id=version.id,
                             status=review.ACTIVE))
        for c in active.values():
            c.applied_version_id = version.id
        s.flush()

    def _relink(self, s: Session, report: Report, record: dict) -> None:
        """After a correction of meta: the report belongs to the (agency, year) its record now names."""
        meta = record.get("meta") or {}
        region = self._region(s, meta.get("region"))
        agency = self._agency(s, meta.get("agency"), region, normalise_level(meta.get("level")), meta.get("kind"))
        year = meta.get("year") if isinstance(meta.get("year"), int) else None
        agency_id = agency.id if agency else None
        if (agency_id, year) == (report.agency_id, report.year):
            return
        if agency_id is not None and year is not None:
            other = s.scalar(select(Report.id).where(Report.agency_id == agency_id, Report.year == year,
                                                     Report.id != report.id))
            if other is not None:
                raise StoreError(f"{agency.name} {year} 年度的报告已存在（#{other}），不能把本报告改成它 "
                                 f"(a report of {agency.name} for {year} exists already: #{other})")
        old_agency, old_year = report.agency_id, report.year
        report.agency_id, report.year = agency_id, year
        s.flush()
        if old_agency is not None and old_year is not None:
            # the neighbours it leaves lose their cross-year findings against it
            for r in s.scalars(select(Report).where(Report.agency_id == old_agency,
                                                    Report.year.in_([old_year - 1, old_year + 1]))):
                self._cross_year_around(s, r)
                self._refresh_facts(s, r.id)

    # ------------------------------------------------------------------ read
    def list_reports(self, region: str | int | None = None, level: str | None = None, year: int | None = None,
                     status: str | None = None, agency: str | None = None, kind: str | None = None,
                     offset: int = 0, limit: int = 50, order: str = "year", count: bool = True) -> dict:
        """One page of report summaries, with their findings counted by severity in the same query.

        Each item: id, agency, agency_id, region, level, kind, year, template, version_id,
        version (its number), filename, format, n_findings, n_open, and errors / warnings /
        infos: the current version's findings of that severity that were not dismissed.
        ``count=False``: the total is not counted when the page does not tell it (it is None then).
        """
        F = ReportFacts
        q = select(F.report_id, F.year, F.level, F.kind, F.template, F.n_findings, F.n_open, F.version_id,
                   Agency.name.label("agency"), Region.full_name.label("region"), Agency.id.label("agency_id")) \
            .select_from(F).outerjoin(Agency, Agency.id == F.agency_id).outerjoin(Region, Region.id == F.region_id)
        conds = self._filters(region=region, level=level, year=year, kind=kind)
        if status == "open":
            conds.append(F.n_open > literal_column("0"))  # (a literal: it selects the partial index ix_facts_open)
        elif status == "clean":
            conds.append(F.n_findings == 0)
        elif status == "reviewed":
            conds.append(F.n_findings > 0)
            conds.append(F.n_open == 0)
        elif status:
            raise StoreError(f"未知状态 (unknown status): {status}")
        if agency:
            conds.append(Agency.name.contains(agency))
        for c in conds:
            q = q.where(c)
        # (column, descending) of the page order; applied to the page and again to the joined result
        # "-key" flips the first column's direction (a sortable column header clicked twice)
        flip = order.startswith("-")
        keys = {"year": (("year", True), ("report_id", False)), "agency": (("agency", False), ("year", True)),
                "region": (("region", False), ("agency", False)), "level": (("level", False), ("agency", False)),
                "findings": (("n_findings", True), ("report_id", False)),
                "open": (("n_open", True), ("report_id", False)), "id": (("report_id", False),)
                }.get(order.lstrip("-"), (("report_id", False),))
        if flip:
            keys = ((keys[0][0], not keys[0][1]),) + keys[1:]
        keys += (("report_id", False),) if keys[-1][0] != "report_id" else ()

        def ordered(cols):
            return [cols[name].desc() if desc else cols[name] for name, desc in keys]

        inner = q.subquery()
        # the page first (top-N sort on report_facts), then only its rows are joined and counted
        page = select(inner).order_by(*ordered(inner.c)).offset(offset).limit(limit).cte("page")
        live = Finding.status != "dismissed"
        sev = (select(Finding.version_id,
                      func.count(Finding.id).filter(live & (Finding.severity == "error")).label("errors"),
                      func.count(Finding.id).filter(live & (Finding.severity == "warning")).label("warnings"),
                      func.count(Finding.id).filter(live & (Finding.severity == "info")).label("infos"))
               .where(Finding.version_id.in_(select(page.c.version_id)))
               .group_by(Finding.version_id).subquery())
        stmt = (select(page, Version.number.label("version"), Source.filename, Source.format,
                       func.coalesce(sev.c.errors, 0).label("errors"),
                       func.coalesce(sev.c.warnings, 0).label("warnings"),
                       func.coalesce(sev.c.infos, 0).label("infos"))
                .select_from(page).outerjoin(Version, Version.id == page.c.version_id)
                .outerjoin(Source, Source.id == Version.source_id)
                .outerjoin(sev, sev.c.version_id == page.c.version_id)
                .order_by(*ordered(page.c)))
        with self.session() as s:
            rows = s.execute(stmt).mappings().all()
            if offset == 0 and len(rows) < limit:
                total = len(rows)  # the whole list fits on this page
            elif not count:
                total = None
            else:  # (a window count(*) OVER () in the page query costs a sort of every row: slower)
                total = s.scalar(select(func.count()).select_from(q.subquery()))
        items = []
        for r in rows:
            d = dict(r)
            d["id"] = d.pop("report_id")
            items.append(d)
        return {"total": total, "offset": offset, "limit": limit, "items": items}

    def _filters(self, region=None, level=None, year=None, kind=None, template=None) -> list:
        F = ReportFacts
        conds = []
        if region not in (None, ""):
            conds.append(self._region_cond(F, region))
        if level:
            lv = normalise_level(level)
            if lv is None:
                raise StoreError(f"未知层级 (unknown level): {level}; 可用 (use) {', '.join(LEVELS)}")
            conds.append(F.level == lv)
        if year not in (None, ""):
            if isinstance(year, (list, tuple)):
                conds.append(F.year.in_([int(y) for y in year]))
            else:
                conds.append(F.year == int(year))
        if kind:
            conds.append(F.kind == kind)
        if template:
            conds.append(F.template == template)
        return conds

    def _region_cond(self, table, region: str | int):
        """The rows of ``table`` (``report_facts`` or a table with its region columns) in ``region`` or below."""
        rid, level = self._region_ref(region)
        if rid < 0:
            return false()  # an unknown region has no reports
        if level in ("province", "city", "county"):
            # a row's province/city/county ids are the regions of that level above its region (or its region
            # itself): one indexed column says what region_id ∨ province_id ∨ city_id ∨ county_id would
            return getattr(table, f"{level}_id") == rid
        return table.region_id == rid

    def _region_ref(self, region: str | int) -> tuple[int, str | None]:
        """(id, level) of a region given by id or name; (-1, None) when unknown.

        Regions are never changed or deleted, and a later one has a higher id: a region found once
        is the answer for good (a name not found is looked up again, it may come)."""
        key = int(region) if isinstance(region, int) or str(region).isdigit() else str(region)
        hit = self._regions_found.get(key)
        if hit is not None:
            return hit
        with self.session() as s:
            if isinstance(key, int):
                row = s.execute(select(Region.id, Region.level).where(Region.id == key)).first()
            else:
                row = s.execute(select(Region.id, Region.level).where(
                    or_(Region.full_name == key, Region.name == key)).order_by(Region.id).limit(1)).first()
        if row is None:
            return -1, None
        if len(self._regions_found) > 100_000:
            self._regions_found.clear()
        self._regions_found[key] = (row[0], row[1])
        return row[0], row[1]

    def find_report(self, agency: str, year: int) -> int | None:
        with self.session() as s:
            return s.scalar(select(Report.id).join(Agency, Agency.id == Report.agency_id)
                            .where(Agency.name == "".join(agency.split()), Report.year == int(year))
                            .order_by(Report.id).limit(1))

    def get_report(self, report_id: int, version: int | None = None) -> dict:
        with self.session() as s:
            report = s.get(Report, report_id)
            if report is None:
                raise StoreError(f"没有这份报告 (no such report): {report_id}")
            versions = list(s.scalars(select(Version).where(Version.report_id == report_id)
                                      .order_by(Version.number)))
            if version is None:
                v = next(x for x in versions if x.id == report.current_version_id)
            else:
                v = next((x for x in versions if x.number == version), None)
                if v is None:
                    raise StoreError(f"报告 {report_id} 没有第 {version} 版 (no such version)")
            agency = s.get(Agency, report.agency_id) if report.agency_id else None
            region = s.get(Region, agency.region_id) if agency and agency.region_id else None
            findings = [_finding_dict(f) for f in s.scalars(select(Finding).where(Finding.version_id == v.id)
                                                            .order_by(Finding.id))]
            others = {f["other_version_id"] for f in findings if f["other_version_id"]}
            if others:  # a cross-year finding names the other year's report
                where = {vid: (rid, y) for vid, rid, y in s.execute(
                    select(Version.id, Report.id, Report.year).join(Report, Report.id == Version.report_id)
                    .where(Version.id.in_(others)))}
                for f in findings:
                    if f["other_version_id"] in where:
                        f["other_report_id"], f["other_year"] = where[f["other_version_id"]]
            numbers = {x.id: x.number for x in versions}
            corrections = [review.correction_dict(c, numbers) for c in s.scalars(
                select(Correction).where(Correction.report_id == report_id).order_by(Correction.id))]
            record = _full_record(s, v)
            record["findings"] = findings
            src = s.get(Source, v.source_id) if v.source_id else None
            neighbours = {}
            if report.agency_id and report.year:
                for name, y in (("prev", report.year - 1), ("next", report.year + 1)):
                    neighbours[name] = s.scalar(select(Report.id).where(Report.agency_id == report.agency_id,
                                                                        Report.year == y))
            return {
                "id": report.id, "year": report.year,
                "agency": None if agency is None else {"id": agency.id, "name": agency.name, "kind": agency.kind,
                                                       "level": agency.level, "parent_id": agency.parent_id},
                "region": None if region is None else {"id": region.id, "name": region.full_name,
                                                       "level": region.level},
                "record": record,
                "version": _version_dict(v),
                "versions": [_version_dict(x) for x in versions],
                "findings": findings,
                "source": None if src is None else {
                    "id": src.id, "sha256": src.sha256, "filename": src.filename, "path": src.path,
                    "url": src.url, "format": src.format, "size": src.size, "has_bytes": src.data is not None,
                    "fetched_at": src.fetched_at, "stored_at": src.stored_at},
                "neighbours": neighbours,
                "corrections": corrections,
            }

    def version_records(self, report_id: int) -> dict[int, dict]:
        """Every version's record by number, in one query: the values only (no findings, no cell provenance)."""
        with self.session() as s:
            return dict(s.execute(select(Version.number, Version.record).where(Version.report_id == report_id)
                                  .order_by(Version.number)).all())

    def source_bytes(self, report_id: int) -> tuple[bytes, str, str]:
        with self.session() as s:
            report = s.get(Report, report_id)
            if report is None:
                raise StoreError(f"没有这份报告 (no such report): {report_id}")
            v = s.get(Version, report.current_version_id)
            src = s.get(Source, v.source_id) if v and v.source_id else None
            if src is None:
                raise StoreError(f"报告 {report_id} 没有原始文件 (no source file)")
            data = src.data
            if data is None:
                try:
                    data = Path(src.path).read_bytes()
                except (OSError, TypeError) as exc:
                    raise StoreError(f"{src.path}: 原始文件不可读 (source file unreadable): {exc}") from exc
            return data, src.filename or f"report-{report_id}", src.format or "txt"

    def cells(self, report_id: int, version: int | None = None) -> list[dict]:
        with self.session() as s:
            if version is None:
                vid = s.scalar(select(Report.current_version_id).where(Report.id == report_id))
            else:
                vid = s.scalar(select(Version.id).where(Version.report_id == report_id, Version.number == version))
            rows = s.execute(select(CellRow.ref, CellRow.tbl, CellRow.row_key, CellRow.col, CellRow.value,
                                    CellRow.text, CellRow.provenance, CellRow.confidence)
                             .where(CellRow.version_id == vid).order_by(CellRow.id)).mappings().all()
            return [dict(r) for r in rows]

    def regions(self) -> list[dict]:
        with self.session() as s:
            return [{"id": r.id, "name": r.name, "full_name": r.full_name, "level": r.level,
                     "parent_id": r.parent_id, "code": r.code}
                    for r in s.scalars(select(Region).order_by(Region.full_name))]

    def agencies(self, region_id: int | None = None) -> list[dict]:
        with self.session() as s:
            q = select(Agency).order_by(Agency.name)
            if region_id is not None:
                q = q.where(Agency.region_id == region_id)
            return [{"id": a.id, "name": a.name, "region_id": a.region_id, "parent_id": a.parent_id,
                     "kind": a.kind, "level": a.level, "code": a.code} for a in s.scalars(q)]

    def counts(self) -> dict:
        with self.session() as s:
            return {t.__tablename__: s.scalar(select(func.count()).select_from(t))
                    for t in (Source, Region, Agency, Report, Version, CellRow, Finding)}

    # ------------------------------------------------------------------ analyse
    def compare(self, report_a: int, report_b: int) -> dict:
        from ..analyse.compare import compare_records
        a, b = self.get_report(report_a), self.get_report(report_b)
        out = compare_records(a["record"], b["record"])
        out["a"] = {"id": a["id"], "agency": (a["agency"] or {}).get("name"), "year": a["year"]}
        out["b"] = {"id": b["id"], "agency": (b["agency"] or {}).get("name"), "year": b["year"]}
        return out

    def stats(self, group_by=("province",), filters: dict | None = None, metrics=None, rank: str | None = None,
              top: int | None = None) -> dict:
        from ..analyse.stats import run_stats
        return run_stats(self, group_by=group_by, filters=filters or {}, metrics=metrics, rank=rank, top=top)

    def report_counts(self, filters: dict | None = None) -> dict:
        from ..analyse.stats import report_counts
        return report_counts(self, filters or {})

    def export(self, dest, fmt: str = "csv", form: str = "wide", filters: dict | None = None,
               labels: str = "ref") -> int:
        from .export import export
        return export(self, dest, fmt=fmt, form=form, filters=filters or {}, labels=labels)


# ---------------------------------------------------------------------- helpers

def _apply_manifest(record: dict, row: dict) -> dict:
    """The manifest overrides what extraction inferred (agency, region, level, year, url)."""
    try:
        return writer.apply_manifest(record, row)
    except writer.DocumentError as exc:
        raise StoreError(str(exc)) from exc


def _full_record(s: Session, v: Version) -> dict:
    """The version's record as extraction (or the correction) gave it: cells' provenance put back."""
    record = dict(v.record)
    prov = {ref: p for ref, p in s.execute(select(CellRow.ref, CellRow.provenance)
                                            .where(CellRow.version_id == v.id, CellRow.provenance.is_not(None))
                                            .order_by(CellRow.id))
            if p is not None}
    rest = record.get("provenance")
    if prov or rest is not None:
        record["provenance"] = {**prov, **rest} if isinstance(rest, dict) else (rest if not prov else prov)
    return record


def _without(new: list[dict], existing: list[dict]) -> list[dict]:
    seen = {(f.get("rule"), tuple(f.get("cells") or ())) for f in existing}
    return [f for f in new if (f.get("rule"), tuple(f.get("cells") or ())) not in seen]


def _finding_row(version_id: int, scope: str, f: dict, other_version_id: int | None = None,
                 values: dict | None = None) -> Finding:
    severity = f.get("severity") if f.get("severity") in ("error", "warning", "info") else "warning"
    row = Finding(version_id=version_id, scope=scope, other_version_id=other_version_id,
                  rule=str(f.get("rule") or "unknown")[:96], severity=severity,
                  message=str(f.get("message") or ""), message_en=f.get("message_en"),
                  cells=[str(c) for c in (f.get("cells") or [])], evidence=f.get("evidence"),
                  status=f.get("status") if f.get("status") in REVIEW_STATUSES else "open",
                  reviewed_by=f.get("reviewed_by"), reviewed_at=f.get("reviewed_at"), comment=f.get("comment"),
                  cell_values=values, extra=review.extra_of(f) if f.get("extra") is None else f.get("extra"))
    measure = f.get("measure")
    if isinstance(measure, (int, float)) and not isinstance(measure, bool):
        row.measure_row = FindingMeasure(measure=float(measure))  # (store_0005: the score grades by it)
    return row


def _finding_dict(f: Finding) -> dict:
    return {"id": f.id, "rule": f.rule, "severity": f.severity, "message": f.message, "message_en": f.message_en,
            "cells": list(f.cells or []), "evidence": f.evidence, "scope": f.scope,
            "other_version_id": f.other_version_id, "status": f.status, "reviewed_by": f.reviewed_by,
            "reviewed_at": f.reviewed_at, "comment": f.comment, "cell_values": f.cell_values, "prior": f.prior,
            "extra": f.extra}


def _version_dict(v: Version) -> dict:
    return {"id": v.id, "number": v.number, "kind": v.kind, "author": v.author, "reason": v.reason,
            "created_at": v.created_at, "source_id": v.source_id, "parent_id": v.parent_id, "n_cells": v.n_cells}
