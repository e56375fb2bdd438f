"""Oversight (监督) pages and their JSON twins: the agency hierarchy, 汇总一致性, scores and rankings."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from ...analyse import hierarchy, rankings
from ...analyse import score as scoring
from ...analyse.reconcile import ReconcileError, cell_name, reconcile
from ...store.api import StoreError
from ..auth import User, need_read, need_role
from ..render import lang_of, render

router = APIRouter()
api = APIRouter(prefix="/api", tags=["oversight"])


def _store(request: Request):
    return request.app.state.backend.store


def _weights():
    try:
        return scoring.load_weights()
    except scoring.WeightsError as exc:
        raise HTTPException(500, detail=str(exc))


def _filters(request: Request) -> dict:
    q = request.query_params
    out = {k: q.get(k) or None for k in ("region", "level", "year", "kind")}
    if out["year"]:
        try:
            out["year"] = int(out["year"])
        except ValueError:
            raise HTTPException(400, detail="year")
    return out


def _governments(store) -> list[dict]:
    """Governments with someone under them (the ones a reconciliation is about), by region."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from ...store.schema import Agency, Region
    child = aliased(Agency)
    with store.session() as s:
        rows = s.execute(select(Agency.id, Agency.name, Region.full_name).outerjoin(Region, Region.id == Agency.region_id)
                         .where(Agency.kind == "government",
                                select(child.id).where(child.parent_id == Agency.id).exists())
                         .order_by(Region.full_name, Agency.name)).all()
    return [{"id": i, "name": n, "region": r} for i, n, r in rows]


def _years(store) -> list[int]:
    from sqlalchemy import select

    from ...store.schema import Report
    with store.session() as s:
        return sorted((y for y in s.scalars(select(Report.year).distinct()) if y is not None), reverse=True)


# ---------------------------------------------------------------------- 汇总一致性

def _reconcile(request: Request, agency: str, year: int) -> dict:
    try:
        return reconcile(_store(request), agency, year)
    except ReconcileError as exc:
        raise HTTPException(404 if "no such agency" in str(exc) else 400, detail=str(exc))


@router.get("/reconcile", include_in_schema=False)
def reconcile_page(request: Request, agency: str | None = None, year: int | None = None, all: int = 0,
                   user: User = Depends(need_read)):
    store = _store(request)
    hierarchy.ensure(store)
    govs, years = _governments(store), _years(store)
    ctx: dict[str, Any] = {"governments": govs, "years": years, "agency": agency, "year": year,
                           "show_all": bool(all), "result": None}
    if agency and year:
        res = _reconcile(request, agency, year)
        lang = lang_of(request)
        for g in res["gaps"]:
            g["name"] = cell_name(g, lang)
        ctx["result"] = res
    return render(request, "reconcile.html", ctx)


@api.get("/reconcile", summary="汇总一致性: a government's report against the sum of its subordinates' reports",
         description="Cell by cell over table 三, table 四 and table 二's counts: the government's figure, the sum "
                     "of the reports in the store, how many reports make it, the gap, and the reports missing "
                     "from the sum. `scope` says what the report's own words claim (area = 全市/全县/汇总, "
                     "self = 本级) and `comparison` which comparison holds.")
def reconcile_api(request: Request, agency: str, year: int, user: User = Depends(need_read)) -> dict[str, Any]:
    return _reconcile(request, agency, year)


# ---------------------------------------------------------------------- scores

@router.get("/reports/{rid}/score", include_in_schema=False)
def score_panel(request: Request, rid: int, user: User = Depends(need_read)):
    w = _weights()
    try:
        ex = scoring.explain(_store(request), rid, w)
    except StoreError:
        raise HTTPException(404, detail="report")
    from ...validate.describe import describe_cell
    lang = lang_of(request)
    return render(request, "_score_panel.html", {"ex": ex, "rid": rid, "cell": lambda c: describe_cell(c, lang)})


@api.get("/reports/{rid}/score", summary="a report's quality score, each point lost with its findings and cells")
def score_api(request: Request, rid: int, user: User = Depends(need_read)) -> dict[str, Any]:
    try:
        return scoring.explain(_store(request), rid, _weights())
    except StoreError:
        raise HTTPException(404, detail="report")


