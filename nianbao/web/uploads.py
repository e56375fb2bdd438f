"""Uploads: size and type checked before anything is stored; one bad file never stops a batch."""
from __future__ import annotations

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


async def read_uploads(request: Request, user) -> list[dict]:
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
        # Extraction takes seconds (OCR far more): off the event loop, so other users are not held up.
        results.append({"name": name, **await run_in_threadpool(backend.ingest, data, name, user.name)})
    return results
