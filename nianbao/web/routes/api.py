"""The JSON API: everything the pages do, documented in the OpenAPI schema at /api/docs."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..auth import AccountError, User, add_user, current_user, csrf_token, need_read, need_role
from ..render import lang_of
from ..source import document_text, locate
from ..uploads import read_uploads
from ..views import compare_rows, compare_sections

router = APIRouter(prefix="/api", tags=["api"])


class Me(BaseModel):
    name: str = Field(description="user name, empty when anonymous")
    role: str = Field(description="viewer | reviewer | admin | anonymous")
    csrf_token: str = Field(description="send as X-CSRF-Token on every write")


class UploadResult(BaseModel):
    name: str
    ok: bool = Field(description="false when the file was refused or its job failed")
    message: str = Field("", description="why it was refused or failed (timeout, memory, unreadable, …)")
    job: int | None = Field(None, description="the job extracting it: GET /api/jobs/{job}")
    status: str = Field("done", description="queued | running | done | failed (refused files: failed)")
    id: int | None = Field(None, description="the stored report, once done")
    errors: int = 0
    warnings: int = 0
    duplicate: bool = False


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


class Review(BaseModel):
    decision: Literal["confirmed", "dismissed"]
    comment: str = Field("", max_length=2000)


class Correction(BaseModel):
    values: dict[str, float | int | None] = Field(
        description='cell → corrected value, e.g. {"t3.total[6]": 12}; null for a cell the report lacks')
    comment: str = Field("", max_length=2000)


class NewUser(BaseModel):
    name: str
    password: str
    role: Literal["viewer", "reviewer", "admin"]


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
             status_code=202,
             description="Each file is checked (type, size) and queued; a bounded worker process extracts and "
                         "stores it (never the server itself). The answer lists a job per file: poll "
                         "GET /api/jobs/{job} until its status is done or failed, or pass wait=SECONDS to "
                         "have this request wait for them (at most 600).",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "properties": {"files": {"type": "array", "items": {
                     "type": "string", "format": "binary"}}}, "required": ["files"]}}}}})
async def upload(request: Request, wait: float = Query(0, ge=0, le=600),
                 user: User = Depends(need_role("reviewer"))):
    return await read_uploads(request, user, wait=wait)


@router.get("/jobs/{job_id}", response_model=UploadResult, summary="one upload job: queued, running, done, failed")
def get_job(request: Request, job_id: int, user: User = Depends(need_read)):
    row = _backend(request).job(job_id)
    if row is None:
        raise HTTPException(404, detail="job")
    return row


@router.get("/jobs", response_model=list[UploadResult], summary="the latest upload jobs, newest first")
def list_jobs(request: Request, limit: int = Query(50, ge=1, le=500), user: User = Depends(need_read)):
    return _backend(request).recent_jobs(limit)


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


@router.get("/reports/{rid}/original", summary="the uploaded file as it was (download, never rendered)")
def original(request: Request, rid: int, user: User = Depends(need_read)):
    src = _backend(request).source(rid)
    if src is None:
        raise HTTPException(404, detail="report")
    # Served as an attachment of a neutral type: an uploaded HTML page must not run in our origin.
    return Response(src[0], media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="report-{rid}.{src[2]}"',
                             "Content-Security-Policy": "sandbox"})


@router.post("/reports/{rid}/findings/{fid}/review", summary="confirm or dismiss a finding with a comment")
def review(request: Request, rid: int, fid: str, body: Review,
           user: User = Depends(need_role("reviewer"))) -> dict[str, Any]:
    rep = _backend(request).review(rid, fid, body.decision, body.comment, user.name)
    if rep is None:
        raise HTTPException(404, detail="finding")
    return rep


@router.post("/reports/{rid}/corrections", summary="correct values; creates a new version with an audit trail")
def corrections(request: Request, rid: int, body: Correction,
                user: User = Depends(need_role("reviewer"))) -> dict[str, Any]:
    if not body.values:
        raise HTTPException(400, detail="values")
    rep = _backend(request).correct(rid, body.values, body.comment, user.name)
    if rep is None:
        raise HTTPException(404, detail="report")
    return rep


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


@router.get("/export", summary="export records (csv, jsonl, …)")
def export(request: Request, format: str = Query("csv"), region: str | None = None, level: str | None = None,
           year: int | None = None, user: User = Depends(need_read)):
    backend = _backend(request)
    if format not in backend.export_formats():
        raise HTTPException(400, detail="format")
    data, media, filename = backend.export(format, {"region": region, "level": level, "year": year})
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/users", status_code=201, summary="add a user (admin)")
def new_user(request: Request, body: NewUser, user: User = Depends(need_role("admin"))) -> dict[str, str]:
    try:
        u = add_user(request.app.state.engine, body.name, body.password, body.role)
    except AccountError as exc:
        raise HTTPException(400, detail=str(exc))
    return {"name": u.name, "role": u.role}
