"""Document → canonical record: the stages of extraction in order."""
from __future__ import annotations

import re

from ..findings import finding
from ..validate import check as validate
from ..validate.rules import RULES
from ..record import record_for
from ..sources import Document
from ..template import T2_LAYOUTS, T4_GROUPS, identities, t3_leaf_keys, t3_row_keys
from . import meta as meta_mod
from .labels import without_spaces
from .legacy import decode_legacy
from .ocr_repair import repair
from .regions import find_regions
from .sections import find_sections
from .solver import Equation
from .t2 import decode_t2
from .t3 import Decoded, decode_t3, rows_of
from .t4 import decode_t4
from .tokens import tokenize


# identity rule → (description, description in English), for the findings of breaks in doubt
IDENTITY_TEXT = {i.rule: (i.description, i.description_en) for form in ("2021", "2019") for i in identities(form)}


def _ref(table: str, cell) -> str:
    key, col = cell
    return f"{table}.{key}[{col}]"


def _evidence(doc: Document, dec: Decoded, cells) -> str:
    spans = sorted({tuple(dec.origins[c]["span"]) for c in cells if "span" in dec.origins.get(c, {})})
    parts = []
    for s, e in spans[:12]:
        parts.append(doc.text[s:e])
    text = " | ".join(dict.fromkeys(parts))
    return text[:300]


def _report_uncertain(rec: dict, doc: Document, table: str, dec: Decoded) -> None:
    if dec.ambiguous:
        cells = sorted(dec.ambiguous, key=lambda c: (str(c[0]), c[1]))
        rec["findings"].append(finding(
            "extract.ambiguous", "warning",
            f"以下单元格的数字无法唯一确定（多种读法都满足勾稽关系），已取最可能的读法，请核对原文：{len(cells)} 个单元格",
            f"{len(cells)} cells admit more than one reading that satisfies the identities; "
            "the most plausible one is given — check the source",
            cells=[_ref(table, c) for c in cells], evidence=_evidence(doc, dec, cells)))
    if dec.unreadable:
        cells = sorted(dec.unreadable, key=lambda c: (str(c[0]), c[1]))
        rec["findings"].append(finding(
            "extract.unreadable", "warning",
            f"以下单元格在原文中存在但无法读出数字：{len(cells)} 个单元格",
            f"{len(cells)} cells are present but could not be read",
            cells=[_ref(table, c) for c in cells], evidence=_evidence(doc, dec, cells)))
    if dec.inferred:
        cells = sorted(dec.inferred, key=lambda c: (str(c[0]), c[1]))
        rec["findings"].append(finding(
            "extract.inferred", "warning",
            f"以下单元格原文未印出数字，其值由勾稽关系唯一确定，已据此填入，请核对原文：{len(cells)} 个单元格",
            f"{len(cells)} cells print no number; the identities fix their values, which are given — check the source",
            cells=[_ref(table, c) for c in cells], evidence=_evidence(doc, dec, cells)))
        for cell in dec.inferred:
            dec.origins.setdefault(cell, {})["inferred"] = True
    if dec.breaks:
        idents = list(dict.fromkeys(ident for ident, _ in dec.breaks))
        cells = sorted({c for _, cs in dec.breaks for c in cs}, key=lambda c: (str(c[0]), c[1]))
        zh = "；".join(IDENTITY_TEXT.get(i, (i, i))[0] for i in idents)
        en = "; ".join(IDENTITY_TEXT.get(i, (i, i))[1] for i in idents)
        rec["findings"].append(finding(
            "extract.unresolved", "warning",
            f"存疑单元格处有 {len(dec.breaks)} 处勾稽关系不成立（{zh}）：所列单元格的数字连在一起或位置不明，"
            "无法判断是原文有误还是读取有误，请核对原文",
            f"{len(dec.breaks)} identities do not hold ({en}) where cells were read with doubt (digits run "
            "together, or their places unknown): whether the original or the reading is wrong cannot be "
            "told — check the source",
            cells=[_ref(table, c) for c in cells], evidence=_evidence(doc, dec, cells)))
    for rule, cells, _, zh, en in dec.notes:
        severity = RULES[rule].severity if rule in RULES else "info"
        rec["findings"].append(finding(rule, severity, zh, en, cells=[_ref(table, c) for c in cells],
                                       evidence=_evidence(doc, dec, cells)))
    for cell, origin in dec.origins.items():
        rec["provenance"][_ref(table, cell)] = origin


_CLAIM_GROUPS = {
    "予以公开": ("granted",), "部分公开": ("partial",),
    "不予公开": tuple(k for k in t3_leaf_keys("2021") if k.startswith("deny_")),
    "无法提供": tuple(k for k in t3_leaf_keys("2021") if k.startswith("unable_")),
    "不予处理": tuple(k for k in t3_leaf_keys("2021") if k.startswith("reject_")),
    "其他处理": ("other", "other_no_correction", "other_no_fee", "other_misc"),
}


