"""A draft report: plain data in the canonical shape, with totals that are computed, never typed.

A draft is a dict::

    {"format": "nianbao.author/1",
     "record":   canonical record (meta, t2, t3, t4, sections; legacy null) — every row present,
                 blank cells None, totals always the sums of their parts,
     "previous": None | {"report_id": id or None, "year": N-1, "record": last year's meta/t2/t3/t4/sections},
     "follow":   cells still following their suggestion (现行有效件数 = last year's + 本年制发 − 本年废止),
     "contact":  a sentence for the opening paragraph (who to ask), may be empty}

Who may type what: :func:`leaf_refs` are the cells an author fills; :func:`total_refs` are computed
by :func:`complete` every time anything changes (表三 each row's 总计 and the (七)总计 row, 表四 each
group's 总计). ``set_values`` refuses a total, a cell the form does not have, and anything that is not a
number — the messages name the cell in words.
"""
from __future__ import annotations

import copy
import numbers
import re

from ..template import (SECTIONS, T2_LAYOUTS, T2_SIGNED_COLUMNS, T3_TOTAL_COL, T3_WIDTH, T4_GROUPS, T4_WIDTH,
                        CellRef, form_of_year, t3_leaf_keys, t3_row_keys)
from ..validate.describe import describe_cell
from . import text

FORMAT = "nianbao.author/1"
FORMS = ("2021", "2019")
IN_FORCE_KEYS = ("regulations", "normative_docs")  # 2021 table 二: 现行有效件数 carries on from last year
MAX_VALUE = 10 ** 12  # a count or an amount beyond this is a typing accident


class AuthorError(ValueError):
    """A request the author module cannot satisfy; the message is bilingual and names what is wrong."""


# ---------------------------------------------------------------------- the form's cells

def _t2_refs(layout: str) -> list[str]:
    out = []
    for f in T2_LAYOUTS[layout]:
        if f.scalar:
            out.append(f"t2.{f.key}")
        else:
            out += [f"t2.{f.key}[{i}]" for i in range(len(f.columns))]
    return out


def leaf_refs(form: str, layout: str | None = None) -> list[str]:
    """The cells an author types, in the order of the form (table 二, 三, 四)."""
    layout = layout or form
    out = _t2_refs(layout)
    for key in t3_row_keys(form):
        if key != "total":
            out += [f"t3.{key}[{c}]" for c in range(T3_TOTAL_COL)]
    for key, _, _ in T4_GROUPS:
        out += [f"t4.{key}[{c}]" for c in range(T4_WIDTH - 1)]
    return out


def total_refs(form: str) -> list[str]:
    """The cells :func:`complete` computes: never typed."""
    out = [f"t3.{key}[{T3_TOTAL_COL}]" for key in t3_row_keys(form) if key != "total"]
    out += [f"t3.total[{c}]" for c in range(T3_WIDTH)]
    out += [f"t4.{key}[{T4_WIDTH - 1}]" for key, _, _ in T4_GROUPS]
    return out


def t2_column(layout: str, ref: str) -> tuple[str, bool, bool]:
    """(column header, may be negative, may have decimals) of a table-二 cell."""
    r = CellRef.parse(ref)
    f = next(x for x in T2_LAYOUTS[layout] if x.key == r.key)
    col = f.columns[r.index or 0]
    return col, col in T2_SIGNED_COLUMNS, f.decimals and ("金额" in col)


def form_of(record: dict) -> str:
    t = (record.get("meta") or {}).get("template")
    return t if t in FORMS else "2021"


def layout_of(record: dict) -> str:
    t2 = record.get("t2") or {}
    return t2.get("layout") if t2.get("layout") in FORMS else form_of(record)


# ---------------------------------------------------------------------- records

def _blank_t2(layout: str) -> dict:
    t2: dict = {"layout": layout}
    for f in T2_LAYOUTS[layout]:
        t2[f.key] = None if f.scalar else [None] * len(f.columns)
    if layout == "2019":
        t2["procurement_unit"] = "万元"  # the 2019 form prints 采购总金额 in 万元
    return t2