@api.get("/scores", summary="scores of many reports (filters), lowest first; one SQL statement")
def scores_api(request: Request, region: str | None = None, level: str | None = None, year: int | None = None,
               kind: str | None = None, limit: int = Query(100, ge=1, le=10000),
               user: User = Depends(need_read)) -> dict[str, Any]:
    w = _weights()
    rows = scoring.scores(_store(request), filters={"region": region, "level": level, "year": year, "kind": kind},
                          weights=w, order="asc", limit=limit)
    return {"weights": {"name": w.name, "sha256": w.sha256, "total": w.total}, "reports": rows}


@api.get("/score/weights", summary="the score's weights: dimensions, deductions, the file they come from")
def weights_api(request: Request, user: User = Depends(need_read)) -> dict[str, Any]:
    return _weights().describe()


# ---------------------------------------------------------------------- rankings

def _rank(request: Request, group: str, by: str, top: int | None, asc: bool) -> dict:
    try:
        return rankings.rank(_store(request), group=group, by=by, filters=_filters(request), top=top,
                             ascending=asc, weights=_weights(), metrics=["applications", "disclosure_rate"]
                             if by == "score" else None)
    except KeyError:
        raise HTTPException(400, detail=f"metric {by}")
    except ValueError as exc:
        raise HTTPException(400, detail=str(exc))


@router.get("/rankings", include_in_schema=False)
def rankings_page(request: Request, group: str = "agency", by: str = "score", top: int = 50, asc: int = 0,
                  user: User = Depends(need_read)):
    from ...analyse.metrics import METRICS
    res = _rank(request, group, by, top or None, bool(asc))
    query = {k: v for k, v in {**_filters(request), "group": group, "by": by, "asc": asc or None}.items()
             if v not in (None, "")}
    return render(request, "rankings.html", {"res": res, "filters": _filters(request), "group": group, "by": by,
                                             "asc": bool(asc), "top": top, "metrics": METRICS, "query": query,
                                             "groups": list(rankings.GROUPS), "facets": request.app.state.backend.facets()})


@router.get("/rankings.xlsx", include_in_schema=False)
def rankings_xlsx(request: Request, group: str = "agency", by: str = "score", user: User = Depends(need_read)):
    import os
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        dest = os.path.join(tmp, "rankings.xlsx")
        try:
            rankings.export_xlsx(_store(request), dest, group=group, by=by, filters=_filters(request),
                                 weights=_weights(), lang=lang_of(request))
        except KeyError:
            raise HTTPException(400, detail=f"metric {by}")
        except ValueError as exc:
            raise HTTPException(400, detail=str(exc))
        with open(dest, "rb") as fh:
            data = fh.read()
    return Response(data, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="nianbao-rankings.xlsx"'})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@api.get("/rankings", summary="rankings by score or any metric, by agency, region or level, with the spread")
def rankings_api(request: Request, group: str = "agency", by: str = "score", region: str | None = None,
                 level: str | None = None, year: int | None = None, kind: str | None = None,
                 top: int | None = Query(None, ge=1), asc: bool = False,
                 user: User = Depends(need_read)) -> dict[str, Any]:
    return _rank(request, group, by, top, asc)


# ---------------------------------------------------------------------- hierarchy

class Override(BaseModel):
    parent: str | int | None = Field(None, description="the government it answers to (name or id); "
                                                       "null with parent_set = answers to none")
    parent_set: bool = Field(False, description="true to set the parent (to `parent`, or to none)")
    kind: str | None = Field(None, description="government | department")
    level: str | None = Field(None, description="province | city | county | township")
    reason: str = Field("", max_length=2000)


def _node(request: Request, aid: int) -> dict:
    try:
        return hierarchy.node(_store(request), aid)
    except hierarchy.HierarchyError:
        raise HTTPException(404, detail="agency")


@router.get("/hierarchy", include_in_schema=False)
def hierarchy_page(request: Request, agency: str | None = None, user: User = Depends(need_read)):
    store = _store(request)
    hierarchy.ensure(store)
    ctx: dict[str, Any] = {"governments": _governments(store), "agency": agency, "tree": None, "message": None}
    if agency:
        try:
            ag = hierarchy.find_agency(store, agency)
        except hierarchy.HierarchyError as exc:
            raise HTTPException(404, detail=str(exc))
        ctx["tree"] = hierarchy.tree(store, ag["id"], depth=2)
    return render(request, "hierarchy.html", ctx)


@router.post("/hierarchy/{aid}", include_in_schema=False)
async def hierarchy_set_form(request: Request, aid: int, user: User = Depends(need_role("reviewer"))):
    form = await request.form()
    action = str(form.get("action") or "set")
    reason = str(form.get("reason") or "").strip()[:2000]
    store = _store(request)
    _node(request, aid)
    try:
        if action == "clear":
            hierarchy.clear_override(store, aid)
        else:
            kw: dict[str, Any] = {}
            parent = str(form.get("parent") or "").strip()
            if form.get("no_parent"):
                kw["parent"] = None
            elif parent:
                kw["parent"] = parent
            kind = str(form.get("kind") or "") or None
            level = str(form.get("level") or "") or None
            if not kw and not kind and not level:
                raise hierarchy.HierarchyError("nothing to set")
            hierarchy.set_override(store, aid, kind=kind, level=level, user=user.name, reason=reason or None,
                                   source="web", **kw)
    except hierarchy.HierarchyError as exc:
        raise HTTPException(400, detail=str(exc))
    back = str(form.get("back") or "") or f"/hierarchy?agency={aid}"
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/hierarchy",
                            status_code=303)


