"""Extract: a Document (text blocks, table grids) → the canonical record.

Public API::

    extract_path(path)              -> record dict (raises SourceError if unreadable)
    extract_bytes(data, path, fmt)  -> record dict
    extract_document(doc)           -> record dict
"""
from __future__ import annotations

import os

from ..sources import LimitError, SourceError, StageError, read, read_bytes
from ..sources.guard import guarded
from .pipeline import extract_document as _extract_document

__all__ = ["extract_document", "extract_path", "extract_bytes", "SourceError", "LimitError", "StageError"]


def extract_document(doc) -> dict:
    """The record of a read Document. Raises only :class:`SourceError` and its kinds: an
    unexpected failure of a stage comes out as a :class:`StageError` naming the file and the stage."""
    return guarded("extract", doc.path, _extract_document, doc)


def extract_path(path: str | os.PathLike, *, limited: bool = False, timeout: float | None = None,
                 memory_mb: int | None = None) -> dict:
    """The record of one file; ``limited``: PDFs, images and DOC/WPS are read
    in a child process bounded in time and memory (see sources.limits), so a
    pathological file fails alone instead of stalling a batch (``timeout``
    seconds, ``memory_mb`` MB; default NIANBAO_DOC_TIMEOUT / _MEMORY_MB or 300 s, 3 GB)."""
    if limited:
        from ..sources.limits import read_guarded

        return extract_document(read_guarded(path, timeout=timeout, memory_mb=memory_mb))
    return extract_document(read(path))


def extract_bytes(data: bytes, path: str = "<bytes>", fmt: str | None = None) -> dict:
    return extract_document(read_bytes(data, path, fmt))
