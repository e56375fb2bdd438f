"""The write path: extracted records → sources, regions, agencies, reports, versions, cells, findings, facts.

Several documents are written in one transaction, set-based: a handful of statements per batch
instead of dozens of ORM round trips per document. A batch is stored whole or not at all; the
caller (``Store.store_records``) retries it, then stores its documents one by one, so that a
database error fails only the document that caused it.

Writers may run side by side (several ``ingest`` processes, the web server's job runner):

- every get-or-create is ``INSERT … ON CONFLICT DO NOTHING`` and a second look-up, so two writers
  creating the same region, agency, source or report both end up with the one row;
- an agency without a region (where a unique constraint cannot help: NULLs are distinct) is
  created under a PostgreSQL advisory lock on its name;
- the agencies a batch writes to are locked (``FOR UPDATE``, in id order) before their reports
  are read, so version numbers, cross-year checks and facts of one agency are computed by one
  writer at a time, against what the previous writer committed;
- rows are taken in one global order (sources, regions, agencies by key; agency locks by id;
  rollup rows by key), so writers wait for each other but do not deadlock.

On SQLite a writer's transaction starts with ``BEGIN IMMEDIATE`` (see ``Store``): writers queue
for the database's one write lock instead of failing when they try to upgrade a read.

The outcome per document is what storing the documents one at a time, in order, gives: the
cross-year checks are replayed in that order over the batch (a report's earlier version keeps
the cross-year findings it had while it was current).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.engine import Connection

from . import checks, review, rollup
from .cells import iter_cells, numeric
from .facts import facts_of
from .regions import agency_kind, normalise_level, split_region
from .oversight import FindingMeasure
from .schema import Agency, Finding, Region, Report, ReportFacts, Source, Version, store_state

REVIEW_STATUSES = ("open", "confirmed", "dismissed")
CHUNK = 500  # ids per IN (…) list


class DocumentError(Exception):
    """This document cannot be stored (the message says why); the others of its batch can."""


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Doc:
    """One extracted document to store."""
    record: dict
    data: bytes | None = None
    filename: str | None = None
    path: str | None = None
    manifest_row: dict | None = None
    url: str | None = None
    sha256: str | None = None
    size: int | None = None
    fetched_at: datetime | None = None
    author: str | None = None     # who uploaded it (kept on the version)


@dataclass
class Prepared:
    """A document made ready outside the transaction: validated, split into rows."""
    index: int
    sha: str
    source: dict
    stored: dict                   # versions.record: the record without findings and cells' provenance
    cells: list[dict]
    findings: list[tuple[str, dict]]
    parts: list[tuple[str, str]]   # region chain [(level, name), …] from the top
    agency: str | None
    level: str | None
    kind: str | None
    year: int | None
    facts: dict = field(default_factory=dict)
    author: str | None = None


# ---------------------------------------------------------------------- preparing (no database)

def apply_manifest(record: dict, row: dict) -> dict:
    """The manifest overrides what extraction inferred (agency, region, level, year, url)."""
    if not row:
        return record
    record = dict(record)
    meta = dict(record.get("meta") or {})
    for key in ("agency", "region", "level", "kind"):
        if row.get(key):
            meta[key] = str(row[key]).strip()
    if row.get("year"):
        try:
            meta["year"] = int(str(row["year"]).strip())
        except ValueError as exc:
            raise DocumentError(f"清单年份无效 (bad year in manifest): {row['year']!r}") from exc
    record["meta"] = meta
    return record


def without(new: list[dict], existing: list[dict]) -> list[dict]:
    seen = {(f.get("rule"), tuple(f.get("cells") or ())) for f in existing}
    return [f for f in new if (f.get("rule"), tuple(f.get("cells") or ())) not in seen]


CELL_COLUMNS = ("version_id", "ref", "tbl", "row_key", "col", "value", "text", "provenance", "confidence")


def precompute(record: dict) -> dict:
    """The record with its cell rows and facts worked out (``_cells``, ``_facts``): an extraction worker
    calls this, so that the one writing process only writes. Neither depends on the record's meta."""
    _stored, cells = split_cells(record)
    return {**record, "_cells": cells, "_facts": facts_of(record)}


