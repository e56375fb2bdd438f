"""Where a report is from: the administrative chain (山东省济宁市任城区) of its agency.

The agency's own name decides when it names a place; the report's text only
disambiguates it (鼓楼区 is in four cities: the text naming 福州市 settles it).
Without a place in the agency's name, the text decides: first the title and
sign-off (the head and tail of the text), then the body, then short names
(渝中 for 渝中区). A name that stays ambiguous yields only the part all its
readings share, often nothing: the resolver never guesses. National bodies
(国务院办公厅, 国家税务总局) have no region, and neither has an agency whose
place the gazetteer does not know (江州市教育局, 江州市临川区人民政府).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import gazetteer
from ..gazetteer import LEVEL_NAMES, Mention, Place

HEAD = 1500      # characters of title, 索引号/发布机构 lines and the opening paragraph
TAIL = 1500      # characters of sign-off, contact lines and page footer
_NATIONAL = re.compile(r"^(国务院|国家|中华人民共和国|中国|中央|中共中央|全国|最高人民)")
# a place name the gazetteer does not know (江州市, a misprint, a division newer than the data):
# right before a known name it contradicts it (江州市临川区 is not 抚州市临川区); leading the
# agency's name it is still the agency's place, and the text cannot stand in for it
_UNKNOWN_BEFORE = re.compile(r"[\u4e00-\u9fff]{2}(?:省|市|自治区|自治州|地区|盟|县|旗)$")
_UNKNOWN_LEAD = re.compile(r"(?:中共)?[\u4e00-\u9fff]{2,6}?(?:省|市|自治区|自治州|地区|盟|县|旗)"
                           r"(?!场|容|貌|级|域)")     # 平潭市场监督管理局 names no 平潭市


@dataclass
class Region:
    """The resolved region and where it came from."""
    chain: tuple[str, ...] = ()
    place: Place | None = None          # None when only a shared part (or nothing) is certain
    via: str | None = None              # agency | agency+text | head | body | short | national | ambiguous | unknown
    span: tuple[int, int] | None = None           # the name in the text that decided
    context: tuple[int, int] | None = None        # the name in the text that disambiguated the agency
    candidates: list[str] = field(default_factory=list)  # the readings left when ambiguous
    named: str | None = None            # the place name the gazetteer does not know (江州市), as written
    corrected: dict[str, str] = field(default_factory=dict)  # misprinted name → the name it stands for

    def correct(self, agency: str | None) -> str | None:
        """The agency's name with its misprinted place names put right (沐阳县… → 沭阳县…)."""
        for wrong, right in self.corrected.items():
            agency = agency.replace(wrong, right) if agency else agency
        return agency

    @property
    def name(self) -> str | None:
        return "".join(self.chain) or None

    def provenance(self) -> dict | None:
        if self.via is None:
            return None
        out: dict = {"via": self.via}
        if self.span:
            out["span"] = list(self.span)
        if self.context:
            out["context"] = list(self.context)
        if self.place is not None:
            out["level"] = LEVEL_NAMES[self.place.level]
            if self.place.code:
                out["code"] = self.place.code
            if self.place.now:
                out["now"] = self.place.now
        if self.candidates:
            out["candidates"] = self.candidates
        if self.named:
            out["named"] = self.named
        if self.corrected:
            out["corrected"] = dict(self.corrected)
        return out


_TOKEN = re.compile(r"[\u4e00-\u9fff]{1,14}?(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|县|区|旗|盟|地区|镇|乡|街道|苏木)")


def _agency_mentions(agency: str) -> list[Mention]:
    """The places an agency's name holds: divisions and zones, and a township where it starts the
    name or follows them (二郎街道办事处, 仁寿县钟祥镇人民政府) — elsewhere 城乡 is no township."""
    return list(_agency_mentions_kept(agency))


@gazetteer.cached_by_text()
def _agency_mentions_kept(agency: str) -> tuple[Mention, ...]:
    return tuple(_read_agency_mentions(agency))


def _read_agency_mentions(agency: str) -> list[Mention]:
    found = gazetteer.find(agency)
    if not gazetteer.TOWN_HINT.search(agency):
        return found
    starts = {0} | {m.end for m in found}
    taken = set()
    for m in found:
        taken.update(range(m.start, m.end))
    towns = [t for t in gazetteer.find_towns(agency) if t.start in starts and t.start not in taken]
    return sorted(found + towns, key=lambda m: m.start)


