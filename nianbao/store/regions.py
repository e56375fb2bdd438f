"""Region names → the hierarchy province › city › county › township.

Chinese region names run from the top down without separators
(江州省江州市临川区东湖街道); the suffix of each part says its level.
"""
from __future__ import annotations

import re

LEVELS = ("province", "city", "county", "township")
LEVEL_ZH = {"province": "省级", "city": "市级", "county": "县级", "township": "乡级"}
_ZH_LEVEL = {"省": "province", "省级": "province", "市": "city", "市级": "city", "地市级": "city",
             "县": "county", "县级": "county", "区": "county", "乡": "township", "镇": "township",
             "乡级": "township", "乡镇": "township", "街道": "township"}

MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
_SUFFIXES = {
    "province": ("省", "自治区", "特别行政区"),
    "city": ("市", "自治州", "地区", "盟"),
    "county": ("自治县", "自治旗", "县", "区", "旗", "市"),
    "township": ("街道办事处", "街道", "镇", "乡", "苏木"),
}


def _head(rest: str, level: str) -> str | None:
    """The shortest leading part of ``rest`` ending in one of the level's suffixes."""
    ends = []
    for suffix in _SUFFIXES[level]:
        i = rest.find(suffix, 1)
        if i > 0:
            end = i + len(suffix)
            # a longer suffix that starts at the same place wins (街道办事处 over 街道)
            ends.append((end if suffix not in ("街道",) or not rest.startswith("街道办事处", i) else i + 5))
    return rest[:min(ends)] if ends else None


def split_region(name: str | None) -> list[tuple[str, str]]:
    """[(level, part), …] from the top; parts that do not parse end the walk.

    A chain the gazetteer knows (what extraction writes: 湖北省荆州市沙市区, 河南省济源市) is split
    by the gazetteer, so that 沙市区 stays whole and a province's directly administered city is
    county level; other names are split by their suffixes.
    """
    if not name:
        return []
    rest = re.sub(r"\s+", "", name)
    known = _gazetteer_split(rest)
    if known:
        return known
    out: list[tuple[str, str]] = []
    for m in MUNICIPALITIES:
        if rest.startswith(m):
            out.append(("province", m))
            rest = rest[len(m):]
            break
    else:
        head = _head(rest, "province")
        if head:
            out.append(("province", head))
            rest = rest[len(head):]
    levels = ["city", "county", "township"]
    if out and out[0][1] in MUNICIPALITIES:
        levels = levels[1:]  # a municipality's districts are county level
    for level in levels:
        if not rest:
            break
        head = _head(rest, level)
        if not head:
            break
        out.append((level, head))
        rest = rest[len(head):]
    if rest and not out:
        out.append(("city", rest))  # an unparsable name still gets a node of its own
    return out


def _gazetteer_split(full: str) -> list[tuple[str, str]] | None:
    from .. import gazetteer
    place = gazetteer.by_full(full)
    if place is None:
        return None
    out = []
    for i in range(1, len(place.chain) + 1):
        part = gazetteer.by_full("".join(place.chain[:i]))
        out.append((gazetteer.LEVEL_NAMES[part.level] if part else LEVELS[i - 1], place.chain[i - 1]))
    return out


def normalise_level(level: str | None) -> str | None:
    if not level:
        return None
    level = level.strip()
    if level in LEVELS:
        return level
    return _ZH_LEVEL.get(level, _ZH_LEVEL.get(level[:1]))


def agency_kind(name: str) -> str:
    """``government`` for a people's government (and its office), else ``department``."""
    return "government" if re.search(r"人民政府(办公室|办公厅)?$", name) else "department"