def split_cells(record: dict) -> tuple[dict, list[tuple]]:
    """(the record as a version keeps it, its cell rows): a cell's provenance is kept once, in its row.

    A row is the tuple of :data:`CELL_COLUMNS` after ``version_id``, its provenance already JSON
    (the rows go to the database as they are: ``executemany`` on SQLite, ``COPY`` on PostgreSQL).
    """
    stored = {k: v for k, v in record.items() if k != "findings"}
    prov = record.get("provenance") if isinstance(record.get("provenance"), dict) else {}
    cells, in_cells = [], set()
    dumps = json.dumps
    for ref, tbl, key, col, value in iter_cells(record):
        p = prov.get(ref)
        if p is not None:
            in_cells.add(ref)
        num = numeric(value)
        cells.append((ref, tbl, key, col, num, None if num is not None or value is None else str(value),
                      None if p is None else dumps(p), (p or {}).get("confidence")))
    if isinstance(stored.get("provenance"), dict):
        stored["provenance"] = {k: v for k, v in prov.items() if k not in in_cells}
    return stored, cells


def prepare(index: int, doc: Doc) -> Prepared:
    record = doc.record
    if not isinstance(record, dict):
        raise DocumentError(f"记录不是 JSON 对象 (record is not an object): {type(record).__name__}")
    src = record.get("source") if isinstance(record.get("source"), dict) else {}
    sha = doc.sha256 or src.get("sha256") or (hashlib.sha256(doc.data).hexdigest() if doc.data is not None else None)
    if not sha:
        raise DocumentError("记录没有 sha256 (record has no source sha256)")
    manifest_row = {k: v for k, v in (doc.manifest_row or {}).items() if v not in (None, "")}
    record = dict(record)
    prechecked = record.pop("_checked", None)  # validated in the extraction worker already
    cells, facts = record.pop("_cells", None), record.pop("_facts", None)
    if manifest_row:
        record = apply_manifest(record, manifest_row)
        prechecked = None  # the manifest changed meta (year, agency): validate again
    extracted = list(record.get("findings") or [])
    checked = prechecked if prechecked is not None else checks.check(record)
    if cells is None or facts is None or split_cells is not _split_cells:
        stored, cells = split_cells(record)
        facts = facts_of(stored)
    else:  # worked out by the worker: only the record as stored is made here
        stored = {k: v for k, v in record.items() if k != "findings"}
        if isinstance(stored.get("provenance"), dict):
            in_cells = {c[0] for c in cells if c[6] is not None}
            stored["provenance"] = {k: v for k, v in stored["provenance"].items() if k not in in_cells}
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    name = meta.get("agency")
    year = meta.get("year")
    source = {"sha256": sha,
              "filename": doc.filename or (Path(src["path"]).name if src.get("path") else None),
              "path": doc.path or src.get("path"), "url": doc.url or manifest_row.get("url"),
              "format": src.get("format"),
              "size": doc.size if doc.size is not None else (len(doc.data) if doc.data else None),
              "data": doc.data, "fetched_at": doc.fetched_at, "stored_at": now()}
    return Prepared(
        index=index, sha=sha, source=source, stored=stored, cells=cells,
        findings=[("extract", f) for f in extracted] + [("check", f) for f in without(checked, extracted)],
        parts=split_region(meta.get("region")),
        agency="".join(str(name).split()) or None if name else None,
        level=normalise_level(meta.get("level")), kind=meta.get("kind"),
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        facts={"template": meta.get("template"), "has_t3": bool(record.get("t3")), **facts}, author=doc.author)


def finding_row(version_id: int, scope: str, f: dict, other_version_id: int | None = None,
                values: dict | None = None) -> dict:
    """A finding as a row; ``values``: the values of its cells (what makes it the same finding in a
    later version, ``nianbao.store.review``). A measure (days late, a repeat rate) rides along as
    ``_measure`` for ``finding_measures``."""
    severity = f.get("severity") if f.get("severity") in ("error", "warning", "info") else "warning"
    measure = f.get("measure")
    return {"version_id": version_id, "scope": scope, "other_version_id": other_version_id,
            "rule": str(f.get("rule") or "unknown")[:96], "severity": severity,
            "message": str(f.get("message") or ""), "message_en": f.get("message_en"),
            "cells": [str(c) for c in (f.get("cells") or [])], "evidence": f.get("evidence"),
            "status": f.get("status") if f.get("status") in REVIEW_STATUSES else "open",
            "reviewed_by": f.get("reviewed_by"), "reviewed_at": f.get("reviewed_at"), "comment": f.get("comment"),
            "cell_values": values, "extra": review.extra_of(f) if f.get("extra") is None else f.get("extra"),
            "_measure": float(measure) if isinstance(measure, (int, float)) and not isinstance(measure, bool)
            else None}


