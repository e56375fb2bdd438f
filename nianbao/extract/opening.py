"""The opening of a report page: what the site, the crawler or the converter printed around the
report's own words, and the report's title.

- *fields*: ``key：value`` pairs of a crawler header (``标题: …``, ``发布机构: …``), of an
  索引号/发布机构/发布日期 block, of a byline (``来源：区民政局 时间：…``) and of the footer
  (``主办单位：…``, ``版权所有：…``), flattened on one line or not;
- *crumbs*: the breadcrumb (``当前位置：首页 > 政务公开 > … > 年度报告``), separators or none;
- *titles*: every place where the report names itself (``XX局2022年度政府信息公开工作年度报告``,
  ``2022年上海市政府信息公开工作年度报告``), with what stands before the year (``pre``) and between
  the year and 信息公开 (``mid``).

Plain text in, plain data out; deciding what is an agency is ``agency.py``'s job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

HEAD = 6000         # the opening: crawler header, breadcrumb, title, first paragraphs
TAIL = 1500         # the footer: sign-off, 主办单位, 版权所有

# Keys of header and footer fields, longest first so that 信息来源 is not read as 来源.
_TITLE_KEYS = ("文章标题", "信息名称", "标题", "题名", "名称")
_ORGAN_KEYS = ("发布机构", "发文机关", "发文单位", "发布单位", "制发机关", "公开主体", "信息来源", "所属机构",
               "所属单位", "责任单位", "责任部门", "主办单位", "承办单位", "供稿单位", "来源单位", "来源", "主办",
               "版权所有", "发布者", "网站")
_OTHER_KEYS = ("信息索引号", "索引号", "主题分类", "体裁分类", "组配分类", "服务对象分类", "分类", "发文字号",
               "文件编号", "文号", "主题词", "关键词", "有效性", "时效性", "浏览次数", "点击数", "访问量", "阅读次数",
               "字号", "栏目", "原文链接", "本地目录", "公开方式", "公开范围", "公开时限", "公开形式", "责任编辑",
               "编辑", "审核", "作者", "发布日期", "发布时间", "成文日期", "生成日期", "公开日期", "印发日期",
               "更新时间", "时间", "日期", "网站标识码", "联系电话", "电话", "地址", "邮编")
TITLE_KEYS = frozenset(_TITLE_KEYS)
ORGAN_KEYS = frozenset(_ORGAN_KEYS)
_KEYS = sorted(_TITLE_KEYS + _ORGAN_KEYS + _OTHER_KEYS, key=len, reverse=True)
# Read backwards from each colon: the key ends right before it (a colon is rarer than a key's letters).
# a key may be spaced out to fill its cell (索 引 号, 发布机构)
_KEY_BEFORE = re.compile(r"[【\[]?\s*(" + "|".join("[ \u3000]*".join(k) for k in _KEYS) + r")\s*[】\]]?\s*$")
_KEY_LAST = frozenset(k[-1] for k in _KEYS)
_COLON = re.compile(r"[:：]\s*")
_COPYRIGHT = re.compile(r"([^\s：:|©]{3,40})\s*版权所有")
_SITE_WORD = re.compile(r"门户网站|政府网站|政府网|政务网|官方网站|政务公开网")
_SITE = re.compile(r"([^\s：:|©>＞，。、；]{3,30})$")
# Where a page's footer starts: what follows is the site's, not the report's.
FOOTER = re.compile(r"主办单位|主\s*办\s*[:：]|承办单位|技术支持|版权所有|网站标识码|ICP备|公网安备|Copyright|©|联系我们|网站地图|"
                    r"附件下载|相关附件|打印本页|关闭窗口|【\s*打印\s*】|【\s*关闭\s*】|分享到")
_CRUMB = re.compile(r"(?:当前位置|您的位置|您当前的位置|您现在的位置|当前所在位置|所在位置|您所在的位置)\s*[:：]\s*([^\n]{0,300})")
_CRUMB_SEP = re.compile(r"\s*(?:>>|>|＞|»|›|→|/|\\|\||-{1,2}>)\s*")

# A title: the year, 年(度), then (政府|政务)(信息)(工作)公开, then (工作|年度|情况)… 报告 | 总结 | 年报.
_WORDS = r"[^\s，。,;；:：“”\"《》()（）<>【】\[\]、]"
_CORE = r"(?:(?:政\s*府|政\s*务)\s*(?:信\s*息)?\s*(?:工\s*作)?|信\s*息\s*(?:工\s*作)?|工\s*作)\s*公\s*开"
_REPORT = r"(?:\s*(?:工\s*作|年\s*度|情\s*况|年))*\s*(?:报\s*告|总\s*结|年\s*报)"
_TITLE = re.compile(
    rf"(?P<pre>{_WORDS}{{0,40}}?)\s*(?P<year>(?:19|20)\d\d)\s*年\s*(?:度)?\s*"
    rf"(?P<mid>{_WORDS}{{0,40}}?)\s*(?P<core>{_CORE}){_REPORT}")
# In a 标题 field the report word may be cut off (平潭县卫生局2011年度政府信息公开).
_FIELD_TITLE = re.compile(
    rf"(?P<pre>{_WORDS}{{0,40}}?)\s*(?P<year>(?:19|20)\d\d)\s*年\s*(?:度)?\s*"
    rf"(?P<mid>{_WORDS}{{0,40}}?)\s*(?P<core>{_CORE})")
_MARKS = r"，。,;；:：“”\"《》()（）<>【】\[\]、\n"     # what no title holds
_MARK = re.compile(rf"[{_MARKS}]")
_LAST_MARK = re.compile(rf"(?s:.*)[{_MARKS}]")
_YEAR = re.compile(r"(?:19|20)\d\d")
_REPORT_WORD = re.compile(r"告|结|年\s*报")
# What every title holds from its 公开 on: found by its first letter, a fast scan of the head.
_TITLE_END = re.compile(rf"公\s*开{_REPORT}")


@dataclass(frozen=True)
class Field:
    key: str
    value: str
    span: tuple[int, int]       # of the value in the text


@dataclass(frozen=True)
class Title:
    year: int
    year_span: tuple[int, int]
    pre: str                    # before the year (the agency, a place, 关于报送《…), as printed
    pre_span: tuple[int, int]
    mid: str                    # between the year and 信息公开 (2022年上海市政府信息公开…)
    mid_span: tuple[int, int]
    span: tuple[int, int]
    field: bool = False         # read from a 标题 field (the page's own title)
    gov_after_mid: bool = False  # the mid is followed by the 政府 of 政府信息公开

    def group(self, name: str) -> str:
        return getattr(self, name)

    def start(self) -> int:
        return self.span[0]


@lru_cache(maxsize=8)
def fields(text: str) -> tuple[Field, ...]:
    """The ``key：value`` fields of the page's header (first HEAD characters) and footer (last TAIL)."""
    out: list[Field] = []
    for a, b in _windows(text):
        keys = []       # (key, start of the key, end of the colon)
        for c in _COLON.finditer(text, a, b):
            before = text[max(a, c.start() - 3):c.start()].rstrip(" \u3000】]")
            if not before or before[-1] not in _KEY_LAST:
                continue
            lo = max(a, c.start() - 16)
            k = _key_before(text[lo:c.start()])
            if k:
                keys.append((k[1], lo + k[0], c.end()))
        for i, (key, _, value_start) in enumerate(keys):
            end = keys[i + 1][1] if i + 1 < len(keys) else b
            nl = text.find("\n", value_start, end)
            raw = text[value_start:end if nl < 0 else nl]
            value = raw.strip(" \t\u3000|│")      # a table's cells come separated by pipes
            if key not in TITLE_KEYS and value:
                value = value.split()[0]        # a byline goes on with words that are no part of it
            if value:
                s = value_start + raw.find(value)
                out.append(Field(key, value, (s, s + len(value))))
        for w in _SITE_WORD.finditer(text, a, min(b, a + 400) if a == 0 else b):
            m = _SITE.search(text, max(a, w.start() - 30), w.start())
            if m:
                out.append(Field("网站", m.group(1), m.span(1)))
        i = text.find("版权所有", a, b)
        while i >= 0:
            m = _COPYRIGHT.search(text, max(a, i - 45), i + 4)
            if m:
                out.append(Field("版权所有", m.group(1), m.span(1)))
            i = text.find("版权所有", i + 4, b)
    return tuple(out)


