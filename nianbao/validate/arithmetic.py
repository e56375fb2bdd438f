"""Arithmetic: the identities (勾稽关系) of tables 三 and 四, and sane values in every table.

The identity rules are not written here: they are ``nianbao.template.identities(form)``,
checked as ``template.check_identity`` does; each identity's ``rule`` becomes the
finding id ``arith.<rule>``. This module only says how a broken one reads.
"""
from __future__ import annotations

import numbers
from operator import is_, itemgetter

from ..template import (T2_LAYOUTS, T2_SIGNED_COLUMNS, CellRef, Identity, cell_value,
                        identities)
from .describe import describe_cell
from .rules import RULES, emit, rule

# Catalogue titles per identity family (presentation only; the equations come from the template).
_TITLES = {
    "t3.row_total": ("表三行合计不符", "table 3 row total does not add up",
                     "表三每一行：总计栏 = 自然人 + 五类法人或其他组织之和。",
                     "Every row of table 3: the total column equals the sum of the six applicant columns."),
    "t3.results_total": ("表三(七)总计不符", "table 3 (7) total does not add up",
                         "表三每一列：(七)总计 = 各项办理结果（2021 版 22 行，2019 版 20 行）之和。",
                         "Every column of table 3: (7) total equals the sum of the result rows "
                         "(22 in the 2021 form, 20 in the 2019 form)."),
    "t3.balance": ("表三收结平衡不符", "table 3 balance does not hold",
                   "表三每一列：一（本年新收）+ 二（上年结转）= 三(七)（办理结果总计）+ 四（结转下年度）。",
                   "Every column of table 3: new + carried over = handled (7) + carried to next year."),
    "t4.group_total": ("表四合计不符", "table 4 total does not add up",
                       "表四每组（行政复议、未经复议直接起诉、复议后起诉）：结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计。",
                       "Each group of table 4: upheld + corrected + other + pending = total."),
}


def _register() -> list[str]:
    ids = []
    for form in ("2021", "2019"):
        for ident in identities(form):
            rid = "arith." + ident.rule
            if rid in ids:
                continue
            t = _TITLES.get(ident.rule, (ident.description, ident.description_en,
                                         ident.description, ident.description_en))
            rule(rid, "error", "arithmetic", *t)
            ids.append(rid)
    return ids


IDENTITY_RULES = _register()

rule("arith.blank_total", "error", "arithmetic", "合计栏空白", "blank total",
     "合计（总计）栏空白或无法识读，而其各分项之和不为零：合计漏填，或分项填错了位置。",
     "A total cell is blank or unreadable while its parts add up to more than zero: the total was left out, "
     "or the parts were entered in the wrong place.")
rule("arith.negative", "error", "arithmetic", "数量为负数", "negative count",
     "件数、数量不能为负数（只有 2019 版表二“本年增/减”一栏可以为负）。",
     "Counts cannot be negative (only the 2019 table 2 column 本年增/减, change this year, may be).")
rule("arith.not_integer", "error", "arithmetic", "数量不是整数", "count is not a whole number",
     "件数、数量应为整数；只有金额（收费金额、采购总金额）可以有小数。",
     "Counts must be whole numbers; only amounts of money (fees, procurement) may have decimals.")
rule("arith.legacy_cumulative", "warning", "arithmetic", "历年累计小于本年数", "cumulative below this year",
     "附表中“历年累计”不应小于当年数。", "In an appendix table, the cumulative figure cannot be below this year's.")


def _num(v):
    """A number, or None for blank/unreadable (and for anything that is not a number)."""
    if type(v) is int or type(v) is float:  # nearly always; the abstract check below is slow
        return v
    if isinstance(v, bool) or not isinstance(v, numbers.Number):
        return None
    return v


def _fmt(v) -> str:
    if v is None:
        return "空"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def _numeric_view(record: dict) -> dict:
    """Tables 三 and 四 with anything that is not a number read as blank."""
    view = dict(record)
    t3 = record.get("t3") if isinstance(record.get("t3"), dict) else {}
    rows = t3.get("rows") if isinstance(t3.get("rows"), dict) else {}
    # (_num inlined for the usual int and float: a table has some 200 cells)
    view["t3"] = {"rows": {k: [v if type(v) is int or type(v) is float else _num(v) for v in vals]
                           for k, vals in rows.items() if isinstance(vals, list)}} if rows else None
    t4 = record.get("t4") if isinstance(record.get("t4"), dict) else {}
    view["t4"] = {k: [v if type(v) is int or type(v) is float else _num(v) for v in vals]
                  for k, vals in t4.items() if isinstance(vals, list)} or None
    view["t2"] = record.get("t2") if isinstance(record.get("t2"), dict) else None
    view["legacy"] = record.get("legacy") if isinstance(record.get("legacy"), dict) else None
    view["findings"] = record.get("findings") if isinstance(record.get("findings"), list) else []
    return view


