"""Nothing leaves with an error: the export gate, the files an agency takes away, storing the report.

``export(draft, fmt, reason=None)`` checks the draft (``checks.check_draft``); with an error among the
findings it refuses (:class:`Refused`, listing them) unless ``reason`` says why it must go out as it
is — then the reason travels with the file (the Word file's comments, the page's meta, the JSON) and,
for a stored draft, in its export log (``drafts.log_export``). ``store_report`` stores the finished
report as the agency's report of its year: a version of kind "authored" through ``Store.store_record``,
its source the Word file.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .checks import check_draft
from .draft import AuthorError, to_record

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MIN_REASON = 4  # characters: a reason, not a keystroke


class Refused(AuthorError):
    """The draft has errors and no reason was given for letting it out."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        listed = "；".join(f.get("message", "") for f in errors[:5])
        more = f"（另有 {len(errors) - 5} 个）" if len(errors) > 5 else ""
        super().__init__(f"草稿还有 {len(errors)} 个错误，不能导出：{listed}{more}。改正后再导出，或写明理由强制导出 "
                         f"(the draft still has {len(errors)} errors and cannot leave; fix them, or give a reason to "
                         "export it as it is)")


@dataclass
class Export:
    data: bytes
    filename: str
    media: str
    fmt: str
    findings: list[dict]
    overridden: list[dict] = field(default_factory=list)
    reason: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def gate(findings: list[dict], reason: str | None) -> tuple[list[dict], str | None]:
    """(the errors let through, the reason) — or :class:`Refused`."""
    errors = [f for f in findings if f.get("severity") == "error"]
    reason = " ".join((reason or "").split()) or None
    if errors and (reason is None or len(reason) < MIN_REASON):
        raise Refused(errors)
    return errors, (reason if errors else None)


def filename(record: dict, fmt: str) -> str:
    meta = record["meta"]
    stem = f"{meta.get('agency') or ''}{meta.get('year')}年政府信息公开工作年度报告"
    return f"{stem}.{fmt}"


def override_note(errors: list[dict], reason: str | None) -> str:
    if not errors:
        return ""
    return f"导出时仍有 {len(errors)} 个错误，理由：{reason} (exported with {len(errors)} errors; reason: {reason})"


def render(record: dict, fmt: str, *, note: str = "", draft: dict | None = None,
           findings: list[dict] | None = None) -> bytes:
    """The file of a complete record in one format (no gate: see :func:`export`)."""
    if fmt == "docx":
        from .render_docx import render_docx
        return render_docx(record, properties={"comments": note} if note else None)
    if fmt == "html":
        from .render_html import render_html
        return render_html(record, notes={"nianbao-override": note} if note else None).encode("utf-8")
    if fmt == "pdf":
        from .render_docx import render_docx
        from .render_pdf import docx_to_pdf
        return docx_to_pdf(render_docx(record, properties={"comments": note} if note else None))
    if fmt == "json":
        import json
        from .canonical import to_json
        return (json.dumps(to_json(draft, findings=findings, note=note) if draft is not None else record,
                           ensure_ascii=False, indent=1, default=str) + "\n").encode("utf-8")
    if fmt == "xlsx":
        from .workbook import write_workbook
        if draft is None:
            raise AuthorError("工作簿须由草稿生成 (a workbook is made from a draft)")
        return write_workbook(draft)
    raise AuthorError(f"不支持的格式 {fmt!r}，可用 {', '.join(FORMATS)} (unsupported format)")


def export(draft: dict, fmt: str, *, reason: str | None = None, findings: list[dict] | None = None) -> Export:
    """The draft as a file, if it passes the gate (see the module doc)."""
    if fmt not in FORMATS:
        raise AuthorError(f"不支持的格式 {fmt!r}，可用 {', '.join(FORMATS)} (unsupported format {fmt!r})")
    record = to_record(draft)
    findings = check_draft(draft, record) if findings is None else findings
    # A workbook and the JSON are working files (to fill in, to exchange), not the report: no gate.
    working = fmt in ("xlsx", "json")
    errors, reason = ([], None) if working else gate(findings, reason)
    note = override_note(errors, reason)
    data = render(record, fmt, note=note, draft=draft, findings=findings)
    return Export(data, filename(record, fmt), FORMATS[fmt], fmt, findings, errors, reason)


def store_report(store, draft: dict, *, user: str, reason: str | None = None,
                 findings: list[dict] | None = None) -> dict:
    """Store the draft as its agency's report of its year (kind "authored"); the gate applies.

    Returns the store's answer (``report_id``, ``version_id``…) with the Word file that became the
    report's source (``export``)."""
    if not user:
        raise AuthorError("入库须署名 (storing a report needs the user's name)")
    exp = export(draft, "docx", reason=reason, findings=findings)
    record = to_record(draft)
    record["source"] = {"path": exp.filename, "sha256": exp.sha256, "format": "docx"}
    why = exp.reason or "在 nianbao 中编制 (written in nianbao)"
    res = store.store_record(record, data=exp.data, filename=exp.filename, kind="authored", author=user, reason=why)
    if res.get("status") != "stored":
        raise AuthorError(f"报告未能入库：{res.get('status')} (the report was not stored: {res.get('status')})")
    return {**res, "export": exp}