def keep_review(row: dict, old: dict | None) -> None:
    """A person's review of a finding survives when the same finding comes back."""
    if old is not None and old.get("status", "open") != "open":
        for k in ("status", "reviewed_by", "reviewed_at", "comment"):
            row[k] = old.get(k)


# ---------------------------------------------------------------------- writing (one transaction)

def _insert(conn: Connection, table):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _chunks(seq, n=CHUNK):
    seq = list(seq)
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def bump_generation(conn: Connection) -> None:
    """Raise the store's generation (cached aggregates computed before are stale from the commit on)."""
    stmt = _insert(conn, store_state).values(name="generation", value=1)
    conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": store_state.c.value + 1}))


def write(conn: Connection, docs: list[Prepared]) -> list[dict]:
    """Store prepared documents in the caller's transaction; one result dict per document, in order."""
    results: dict[int, dict] = {}
    docs = _sources(conn, docs, results)
    if docs:
        regions = _regions(conn, docs)
        agencies = _agencies(conn, docs, regions)
        _reports_versions(conn, docs, regions, agencies, results)
    for r in results.values():
        if "_first" in r:
            r["report_id"] = results[r.pop("_first")]["report_id"]
    bump_generation(conn)
    return [results[i] for i in sorted(results)]


def _sources(conn: Connection, docs: list[Prepared], results: dict) -> list[Prepared]:
    """Insert the sources; documents whose bytes are stored already are duplicates."""
    S = Source.__table__
    first: dict[str, Prepared] = {}
    for d in docs:
        first.setdefault(d.sha, d)
    rows = [first[sha].source for sha in sorted(first)]
    stmt = _insert(conn, S).on_conflict_do_nothing(index_elements=["sha256"]).returning(S.c.id, S.c.sha256)
    new = dict((sha, sid) for sid, sha in conn.execute(stmt, rows).all()) if rows else {}
    keep, dups = [], []
    for d in docs:
        if d.sha in new and first[d.sha] is d:
            d.source_id = new[d.sha]
            keep.append(d)
        else:
            dups.append(d)
    if dups:
        owner = dict(conn.execute(select(S.c.sha256, func.min(Version.report_id))
                                  .join(Version, Version.source_id == S.c.id)
                                  .where(S.c.sha256.in_({d.sha for d in dups})).group_by(S.c.sha256)).all())
        by_sha = {d.sha: d for d in keep}
        for d in dups:
            results[d.index] = {"status": "duplicate", "sha256": d.sha, "report_id": owner.get(d.sha)}
            if d.sha in by_sha:  # its first copy is in this batch: its report is known once written
                results[d.index]["_first"] = by_sha[d.sha].index
    return keep


def _regions(conn: Connection, docs: list[Prepared]) -> dict[str, dict]:
    """Every region the documents name, with its ancestors: full name → {id, level, parent_id}."""
    R = Region.__table__
    wanted: dict[str, tuple[int, str, str, str | None]] = {}  # full → (depth, level, own name, parent full)
    for d in docs:
        full = ""
        for depth, (level, part) in enumerate(d.parts):
            parent = full or None
            full += part
            wanted.setdefault(full, (depth, level, part, parent))
    out: dict[str, dict] = {}

    def load(names):
        for chunk in _chunks(sorted(names)):
            for rid, full, level, parent in conn.execute(select(R.c.id, R.c.full_name, R.c.level, R.c.parent_id)
                                                         .where(R.c.full_name.in_(chunk))):
                out[full] = {"id": rid, "level": level, "parent_id": parent, "full_name": full}

    load(wanted)
    missing = [f for f in wanted if f not in out]
    if missing:
        stmt = _insert(conn, R).on_conflict_do_nothing(index_elements=["full_name"])
        for depth in sorted({wanted[f][0] for f in missing}):
            rows = [{"name": wanted[f][2], "full_name": f, "level": wanted[f][1],
                     "parent_id": out[wanted[f][3]]["id"] if wanted[f][3] else None}
                    for f in sorted(missing) if wanted[f][0] == depth]
            conn.execute(stmt, rows)
            load(r["full_name"] for r in rows)
    return out


