"""Stub, replaced by the real pipeline."""
from __future__ import annotations

from ..record import record_for
from ..sources import Document


def extract_document(doc: Document) -> dict:
    return record_for(doc)
