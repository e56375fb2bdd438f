"""Cross-year rules: one agency's report against its previous year's.

``cross_year(previous, current)`` compares two records of the same agency; the store decides which
records are pairs. Carry-over and 现行有效 continuity need consecutive years; identical tables and
copied prose are reported for any pair.
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..template import SECTIONS, T3_COLUMNS
from .describe import describe_cell
from .rules import emit, rule
from .text import full_text, sections_of

rule("cross.carry_over", "error", "cross", "上年结转与上年报告不符", "carry-over does not match last year",
     "本年表三“二、上年结转”应等于上一年度报告表三“四、结转下年度继续办理”（逐列）。",
     "Table 3 'carried over from last year' must equal last year's 'carried to next year', column by column.")
rule("cross.in_force", "warning", "cross", "现行有效件数不衔接", "documents in force do not carry on",
     "本年“现行有效件数”应约等于上年现行有效件数 + 本年制发件数 − 本年废止件数（各机关会重新清理，故为提示性检查）。",
     "This year's number in force should be about last year's + issued − repealed (agencies re-count, so "
     "this is a warning).")
rule("cross.identical_tables", "warning", "cross", "表格与上年完全相同", "table identical to last year's",
     "本年表格（非全零）与上一年度报告逐格相同，可能照抄了上年数据。",
     "A (not all-zero) table is identical, cell by cell, to last year's: the figures may have been copied.")
rule("cross.copied_prose", "warning", "cross", "正文大量照抄上年", "prose largely copied from last year",
     "正文与上一年度报告重复率超过 50%（数字不计，报告格式的固定表述如编制依据、统计期限、收费说明不计），"
     "政务公开评估通常对此扣分。",
     "More than half of the text (ignoring numbers and the form's fixed wording: the basis of the report, the "
     "statistics period, the fee statement) repeats last year's report, which evaluations penalise.")

rule("cross.section_repeat", "info", "cross", "章节与上年重复", "section repeats last year's",
     "本年某一部分的文字与上一年度报告同一部分逐句相同的比例（重复率，数字不计）达到 30% 以上；"
     "评估中常按各部分重复率扣分（扣分标准见评分权重文件）。",
     "At least 30% of a section's text (ignoring numbers) repeats the same section of last year's report "
     "sentence by sentence; evaluations grade deductions by each section's repeat rate (see the score weights).")

COPY_THRESHOLD = 0.5
SECTION_REPEAT_FLOOR = 0.3  # below it a section is not reported; the score's weights grade what is
_MIN_SENTENCE = 8  # shorter sentences are headings and stock phrases


def _fmt(v) -> str:
    return str(int(v)) if isinstance(v, (int, float)) and float(v).is_integer() else str(v)


def _year(rec: dict):
    return (rec.get("meta") or {}).get("year")


def _rows(rec: dict) -> dict:
    return (rec.get("t3") or {}).get("rows") or {}


def carry_over(previous: dict, current: dict) -> list[dict]:
    before, now = _rows(previous).get("carry_next"), _rows(current).get("carried")
    if not before or not now:
        return []
    out = []
    py, cy = _year(previous), _year(current)
    for c, col in enumerate(T3_COLUMNS):
        if c >= len(before) or c >= len(now) or before[c] is None or now[c] is None:
            continue
        if before[c] != now[c]:
            out.append(emit(
                "cross.carry_over",
                f"{cy} 年度表三“二、上年结转”（{col.label}）为 {_fmt(now[c])}，而 {py} 年度报告"
                f"“四、结转下年度继续办理”为 {_fmt(before[c])}，两者应相等。",
                f"{cy} table 3 'carried over' ({col.label_en}) is {_fmt(now[c])}, but the {py} report carried "
                f"{_fmt(before[c])} to the next year; they should be equal.",
                cells=[f"t3.carried[{c}]"], previous_cells=[f"t3.carry_next[{c}]"],
                evidence=f"{cy}: t3.carried[{c}] = {_fmt(now[c])}；{py}: t3.carry_next[{c}] = {_fmt(before[c])}"))
    return out


def in_force(previous: dict, current: dict) -> list[dict]:
    p, c = previous.get("t2") or {}, current.get("t2") or {}
    if p.get("layout") != "2021" or c.get("layout") != "2021":
        return []
    out = []
    for key in ("regulations", "normative_docs"):
        pv, cv = p.get(key), c.get(key)
        if not (isinstance(pv, list) and isinstance(cv, list) and len(pv) == 3 and len(cv) == 3):
            continue
        if any(not isinstance(v, (int, float)) for v in (pv[2], cv[0], cv[1], cv[2])):
            continue
        expected = pv[2] + cv[0] - cv[1]
        if expected != cv[2]:
            name, name_en = describe_cell(f"t2.{key}[2]", "zh", "2021"), describe_cell(f"t2.{key}[2]", "en", "2021")
            out.append(emit(
                "cross.in_force",
                f"{name}为 {_fmt(cv[2])}，而上年现行有效 {_fmt(pv[2])} + 本年制发 {_fmt(cv[0])} − 本年废止 "
                f"{_fmt(cv[1])} = {_fmt(expected)}（相差 {_fmt(abs(cv[2] - expected))}）。若系重新清理所致，宜在正文说明。",
                f"{name_en} is {_fmt(cv[2])}, while last year's {_fmt(pv[2])} + issued {_fmt(cv[0])} − repealed "
                f"{_fmt(cv[1])} = {_fmt(expected)}. If the agency re-counted, the text should say so.",
                cells=[f"t2.{key}[2]", f"t2.{key}[0]", f"t2.{key}[1]"], previous_cells=[f"t2.{key}[2]"],
                evidence=f"{_year(current)}: t2.{key} = {cv}；{_year(previous)}: t2.{key} = {pv}"))
    return out


def _nonzero(table) -> bool:
    def walk(v):
        if isinstance(v, dict):
            return any(walk(x) for k, x in v.items() if k != "layout")
        if isinstance(v, list):
            return any(walk(x) for x in v)
        return isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0
    return walk(table)


def identical_tables(previous: dict, current: dict) -> list[dict]:
    out = []
    names = {"t2": ("表二", "table 2"), "t3": ("表三", "table 3"), "t4": ("表四", "table 4")}
    for key, (zh, en) in names.items():
        p, c = previous.get(key), current.get(key)
        if p and c and p == c and _nonzero(c):
            out.append(emit(
                "cross.identical_tables",
                f"{_year(current)} 年度{zh}与 {_year(previous)} 年度逐格完全相同（且不全为 0），可能照抄了上年数据，请核实。",
                f"{en.capitalize()} of {_year(current)} is identical, cell by cell, to {_year(previous)}'s "
                "(and not all zero): the figures may have been copied.",
                cells=[key], previous_cells=[key], evidence=f"{key}: {_brief(c)}"))
    return out


def _brief(table) -> str:
    if isinstance(table, dict) and "rows" in table:
        table = table["rows"]
    text = str(table)
    return text[:160] + ("…" if len(text) > 160 else "")


_SPLIT = re.compile(r"[。！？；;!?\n]")
# The form's own wording, the same in every report of every year: not what 重复率 measures.
_BOILERPLATE = re.compile(r"(?:根据|依据|按照).{0,40}(?:条例|通知|格式).{0,30}(?:编制|要求)|统计期限|电子版|如对本?报告|"
                          r"(?:收取|产生).{0,6}信息处理费|无其他需要报告|全文包括总体情况|本报告(?:由|包括|分为)")


_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _sentences(rec: dict, text: str | None = None) -> tuple[str, ...]:
    return _sentences_of(full_text(rec) if text is None else text)


@lru_cache(maxsize=1024)
def _sentences_of(text: str) -> tuple[str, ...]:
    # cached: a report is compared with the year before and the year after, section by section and whole
    out = []
    for s in _SPLIT.split(text):
        s = _SPACE.sub("", s)
        if "|" in s:
            continue
        # Numbers and years change every year; copying is about the words around them.
        s = _NUMBER.sub("#", s)
        if len(_HAN.findall(s)) >= _MIN_SENTENCE and not _BOILERPLATE.search(s):
            out.append(s)
    return tuple(out)


def copy_rate(previous: dict, current: dict) -> float:
    """Share of the current text (in characters) made of sentences found verbatim last year."""
    now = _sentences(current)
    if not now:
        return 0.0
    before = set(_sentences(previous))
    total = sum(len(s) for s in now)
    copied = sum(len(s) for s in now if s in before)
    return copied / total


def copied_prose(previous: dict, current: dict) -> list[dict]:
    rate = copy_rate(previous, current)
    if rate <= COPY_THRESHOLD:
        return []
    before = set(_sentences(previous))
    example = next((s for s in _sentences(current) if s in before and len(s) > 20), "")
    return [emit(
        "cross.copied_prose",
        f"{_year(current)} 年度报告正文有 {rate:.0%} 与 {_year(previous)} 年度报告逐句相同（数字不计），超过 50%。",
        f"{rate:.0%} of the {_year(current)} text repeats the {_year(previous)} report sentence by sentence "
        "(numbers ignored), above 50%.",
        cells=["sections"], evidence=f"重复率 {rate:.1%}；例：“{example[:80]}”", copy_rate=round(rate, 4),
        measure=round(rate, 4))]


def _rate(now: list[str], before: set[str]) -> float:
    total = sum(len(s) for s in now)
    return sum(len(s) for s in now if s in before) / total if total else 0.0


def section_repeat(previous: dict, current: dict) -> list[dict]:
    """重复率 of each section against the same section of last year's report."""
    before = {s["number"]: s["text"] for s in sections_of(previous) if s["number"]}
    out = []
    for sec in sections_of(current):
        number = sec["number"]
        if not number or number not in before:
            continue
        now = _sentences(current, sec["text"])
        rate = _rate(now, set(_sentences(previous, before[number])))
        if rate < SECTION_REPEAT_FLOOR:
            continue
        title = next((x.title for x in SECTIONS if x.number == number), sec["title"])
        title_en = next((x.title_en for x in SECTIONS if x.number == number), sec["title"])
        out.append(emit(
            "cross.section_repeat",
            f"第{number}部分“{title}”有 {rate:.0%} 与 {_year(previous)} 年度报告同一部分逐句相同（数字不计）。",
            f"{rate:.0%} of section {number} ({title_en}) repeats the same section of the {_year(previous)} "
            "report sentence by sentence (numbers ignored).",
            cells=[f"sections.{number}"], evidence=f"重复率 {rate:.1%}", measure=round(rate, 4)))
    return out