@router.post("/hierarchy-import", include_in_schema=False)
async def hierarchy_import_form(request: Request, user: User = Depends(need_role("reviewer"))):
    form = await request.form()
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read"):
        raise HTTPException(400, detail="file")
    data = await upload.read(5 * 1024 * 1024 + 1)
    if len(data) > 5 * 1024 * 1024:
        raise HTTPException(413, detail="csv > 5 MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(400, detail=f"{upload.filename}: not UTF-8")
    try:
        res = hierarchy.import_csv(_store(request), text=text, user=user.name, source="csv")
    except hierarchy.HierarchyError as exc:
        raise HTTPException(400, detail=str(exc))
    res["file"] = upload.filename
    store = _store(request)
    return render(request, "hierarchy.html", {"governments": _governments(store), "agency": None, "tree": None,
                                              "message": res})


@router.get("/hierarchy.csv", include_in_schema=False)
def hierarchy_csv(request: Request, user: User = Depends(need_read)):
    store = _store(request)
    hierarchy.ensure(store)
    return Response(("\ufeff" + hierarchy.export_csv(store)).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="nianbao-hierarchy.csv"'})


@api.get("/hierarchy/{aid}", summary="an agency, its government (and how that was found) and what answers to it")
def hierarchy_api(request: Request, aid: int, depth: int = Query(1, ge=0, le=4),
                  user: User = Depends(need_read)) -> dict[str, Any]:
    hierarchy.ensure(_store(request))
    _node(request, aid)
    return hierarchy.tree(_store(request), aid, depth=depth)


@api.post("/hierarchy/{aid}", summary="set an agency's government, kind or level by hand (kept when inferring again)")
def hierarchy_set_api(request: Request, aid: int, body: Override,
                      user: User = Depends(need_role("reviewer"))) -> dict[str, Any]:
    _node(request, aid)
    kw: dict[str, Any] = {}
    if body.parent_set or body.parent not in (None, ""):
        kw["parent"] = body.parent if body.parent not in ("",) else None
    try:
        return hierarchy.set_override(_store(request), aid, kind=body.kind, level=body.level, user=user.name,
                                      reason=body.reason or None, source="web", **kw)
    except hierarchy.HierarchyError as exc:
        raise HTTPException(400, detail=str(exc))


@api.delete("/hierarchy/{aid}/override", summary="forget what was set by hand for an agency")
def hierarchy_clear_api(request: Request, aid: int, user: User = Depends(need_role("reviewer"))) -> dict[str, Any]:
    _node(request, aid)
    return hierarchy.clear_override(_store(request), aid)
