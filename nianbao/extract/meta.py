"""Report metadata: title, reporting year, publication date, 统计期限; the agency and region
are read by ``agency.py`` and ``place.py``."""
from __future__ import annotations

import re
from collections import Counter

from dataclasses import dataclass, field

from . import agency, opening
from .opening import Title
from .place import Region, resolve

Span = tuple[int, int]


@dataclass
class Meta:
    """What a report says of itself, with where each value was read."""
    agency: str | None = None
    region: Region = field(default_factory=Region)
    year: int | None = None
    published: str | None = None
    period: dict | None = None
    titles: list[Title] = field(default_factory=list)
    spans: dict[str, Span] = field(default_factory=dict)      # agency, year, published


def read(text: str, lines: list[str] | None = None) -> Meta:
    """Title, year, agency, region, publication date and 统计期限 of a report's text."""
    lines = text.split("\n") if lines is None else lines
    titles = find_titles(text)
    year, yspan = find_year(text, titles)
    name, aspan = find_agency(text, titles, lines)
    published, pspan = find_published(text, lines, year)
    region = resolve(name, text, year, aspan)
    spans = {k: s for k, s in (("agency", aspan), ("year", yspan), ("published", pspan)) if s}
    return Meta(region.correct(name), region, year, published, find_period(text), titles, spans)

_PERIOD = re.compile(r"统计期限?(?:为|是|自|从)?\s*((?:19|20)\d\d)\s*年\s*1\s*月\s*1\s*日")
_DATE_LABELED = re.compile(r"(?:发布时间|发布日期|生成日期|成文日期|发文日期|日期|(?<![统期])时间(?=\s*[:：]))\s*[:：]?\s*"
                           r"((?:19|20)\d\d)[-./年]\s*(\d{1,2})[-./月]\s*(\d{1,2})")
_DATE_CN = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
def find_titles(text: str, limit: int = opening.HEAD) -> list[Title]:
    """Where the report names itself (see ``opening.find_titles``)."""
    return opening.find_titles(text, limit)


def find_year(text: str, titles: list[Title]) -> tuple[int | None, tuple[int, int] | None]:
    for t in titles:
        return t.year, t.year_span
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


def find_agency(text: str, titles: list[Title], lines: list[str]) -> tuple[str | None, tuple[int, int] | None]:
    """The agency the report is of (see ``agency.find_agency``)."""
    return agency.find_agency(text, titles, lines)


def find_published(text: str, lines: list[str], year: int | None) -> tuple[str | None, tuple[int, int] | None]:
    head = text[:3000]
    # (every label holds 时间 or 日期 at most two letters in: the search starts there)
    i = min((j for j in (head.find("时间"), head.find("日期")) if j >= 0), default=-1)
    m = _DATE_LABELED.search(head, max(0, i - 2)) if i >= 0 else None
    if m:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}", m.span()
    tail = "\n".join(lines[-40:])
    offset = len(text) - len(tail) if text.endswith(tail) else text.rfind(tail)
    dates = list(_DATE_CN.finditer(tail))
    for m in reversed(dates):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        line = tail[tail.rfind("\n", 0, m.start()) + 1: (tail.find("\n", m.end()) + 1 or len(tail) + 1) - 1]
        # A sign-off date stands alone on its line, or ends the text.
        after = re.sub(r"[—–\-－]\s*\d{1,3}\s*[—–\-－]|第\s*\d+\s*页|\s", "",
                       opening.FOOTER.split(text[offset + m.end():], 1)[0])     # the site's footer is no text
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
    return resolve(agency, text, year).name


def find_period(text: str) -> dict | None:
    m = re.search(r"统计期限?[^。；;]{0,12}?((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:起)?\s*"
                  r"(?:至|到|—|-|－|~)\s*((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", text)
    if not m:
        return None
    g = [int(x) for x in m.groups()]
    return {"start": f"{g[0]:04d}-{g[1]:02d}-{g[2]:02d}", "end": f"{g[3]:04d}-{g[4]:02d}-{g[5]:02d}",
            "evidence": m.group(0)}