def _leaf(d: Prepared, regions: dict) -> dict | None:
    return regions["".join(p for _, p in d.parts)] if d.parts else None


def _agencies(conn: Connection, docs: list[Prepared], regions: dict) -> dict[tuple[str, int | None], dict]:
    """Get or create each document's agency; lock them (PostgreSQL) for the rest of the transaction."""
    A = Agency.__table__
    firsts: dict[tuple, Prepared] = {}
    for d in docs:
        if d.agency:
            leaf = _leaf(d, regions)
            d.agency_key = (d.agency, leaf["id"] if leaf else None)
            firsts.setdefault(d.agency_key, d)
        else:
            d.agency_key = None
    if not firsts:
        return {}
    out: dict[tuple, dict] = {}

    def load(names):
        for chunk in _chunks(sorted(set(names))):
            for row in conn.execute(select(A.c.id, A.c.name, A.c.region_id).where(A.c.name.in_(chunk))):
                if (row.name, row.region_id) in firsts:
                    # several rows of (name, NULL) can only come from before this writer existed: the first wins
                    out.setdefault((row.name, row.region_id), {"id": row.id})

    load(k[0] for k in firsts)
    missing = sorted((k for k in firsts if k not in out), key=lambda k: (k[0], k[1] or 0))
    created: list[int] = []
    if missing:
        def new_row(key):
            d = firsts[key]
            leaf = _leaf(d, regions)
            kind = d.kind if d.kind in ("government", "department") else agency_kind(key[0])
            return {"name": key[0], "region_id": key[1], "kind": kind,
                    "level": d.level or (leaf["level"] if leaf else None)}
        with_region = [new_row(k) for k in missing if k[1] is not None]
        if with_region:
            stmt = (_insert(conn, A).on_conflict_do_nothing(index_elements=["name", "region_id"])
                    .returning(A.c.id))
            created += [r[0] for r in conn.execute(stmt, with_region).all()]
        for key in (k for k in missing if k[1] is None):
            if _pg(conn):  # (name, NULL) is never a unique-constraint conflict: serialise on the name
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "nianbao.agency:" + key[0]})
            found = conn.execute(select(A.c.id).where(A.c.name == key[0], A.c.region_id.is_(None))
                                 .order_by(A.c.id).limit(1)).scalar()
            if found is None:
                found = conn.execute(A.insert().returning(A.c.id), [new_row(key)]).scalar()
                created.append(found)
            out[key] = {"id": found}
        load(k[0] for k in missing)
    if created:
        _link_parents(conn, sorted(created))
    # lock in id order, and read them as locked
    ids = sorted({v["id"] for v in out.values()})
    info = {}
    for chunk in _chunks(ids):
        q = select(A.c.id, A.c.name, A.c.region_id, A.c.kind, A.c.level).where(A.c.id.in_(chunk)).order_by(A.c.id)
        if _pg(conn):
            q = q.with_for_update()
        for row in conn.execute(q):
            info[row.id] = dict(row._mapping)
    # the last document that names a level sets it (as storing them one by one would)
    final_level = {}
    for d in docs:
        if d.agency_key and d.level:
            final_level[out[d.agency_key]["id"]] = d.level
    changes = [{"aid": aid, "lvl": lvl} for aid, lvl in sorted(final_level.items()) if info[aid]["level"] != lvl]
    if changes:
        conn.execute(update(A).where(A.c.id == bindparam("aid")).values(level=bindparam("lvl")), changes)
        for c in changes:
            info[c["aid"]]["level"] = c["lvl"]
    return {key: info[v["id"]] for key, v in out.items()}


def _link_parents(conn: Connection, created: list[int]) -> None:
    """Departments hang under the government of their region (the first one, by id): new departments
    under it, and a region's departments that had none under its new government."""
    A = Agency.__table__
    regions = sorted({rid for (rid,) in conn.execute(select(A.c.region_id).where(A.c.id.in_(created),
                                                                                A.c.region_id.is_not(None)))})
    govs = {}
    for chunk in _chunks(regions):
        govs.update(conn.execute(select(A.c.region_id, func.min(A.c.id)).where(A.c.region_id.in_(chunk),
                                                                              A.c.kind == "government")
                                 .group_by(A.c.region_id)).all())
    if govs:
        conn.execute(update(A).where(A.c.region_id == bindparam("rid"), A.c.kind == "department",
                                     A.c.parent_id.is_(None)).values(parent_id=bindparam("gov")),
                     [{"rid": rid, "gov": gov} for rid, gov in sorted(govs.items())])