def t3_form(record: dict) -> str | None:
    """The form of table 三 as its rows show it (meta.template when the rows do not tell)."""
    rows = (record.get("t3") or {}).get("rows") or {}
    if any(k.startswith("other_") for k in rows):
        return "2021"
    if "other" in rows:
        return "2019"
    t = (record.get("meta") or {}).get("template")
    return t if t in ("2019", "2021") else None


def applicable_identities(record: dict) -> list[Identity]:
    has_t3 = bool((record.get("t3") or {}).get("rows"))
    has_t4 = bool(record.get("t4"))
    return list(_applicable(t3_form(record) or "2021", has_t3, has_t4)[0])


_APPLICABLE: dict[tuple, tuple] = {}


def _applicable(form: str, has_t3: bool, has_t4: bool) -> tuple[tuple[Identity, ...], frozenset]:
    """The identities of the tables a record has, and the cells that are one identity's whole left
    side (its totals); kept per form and tables while the template gives the same identities."""
    ids = identities(form)
    key = (form, has_t3, has_t4)
    got = _APPLICABLE.get(key)
    if got is None or len(got[0]) != len(ids) or not all(map(is_, got[0], ids)):
        out = []
        for ident in ids:
            table = ident.lhs[0].table
            if (table == "t3" and has_t3) or (table == "t4" and has_t4):
                out.append(ident)
        got = _APPLICABLE[key] = (tuple(ids), tuple(out), frozenset(i.lhs[0] for i in out if len(i.lhs) == 1))
    return got[1], got[2]


MAX_TERMS = 8


def _terms(refs, record) -> str:
    """``t3.granted[2] 3 + t3.partial[2] 1`` with zero terms summarised."""
    if len(refs) == 1:
        return f"{refs[0]} {_fmt(_num(cell_value(record, refs[0])))}"
    shown, zeros, blanks = [], 0, 0
    for r in refs:
        v = _num(cell_value(record, r))
        if v is None:
            blanks += 1
        elif v == 0:
            zeros += 1
        else:
            shown.append(f"{r} {_fmt(v)}")
    if len(shown) > MAX_TERMS:
        zeros_note = len(shown) - MAX_TERMS
        shown = shown[:MAX_TERMS] + [f"…（另 {zeros_note} 项非零）"]
    text = " + ".join(shown) if shown else "0"
    extra = []
    if zeros and shown:
        extra.append(f"其余 {zeros} 项为 0")
    if blanks:
        extra.append(f"{blanks} 项空白")
    return text + (f"（{'，'.join(extra)}）" if extra else "")


def _side_zh(refs, lang="zh") -> str:
    return " + ".join(describe_cell(str(r), lang) for r in refs)


_KEYS: dict[int, tuple] = {}


def _cell_keys(ident: Identity) -> tuple:
    """The plain (table, key, index) tuples of an identity's cells, and a getter of their values
    from a dict of them, made once per identity (the template's identities live as long as the
    process; the entry checks it is the same one)."""
    got = _KEYS.get(id(ident))
    if got is None or got[0] is not ident:
        if len(_KEYS) > 4096:  # (only ever a few dozen)
            _KEYS.clear()
        keys = tuple((r.table, r.key, r.index) for r in ident.cells)
        got = _KEYS[id(ident)] = (ident, keys, itemgetter(*keys) if len(keys) > 1 else None)
    return got[1], got[2]


def _known(record: dict) -> dict:
    """The numeric view's cells of tables 三 and 四 under plain (table, key, index) keys."""
    known = {}
    for key, vals in ((record.get("t3") or {}).get("rows") or {}).items():
        for i, v in enumerate(vals):
            known["t3", key, i] = v
    for key, vals in (record.get("t4") or {}).items():
        for i, v in enumerate(vals):
            known["t4", key, i] = v
    return known


