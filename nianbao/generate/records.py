"""Random reports whose tables satisfy every identity by construction.

Used by the tests (the generated corpus), the benchmarks, the demo corpus and
the authoring of sample reports. Everything is driven by a ``random.Random``
so a seed fixes the corpus.
"""
from __future__ import annotations

import random
from collections import defaultdict
from functools import lru_cache

from .. import gazetteer
from ..gazetteer import Place
from ..template import (T2_LAYOUTS, T3_TOTAL_COL, T4_GROUPS, T4_WIDTH, t3_leaf_keys, t3_row_keys)

DEPARTMENTS = ("人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "卫生健康委员会",
               "市场监督管理局", "教育局")


def _applicant_split(rng: random.Random, total: int, busy: bool) -> list[int]:
    """Split ``total`` over the six applicant columns; natural persons dominate."""
    parts = [0] * 6
    if total == 0:
        return parts
    weights = [8, 3, 1, 1, 1, 2] if busy else [10, 2, 0, 0, 0, 1]
    for _ in range(total):
        parts[rng.choices(range(6), weights=weights)[0]] += 1
    return parts


def _magnitude(rng: random.Random, scale: str) -> int:
    if scale == "zero":
        return 0
    if scale == "small":
        return rng.choice([0, 0, 0, 1, 1, 2, 3, 5])
    if scale == "large":
        return rng.randint(0, 3000)
    if scale == "hundreds":     # two- and three-digit cells: where digit runs stop splitting uniquely
        return rng.randint(20, 400)
    return rng.randint(0, 40)


def random_t3(rng: random.Random, form: str, scale: str | None = None) -> dict:
    """Rows of table 三 (7 numbers each) satisfying every identity."""
    scale = scale or rng.choice(["zero", "small", "small", "medium", "medium", "large"])
    busy = scale in ("medium", "large", "hundreds")
    leaves = t3_leaf_keys(form)
    rows: dict[str, list[int]] = {}
    for key in leaves:
        mag = _magnitude(rng, scale) if rng.random() < (0.75 if busy else 0.3) else 0
        rows[key] = _applicant_split(rng, mag, busy)
    total = [sum(rows[k][c] for k in leaves) for c in range(6)]
    carried = [rng.choice([0, 0, 0, 1, 2]) if busy and rng.random() < 0.5 else 0 for _ in range(6)]
    carry_next = [rng.choice([0, 0, 1, 2, 3]) if busy and rng.random() < 0.5 else 0 for _ in range(6)]
    # new + carried = total + carry_next → new = total + carry_next - carried, kept non-negative
    new = []
    for c in range(6):
        n = total[c] + carry_next[c] - carried[c]
        if n < 0:
            carried[c] += n  # reduce carried so that new is zero
            n = 0
        new.append(n)
    out: dict[str, list[int]] = {}
    for key in t3_row_keys(form):
        base = {"new": new, "carried": carried, "total": total, "carry_next": carry_next}.get(key, rows.get(key))
        out[key] = list(base) + [sum(base)]
    assert all(len(v) == T3_TOTAL_COL + 1 for v in out.values())
    return out


def random_t4(rng: random.Random, scale: str = "small") -> dict:
    out = {}
    for key, _, _ in T4_GROUPS:
        if rng.random() < 0.5:
            parts = [0] * (T4_WIDTH - 1)
        else:
            top = 3 if scale != "large" else 40
            parts = [rng.randint(0, top) for _ in range(T4_WIDTH - 1)]
        out[key] = parts + [sum(parts)]
    return out


def random_t2(rng: random.Random, layout: str) -> dict:
    out: dict = {"layout": layout}
    for f in T2_LAYOUTS[layout]:
        if layout == "2021":
            if f.key in ("regulations", "normative_docs"):
                issued, repealed = rng.randint(0, 30), rng.randint(0, 10)
                out[f.key] = [issued, repealed, rng.randint(issued, issued + 300)]
            elif f.decimals:
                out[f.key] = rng.choice([0, 0, round(rng.uniform(0, 30000), rng.choice([1, 2, 3, 4]))])
            else:
                out[f.key] = rng.choice([0, rng.randint(0, 200), rng.randint(0, 150000)])
        else:
            if f.key in ("regulations", "normative_docs"):
                made = rng.randint(0, 30)
                out[f.key] = [made, rng.randint(0, made), rng.randint(made, made + 300)]
            elif f.key == "fees":
                out[f.key] = [rng.randint(0, 20), rng.randint(-5, 5)]
            elif f.key == "procurement":
                out[f.key] = [rng.randint(0, 50), round(rng.uniform(0, 5000), 2)]
                out["procurement_unit"] = "万元"
            else:
                out[f.key] = [rng.randint(0, 200), rng.randint(-20, 20), rng.randint(0, 20000)]
    return out