def _repair(agency: str, text: str, year: int | None) -> tuple[str, dict[str, str]]:
    """Misprinted place names in the agency's name (沐阳县 for 沭阳县), put right where one look-alike
    reading fits its neighbours in the name or the places the text names."""
    fixes: dict[str, str] = {}
    odd = gazetteer.lookalike_chars()
    if odd.isdisjoint(agency):
        return agency, fixes    # (nearly always: no letter of the name has a look-alike)
    found = _agency_mentions(agency)
    starts = [0] + [m.end for m in found]
    known = {m.start for m in found}
    context = None
    for at in starts:
        if at in known or not any(ch in odd for ch in agency[at:at + 18]):
            continue
        # the shortest name ending like a place that has a look-alike reading (崮镇县 holds 崮镇 too)
        token, options = None, []
        for end in range(at + 2, min(len(agency), at + 18) + 1):
            if _TOKEN.fullmatch(agency, at, end):
                options = gazetteer.misprints(agency[at:end])
                if options:
                    token = agency[at:end]
                    break
        if not options:
            continue
        before = [x for x in found if x.end == at]
        if before:
            parents = _places(before[-1], year)
            options = [(n, ps) for n, ps in options if any(q.within(p) and q != p for q in ps for p in parents)]
        if len(options) > 1:
            if context is None:
                context = [p for _, ps in _text_places(gazetteer.find(text[:HEAD] + text[-TAIL:]), year)
                           if len(ps) == 1 for p in ps]
            options = [(n, ps) for n, ps in options if any(q.within(p) for q in ps for p in context)]
        if len(options) == 1:
            fixes[token] = options[0][0]
    for wrong, right in fixes.items():
        agency = agency.replace(wrong, right)
    return agency, fixes


def _places(m: Mention, year: int | None) -> list[Place]:
    """The readings of a name in the report's year; an earlier name used after its change
    (宁乡县 in a 2023 report) still names the place when nothing current bears it."""
    return [p for p in m.places if p.current_in(year)] or list(m.places)


def _groups(mentions: list[Mention]) -> list[list[Mention]]:
    """Runs of names written one after the other (济宁市任城区)."""
    out: list[list[Mention]] = []
    for m in mentions:
        if out and out[-1][-1].end == m.start:
            out[-1].append(m)
        else:
            out.append([m])
    return out


def _chain_candidates(group: list[Mention], year: int | None) -> tuple[list[Place], bool]:
    """The places the run can name (each name must lie within the one before it), and whether
    the run agrees with the gazetteer: 巢湖市庐江县 (a prefecture of before 2011) does not, and
    leaves both readings."""
    cands = _places(group[0], year)
    for m in group[1:]:
        own = _places(m, year)
        below = [q for q in own if any(q.within(p) and q != p for p in cands)]
        if not below and cands and own:
            if m.weak:      # 济宁市城区: the city's urban area, not some other city's 城区
                break
            return cands + own, False
        cands = below or own or cands
    return cands, True


def _shared(places: list[Place]) -> tuple[str, ...]:
    """The chain all places share (their common ancestors)."""
    if not places:
        return ()
    chain = places[0].chain
    for p in places[1:]:
        n = 0
        while n < min(len(chain), len(p.chain)) and chain[n] == p.chain[n]:
            n += 1
        chain = chain[:n]
    return chain


def _text_places(mentions: list[Mention], year: int | None) -> list[tuple[Mention, list[Place]]]:
    """Each name with its readings; a generic word (城区) counts only right after its parent,
    and a name with several readings keeps those another name in the text places it within.
    A name written after its parent (济宁市任城区) spans both."""
    out = []
    for g in _groups(mentions):
        cands: list[Place] = []
        start = g[0].start
        for m in g:
            own = _places(m, year)
            below = [q for q in own if any(q.within(p) and q != p for p in cands)]
            if below:
                cands = below
            elif m.weak or not own:
                cands = []
                continue
            else:
                cands, start = own, m.start
            out.append((m._replace(start=start), cands))
    unique = [ps[0] for _, ps in out if len(ps) == 1]
    resolved = []
    for m, ps in out:
        if len(ps) > 1:
            ps = [p for p in ps if any(p.within(u) and p != u for u in unique)] or ps
        resolved.append((m, ps))
    return resolved


