"""The store of fetched originals: bytes once per sha256, what each address served and when,
the report entries found and which page and attachments belong to each.

Every write is one transaction, so a run killed at any moment leaves whole rows or none;
a fetch row is never updated (a changed page adds a row, the old bytes stay).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, insert, select, update

from ..store.schema import collect_blobs as B
from ..store.schema import collect_documents as D
from ..store.schema import collect_entries as E
from ..store.schema import collect_entry_documents as ED
from ..store.schema import collect_fetches as F
from .fetch import Fetched


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Known:
    """What the store holds for one address: its current content and the validators it came with."""
    document_id: int
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    filename: str | None = None
    final_url: str | None = None
    fetched_at: datetime | None = None


@dataclass
class Candidate:
    """One original of an entry, as it stands now: the page, or an attachment, or the file itself."""
    role: str
    position: int
    url: str
    final_url: str
    sha256: str
    filename: str | None
    content_type: str | None
    fetched_at: datetime | None
    size: int
    link_text: str | None = None


def digest(candidates: list[Candidate]) -> str:
    """Names the set of originals an entry had when it was ingested: a change means ingest again."""
    h = hashlib.sha256()
    for c in sorted(candidates, key=lambda c: (c.position, c.url)):
        h.update(f"{c.role}:{c.url}:{c.sha256}\n".encode())
    return h.hexdigest()


def _insert_ignore(conn, table, values: dict, keys: list[str]):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return conn.execute(dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=keys))


class Originals:
    def __init__(self, store):
        self.engine = store.engine
        # writes take SQLite's write lock when they begin (BEGIN IMMEDIATE): a transaction that reads first
        # and writes later could otherwise find the lock held by the store's writer and fail at once
        self.write_engine = getattr(store, "write_engine", store.engine)

    # ------------------------------------------------------------------ reads
    def known(self) -> dict[str, Known]:
        """Every address collected before, with its current content's validators."""
        q = (select(D.c.url, D.c.id, F.c.sha256, F.c.etag, F.c.last_modified, F.c.content_type, F.c.filename,
                    F.c.final_url, F.c.fetched_at)
             .select_from(D.outerjoin(F, F.c.id == D.c.fetch_id)))
        with self.engine.connect() as conn:
            return {r[0]: Known(*r[1:]) for r in conn.execute(q)}

    def blob(self, sha256: str) -> bytes:
        with self.engine.connect() as conn:
            data = conn.scalar(select(B.c.data).where(B.c.sha256 == sha256))
        if data is None:
            raise KeyError(sha256)
        return bytes(data)

    def head(self, sha256: str, n: int = 2048) -> bytes:
        """The first ``n`` bytes of an original (enough to tell its format)."""
        from sqlalchemy import func
        with self.engine.connect() as conn:
            data = conn.scalar(select(func.substr(B.c.data, 1, n)).where(B.c.sha256 == sha256))
        return bytes(data or b"")

    def candidates(self, entry_id: int) -> list[Candidate]:
        q = (select(ED.c.role, ED.c.position, D.c.url, F.c.final_url, F.c.sha256, F.c.filename, F.c.content_type,
                    F.c.fetched_at, F.c.size, ED.c.link_text)
             .select_from(ED.join(D, D.c.id == ED.c.document_id).join(F, F.c.id == D.c.fetch_id))
             .where(ED.c.entry_id == entry_id).order_by(ED.c.position))
        with self.engine.connect() as conn:
            return [Candidate(*r) for r in conn.execute(q)]

    def entry(self, entry_id: int) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(select(E).where(E.c.id == entry_id)).mappings().first()
        return dict(row) if row else {}

    def pending(self) -> list[int]:
        """Entries whose originals are not in the store's reports as they stand (never ingested, or changed)."""
        q = (select(E.c.id, E.c.ingested, ED.c.role, ED.c.position, D.c.url, F.c.sha256)
             .select_from(E.join(ED, ED.c.entry_id == E.c.id).join(D, D.c.id == ED.c.document_id)
                          .join(F, F.c.id == D.c.fetch_id))
             .order_by(E.c.id))
        by_entry: dict[int, tuple[str | None, list[Candidate]]] = {}
        with self.engine.connect() as conn:
            for eid, ingested, role, pos, url, sha in conn.execute(q):
                by_entry.setdefault(eid, (ingested, []))[1].append(
                    Candidate(role, pos, url, url, sha, None, None, None, 0))
        return [eid for eid, (ingested, cands) in by_entry.items() if ingested != digest(cands)]

    # ------------------------------------------------------------------ writes
    def _document(self, conn, url: str, role: str, parent_url: str | None, link_text: str | None) -> int:
        doc_id = conn.scalar(select(D.c.id).where(D.c.url == url))
        if doc_id is None:
            _insert_ignore(conn, D, {"url": url, "role": role, "parent_url": parent_url,
                                     "link_text": (link_text or None) and link_text[:500], "first_seen": _now()},
                           ["url"])
            doc_id = conn.scalar(select(D.c.id).where(D.c.url == url))
        return doc_id

    def save(self, res: Fetched, role: str, parent_url: str | None = None,
             link_text: str | None = None) -> tuple[str, Known]:
        """Keep what a GET brought: "new" (first content of this address), "changed" or "unchanged"."""
        now = _now()
        with self.write_engine.begin() as conn:
            doc_id = self._document(conn, res.url, role, parent_url, link_text)
            cur = conn.execute(select(F.c.sha256).select_from(D.join(F, F.c.id == D.c.fetch_id))
                               .where(D.c.id == doc_id)).scalar()
            known = Known(doc_id, res.sha256, res.etag, res.last_modified, res.content_type, res.filename,
                          res.final_url, res.fetched_at)
            if cur == res.sha256:
                conn.execute(update(D).where(D.c.id == doc_id).values(status=res.status, error=None, checked_at=now))
                return "unchanged", known
            if conn.scalar(select(B.c.sha256).where(B.c.sha256 == res.sha256)) is None:
                _insert_ignore(conn, B, {"sha256": res.sha256, "size": len(res.data), "data": res.data,
                                         "stored_at": now}, ["sha256"])
            fid = conn.execute(insert(F).values(
                document_id=doc_id, url=res.url, final_url=res.final_url, redirects=res.redirects or None,
                status=res.status, content_type=res.content_type, etag=res.etag, last_modified=res.last_modified,
                filename=res.filename, sha256=res.sha256, size=len(res.data), fetched_at=res.fetched_at or now)
            ).inserted_primary_key[0]
            conn.execute(update(D).where(D.c.id == doc_id).values(fetch_id=fid, status=res.status, error=None,
                                                                  checked_at=now))
            return ("new" if cur is None else "changed"), known

    def unchanged(self, url: str, role: str, status: int = 304, parent_url: str | None = None,
                  link_text: str | None = None) -> None:
        with self.write_engine.begin() as conn:
            doc_id = self._document(conn, url, role, parent_url, link_text)
            conn.execute(update(D).where(D.c.id == doc_id).values(status=status, error=None, checked_at=_now()))

    def failed(self, url: str, role: str, error: str, status: int | None = None, parent_url: str | None = None,
               link_text: str | None = None) -> None:
        """A failure is noted on the address; what it served before stays its current content."""
        with self.write_engine.begin() as conn:
            doc_id = self._document(conn, url, role, parent_url, link_text)
            conn.execute(update(D).where(D.c.id == doc_id).values(status=status, error=error[:2000],
                                                                  checked_at=_now()))

    def add_entry(self, url: str, *, column_url: str | None, title: str | None, year: int | None,
                  agency: str | None, given: dict | None = None) -> int:
        """The entry of a report at ``url`` (found again: its title is kept unless it had none)."""
        now = _now()
        with self.write_engine.begin() as conn:
            row = conn.execute(select(E.c.id, E.c.title).where(E.c.url == url)).first()
            if row is None:
                _insert_ignore(conn, E, {"url": url, "column_url": column_url, "title": title, "year": year,
                                         "agency": agency, "given": given or None, "found_at": now,
                                         "seen_at": now}, ["url"])
                return conn.scalar(select(E.c.id).where(E.c.url == url))
            values = {"seen_at": now}
            if given:
                values["given"] = given
            if title and not row[1]:
                values.update(title=title, year=year, agency=agency)
            conn.execute(update(E).where(E.c.id == row[0]).values(**values))
            return row[0]

    def retitle(self, entry_id: int, title: str, year: int | None, agency: str | None) -> None:
        with self.write_engine.begin() as conn:
            conn.execute(update(E).where(E.c.id == entry_id).values(title=title, year=year, agency=agency))

    def link(self, entry_id: int, documents: list[tuple[str, str, str | None]]) -> None:
        """The entry's originals, in order: [(url, role, link text), …] (the page first)."""
        with self.write_engine.begin() as conn:
            rows, seen = [], set()
            for pos, (url, role, text) in enumerate(documents):
                doc_id = self._document(conn, url, role, None, text)
                if doc_id in seen:
                    continue
                seen.add(doc_id)
                rows.append({"entry_id": entry_id, "document_id": doc_id, "role": role, "position": pos,
                             "link_text": (text or None) and text[:500]})
            have = [dict(r) for r in conn.execute(
                select(ED.c.entry_id, ED.c.document_id, ED.c.role, ED.c.position, ED.c.link_text)
                .where(ED.c.entry_id == entry_id).order_by(ED.c.position)).mappings()]
            if have == rows:
                return  # found as before: nothing to write
            conn.execute(delete(ED).where(ED.c.entry_id == entry_id))
            if rows:
                conn.execute(insert(ED), rows)

    def ingested(self, entry_id: int, dig: str, sha256: str, report_id: int | None) -> None:
        with self.write_engine.begin() as conn:
            conn.execute(update(E).where(E.c.id == entry_id).values(
                ingested=dig, source_sha256=sha256, report_id=report_id, ingested_at=_now(), ingest_error=None))

    def ingest_failed(self, entry_id: int, error: str) -> None:
        with self.write_engine.begin() as conn:
            conn.execute(update(E).where(E.c.id == entry_id).values(ingest_error=error[:4000]))
