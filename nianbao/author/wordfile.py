"""Word files as working copies: a draft to write in Word, and any report's Word file read back.

Staff used to copy last year's Word file and retype it. ``draft_docx`` gives them this year's file
instead — the official layout, last year's carry-over and suggestions in the tables, each section
empty with last year's text beneath it in grey, marked so it can never pass for this year's;
``read_docx`` reads a filled file (this one, or any report in Word) back through the extractor,
dropping the marked reference paragraphs, so that everything nianbao checks is checked again.
"""
from __future__ import annotations

from pathlib import Path

from .draft import AuthorError, normalise, previous_record, reference_text, to_record
from .render_docx import REFERENCE_MARK, render_docx

BANNER = "草稿 · 未经校验，不得作为正式文本发布 (draft: not checked, not for publication)"


def draft_docx(draft: dict) -> bytes:
    prev = previous_record(draft) or {}
    refs = {s.get("number"): reference_text(s.get("text") or "", prev.get("meta")) for s in prev.get("sections") or []}
    return render_docx(to_record(draft), references=refs, banner=BANNER)


def read_docx(path: str | Path) -> tuple[dict, str | None]:
    """(record, None) from a filled Word file; AuthorError naming the file when it cannot be read."""
    from ..extract import SourceError, extract_path
    try:
        record = extract_path(path)
    except SourceError as exc:
        raise AuthorError(str(exc)) from None
    for sec in record.get("sections") or []:
        lines = [line for line in (sec.get("text") or "").splitlines() if not line.strip().startswith(REFERENCE_MARK[:5])]
        # the tables of sections 二–四 are the figures and the sign-off is the form's, not the author's words
        sec["text"] = reference_text("\n".join(lines), record.get("meta"))
    try:
        return normalise(record), None
    except AuthorError as exc:
        raise AuthorError(f"{path}: {exc}") from None