def blank_record(agency: str, year: int, *, region: str | None = None, form: str | None = None,
                 layout: str | None = None) -> dict:
    """A record of the form with nothing filled in: six empty sections, blank cells."""
    form = form or form_of_year(year)
    if form not in FORMS:
        raise AuthorError(f"{year} 年度的报告没有统一表格（2019 年以前为各地附表），无法编制 "
                          f"(reports for {year} predate the national form: nothing to author)")
    layout = layout or form
    rec = {
        "meta": {"agency": agency, "region": region, "year": year, "template": form, "published": None,
                 "period": text.period(year)},
        "t2": _blank_t2(layout),
        "t3": {"rows": {key: [None] * T3_WIDTH for key in t3_row_keys(form)}},
        "t4": {key: [None] * T4_WIDTH for key, _, _ in T4_GROUPS},
        "legacy": None,
        "sections": [{"number": s.number, "title": s.title, "text": ""} for s in SECTIONS],
        "findings": [],
    }
    return complete(rec)


def _sum(values):
    present = [v for v in values if v is not None]
    if not present:
        return None
    total = sum(present)
    return int(total) if isinstance(total, float) and total.is_integer() else total


def complete(record: dict) -> dict:
    """The record with every total recomputed from its parts (in place; returned for chaining)."""
    form = form_of(record)
    rows = record["t3"]["rows"]
    leaves = t3_leaf_keys(form)
    for key in t3_row_keys(form):
        if key == "total":
            continue
        row = rows[key]
        row[T3_TOTAL_COL] = _sum(row[:T3_TOTAL_COL])
    total = [_sum(rows[k][c] for k in leaves) for c in range(T3_TOTAL_COL)]
    rows["total"] = total + [_sum(total)]
    for key, _, _ in T4_GROUPS:
        g = record["t4"][key]
        g[T4_WIDTH - 1] = _sum(g[:T4_WIDTH - 1])
    return record


def normalise(record: dict) -> dict:
    """A canonical record (from JSON, a workbook, another system) in the draft's full shape.

    Rows and cells the form has but the record lacks become blank; rows the form does not have are
    refused (a 2019-form row in a 2021-form record means the form is wrong, not that a row is extra).
    Totals are recomputed. Raises :class:`AuthorError` naming every problem.
    """
    if not isinstance(record, dict):
        raise AuthorError("记录须为 JSON 对象 (the record must be a JSON object)")
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    year = meta.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 2019 <= year <= 2100:
        raise AuthorError(f"meta.year 须为 2019 年以后的年份 (meta.year must be a year from 2019 on): {year!r}")
    agency = "".join(clean_text(meta.get("agency")).split())
    if not agency:
        raise AuthorError("meta.agency 不能为空 (meta.agency is required)")
    rows_in = ((record.get("t3") or {}).get("rows") or {}) if isinstance(record.get("t3"), dict) else {}
    form = meta.get("template")
    if form not in FORMS:
        form = "2019" if "other" in rows_in and not any(k.startswith("other_") for k in rows_in) \
            else form_of_year(year)
    t2_in = record.get("t2") if isinstance(record.get("t2"), dict) else {}
    layout = t2_in.get("layout") if t2_in.get("layout") in FORMS else form
    region = "".join(clean_text(meta.get("region")).split()) or None
    out = blank_record(agency, year, region=region, form=form, layout=layout)
    out["meta"]["published"] = _date_or_none(meta.get("published"), "meta.published")
    if meta.get("kind") in ("government", "department"):
        out["meta"]["kind"] = meta["kind"]
    problems: list[str] = []
    values: dict[str, object] = {}
    for ref in leaf_refs(form, layout):
        r = CellRef.parse(ref)
        src = t2_in if r.table == "t2" else rows_in if r.table == "t3" else (record.get("t4") or {})
        if not isinstance(src, dict) or r.key not in src:
            continue
        v = src[r.key]
        if r.index is not None:
            v = v[r.index] if isinstance(v, list) and r.index < len(v) else None
        if ref == "t2.procurement[1]" and t2_in.get("procurement_unit") == "元" and isinstance(v, (int, float)):
            v = round(v / 10000, 6)  # the form prints 采购总金额 in 万元
        values[ref] = v
    known = set(t3_row_keys(form))
    for key in rows_in:
        if key not in known:
            problems.append(f"表三没有“{key}”行（{form} 版格式） (table 3 of the {form} form has no row {key!r})")
    try:
        set_values({"record": out, "follow": []}, values, typed=False)
    except AuthorError as exc:
        problems.append(str(exc))
    if problems:
        raise AuthorError("；".join(problems))
    by_number = {s.get("number"): s for s in record.get("sections") or [] if isinstance(s, dict)}
    for sec in out["sections"]:
        got = by_number.get(sec["number"])
        if got and isinstance(got.get("text"), str):
            sec["text"] = clean_text(got["text"]).strip()
            if len(sec["text"]) > MAX_SECTION:
                raise AuthorError(f"第{sec['number']}部分过长 (section {sec['number']} is too long)")
    return out