_KEYS_SEEN: dict[str, tuple[int, str] | None] = {}


def _key_before(window: str) -> tuple[int, str] | None:
    """(where it starts in ``window``, the key without spaces) of the field key that ends the
    window, or None. Kept by the window: a site's pages repeat their header lines."""
    try:
        return _KEYS_SEEN[window]
    except KeyError:
        pass
    k = _KEY_BEFORE.search(window)
    got = None
    if k:
        key = k.group(1)
        if " " in key or "\u3000" in key:
            key = re.sub(r"[ \u3000]", "", key)
        got = (k.start(), key)
    if len(_KEYS_SEEN) >= 4096:
        _KEYS_SEEN.clear()
    _KEYS_SEEN[window] = got
    return got


def crumbs(text: str) -> list[tuple[str, tuple[int, int]]]:
    """The segments of the breadcrumb (``首页``, ``政务公开``, ``区民政局``, …) with their spans."""
    i = text.find("位置", 0, HEAD)     # (in every opening word of _CRUMB, at most 4 letters in)
    m = _CRUMB.search(text, max(0, i - 4), HEAD) if i >= 0 else None
    if not m:
        return []
    line, base = m.group(1), m.start(1)
    parts = _CRUMB_SEP.split(line)
    if len(parts) == 1:         # no separators: the crumb runs to the first space (首页政务公开…年报)
        parts = line.split()[:1]
    else:                       # the last segment runs on into the page
        parts = parts[:-1] + parts[-1].split()[:1]
    out, pos = [], 0
    for p in parts:
        p = p.strip()
        if not p:
            continue
        i = line.find(p, pos)
        out.append((p, (base + i, base + i + len(p))))
        pos = i + len(p)
    return out