def check(record: dict) -> list[dict]:
    out: list[dict] = []
    record = _numeric_view(record)
    has_t3 = bool((record.get("t3") or {}).get("rows"))
    idents, totals = _applicable(t3_form(record) or "2021", has_t3, bool(record.get("t4")))

    # A cell takes part in up to three identities: read once, kept under a
    # plain tuple (hashing a CellRef runs Python code).
    known: dict = _known(record)

    def value(ref: CellRef):
        key = (ref.table, ref.key, ref.index)
        try:
            return known[key]
        except KeyError:
            v = known[key] = _num(cell_value(record, ref))
            return v

    # Cells the extractor could not read are reported by it (extract.unreadable); they are not "blank".
    unreadable = {c for f in record.get("findings") or [] if isinstance(f, dict)
                  and f.get("rule") == "extract.unreadable" and isinstance(f.get("cells"), list)
                  for c in f["cells"]}
    # Cells read with doubt: a broken identity through them may be our misreading, not the
    # original's error; the extractor reports it (extract.unresolved), the agency is not accused.
    doubtful = {c for f in record.get("findings") or [] if isinstance(f, dict)
                and f.get("rule") in ("extract.ambiguous", "extract.unresolved")
                and isinstance(f.get("cells"), list) for c in f["cells"]}
    blank: dict[CellRef, list[Identity]] = {}
    failing: list[tuple[Identity, float, float]] = []
    holding: list[Identity] = []
    for ident in idents:
        cells = ident.cells  # the template names each cell once per identity
        keys, getter = _cell_keys(ident)
        try:
            vals = getter(known)    # (every cell present: one call in C)
        except (KeyError, TypeError):
            vals = [known[k] if k in known else value(ref) for k, ref in zip(keys, cells)]
        nl = len(ident.lhs)
        lv, rv = vals[:nl], vals[nl:]
        if None in vals:
            if nl == 1 and vals[0] is None:
                parts = sum(v for v in vals[1:] if v is not None)
                # parts read in doubt cannot accuse the agency of a missing total either
                if (parts and str(ident.lhs[0]) not in unreadable
                        and not (doubtful and any(str(ref) in doubtful for ref in cells))):
                    blank.setdefault(ident.lhs[0], []).append(ident)
                continue
            # A blank total elsewhere in the equation is reported as blank_total, not as a wrong sum.
            if any(v is None and (ref in totals or ref in ident.lhs) for ref, v in zip(cells, vals)):
                continue
            # (template.check_identity, inlined: it runs for every identity of every record)
            if any(v is None for v in lv) or all(v is None for v in rv):
                continue  # cannot tell
            rv = [v for v in rv if v is not None]
        elif not rv:
            continue  # cannot tell
        lhs, rhs = float(sum(lv)), float(sum(rv))
        if abs(lhs - rhs) < 1e-6:
            holding.append(ident)
        elif not (doubtful and any(str(ref) in doubtful for ref in cells)):
            failing.append((ident, lhs, rhs))

    # One cell that alone explains every broken equation is named as the likely error.
    suspect, suggestion = None, None
    if failing:
        cand = set(failing[0][0].cells)
        for ident, _, _ in failing[1:]:
            cand &= set(ident.cells)
        for ident in holding:
            cand -= set(ident.cells)
        if len(cand) == 1:
            suspect = next(iter(cand))
            x = value(suspect) or 0
            fixes = {(x - (lhs - rhs)) if suspect in ident.lhs else (x + (lhs - rhs))
                     for ident, lhs, rhs in failing}
            if len(fixes) == 1:
                suggestion = fixes.pop()

    for ident, lhs, rhs in failing:
        if "arith." + ident.rule not in RULES:  # an identity the template gained after this module was written
            rule("arith." + ident.rule, "error", "arithmetic", ident.description, ident.description_en,
                 ident.description, ident.description_en)
        diff = lhs - rhs
        left = _terms(ident.lhs, record) + ("" if len(ident.lhs) == 1 else f" = {_fmt(lhs)}")
        right = _terms(ident.rhs, record) + ("" if len(ident.rhs) == 1 else f" = {_fmt(rhs)}")
        evidence = f"{left} ≠ {right}"
        msg = (f"{ident.description}，此处不成立：{_side_zh(ident.lhs)} 为 {_fmt(lhs)}，"
               f"另一边合计为 {_fmt(rhs)}（相差 {_fmt(abs(diff))}）。")
        msg_en = (f"{ident.description_en} — does not hold here: {_side_zh(ident.lhs, 'en')} is {_fmt(lhs)}, "
                  f"the other side adds up to {_fmt(rhs)} (off by {_fmt(abs(diff))}).")
        extra = {}
        if suspect is not None:
            s_zh, s_en = describe_cell(str(suspect)), describe_cell(str(suspect), "en")
            extra["suspect"] = str(suspect)
            if suggestion is not None and suggestion >= 0:
                extra["suggested"] = suggestion
                msg += f"各处不符都指向 {s_zh}：该格为 {_fmt(value(suspect))}，若为 {_fmt(suggestion)} 则各等式均成立。"
                msg_en += (f" Every broken sum points at {s_en}: it reads {_fmt(value(suspect))}; "
                           f"{_fmt(suggestion)} would make them all hold.")
            else:
                msg += f"各处不符都指向 {s_zh}，请先核对该格。"
                msg_en += f" Every broken sum points at {s_en}; check it first."
        else:
            msg += "请对照原文核对所列单元格。"
            msg_en += " Check the cells listed against the source."
        out.append(emit("arith." + ident.rule, msg, msg_en, cells=[str(c) for c in ident.cells],
                        evidence=evidence, **extra))

    for ref, idents_ in blank.items():
        parts = sorted({p for ident in idents_ for p in ident.rhs if value(p)}, key=str)
        total = sum(value(p) or 0 for p in idents_[0].rhs)
        evidence = f"{ref} 空白；" + "；".join(f"{_terms(i.rhs, record)} = "
                                             f"{_fmt(sum(value(p) or 0 for p in i.rhs))}" for i in idents_)
        out.append(emit(
            "arith.blank_total",
            f"{describe_cell(str(ref))} 空白（或无法识读），而其分项合计为 {_fmt(total)}。请补填合计，或核对分项。",
            f"{describe_cell(str(ref), 'en')} is blank (or unreadable) while its parts add up to {_fmt(total)}. "
            "Fill in the total or check the parts.",
            cells=[str(ref)] + [str(p) for p in parts], evidence=evidence))

    out.extend(_values(record))
    out.extend(_legacy(record))
    return out


