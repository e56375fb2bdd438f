"""The JSON API: everything the pages do, documented in the OpenAPI schema at /api/docs."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from starlette.concurrency import run_in_threadpool

from ..auth import (AccountError, User, add_user, csrf_token, current_user, list_accounts, need_read, need_role,
                    session_id, set_disabled, set_password, set_role)
from ..render import lang_of
from ..source import document_text, locate
from ..uploads import read_uploads
from ..views import compare_rows, compare_sections, content_disposition, evidence_words
from ...store.api import CorrectionError

router = APIRouter(prefix="/api", tags=["api"])


class Me(BaseModel):
    name: str = Field(description="user name, empty when anonymous")
    role: str = Field(description="viewer | author | reviewer | admin | anonymous")
    csrf_token: str = Field(description="send as X-CSRF-Token on every write")


class UploadResult(BaseModel):
    name: str
    ok: bool
    message: str = ""
    id: int | None = None
    errors: int = 0
    warnings: int = 0
    duplicate: bool = False
    version: int | None = Field(None, description="the report's current version after the upload (more than 1: "
                                                  "the report existed; this file is a new version of it)")
    reapplied: int = Field(0, description="corrections of earlier versions re-applied on top of this extraction")


class ReportSummary(BaseModel):
    id: int
    name: str = Field("", description="the uploaded file's name (#id when there is none)")
    agency: str | None = None
    region: str | None = Field(None, description="full region name, e.g. 江州省江州市")
    level: str | None = Field(None, description="province | city | county | township")
    year: int | None = None
    template: str | None = Field(None, description="form of table 三: 2021 | 2019 | legacy")
    format: str | None = Field(None, description="source format: html, pdf, docx, …")
    status: str = Field("", description="open (findings still open) | reviewed (all confirmed or dismissed) | "
                                        "clean (no findings)")
    errors: int = Field(0, description="findings of severity error on the current version, dismissed ones left out")
    warnings: int = Field(0, description="findings of severity warning, dismissed ones left out")
    infos: int = Field(0, description="findings of severity info, dismissed ones left out")
    version: int = Field(1, description="number of the current version (1 = as extracted; corrections add one)")
    score: float | None = Field(None, description="quality score (GET /api/reports/{id}/score explains it)")


class Review(BaseModel):
    decision: Literal["confirmed", "dismissed", "open"]
    comment: str = Field("", max_length=2000, description="why; required to dismiss")


class Correction(BaseModel):
    values: dict[str, float | int | str | None] = Field(
        description='cell → corrected value, e.g. {"t3.total[6]": 12, "meta.published": "2023-01-20"}; null '
                    'for a cell the report lacks. Counts must be whole numbers ≥ 0, amounts (万元) keep '
                    'decimals; meta.agency, meta.region, meta.year, meta.published, meta.level, meta.kind')
    comment: str = Field("", max_length=2000, description="the reason (required)")


class Preview(BaseModel):
    values: dict[str, float | int | str | None] = Field(default_factory=dict)


class Revert(BaseModel):
    comment: str = Field("", max_length=2000)


class NewUser(BaseModel):
    name: str
    password: str
    role: Literal["viewer", "author", "reviewer", "admin"]


def _backend(request: Request):
    return request.app.state.backend


@router.get("/me", response_model=Me, summary="who am I, and the CSRF token for writes")
def me(request: Request):
    user = current_user(request)
    return Me(name=user.name, role=user.role, csrf_token=csrf_token(request))


@router.get("/reports", response_model=list[ReportSummary], summary="list reports (filters)",
            description="One page of report summaries, newest year first, each with its findings counted by "
                        "severity (errors, warnings, infos; dismissed findings are not counted) and its review "
                        "status. Filters: region (name or id), level, year, status (open | reviewed | clean), "
                        "q (part of the agency name).")
def list_reports(request: Request, region: str | None = None, level: str | None = None,
                 year: int | None = None, status: str | None = None, q: str | None = None,
                 offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500),
                 user: User = Depends(need_read)):
    return _backend(request).reports({"region": region, "level": level, "year": year, "status": status, "q": q},
                                     limit=limit, offset=offset)


@router.get("/facets", summary="values the report filters can take")
def facets(request: Request, user: User = Depends(need_read)) -> dict[str, list]:
    return _backend(request).facets()


@router.post("/reports", response_model=list[UploadResult], summary="upload one or more reports",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "properties": {"files": {"type": "array", "items": {
                     "type": "string", "format": "binary"}}}, "required": ["files"]}}}}})
async def upload(request: Request, user: User = Depends(need_role("reviewer"))):
    return await read_uploads(request, user)


@router.get("/reports/{rid}", summary="one report: record, findings with reviews, versions")
def get_report(request: Request, rid: int, version: int | None = None,
               user: User = Depends(need_read)) -> dict[str, Any]:
    rep = _backend(request).report(rid, version)
    if rep is None:
        raise HTTPException(404, detail="report")
    return rep


@router.get("/reports/{rid}/source", summary="the report's text and where a cell or finding sits in it")
def get_source(request: Request, rid: int, cell: str | None = None, finding: str | None = None,
               user: User = Depends(need_read)) -> dict[str, Any]:
    rep = _backend(request).report(rid)
    src = _backend(request).source(rid)
    if rep is None or src is None:
        raise HTTPException(404, detail="report")
    text, pages = document_text(src[0], src[1])
    f = next((x for x in rep["findings"] if str(x["id"]) == finding), None) if finding else None
    cells = list(f.get("cells") or []) if f else ([cell] if cell else [])
    return {"name": src[1], "format": src[2], "pages": pages, "text": text,
            "where": locate(rep["record"], cells, (f or {}).get("evidence", ""), text)}


@router.get("/reports/{rid}/original", summary="the uploaded file as it was, under its own name (download, "
                                                 "never rendered)")
def original(request: Request, rid: int, user: User = Depends(need_read)):
    src = _backend(request).source(rid)
    if src is None:
        raise HTTPException(404, detail="report")
    data, name, fmt = src
    # Served as an attachment of a neutral type: an uploaded HTML page must not run in our origin.
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": content_disposition(name, f"report-{rid}.{fmt}"),
                             "Content-Security-Policy": "sandbox"})


@router.post("/reports/{rid}/findings/{fid}/review", summary="confirm, dismiss (with a reason) or re-open a finding",
             description="Only findings of the current version can be reviewed. A decision is carried over to the "
                         "same finding (rule, cells and their values) of later versions.")
def review(request: Request, rid: int, fid: str, body: Review,
           user: User = Depends(need_role("reviewer"))) -> dict[str, Any]:
    rep = _backend(request).review(rid, fid, body.decision, body.comment, user.name)
    if rep is None:
        raise HTTPException(404, detail="finding")
    return rep


@router.post("/reports/{rid}/corrections", summary="correct values; creates a new version with an audit trail",
             description="All values are checked against the template first; if any is refused nothing is written "
                         "and the answer (400) lists each refused cell: {\"detail\", \"problems\": [{\"cell\", "
                         "\"message\"}]}. Each changed cell stays a correction in force, re-applied when the "
                         "report is uploaded or extracted again, until it is reverted.")
def corrections(request: Request, rid: int, body: Correction,
                user: User = Depends(need_role("reviewer"))):
    if not body.values:
        raise HTTPException(400, detail="values")
    try:
        rep = _backend(request).correct(rid, body.values, body.comment, user.name)
    except CorrectionError as exc:
        return JSONResponse({"detail": str(exc), "problems": [{"cell": c, "message": m} for c, m in exc.problems]},
                            status_code=400)
    if rep is None:
        raise HTTPException(404, detail="report")
    return rep


@router.post("/reports/{rid}/preview", summary="check corrected values without saving (the edit mode's live check)",
             description="The refused cells and the validator's findings on the report with these values.")
def preview(request: Request, rid: int, body: Preview,
            user: User = Depends(need_role("reviewer"))) -> dict[str, Any]:
    lang = lang_of(request)
    out = _backend(request).store.preview_correction(rid, body.values)
    for f in out["findings"]:
        f["text"] = f.get("message_en") if lang == "en" and f.get("message_en") else f.get("message")
        f["evidence"] = evidence_words(f.get("evidence"), lang)
    return out


@router.post("/reports/{rid}/corrections/{cid}/revert", summary="undo a correction in force (a new version with the "
                                                                "extracted value)")
def revert(request: Request, rid: int, cid: int, body: Revert,
           user: User = Depends(need_role("reviewer"))) -> dict[str, Any]:
    rep = _backend(request).revert(rid, cid, body.comment, user.name)
    if rep is None:
        raise HTTPException(404, detail="correction")
    return rep


@router.post("/reports/{rid}/reextract", summary="read the stored file again; corrections in force re-applied")
def reextract(request: Request, rid: int, user: User = Depends(need_role("reviewer"))) -> dict[str, Any]:
    if _backend(request).report(rid) is None:
        raise HTTPException(404, detail="report")
    return _backend(request).store.reextract(rid, user.name)


@router.get("/search", summary="find reports by agency name (the whole store; the first 20 shown)")
def search(request: Request, q: str = Query("", max_length=80), user: User = Depends(need_read)) -> list[dict]:
    return _backend(request).search(q.strip())


@router.get("/regions", summary="regions of a level under a parent, for the 省/市/县 filters")
def regions(request: Request, level: Literal["province", "city", "county"] = "province", parent: int | None = None,
            user: User = Depends(need_read)) -> list[dict]:
    return _backend(request).region_children(parent, level)


@router.get("/compare", summary="compare two reports (or a report with the agency's previous year)")
def compare(request: Request, b: int, a: int | None = None, user: User = Depends(need_read)) -> dict[str, Any]:
    backend = _backend(request)
    a = a if a is not None else backend.previous_year(b)
    ra, rb = (backend.report(a) if a is not None else None), backend.report(b)
    if ra is None or rb is None:
        raise HTTPException(404, detail="report")
    lang = lang_of(request)
    return {"a": a, "b": b, "cells": compare_rows(ra["record"], rb["record"], lang),
            "sections": compare_sections(ra["record"], rb["record"])}


@router.get("/stats", summary="aggregates by region, level and year; trends and rankings")
def stats(request: Request, region: str | None = None, level: str | None = None, year: int | None = None,
          user: User = Depends(need_read)) -> dict[str, Any]:
    return _backend(request).stats({"region": region, "level": level, "year": year}, lang_of(request))


@router.get("/export", summary="export records (csv, jsonl, …)",
            description="labels=zh (or en) writes the header row in words (表三 一、本年新收…·自然人) instead of "
                        "cell references; the file name says what was exported.")
def export(request: Request, format: str = Query("csv"), region: str | None = None, level: str | None = None,
           year: int | None = None, labels: Literal["ref", "zh", "en"] = "ref", user: User = Depends(need_read)):
    backend = _backend(request)
    if format not in backend.export_formats():
        raise HTTPException(400, detail="format")
    data, media, filename = backend.export(format, {"region": region, "level": level, "year": year}, labels,
                                           lang_of(request))
    return Response(data, media_type=media, headers={
        "Content-Disposition": content_disposition(filename, f"nianbao-export.{filename.rsplit('.', 1)[-1]}")})


@router.post("/users", status_code=201, summary="add a user (admin)",
             description="The password needs at least 10 characters and a zxcvbn strength of 3 of 4.")
async def new_user(request: Request, body: NewUser, user: User = Depends(need_role("admin"))) -> dict[str, str]:
    try:
        u = await request.app.state.hasher.run(add_user, request.app.state.engine, body.name, body.password,
                                               body.role)
    except AccountError as exc:
        raise HTTPException(400, detail=str(exc))
    return {"name": u.name, "role": u.role}


class AccountOut(BaseModel):
    name: str
    role: str
    disabled: bool
    sessions: int = Field(description="sessions signed in now")
    password_changed_at: str | None = None


class AccountChange(BaseModel):
    role: Literal["viewer", "reviewer", "admin"] | None = None
    disabled: bool | None = Field(None, description="true ends every session of the account and refuses sign-in")
    password: str | None = Field(None, description="a new password; every session of the account ends")


class PasswordChange(BaseModel):
    current: str
    new: str


@router.get("/users", response_model=list[AccountOut], summary="list accounts (admin)")
def users(request: Request, user: User = Depends(need_role("admin"))):
    return [AccountOut(name=a.name, role=a.role, disabled=a.disabled, sessions=a.sessions,
                       password_changed_at=a.password_changed_at.isoformat() if a.password_changed_at else None)
            for a in list_accounts(request.app.state.engine)]


@router.patch("/users/{name}", response_model=AccountOut, summary="change an account's role, disable or enable "
                                                                  "it, reset its password (admin)")
async def change_user(request: Request, name: str, body: AccountChange, user: User = Depends(need_role("admin"))):
    engine = request.app.state.engine
    try:
        if body.role is not None:
            await run_in_threadpool(set_role, engine, name, body.role)
        if body.disabled is not None:
            await run_in_threadpool(set_disabled, engine, name, body.disabled)
        if body.password is not None:
            await request.app.state.hasher.run(set_password, engine, name, body.password)
            request.app.state.throttle.clear_account(name)
    except AccountError as exc:
        raise HTTPException(404 if "没有用户" in str(exc) else 400, detail=str(exc))
    return next(r for r in users(request, user) if r.name == name)


@router.post("/me/password", summary="change one's own password (the other sessions end)")
async def my_password(request: Request, body: PasswordChange, user: User = Depends(need_role("viewer"))):
    from .account import _check_password
    ok, refusal = await _check_password(request, user.name, body.current)
    if refusal:
        message, status, retry = refusal
        raise HTTPException(status, detail=message, headers={"Retry-After": str(retry)} if retry else None)
    try:
        await request.app.state.hasher.run(set_password, request.app.state.engine, user.name, body.new,
                                           session_id(request))
    except AccountError as exc:
        raise HTTPException(400, detail=str(exc))
    return {"ok": True}
