"""Form: the right template for the year, no mixed generations, every table and section, the right period."""
from __future__ import annotations

import re

from ..template import SECTIONS, form_of_year
from .arithmetic import t3_form
from .rules import emit, rule
from .text import full_text, sections_of, sentence_at, squash

rule("form.layout_year", "error", "form", "表格格式与报告年度不符", "form does not fit the year",
     "2019、2020 年度报告应使用国办公开办函〔2019〕60号格式，2021 年度起应使用国办公开办函〔2021〕30号格式"
     "（表三“(六)其他处理”分 3 个子项，表二为“本年制发件数/本年废止件数/现行有效件数”等栏）；2018 年度及以前为各地附表。",
     "Reports for 2019 and 2020 use the form of 国办公开办函〔2019〕60号; reports from 2021 on use "
     "国办公开办函〔2021〕30号 (table 3 splits (6) other handling into three rows, table 2 has the columns "
     "issued/repealed/in force); reports up to 2018 use provincial appendix tables.")
rule("form.mixed", "warning", "form", "新旧表格格式混用", "form generations mixed",
     "同一报告中表二与表三分属不同年代的格式（如 2021 版表二配 2019 版表三）。",
     "Tables 2 and 3 of one report follow different generations of the form (e.g. a 2021 table 2 beside a "
     "2019 table 3).")
rule("form.missing_table", "error", "form", "缺少统计表", "table missing",
     "2019 年度起的报告应包含表二（主动公开）、表三（依申请公开）、表四（行政复议、行政诉讼）。",
     "Reports from 2019 on must contain table 2 (proactive disclosure), table 3 (requests) and table 4 "
     "(reconsideration and litigation).")
rule("form.missing_section", "error", "form", "缺少规定的部分", "section missing",
     "《条例》第五十条及年报格式要求的六个部分：一、总体情况；二、主动公开政府信息情况；三、收到和处理政府信息公开申请情况；"
     "四、政府信息公开行政复议、行政诉讼情况；五、存在的主要问题及改进情况；六、其他需要报告的事项。",
     "Art. 50 of the Regulations and the report format require six sections: overview; proactive disclosure; "
     "requests received and handled; reconsideration and litigation; problems and improvements; other matters.")
rule("form.period", "error", "form", "统计期限不是报告年度", "statistical period is not the report year",
     "年报所列数据的统计期限应为报告年度的 1 月 1 日至 12 月 31 日。",
     "The statistical period of the figures must be 1 January – 31 December of the report year.")

_T3_MARK = {"2019": ["t3.other"], "2021": ["t3.other_no_correction", "t3.other_no_fee", "t3.other_misc"]}
_FORM_DOC = {"2019": "国办公开办函〔2019〕60号", "2021": "国办公开办函〔2021〕30号"}


