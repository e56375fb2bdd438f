"""Drafts kept in the store's database: each save an immutable version (who, when), every export kept.

    start(store, agency, year, user, form=None)  -> draft id   (pre-filled from the stored year before)
    save(store, draft_id, draft, user, note="", base=None) -> version number
                                          # base: the version the editor started from; a save on top of
                                          # someone else's newer version is refused (nothing is lost)
    get(store, draft_id, version=None)    -> {"id", "agency", "year", "status", "version", "draft",
                                              "versions": [...], "exports": [...], …}
    list_drafts(store, agencies=None)     -> summaries, newest first
    log_export(store, draft_id, version, action, fmt, user, findings, reason, filename, sha256, report_id)
    grants(store, user_id) / grant(store, user_id, agency, by) / revoke(store, user_id, agency)

The tables are the store's (``nianbao.store.schema``, migration ``store_0007_author``).
"""
from __future__ import annotations

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..store.api import Store, StoreError, now
from ..store.schema import AuthorDraft, AuthorDraftVersion, AuthorExport, author_grants
from .checks import check_draft, summary
from .draft import AuthorError, check_shape, new_draft


class Conflict(AuthorError):
    """Someone saved the draft since the editor loaded it; the message names who and when."""


def _agency(name: str) -> str:
    return "".join((name or "").split())


def start(store: Store, agency: str, year: int, user: str, *, form: str | None = None,
          note: str = "") -> int:
    """A new draft of ``agency``'s report for ``year``, pre-filled from the store's report of ``year - 1``."""
    agency = _agency(agency)
    prev_id = store.find_report(agency, year - 1) if agency else None
    previous, region = None, None
    if prev_id is not None:
        raw = store.get_report(prev_id)
        previous = raw["record"]
        region = (raw.get("region") or {}).get("name") or (previous.get("meta") or {}).get("region")
        previous = dict(previous, meta=dict(previous.get("meta") or {}, year=raw["year"], agency=agency,
                                            region=region))
    draft = new_draft(agency, year, region=region, form=form, previous=previous, previous_id=prev_id)
    return create(store, draft, user, note=note or "新建草稿 (new draft)")


def create(store: Store, draft: dict, user: str, note: str = "") -> int:
    check_shape(draft)
    meta = draft["record"]["meta"]
    counts = summary(check_draft(draft))
    at = now()
    with store.session() as s, s.begin():
        row = AuthorDraft(agency=meta["agency"], region=meta.get("region"), year=meta["year"],
                          template=meta.get("template") or "2021", status="draft", current_version=1,
                          previous_report_id=(draft.get("previous") or {}).get("report_id"),
                          created_by=user, created_at=at, updated_by=user, updated_at=at)
        s.add(row)
        s.flush()
        s.add(AuthorDraftVersion(draft_id=row.id, number=1, author=user, created_at=at, note=note or None,
                                 data=draft, errors=counts["error"], warnings=counts["warning"]))
        return row.id


def save(store: Store, draft_id: int, draft: dict, user: str, note: str = "", base: int | None = None) -> int:
    """A new version of the draft. ``base``: the version the change was made on (refused if stale)."""
    check_shape(draft)
    counts = summary(check_draft(draft))
    try:
        return _save(store, draft_id, draft, user, note, base, counts)
    except IntegrityError:  # another save took the same version number at the same moment
        raise Conflict(f"草稿 #{draft_id} 刚被他人保存，你的修改未保存，请重新打开草稿 "
                       f"(draft #{draft_id} was saved by someone else at the same moment; reopen it)") from None


def _save(store, draft_id, draft, user, note, base, counts) -> int:
    with store.session() as s, s.begin():
        row = s.get(AuthorDraft, draft_id, with_for_update=True)
        if row is None:
            raise AuthorError(f"没有草稿 #{draft_id} (no draft #{draft_id})")
        if row.status == "stored":
            raise AuthorError(f"草稿 #{draft_id} 已作为报告入库，不能再修改 (draft #{draft_id} was stored as a report; "
                              "start a new draft to change it)")
        if base is not None and base != row.current_version:
            raise Conflict(f"草稿 #{draft_id} 已由 {row.updated_by} 于 {row.updated_at:%Y-%m-%d %H:%M} 保存为第 "
                           f"{row.current_version} 版；你的修改基于第 {base} 版，未保存。请重新打开草稿 "
                           f"(draft #{draft_id} was saved as version {row.current_version} by {row.updated_by}; your "
                           f"change was made on version {base} and was not saved — reopen the draft)")
        meta = draft["record"]["meta"]
        if _agency(meta.get("agency")) != row.agency or meta.get("year") != row.year:
            raise AuthorError("草稿的机关和年度不能更改 (a draft's agency and year cannot change)")
        number = row.current_version + 1
        at = now()
        s.add(AuthorDraftVersion(draft_id=row.id, number=number, author=user, created_at=at, note=note or None,
                                 data=draft, errors=counts["error"], warnings=counts["warning"]))
        row.current_version, row.updated_by, row.updated_at = number, user, at
        row.region, row.template = meta.get("region"), meta.get("template") or row.template
        return number


