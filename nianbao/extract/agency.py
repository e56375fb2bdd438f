"""Which agency a report is of, read from its opening the way a person reads it.

Where a real page names its agency, most trusted first:

1. its title: ``清远市清新区人民政府办公室2022年政府信息公开工作年度报告``; a title naming a place
   only is that place's government (``2022年上海市政府信息公开…`` → 上海市人民政府, ``钟祥镇2022年…``
   → 钟祥镇人民政府, ``平潭综合实验区2021年度…`` → 平潭综合实验区管委会); the line above a title that
   starts with the year (``淮安市人民政府`` / ``2024 年政府信息公开工作年度报告``);
2. the first sentence: ``现公布XX2022年…年度报告``, ``本报告由XX根据《条例》编制``;
3. the header fields: 发布机构, 发文机关, 来源 …;
4. the sign-off: the name before the date that ends the report;
5. ``我局``/``我办`` beside the site's own name (主办单位, 版权所有, the breadcrumb).

A name without its place (``公安局2009年…``, ``财金局``, ``区民政局``) is completed from the page:
the same department with its place in a field, the breadcrumb, the sign-off or the text
(平潭县公安局办公室 → 平潭县公安局; 平潭综合实验区财政金融局 for 财金局), else the place the page
belongs to. A phrase that is no organ (``…落实情况自查及政府``) is never an agency.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain

from .. import gazetteer
from . import opening
from .opening import Field, Title

Span = tuple[int, int]

# What an organ's name ends with.
_ORGAN_END = re.compile(
    r"(?:人民政府(?:办公室|办公厅)?|政府办公室|政府办公厅|政府办|管理委员会(?:办公室)?|管委会(?:办公室)?|"
    r"委员会(?:办公室)?|工作委员会|街道办事处|办事处|行政公署|人民法院|人民检察院|政府|局|委|厅|办公室|办公厅|"
    r"办|中心|署|院|总队|支队|大队|分局|所|站|馆|会|处|部|集团|公司|银行)$")
# The ending that makes a name its place's government: what stands before it must be a place.
_GOVERNMENT_END = re.compile(r"(?:人民政府|政府|行政公署|公署|管理委员会|管委会)(?:办公室|办公厅|办)?$")
# Words no organ's name holds: a phrase of prose that happens to end like one.
_NOT_ORGAN = re.compile(
    r"关于|根据|按照|依据|依照|本报告|报告|年度|情况|自查|落实|贯彻|认真|我局|我委|我办|我区|我市|我县|我镇|"
    r"本机关|本单位|以下简称|如下|通知|意见|条例|规定|要求|编制|公布|发布|部署|进一步|加强|推进|开展|做好|"
    r"全面|积极|及时|主动|申请|答复|公开的|政府信息|信息公开|工作的|不断|坚持|围绕|结合|现将|为了|为进一步|"
    r"此函|特此|附件|联系|地址|电话|网站|门户|首页|位置|栏目|[，。；！？、：:“”《》（）()\d—\-]")
# Junk a title's or a line's head carries before the agency.
_LEADING = re.compile(r"^.*?(?:特公布|现公布|现将|现就|兹将|公布|印发|转发|发布|编制|关于(?:报送|印发|转发|公布)?|"
                      r"附件\d*[:：]?|\.docx?|\.pdf|\.wps|下载)")
# A place name the gazetteer may not know, and a place named relative to the site (市教育局, 区民政局).
_PLACE_LIKE = re.compile(r"(?:中共)?[\u4e00-\u9fff]{1,10}?(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|县|区|旗|盟|"
                         r"州|镇|乡|街道|苏木|地区|林区|开发区|新区|实验区|试验区|示范区|园区|合作区|管理区|高新区)")
_NOT_PLACE = re.compile(r"[和与及的]|城乡|乡村|社区|小区|园区管理")
_ZONE_END = re.compile(r"(?:开发区|新区|实验区|试验区|示范区|园区|合作区|管理区|高新区|片区)$")
_RELATIVE = re.compile(r"^(?:本)?([省市州盟县区旗镇乡])(?!场)(?=[\u4e00-\u9fff]{2})")     # 市场监督管理局 is no 市
_NATIONAL = re.compile(r"^(?:国务院|国家|中华人民共和国|中国|中央|中共中央|全国|最高人民|海关总署)")
# First sentences that name the agency.
# (the name may wrap onto the next line of a PDF's text: 本报告由秦皇岛市青龙满族自 / 治县交通运输局根据…)
_BY = re.compile(r"本(?:年度)?(?:报告|年报)(?:是)?由\s*((?:[^\s，,。；（(]|\n(?=[^\s，,。；（(])){3,40}?)\s*"
                 r"(?:根据|按照|依据|依照|编制|制作|负责|结合|汇总)")
_OPENS = re.compile(r"(?:^|[\n。])\s*([^\s，,。；（(《]{3,30}?)\s*(?:根据|按照|依据|依照)\s*《")
_OPENS_KEY = re.compile(r"(?:根据|按照|依据|依照)\s*《")      # how every _OPENS match ends
_NOT_IN_OPENS = frozenset("，,。；（(《")                      # (nor whitespace)
_WE = re.compile(r"[我本]\s*(局|委|办|厅|署|院|中心|镇|乡|街道|苏木|区|县|市|旗|州|省|单位|机关)")
_DATE_END = re.compile(
    r"(?:(?:19|20)\d\d\s*[年.\-/]\s*\d{1,2}\s*(?:[月.\-/]\s*\d{1,2}\s*日?|月)"
    r"|[二][〇○零O0][一二三四五六七八九〇○零O0]{2}\s*年\s*[一二三四五六七八九十]{1,2}\s*月\s*(?:[一二三四五六七八九十]{1,3}\s*日)?)")
_NOT_SIGNED = re.compile(r"\s*(?:印发|起|至|以来|前|后|期间)")     # …2022年1月7日印发: the issuing office's
_TAIL_DEBRIS = re.compile(r"附件下载|打印本页|关闭窗口|【?打印】?|【?关闭】?|分享到|扫一扫[^\n]*|相关链接|返回顶部|"
                          r"[—–\-－]\s*\d{1,3}\s*[—–\-－]|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?")


@dataclass(frozen=True)
class Candidate:
    name: str
    span: Span | None
    via: str            # title | title-place | line-above | sentence | field | sign-off | site


@gazetteer.cached_by_text()
def clean(raw: str) -> str:
    """The name as a person would write it: no spaces, no junk before it, no year after it."""
    s = "".join(raw.split())
    s = re.sub(r"关于(?:报送|印发|公布|发布)?$", "", s)      # XX局关于报送2020年度…的函
    s = _LEADING.sub("", s)
    s = s.strip("“”\"'《》<>[]【】?？·-—_:：")
    return re.sub(r"(?:关于|的)?(?:(?:19|20)\d\d年?度?)?$", "", s)


@gazetteer.cached_by_text()
def place_prefix(name: str) -> tuple[str, bool]:
    """The leading place of a name (平潭综合实验区, 济宁市任城区, 钟祥镇, 毫州市谯城区) and whether
    the gazetteer knows all of it."""
    starts = {m.start: m for m in gazetteer.find(name)}
    end, known = 0, True
    if name.startswith(("中共", "国家税务总局")) and (2 in starts or 6 in starts):
        end = 2 if 2 in starts else 6
    while True:
        if end in starts:
            end = starts[end].end
            continue
        towns = [t for t in gazetteer.find_towns(name[end:end + 12]) if t.start == 0] \
            if gazetteer.TOWN_HINT.search(name, end) else []
        if towns:
            end += towns[0].end
            continue
        # a name the gazetteer does not know (江州市, a misprint) before one it knows, or alone
        ends = [e for e in sorted(starts) if e > end] if starts else []
        if end == 0:
            m = _PLACE_LIKE.match(name)
            ends.append(m.end() if m else -1)
        e = next((e for e in ends if e > end and not any(end < x < e for x in starts)
                  and _PLACE_LIKE.fullmatch(name, end, e)
                  and not _NOT_PLACE.search(name, end, e) and (end or not _RELATIVE.match(name))), None)
        if e is None:
            break
        end, known = e, False
        if e not in starts:
            break
    return name[:end], known and end > 0


@gazetteer.cached_by_text()
def is_place(s: str) -> bool:
    """A place and nothing more (上海市, 钟祥镇, 平潭综合实验区, 江州市)."""
    if len(s) < 2 or _NOT_ORGAN.search(s):
        return False
    prefix, _ = place_prefix(s)
    if prefix == s:
        return True
    # a name the gazetteer does not know, whole (江州市); never words before a name it knows
    found = gazetteer.find(s)
    return bool(_PLACE_LIKE.fullmatch(s)) and not _NOT_PLACE.search(s) and not _RELATIVE.match(s) \
        and not (found and found[0].start > 0)


@gazetteer.cached_by_text()
def is_organ(name: str) -> bool:
    """Could ``name`` be an agency? It ends like an organ, holds no prose, and a government's name
    starts with its place."""
    if not 3 <= len(name) <= 40 or not _ORGAN_END.search(name) or _NOT_ORGAN.search(name):
        return False
    found = gazetteer.find(name)
    if found and found[0].start > 0 and not _NATIONAL.match(name) and not name.startswith(("中共", "共青团")) \
            and not is_place(name[:found[0].start]):
        return False        # 后继续阅读张家口市交通运输局: words of the page before the agency's place
    g = _GOVERNMENT_END.search(name)
    if g:
        before = name[:g.start()]
        if before.endswith("人民"):
            before = before[:-2]
        return bool(before) and (is_place(before) or before in "省市州盟县区旗镇乡")
    if len(name) < 4 and name[-1] in "会处部所站馆院队":
        return False
    return True


@gazetteer.cached_by_text()
def government(place: str) -> str:
    """The government of a place: 上海市 → 上海市人民政府, 二郎街道 → 二郎街道办事处,
    平潭综合实验区 → 平潭综合实验区管委会, 阿里地区 → 阿里地区行政公署."""
    if place.endswith("街道"):
        return place + "办事处"
    last = gazetteer.find(place)
    if _ZONE_END.search(place) and not (last and last[-1].end == len(place)
                                        and any(not p.zone for p in last[-1].places)):
        return place + "管委会"
    if place.endswith(("地区", "盟")) and not place.endswith("自治州"):
        return place + "行政公署"
    return place + "人民政府"


@gazetteer.cached_by_text()
def organ_at_end(s: str) -> str | None:
    """The longest organ's name that ends ``s`` (…事项暂无平潭综合实验区苏平片区管理局 → 平潭综合…管理局)."""
    s = "".join(s.split())
    starts = sorted({0} | {m.end() for m in re.finditer(r"[，。；！？、：:“”《》()（）\s]", s)}
                    | {m.start for m in gazetteer.find(s)})
    for i in starts:
        name = clean(s[i:])
        if is_organ(name):
            return name
    return None


