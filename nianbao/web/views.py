"""View models: a stored report (record, findings, reviews, versions) → what the pages draw."""
from __future__ import annotations

import re
from typing import Mapping
from urllib.parse import quote

from ..findings import SEVERITY_ORDER
from ..template import CellRef, cell_value
from .forms import all_tables, fmt_value
from .i18n import pick


def finding_text(f: Mapping, lang: str) -> str:
    return pick(f.get("message"), f.get("message_en"), lang)


def decorate(tables, findings: list[dict]) -> None:
    """Mark each value cell with the worst open finding that names it."""
    by_cell: dict[str, list[dict]] = {}
    for f in findings:
        for ref in f.get("cells") or ():
            by_cell.setdefault(ref, []).append(f)
    for _, _, rows in tables:
        for row in rows:
            for cell in row:
                fs = by_cell.get(cell.get("ref", ""), [])
                if not fs:
                    continue
                open_fs = [f for f in fs if (f.get("review") or {}).get("decision") != "dismissed"]
                worst = min(open_fs or fs, key=lambda f: SEVERITY_ORDER.get(f.get("severity"), 9))
                cell["severity"] = worst.get("severity") if open_fs else "dismissed"
                cell["finding_ids"] = [f["id"] for f in fs]


def report_context(report: Mapping, lang: str) -> dict:
    record = report["record"]
    findings = sorted(report.get("findings") or [],
                      key=lambda f: (SEVERITY_ORDER.get(f.get("severity"), 9), str(f.get("rule"))))
    tables = all_tables(record, lang)
    decorate(tables, findings)
    counts = {s: sum(1 for f in findings if f.get("severity") == s
                     and (f.get("review") or {}).get("decision") != "dismissed") for s in SEVERITY_ORDER}
    return {"report": report, "record": record, "meta": record.get("meta") or {}, "tables": tables,
            "findings": findings, "counts": counts, "sections": record.get("sections") or []}


def severity_counts(findings: list[dict]) -> dict[str, int]:
    return {s: sum(1 for f in findings if f.get("severity") == s
                   and (f.get("review") or {}).get("decision") != "dismissed") for s in SEVERITY_ORDER}


def cell_label(ref: str, lang: str = "zh") -> str:
    """A human name for a cell reference: 表三 一、本年新收… / 自然人."""
    from ..template import T2_LAYOUTS, T3_COLUMNS, T3_ROW_BY_KEY, T4_COLUMNS, T4_GROUPS
    try:
        c = CellRef.parse(ref)
    except ValueError:
        return ref
    if c.table == "t3" and c.key in T3_ROW_BY_KEY:
        row = T3_ROW_BY_KEY[c.key]
        col = T3_COLUMNS[c.index] if c.index is not None and c.index < len(T3_COLUMNS) else None
        return pick(f"表三 {row.label}", f"table 3 {row.label_en}", lang) + (
            f" / {pick(col.label, col.label_en, lang)}" if col else "")
    if c.table == "t4":
        groups = {g[0]: g for g in T4_GROUPS}
        if c.key in groups and c.index is not None and c.index < len(T4_COLUMNS):
            g, col = groups[c.key], T4_COLUMNS[c.index]
            return pick(f"表四 {g[1]} / {col.label}", f"table 4 {g[2]} / {col.label_en}", lang)
    if c.table == "t2":
        for fields in T2_LAYOUTS.values():
            for f in fields:
                if f.key == c.key:
                    i = c.index if c.index is not None and c.index < len(f.columns) else 0
                    return pick(f"表二 {f.label} / {f.columns[i]}", f"table 2 {f.label_en} / {f.columns_en[i]}", lang)
    return ref


_REF = re.compile(r"(?<![\w.])(?:t2|t3|t4)\.[A-Za-z_]+(?:\[\d+\])?|(?<![\w.])legacy\.[^\s\[\]=＝；;，,:：]+\[\d+\]")


def words(ref: str, lang: str = "zh") -> str:
    """A cell in words: the template's row and column labels (the reference itself when it names no cell)."""
    label = cell_label(ref, lang)
    if label == ref:
        from ..validate.describe import describe_cell
        label = describe_cell(ref, lang)
    return label


def evidence_words(text: str | None, lang: str = "zh") -> str:
    """A finding's evidence with every cell reference (``t3.carried[0]``) replaced by the cell in words."""
    if not text:
        return ""
    return _REF.sub(lambda m: words(m.group(0), lang), text)


def content_disposition(filename: str, fallback: str) -> str:
    """``attachment`` under the file's own name: UTF-8 for browsers (RFC 6266), ASCII for the rest."""
    plain = all(32 <= ord(ch) < 127 and ch not in '"\\;' for ch in filename) and filename.strip(". ")
    ascii_name = filename if plain else fallback
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def value_at(record: Mapping, ref: str):
    try:
        return cell_value(record, CellRef.parse(ref))
    except ValueError:
        return None


def compare_rows(a: Mapping, b: Mapping, lang: str) -> list[dict]:
    """Side-by-side rows of every table cell either record holds, with the change."""
    from .forms import t2_table, t3_table, t4_table, legacy_table
    refs: list[str] = []
    seen = set()
    for rec in (a, b):
        for fn, key in ((t2_table, "t2"), (t3_table, "t3"), (t4_table, "t4"), (legacy_table, "legacy")):
            for row in fn(rec.get(key), lang) or []:
                for cell in row:
                    ref = cell.get("ref")
                    if ref and ref not in seen:
                        seen.add(ref)
                        refs.append(ref)
    out = []
    for ref in refs:
        va, vb = value_at(a, ref), value_at(b, ref)
        delta = vb - va if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else None
        out.append({"ref": ref, "label": cell_label(ref, lang), "a": fmt_value(va), "b": fmt_value(vb),
                    "delta": fmt_value(delta) if delta else "", "changed": va != vb,
                    "up": bool(delta and delta > 0)})
    return out


def compare_sections(a: Mapping, b: Mapping) -> list[dict]:
    """The six sections side by side, with how much of B's text repeats A's."""
    from difflib import SequenceMatcher
    sa = {s.get("number"): s for s in a.get("sections") or []}
    sb = {s.get("number"): s for s in b.get("sections") or []}
    out = []
    for num in sorted(set(sa) | set(sb), key=lambda n: "一二三四五六七八九十".find(n or "") % 99):
        ta, tb = (sa.get(num) or {}).get("text") or "", (sb.get(num) or {}).get("text") or ""
        ratio = SequenceMatcher(None, ta, tb, autojunk=False).ratio() if ta and tb else 0.0
        out.append({"number": num, "title": (sb.get(num) or sa.get(num) or {}).get("title", ""),
                    "a": ta, "b": tb, "similarity": round(ratio * 100)})
    return out


def compare_tables(a: Mapping, b: Mapping, lang: str) -> list:
    """B's tables drawn like the form, each value cell carrying A's value and the change."""
    tables = all_tables(b, lang)
    for _, _, rows in tables:
        for row in rows:
            for cell in row:
                ref = cell.get("ref")
                if not ref:
                    continue
                va, vb = value_at(a, ref), value_at(b, ref)
                cell["prev"] = fmt_value(va)
                if va != vb:
                    cell["changed"] = True
                    if isinstance(va, (int, float)) and isinstance(vb, (int, float)):
                        d = vb - va
                        cell["delta"] = ("+" if d > 0 else "") + fmt_value(d)
                        cell["up"] = d > 0
    return tables