def _reports_versions(conn: Connection, docs: list[Prepared], regions: dict, agencies: dict, results: dict) -> None:
    Rp, V = Report.__table__, Version.__table__
    for d in docs:
        ag = agencies.get(d.agency_key) if d.agency_key else None
        d.agency_id = ag["id"] if ag else None
    # the reports of these agencies in the documents' years and the years beside them
    keys = {(d.agency_id, d.year) for d in docs if d.agency_id is not None and d.year is not None}
    near = {(a, y + k) for a, y in keys for k in (-1, 0, 1)}
    reports: dict[tuple[int, int], dict] = {}
    agency_ids = sorted({a for a, _ in keys})
    years = sorted({y for _, y in near})
    for chunk in _chunks(agency_ids):
        for row in conn.execute(select(Rp.c.id, Rp.c.agency_id, Rp.c.year, Rp.c.current_version_id)
                                .where(Rp.c.agency_id.in_(chunk), Rp.c.year.in_(years))):
            if (row.agency_id, row.year) in near:
                reports[(row.agency_id, row.year)] = dict(row._mapping)
    missing = sorted(k for k in keys if k not in reports)
    if missing:
        created = now()
        stmt = _insert(conn, Rp).on_conflict_do_nothing(index_elements=["agency_id", "year"])
        conn.execute(stmt, [{"agency_id": a, "year": y, "created_at": created} for a, y in missing])
        wanted = set(missing)
        for chunk in _chunks(sorted({a for a, _ in missing})):
            for row in conn.execute(select(Rp.c.id, Rp.c.agency_id, Rp.c.year, Rp.c.current_version_id)
                                    .where(Rp.c.agency_id.in_(chunk), Rp.c.year.in_(sorted({y for _, y in missing})))):
                if (row.agency_id, row.year) in wanted:
                    reports[(row.agency_id, row.year)] = dict(row._mapping)
    loose = [d for d in docs if d.agency_id is None or d.year is None]  # a report of its own each
    if loose:
        ids = conn.execute(Rp.insert().returning(Rp.c.id, sort_by_parameter_order=True),
                           [{"agency_id": d.agency_id, "year": d.year, "created_at": now()} for d in loose]
                           ).scalars().all()
        for d, rid in zip(loose, ids):
            d.report = {"id": rid, "agency_id": d.agency_id, "year": d.year, "current_version_id": None}
    for d in docs:
        if d.agency_id is not None and d.year is not None:
            d.report = reports[(d.agency_id, d.year)]

    # versions, numbered after the report's last one, in document order
    report_ids = sorted({d.report["id"] for d in docs})
    last = {}
    for chunk in _chunks(report_ids):
        last.update(conn.execute(select(V.c.report_id, func.max(V.c.number)).where(V.c.report_id.in_(chunk))
                                 .group_by(V.c.report_id)).all())
    at = now()
    rows = []
    for d in docs:
        n = (last.get(d.report["id"]) or 0) + 1
        last[d.report["id"]] = n
        rows.append({"report_id": d.report["id"], "number": n, "kind": "extracted", "source_id": d.source_id,
                     "parent_id": None, "author": d.author, "reason": None, "created_at": at, "record": d.stored,
                     "n_cells": len(d.cells)})
    vids = conn.execute(V.insert().returning(V.c.id, sort_by_parameter_order=True), rows).scalars().all()
    cells = []
    for d, vid in zip(docs, vids):
        d.version_id = vid
        cells += [(vid, *c) for c in d.cells]
    insert_cells(conn, cells)

    findings = _cross_year(conn, docs, reports)
    if findings["delete"]:
        for chunk in _chunks(sorted(findings["delete"])):
            conn.execute(delete(Finding).where(Finding.version_id.in_(chunk), Finding.scope == "cross_year"))
    if findings["rows"]:
        insert_findings(conn, findings["rows"])
    current = {}
    for d in docs:
        current[d.report["id"]] = d.version_id
        d.report["current_version_id"] = d.version_id
    conn.execute(update(Rp).where(Rp.c.id == bindparam("rid")).values(current_version_id=bindparam("vid")),
                 [{"rid": rid, "vid": vid} for rid, vid in sorted(current.items())])
    touched = {rid: vid for rid, vid in current.items()}
    for rep in reports.values():
        if rep["current_version_id"] in findings["touched"]:
            touched[rep["id"]] = rep["current_version_id"]
    _facts(conn, docs, touched, reports, near, regions, agencies, findings["records"])
    for d in docs:
        results[d.index] = {"status": "stored", "report_id": d.report["id"], "version_id": d.version_id,
                            "sha256": d.sha, "agency": d.agency if d.agency_id is not None else None,
                            "year": d.year}


