"""Year and agency from an entry's title, read as the extractor reads a report's own title."""
from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")


def read_title(title: str | None) -> tuple[int | None, str | None]:
    """(year, agency) named by a title such as 平潭县财政局2009年度政府信息公开年度报告; None where it names none."""
    from ..extract import meta

    text = _SPACE.sub("", title or "")
    if not text:
        return None, None
    m = meta.read(text, [text])
    year = m.year if m.year is not None and 1990 <= m.year <= 2100 else None
    return year, m.agency


def better_title(listed: str | None, shown: str | None) -> str | None:
    """The listing's link text, unless the listing cut it short (…) or it names no report: then the
    page's own title, when that names one."""
    from .pages import TRUNCATED, is_report_title
    listed, shown = (listed or "").strip(), (shown or "").strip()
    if shown and is_report_title(shown) and (not listed or TRUNCATED.search(listed) or not is_report_title(listed)):
        return shown
    return listed or shown or None
