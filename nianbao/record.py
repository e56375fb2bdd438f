"""The canonical record (canonical-json.md) as plain dicts."""
from __future__ import annotations

from .sources.base import Document

RECORD_KEYS = ("source", "meta", "t2", "t3", "t4", "legacy", "sections", "findings")


def empty_record(path: str, sha256: str = "", fmt: str = "txt") -> dict:
    """A record with nothing found: every table null, no sections."""
    return {
        "source": {"path": path, "sha256": sha256, "format": fmt},
        "meta": {"agency": None, "region": None, "year": None, "template": None, "published": None},
        "t2": None,
        "t3": None,
        "t4": None,
        "legacy": None,
        "sections": [],
        "findings": [],
        # where each value came from: "t3.new[0]" → {"span": [start, end], "page": …, "table": …}
        "provenance": {},
    }


def record_for(doc: Document) -> dict:
    rec = empty_record(doc.path, doc.sha256, doc.format)
    if doc.encoding:
        rec["source"]["encoding"] = doc.encoding
    if doc.pages is not None:
        rec["source"]["pages"] = doc.pages
    rec["findings"].extend(doc.notes)
    return rec
