"""Prose vs tables: the numbers the text states about requests, outcomes, carry-over,
reconsideration and litigation, compared with tables 三 and 四.

Claims are read with regular expressions from the squashed text (no whitespace, NFKC):
"共收到政府信息公开申请99件", "予以公开43件", "结转到2022年答复6件", "有6件…行政复议案件",
"未因政府信息公开引起行政复议和行政诉讼" (→ 0). Each claim keeps its sentence as evidence.

Scope: prose often counts something else than the table (the whole city, received including
carried-over cases, since the Regulations took effect). A mismatch is an error only when the
sentence speaks of the agency itself (我局, 本机关 …) and of nothing wider; otherwise a warning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..template import T3_COLUMNS, T3_GROUPS, T3_ROW_BY_KEY, CellRef, cell_value, t3_rows
from .arithmetic import t3_form
from .describe import describe_cell
from .rules import emit, rule
from .text import NUM, Sentence, clip, parse_number, pieces, squash

rule("prose.mismatch", "error", "prose", "正文数字与表格不符", "prose contradicts the table",
     "正文以本机关名义陈述的数字（收到申请、办理结果、结转、行政复议、行政诉讼件数）与表三、表四不一致。",
     "A number the text states for the agency itself (applications received, outcomes, carry-over, "
     "reconsideration, litigation) differs from tables 3 and 4.")
rule("prose.mismatch_scope", "warning", "prose", "正文数字与表格不一致（统计口径可能不同）",
     "prose differs from the table (possibly another scope)",
     "正文陈述的数字与表格不一致，但句子的统计口径可能不同（如全市/全区合计、含上年结转、历年累计），请核对口径后再判断。",
     "A number the text states differs from the tables, but the sentence may count another scope (the "
     "whole city or district, cases carried over, since the Regulations took effect); check the scope.")

TOTAL = len(T3_COLUMNS) - 1
_GAP = r"[^，。；;,:：0-9零〇一二两三四五六七八九十]{0,4}?"  # a few words between keyword and number
_N = rf"(?P<n>{NUM})"
_UNIT = r"(?:件|起|宗|个|份)"

SELF = re.compile(r"我局|本局|我委|本委|我办|本办|我厅|本厅|本机关|我机关|本单位|我单位|本部门|我部门|我中心|本中心|"
                  r"我院|本院|我署|本署|我处|本处|我馆|本馆|我所|本所|我站|本站|本行政机关")
WIDE = re.compile(r"全市|全区|全县|全省|全州|全旗|全镇|全乡|各级|各部门|各单位|系统|各镇|各乡|各街道|镇街|镇\(街道\)|"
                  r"各县|各区|下属|直属|以来|历年|累计")
COMPARE = re.compile(r"同比|较上年|比上年|上年同期|增长|下降|增加|减少|占比|占")
# A channel or an applicant type narrows "received" to a part: "通过网络收到申请12件".
CHANNEL = re.compile(r"网上|网络|在线|信函|当面|现场|邮寄|传真|电子邮件|邮件|来信|自然人|法人|企业")
SUBSET_AFTER = re.compile(r"败诉|胜诉|纠错|纠正|维持|撤销|确认违法|审结|被责令")


def _rows(form: str, group: str) -> list[str]:
    return [r.key for r in t3_rows(form) if r.group == group]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    label_en: str
    cells: Callable[[str], list[str]]          # form → cells whose sum the prose states
    alt: Callable[[str], list[list[str]]] = lambda form: []  # other readings that are not a mismatch


def _t3(keys, col=TOTAL):
    return [f"t3.{k}[{col}]" for k in keys]


KINDS = {k.key: k for k in (
    Kind("received", "收到申请", "applications received", lambda f: _t3(["new"]),
         lambda f: [_t3(["new", "carried"])]),
    Kind("closed", "办结", "requests closed", lambda f: _t3(["total"])),
    Kind("granted", "予以公开", "disclosed", lambda f: _t3(["granted"])),
    Kind("partial", "部分公开", "partly disclosed", lambda f: _t3(["partial"])),
    Kind("denied", "不予公开", "refused", lambda f: _t3(_rows(f, "deny"))),
    Kind("unable", "无法提供", "could not be provided", lambda f: _t3(_rows(f, "unable"))),
    Kind("rejected", "不予处理", "not handled", lambda f: _t3(_rows(f, "reject"))),
    Kind("other", "其他处理", "other handling",
         lambda f: _t3(["other"]) if f == "2019" else _t3(_rows(f, "other"))),
    Kind("carried", "上年结转", "carried over from last year", lambda f: _t3(["carried"])),
    Kind("carry_next", "结转下年度", "carried to next year", lambda f: _t3(["carry_next"])),
    Kind("natural", "自然人申请", "applications by natural persons", lambda f: _t3(["new"], 0),
         lambda f: [[f"t3.new[0]", "t3.carried[0]"]]),
    Kind("legal", "法人或其他组织申请", "applications by organisations",
         lambda f: [f"t3.new[{c}]" for c in range(1, TOTAL)],
         lambda f: [[f"t3.{k}[{c}]" for k in ("new", "carried") for c in range(1, TOTAL)]]),
    Kind("reconsideration", "行政复议", "administrative reconsiderations",
         lambda f: ["t4.reconsideration[4]"]),
    Kind("litigation", "行政诉讼", "lawsuits",
         lambda f: ["t4.litigation_direct[4]", "t4.litigation_after_reconsideration[4]"],
         lambda f: [["t4.litigation_direct[4]"]]),
)}

# (kind, pattern): the number follows its keyword.
PATTERNS: list[tuple[str, re.Pattern]] = [(k, re.compile(p)) for k, p in (
    ("received", rf"(?:收到|受理|新收|接收|接到)了?[^，。；;:：]{{0,16}}?(?:申请|案件|请求){_GAP}{_N}{_UNIT}"),
    ("closed", rf"(?:办结|办理完毕|已答复|全部答复|均已答复|答复办结|完成答复){_GAP}{_N}件"),
    ("granted", rf"(?<!不)(?:予以公开|同意公开|全部公开){_GAP}{_N}件"),
    ("partial", rf"部分公开{_GAP}{_N}件"),
    ("denied", rf"不予公开{_GAP}{_N}件"),
    ("unable", rf"无法提供{_GAP}{_N}件"),
    ("rejected", rf"不予处理{_GAP}{_N}件"),
    ("other", rf"其他处理{_GAP}{_N}件"),
    ("carried", rf"(?:上一?年度?|(?P<y>\d{{4}})年度?)(?:结转|遗留)(?:过来)?的?(?:申请|案件)?{_GAP}{_N}件"),
    ("carry_next", rf"结转(?:至|到|入)?(?:下一?年度?|次年|(?P<y>\d{{4}})年度?)(?:继续)?(?:办理|答复|处理)?的?"
                   rf"(?:申请|案件)?{_GAP}{_N}件"),
    ("natural", rf"其中[^，。；;]{{0,6}}?自然人(?:申请|提出)?{_GAP}{_N}件"),
    ("legal", rf"(?<=[，,、])(?:法人|法人或其他组织|法人和其他组织)(?:申请|提出)?{_GAP}{_N}件"),
    ("reconsideration", rf"行政复议(?:案件|申请)?(?:共|数量为|为)?{_GAP}{_N}{_UNIT}"),
    ("reconsideration", rf"(?:有|发生|共|涉及|收到|办理)(?P<n>{NUM}){_UNIT}[^，。；;]{{0,20}}?行政复议(?:案件|申请)"),
    ("litigation", rf"行政诉讼(?:案件)?(?:共|数量为|为)?{_GAP}{_N}{_UNIT}"),
    ("litigation", rf"(?:有|发生|共|涉及)(?P<n>{NUM}){_UNIT}[^，。；;]{{0,20}}?行政诉讼(?:案件)?"),
)]

# Most sentences state no count: one search over all the patterns at once rules them out.
_ANY_PATTERN = re.compile("|".join(
    "(?:" + p.pattern.replace("(?P<n>", "(?:").replace("(?P<y>", "(?:") + ")" for _, p in PATTERNS))

# Every pattern reads a number right before its unit: a sentence without that pair states no count
# (and it is found much faster than the patterns themselves).
_COUNT = re.compile(r"[\d,零〇一二两三四五六七八九十百千][件起宗个份]")

# "未收到政府信息公开申请", "未发生…行政复议、行政诉讼", "未因政府信息公开引起行政复议和行政诉讼".
ZERO_RECEIVED = re.compile(r"(?:未|没有)(?:收到|受理|接到)[^，。；;]{0,12}?申请")
ZERO_REVIEW = re.compile(r"(?:未|没有|无)(?:发生|出现|收到|产生|引起|涉及|因)?[^，。；;但而]{0,24}?"
                         r"(?P<what>行政法?复议(?:[和、及与或]|以及)(?:行政)?诉讼|行政法?复议|行政诉讼)")


@dataclass(frozen=True)
class Claim:
    kind: str
    value: float
    sentence: Sentence
    start: int
    end: int

    @property
    def quote(self) -> str:
        return clip(self.sentence.flat, self.start, self.end, 50)


def _years_before(flat: str, pos: int) -> list[int]:
    return [int(y) for y in re.findall(r"(\d{4})年", flat[:pos])]


def claims(record: dict) -> list[Claim]:
    """Every number the prose states that the tables also hold."""
    year = (record.get("meta") or {}).get("year")
    out: list[Claim] = []
    for where, shown in pieces(record):
        if "|" in shown or "｜" in shown:  # (squashed, either is "|")
            continue
        flat = squash(shown)
        if "|" in flat:  # a table row flattened into text, not prose
            continue
        counts = _COUNT.search(flat) is not None
        if not counts and "未" not in flat and "没有" not in flat and "无" not in flat:
            continue
        s = Sentence(shown, flat, where)
        subset_from = flat.find("其中")
        for kind, pat in (PATTERNS if counts and _ANY_PATTERN.search(flat) else ()):
            for m in pat.finditer(flat):
                n = parse_number(m.group("n"))
                if n is None:
                    continue
                gap = flat[m.start():m.start("n")]
                if COMPARE.search(gap):
                    continue
                y = m.groupdict().get("y")
                if y and isinstance(year, int):
                    if (kind == "carried" and int(y) != year - 1) or (kind == "carry_next" and int(y) != year + 1):
                        continue
                before = _years_before(flat, m.start())
                if isinstance(year, int) and before and before[-1] not in (year, year - 1, year + 1):
                    continue  # a sentence about another year
                if isinstance(year, int) and before and before[-1] == year - 1 and kind not in ("carried",):
                    continue
                if kind == "received" and (0 <= subset_from < m.start() or CHANNEL.search(
                        flat[max(0, m.start() - 6):m.start("n")])):
                    continue  # "其中…收到申请29件", "网上收到申请12件": a part of the whole
                if kind in ("reconsideration", "litigation"):
                    tail = flat[m.end():m.end() + 8]
                    if SUBSET_AFTER.search(flat[m.start():m.end()] + tail):
                        continue
                out.append(Claim(kind, n, s, m.start(), m.end()))
        if "未" not in flat and "没有" not in flat and "无" not in flat:
            continue  # both patterns below start with one of these words
        for m in ZERO_RECEIVED.finditer(flat):
            out.append(Claim("received", 0, s, m.start(), m.end()))
        for m in ZERO_REVIEW.finditer(flat):
            if SUBSET_AFTER.search(flat[m.start():m.end() + 6]):
                continue
            what = m.group("what")
            if "复议" in what:
                out.append(Claim("reconsideration", 0, s, m.start(), m.end()))
            if "诉讼" in what:
                out.append(Claim("litigation", 0, s, m.start(), m.end()))
    return out


def _same_scope(claim: Claim, cumulative_column: bool = False) -> bool:
    flat = claim.sentence.flat
    if cumulative_column:  # "《条例》实施以来" against the appendix's 历年累计 column: the same count
        flat = CUMULATIVE.sub("", flat)
    return bool(SELF.search(flat)) and not WIDE.search(flat)


def _sum(record: dict, cells: list[str]):
    vals = [cell_value(record, CellRef.parse(c)) for c in cells]
    if any(v is None or isinstance(v, bool) or not isinstance(v, (int, float)) for v in vals):
        return None
    return sum(vals)


def _cells_words(cells: list[str]) -> tuple[str, str]:
    if len(cells) <= 3:
        return "＋".join(describe_cell(x) for x in cells), " + ".join(describe_cell(x, "en") for x in cells)
    row = T3_ROW_BY_KEY.get(CellRef.parse(cells[0]).key)
    group = T3_GROUPS.get(row.group) if row and row.group else None
    if group:
        return (f"表三“{group}”各子项的总计之和", f"the sum of the table 3 '{group}' rows, total column")
    return f"{len(cells)} 格之和", f"the sum of {len(cells)} cells"


def _fmt(v) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# Pre-2019 appendices: the indicator that holds what a claim states (label as printed, see canonical-json.md).
LEGACY_INDICATORS = {"received": r"申请总数|受理.{0,8}申请数", "granted": r"^同意公开", "partial": r"部分公开",
                     "denied": r"^不予公开", "reconsideration": r"^行政复议", "litigation": r"^行政诉讼"}
CUMULATIVE = re.compile(r"以来|历年|累计")


def _legacy_cells(record: dict, claim: Claim) -> list[str] | None:
    pattern = LEGACY_INDICATORS.get(claim.kind)
    if not pattern:
        return None
    for key, vals in (record.get("legacy") or {}).items():
        if re.search(pattern, key) and isinstance(vals, list) and vals:
            if CUMULATIVE.search(claim.sentence.flat):
                return [f"legacy.{key}[1]"] if len(vals) > 1 else None
            return [f"legacy.{key}[0]"]
    return None


def check(record: dict) -> list[dict]:
    form = t3_form(record)
    has_t3 = bool((record.get("t3") or {}).get("rows")) and form is not None
    has_t4 = bool(record.get("t4"))
    legacy = bool(record.get("legacy")) and not has_t3
    out, seen = [], set()
    for c in claims(record):
        kind = KINDS[c.kind]
        alts: list[list[str]] = []
        if legacy:
            cells = _legacy_cells(record, c)
            if cells is None:
                continue
        elif c.kind in ("reconsideration", "litigation") and not has_t4:
            continue
        elif c.kind not in ("reconsideration", "litigation") and not has_t3:
            continue
        else:
            cells, alts = kind.cells(form or "2021"), kind.alt(form or "2021")
        table = _sum(record, cells)
        if table is None:
            continue
        accepted = [table] + [v for v in (_sum(record, a) for a in alts) if v is not None]
        if any(abs(c.value - v) < 1e-9 for v in accepted):
            continue
        key = (c.kind, c.value, tuple(cells))
        if key in seen:
            continue
        seen.add(key)
        same = _same_scope(c, cumulative_column=legacy and cells[0].endswith("[1]"))
        where = f"第{c.sentence.where}部分" if c.sentence.where else "引言"
        where_en = f"section {c.sentence.where}" if c.sentence.where else "the introduction"
        cells_zh, cells_en = _cells_words(cells)
        msg = f"正文（{where}）称{kind.label} {_fmt(c.value)} 件，表格中为 {_fmt(table)} 件（{cells_zh}）。"
        msg_en = (f"The text ({where_en}) states {_fmt(c.value)} {kind.label_en}; the table has "
                  f"{_fmt(table)} ({cells_en}).")
        if same:
            msg += "句子所指即本机关，口径相同，二者必有一处有误。"
            msg_en += " The sentence speaks of the agency itself, so one of them is wrong."
        else:
            msg += "句子的统计口径可能与表格不同，请核对。"
            msg_en += " The sentence may count another scope; check it."
        evidence = f"“{c.quote}”；" + " + ".join(f"{x} = {_fmt(cell_value(record, CellRef.parse(x)))}"
                                                 for x in cells if cell_value(record, CellRef.parse(x)))
        evidence += f"（合计 {_fmt(table)}）" if len(cells) > 1 else ("" if table else f"{cells[0]} = 0")
        out.append(emit("prose.mismatch" if same else "prose.mismatch_scope", msg, msg_en, cells=cells,
                        evidence=evidence, prose_value=c.value, table_value=table))
    return out
