"""Extract: a Document (text blocks, table grids) → the canonical record.

Public API::

    extract_path(path)              -> record dict (raises SourceError if unreadable)
    extract_bytes(data, path, fmt)  -> record dict
    extract_document(doc)           -> record dict
"""
from __future__ import annotations

import os

from ..sources import SourceError, read, read_bytes
from .pipeline import extract_document

__all__ = ["extract_document", "extract_path", "extract_bytes", "SourceError"]


def extract_path(path: str | os.PathLike) -> dict:
    return extract_document(read(path))


def extract_bytes(data: bytes, path: str = "<bytes>", fmt: str | None = None) -> dict:
    return extract_document(read_bytes(data, path, fmt))