LEGACY_ROWS = (
    ("主动公开信息数", "条", None), ("其中：1.政府网站公开数", "条", "主动公开信息数"),
    ("2.政府公报公开数", "条", "主动公开信息数"), ("受理政府信息公开申请总数", "件", None),
    ("其中：1.当面申请数", "件", "受理政府信息公开申请总数"), ("2.网络申请数", "件", "受理政府信息公开申请总数"),
    ("3.信函、传真申请数", "件", "受理政府信息公开申请总数"), ("对申请的答复总数", "件", None),
    ("其中：1.同意公开答复数", "件", "对申请的答复总数"), ("2.同意部分公开答复数", "件", "对申请的答复总数"),
    ("3.不予公开答复数", "件", "对申请的答复总数"), ("4.其他类型答复数", "件", "对申请的答复总数"),
    ("行政复议数", "件", None), ("行政诉讼数", "件", None), ("收取费用", "万元", None),
)


def legacy_key(label: str) -> str:
    import re
    s = "".join(label.split())
    s = re.sub(r"^其中[:：]?", "", s)
    return re.sub(r"^(\d+[.、．]|[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、)", "", s)


def random_legacy(rng: random.Random, cumulative: bool = True) -> tuple[list[tuple[str, str]], dict]:
    """Appendix rows (label as printed, unit) and the record's legacy dict."""
    values: dict[str, list] = {}
    printed = []
    parents: dict[str, int] = {}
    for label, unit, parent in LEGACY_ROWS:
        key = legacy_key(label)
        if unit == "万元":
            this = rng.choice([0, 0, round(rng.uniform(0, 50), 2)])
            cum = round(this + rng.choice([0, round(rng.uniform(0, 100), 2)]), 2)
        elif parent is None:
            this = rng.choice([0, rng.randint(0, 60), rng.randint(100, 5000)])
            cum = this + rng.randint(0, 20000)
            parents[key] = this
        else:
            budget = parents[legacy_key(parent)]
            this = rng.randint(0, budget)
            parents[legacy_key(parent)] = budget - this
            cum = this + rng.randint(0, 5000)
        values[key] = [this, cum] if cumulative else [this]
        printed.append((label, unit))
    return printed, values


@lru_cache(maxsize=1)
def places() -> list[tuple[Place, list[tuple[Place, list[Place]]]]]:
    """4 provinces × 5 prefectures × 5 counties, spread evenly over the gazetteer.

    Real names, so that the region a reader (and the extractor) finds for an agency is,
    by construction, the gazetteer's chain of the place drawn.
    """
    current = sorted((p for p in gazetteer.places() if p.code), key=lambda p: p.code)
    children: dict[tuple, list[Place]] = defaultdict(list)
    for p in current:
        if len(p.chain) > 1:
            children[p.chain[:-1]].append(p)

    def counties(city: Place) -> list[Place]:
        return [c for c in children[city.chain] if c.level == gazetteer.COUNTY]

    def cities(province: Place) -> list[Place]:
        return [c for c in children[province.chain] if c.level == gazetteer.CITY and len(counties(c)) >= 5]

    def spread(items: list, n: int) -> list:
        return [items[i * len(items) // n] for i in range(n)]

    provinces = [p for p in current if p.level == gazetteer.PROVINCE and len(cities(p)) >= 5]
    return [(prov, [(city, spread(counties(city), 5)) for city in spread(cities(prov), 5)])
            for prov in spread(provinces, 4)]


def agency_name(rng: random.Random) -> tuple[str, str, str]:
    """(agency, region, kind) where kind is 'department' or 'government'."""
    table = places()
    # three draws of 4, 5 and 5, as ever: the rest of a generated document does not move
    i, j, k = rng.choice(range(4)), rng.choice(range(5)), rng.choice(range(5))
    city, counties = table[i][1][j]
    county = counties[k]
    level = rng.random()
    if level < 0.4:
        name = city.name + county.name
        if rng.random() < 0.5:
            return f"{name}人民政府", county.full, "government"
        return f"{name}{rng.choice(DEPARTMENTS)}", county.full, "department"
    if level < 0.8:
        return f"{city.name}{rng.choice(DEPARTMENTS)}", city.full, "department"
    return f"{city.name}人民政府办公室", city.full, "government"


def random_record(rng: random.Random, form: str = "2021", year: int | None = None, *,
                  t2_layout: str | None = None, scale: str | None = None) -> dict:
    """A consistent canonical record (no source, no findings) of the given table-三 form."""
    if year is None:
        year = rng.randint(2021, 2025) if form == "2021" else rng.randint(2019, 2020) if form == "2019" \
            else rng.randint(2008, 2018)
    agency, region, kind = agency_name(rng)
    published = f"{year + 1}-{rng.choice(['01', '01', '02', '03'])}-{rng.randint(10, 28):02d}"
    meta = {"agency": agency, "region": region, "year": year, "template": form, "published": published,
            "kind": kind}
    rec = {"meta": meta, "t2": None, "t3": None, "t4": None, "legacy": None, "sections": [], "findings": []}
    if form == "pre2019":
        printed, values = random_legacy(rng, cumulative=rng.random() < 0.7)
        rec["legacy"] = values
        rec["legacy_rows"] = printed
        return rec
    layout = t2_layout or form
    rec["t2"] = random_t2(rng, layout)
    rec["t3"] = {"rows": random_t3(rng, form, scale)}
    rec["t4"] = random_t4(rng, "large" if scale == "large" else "small")
    return rec