def _date_or_none(value, where: str) -> str | None:
    if value in (None, ""):
        return None
    import datetime as dt
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise AuthorError(f"{where} 须为日期 YYYY-MM-DD ({where} must be a date YYYY-MM-DD): {value!r}") from None


# ---------------------------------------------------------------------- drafts

def new_draft(agency: str, year: int, *, region: str | None = None, form: str | None = None,
              previous: dict | None = None, previous_id: int | None = None,
              allow_blank_agency: bool = False) -> dict:
    """A draft of ``agency``'s report for ``year``, pre-filled from its ``previous`` year's record.

    From last year: table 三 二、上年结转 = its 四、结转下年度继续办理, column by column; table 二
    现行有效件数 suggested as its 现行有效件数 + 本年制发 − 本年废止 (followed until typed over);
    the region as stored. Section 六 opens with the fee sentence (2021 on); the other sections start
    empty — last year's text is kept beside them for reference, never copied in.
    """
    agency = "".join(clean_text(agency).split())
    if not agency and not allow_blank_agency:  # (a blank workbook template names it later)
        raise AuthorError("请给出机关名称 (give the agency's name)")
    prev = _snapshot(previous) if previous else None
    if prev is not None and (prev["meta"].get("year") != year - 1):
        raise AuthorError(f"上年报告的年度为 {prev['meta'].get('year')}，不是 {year - 1} "
                          f"(the previous report is for {prev['meta'].get('year')}, not {year - 1})")
    if region is None and prev is not None:
        region = prev["meta"].get("region")
    if region is None and agency:
        region = _region_of(agency, year)
    rec = blank_record(agency, year, region=region, form=form)
    draft = {"format": FORMAT, "record": rec, "follow": [], "contact": "",
             "previous": None if prev is None else {"report_id": previous_id, "year": year - 1, "record": prev}}
    if text.needs_fee_sentence(year):
        six = next(s for s in rec["sections"] if s["number"] == "六")
        six["text"] = text.FEE_SENTENCE
    if prev is not None:
        carry = ((prev.get("t3") or {}).get("rows") or {}).get("carry_next")
        if isinstance(carry, list):
            values = {f"t3.carried[{c}]": carry[c] for c in range(T3_TOTAL_COL)
                      if c < len(carry) and _count(carry[c])}
            set_values(draft, values, typed=False)
        if layout_of(rec) == "2021" and (prev.get("t2") or {}).get("layout") == "2021":
            for key in IN_FORCE_KEYS:
                last = (prev["t2"].get(key) or [None] * 3)
                if isinstance(last, list) and len(last) == 3 and _count(last[2]):
                    draft["follow"].append(f"t2.{key}[2]")
    follow_suggestions(draft)
    return draft


def _count(v) -> bool:
    return isinstance(v, numbers.Number) and not isinstance(v, bool) and v >= 0 and float(v).is_integer()


def _region_of(agency: str, year: int) -> str | None:
    try:
        from ..extract.place import resolve
        return resolve(agency, "", year).name
    except Exception:  # the gazetteer is a convenience here: a draft without a region is still a draft
        return None


def _snapshot(record: dict) -> dict:
    """What a draft keeps of last year's record: meta, the tables, the sections (no provenance, findings)."""
    keep = {k: copy.deepcopy(record.get(k)) for k in ("meta", "t2", "t3", "t4", "sections", "preamble")}
    keep["meta"] = dict(keep["meta"] or {})
    keep["sections"] = [{"number": s.get("number"), "title": s.get("title"), "text": s.get("text") or ""}
                        for s in keep["sections"] or [] if isinstance(s, dict)]
    return keep


def suggestions(draft: dict) -> dict[str, dict]:
    """The value each suggested cell would take now, and what it is made of (for the page and the workbook)."""
    prev = ((draft.get("previous") or {}).get("record") or {}).get("t2") or {}
    t2 = draft["record"]["t2"]
    out = {}
    if t2.get("layout") != "2021" or prev.get("layout") != "2021":
        return out
    for key in IN_FORCE_KEYS:
        last = prev.get(key)
        if not (isinstance(last, list) and len(last) == 3 and _count(last[2])):
            continue
        issued, repealed = t2[key][0], t2[key][1]
        value = last[2] + (issued or 0) - (repealed or 0)
        out[f"t2.{key}[2]"] = {"value": max(0, int(value)), "last": last[2], "issued": issued,
                               "repealed": repealed, "following": f"t2.{key}[2]" in draft.get("follow", [])}
    return out