def _layout_year(record: dict, year: int) -> list[dict]:
    out = []
    want = form_of_year(year)
    t3 = t3_form(record) if (record.get("t3") or {}).get("rows") else None
    t2 = (record.get("t2") or {}).get("layout")
    if want == "pre2019":
        if record.get("t2") or record.get("t3") or record.get("t4"):
            out.append(emit(
                "form.layout_year",
                f"报告年度为 {year} 年，却印有 2019 年以后才使用的统一表格；报告年度可能识别有误，请核对标题与统计期限。",
                f"The report year is {year}, yet it prints the national tables used only from 2019 on; the year "
                "may be wrong — check the title and the statistical period.",
                cells=["meta.year"], evidence=f"meta.year = {year}；表三格式 {t3 or '—'}，表二格式 {t2 or '—'}"))
        return out
    if t3 and t3 != want:
        if want == "2021":
            msg = (f"{year} 年度报告应使用{_FORM_DOC['2021']}格式，表三“(六)其他处理”应分为 3 个子项；"
                   f"本报告的表三仍为 2019 版格式（“(六)其他处理”只有一行）。")
            msg_en = (f"A {year} report must use the form of {_FORM_DOC['2021']}, where table 3 splits "
                      "(6) other handling into three rows; this report's table 3 is still the 2019 form (one row).")
        else:
            msg = (f"{year} 年度报告应使用{_FORM_DOC['2019']}格式；本报告的表三却是 2021 版格式"
                   f"（“(六)其他处理”分 3 个子项），报告年度可能识别有误。")
            msg_en = (f"A {year} report uses the form of {_FORM_DOC['2019']}; this table 3 has the 2021 form "
                      "((6) split in three rows), so the year may be wrong.")
        out.append(emit("form.layout_year", msg, msg_en, cells=_T3_MARK[t3],
                        evidence=f"meta.year = {year}；表三格式 = {t3} 版（应为 {want} 版）"))
    if t2 in ("2019", "2021") and t2 != want:
        marks = "本年新制作数量/本年新公开数量/对外公开总数量" if t2 == "2019" else "本年制发件数/本年废止件数/现行有效件数"
        out.append(emit(
            "form.layout_year",
            f"{year} 年度报告的表二应为 {want} 版格式；本报告的表二是 {t2} 版（{marks}）。",
            f"Table 2 of a {year} report should follow the {want} form; this one is the {t2} form ({marks}).",
            cells=["t2.layout"], evidence=f"meta.year = {year}；表二格式 = {t2} 版（应为 {want} 版）"))
    if record.get("legacy") and not record.get("t3"):
        out.append(emit(
            "form.layout_year",
            f"{year} 年度报告仍使用 2019 年以前的附表，应改用{_FORM_DOC[want]}规定的统一表格。",
            f"A {year} report still prints a pre-2019 appendix table instead of the national tables of "
            f"{_FORM_DOC[want]}.",
            cells=["legacy"], evidence=f"meta.year = {year}；附表指标 {len(record['legacy'])} 项"))
    return out


def _mixed(record: dict) -> list[dict]:
    t3 = t3_form(record) if (record.get("t3") or {}).get("rows") else None
    t2 = (record.get("t2") or {}).get("layout")
    if t3 and t2 in ("2019", "2021") and t2 != t3:
        return [emit("form.mixed",
                     f"表二为 {t2} 版格式，表三却为 {t3} 版格式：新旧格式混用，应统一为同一版年报格式。",
                     f"Table 2 follows the {t2} form but table 3 the {t3} form: generations are mixed.",
                     cells=["t2.layout"] + _T3_MARK[t3], evidence=f"t2.layout = {t2}；表三格式 = {t3}")]
    return []


_TABLE_NAMES = {"t2": ("表二（主动公开政府信息情况）", "table 2 (proactive disclosure)"),
                "t3": ("表三（收到和处理政府信息公开申请情况）", "table 3 (requests received and handled)"),
                "t4": ("表四（行政复议、行政诉讼情况）", "table 4 (reconsideration and litigation)")}


def _missing_tables(record: dict, year: int) -> list[dict]:
    if year < 2019 or record.get("legacy"):
        return []
    out = []
    for key, (zh, en) in _TABLE_NAMES.items():
        if record.get(key) is None:
            out.append(emit(
                "form.missing_table",
                f"{year} 年度报告应包含{zh}，但未在报告中找到该表（若表格以图片形式发布，请人工核对）。",
                f"A {year} report must contain {en}; none was found (if the table was published as a picture, "
                "check by hand).", cells=[key], evidence=f"{key} = null"))
    return out


_COMPILED: dict[tuple, tuple] = {}


def _patterns(sec) -> tuple:
    """A section's title patterns, compiled once (the template has six sections)."""
    got = _COMPILED.get(sec.patterns)
    if got is None:
        got = _COMPILED[sec.patterns] = tuple(re.compile(p) for p in sec.patterns)
    return got


