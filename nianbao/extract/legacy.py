"""Pre-2019 appendix tables: indicator rows (label, unit, this year, cumulative).

Provinces printed their own indicator lists (指标名称 | 单位 | 本年 | 历年累计), so the
rows are not known in advance: a row is a label the appendix vocabulary knows (or
one numbered in the list it belongs to), an optional unit and its numbers. A
flattened page runs label, unit and both numbers together (``主动公开信息数条2626``);
such a run is split into the table's value columns, the prose deciding where it
states the figure, the sub-items (其中：1. … 2. …) and 累计 ≥ 本年 ranking the rest.
Splits left open are flagged, never guessed silently.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from ..template import LEGACY_UNITS
from .blocks import provenance
from .labels import is_legacy_indicator, normalize, without_spaces
from .solver import Candidate, Equation, Variable, ambiguous_cells, solve
from .splits import split_kinds
from .t3 import Decoded
from .tokens import BLANK, MAX_DIGITS, NUM, QTY, ROW_END, TEXT, Item

_HEADER_WORDS = {"指标名称", "指标", "单位", "计量单位", "计量", "本年", "本年度", "历年累计", "累计", "数量", "备注",
                 "统计数", "项目", "数值", "年度", "本年数", "上年数", "年末统计", "年末", "统计"}
_UNIT_SET = set(LEGACY_UNITS)
_UNITS_LONGEST = tuple(sorted(LEGACY_UNITS, key=len, reverse=True))
# Value columns named in the header: "2017", "2015年", "本年", "历年累计", "累计", "年末统计".
_VALUE_COLUMN = re.compile(r"(?:19|20)\d\d年?度?|本年度?(?!累计)|历年累计|(?<!历年)累计|上年|年末统计|数量|统计数")
_HEADER = re.compile(r"指标名称")
_SIGNOFF = re.compile(r"(人民政府|办公室|局|委员会|管委会|中心|办)$|(?:19|20)\d\d年\d{1,2}月|[〇○零一二]{4}年")
# Words of the lines around an appendix that are never indicators.
_NOT_INDICATOR = re.compile(r"电话|传真[:：]|邮箱|邮编|地址|网址|http|www|@|主办|版权|网站标识码|ICP|备案|公网安备|附件下载|"
                            r"相关链接|扫一扫|打印|关闭|来源[:：]|发布时间|浏览")
_ENUM = re.compile(r"^(?:其中[:：]?)?(\d{1,2})[.、．]?(?=[^\d.、．])")
_LEADING = re.compile(r"^(?:其中[:：]?)?(?:\d+[.、．]?|[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、)?(?:其中[:：]?)?")
_MAX_ROWS = 80
_QIZHONG = frozenset(("其中", "其中:", "其中："))      # what fullmatches 其中[:：]?


# The functions of a label's text alone below are read many times a page (every text item is
# tried as a label): cached, with bounds, for texts of a label's length.
_CACHE, _CACHED_CHARS = 16384, 200


def legacy_name(label: str) -> str:
    """The indicator's name as canonical-json.md keeps it: no whitespace, no leading
    其中： or enumeration, no unit."""
    return _legacy_name(label) if len(label) <= _CACHED_CHARS else _legacy_name.__wrapped__(label)


@lru_cache(maxsize=_CACHE)
def _legacy_name(label: str) -> str:
    s = normalize(label)
    s = _LEADING.sub("", s)
    for unit in _UNITS_LONGEST:
        if s.endswith(unit) and len(s) > len(unit) + 1 and not s.endswith("单位"):
            rest = s[:-len(unit)]
            if is_legacy_indicator(rest) or rest.endswith(("数", "额", "量")):
                s = rest
                break
    return s.strip(":：,，;；、.")


def unit_of(label: str) -> str | None:
    s = normalize(label)
    for unit in _UNITS_LONGEST:
        if s.endswith(unit):
            return unit
    return None


@dataclass
class _Row:
    label: str
    item: Item
    nums: list[Item] = field(default_factory=list)
    under: int | None = None      # index of the row this one is a sub-item of (其中)
    number: int | None = None     # its enumeration in that list

    @property
    def name(self) -> str:
        return legacy_name(self.label)


def _is_label(t: str) -> bool:
    """Whether a piece of text can name an indicator row."""
    return _is_label_cached(t) if len(t) <= _CACHED_CHARS else _is_label_cached.__wrapped__(t)


def _is_indicator_label(t: str) -> bool:
    """Whether a piece of text names an indicator the appendix vocabulary knows."""
    return _is_label(t) and is_legacy_indicator(legacy_name(t))


@lru_cache(maxsize=_CACHE)
def _is_label_cached(t: str) -> bool:
    name = legacy_name(t)
    if not name or len(name) > 30 or _NOT_INDICATOR.search(t) or re.search(r"\d", name):
        return False
    if re.search(r"[。；;，,：:!?！？]", name):
        return False
    return bool(re.match(r"[\u4e00-\u9fff]", name))


def _find_start(items: list[Item]) -> int | None:
    """Where the appendix begins: its header, or else the first of three
    indicator rows in a row, each with its numbers."""
    for i, it in enumerate(items):
        if it.kind == TEXT and _HEADER.search(normalize(it.text)):
            return i
    run_start, run = None, 0
    i = 0
    while i < len(items):
        it = items[i]
        if it.kind == TEXT:
            t = normalize(it.text)
            if t in _UNIT_SET or t in _QIZHONG:
                i += 1
                continue
            if _is_indicator_label(it.text):
                nxt = [x for x in items[i + 1:i + 3] if x.kind != ROW_END]
                if nxt and nxt[0].kind == TEXT and normalize(nxt[0].text) in _UNIT_SET:
                    nxt = nxt[1:]
                if nxt and nxt[0].kind in (NUM, BLANK):
                    run_start = i if run == 0 else run_start
                    run += 1
                    if run >= 3:
                        return run_start
                    i += 1
                    continue
            run = 0
        elif it.kind == QTY:
            run = 0
        i += 1
    return None


_HEADER_TAIL = re.compile(r"(?:历年累计|年末统计|本年度?|年度|累计|数量|统计数|计量单位|单位|^年)\s*")


def _split_header_text(items: list[Item], start: int) -> list[Item]:
    """A header run together with the first label ("年度 历年累计 主动公开信息数 条"):
    the label cut off as a text of its own."""
    out = list(items)
    for j in range(start, min(len(out), start + 12)):
        it = out[j]
        if it.kind != TEXT:
            continue
        ends = [m.end() for m in _HEADER_TAIL.finditer(it.text)]
        if not ends or ends[-1] >= len(it.text):
            continue
        rest = it.text[ends[-1]:]
        if _is_indicator_label(rest):
            cut = it.start + ends[-1]
            out[j:j + 1] = [Item(TEXT, it.text[:ends[-1]].rstrip(), it.start, cut, origin=it.origin),
                            Item(TEXT, rest, cut, it.end, origin=it.origin)]
            break
    return out


def _header_columns(items: list[Item], start: int) -> tuple[int, int, bool]:
    """(value columns the header names, index of the first row, whether it has a unit column)."""
    text = ""
    j = start
    for j in range(start, min(len(items), start + 40)):
        it = items[j]
        t = normalize(it.text) if it.kind in (TEXT, QTY, NUM) else ""
        if j == start and _HEADER.search(t):
            t = t[_HEADER.search(t).start():]  # not the table's title before it
        if it.kind == TEXT and j > start and _is_indicator_label(it.text) \
                and not any(w in t for w in ("指标名称", "历年累计")):
            break
        if it.kind == TEXT and j == start and is_legacy_indicator(legacy_name(t)) and not _HEADER.search(t):
            break
        if it.kind in (NUM, QTY) and not (1990 <= (it.value or 0) <= 2030):
            break
        text += t + ("年" if it.kind in (NUM, QTY) else "")
    return len(_VALUE_COLUMN.findall(text)), j, "单位" in text


def _rows(items: list[Item], first: int) -> list[_Row]:
    rows: list[_Row] = []
    pending_under = False   # a 其中 was printed: the next numbered row is a sub-item
    group: int | None = None
    for it in items[first:]:
        if it.kind == TEXT:
            raw = it.text
            t = normalize(raw)
            if not t or t in _UNIT_SET or t in _HEADER_WORDS:
                continue
            if t in _QIZHONG:
                pending_under = True
                continue
            if not _is_label(raw):
                if rows and (len(t) > 24 or _NOT_INDICATOR.search(t) or _SIGNOFF.search(t)):
                    break
                continue
            if rows and not rows[-1].nums and not t.startswith("其中"):
                # a label run on over two pieces of text ("政府信息公开收费" "减免金额")
                if not is_legacy_indicator(legacy_name(t)) or not is_legacy_indicator(rows[-1].name):
                    rows[-1].label += raw
                    continue
            m = _ENUM.match(t)
            number = int(m.group(1)) if m else None
            row = _Row(raw, it, number=number)
            if t.startswith("其中") or pending_under:
                group = len(rows) - 1 if rows else None
                row.under = group
            elif number is not None and group is not None and rows and rows[-1].under == group \
                    and rows[-1].number is not None and number == rows[-1].number + 1:
                row.under = group
            else:
                group = None
            pending_under = False
            rows.append(row)
            if len(rows) > _MAX_ROWS:
                break
        elif it.kind in (NUM, BLANK):
            if rows:
                rows[-1].nums.append(it)
        elif it.kind == QTY and rows and rows[-1].nums:
            break  # a date or a figure of the prose after the table
    return [r for r in rows if r.nums]


def _columns(header_cols: int, rows: list[_Row]) -> int:
    """How many value columns the rows fill: what the header names, unless no row
    holds more than one number (a cumulative column left empty)."""
    spaced = Counter(len(r.nums) for r in rows if len(r.nums) > 1 or r.nums[0].cell)
    runs = [r for r in rows if len(r.nums) == 1 and not r.nums[0].cell]
    if header_cols >= 2:
        # every row of a run-together two-column table holds two digits at least ("00");
        # single digits throughout mean the 累计 column was left empty
        long_runs = sum(1 for r in runs if len(r.nums[0].text) >= 2)
        if any(len(r.nums) >= 2 for r in rows) or (runs and long_runs >= 0.8 * len(runs)):
            return min(header_cols, 4)
        return 1
    if header_cols == 1:
        return 1
    if spaced:
        return max(1, min(spaced.most_common(1)[0][0], 4))
    return 1


_CLAIMS = (
    # (what the row's name holds, column, pattern of the sentence stating it, a word every match
    # holds, and at most how far in)
    ("主动公开", 1, re.compile(r"累计(?:主动)?公开(?:政府)?信息(?:共)?(\d+)\s*[条件项]"), "累计", 0),
    ("主动公开", 0, re.compile(r"(?<!累计)(?<!累计主动)(?:(?:19|20)\d\d年(?:度)?)?(?:共)?主动公开(?:了)?(?:政府)?信息(?:共)?(\d+)\s*[条件项]"),
     "主动公开", 7),
    ("受理", 0, re.compile(r"(?:共)?受理(?:政府信息公开)?申请(?:共)?(\d+)\s*件"), "受理", 1),
)


def prose_claims(text: str) -> list[tuple[str, int, int]]:
    """Appendix figures the prose states: (name part, column, value)."""
    out = []
    flat = without_spaces(text)
    for part, col, pat, word, before in _CLAIMS:
        # (each match holds ``word`` at most ``before`` letters in: the search starts there)
        i = flat.find(word)
        m = pat.search(flat, max(0, i - before)) if i >= 0 else None
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


def _readings(row: _Row, name: str, ncols: int, claims) -> list[list]:
    """The ways to read a row's printed numbers as ``ncols`` values, most plausible first."""
    nums = row.nums
    if len(nums) >= ncols:
        return [[n.value for n in nums[:ncols]]]
    digits = "".join("0" if n.kind == BLANK else n.text for n in nums)
    money = unit_of(row.label) in ("万元", "元") or "金额" in name or "费" in name
    kinds = ["d" if money else "u"] * ncols
    every = split_kinds(digits, kinds) if digits.replace(".", "").isdigit() else []
    if not every:
        # fewer numbers than columns and nothing to split: the first columns, the rest unread
        return [[n.value for n in nums] + [None] * (ncols - len(nums))]
    claimed = [r for r in every if _claimed(name, r, claims)]
    readings = claimed or every
    # 累计 ≥ 本年 first, then balanced lengths (two columns of a run are usually alike);
    # the others stay possible: an agency may count its 累计 without this year.
    readings.sort(key=lambda v: (len(v) > 1 and v[0] > v[-1],
                                 abs(len(str(v[-1])) - len(str(v[0]))) if ncols > 1 else 0, -len(str(v[-1]))))
    return readings


