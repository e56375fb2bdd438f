"""Reading the web pages of a 年报 column: its entries and pagination, a report page's attachments.

Pages are decoded as the extractor decodes HTML (BOM, UTF-8, the declared charset with
gb2312/gbk read as gb18030, chardet last) and parsed with lxml; links are made absolute
against the page's final URL (or its ``<base href>``).
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .fetch import resolve

# what a report's own file can be; the extractor reads some of them (see nianbao.sources), the
# others (spreadsheets, OFD) are kept beside the report all the same
_DOC_RE = re.compile(r"\.(pdf|docx?|wps|xlsx?|et|ofd|txt)$", re.I)
# a scan linked from the page (a picture shown in it is a logo or a banner more often than a report)
_SCAN_RE = re.compile(r"\.(jpe?g|png|tiff?)$", re.I)
_YEAR = re.compile(r"(?:19|20)\d\d")
_REPORT = re.compile(r"年度报告|年报|年度工作报告")
_DISCLOSURE = re.compile(r"信息公开|政务公开")
TRUNCATED = re.compile(r"(\.\.\.|…|⋯)\s*$")
_NEXT = re.compile(r"^[\[【(（]?\s*(下一页|下页|后页|尾页|末页|最后一页|>|>>|»|›|\d{1,4})\s*[\]】)）]?$")
_TRS_PAGER = re.compile(r"createPage(?:HTML|Html)\s*\(([^)]*)\)")
_SPACE = re.compile(r"\s+")
# words only a report's statistical tables print (table 二's, 三's and 四's headings, the old appendix's)
_TABLE_WORDS = re.compile(r"本年新收|申请人情况|本年制发件数|行政复议|指标名称")


@dataclass
class Link:
    url: str
    text: str


@dataclass
class Page:
    url: str                     # the page's final URL
    title: str                   # the report title it shows, or its <title>
    links: list[Link] = field(default_factory=list)
    embeds: list[Link] = field(default_factory=list)   # iframe/embed/object sources (PDF viewers)
    scripts: str = ""
    has_tables: bool = False     # it prints a report's statistical tables itself
    prose: int = 0               # characters of text outside links (a report's body, not a list)


def is_html(data: bytes, content_type: str | None, name: str = "") -> bool:
    from ..sources import sniff_format
    fmt = sniff_format(data[:2048], name or "")
    ctype = (content_type or "").lower()
    return fmt == "html" or (fmt == "txt" and ("html" in ctype or "xml" in ctype))


def is_report_title(text: str) -> bool:
    """A link or page title naming an annual report: 年度报告/年报 and a year or 信息公开, or a
    title cut short by the listing (``…``) that still shows a year and 信息公开."""
    text = _SPACE.sub("", text or "")
    if not text or len(text) > 80:  # longer: a page's info block or a sentence naming a report
        return False
    if _REPORT.search(text):
        return bool(_YEAR.search(text) or _DISCLOSURE.search(text))
    return bool(TRUNCATED.search(text) and _YEAR.search(text) and _DISCLOSURE.search(text))


def parse(data: bytes, url: str) -> Page | None:
    """The page's title, links and embedded documents; None for what is not an HTML page."""
    import lxml.html
    from lxml import etree

    from ..sources import SourceError
    from ..sources.decode import decode
    try:
        text, _ = decode(data, html=True)
    except SourceError:
        return None
    text = text.lstrip("\ufeff")
    if not text.strip():
        return Page(url, "")
    try:
        # an encoding declaration inside a str makes lxml refuse it
        root = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text))
    except (etree.ParserError, ValueError):
        return Page(url, "")
    base = url
    for b in root.iter("base"):
        if b.get("href"):
            base = resolve(url, b.get("href")) or url
            break
    page = Page(url, _title(root))
    for a in root.iter("a"):
        target = resolve(base, a.get("href") or "")
        if target is None:
            continue
        label = _clean(a.text_content())
        title = _clean(a.get("title") or "")
        if title and (len(title) >= len(label) or TRUNCATED.search(label)):
            label = title
        page.links.append(Link(target, label))
    for tag, attr in (("iframe", "src"), ("embed", "src"), ("object", "data")):
        for el in root.iter(tag):
            target = resolve(base, el.get(attr) or "")
            if target:
                page.embeds.append(Link(target, ""))
    page.scripts = "\n".join(s.text or "" for s in root.iter("script"))[:200_000]
    page.has_tables = any(_TABLE_WORDS.search(t.text_content()[:20000]) for t in root.iter("table"))
    body = next(root.iter("body"), root)
    linked = sum(len(_SPACE.sub("", a.text_content())) for a in body.iter("a"))
    page.prose = max(0, len(_SPACE.sub("", body.text_content())) - linked)
    return page