def abbreviates(short: str, full: str) -> bool:
    """财金局 for 财政金融局, 质监局 for 质量技术监督局: same first and last character, the rest in order."""
    if len(short) >= len(full) or short[0] != full[0] or short[-1] != full[-1]:
        return False
    it = iter(full)
    return all(ch in it for ch in short)


def _opens(head: str):
    """(group 1, its span) of each ``_OPENS.finditer(head)`` match, in order: found back from its
    根据《, which is rare and quickly found, rather than by trying _OPENS after every line break
    and 。 (its lazy name of up to 30 letters made that the opening's slowest search)."""
    for k in _OPENS_KEY.finditer(head):
        # the name ends where the spaces before 根据 start, and runs back over letters that may
        # be in it: it cannot start later (what precedes it is a space, a 。 or the text's start)
        e = k.start()
        while e > 0 and head[e - 1].isspace():
            e -= 1
        r = e
        while r > 0 and e - r <= 30 and not head[r - 1].isspace() and head[r - 1] not in _NOT_IN_OPENS:
            r -= 1
        if not 3 <= e - r <= 30:
            continue
        # before it: spaces back to the text's start, to a 。 or holding a line break
        w = r
        while w > 0 and head[w - 1].isspace():
            w -= 1
        if w == 0 or head[w - 1] == "。" or "\n" in head[w:r]:
            yield head[r:e], (r, e)