def _is_bad(v, allow_negative: bool, allow_decimals: bool) -> bool:
    if type(v) is int:  # nearly always; the abstract check below is slow
        return v < 0 and not allow_negative
    if v is None or not isinstance(v, numbers.Number) or isinstance(v, bool):
        return False
    return (v < 0 and not allow_negative) or (not allow_decimals and isinstance(v, float) and not v.is_integer())


def _bad_value(ref: str, v, allow_negative: bool, allow_decimals: bool, t2_layout=None):
    if not _is_bad(v, allow_negative, allow_decimals):
        return None
    negative = v < 0 and not allow_negative
    fraction = not allow_decimals and isinstance(v, float) and not v.is_integer()
    name, name_en = describe_cell(ref, "zh", t2_layout), describe_cell(ref, "en", t2_layout)
    if negative:
        return emit("arith.negative", f"{name} 为负数 {_fmt(v)}，件数不能为负。",
                    f"{name_en} is negative ({_fmt(v)}); a count cannot be.", cells=[ref],
                    evidence=f"{ref} = {_fmt(v)}")
    if fraction:
        return emit("arith.not_integer", f"{name} 为 {_fmt(v)}，件数应为整数。",
                    f"{name_en} is {_fmt(v)}; a count must be a whole number.", cells=[ref],
                    evidence=f"{ref} = {_fmt(v)}")
    return None


def _values(record: dict) -> list[dict]:
    out = []
    # (a cell's name is spelled out only for the rare bad value)
    # (a count that is an int of at least 0 is good: tested inline, a table has some 200)
    for key, vals in ((record.get("t3") or {}).get("rows") or {}).items():
        for i, v in enumerate(vals or []):
            if (type(v) is not int or v < 0) and _is_bad(v, False, False):
                out.append(_bad_value(f"t3.{key}[{i}]", v, False, False))
    for key, vals in (record.get("t4") or {}).items():
        if isinstance(vals, list):
            for i, v in enumerate(vals):
                if (type(v) is not int or v < 0) and _is_bad(v, False, False):
                    out.append(_bad_value(f"t4.{key}[{i}]", v, False, False))
    t2 = record.get("t2") or {}
    layout = t2.get("layout") if isinstance(t2.get("layout"), str) else None
    for f in T2_LAYOUTS.get(layout, ()):
        vals = t2.get(f.key)
        if isinstance(vals, list):
            for i, v in enumerate(vals):
                col = f.columns[i] if i < len(f.columns) else ""
                out.append(_bad_value(f"t2.{f.key}[{i}]", v, col in T2_SIGNED_COLUMNS,
                                      f.decimals and "金额" in col, layout))
        else:
            out.append(_bad_value(f"t2.{f.key}", vals, False, f.decimals, layout))
    return [f for f in out if f]


def _legacy(record: dict) -> list[dict]:
    out = []
    for key, vals in (record.get("legacy") or {}).items():
        if isinstance(vals, list) and len(vals) >= 2:
            this, cum = _num(vals[0]), _num(vals[1])
            if this is not None and cum is not None and cum < this:
                out.append(emit(
                    "arith.legacy_cumulative",
                    f"附表“{key}”：历年累计 {_fmt(cum)} 小于本年数 {_fmt(this)}。",
                    f"Appendix '{key}': the cumulative figure {_fmt(cum)} is below this year's {_fmt(this)}.",
                    cells=[f"legacy.{key}[0]", f"legacy.{key}[1]"],
                    evidence=f"legacy.{key} = {vals}"))
    return out