def _section_present(sections: list[dict], sec, lines) -> bool:
    """``lines``: a callable giving the report's lines, squashed (made only when the sections do not tell)."""
    for s in sections:
        if s["number"] == sec.number:
            return True
        title = squash(s["title"])
        if title and any(p.search(title) for p in _patterns(sec)):
            return True
    # Headings the extractor did not cut out: a short line "三、…" or the official title itself.
    head = re.compile(rf"^{sec.number}[、.．]")
    official = squash(sec.title)
    for line in lines():
        if len(line) > 40 or "|" in line:
            continue
        if head.match(line) and any(p.search(line) for p in _patterns(sec)):
            return True
        if official in line:
            return True
    return False


def _missing_sections(record: dict, year: int) -> list[dict]:
    sections = sections_of(record)
    if year < 2019 or not any(s["number"] for s in sections):
        return []  # no section structure was found: nothing to judge
    squashed: list[list[str]] = []

    def lines() -> list[str]:
        if not squashed:
            squashed.append([squash(line) for line in full_text(record).splitlines()])
        return squashed[0]

    found = [s["number"] for s in sections if s["number"]]
    out = []
    for sec in SECTIONS:
        if not _section_present(sections, sec, lines):
            out.append(emit(
                "form.missing_section",
                f"报告缺少第{sec.number}部分“{sec.title}”（《条例》第五十条及年报格式规定的六个部分之一）。",
                f"Section {sec.number} ({sec.title_en}) is missing: one of the six sections the Regulations "
                "(art. 50) and the format require.",
                cells=[f"sections.{sec.number}"], evidence=f"报告中的部分：{'、'.join(found) or '无'}"))
    return out


_DATE = r"(\d{4})年(\d{1,2})月(\d{1,2})日"
_PERIOD_FULL = re.compile(rf"统计(?:期限|时限|区间|时间|周期|期间)[^。；;]{{0,12}}?{_DATE}[^。；;\d]{{0,6}}?"
                          rf"(?:至|到|—|－|-|~|～)(?:(\d{{4}})年)?(\d{{1,2}})月(\d{{1,2}})日")
_PERIOD_YEAR = re.compile(r"统计(?:期限|时限|区间|时间|周期|期间)[^。；;\d]{0,8}?(\d{4})年(?:度|全年)?(?![\d月])")


def find_period(record: dict) -> tuple[dict | None, str]:
    """The statistical period the report states: ({"start", "end"}, quoted sentence)."""
    meta = record.get("meta") or {}
    if isinstance(meta.get("period"), dict) and meta["period"].get("start"):
        return meta["period"], ""
    text = squash(full_text(record))
    m = _PERIOD_FULL.search(text)
    if m:
        y1, m1, d1, y2, m2, d2 = m.groups()
        y2 = y2 or y1
        return ({"start": f"{int(y1):04d}-{int(m1):02d}-{int(d1):02d}",
                 "end": f"{int(y2):04d}-{int(m2):02d}-{int(d2):02d}"}, sentence_at(text, m.start(), m.end()))
    m = _PERIOD_YEAR.search(text)
    if m:
        y = int(m.group(1))
        return {"start": f"{y}-01-01", "end": f"{y}-12-31"}, sentence_at(text, m.start(), m.end())
    return None, ""


def _period(record: dict, year: int) -> list[dict]:
    period, quote = find_period(record)
    if not period:
        return []
    want = {"start": f"{year}-01-01", "end": f"{year}-12-31"}
    if period.get("start") == want["start"] and period.get("end") == want["end"]:
        return []
    return [emit("form.period",
                 f"报告称统计期限为 {period.get('start')} 至 {period.get('end')}，与报告年度 {year} 年"
                 f"（{want['start']} 至 {want['end']}）不符。",
                 f"The report states a statistical period of {period.get('start')} – {period.get('end')}, "
                 f"not the report year {year} ({want['start']} – {want['end']}).",
                 cells=["meta.period", "meta.year"], evidence=quote or f"meta.period = {period}")]


def check(record: dict) -> list[dict]:
    year = (record.get("meta") or {}).get("year")
    out = _mixed(record)
    if isinstance(year, int):
        out = _layout_year(record, year) + out + _missing_tables(record, year) \
            + _missing_sections(record, year) + _period(record, year)
    return out
