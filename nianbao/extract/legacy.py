"""Pre-2019 appendix tables: indicator rows (label, unit, this year, cumulative)."""
from __future__ import annotations

import re
from collections import Counter

from ..template import LEGACY_UNITS
from .labels import is_legacy_indicator, normalize
from .solver import Candidate, Variable, ambiguous_cells
from .splits import split_plain
from .t3 import Decoded
from .tokens import BLANK, NUM, ROW_END, TEXT, Item

_HEADER_WORDS = {"指标名称", "指标", "单位", "计量单位", "本年", "本年度", "历年累计", "累计", "数量", "备注", "统计数",
                 "项目", "数值", "年度", "本年数", "上年数"}
_UNIT_SET = set(LEGACY_UNITS)


def legacy_name(label: str) -> str:
    """The indicator's name as canonical-json.md keeps it."""
    s = normalize(label)
    s = re.sub(r"^其中[:：]?", "", s)
    s = re.sub(r"^(\d+[.、．]|\([一二三四五六七八九十\d]+\)|[一二三四五六七八九十]+、)", "", s)
    s = re.sub(r"^其中[:：]?", "", s)
    for unit in sorted(LEGACY_UNITS, key=len, reverse=True):
        if s.endswith(unit) and len(s) > len(unit) + 2 and is_legacy_indicator(s[:-len(unit)]):
            s = s[:-len(unit)]
            break
    return s


def _find_start(items: list[Item]) -> int | None:
    for i, it in enumerate(items):
        if it.kind == TEXT and "指标名称" in normalize(it.text):
            return i
    # No header: the first indicator label followed closely by numbers.
    for i, it in enumerate(items):
        if it.kind == TEXT and len(it.text) <= 30 and is_legacy_indicator(normalize(it.text)):
            nxt = [x for x in items[i + 1:i + 4] if x.kind != ROW_END]
            if nxt and (nxt[0].kind == NUM or (nxt[0].kind == TEXT and normalize(nxt[0].text) in _UNIT_SET
                                               and len(nxt) > 1 and nxt[1].kind == NUM)):
                return i
    return None


def decode_legacy(items: list[Item]) -> tuple[dict, Decoded] | None:
    start = _find_start(items)
    if start is None:
        return None
    header_cols = 0
    rows: list[tuple[str, Item, list[Item]]] = []
    in_header = "指标名称" in normalize(items[start].text)
    for it in items[start:]:
        if it.kind == TEXT:
            t = normalize(it.text)
            if not t:
                continue
            if in_header:
                if t in _HEADER_WORDS or re.fullmatch(r"(19|20)\d\d年?(度)?", t):
                    if t not in ("指标名称", "指标", "单位", "计量单位", "项目", "备注"):
                        header_cols += 1
                    continue
                in_header = False
            if t in _UNIT_SET:
                continue
            if t in _HEADER_WORDS:
                continue
            if len(t) > 40 or t.startswith(("附件", "相关链接", "扫一扫")):
                if rows:
                    break
                continue
            if rows and not rows[-1][2] and re.fullmatch(r"其中[:：]?", t):
                continue
            rows.append((it.text, it, []))
        elif it.kind in (NUM, BLANK):
            if in_header and it.kind == NUM and isinstance(it.value, int) and 1990 <= it.value <= 2030:
                header_cols += 1
                continue
            in_header = False
            if rows:
                rows[-1][2].append(it)
    rows = [r for r in rows if r[2]]
    if len(rows) < 2:
        return None
    ncols = header_cols or Counter(len(r[2]) for r in rows if all(x.cell or len(x.text) < 5 for x in r[2])
                                   ).most_common(1)[0][0] if rows else 1
    ncols = max(1, min(ncols, 4))
    legacy: dict = {}
    dec = Decoded({})
    variables = []
    for label, label_item, nums in rows:
        name = legacy_name(label)
        if not name or name in legacy:
            continue
        if len(nums) >= ncols:
            vals = [n.value for n in nums[:ncols]]
            cand = Candidate({(name, c): v for c, v in enumerate(vals)}, 0.0,
                             {(name, c): nums[c].span_origin() for c in range(ncols)})
            variables.append(Variable(name, [cand]))
        else:
            digits = "".join(n.text for n in nums)
            readings = split_plain(digits, ncols, _plausible_appendix) if digits.isdigit() else []
            readings.sort(key=lambda v: (abs(len(str(v[-1])) - len(str(v[0]))) if ncols > 1 else 0,
                                         -len(str(v[-1]))))
            if not readings:
                cand = Candidate({(name, c): (nums[c].value if c < len(nums) else None) for c in range(ncols)},
                                 0.0, {(name, c): nums[0].span_origin() for c in range(ncols)})
                variables.append(Variable(name, [cand]))
            else:
                variables.append(Variable(name, [Candidate({(name, c): v for c, v in enumerate(r)}, float(i),
                                                           {(name, c): nums[0].span_origin() for c in range(ncols)},
                                                           "split") for i, r in enumerate(readings)]))
        legacy[name] = None
    for var in variables:
        dec.values.update(var.candidates[0].values)
        dec.origins.update(var.candidates[0].origins)
        name = var.name
        legacy[name] = [var.candidates[0].values[(name, c)] for c in range(ncols)]
    dec.ambiguous = ambiguous_cells(variables, None)
    dec.unreadable = {c for c, v in dec.values.items() if v is None}
    return legacy, dec


def _plausible_appendix(vals: list[int]) -> bool:
    """This year's figure cannot exceed the cumulative one."""
    return len(vals) < 2 or vals[0] <= vals[-1]