def find_titles(text: str, limit: int = HEAD) -> list[Title]:
    """Where the report names itself: the 标题 fields first, then the titles in the text's head."""
    out = [t for f in fields(text) if f.key in TITLE_KEYS for t in _titles_in(text, *f.span, _FIELD_TITLE, True)]
    head = text[:limit]
    # A title is words and spaces only, so it lies in a stretch of 8 or more letters between two
    # _MARKs that holds a year and _TITLE_END; trying _TITLE only there finds the same matches.
    # _TITLE_END is rare and quickly found: the stretches are found around it, in order.
    seen = 0        # where the last stretch ended (at a mark), or 0
    for e in _TITLE_END.finditer(head):
        p = e.start()
        if p < seen:
            continue    # (in the stretch just read)
        m = _LAST_MARK.match(head, seen, p)
        a = m.end() if m else seen
        m = _MARK.search(head, p)
        b = m.start() if m else len(head)
        seen = b
        if b - a >= 8 and _REPORT_WORD.search(head, a, b) and _YEAR.search(head, a, b):
            out.extend(_titles_in(text, a, b, _TITLE, False))
    return out


def _titles_in(text: str, a: int, b: int, pattern: re.Pattern, field: bool) -> list[Title]:
    out = []
    # a title's year has at most 40 letters and some spaces before it: start there, not at every letter
    matches, pos = [], a
    for y in _YEAR.finditer(text, a, b):
        if y.start() < pos:
            continue
        m = pattern.search(text, max(pos, y.start() - 48), b)
        if m:
            matches.append(m)
            pos = m.end()
    for m in matches:
        core = re.sub(r"\s", "", m.group("core"))
        out.append(Title(int(m.group("year")), m.span("year"), m.group("pre"), m.span("pre"),
                         m.group("mid"), m.span("mid"), m.span(), field, core.startswith("政府")))
    return out


def _windows(text: str) -> list[tuple[int, int]]:
    n = len(text)
    if n <= HEAD + TAIL:
        return [(0, n)]
    return [(0, HEAD), (n - TAIL, n)]


def _lines(text: str, a: int, b: int):
    pos = a
    while pos < b:
        end = text.find("\n", pos, b)
        end = b if end < 0 else end
        yield pos, text[pos:end]
        pos = end + 1