def _clean(s: str) -> str:
    return _SPACE.sub(" ", s or "").strip()


def _headline(text: str) -> str:
    """A title without the crumbs pages print before it: 当前位置：首页 > … > title, 标题：title."""
    text = re.split(r"\s*[>＞›»]\s*", _clean(text))[-1]
    return re.split(r"标\s*题\s*[:：]\s*", text)[-1].strip()


def _title(root) -> str:
    for m in root.iter("meta"):
        if (m.get("name") or "").lower() in ("articletitle", "title") and m.get("content"):
            return _headline(m.get("content"))
    for t in root.iter("title"):
        # "XX局2023年度政府信息公开工作年度报告_XX市人民政府门户网站": the site's name goes
        head = _headline(re.split(r"\s*[_|｜]\s*|\s+-\s+", _clean(t.text_content()))[0])
        if is_report_title(head):
            return head
    for tag in ("h1", "h2", "h3"):
        for h in root.iter(tag):
            t = _headline(h.text_content())
            if is_report_title(t):
                return t
    for t in root.iter("title"):
        return _clean(t.text_content())
    return ""


def entries(page: Page) -> list[Link]:
    """The report entries a listing page links to, in page order, each once."""
    out, seen = [], {page.url}
    for link in page.links:
        if link.url in seen or not is_report_title(link.text):
            continue
        path = urlsplit(link.url).path
        # a link back to a column (its index page or folder) is navigation, not a report
        if not _YEAR.search(link.text) and (path.endswith("/") or re.search(r"/index(_\d+)?\.\w+$", path)):
            continue
        seen.add(link.url)
        out.append(link)
    return out


def pagination(page: Page, column_url: str) -> list[str]:
    """The other pages of the listing: "下一页", page numbers and TRS ``createPageHTML`` scripts,
    kept to the column's own folder on its own host."""
    col = urlsplit(column_url)
    folder = posixpath.dirname(col.path)

    def same_listing(url: str) -> bool:
        u = urlsplit(url)
        return u.netloc == col.netloc and (posixpath.dirname(u.path) == folder or u.path == col.path)

    out: list[str] = []
    for link in page.links:
        if _NEXT.match(link.text) and same_listing(link.url) and link.url not in out and link.url != page.url:
            out.append(link.url)
    for args in _TRS_PAGER.findall(page.scripts):
        numbers = [int(x) for x in re.findall(r"(?<![\w.])(\d+)(?![\w.])", args)]
        words = re.findall(r"""["']([^"']*)["']""", args)
        if not numbers or len(words) < 2:
            continue
        # createPageHTML(count, current, "index", "htm") or createPageHTML('div', count, current, 'index', 'html', n)
        count = numbers[0]
        prefix, suffix = words[-2], words[-1]
        if not re.fullmatch(r"[\w.-]+", prefix) or not re.fullmatch(r"\w+", suffix):
            continue
        for i in range(min(count, 1000)):
            name = f"{prefix}.{suffix}" if i == 0 else f"{prefix}_{i}.{suffix}"
            url = resolve(page.url, name)
            if url and url != page.url and url not in out and same_listing(url):
                out.append(url)
    return out


def attachments(page: Page) -> list[Link]:
    """Files the page links to or embeds that may hold the report: PDF, DOC, DOCX, WPS, XLS, TXT,
    a linked scan, or a download link named as an attachment."""
    out, seen = [], {page.url}
    embedded = {e.url for e in page.embeds}
    for link in page.links + page.embeds:
        if link.url in seen:
            continue
        path = urlsplit(link.url).path
        if _DOC_RE.search(path) or _DOC_RE.search(link.text) or \
                (link.url not in embedded and _SCAN_RE.search(path)) or \
                (re.search(r"附件|下载", link.text) and not re.search(r"\.s?html?$", path, re.I)
                 and re.search(r"(?i)download|attach|file|fj", link.url)):
            seen.add(link.url)
            out.append(link)
    return out


PROSE = 800  # a report's page reads like one; a listing is mostly its links


def kind(page: Page) -> str:
    """"report" for a report's own page, "column" for a listing of reports.

    A page that prints the tables is a report; one that links three reports or more is a listing;
    otherwise a page titled as a year's report with an attachment or a body of text is the report
    (its links are to other years), and one with links to reports is a listing."""
    if page.has_tables:
        return "report"
    found = entries(page)
    if len(found) >= 3:
        return "column"
    titled = is_report_title(page.title) and bool(_YEAR.search(page.title))
    if titled and (attachments(page) or page.prose >= PROSE or not found):
        return "report"
    return "column" if found else "report"