def follow_suggestions(draft: dict) -> None:
    """Cells still following their suggestion take its current value."""
    for ref, s in suggestions(draft).items():
        if s["following"]:
            _put(draft["record"], ref, s["value"])


def _put(record: dict, ref: str, value) -> None:
    r = CellRef.parse(ref)
    if r.table == "t3":
        record["t3"]["rows"][r.key][r.index] = value
    elif r.index is None:
        record[r.table][r.key] = value
    else:
        record[r.table][r.key][r.index] = value


def get_value(record: dict, ref: str):
    r = CellRef.parse(ref)
    table = record.get(r.table) or {}
    row = (table.get("rows") or {}).get(r.key) if r.table == "t3" else table.get(r.key)
    if r.index is None:
        return row
    return row[r.index] if isinstance(row, list) and r.index < len(row) else None


def parse_number(raw, ref: str, layout: str | None = None):
    """A typed value → int / float / None; AuthorError (naming the cell) for anything else.

    Accepts numbers and numeric text (full-width digits, thousands separators, surrounding spaces);
    blank, "-", "—", "/" are blank. Counts must be whole and not negative (2019 本年增/减 may be);
    only amounts of money keep decimals.
    """
    name = describe_cell(ref, "zh", layout)
    name_en = describe_cell(ref, "en", layout)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise AuthorError(f"{name}：须为数字 ({name_en}: must be a number): {raw!r}")
    if isinstance(raw, str):
        import unicodedata
        s = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
        if s in ("", "-", "—", "–", "/", "－"):
            return None
        try:
            value = float(s)
        except ValueError:
            raise AuthorError(f"{name}：“{raw}”不是数字 ({name_en}: {raw!r} is not a number)") from None
    elif isinstance(raw, numbers.Number):
        value = float(raw)
    else:
        raise AuthorError(f"{name}：须为数字 ({name_en}: must be a number): {raw!r}")
    if value != value or abs(value) > MAX_VALUE:
        raise AuthorError(f"{name}：数值 {raw!r} 超出范围 ({name_en}: {raw!r} is out of range)")
    signed = decimals = False
    if ref.startswith("t2."):
        _, signed, decimals = t2_column(layout or "2021", ref)
    if value < 0 and not signed:
        raise AuthorError(f"{name}：件数不能为负数 {raw!r} ({name_en}: a count cannot be negative: {raw!r})")
    if not value.is_integer():
        if not decimals:
            raise AuthorError(f"{name}：件数须为整数 {raw!r} ({name_en}: a count must be a whole number: {raw!r})")
        return round(value, 6)
    return int(value)


def set_values(draft: dict, values: dict, *, typed: bool = True) -> dict:
    """Write typed values into the draft (in place) and recompute its totals.

    ``typed``: the author typed them, so a suggested cell among them stops following its suggestion.
    Every problem is collected and raised at once (AuthorError), nothing written then.
    """
    record = draft["record"]
    form, layout = form_of(record), layout_of(record)
    leaves = set(leaf_refs(form, layout))
    totals = set(total_refs(form))
    parsed, problems = {}, []
    for ref, raw in values.items():
        ref = str(ref).strip()
        if ref in totals:
            problems.append(f"{describe_cell(ref, 'zh', layout)} 是合计栏，由各分项自动相加，不能填写 "
                            f"({describe_cell(ref, 'en', layout)} is a total, computed from its parts)")
            continue
        if ref not in leaves:
            problems.append(f"{form} 版格式没有单元格 {ref} (the {form} form has no cell {ref})")
            continue
        try:
            parsed[ref] = parse_number(raw, ref, layout)
        except AuthorError as exc:
            problems.append(str(exc))
    if problems:
        raise AuthorError("；".join(problems))
    for ref, v in parsed.items():
        _put(record, ref, v)
        if typed and ref in draft.get("follow", []):
            draft["follow"].remove(ref)
    follow_suggestions(draft)
    complete(record)
    return draft