def insert_findings(conn: Connection, rows: list[dict]) -> None:
    """Findings, and the measures some carry (``finding_measures``: the score grades by them)."""
    measures = [r.pop("_measure", None) for r in rows]
    if not any(m is not None for m in measures):
        conn.execute(Finding.__table__.insert(), rows)
        return
    ids = conn.execute(Finding.__table__.insert().returning(Finding.__table__.c.id, sort_by_parameter_order=True),
                       rows).scalars().all()
    conn.execute(FindingMeasure.__table__.insert(),
                 [{"finding_id": fid, "measure": m} for fid, m in zip(ids, measures) if m is not None])


def insert_cells(conn: Connection, cells: list[tuple]) -> None:
    """Rows of :data:`CELL_COLUMNS`: ``COPY`` on PostgreSQL, one ``executemany`` on SQLite."""
    if not cells:
        return
    if _pg(conn):
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY cells ({', '.join(CELL_COLUMNS)}) FROM STDIN") as cp:
                for row in cells:
                    cp.write_row(row)
    else:
        conn.exec_driver_sql(f"INSERT INTO cells ({', '.join(CELL_COLUMNS)}) "
                             f"VALUES ({', '.join('?' * len(CELL_COLUMNS))})", cells)


def _cross_year(conn: Connection, docs: list[Prepared], reports: dict) -> dict:
    """Replay, in document order, the cross-year checks that storing each document alone would run.

    Returns the findings rows to insert, the stored versions whose cross-year findings are
    replaced (``delete``/``touched``), and every current record seen (version id → record).
    """
    V, Fd = Version.__table__, Finding.__table__
    cur: dict[tuple[int, int], tuple[int, dict | None]] = {
        k: (r["current_version_id"], None) for k, r in reports.items() if r["current_version_id"] is not None}
    stored_ids = {vid for vid, _ in cur.values()}
    records: dict[int, dict] = {}
    if stored_ids and any(d.agency_id is not None and d.year is not None for d in docs):
        for chunk in _chunks(sorted(stored_ids)):
            records.update(conn.execute(select(V.c.id, V.c.record).where(V.c.id.in_(chunk))).all())
    old_cross: dict[int, list[dict]] = {}
    loaded = False

    def cross_of(vid: int) -> list[dict]:
        nonlocal loaded
        if vid in stored_ids and not loaded:
            loaded = True
            for chunk in _chunks(sorted(stored_ids)):
                for row in conn.execute(select(Fd).where(Fd.c.version_id.in_(chunk), Fd.c.scope == "cross_year")
                                        .order_by(Fd.c.id)):
                    old_cross.setdefault(row.version_id, []).append(dict(row._mapping))
        return old_cross.get(vid, [])

    attached: dict[int, list[dict]] = {}  # version id → its cross-year findings now
    touched: set[int] = set()
    for d in docs:
        records[d.version_id] = d.stored
        if d.agency_id is None or d.year is None:
            continue
        a, y = d.agency_id, d.year
        cur[(a, y)] = (d.version_id, d.stored)
        for earlier, later in ((y - 1, y), (y, y + 1)):
            c = cur.get((a, later))
            if c is None:
                continue
            cvid = c[0]
            before = attached[cvid] if cvid in attached else cross_of(cvid)
            old = {(f["rule"], tuple(f["cells"] or ())): f for f in before}
            attached[cvid] = []
            if cvid in stored_ids:
                touched.add(cvid)
            p = cur.get((a, earlier))
            if p is None:
                continue
            pvid = p[0]
            new = []
            for f in checks.cross_year(records[pvid], records[cvid]):
                values = review.finding_values(records[cvid], f.get("cells") or (), records[pvid],
                                               f.get("previous_cells") or ())
                row = finding_row(cvid, "cross_year", f, other_version_id=pvid, values=values)
                keep_review(row, old.get((row["rule"], tuple(row["cells"]))))
                new.append(row)
            attached[cvid] = new
    rows = []
    for d in docs:
        rows += [finding_row(d.version_id, scope, f, values=review.finding_values(d.stored, f.get("cells") or ()))
                 for scope, f in d.findings]
        rows += attached.get(d.version_id, [])
    for vid in sorted(touched):
        rows += attached.get(vid, [])
    return {"rows": rows, "delete": touched, "touched": touched, "records": records}