def cross_year(previous: dict, current: dict) -> list[dict]:
    """Findings on ``current`` from comparing it with the same agency's ``previous`` report."""
    out = []
    py, cy = _year(previous), _year(current)
    if isinstance(py, int) and isinstance(cy, int) and cy == py + 1:
        out += carry_over(previous, current) + in_force(previous, current)
    out += identical_tables(previous, current) + copied_prose(previous, current) \
        + section_repeat(previous, current)
    return out


_PIECES = re.compile(r"(?<=[。！？；;!?])|\n")


def _key(sentence: str) -> str | None:
    """A sentence as ``copied_prose`` compares it (numbers ignored); None when too short to count."""
    s = re.sub(r"\s+", "", sentence).rstrip("。！？；;!?")
    if "|" in s:
        return None
    s = re.sub(r"\d+(?:\.\d+)?", "#", s)
    return s if len(re.findall(r"[\u4e00-\u9fff]", s)) >= _MIN_SENTENCE else None


def _blocks(rec: dict) -> list[dict]:
    from .text import preamble, sections_of
    blocks = [("", "", preamble(rec))] + [(s["number"], s["title"], s["text"]) for s in sections_of(rec)
                                           if s["number"]]
    out = []
    for number, title, text in blocks:
        pieces = [p.strip() for p in _PIECES.split(text or "") if p and p.strip()]
        if pieces:
            out.append({"number": number, "title": title,
                        "sentences": [{"text": p, "key": _key(p)} for p in pieces]})
    return out


def prose_diff(previous: dict, current: dict) -> dict:
    """The two reports' prose sentence by sentence, each marked when the other year says it too.

    The comparison is ``copied_prose``'s own (whitespace and numbers ignored, sentences of fewer than
    8 Chinese characters not counted), so the marked sentences are the ones its rate counts.
    ``{"rate", "current": [block], "previous": [block]}``; a block is a section
    ``{"number", "title", "sentences": [{"text", "key", "shared"}]}``.
    """
    cur, prev = _blocks(current), _blocks(previous)
    cur_keys = {s["key"] for b in cur for s in b["sentences"] if s["key"]}
    prev_keys = {s["key"] for b in prev for s in b["sentences"] if s["key"]}
    for blocks, other in ((cur, prev_keys), (prev, cur_keys)):
        for b in blocks:
            for s in b["sentences"]:
                s["shared"] = bool(s["key"]) and s["key"] in other
    return {"rate": copy_rate(previous, current), "current": cur, "previous": prev}