def get(store: Store, draft_id: int, version: int | None = None) -> dict:
    with store.session() as s:
        row = s.get(AuthorDraft, draft_id)
        if row is None:
            raise AuthorError(f"没有草稿 #{draft_id} (no draft #{draft_id})")
        number = version or row.current_version
        v = s.scalar(select(AuthorDraftVersion).where(AuthorDraftVersion.draft_id == draft_id,
                                                      AuthorDraftVersion.number == number))
        if v is None:
            raise AuthorError(f"草稿 #{draft_id} 没有第 {number} 版 (draft #{draft_id} has no version {number})")
        versions = [{"number": n, "author": a, "at": at, "note": note, "errors": e, "warnings": w}
                    for n, a, at, note, e, w in s.execute(
                        select(AuthorDraftVersion.number, AuthorDraftVersion.author, AuthorDraftVersion.created_at,
                               AuthorDraftVersion.note, AuthorDraftVersion.errors, AuthorDraftVersion.warnings)
                        .where(AuthorDraftVersion.draft_id == draft_id).order_by(AuthorDraftVersion.number))]
        exports = [_export_dict(e) for e in s.scalars(select(AuthorExport).where(AuthorExport.draft_id == draft_id)
                                                      .order_by(AuthorExport.id))]
        return {"id": row.id, "agency": row.agency, "region": row.region, "year": row.year,
                "template": row.template, "status": row.status, "version": number,
                "latest": row.current_version, "previous_report_id": row.previous_report_id,
                "report_id": row.report_id, "created_by": row.created_by, "created_at": row.created_at,
                "updated_by": row.updated_by, "updated_at": row.updated_at,
                "draft": check_shape(v.data), "versions": versions, "exports": exports}


def list_drafts(store: Store, agencies: list[str] | None = None, limit: int = 200) -> list[dict]:
    """Drafts newest first; ``agencies``: only those agencies' (None: all)."""
    q = select(AuthorDraft).order_by(AuthorDraft.updated_at.desc(), AuthorDraft.id.desc()).limit(limit)
    if agencies is not None:
        if not agencies:
            return []
        q = q.where(AuthorDraft.agency.in_([_agency(a) for a in agencies]))
    with store.session() as s:
        rows = list(s.scalars(q))
        counts = dict(s.execute(select(AuthorDraftVersion.draft_id, AuthorDraftVersion.errors)
                                .join(AuthorDraft, (AuthorDraft.id == AuthorDraftVersion.draft_id)
                                      & (AuthorDraft.current_version == AuthorDraftVersion.number))
                                .where(AuthorDraftVersion.draft_id.in_([r.id for r in rows]))).all()) if rows else {}
    return [{"id": r.id, "agency": r.agency, "region": r.region, "year": r.year, "template": r.template,
             "status": r.status, "version": r.current_version, "errors": counts.get(r.id, 0),
             "updated_by": r.updated_by, "updated_at": r.updated_at, "report_id": r.report_id} for r in rows]


def log_export(store: Store, draft_id: int, version: int, action: str, fmt: str, user: str,
               findings: list[dict], reason: str | None, filename: str | None, sha256: str | None,
               report_id: int | None = None) -> int:
    """Keep who let the draft out, how, and (with errors) why."""
    errors = [f for f in findings if f.get("severity") == "error"]
    with store.session() as s, s.begin():
        row = s.get(AuthorDraft, draft_id, with_for_update=True)
        if row is None:
            raise AuthorError(f"没有草稿 #{draft_id} (no draft #{draft_id})")
        e = AuthorExport(draft_id=draft_id, version=version, action=action, format=fmt, user=user, created_at=now(),
                         errors=len(errors), reason=reason or None,
                         overridden=[{"rule": f.get("rule"), "message": f.get("message"), "cells": f.get("cells")}
                                     for f in errors],
                         filename=filename, sha256=sha256, report_id=report_id)
        s.add(e)
        if action == "store":
            row.status, row.report_id = "stored", report_id
        elif row.status == "draft":
            row.status = "exported"
        s.flush()
        return e.id


def _export_dict(e: AuthorExport) -> dict:
    return {"id": e.id, "version": e.version, "action": e.action, "format": e.format, "user": e.user,
            "at": e.created_at, "errors": e.errors, "reason": e.reason, "overridden": e.overridden or [],
            "filename": e.filename, "sha256": e.sha256, "report_id": e.report_id}


# ---------------------------------------------------------------------- who may write whose report

def grants(store: Store, user_id: int) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(select(author_grants.c.agency).where(author_grants.c.user_id == user_id)
                                           .order_by(author_grants.c.agency))]


def all_grants(store: Store) -> list[dict]:
    from ..store.schema import web_users
    with store.engine.connect() as conn:
        rows = conn.execute(select(web_users.c.name, author_grants.c.agency, author_grants.c.granted_by,
                                   author_grants.c.granted_at, author_grants.c.user_id)
                            .join(web_users, web_users.c.id == author_grants.c.user_id)
                            .order_by(web_users.c.name, author_grants.c.agency)).all()
    return [{"user": r[0], "agency": r[1], "granted_by": r[2], "granted_at": r[3], "user_id": r[4]} for r in rows]


def grant(store: Store, user_id: int, agency: str, by: str) -> None:
    agency = _agency(agency)
    if not agency:
        raise AuthorError("请给出机关名称 (give the agency's name)")
    with store.engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(author_grants).where(
                author_grants.c.user_id == user_id, author_grants.c.agency == agency)).scalar():
            return
        conn.execute(insert(author_grants).values(user_id=user_id, agency=agency, granted_by=by, granted_at=now()))


def revoke(store: Store, user_id: int, agency: str) -> bool:
    with store.engine.begin() as conn:
        return conn.execute(delete(author_grants).where(author_grants.c.user_id == user_id,
                                                        author_grants.c.agency == _agency(agency))).rowcount > 0


__all__ = ["start", "create", "save", "get", "list_drafts", "log_export", "grants", "all_grants", "grant", "revoke",
           "Conflict", "StoreError"]