def region_chain(regions_by_id: dict[int, dict], region_id: int | None) -> dict[str, int]:
    out = {}
    while region_id is not None and region_id in regions_by_id:
        reg = regions_by_id[region_id]
        out.setdefault(reg["level"], region_id)
        region_id = reg["parent_id"]
    return out


def _facts(conn: Connection, docs: list[Prepared], touched: dict[int, int], reports: dict, searched: set,
           regions: dict, agencies: dict, records: dict) -> None:
    """``report_facts`` of every report whose current version or findings changed; the rollup moved along.

    ``reports``: the reports by (agency, year) among the ``searched`` keys (the batch's and beside them)."""
    F, Fd = ReportFacts.__table__, Finding.__table__
    by_id = {r["id"]: r for r in regions.values()}
    agency_by_id = {a["id"]: a for a in agencies.values()}
    report_of = {r["id"]: r for r in reports.values()}
    for d in docs:
        report_of[d.report["id"]] = d.report
    counts = {}
    vids = sorted(set(touched.values()))
    for chunk in _chunks(vids):
        for vid, *n in conn.execute(select(Fd.c.version_id, *rollup.finding_counts(Fd.c))
                                    .where(Fd.c.version_id.in_(chunk)).group_by(Fd.c.version_id)):
            counts[vid] = n
    # has_prev: the reports of the year before, known from the batch's neighbours (looked up otherwise)
    prev_keys = {(r["agency_id"], r["year"] - 1) for r in (report_of[rid] for rid in touched)
                 if r["agency_id"] is not None and r["year"] is not None}
    existing = {k for k in prev_keys if k in reports}
    unknown = prev_keys - set(searched)
    Rp = Report.__table__
    for chunk in _chunks(sorted({a for a, _ in unknown})):
        existing.update((a, y) for a, y in conn.execute(
            select(Rp.c.agency_id, Rp.c.year).where(Rp.c.agency_id.in_(chunk),
                                                    Rp.c.year.in_(sorted({y for _, y in unknown}))))
            if (a, y) in unknown)
    prepared_facts = {d.version_id: d.facts for d in docs}
    new_rows = []
    for rid in sorted(touched):
        vid = touched[rid]
        rep = report_of[rid]
        ag = agency_by_id.get(rep["agency_id"]) if rep["agency_id"] is not None else None
        chain = region_chain(by_id, ag["region_id"] if ag else None)
        facts = prepared_facts.get(vid)
        if facts is None:
            record = records[vid]
            meta = record.get("meta") or {}
            facts = {"template": meta.get("template"), "has_t3": bool(record.get("t3")), **facts_of(record)}
        n, n_open, n_copied = counts.get(vid, (0, 0, 0))
        new_rows.append({"report_id": rid, "version_id": vid, "agency_id": rep["agency_id"],
                         "region_id": ag["region_id"] if ag else None,
                         "province_id": chain.get("province"), "city_id": chain.get("city"),
                         "county_id": chain.get("county"), "level": ag["level"] if ag else None,
                         "kind": ag["kind"] if ag else None, "year": rep["year"], "n_findings": n, "n_open": n_open,
                         "n_copied": n_copied,
                         "has_prev": rep["year"] is not None and (rep["agency_id"], rep["year"] - 1) in existing,
                         **facts})
    old_rows = []
    for chunk in _chunks(sorted(touched)):
        old_rows += [dict(r._mapping) for r in conn.execute(select(F).where(F.c.report_id.in_(chunk)))]
        conn.execute(delete(F).where(F.c.report_id.in_(chunk)))
    conn.execute(F.insert(), new_rows)
    rollup.apply(conn, [(r, -1) for r in old_rows] + [(r, 1) for r in new_rows])


_split_cells = split_cells  # (a test replaces split_cells to write the layout of older versions)
