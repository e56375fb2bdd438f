"""Server-rendered pages (Jinja2 + htmx). Each write here has a JSON twin under /api."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ...sources.base import SourceError
from ..auth import need_read, need_role
from ..render import lang_of, render
from ..source import document_text, locate, page_png, split_text
from ..uploads import read_uploads
from ..views import cell_label, compare_rows, compare_sections, compare_tables, finding_text, report_context

router = APIRouter(include_in_schema=False)


def _backend(request: Request):
    return request.app.state.backend


def _report_or_404(request: Request, rid: int, version: int | None = None):
    rep = _backend(request).report(rid, version)
    if rep is None:
        raise HTTPException(404, detail="report")
    return rep


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


@router.get("/upload/jobs/{job_id}")
def upload_job_row(request: Request, job_id: int, user=Depends(need_role("reviewer"))):
    """One upload's row again (the page polls it until the job has ended)."""
    row = _backend(request).job(job_id)
    if row is None:
        raise HTTPException(404, detail="job")
    return render(request, "_upload_rows.html", {"results": [row]})


# ------------------------------------------------------------------ reports

def _filters(request: Request) -> dict:
    q = request.query_params
    out = {k: q.get(k) or None for k in ("region", "level", "year", "status", "q")}
    if out["year"]:
        try:
            out["year"] = int(out["year"])
        except ValueError:
            out["year"] = None
    return out


@router.get("/reports")
def reports_page(request: Request, user=Depends(need_read)):
    from ..backend import PAGE_SIZE
    filters = _filters(request)
    try:
        page = max(1, int(request.query_params.get("page") or 1))
    except ValueError:
        page = 1
    rows, total = _backend(request).reports(filters, offset=(page - 1) * PAGE_SIZE, with_total=True)
    pages = max(1, -(-total // PAGE_SIZE))
    query = {k: v for k, v in filters.items() if v not in (None, "")}
    ctx = {"rows": rows, "filters": filters, "facets": _backend(request).facets(), "total": total,
           "page": page, "pages": pages, "query": query}
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "report-rows":
        return render(request, "_report_rows.html", ctx)
    return render(request, "reports.html", ctx)


@router.get("/reports/{rid}")
def report_page(request: Request, rid: int, v: int | None = None, user=Depends(need_read)):
    rep = _report_or_404(request, rid, v)
    lang = lang_of(request)
    ctx = report_context(rep, lang)
    ctx["previous"] = _backend(request).previous_year(rid)
    ctx["finding_text"] = lambda f: finding_text(f, lang)
    ctx["cell_label"] = lambda ref: cell_label(ref, lang)
    return render(request, "report.html", ctx)


@router.get("/reports/{rid}/source")
def source_page(request: Request, rid: int, cell: str | None = None, finding: str | None = None,
                v: int | None = None, user=Depends(need_read)):
    rep = _report_or_404(request, rid, v)
    lang = lang_of(request)
    src = _backend(request).source(rid)
    if src is None:
        raise HTTPException(404, detail="source")
    data, name, fmt = src
    try:
        text, pages = document_text(data, name)
    except SourceError as exc:
        text, pages = "", None
        error = str(exc)
    else:
        error = ""
    f = None
    if finding is not None:
        f = next((x for x in rep.get("findings") or [] if str(x["id"]) == finding), None)
        if f is None:
            raise HTTPException(404, detail="finding")
    cells = list(f.get("cells") or []) if f else ([cell] if cell else [])
    where = locate(rep["record"], cells, (f or {}).get("evidence", ""), text)
    parts = split_text(text, where.get("span"))
    return render(request, "source.html", {
        "report": rep, "meta": rep["record"].get("meta") or {}, "finding": f,
        "finding_text": finding_text(f, lang) if f else "", "where": where, "parts": parts, "fmt": fmt,
        "name": name, "error": error, "pages": pages,
        "cell_label": cell_label(where["cell"], lang) if where.get("cell") else "",
        "bbox": ",".join(str(x) for x in where.get("bbox") or []),
    })


@router.get("/reports/{rid}/page/{page}.png")
def page_image(request: Request, rid: int, page: int, bbox: str = "", user=Depends(need_read)):
    src = _backend(request).source(rid)
    if src is None or src[2] != "pdf":
        raise HTTPException(404, detail="page")
    try:
        box = [float(x) for x in bbox.split(",")] if bbox else None
    except ValueError:
        raise HTTPException(400, detail="bbox")
    try:
        png = page_png(src[0], page, box)
    except SourceError as exc:
        raise HTTPException(404, detail=str(exc))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=600"})


# ------------------------------------------------------------------ review

@router.post("/reports/{rid}/findings/{fid}/review")
async def review(request: Request, rid: int, fid: str, user=Depends(need_role("reviewer"))):
    form = await request.form()
    decision = str(form.get("decision") or "")
    if decision not in ("confirmed", "dismissed"):
        raise HTTPException(400, detail="decision")
    comment = _comment(form)
    rep = _backend(request).review(rid, fid, decision, comment, user.name)
    if rep is None:
        raise HTTPException(404, detail="finding")
    lang = lang_of(request)
    f = next(x for x in rep["findings"] if str(x["id"]) == fid)
    return render(request, "_finding.html", {"report": rep, "f": f, "finding_text": lambda x: finding_text(x, lang),
                                             "cell_label": lambda ref: cell_label(ref, lang)})


@router.post("/reports/{rid}/correct")
async def correct(request: Request, rid: int, user=Depends(need_role("reviewer"))):
    form = await request.form()
    ref = str(form.get("cell") or "")
    raw = str(form.get("value") or "").strip()
    comment = _comment(form)
    value = parse_value(raw)
    if not ref:
        raise HTTPException(400, detail="cell")
    rep = _backend(request).correct(rid, {ref: value}, comment, user.name)
    if rep is None:
        raise HTTPException(404, detail="report")
    return RedirectResponse(f"/reports/{rid}", status_code=303)


def _comment(form) -> str:
    comment = str(form.get("comment") or "").strip()
    if len(comment) > 2000:
        raise HTTPException(400, detail="comment > 2000")
    return comment


def parse_value(raw: str):
    """A corrected cell: a number, or blank for 'not in the report'."""
    if raw in ("", "-", "—", "/"):
        return None
    try:
        f = float(raw.replace(",", ""))
    except ValueError:
        raise HTTPException(400, detail="value")
    return int(f) if f == int(f) and "." not in raw else f


# ------------------------------------------------------------------ compare

@router.get("/compare")
def compare_page(request: Request, a: int | None = None, b: int | None = None, user=Depends(need_read)):
    lang = lang_of(request)
    backend = _backend(request)
    if b is not None and a is None:
        a = backend.previous_year(b)
    ctx: dict = {"a": a, "b": b, "choices": backend.choices()}
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
def export_download(request: Request, format: str = "csv", user=Depends(need_read)):
    backend = _backend(request)
    if format not in backend.export_formats():
        raise HTTPException(400, detail="format")
    data, media, filename = backend.export(format, _filters(request))
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