def prose_claims(text: str) -> list[Equation]:
    """Totals the prose states ("不予处理14件"), used only to narrow down
    readings that the identities leave open."""
    out = []
    flat = without_spaces(text)
    m = re.search(r"(?:共|总共)?(?:收到|新收|受理)(?:各类)?(?:政府信息公开)?申请(?:共)?(\d+)件", flat)
    if m:
        out.append(Equation(((("new", 6), 1),), float(m.group(1)), "prose:收到"))
    for word, rows in _CLAIM_GROUPS.items():
        for m in re.finditer(word + r"(?:的)?\s*(\d+)\s*件", text):
            out.append(Equation(tuple(((r, 6), 1) for r in rows), float(m.group(1)), f"prose:{word}"))
            break
    return out


def _claims_for_form(claims: list[Equation], form: str) -> list[Equation]:
    keys = set(t3_row_keys(form))
    out = []
    for eq in claims:
        terms = tuple(t for t in eq.terms if t[0][0] in keys)
        if terms:
            out.append(Equation(terms, eq.constant, eq.label))
    return out


def _t4_claims(text: str) -> list[Equation]:
    out = []
    m = re.search(r"行政复议(?:案件)?\s*(\d+)\s*(?:件|起)", text)
    if m:
        out.append(Equation(((("reconsideration", 4), 1),), float(m.group(1)), "prose:复议"))
    return out


def extract_document(doc: Document) -> dict:
    rec = record_for(doc)
    text = doc.text
    lines = text.split("\n")
    items = tokenize(doc)
    regions = find_regions(items)

    # Sections and the prose around the tables.
    sections, first_section = find_sections(text)
    rec["sections"] = [{k: s[k] for k in ("number", "title", "text")} for s in sections]
    for s in sections:
        rec["provenance"][f"sections.{s['number']}"] = {"span": s["span"]}
    rec["preamble"] = text[:first_section].strip() if first_section else text[:1500].strip()
    prose = text  # claims are read from the whole text: table labels never end in 件

    # Tables.
    claims = prose_claims(prose)
    if regions.t3:
        a, b = regions.t3
        dec = decode_t3(items[a:b], [])
        if dec is not None:
            form_claims = _claims_for_form(claims, dec.form)
            if dec.ambiguous and form_claims:
                dec = decode_t3(items[a:b], form_claims)
            rec["t3"] = {"rows": rows_of(dec, dec.form)}
            rec["meta"]["template"] = dec.form
            _report_uncertain(rec, doc, "t3", dec)
    if regions.t4:
        a, b = regions.t4
        dec4 = decode_t4(items[a:b], _t4_claims(prose))
        if dec4 is not None:
            rec["t4"] = {g[0]: [dec4.values.get((g[0], c)) for c in range(5)] for g in T4_GROUPS}
            _report_uncertain(rec, doc, "t4", dec4)
    if regions.t2:
        a, b = regions.t2
        got = decode_t2(items[a:b])
        if got is not None:
            layout, dec2 = got
            t2: dict = {"layout": layout}
            for f in T2_LAYOUTS[layout]:
                vals = [dec2.values.get((f.key, c)) for c in range(len(f.columns))]
                if all(v is None for v in vals) and not any((f.key, c) in dec2.origins for c in range(len(f.columns))):
                    t2[f.key] = None
                    continue
                t2[f.key] = vals[0] if f.scalar else vals
            if layout == "2019" and t2.get("procurement") is not None:
                unit = (re.search(r"采购总金额[(（]?(?:单位[:：]?)?\s*(万元|元)", text)
                        or re.search(r"集中采购[\s\d.,，个项件]{1,40}?(万元|元)", text))
                t2["procurement_unit"] = unit.group(1) if unit else None
            rec["t2"] = t2
            _report_uncertain(rec, doc, "t2", dec2)
    if rec["t3"] is None and rec["t4"] is None and (rec["t2"] is None or not regions.t3):
        # (a report on the 2019/2021 form has no appendix table, whatever its text lists)
        got = decode_legacy(items, prose)
        if got is not None:
            legacy, decl = got
            rec["legacy"] = legacy
            rec["meta"]["template"] = "pre2019"
            _report_uncertain(rec, doc, "legacy", decl)

    # Metadata.
    meta = meta_mod.read(text, lines)
    rec["meta"].update({"agency": meta.agency, "region": meta.region.name, "year": meta.year,
                        "published": meta.published})
    if meta.region.provenance():
        rec["provenance"]["meta.region"] = meta.region.provenance()
    if meta.period:
        rec["meta"]["period"] = {"start": meta.period["start"], "end": meta.period["end"]}
    for key, span in meta.spans.items():
        rec["provenance"][f"meta.{key}"] = {"span": list(span)}
    titles = meta.titles

    if not any(rec[k] for k in ("t2", "t3", "t4", "legacy")) and not sections and not titles:
        rec["findings"].append(finding(
            "extract.not_a_report", "warning",
            "未在文件中找到年度报告的标题、章节或统计表，可能不是政府信息公开工作年度报告",
            "no title, section or statistical table of an annual report was found: this may not be a report"))
    if doc.ocr_pages or doc.format == "image":
        # OCR misreads digits (7→1, 4→A): where the identities fix a cell uniquely, correct it and say so.
        conf = {k: v.get("confidence") for k, v in rec["provenance"].items() if k[:3] in ("t3.", "t4.")}
        rec["findings"] += repair(rec, conf)
    rec["findings"] = validate(rec)
    return rec