def set_meta(draft: dict, *, published=..., contact=..., region=...) -> dict:
    meta = draft["record"]["meta"]
    if published is not ...:
        meta["published"] = _date_or_none(published, "落款日期 (date)")
    if contact is not ...:
        draft["contact"] = " ".join(clean_text(contact).split())[:500]
    if region is not ...:
        meta["region"] = "".join(clean_text(region).split()) or None
    return draft


MAX_SECTION = 50_000  # characters: a long report's section is a few thousand


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(text) -> str:
    """Text as a Word file can hold it: no control characters (they make the XML invalid), \n line ends."""
    return _CONTROL.sub("", str(text or "").replace("\r\n", "\n").replace("\r", "\n"))


def set_section(draft: dict, number: str, body: str) -> dict:
    body = clean_text(body).strip()
    if len(body) > MAX_SECTION:
        raise AuthorError(f"第{number}部分过长（{len(body)} 字，上限 {MAX_SECTION}） "
                          f"(section {number} is too long: {len(body)} characters, at most {MAX_SECTION})")
    for sec in draft["record"]["sections"]:
        if sec["number"] == number:
            sec["text"] = body
            return draft
    raise AuthorError(f"没有第{number}部分 (no section {number})")


def fill_blanks(draft: dict, value: int = 0) -> list[str]:
    """Blank leaf cells set to ``value`` (most of a small agency's form is 0); returns the cells filled."""
    record = draft["record"]
    filled = [ref for ref in leaf_refs(form_of(record), layout_of(record)) if get_value(record, ref) is None]
    if filled:
        set_values(draft, {ref: value for ref in filled}, typed=False)
    return filled


def to_record(draft: dict) -> dict:
    """The canonical record the draft stands for: what is checked, rendered and stored."""
    rec = copy.deepcopy(draft["record"])
    complete(rec)
    rec["meta"]["period"] = text.period(rec["meta"]["year"])
    rec["preamble"] = text.opening(rec["meta"], draft.get("contact") or "")
    rec["findings"] = []
    return rec


def previous_record(draft: dict) -> dict | None:
    prev = draft.get("previous") or {}
    return prev.get("record")


def check_shape(draft) -> dict:
    """A draft read back from storage or a file, checked enough to be worked on."""
    if not isinstance(draft, dict) or draft.get("format") != FORMAT or not isinstance(draft.get("record"), dict):
        raise AuthorError("不是 nianbao 草稿 (not a nianbao draft)")
    draft.setdefault("follow", [])
    draft.setdefault("contact", "")
    draft.setdefault("previous", None)
    return draft


def merge(draft: dict, record: dict, contact: str | None = None) -> dict:
    """The draft with the figures, sections and date of a filled-in ``record`` (a workbook's, a JSON's).

    Last year's record and the suggestions stay the draft's; a suggested cell the record fills stops
    following its suggestion. The record must be of the draft's agency and year.
    """
    rec = normalise(record)
    meta, mine = rec["meta"], draft["record"]["meta"]
    if rec["meta"]["agency"] != mine["agency"] or meta["year"] != mine["year"]:
        raise AuthorError(f"文件是 {meta['agency']} {meta['year']} 年度的报告，而草稿是 {mine['agency']} {mine['year']} 年度 "
                          f"(the file is {meta['agency']}'s report for {meta['year']}, the draft "
                          f"{mine['agency']}'s for {mine['year']})")
    if not meta.get("region"):
        meta["region"] = mine.get("region")
    draft["record"] = rec
    draft["follow"] = [ref for ref in draft.get("follow", []) if _has_cell(rec, ref) and get_value(rec, ref) is None]
    if contact is not None:
        draft["contact"] = " ".join(clean_text(contact).split())[:500]
    follow_suggestions(draft)
    complete(rec)
    return draft


def _has_cell(record: dict, ref: str) -> bool:
    return ref in set(leaf_refs(form_of(record), layout_of(record)))


_DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")


def reference_text(text: str, meta: dict | None = None) -> str:
    """Last year's section as prose to read beside this year's box: without the table rows an extracted
    record keeps in its sections' text, and without the sign-off (agency, date) after section 六."""
    agency = "".join(((meta or {}).get("agency") or "").split())
    lines = [line.strip() for line in (text or "").splitlines()]
    lines = [line for line in lines if line and "|" not in line]
    while lines and (_DATE_LINE.match("".join(lines[-1].split())) or (agency and "".join(lines[-1].split()) == agency)):
        lines.pop()
    return "\n".join(lines)