class Reader:
    """One page's clues, read once."""

    def __init__(self, text: str, titles: list[Title]):
        self.text = text
        self.titles = titles
        self.fields: tuple[Field, ...] = opening.fields(text)
        self.crumbs = opening.crumbs(text)

    # -- the clues, each a Candidate or None

    def from_titles(self) -> Candidate | None:
        for t in sorted(self.titles, key=lambda t: not t.field):
            got = self._title(t)
            if got:
                return got
        return None

    def _title(self, t: Title) -> Candidate | None:
        pre = clean(t.pre) if t.pre else ""
        pre_at = self._locate(pre, t.pre_span)
        if pre and is_organ(pre):
            return Candidate(pre, pre_at, "title")
        if pre and is_place(pre):
            return Candidate(government(pre), pre_at, "title-place")
        if not pre and t.mid:
            mid = clean(t.mid)
            if mid and is_place(mid):       # 2022年上海市政府信息公开…: the place's government
                return Candidate(government(mid), self._locate(mid, t.mid_span), "title-place")
            if t.gov_after_mid and mid and is_organ(mid + "政府"):
                # 2021年度长沙县人民政府信息公开…: the agency's 政府 doubles as the title's
                a, b = t.mid_span
                return Candidate(mid + "政府", (a, b + 2), "title")
            if mid and is_organ(mid):
                return Candidate(mid, self._locate(mid, t.mid_span), "title")
        if not pre and not t.field:
            # the agency on the line above a title line that starts with the year
            line_start = self.text.rfind("\n", 0, t.span[0]) + 1
            if not self.text[line_start:t.span[0]].strip():
                before = self.text[:line_start].rstrip()
                above = before[before.rfind("\n") + 1:]
                name = clean(above)
                s = self._locate(name, (before.rfind("\n") + 1, len(before)))
                if is_organ(name):
                    return Candidate(name, s, "line-above")
                if is_place(name):
                    return Candidate(government(name), s, "title-place")
        return None

    def from_sentence(self) -> Candidate | None:
        head = self.text[:opening.HEAD]
        for raw, span in chain(((m.group(1), m.span(1)) for m in _BY.finditer(head)), _opens(head)):
            name = clean(raw)
            if is_organ(name):
                return Candidate(name, self._locate(name, span), "sentence")
        return None

    def from_fields(self, keys=("发布机构", "发文机关", "发文单位", "发布单位", "制发机关", "公开主体",
                                "信息来源", "来源单位", "来源", "所属机构", "所属单位", "责任单位", "供稿单位")
                    ) -> Candidate | None:
        for key in keys:
            for f in self.fields:
                if f.key == key:
                    name = clean(f.value)
                    if is_organ(name):
                        return Candidate(name, self._locate(name, f.span), "field")
        return None

    def from_sign_off(self) -> Candidate | None:
        n = len(self.text)
        tail_start = max(0, n - 600)
        tail = self.text[tail_start:]
        dates = [m for m in _DATE_END.finditer(tail) if not _NOT_SIGNED.match(tail, m.end())]
        for m in reversed(dates[-3:]):
            after = _TAIL_DEBRIS.sub("", opening.FOOTER.split(tail[m.end():], 1)[0])
            if len(re.sub(r"\s", "", after)) > 40:
                continue
            before = tail[max(0, m.start() - 80):m.start()]
            name = organ_at_end(before)
            if name:
                return Candidate(name, self._locate(name, (tail_start + m.start() - 80, tail_start + m.start())),
                                 "sign-off")
        return None

    def from_site(self) -> Candidate | None:
        """我局 beside the site's name: the organ the page's furniture names, of the kind the text
        speaks as (局, 委, 办 …), or the government when it speaks as 我镇, 我区, 我市."""
        we = [w for w in _WE.findall(self.text[:opening.HEAD]) if w not in ("单位", "机关")]
        if not we:
            return None
        kind = we[0]        # the opening sentence's 现将我局… says it first
        ends = {"办": ("办", "办公室", "办公厅"), "委": ("委", "委员会"), "局": ("局", "分局")}.get(kind, (kind,))
        names = [(clean(f.value), f.span) for f in self.fields if f.key in opening.ORGAN_KEYS]
        names += [(clean(c), s) for c, s in reversed(self.crumbs)]
        for name, span in names:
            for piece in (name, organ_at_end(name) or ""):
                if piece and is_organ(piece) and (piece.endswith(ends) or kind in "镇乡区县市旗州省"
                                                  and _GOVERNMENT_END.search(piece)):
                    return Candidate(piece, self._locate(piece, span), "site")
        return None

    # -- completing a name without its place

    def complete(self, c: Candidate) -> Candidate:
        prefix, _ = place_prefix(c.name)
        if prefix or _NATIONAL.match(c.name):
            return c
        rel = _RELATIVE.match(c.name)
        dept = c.name[rel.end():] if rel else c.name
        if dept.startswith("本"):
            dept = dept[1:]
        got = self._same_department(dept, rel.group(1) if rel else None)
        if got:
            return Candidate(got[0], c.span, c.via)
        place = self._page_place(rel.group(1) if rel else None)
        if place:
            return Candidate(place + dept, c.span, c.via)
        return c

    def _pieces(self):
        """Named organs of the page, most telling first: fields, breadcrumb, sign-off, head and tail."""
        for f in self.fields:
            if f.key in opening.ORGAN_KEYS:
                yield f.value, f.span[0]
        for c, s in self.crumbs:
            yield c, s[0]
        n = len(self.text)
        yield self.text[:opening.HEAD], 0
        if n > opening.HEAD:
            yield self.text[max(opening.HEAD, n - opening.TAIL):], max(opening.HEAD, n - opening.TAIL)

    def _same_department(self, dept: str, level: str | None) -> tuple[str, int] | None:
        """A place followed by ``dept`` (or the full name ``dept`` abbreviates) somewhere on the page."""
        for s, base in self._pieces():
            s = "".join(s.split())      # a converted PDF breaks lines inside names
            for m in gazetteer.find(s):
                if level and not m.name.endswith(level):
                    continue
                j = m.end
                # a run of places (济宁市任城区) is one prefix
                start = m.start
                while True:
                    nxt = [x for x in gazetteer.find(s[j:j + 12]) if x.start == 0]
                    if not nxt:
                        break
                    j += nxt[0].end
                body = s[j:j + 20]
                if body.startswith(dept):
                    return s[start:j] + dept, base + start
                for e in range(len(dept) + 1, len(body) + 1):
                    if body[e - 1] == dept[-1] and abbreviates(dept, body[:e]) and is_organ(body[:e]):
                        return s[start:j] + body[:e], base + start
        return None

    def _page_place(self, level: str | None) -> str | None:
        """The place the page's furniture belongs to (the site's government, the breadcrumb, the fields)."""
        for s, _ in list(self._pieces())[:-2] + [(self.text[max(0, len(self.text) - 600):], 0)]:
            for m in gazetteer.find(s):
                prefix, _ = place_prefix(s[m.start:])
                if level is None:
                    return prefix
                # 区民政局 on the site of 杭州市余杭区人民政府: the site's place down to that level
                cut = next((m.start + x.end for x in gazetteer.find(prefix) if x.name.endswith(level)), None)
                if cut is not None:
                    return s[m.start:cut]
        return None

    def _locate(self, name: str, near: Span | None) -> Span | None:
        if not name:
            return None
        a = near[0] if near else 0
        i = self.text.find(name, a, (near[1] + len(name)) if near else len(self.text))
        if i < 0:
            i = self.text.find(name)
        return (i, i + len(name)) if i >= 0 else near


_REPEATED_ORGAN = ("局", "委", "办", "院", "府", "会", "室", "处", "所", "站", "中心", "公署", "管委会")


def _collapse_repeat(name: str) -> str:
    """A breadcrumb glued to the title repeats the organ: 新乡市教育局教育局 → 新乡市教育局."""
    for k in range(len(name) // 2, 1, -1):
        tail = name[-k:]
        if tail.endswith(_REPEATED_ORGAN) and name[:-k].endswith(tail):
            return name[:-k]
    return name


def find_agency(text: str, titles: list[Title], lines: list[str] | None = None) -> tuple[str | None, Span | None]:
    """The agency and where the page names it (the clues in order of trust; see the module's doc)."""
    r = Reader(text, titles)
    for clue in (r.from_titles, r.from_sentence, r.from_fields, r.from_sign_off, r.from_site):
        c = clue()
        if c:
            name = _collapse_repeat(c.name)
            if name != c.name:
                c = Candidate(name, None if c.span is None else (c.span[1] - len(name), c.span[1]), c.via)
            c = r.complete(c)
            return c.name, c.span
    return None, None
