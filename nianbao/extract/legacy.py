"""Pre-2019 appendix tables: indicator rows (label, unit, this year, cumulative)."""
from __future__ import annotations

import re
from collections import Counter

from ..template import LEGACY_UNITS
from .labels import is_legacy_indicator, normalize
from .blocks import provenance
from .solver import Candidate, Variable, ambiguous_cells
from .splits import split_kinds
from .t3 import Decoded
from .tokens import BLANK, MAX_DIGITS, NUM, QTY, ROW_END, TEXT, Item

_HEADER_WORDS = {"指标名称", "指标", "单位", "计量单位", "本年", "本年度", "历年累计", "累计", "数量", "备注", "统计数",
                 "项目", "数值", "年度", "本年数", "上年数"}
_UNIT_SET = set(LEGACY_UNITS)
# Value columns named in the header: "2017", "2015年", "本年", "历年累计", "累计".
_VALUE_COLUMN = re.compile(r"(?:19|20)\d\d年?度?|本年度?(?!累计)|历年累计|(?<!历年)累计|上年")
_DATE_OR_SIGNOFF = re.compile(r"(人民政府|办公室|局|委员会)$|\d{4}年\d{1,2}月")


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


_CLAIMS = (
    # (what the row's name holds, column, pattern of the sentence stating it)
    ("主动公开", 1, re.compile(r"累计主动公开(?:政府)?信息(?:共)?(\d+)\s*[条件项]")),
    ("主动公开", 0, re.compile(r"(?<!累计)(?<!累计主动)(?:(?:19|20)\d\d年(?:度)?)?(?:共)?主动公开(?:政府)?信息(?:共)?(\d+)\s*[条件项]")),
    ("受理", 0, re.compile(r"(?:共)?受理(?:政府信息公开)?申请(?:共)?(\d+)\s*件")),
)


def prose_claims(text: str) -> list[tuple[str, int, int]]:
    """Appendix figures the prose states: (name part, column, value)."""
    out = []
    flat = "".join(text.split())
    for part, col, pat in _CLAIMS:
        m = pat.search(flat)
        if m and len(m.group(1)) <= MAX_DIGITS:  # no count is longer (and int() refuses 4,300 digits)
            out.append((part, col, int(m.group(1))))
    return out


def _claimed(name: str, values: list, claims) -> bool | None:
    verdict = None
    for part, col, value in claims:
        if part in name and col < len(values):
            if values[col] != value:
                return False
            verdict = True
    return verdict


def decode_legacy(items: list[Item], prose: str = "") -> tuple[dict, Decoded] | None:
    start = _find_start(items)
    if start is None:
        return None
    # The header: everything up to the first indicator row.
    first_row = start
    header_text = ""
    if "指标名称" in normalize(items[start].text):
        for j in range(start, len(items)):
            it = items[j]
            t = normalize(it.text) if it.kind in (TEXT, QTY) else ""
            if it.kind == TEXT and is_legacy_indicator(t) and not any(w in t for w in ("指标名称", "历年累计")):
                first_row = j
                break
            if it.kind in (NUM, QTY, TEXT):
                header_text += normalize(it.text) + ("年" if it.kind == NUM and 1990 <= (it.value or 0) <= 2030
                                                      else "")
    header_cols = len(_VALUE_COLUMN.findall(header_text))
    unit_column = "单位" in header_text
    rows: list[tuple[str, Item, list[Item]]] = []
    for it in items[first_row:]:
        if it.kind == TEXT:
            t = normalize(it.text)
            if not t or t in _UNIT_SET or t in _HEADER_WORDS:
                continue
            if len(t) > 40 or t.startswith(("附件", "相关链接", "扫一扫")):
                if rows:
                    break
                continue
            if rows and not rows[-1][2] and re.fullmatch(r"其中[:：]?", t):
                continue
            if rows and rows[-1][2] and not is_legacy_indicator(t) and _DATE_OR_SIGNOFF.search(t):
                break
            if any(w in t for w in ("主办", "版权所有", "网站标识码", "ICP", "备案", "公网安备")):
                break
            rows.append((it.text, it, []))
        elif it.kind in (NUM, BLANK):
            if rows:
                rows[-1][2].append(it)
    for _, _, nums in rows:
        # the empty unit cell printed before the numbers
        while unit_column and nums and nums[0].kind == BLANK and len(nums) > max(1, header_cols):
            nums.pop(0)
    rows = [r for r in rows if r[2]]
    claims = prose_claims(prose)
    if len(rows) < 2:
        return None
    shaped = Counter(len(r[2]) for r in rows if all(x.cell or len(x.text) < 5 for x in r[2]))
    # when every row is a long run of digits, the rows' own counts of numbers are all there is
    ncols = header_cols or (shaped or Counter(len(r[2]) for r in rows)).most_common(1)[0][0]
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
            kinds = ["d" if (unit_of(label) in ("万元", "元") or "费" in name) else "u"] * ncols
            readings = [r for r in split_kinds(digits, kinds) if _plausible_appendix(r)]
            claimed = [r for r in readings if _claimed(name, r, claims)]
            if claimed:
                readings = claimed
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
        dec.origins.update(provenance(var.candidates[0]))
        name = var.name
        legacy[name] = [var.candidates[0].values[(name, c)] for c in range(ncols)]
    dec.ambiguous = ambiguous_cells(variables, None)
    dec.unreadable = {c for c, v in dec.values.items() if v is None}
    return legacy, dec


def unit_of(label: str) -> str | None:
    s = normalize(label)
    for unit in sorted(LEGACY_UNITS, key=len, reverse=True):
        if s.endswith(unit):
            return unit
    return None


def _plausible_appendix(vals: list[int]) -> bool:
    """This year's figure cannot exceed the cumulative one."""
    return len(vals) < 2 or vals[0] <= vals[-1]
