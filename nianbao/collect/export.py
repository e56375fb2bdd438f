"""``nianbao collect --export DIR``: the collected originals as files, with where each came from.

    DIR/00012/0-t20240115_123.html      an entry's page (position 0) …
    DIR/00012/1-年报.pdf                 … and its attachments, as they stand now
    DIR/originals.csv                   every file: entry, title, role, URL, final URL, HTTP status,
                                        Content-Type, ETag, Last-Modified, sha256, fetch time, report id
    DIR/manifest.csv                    the source of each stored report, for
                                        ``nianbao ingest --manifest DIR/manifest.csv`` (a corpus rebuilt)
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

from sqlalchemy import select

from ..store.schema import Agency, Region, Report
from ..store.schema import collect_documents as D
from ..store.schema import collect_entries as E
from ..store.schema import collect_entry_documents as ED
from ..store.schema import collect_fetches as F
from .ingest import _name
from .originals import Candidate, Originals

COLUMNS = ("entry", "title", "year", "agency", "role", "position", "path", "url", "final_url", "status",
           "content_type", "etag", "last_modified", "sha256", "size", "fetched_at", "report_id", "source")


def _safe(name: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(". ") or "file"
    return name[:120]


def export(store, dest: str | Path) -> dict:
    """Write every entry's current originals under ``dest``; returns {"entries", "files", "sources"}."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    originals = Originals(store)
    q = (select(E.c.id, E.c.title, E.c.year, E.c.agency, E.c.report_id, E.c.source_sha256, ED.c.role,
                ED.c.position, D.c.url, F.c.final_url, F.c.status, F.c.content_type, F.c.etag, F.c.last_modified,
                F.c.sha256, F.c.size, F.c.fetched_at, F.c.filename)
         .select_from(E.join(ED, ED.c.entry_id == E.c.id).join(D, D.c.id == ED.c.document_id)
                      .join(F, F.c.id == D.c.fetch_id))
         .order_by(E.c.id, ED.c.position))
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
        reports = {r.id: r for r in conn.execute(
            select(Report.id, Report.year, Agency.name.label("agency"), Region.full_name.label("region"),
                   Agency.level, Agency.kind)
            .select_from(Report).outerjoin(Agency, Agency.id == Report.agency_id)
            .outerjoin(Region, Region.id == Agency.region_id))}
    n_files, entries, manifest, shas = 0, set(), [], set()
    with open(dest / "originals.csv", "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=COLUMNS)
        out.writeheader()
        for r in rows:
            cand = Candidate(r["role"], r["position"], r["url"], r["final_url"], r["sha256"], r["filename"],
                             r["content_type"], r["fetched_at"], r["size"])
            rel = Path(f"{r['id']:05d}") / _safe(f"{r['position']}-{Path(_name(cand)).name}")
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_bytes(originals.blob(r["sha256"]))
            n_files += 1
            entries.add(r["id"])
            is_source = r["report_id"] is not None and r["sha256"] == r["source_sha256"]
            out.writerow({"entry": r["id"], "title": r["title"], "year": r["year"], "agency": r["agency"],
                          "role": r["role"], "position": r["position"], "path": rel.as_posix(), "url": r["url"],
                          "final_url": r["final_url"], "status": r["status"], "content_type": r["content_type"],
                          "etag": r["etag"], "last_modified": r["last_modified"], "sha256": r["sha256"],
                          "size": r["size"], "fetched_at": r["fetched_at"], "report_id": r["report_id"],
                          "source": "yes" if is_source else ""})
            rep = reports.get(r["report_id"]) if is_source else None
            if rep is not None and r["sha256"] not in shas:  # one report: once, however many addresses
                shas.add(r["sha256"])
                manifest.append({"path": rel.as_posix(), "url": r["url"], "agency": rep.agency or "",
                                 "region": rep.region or "", "level": rep.level or "", "year": rep.year or "",
                                 "kind": rep.kind or ""})
    with open(dest / "manifest.csv", "w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=("path", "url", "agency", "region", "level", "year", "kind"))
        out.writeheader()
        out.writerows(manifest)
    return {"entries": len(entries), "files": n_files, "sources": len(manifest)}
