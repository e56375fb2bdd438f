"""JSON in the canonical shape (``../shared/spec/canonical-json.md``), in and out.

Out: the draft's record as ``nianbao extract --json`` gives a report (meta, t2, t3, t4, sections,
findings), plus an ``author`` object for whoever fills it in: last year's year, report and section
texts, the suggestions, the contact sentence — fields the contract allows to be added.

In: any record of that shape (a system that holds the figures, a file written by ``--out``): the
figures, the sections' texts and ``meta.published``; totals are recomputed, never taken as given.
"""
from __future__ import annotations

import json
from pathlib import Path

from .draft import AuthorError, normalise, previous_record, reference_text, suggestions, to_record


def to_json(draft: dict, *, findings: list[dict] | None = None, note: str = "") -> dict:
    record = to_record(draft)
    record["findings"] = findings or []
    prev = previous_record(draft) or {}
    author = {"format": draft.get("format"), "contact": draft.get("contact") or "",
              "suggestions": suggestions(draft)}
    if prev:
        author["previous"] = {"year": (draft.get("previous") or {}).get("year"),
                              "report_id": (draft.get("previous") or {}).get("report_id"),
                              "sections": [dict(s, text=reference_text(s.get("text") or "", prev.get("meta")))
                                           for s in prev.get("sections") or []]}
    if note:
        author["override"] = note
    record["author"] = author
    return record


def read_json(path: str | Path) -> tuple[dict, str | None]:
    """(normalised record, contact sentence or None) from a JSON file; AuthorError naming the file."""
    path = Path(path)
    try:
        obj = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise AuthorError(f"{path}: 无法读取 (cannot read): {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AuthorError(f"{path}: 不是有效的 JSON (not valid JSON): {exc}") from None
    return from_json(obj, str(path))


def from_json(obj, where: str = "JSON") -> tuple[dict, str | None]:
    if isinstance(obj, list) and len(obj) == 1:
        obj = obj[0]
    if not isinstance(obj, dict):
        raise AuthorError(f"{where}: 须为一份报告的 JSON 对象 (must be one report's JSON object)")
    try:
        record = normalise(obj)
    except AuthorError as exc:
        raise AuthorError(f"{where}: {exc}") from None
    author = obj.get("author") if isinstance(obj.get("author"), dict) else {}
    contact = author.get("contact") if isinstance(author.get("contact"), str) else None
    return record, contact