def _consensus(mentions: list[Mention], year: int | None, min_count: int) -> tuple[Place, Mention] | None:
    """The place the names agree on: the deepest of the often-named places, when they lie on one chain.

    Places named at least half as often as the most-named one must not contradict one another
    (a report of 三元区 names 福建省 and 三明市 too; one naming 福州市 and 南京市 alike is undecided).
    """
    counts: dict[Place, int] = {}
    first: dict[Place, Mention] = {}
    for m, ps in _text_places(mentions, year):
        if len(ps) != 1:
            continue
        counts[ps[0]] = counts.get(ps[0], 0) + 1
        first.setdefault(ps[0], m)
    if not counts:
        return None
    top = max(counts.values())
    often = [p for p, c in counts.items() if c >= max(min_count, (top + 1) // 2)]
    if not often:
        return None
    deepest = max(often, key=lambda p: len(p.chain))
    if not all(deepest.within(p) for p in often):
        return None
    return deepest, first[deepest]


def _agency_span(agency: str, text: str, agency_span: tuple[int, int] | None, m: Mention,
                 upto: int) -> tuple[int, int] | None:
    """Where the agency's place name (agency[m.start:upto]) stands in the text."""
    piece = agency[m.start:upto]
    if agency_span:
        a, b = agency_span
        i = text.find(piece, a, b + len(piece))
        if i >= 0:
            return i, i + len(piece)
    i = text.find(piece)
    return (i, i + len(piece)) if i >= 0 else None


def resolve(agency: str | None, text: str = "", year: int | None = None,
            agency_span: tuple[int, int] | None = None) -> Region:
    """The region of a report of ``agency`` (as extracted) whose text is ``text``."""
    text = text or ""
    tail_start = max(HEAD, len(text) - TAIL)
    text_mentions: list[Mention] | None = None

    def mentions() -> list[Mention]:
        nonlocal text_mentions
        if text_mentions is None:
            text_mentions = gazetteer.find(text)
        return text_mentions

    fixes: dict[str, str] = {}
    if agency:
        agency, fixes = _repair(agency, text, year)
    region = _resolve(agency, text, year, agency_span, mentions)
    region.corrected = fixes
    return region


def _resolve(agency, text, year, agency_span, mentions) -> Region:
    tail_start = max(HEAD, len(text) - TAIL)
    if agency:
        found = _agency_mentions(agency)
        groups = _groups(found)
        unknown = groups and _UNKNOWN_BEFORE.search(agency[:groups[0][0].start])
        if unknown:
            return Region(via="unknown", named=agency[:groups[0][-1].end][unknown.start():])
        if groups:
            group = groups[0]
            cands, agrees = _chain_candidates(group, year)
            span = _agency_span(agency, text, agency_span, group[0], group[-1].end)
            if not agrees:
                shared = _shared(cands)
                return Region(shared, gazetteer.by_full("".join(shared)) if shared else None, "ambiguous",
                              span, candidates=sorted(c.full for c in cands))
            if len(cands) == 1:
                return Region(cands[0].chain, cands[0], "agency", span)
            if cands:
                near = [m for m in mentions() if m.end <= HEAD or m.start >= tail_start]
                for pool in (near, mentions()):
                    support = {}
                    for m, ps in _text_places(pool, year):
                        for c in cands:
                            if any(c.within(p) and c != p for p in ps) and len(ps) == 1:
                                support.setdefault(c, m)
                    if len(support) == 1:
                        (c, m), = support.items()
                        return Region(c.chain, c, "agency+text", span, (m.start, m.end))
                shared = _shared(cands)
                place = gazetteer.by_full("".join(shared)) if shared else None
                return Region(shared, place, "ambiguous", span if shared else None,
                              candidates=sorted(c.full for c in cands))
        if _NATIONAL.match(agency):
            return Region(via="national")
        unknown = None if groups else _UNKNOWN_LEAD.match(agency)
        if unknown:
            return Region(via="unknown", named=unknown.group())

    near = [m for m in mentions() if m.end <= HEAD or m.start >= tail_start]
    for via, pool, min_count in (("head", near, 1), ("body", mentions(), 2)):
        got = _consensus(pool, year, min_count)
        if got:
            place, m = got
            return Region(place.chain, place, via, (m.start, m.end))
    shorts = gazetteer.find_short(text, [(m.start, m.end) for m in mentions()])
    got = _consensus(shorts, year, 2)
    if got:
        place, m = got
        return Region(place.chain, place, "short", (m.start, m.end))
    return Region()
