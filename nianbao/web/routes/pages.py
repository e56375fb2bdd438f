"""Server-rendered pages (Jinja2 + htmx). Each write here has a JSON twin under /api."""
from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...sources.base import SourceError
from ...store.api import CorrectionError, StoreError
from ..auth import need_read, need_role
from ..forms import fmt_value
from ..render import lang_of, render
from ..source import document_text, locate, page_png, scan_png, split_text
from ..uploads import read_uploads
from ..views import (cell_label, compare_rows, compare_sections, compare_tables, content_disposition, evidence_words,
                     finding_text, report_context, severity_counts, value_at, words)

router = APIRouter(include_in_schema=False)

META_FIELDS = (("agency", "text"), ("region", "text"), ("year", "number"), ("published", "date"),
               ("level", "level"))
ORDERS = ("agency", "region", "level", "year", "findings", "open")
LAZY_FORMATS = ("pdf", "image")   # reading their text may mean OCR: the page comes first, the text after


def _backend(request: Request):
    return request.app.state.backend


def _report_or_404(request: Request, rid: int, version: int | None = None):
    rep = _backend(request).report(rid, version)
    if rep is None:
        raise HTTPException(404, detail="report")
    return rep


def _helpers(lang: str) -> dict:
    return {"finding_text": lambda f: finding_text(f, lang), "cell_label": lambda ref: cell_label(ref, lang),
            "evidence": lambda text: evidence_words(text, lang), "words": lambda ref: words(ref, lang),
            "cell_id": cell_id}


@router.get("/")
def home(request: Request):
    return RedirectResponse("/reports", status_code=303)


# ------------------------------------------------------------------ upload

def _upload_limits(request: Request) -> dict:
    from ..settings import UPLOAD_TYPES
    s = request.app.state.settings
    return {"max_mb": s.max_upload_bytes // (1024 * 1024), "max_bytes": s.max_upload_bytes,
            "accept": ",".join(sorted(UPLOAD_TYPES))}


@router.get("/upload")
def upload_page(request: Request, user=Depends(need_role("reviewer"))):
    return render(request, "upload.html", _upload_limits(request))


@router.post("/upload")
async def upload(request: Request, user=Depends(need_role("reviewer"))):
    results = await read_uploads(request, user)
    if request.query_params.get("rows"):  # app.js sends one file a request and appends the rows
        return render(request, "_upload_rows.html", {"results": results})
    if request.headers.get("hx-request"):
        return render(request, "_upload_results.html", {"results": results})
    return render(request, "upload.html", {**_upload_limits(request), "results": results})


# ------------------------------------------------------------------ reports

def _int(v) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except ValueError:
        return None


def _filters(request: Request) -> dict:
    """The list's filters from the query: region (by name, or the 省/市/县 cascade's ids), level, year, status, q."""
    q = request.query_params
    out = {k: q.get(k) or None for k in ("region", "level", "year", "status", "q")}
    out["year"] = _int(out["year"])
    for k in ("province", "city", "county"):
        out[k] = _int(q.get(k))
    deepest = out["county"] or out["city"] or out["province"]
    if deepest is not None:
        out["region"] = deepest
    if out["q"]:
        out["q"] = out["q"].strip()[:80] or None
    return out


def _cascade(request: Request, filters: dict) -> dict:
    backend = _backend(request)
    out = {"provinces": backend.region_children(None, "province"), "cities": [], "counties": []}
    if filters.get("province"):
        out["cities"] = backend.region_children(filters["province"], "city")
    if filters.get("city"):
        out["counties"] = backend.region_children(filters["city"], "county")
    return out


def _query(filters: dict, **extra) -> dict:
    keep = {k: v for k, v in filters.items() if v not in (None, "")
            and k in ("level", "year", "status", "q", "province", "city", "county")}
    if filters.get("region") and not any(filters.get(k) for k in ("province", "city", "county")):
        keep["region"] = filters["region"]
    keep.update({k: v for k, v in extra.items() if v not in (None, "")})
    return keep


