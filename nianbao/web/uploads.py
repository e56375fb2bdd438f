"""Uploads: size and type checked before anything is stored; one bad file never stops a batch."""
from __future__ import annotations

import asyncio
from pathlib import PurePath

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..sources import sniff_format
from .i18n import translator
from .render import lang_of
from .settings import UPLOAD_TYPES

# Formats that sniffing may report for each declared kind (text-like files sniff as text or HTML).
_COMPATIBLE = {"html": {"html", "txt"}, "txt": {"txt", "html"}, "pdf": {"pdf"}, "docx": {"docx"},
               "doc": {"doc", "wps"}, "wps": {"wps", "doc", "docx"}, "image": {"image"}}


def check_upload(name: str, data: bytes, max_bytes: int, t) -> str | None:
    """Why a file is refused (a message), or None when it may be ingested."""
    ext = PurePath(name).suffix.lower()
    kind = UPLOAD_TYPES.get(ext)
    if kind is None:
        return t("upload.bad_type", ext=ext or "?", allowed=" ".join(sorted(UPLOAD_TYPES)))
    if len(data) > max_bytes:
        return t("upload.too_large", mb=f"{len(data) / 1048576:.1f}", max=max_bytes // 1048576)
    if not data:
        return t("upload.empty")
    if sniff_format(data, name) not in _COMPATIBLE[kind]:
        return t("upload.mismatch", ext=ext)
    return None


async def read_uploads(request: Request, user, wait: float = 0) -> list[dict]:
    """Check and queue each uploaded file (extraction runs in the job runner's bounded workers).

    ``wait``: seconds to wait for the jobs to end before answering (they go on after it).
    """
    settings = request.app.state.settings
    t = translator(lang_of(request))
    limit = settings.max_upload_bytes * min(settings.max_files_per_upload, 20)
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise HTTPException(413, detail=t("upload.batch_too_large", max=limit // 1048576))
    form = await request.form(max_files=settings.max_files_per_upload)
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    if not files:
        raise HTTPException(400, detail=t("upload.none"))
    backend = request.app.state.backend
    results = []
    for f in files:
        name = PurePath(f.filename or "upload").name
        # Read one byte past the limit: enough to know it is too large without reading it all.
        data = await f.read(settings.max_upload_bytes + 1)
        await f.close()
        problem = check_upload(name, data, settings.max_upload_bytes, t)
        if problem:
            results.append({"name": name, "ok": False, "message": problem})
            continue
        row = await run_in_threadpool(backend.submit, data, name, user.name)
        results.append({**row, "name": name})
    if wait > 0:
        results = await wait_for_jobs(backend, results, wait)
    return results


async def wait_for_jobs(backend, rows: list[dict], seconds: float) -> list[dict]:
    """The rows again once their jobs have ended (or ``seconds`` passed); the event loop stays free."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    delay = 0.05
    while True:
        open_ids = [r["job"] for r in rows if r.get("job") and r.get("status") in ("queued", "running")]
        if not open_ids or loop.time() >= deadline:
            return rows
        await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
        delay = min(delay * 2, 0.5)
        now = {j["job"]: j for j in await run_in_threadpool(backend.jobs, open_ids)}
        rows = [{**now[r["job"]], "name": r["name"]} if r.get("job") in now else r for r in rows]
