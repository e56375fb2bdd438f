"""The store as the pages see it: a thin adapter over ``nianbao.store.api.Store``.

It turns the store's dicts into the shapes the templates draw, and maps store
errors to "not found" or a message.
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime


from fastapi import HTTPException

from ..findings import SEVERITY_ORDER
from ..store.api import Store, StoreError
from ..store.cells import iter_cells

PAGE_SIZE = 50


def _at(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value or "")


def _severity_counts(findings) -> dict[str, int]:
    out = {s: 0 for s in SEVERITY_ORDER}
    for f in findings:
        if f.get("status", "open") != "dismissed" and f.get("severity") in out:
            out[f["severity"]] += 1
    return out


def _list_status(item: dict) -> str:
    """clean: no findings; reviewed: every finding confirmed or dismissed; open: some still open."""
    if not item.get("n_findings"):
        return "clean"
    return "open" if item.get("n_open") else "reviewed"


class Backend:
    def __init__(self, store: Store):
        self.store = store

    @classmethod
    def open(cls, url: str | None) -> "Backend":
        return cls(Store.open(url))

    @property
    def engine(self):
        return self.store.engine

    # ------------------------------------------------------------------ write
    def ingest(self, data: bytes, name: str, user: str) -> dict:
        try:
            res = self.store.ingest_bytes(data, name, author=user or None)
        except StoreError as exc:
            return {"ok": False, "message": str(exc)}
        status = res.get("status")
        if status == "failed":
            return {"ok": False, "message": str(res.get("error") or "failed")}
        rid = res.get("report_id")
        rep = self.report(rid) if rid is not None else None
        counts = _severity_counts(rep["findings"]) if rep else {}
        return {"ok": True, "id": rid, "duplicate": status == "duplicate", "errors": counts.get("error", 0),
                "warnings": counts.get("warning", 0), "message": "",
                "reapplied": len(res.get("reapplied") or ()), "version": rep["version"] if rep else None}

    def review(self, rid: int, fid: str, decision: str, comment: str, user: str) -> dict | None:
        """The report after the decision; None when the finding is not this report's current one.
        A refused decision (a dismissal without a reason) raises StoreError."""
        raw = self._raw(rid)
        if raw is None or not str(fid).isdigit() or not any(str(f["id"]) == str(fid) for f in raw["findings"]):
            return None
        self.store.review_finding(int(fid), decision, user, comment or None)
        return self.report(rid)

    def correct(self, rid: int, values: dict, comment: str, user: str) -> dict | None:
        """The report after the correction; CorrectionError names refused cells (the caller shows them)."""
        if self._raw(rid) is None:
            return None
        self.store.correct_values(rid, values, user, comment)
        return self.report(rid)

    def revert(self, rid: int, cid: int, comment: str, user: str) -> dict | None:
        if not any(c["id"] == cid for c in self.store.corrections(rid)):
            return None
        self.store.revert_correction(cid, user, comment or None)
        return self.report(rid)

    # ------------------------------------------------------------------ read
    def reports(self, filters: dict, limit: int = PAGE_SIZE, offset: int = 0, with_total: bool = False,
                order: str = "year"):
        try:
            res = self.store.list_reports(region=filters.get("region"), level=filters.get("level"),
                                          year=filters.get("year"), status=filters.get("status"),
                                          agency=filters.get("q"), limit=limit, offset=offset, order=order)
        except StoreError as exc:
            raise HTTPException(400, detail=str(exc))
        out = []
        for item in res["items"]:
            # the store's summary carries everything the list shows: no per-report read
            out.append({"id": item["id"], "name": item.get("filename") or f"#{item['id']}",
                        "agency": item.get("agency"), "region": item.get("region"), "level": item.get("level"),
                        "year": item.get("year"), "template": item.get("template"), "format": item.get("format"),
                        "status": _list_status(item), "errors": item["errors"], "warnings": item["warnings"],
                        "infos": item["infos"], "version": item.get("version") or 1})
        self._with_scores(out)
        return (out, res["total"]) if with_total else out

    def _with_scores(self, rows: list[dict]) -> None:
        """Each listed report's quality score (nianbao.analyse.score), the whole page in one statement."""
        from ..analyse.score import WeightsError, score_map
        try:
            got = score_map(self.store, [r["id"] for r in rows])
        except WeightsError:
            got = {}  # a broken weights file shows on the score pages; the list stays usable
        for r in rows:
            r["score"] = got.get(r["id"])

    def search(self, q: str, limit: int = 20) -> list[dict]:
        """Reports whose agency name contains ``q`` (the whole store is searched; the first ``limit`` shown)."""
        items = self.store.list_reports(agency=q or None, limit=limit, order="agency")["items"]
        return [{"id": i["id"], "agency": i.get("agency"), "year": i.get("year"), "region": i.get("region"),
                 "label": f"{i.get('agency') or '#' + str(i['id'])} {i.get('year') or ''} #{i['id']}".strip()}
                for i in items]

    def label(self, rid: int) -> str | None:
        raw = self._raw(rid)
        if raw is None:
            return None
        return f"{(raw.get('agency') or {}).get('name') or '#' + str(rid)} {raw.get('year') or ''} #{rid}"

    def region_children(self, parent: int | None, level: str) -> list[dict]:
        """The regions of a level under ``parent`` that hold reports (the 省/市/县 cascade)."""
        return [{"id": r["id"], "name": r["name"], "full_name": r["full_name"]} for r in self.store.regions()
                if r["level"] == level and (parent is None or r["parent_id"] == parent)]

    def facets(self) -> dict[str, list]:
        """The values the filters offer, from the store's aggregates (no scan of the reports)."""
        def keys(dim):
            groups = self.store.stats(group_by=(dim,), metrics=["applications"])["groups"]
            return [g["key"][dim] for g in groups if g["key"][dim] is not None]
        from ..store.regions import LEVELS
        levels = set(keys("level"))
        return {"regions": [r["full_name"] for r in self.store.regions()],
                "levels": [lv for lv in LEVELS if lv in levels],
                "years": sorted(keys("year"), reverse=True),
                "statuses": ["open", "clean", "reviewed"]}

    def _raw(self, rid: int, version: int | None = None) -> dict | None:
        try:
            return self.store.get_report(rid, version)
        except StoreError:
            return None

    def report(self, rid: int, version: int | None = None) -> dict | None:
        raw = self._raw(rid, version)
        if raw is None:
            return None
        record = raw["record"]
        findings = []
        for f in raw["findings"]:
            f = dict(f)
            f["review"] = None if f.get("status", "open") == "open" else {
                "decision": f["status"], "comment": f.get("comment") or "", "user": f.get("reviewed_by") or "",
                "at": _at(f.get("reviewed_at"))}
            f["reviewed_at"] = _at(f.get("reviewed_at"))
            findings.append(f)
        record = dict(record)
        record["findings"] = findings
        src = raw.get("source") or {}
        versions = self._versions(rid, raw)
        corrections = []
        for c in raw.get("corrections") or []:
            c = dict(c)
            c["at"], c["closed_at"] = _at(c.get("created_at")), _at(c.get("closed_at"))
            corrections.append(c)
        return {"id": raw["id"], "name": src.get("filename") or f"#{rid}", "format": src.get("format"),
                "level": (raw.get("agency") or {}).get("level"), "region": (raw.get("region") or {}).get("name"),
                "version": raw["version"]["number"], "latest_version": max(v["version"] for v in versions),
                "versions": versions, "findings": findings, "record": record,
                "previous": (raw.get("neighbours") or {}).get("prev"), "next": (raw.get("neighbours") or {}).get("next"),
                "corrections": corrections}

    def _versions(self, rid: int, raw: dict) -> list[dict]:
        """Each version with the cells it changed against the one before: the audit trail."""
        out, prev = [], None
        records = self.store.version_records(rid) if len(raw["versions"]) > 1 else {}
        for v in raw["versions"]:
            rec = raw["record"] if v["number"] == raw["version"]["number"] else records.get(v["number"]) or {}
            values = {ref: val for ref, _, _, _, val in iter_cells(rec)}
            values.update({f"meta.{k}": val for k, val in (rec.get("meta") or {}).items()
                           if k in ("agency", "region", "year", "published", "level", "kind")})
            changes = []
            if v.get("kind") == "corrected" and prev is not None:
                changes = [{"cell": ref, "old": prev.get(ref), "new": val}
                           for ref, val in values.items() if prev.get(ref) != val]
            prev = values
            out.append({"version": v["number"], "kind": v.get("kind"), "at": _at(v.get("created_at")),
                        "user": v.get("author") or "", "comment": v.get("reason") or "", "changes": changes})
        return out

    def source(self, rid: int) -> tuple[bytes, str, str] | None:
        try:
            return self.store.source_bytes(rid)
        except StoreError:
            return None

    def previous_year(self, rid: int) -> int | None:
        raw = self._raw(rid)
        return ((raw or {}).get("neighbours") or {}).get("prev")

    # ------------------------------------------------------------------ dashboard
    def stats(self, filters: dict, lang: str = "zh") -> dict:
        from .dashboard import build
        return build(self, filters, lang)

    # ------------------------------------------------------------------ export
    # key → (store format, store form)
    EXPORTS = {"csv": ("csv", "wide"), "csv_long": ("csv", "long"), "xlsx": ("xlsx", "wide"),
               "jsonl": ("jsonl", "wide"), "parquet": ("parquet", "long")}
    MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "parquet": "application/vnd.apache.parquet"}

    def export_formats(self) -> list[str]:
        return list(self.EXPORTS)

    def export(self, key: str, filters: dict, labels: str = "ref", lang: str = "zh") -> tuple[bytes, str, str]:
        """(bytes, media type, file name): the name says what was exported (form, region, level, year, date)."""
        fmt, form = self.EXPORTS[key]
        f = {k: v for k, v in filters.items() if v not in (None, "") and k in ("region", "level", "year")}
        name = export_name(form, fmt, f, lang)
        with tempfile.TemporaryDirectory() as tmp:
            dest = os.path.join(tmp, f"export.{fmt}")
            try:
                self.store.export(dest, fmt=fmt, form=form, filters=f, labels=labels)
            except (StoreError, ValueError) as exc:
                raise HTTPException(400, detail=str(exc))
            with open(dest, "rb") as fh:
                return fh.read(), self.MEDIA[fmt], name


def export_name(form: str, fmt: str, filters: dict, lang: str = "zh") -> str:
    """年报-宽表-浙江省温州市-市级-2023年-20261205.csv: what an export holds, in its file name."""
    from ..store.regions import LEVEL_ZH
    zh = lang != "en"
    parts = ["年报" if zh else "nianbao", ("宽表" if zh else "wide") if form == "wide" else ("长表" if zh else "long")]
    if filters.get("region"):
        parts.append(str(filters["region"]))
    if filters.get("level"):
        parts.append(LEVEL_ZH.get(str(filters["level"]), str(filters["level"])) if zh else str(filters["level"]))
    if filters.get("year"):
        parts.append(f"{filters['year']}年" if zh else str(filters["year"]))
    if len(parts) == 2:
        parts.append("全部" if zh else "all")
    parts.append(datetime.now().strftime("%Y%m%d"))
    return "-".join(p.replace("/", "_").replace("\\", "_") for p in parts) + f".{fmt}"