def _plausible(values: list) -> bool:
    """历年累计 includes this year's figure."""
    return len(values) < 2 or values[0] is None or values[-1] is None or values[0] <= values[-1]


def _sum_equations(rows: list[_Row], names: list[str], ncols: int) -> list[Equation]:
    """Sub-items add up to their row: a preference among readings, not a rule (real
    appendices often leave part of a total unexplained)."""
    out = []
    children: dict[int, list[str]] = {}
    for row, name in zip(rows, names):
        if row.under is not None:
            children.setdefault(row.under, []).append(name)
    for parent, kids in children.items():
        if len(kids) < 2 or parent >= len(names):
            continue
        for c in range(ncols):
            terms = (((names[parent], c), 1),) + tuple(((k, c), -1) for k in kids)
            out.append(Equation(terms, 0.0, "legacy.sum"))
    return out


def decode_legacy(items: list[Item], prose: str = "") -> tuple[dict, Decoded] | None:
    start = _find_start(items)
    if start is None:
        return None
    items = _split_header_text(items, start)
    header_cols, first, unit_column = _header_columns(items, start)
    rows = _rows(items, first)
    if len(rows) < 3:
        return None
    if unit_column:
        for row in rows:
            # the unit cell left empty before the numbers
            while len(row.nums) > max(1, header_cols) and row.nums[0].kind == BLANK and row.nums[0].cell:
                row.nums.pop(0)
    ncols = _columns(header_cols, rows)
    claims = prose_claims(prose)
    legacy: dict = {}
    dec = Decoded({})
    variables: list[Variable] = []
    names: list[str] = []
    kept: list[_Row] = []
    seen: Counter = Counter()
    for row in rows:
        name = row.name
        seen[name] += 1
        if seen[name] > 1:
            # the same words under another heading ("其他" twice): keep both, told apart
            parent = rows[row.under].name if row.under is not None and row.under < len(rows) else ""
            name = f"{name}（{parent}）" if parent and f"{name}（{parent}）" not in seen else f"{name}（{seen[name]}）"
        names.append(name)
        kept.append(row)
        readings = _readings(row, name, ncols, claims)
        origins = {}
        for c in range(ncols):
            item = row.nums[c] if len(row.nums) >= ncols else row.nums[0]
            origins[(name, c)] = item.span_origin()
        variables.append(Variable(name, [Candidate({(name, c): v for c, v in enumerate(r)}, float(i), dict(origins),
                                                   "split" if len(readings) > 1 else "")
                                         for i, r in enumerate(readings)]))
    # Sub-item sums pick among the readings; which cells stay open is what the
    # printed digits and the prose leave open.
    if all(len(var.candidates) <= 1 for var in variables):
        choice = [0] * len(variables)   # (what the solver gives when there is nothing to choose)
    else:
        choice = solve(variables, _sum_equations(kept, names, ncols), soft=True).choice
    for vi, var in enumerate(variables):
        cand = var.candidates[choice[vi]]
        dec.values.update(cand.values)
        dec.origins.update(provenance(cand))
        legacy[var.name] = [cand.values[(var.name, c)] for c in range(ncols)]
    # Open: what the readings with 累计 ≥ 本年 leave open (all readings, when the one
    # chosen has a smaller 累计).
    possible = []
    for vi, var in enumerate(variables):
        plausible = [i for i, c in enumerate(var.candidates) if _plausible(list(c.values.values()))]
        possible.append(plausible if choice[vi] in plausible else list(range(len(var.candidates))))
    dec.ambiguous = ambiguous_cells(variables, possible)
    dec.unreadable = {c for c, v in dec.values.items() if v is None}
    return legacy, dec
