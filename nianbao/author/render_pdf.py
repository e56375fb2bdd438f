"""Word → PDF through LibreOffice, many files per call.

LibreOffice is run the way ``nianbao.sources.office`` runs it (own profile per process, its own
process group killed on timeout, a batch that runs out of time retried file by file), with the
fontconfig aliases of :mod:`nianbao.author.fonts` so that 仿宋_GB2312 and 方正小标宋简体 come out in
the installed CJK faces that resemble them.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..sources import office
from .draft import AuthorError
from .fonts import fontconfig_file


def docx_to_pdf_many(files: dict[str, bytes], timeout_per_file: float = office.TIMEOUT_PER_FILE
                     ) -> dict[str, bytes | None]:
    """name → PDF bytes for each Word file (None where LibreOffice produced nothing), one soffice call."""
    if not files:
        return {}
    env = {**os.environ, "FONTCONFIG_FILE": str(fontconfig_file())}
    out: dict[str, bytes | None] = {}
    with tempfile.TemporaryDirectory(prefix="nianbao-author-pdf-") as tmp:
        staged: dict[Path, str] = {}
        for i, (name, data) in enumerate(files.items()):
            src = Path(tmp) / f"doc{i:05d}.docx"  # staged under unique names: two inputs may share one
            src.write_bytes(data)
            staged[src] = name
        converted = office.convert(list(staged), Path(tmp) / "pdf", target="pdf", timeout_per_file=timeout_per_file,
                                   env=env)
        for src, name in staged.items():
            pdf = converted.get(src)
            out[name] = pdf.read_bytes() if pdf is not None else None
    return out


def docx_to_pdf(data: bytes) -> bytes:
    pdf = docx_to_pdf_many({"report": data})["report"]
    if pdf is None:
        raise AuthorError("LibreOffice 未能把 Word 文件转换为 PDF (LibreOffice could not convert the Word file to PDF)")
    return pdf
