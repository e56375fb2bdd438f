"""编制: the pages where an agency writes its report, and their JSON twins under /api/author.

Who may write whose report: an administrator any agency's; any other account only the agencies it
was granted (``nianbao author grant NAME AGENCY``, or the grants page) — the role "author" is the
account made for that. Reviewers read every draft, without writing. Every write checks the CSRF token.

The editing page is one form: the figures of tables 二/三/四 (totals are outputs, computed by the
server, never inputs), the six sections beside last year's text, the sign-off date. Typing posts the
form to ``/author/{id}/check`` (htmx), which answers with the findings — the validator's, as a
published report gets them — the totals, the suggested 现行有效件数 and each section's 重复率;
``author.js`` puts them in place. Saving makes a version (who, when); exporting and storing save
first, then pass the gate (errors need a written reason, which is kept).
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from ...author import drafts
from ...author.canonical import from_json, to_json
from ...author.checks import AUTHOR_RULES, COPY_THRESHOLD, cell_marks, check_draft, copy_rates, summary
from ...author.draft import (AuthorError, fill_blanks, form_of, get_value, layout_of, leaf_refs, merge,
                             parse_number, reference_text, set_meta, set_section, set_values, suggestions,
                             total_refs)
from ...author.publish import FORMATS, Refused, export, store_report
from ...template import SECTIONS
from ...validate.describe import describe_cell
from ...validate.rules import RULES
from ..auth import User, current_user, need_read, need_role
from ..forms import t2_table, t3_table, t4_table
from ..i18n import pick
from ..render import lang_of, render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/author", tags=["author"])

EXPORTS = ("docx", "html", "pdf")
_need_account = need_role("viewer")  # any signed-in account; what it may write is checked per agency


# ---------------------------------------------------------------------- permissions

def _store(request: Request):
    return request.app.state.backend.store


def _grants(request: Request, user: User) -> list[str]:
    cached = getattr(request.state, "author_grants", None)
    if cached is None:
        cached = drafts.grants(_store(request), user.id) if user.id is not None else []
        request.state.author_grants = cached
    return cached


def may_write(request: Request, user: User, agency: str) -> bool:
    return user.can("admin") or "".join(agency.split()) in _grants(request, user)


def may_read(request: Request, user: User, agency: str) -> bool:
    return user.can("reviewer") or may_write(request, user, agency)


def _info_or_404(request: Request, draft_id: int, user: User, version: int | None = None, write: bool = False):
    try:
        info = drafts.get(_store(request), draft_id, version)
    except AuthorError:
        raise HTTPException(404, detail="draft")
    if not may_read(request, user, info["agency"]):
        raise HTTPException(403, detail="role")
    if write and not may_write(request, user, info["agency"]):
        raise HTTPException(403, detail="role")
    return info


# ---------------------------------------------------------------------- views

def cell_id(ref: str) -> str:
    return "cell-" + re.sub(r"[^A-Za-z0-9\u4e00-\u9fff]+", "-", ref).strip("-")


def _tables(record: dict, lang: str) -> list[tuple[str, str, list]]:
    t = lambda zh, en: pick(zh, en, lang)  # noqa: E731
    return [("t2", t("二、主动公开政府信息情况", "2. proactive disclosure"), t2_table(record["t2"], lang)),
            ("t3", t("三、收到和处理政府信息公开申请情况", "3. requests received and handled"), t3_table(record["t3"], lang)),
            ("t4", t("四、政府信息公开行政复议、行政诉讼情况", "4. reconsideration and litigation"), t4_table(record["t4"], lang))]


def _finding_view(f: dict, lang: str, layout: str) -> dict:
    rule = str(f.get("rule"))
    title = (RULES[rule].title_en if lang == "en" else RULES[rule].title) if rule in RULES else \
        (AUTHOR_RULES[rule][2] if lang == "en" else AUTHOR_RULES[rule][1]) if rule in AUTHOR_RULES else rule
    cells = [str(c) for c in f.get("cells") or []]
    return {"rule": rule, "severity": f.get("severity"), "title": title,
            "message": pick(f.get("message"), f.get("message_en"), lang), "evidence": f.get("evidence") or "",
            "cells": [{"ref": c, "id": cell_id(c), "label": describe_cell(c, lang, layout)} for c in cells[:6]],
            "more": max(0, len(cells) - 6)}


def _live(draft: dict, lang: str, problems: dict[str, str] | None = None) -> dict:
    """What the page shows beside the form: findings, counts, marks, totals, suggestions, 重复率."""
    record = draft["record"]
    layout = layout_of(record)
    findings = check_draft(draft)
    problems = problems or {}
    for ref, message in problems.items():  # what could not be read is shown first, on its cell
        findings.insert(0, {"rule": "author.input", "severity": "error", "message": message, "message_en": message,
                            "cells": [ref]})
    # what is still to be done (blank cells, unwritten sections) is marked apart from what is wrong
    todo_rules = {"author.blank", "author.empty_section", "author.no_date"}
    marks = cell_marks([f for f in findings if f.get("rule") not in todo_rules])
    for f in findings:
        if f.get("rule") in todo_rules:
            for ref in f.get("cells") or ():
                marks.setdefault(ref, "todo")
    totals = {ref: get_value(record, ref) for ref in total_refs(form_of(record))}
    follow = {ref: s["value"] for ref, s in suggestions(draft).items() if s["following"]}
    rates = copy_rates(draft)
    return {"findings": [_finding_view(f, lang, layout) for f in findings], "counts": summary(findings),
            "marks": marks, "totals": {k: ("" if v is None else v) for k, v in totals.items()},
            "follow": follow, "rates": {k: (None if v is None else round(v * 100)) for k, v in rates.items()},
            "threshold": round(COPY_THRESHOLD * 100)}


def _page(request: Request, info: dict, draft: dict, *, message: str = "", kind: str = "ok",
          problems: dict | None = None, status: int = 200, raw: dict | None = None):
    user = current_user(request)
    lang = lang_of(request)
    record = draft["record"]
    form, layout = form_of(record), layout_of(record)
    prev = draft.get("previous") or {}
    prev_sections = {s.get("number"): reference_text(s.get("text") or "", (prev.get("record") or {}).get("meta"))
                     for s in (prev.get("record") or {}).get("sections") or []}
    live = _live(draft, lang, problems)
    editable = (info["version"] == info["latest"] and info["status"] != "stored"
                and may_write(request, user, info["agency"]))
    sugg = suggestions(draft)
    ctx = {"info": info, "draft": draft, "record": record, "meta": record["meta"], "tables": _tables(record, lang),
           "leaves": set(leaf_refs(form, layout)), "totals": set(total_refs(form)), "suggestions": sugg,
           "follow": ",".join(r for r, s in sugg.items() if s["following"]), "cell_id": cell_id,
           "sections": [{"number": s["number"], "title": s["title"], "text": s.get("text") or "",
                         "previous": prev_sections.get(s["number"], ""), "rate": live["rates"].get(s["number"])}
                        for s in record["sections"]],
           "live": live, "editable": editable, "message": message, "kind": kind, "raw": raw or {},
           "previous": prev, "exports_allowed": EXPORTS, "contact": draft.get("contact") or "",
           "value_text": lambda ref: _text(get_value(record, ref)),
           "cell_name": lambda ref: describe_cell(ref, lang, layout)}
    return render(request, "author_edit.html", ctx, status_code=status)


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:.6f}".rstrip("0").rstrip(".")
    return str(v)


# ---------------------------------------------------------------------- the form → a draft

def _from_form(draft: dict, form) -> tuple[dict, dict[str, str], dict[str, str]]:
    """The draft with the posted values; (draft, problems by cell, raw text of the cells in trouble)."""
    record = draft["record"]
    layout = layout_of(record)
    follow_posted = {r for r in str(form.get("follow") or "").split(",") if r}
    draft["follow"] = [r for r in draft.get("follow", []) if r in follow_posted]
    values, problems, raw = {}, {}, {}
    for ref in leaf_refs(form_of(record), layout):
        key = f"c:{ref}"
        if key not in form:
            continue
        text = str(form.get(key) or "")
        if ref in draft["follow"]:
            continue  # the suggestion decides; the server recomputes it
        try:
            values[ref] = parse_number(text, ref, layout)
        except AuthorError as exc:
            problems[ref] = str(exc)
            raw[ref] = text
            values[ref] = None
    set_values(draft, values, typed=True)
    for sec in SECTIONS:
        key = f"s:{sec.number}"
        if key in form:
            try:
                set_section(draft, sec.number, str(form.get(key) or ""))
            except AuthorError as exc:
                problems[f"sections.{sec.number}"] = str(exc)
    try:
        set_meta(draft, published=str(form.get("published") or "") or None)
    except AuthorError as exc:
        problems["meta.published"] = str(exc)
    if "contact" in form:
        set_meta(draft, contact=str(form.get("contact") or ""))
    return draft, problems, raw


def _base(form) -> int | None:
    try:
        return int(str(form.get("base") or ""))
    except ValueError:
        return None


def _save_if_changed(request: Request, info: dict, draft: dict, user: User, note: str, base: int | None) -> dict:
    """Save the posted draft when it differs from the latest version; the info of what is now latest."""
    if draft == info["draft"]:
        return info
    drafts.save(_store(request), info["id"], draft, user.name, note=note, base=base)
    return drafts.get(_store(request), info["id"])


def _attachment(name: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "report"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _t(request: Request):
    from ..i18n import translator
    return translator(lang_of(request))


# ---------------------------------------------------------------------- pages

@router.get("/author")
def author_home(request: Request, user: User = Depends(need_read)):
    if user.role == "anonymous":
        raise HTTPException(401, detail="login")
    store = _store(request)
    agencies = None if user.can("reviewer") else _grants(request, user)
    rows = drafts.list_drafts(store, agencies)
    writable = None if user.can("admin") else _grants(request, user)
    return render(request, "author_list.html", {"rows": rows, "writable": writable,
                                                "default_year": dt.date.today().year - 1})


@router.post("/author/new")
async def author_new(request: Request, user: User = Depends(_need_account)):
    form = await request.form()
    agency = "".join(str(form.get("agency") or "").split())
    template = str(form.get("template") or "") or None
    try:
        year = int(str(form.get("year") or ""))
    except ValueError:
        raise HTTPException(400, detail=_t(request)("author.bad_year"))
    if not agency:
        raise HTTPException(400, detail=_t(request)("author.no_agency"))
    if not may_write(request, user, agency):
        raise HTTPException(403, detail="role")
    try:
        draft_id = drafts.start(_store(request), agency, year, user.name, form=template)
    except AuthorError as exc:
        raise HTTPException(400, detail=str(exc))
    return RedirectResponse(f"/author/{draft_id}", status_code=303)


@router.get("/author/{draft_id}")
def author_page(request: Request, draft_id: int, v: int | None = None, user: User = Depends(need_read)):
    if user.role == "anonymous":
        raise HTTPException(401, detail="login")
    info = _info_or_404(request, draft_id, user, v)
    return _page(request, info, info["draft"])


@router.post("/author/{draft_id}/check")
async def author_check(request: Request, draft_id: int, user: User = Depends(_need_account)):
    form = await request.form()

    def work():
        info = _info_or_404(request, draft_id, user)
        draft, problems, _ = _from_form(info["draft"], form)
        return _live(draft, lang_of(request), problems)
    return render(request, "_author_live.html", {"live": await run_in_threadpool(work)})


@router.post("/author/{draft_id}/save")
async def author_save(request: Request, draft_id: int, user: User = Depends(_need_account)):
    form = await request.form()
    t = _t(request)

    def work():
        info = _info_or_404(request, draft_id, user, write=True)
        draft, problems, raw = _from_form(info["draft"], form)
        if problems:
            return t("author.not_saved_input"), "error", 422, None
        try:
            number = drafts.save(_store(request), draft_id, draft, user.name,
                                 note=str(form.get("note") or "")[:500], base=_base(form))
        except drafts.Conflict as exc:
            return str(exc), "error", 409, None
        except AuthorError as exc:
            return str(exc), "error", 400, None
        return t("author.saved", n=number, user=user.name), "ok", 200, number
    message, kind, status, base = await run_in_threadpool(work)
    return _status(request, message, kind, status, base=base)


def _status(request: Request, message: str, kind: str, status: int, base: int | None = None):
    return render(request, "_author_status.html", {"message": message, "kind": kind, "base": base},
                  status_code=status)


def _posted(request: Request, draft_id: int, user: User, form) -> tuple[dict, dict, Response | None]:
    """(draft info, the draft as the form changes it, None) — or, when a value in the form does not
    read, the editor page with the problems (422) as the third item: nothing is saved."""
    info = _info_or_404(request, draft_id, user, write=True)
    draft, problems, raw = _from_form(info["draft"], form)
    if problems:
        return info, draft, _page(request, info, draft, message=_t(request)("author.not_saved_input"), kind="error",
                                  problems=problems, status=422, raw=raw)
    return info, draft, None


def _save_then(request: Request, info: dict, draft: dict, user: User, what: str, form, act):
    """Save the form's changes (a version saying it was saved before ``what``), then ``act(saved draft)``:
    (info, its result, None), or the editor page (409) as the third item when the draft is refused."""
    t = _t(request)
    try:
        info = _save_if_changed(request, info, draft, user, t("author.saved_before", what=what), _base(form))
        return info, act(info["draft"]), None
    except Refused as exc:
        return info, None, _page(request, info, info["draft"], message=t("author.refused", n=len(exc.errors)),
                                 kind="error", status=409)
    except AuthorError as exc:
        return info, None, _page(request, info, draft, message=str(exc), kind="error", status=409)


@router.post("/author/{draft_id}/zeros")
async def author_zeros(request: Request, draft_id: int, user: User = Depends(_need_account)):
    form = await request.form()
    t = _t(request)

    def work():
        info, draft, refused = _posted(request, draft_id, user, form)
        if refused is not None:
            return refused
        filled = fill_blanks(draft)
        try:
            drafts.save(_store(request), draft_id, draft, user.name, note=t("author.zeros_note", n=len(filled)),
                        base=_base(form))
        except AuthorError as exc:
            return _page(request, info, draft, message=str(exc), kind="error", status=409)
        return RedirectResponse(f"/author/{draft_id}", status_code=303)
    return await run_in_threadpool(work)


@router.post("/author/{draft_id}/export")
async def author_export(request: Request, draft_id: int, fmt: str = "docx", user: User = Depends(_need_account)):
    if fmt not in EXPORTS + ("json", "xlsx"):
        raise HTTPException(400, detail="format")
    form = await request.form()

    def work():
        info, draft, refused = _posted(request, draft_id, user, form)
        if refused is not None:
            return refused
        reason = str(form.get("reason") or "")[:2000]
        info, exp, refused = _save_then(request, info, draft, user, fmt, form,
                                        lambda saved: export(saved, fmt, reason=reason))
        if refused is not None:
            return refused
        drafts.log_export(_store(request), draft_id, info["version"], "export", fmt, user.name, exp.overridden,
                          exp.reason, exp.filename, exp.sha256)
        return Response(exp.data, media_type=exp.media, headers={"Content-Disposition": _attachment(exp.filename)})
    return await run_in_threadpool(work)


@router.post("/author/{draft_id}/store")
async def author_store(request: Request, draft_id: int, user: User = Depends(_need_account)):
    form = await request.form()
    t = _t(request)

    def work():
        info, draft, refused = _posted(request, draft_id, user, form)
        if refused is not None:
            return refused
        reason = str(form.get("reason") or "")[:2000]
        info, res, refused = _save_then(request, info, draft, user, t("author.store", year=info["year"]), form,
                                        lambda saved: store_report(_store(request), saved, user=user.name,
                                                                   reason=reason))
        if refused is not None:
            return refused
        exp = res["export"]
        drafts.log_export(_store(request), draft_id, info["version"], "store", "docx", user.name, exp.overridden,
                          exp.reason, exp.filename, exp.sha256, report_id=res["report_id"])
        return RedirectResponse(f"/reports/{res['report_id']}", status_code=303)
    return await run_in_threadpool(work)


@router.get("/author/admin/grants")
def grants_page(request: Request, user: User = Depends(need_role("admin"))):
    from ..auth import list_users
    return render(request, "author_grants.html", {"grants": drafts.all_grants(_store(request)),
                                                  "users": list_users(request.app.state.engine)})


@router.post("/author/admin/grants")
async def grants_change(request: Request, user: User = Depends(need_role("admin"))):
    from ..auth import list_users
    form = await request.form()
    name, agency = str(form.get("name") or ""), str(form.get("agency") or "")
    target = next((u for u in list_users(request.app.state.engine) if u.name == name), None)
    if target is None:
        raise HTTPException(400, detail=name)
    try:
        if form.get("action") == "revoke":
            drafts.revoke(_store(request), target.id, agency)
        else:
            drafts.grant(_store(request), target.id, agency, user.name)
    except AuthorError as exc:
        raise HTTPException(400, detail=str(exc))
    return RedirectResponse("/author/admin/grants", status_code=303)


# ---------------------------------------------------------------------- JSON API

class NewDraft(BaseModel):
    agency: str = Field(description="the agency's full name, e.g. 温州市人力资源和社会保障局")
    year: int = Field(description="report year")
    template: str | None = Field(None, description="2021 | 2019 (default: the year's form)")


class SaveDraft(BaseModel):
    record: dict = Field(description="the report in the canonical shape (canonical-json.md): meta.published, "
                                     "t2/t3/t4 figures, sections' texts; totals are recomputed, never taken")
    contact: str | None = Field(None, description="the contact sentence of the opening paragraph")
    note: str = Field("", max_length=500)
    base: int | None = Field(None, description="the version this change was made on; a stale one is refused (409)")


class ExportRequest(BaseModel):
    reason: str = Field("", max_length=2000, description="why the report must leave with errors (kept)")


@api.get("/drafts", summary="drafts the caller may read")
def api_list(request: Request, user: User = Depends(need_read)):
    if user.role == "anonymous":
        raise HTTPException(401, detail="login")
    rows = drafts.list_drafts(_store(request), None if user.can("reviewer") else _grants(request, user))
    return [{**r, "updated_at": r["updated_at"].isoformat() if r["updated_at"] else None} for r in rows]


@api.post("/drafts", summary="start a draft, pre-filled from last year's stored report", status_code=201)
def api_new(request: Request, body: NewDraft, user: User = Depends(_need_account)):
    if not may_write(request, user, body.agency):
        raise HTTPException(403, detail="role")
    try:
        draft_id = drafts.start(_store(request), body.agency, body.year, user.name, form=body.template)
    except AuthorError as exc:
        raise HTTPException(400, detail=str(exc))
    return {"id": draft_id}


@api.get("/drafts/{draft_id}", summary="a draft as canonical JSON, with its findings")
def api_get(request: Request, draft_id: int, v: int | None = None, user: User = Depends(need_read)):
    if user.role == "anonymous":
        raise HTTPException(401, detail="login")
    info = _info_or_404(request, draft_id, user, v)
    findings = check_draft(info["draft"])
    return {"id": info["id"], "version": info["version"], "latest": info["latest"], "status": info["status"],
            "record": to_json(info["draft"], findings=findings), "copy_rates": copy_rates(info["draft"])}


@api.put("/drafts/{draft_id}", summary="save a new version from canonical JSON")
def api_save(request: Request, draft_id: int, body: SaveDraft, user: User = Depends(_need_account)):
    info = _info_or_404(request, draft_id, user, write=True)
    try:
        record, contact = from_json(body.record, "record")
        draft = merge(info["draft"], record, body.contact if body.contact is not None else contact)
        number = drafts.save(_store(request), draft_id, draft, user.name, note=body.note, base=body.base)
    except drafts.Conflict as exc:
        raise HTTPException(409, detail=str(exc))
    except AuthorError as exc:
        raise HTTPException(422, detail=str(exc))
    findings = check_draft(draft)
    return {"version": number, "counts": summary(findings), "findings": findings}


@api.post("/drafts/{draft_id}/check", summary="the findings a record would get in this draft (nothing saved)")
def api_check(request: Request, draft_id: int, body: dict = Body(...), user: User = Depends(_need_account)):
    info = _info_or_404(request, draft_id, user)
    try:
        record, contact = from_json(body, "record")
        draft = merge(info["draft"], record, contact)
    except AuthorError as exc:
        raise HTTPException(422, detail=str(exc))
    findings = check_draft(draft)
    return {"counts": summary(findings), "findings": findings, "copy_rates": copy_rates(draft),
            "totals": {ref: get_value(draft["record"], ref) for ref in total_refs(form_of(draft["record"]))}}


@api.post("/drafts/{draft_id}/export", summary="the latest version as docx | html | pdf | json | xlsx",
          description="Refused (409, with the errors) while the draft has error findings, unless a reason is "
                      "given; the reason is kept in the export log and in the file.")
def api_export(request: Request, draft_id: int, format: str = "docx", body: ExportRequest | None = None,
               user: User = Depends(_need_account)):
    if format not in FORMATS:
        raise HTTPException(400, detail="format")
    info = _info_or_404(request, draft_id, user, write=True)
    try:
        exp = export(info["draft"], format, reason=(body.reason if body else ""))
    except Refused as exc:
        from fastapi.responses import JSONResponse
        return JSONResponse({"detail": str(exc), "errors": exc.errors}, status_code=409)
    except AuthorError as exc:
        raise HTTPException(400, detail=str(exc))
    drafts.log_export(_store(request), draft_id, info["version"], "export", format, user.name, exp.overridden,
                      exp.reason, exp.filename, exp.sha256)
    return Response(exp.data, media_type=exp.media, headers={"Content-Disposition": _attachment(exp.filename)})


@api.post("/drafts/{draft_id}/store", summary="store the latest version as the agency's report of its year")
def api_store(request: Request, draft_id: int, body: ExportRequest | None = None,
              user: User = Depends(_need_account)):
    info = _info_or_404(request, draft_id, user, write=True)
    try:
        res = store_report(_store(request), info["draft"], user=user.name, reason=(body.reason if body else ""))
    except Refused as exc:
        from fastapi.responses import JSONResponse
        return JSONResponse({"detail": str(exc), "errors": exc.errors}, status_code=409)
    except AuthorError as exc:
        raise HTTPException(400, detail=str(exc))
    exp = res["export"]
    drafts.log_export(_store(request), draft_id, info["version"], "store", "docx", user.name, exp.overridden,
                      exp.reason, exp.filename, exp.sha256, report_id=res["report_id"])
    return {"report_id": res["report_id"], "version_id": res["version_id"]}