@router.get("/reports")
def reports_page(request: Request, user=Depends(need_read)):
    from ..backend import PAGE_SIZE
    filters = _filters(request)
    order = request.query_params.get("order") or "year"
    if order.lstrip("-") not in ORDERS:
        order = "year"
    page = max(1, _int(request.query_params.get("page")) or 1)
    rows, total = _backend(request).reports(filters, offset=(page - 1) * PAGE_SIZE, with_total=True, order=order)
    pages = max(1, -(-total // PAGE_SIZE))
    ctx = {"rows": rows, "filters": filters, "facets": _backend(request).facets(), "total": total,
           "page": page, "pages": pages, "query": _query(filters, order=order if order != "year" else None),
           "base_query": _query(filters), "order": order, "orders": ORDERS, "cascade": _cascade(request, filters)}
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "report-rows":
        return render(request, "_report_rows.html", ctx)
    return render(request, "reports.html", ctx)


def _report_ctx(request: Request, rep: dict, **extra) -> dict:
    lang = lang_of(request)
    ctx = report_context(rep, lang)
    ctx.update(_helpers(lang))
    ctx["previous"] = rep.get("previous")
    ctx["editing"] = False
    ctx["corrected_refs"] = {c["ref"] for c in rep.get("corrections") or [] if c["status"] == "active"}
    ctx["meta_fields"] = META_FIELDS
    ctx.update(extra)
    return ctx


@router.get("/reports/{rid}")
def report_page(request: Request, rid: int, v: int | None = None, edit: int = 0, saved: int | None = None,
                user=Depends(need_read)):
    rep = _report_or_404(request, rid, v)
    editing = bool(edit) and user.can("reviewer") and rep["version"] == rep["latest_version"]
    return render(request, "report.html", _report_ctx(request, rep, editing=editing, saved=saved))


@router.get("/reports/{rid}/source")
def source_page(request: Request, rid: int, cell: str | None = None, finding: str | None = None,
                v: int | None = None, part: str | None = None, user=Depends(need_read)):
    rep = _report_or_404(request, rid, v)
    lang = lang_of(request)
    src = _backend(request).source(rid)
    if src is None:
        raise HTTPException(404, detail="source")
    data, name, fmt = src
    f = None
    if finding is not None:
        f = next((x for x in rep.get("findings") or [] if str(x["id"]) == finding), None)
        if f is None:
            raise HTTPException(404, detail="finding")
    cells = list(f.get("cells") or []) if f else ([cell] if cell else [])
    lazy = fmt in LAZY_FORMATS and part != "text" and not request.query_params.get("inline")
    text, pages, error = "", None, ""
    if not lazy:
        try:
            # OCR of a scan takes seconds: off the event loop's thread (this route is sync: a worker thread)
            text, pages = document_text(data, name)
        except SourceError as exc:
            error = str(exc)
    where = locate(rep["record"], cells, (f or {}).get("evidence", ""), text)
    ctx = {"report": rep, "meta": rep["record"].get("meta") or {}, "finding": f,
           "finding_text": finding_text(f, lang) if f else "", "where": where,
           "parts": split_text(text, where.get("span")), "fmt": fmt, "name": name, "error": error, "pages": pages,
           "cell_label": cell_label(where["cell"], lang) if where.get("cell") else "",
           "bbox": ",".join(str(x) for x in where.get("bbox") or []), "lazy": lazy,
           "evidence": lambda t: evidence_words(t, lang), "table_value": _table_value(rep, where.get("cell")),
           "text_url": f"/reports/{rid}/source?" + urlencode({k: val for k, val in (
               ("cell", cell), ("finding", finding), ("v", v), ("part", "text")) if val is not None})}
    if part == "text":
        return render(request, "_source_text.html", ctx)
    return render(request, "source.html", ctx)


def _table_value(rep: dict, ref: str | None) -> dict | None:
    """The value the table holds for the highlighted cell, and what it was if a person corrected it."""
    if not ref:
        return None
    try:
        value = value_at(rep["record"], ref)
    except Exception:
        return None
    active = next((c for c in rep.get("corrections") or [] if c["ref"] == ref and c["status"] == "active"), None)
    return {"text": fmt_value(value) if value is not None else "", "blank": value is None,
            "corrected": active is not None, "was": fmt_value(active["previous"]) if active else ""}


@router.get("/reports/{rid}/page/{page}.png")
def page_image(request: Request, rid: int, page: int, bbox: str = "", user=Depends(need_read)):
    src = _backend(request).source(rid)
    if src is None or src[2] not in ("pdf", "image"):
        raise HTTPException(404, detail="page")
    try:
        box = [float(x) for x in bbox.split(",")] if bbox else None
    except ValueError:
        raise HTTPException(400, detail="bbox")
    try:
        png = page_png(src[0], page, box) if src[2] == "pdf" else scan_png(src[0], page, box)
    except SourceError as exc:
        raise HTTPException(404, detail=str(exc))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=600"})


@router.get("/reports/{rid}/prose")
def prose_page(request: Request, rid: int, against: int | None = None, user=Depends(need_read)):
    """This year's prose beside another year's, sentence by sentence, the repeated sentences marked."""
    from ...validate.crossyear import prose_diff
    rep = _report_or_404(request, rid)
    other_id = against if against is not None else rep.get("previous")
    if other_id is None:
        raise HTTPException(404, detail="previous")
    other = _report_or_404(request, other_id)
    diff = prose_diff(other["record"], rep["record"])
    return render(request, "prose.html", {"report": rep, "other": other, "diff": diff,
                                          "meta": rep["record"].get("meta") or {},
                                          "other_meta": other["record"].get("meta") or {}})


# ------------------------------------------------------------------ review

@router.post("/reports/{rid}/findings/{fid}/review")
async def review(request: Request, rid: int, fid: str, user=Depends(need_role("reviewer"))):
    form = await request.form()
    decision = str(form.get("decision") or "")
    if decision not in ("confirmed", "dismissed", "open"):
        raise HTTPException(400, detail="decision")
    comment = _comment(form)
    lang = lang_of(request)
    hx = bool(request.headers.get("hx-request"))
    try:
        rep = await run_in_threadpool(_backend(request).review, rid, fid, decision, comment, user.name)
    except StoreError as exc:
        if not hx:
            raise HTTPException(400, detail=str(exc))
        rep = _report_or_404(request, rid)
        f = next((x for x in rep["findings"] if str(x["id"]) == fid), None)
        if f is None:
            raise HTTPException(404, detail="finding")
        return render(request, "_finding.html", {"report": rep, "f": f, "error": str(exc), "comment": comment,
                                                 **_helpers(lang)}, status_code=422)
    if rep is None:
        raise HTTPException(404, detail="finding")
    if not hx:
        return RedirectResponse(f"/reports/{rid}#finding-{fid}", status_code=303)
    f = next(x for x in rep["findings"] if str(x["id"]) == fid)
    return render(request, "_finding.html", {"report": rep, "f": f, "oob_counts": severity_counts(rep["findings"]),
                                             **_helpers(lang)})


_CELL_FIELD = re.compile(r"^cell:(.+)$")


@router.post("/reports/{rid}/correct")
async def correct(request: Request, rid: int, user=Depends(need_role("reviewer"))):
    """Corrections from the edit mode (``cell:<ref>`` fields, only the changed ones kept) or one cell
    (``cell`` and ``value``); a refused value shows the table again with the cell named and marked."""
    form = await request.form()
    comment = _comment(form)
    rep = _report_or_404(request, rid)
    entered: dict[str, str] = {}
    for key, raw in form.multi_items():
        m = _CELL_FIELD.match(key)
        if m and isinstance(raw, str):
            entered[m.group(1)] = raw.strip()
    if form.get("cell"):
        entered[str(form.get("cell"))] = str(form.get("value") or "").strip()
    if not entered:
        raise HTTPException(400, detail="cell")
    record = rep["record"]
    changed = {ref: raw for ref, raw in entered.items() if raw != _shown(record, ref, rep)}
    problems, message = [], ""
    if not changed:
        message = "nothing"
    else:
        try:
            rep = await run_in_threadpool(_backend(request).correct, rid, changed, comment, user.name)
        except CorrectionError as exc:
            problems = exc.problems
        except StoreError as exc:
            message = str(exc)
        else:
            return RedirectResponse(f"/reports/{rid}?saved={rep['version']}#versions", status_code=303)
    from ..i18n import translator
    t = translator(lang_of(request))
    rep = _report_or_404(request, rid)
    ctx = _report_ctx(request, rep, editing=True, entered=entered, reason=comment,
                      problems=[{"cell": ref, "id": cell_id(ref), "message": msg} for ref, msg in problems],
                      problem_cells={ref: msg for ref, msg in problems},
                      edit_message=t("edit.nothing") if message == "nothing" else message)
    return render(request, "report.html", ctx, status_code=400)


def cell_id(ref: str) -> str:
    return "in-" + re.sub(r"[^\w]+", "-", ref).strip("-")


def _shown(record: dict, ref: str, rep: dict | None = None) -> str:
    """A value as the edit mode's input shows it (what an untouched input sends back)."""
    from ...store.editable import value_of
    try:
        v = value_of(record, ref)
    except ValueError:
        return ""
    if v is None and ref == "meta.level" and rep:
        v = rep.get("level")  # the agency's level, when the record itself does not say
    return "" if v is None else fmt_value(v)


@router.post("/reports/{rid}/corrections/{cid}/revert")
async def revert(request: Request, rid: int, cid: int, user=Depends(need_role("reviewer"))):
    form = await request.form()
    try:
        rep = await run_in_threadpool(_backend(request).revert, rid, cid, _comment(form), user.name)
    except StoreError as exc:
        raise HTTPException(400, detail=str(exc))
    if rep is None:
        raise HTTPException(404, detail="correction")
    return RedirectResponse(f"/reports/{rid}?saved={rep['version']}#corrections", status_code=303)


@router.post("/reports/{rid}/reextract")
async def reextract(request: Request, rid: int, user=Depends(need_role("reviewer"))):
    _report_or_404(request, rid)
    try:
        out = await run_in_threadpool(_backend(request).store.reextract, rid, user.name)
    except StoreError as exc:
        raise HTTPException(400, detail=str(exc))
    return RedirectResponse(f"/reports/{rid}?saved={out['number']}#versions", status_code=303)


def _comment(form) -> str:
    comment = str(form.get("comment") or "").strip()
    if len(comment) > 2000:
        raise HTTPException(400, detail="comment > 2000")
    return comment


def parse_value(raw: str):
    """A corrected cell: a number, or blank for 'not in the report' (kept for callers of the old form)."""
    if raw in ("", "-", "—", "/"):
        return None
    try:
        f = float(raw.replace(",", ""))
    except ValueError:
        raise HTTPException(400, detail="value")
    return int(f) if f == int(f) and "." not in raw else f


# ------------------------------------------------------------------ compare

_PICKED = re.compile(r"#(\d+)\s*$")


def _pick(backend, text: str | None) -> tuple[int | None, list[dict]]:
    """A report from what the picker holds: an id, "… #12" (a suggestion), or words of an agency name
    (one match is taken, several are offered)."""
    text = (text or "").strip()
    if not text:
        return None, []
    if text.isdigit():
        return int(text), []
    m = _PICKED.search(text)
    if m:
        return int(m.group(1)), []
    found = backend.search(re.sub(r"\s*\d{4}\s*$", "", text), limit=20)
    year = re.search(r"(\d{4})\s*$", text)
    if year:
        found = [r for r in found if str(r["year"]) == year.group(1)] or found
    return (found[0]["id"], []) if len(found) == 1 else (None, found)


@router.get("/compare")
def compare_page(request: Request, user=Depends(need_read)):
    lang = lang_of(request)
    backend = _backend(request)
    q = request.query_params
    a, a_matches = _pick(backend, q.get("a"))
    b, b_matches = _pick(backend, q.get("b"))
    if b is not None and a is None and not q.get("a"):
        a = backend.previous_year(b)
    ctx: dict = {"a": a, "b": b, "a_text": (backend.label(a) if a else q.get("a")) or "",
                 "b_text": (backend.label(b) if b else q.get("b")) or "", "a_matches": a_matches,
                 "b_matches": b_matches, "asked_b": bool(q.get("b"))}
    if a is not None and b is not None:
        ra, rb = _report_or_404(request, a), _report_or_404(request, b)
        ctx.update({"ra": ra, "rb": rb, "rows": compare_rows(ra["record"], rb["record"], lang),
                    "tables": compare_tables(ra["record"], rb["record"], lang),
                    "sections": compare_sections(ra["record"], rb["record"])})
    return render(request, "compare.html", ctx)


# ------------------------------------------------------------------ dashboard and exports

@router.get("/dashboard")
def dashboard(request: Request, user=Depends(need_read)):
    filters = _filters(request)
    stats = _backend(request).stats(filters, lang_of(request))
    return render(request, "dashboard.html", {"stats": stats, "filters": filters,
                                              "facets": _backend(request).facets()})


@router.get("/exports")
def exports_page(request: Request, user=Depends(need_read)):
    return render(request, "exports.html", {"formats": _backend(request).export_formats(),
                                            "filters": _filters(request), "facets": _backend(request).facets()})


@router.get("/exports/download")
def export_download(request: Request, format: str = "csv", labels: str = "ref", user=Depends(need_read)):
    backend = _backend(request)
    if format not in backend.export_formats():
        raise HTTPException(400, detail="format")
    if labels not in ("ref", "zh", "en"):
        raise HTTPException(400, detail="labels")
    data, media, filename = backend.export(format, _filters(request), labels, lang_of(request))
    return Response(data, media_type=media,
                    headers={"Content-Disposition": content_disposition(filename, f"nianbao-export.{filename.rsplit('.', 1)[-1]}")})
