"""Report metadata: agency, region, reporting year, publication date."""
from __future__ import annotations

import re
from collections import Counter

_TITLE = re.compile(
    r"(?P<pre>[^\s，。,;；:：“”《》()（）]{0,40}?)\s*(?P<year>(?:19|20)\d\d)\s*年\s*(?:度)?\s*"
    r"(?P<mid>[^\s，。,;；:：“”《》()（）]{0,40}?)\s*(?:政府)?信息公开(?:工作)?\s*年\s*度\s*报\s*告")
_AGENCY_END = re.compile(r"(人民政府办公室|人民政府办公厅|人民政府|政府办公室|政府办公厅|办公室|办公厅|委员会|管理委员会|"
                         r"局|委|厅|院|中心|署|办|街道办事处|人民法院|人民检察院|[镇乡]人民政府|[镇乡]|街道|政府|"
                         r"公司|所|站|队|馆|会|处|部)$")
_LEADING_JUNK = re.compile(r"^(.*?(特公布|现公布|公布|发布|编制|关于|印发|附件\d*[:：]?|\.docx?|\.pdf))")
_PERIOD = re.compile(r"统计期限?(?:为|是|自|从)?\s*((?:19|20)\d\d)\s*年\s*1\s*月\s*1\s*日")
_DATE_LABELED = re.compile(r"(?:发布时间|发布日期|生成日期|成文日期|发文日期|日期)\s*[:：]?\s*"
                           r"((?:19|20)\d\d)[-./年]\s*(\d{1,2})[-./月]\s*(\d{1,2})")
_DATE_CN = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
def _clean_agency(raw: str) -> str | None:
    s = "".join(raw.split())
    s = _LEADING_JUNK.sub("", s)
    s = s.strip("“”\"'《》<>[]【】?？·-—_ ")
    s = re.sub(r"(关于)?\d{4}年?$", "", s)
    if len(s) < 3 or len(s) > 40:
        return None
    if not _AGENCY_END.search(s):
        return None
    if re.search(r"[，。；！？、]|本报告|根据|按照", s):
        return None
    return s


def find_titles(text: str, limit: int = 6000) -> list[re.Match]:
    head = text[:limit]
    return list(_TITLE.finditer(head))


def find_year(text: str, titles: list[re.Match]) -> tuple[int | None, tuple[int, int] | None]:
    for m in titles:
        return int(m.group("year")), m.span("year")
    m = _PERIOD.search(text)
    if m:
        return int(m.group(1)), m.span(1)
    m = re.search(r"((?:19|20)\d\d)\s*年度?\s*(?:政府)?信息公开", text[:3000])
    if m:
        return int(m.group(1)), m.span(1)
    years = Counter(int(y) for y in re.findall(r"((?:19|20)\d\d)\s*年", text[:8000]))
    if years:
        y, _ = years.most_common(1)[0]
        m = re.search(str(y), text)
        return y, (m.span() if m else None)
    return None, None


def find_agency(text: str, titles: list[re.Match], lines: list[str]) -> tuple[str | None, tuple[int, int] | None]:
    for m in titles:
        for group in ("pre", "mid"):
            raw = m.group(group)
            agency = _clean_agency(raw) if raw else None
            if not agency and group == "mid" and raw and text.startswith("政府", m.end(group)):
                # "2021年度长沙县人民政府信息公开工作年度报告": the agency's 政府 doubles as the title's
                agency = _clean_agency(raw + "政府")
                if agency:
                    return agency, (m.start(group), m.end(group) + 2)
            if agency:
                return agency, m.span(group)
        # The agency on the line above a title line that starts with the year.
        if not m.group("pre"):
            before = text[:m.start()].rstrip().rsplit("\n", 1)[-1]
            agency = _clean_agency(before)
            if agency:
                start = text.rfind(before, 0, m.start())
                return agency, (start, start + len(before))
    # Sign-off: an agency name on its own line just before a date at the end.
    tail_lines = [l.strip() for l in lines[-30:] if l.strip()]
    for i in range(len(tail_lines) - 1, 0, -1):
        if _DATE_CN.fullmatch(tail_lines[i].replace(" ", "")):
            agency = _clean_agency(tail_lines[i - 1])
            if agency:
                pos = text.rfind(tail_lines[i - 1])
                return agency, (pos, pos + len(tail_lines[i - 1]))
    m = re.search(r"本报告由([^\s，,。（(]{3,30}?)(?:按照|根据|依据|编制)", text[:4000])
    if m:
        agency = _clean_agency(m.group(1))
        if agency:
            return agency, m.span(1)
    return None, None


def find_published(text: str, lines: list[str], year: int | None) -> tuple[str | None, tuple[int, int] | None]:
    m = _DATE_LABELED.search(text[:3000])
    if m:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}", m.span()
    tail = "\n".join(lines[-40:])
    offset = len(text) - len(tail) if text.endswith(tail) else text.rfind(tail)
    dates = list(_DATE_CN.finditer(tail))
    for m in reversed(dates):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        line = tail[tail.rfind("\n", 0, m.start()) + 1: (tail.find("\n", m.end()) + 1 or len(tail) + 1) - 1]
        # A sign-off date stands alone on its line, or ends the text.
        after = re.sub(r"[—–\-－]\s*\d{1,3}\s*[—–\-－]|第\s*\d+\s*页|\s", "", text[offset + m.end():])
        at_end = len(after) <= 2
        if len(line.strip().replace(" ", "")) > 14 and not at_end:
            continue
        if year is not None and not (year <= y <= year + 1):
            continue
        if 1 <= mo <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{mo:02d}-{d:02d}", (offset + m.start(), offset + m.end())
    return None, None


def region_of(agency: str | None, text: str = "", year: int | None = None) -> str | None:
    """The agency's administrative chain, province first (山东省济宁市任城区); see ``place.resolve``."""
    from .place import resolve
    return resolve(agency, text, year).name


def find_period(text: str) -> dict | None:
    m = re.search(r"统计期限?[^。；;]{0,12}?((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:起)?\s*"
                  r"(?:至|到|—|-|－|~)\s*((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", text)
    if not m:
        return None
    g = [int(x) for x in m.groups()]
    return {"start": f"{g[0]:04d}-{g[1]:02d}-{g[2]:02d}", "end": f"{g[3]:04d}-{g[4]:02d}-{g[5]:02d}",
            "evidence": m.group(0)}
