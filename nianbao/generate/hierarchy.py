"""A generated city: its government, departments, districts and streets over several years.

For the oversight tests and benchmark: every agency's report is consistent on its own, and each
government's report adds up its subordinates' as its own words say — ``全市汇总`` (its
departments and the lower governments' area totals) or ``本级`` (its departments only). Then,
on purpose and recorded in the truth:

- **gaps**: a government's figure moved off the sum by ``delta`` on a few cells (the row, its 总计
  column, the column's (七)总计 and 本年新收 move together, so the report stays consistent);
- **missing**: a department's report left out of a year (the government's figures still count it).

``city_hierarchy(seed)`` returns the records (ready for ``Store.store_record``) and the truth.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field

from ..analyse.reconcile import summed_refs
from ..template import T3_TOTAL_COL, T4_GROUPS, T4_WIDTH, t3_leaf_keys
from .corpus import _carry_over
from .records import places, random_record
from .sections import add_prose

CITY_DEPARTMENTS = (
    "发展和改革委员会", "教育局", "科学技术局", "经济和信息化局", "民族宗教事务局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局",
    "农业农村局", "商务局", "文化广电旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局",
    "市场监督管理局", "体育局", "统计局", "医疗保障局", "信访局", "综合行政执法局", "机关事务管理局",
    "大数据发展管理局", "人民防空办公室", "国有资产监督管理委员会", "粮食和物资储备局", "林业局", "城市管理局",
    "行政审批服务局", "外事办公室", "港航管理局", "档案馆", "地方志办公室", "投资促进局",
)
STREETS = ("东风", "新华", "人民", "解放", "建设", "和平", "胜利", "朝阳", "光明", "长青")
AREA_WORDS = "本报告所列数据为全市汇总数据，包括市级各部门和各县（市、区）人民政府。"
AREA_WORDS_COUNTY = "本报告所列数据为全区汇总数据，包括区政府各部门和各街道（乡镇）。"
SELF_WORDS = "本报告所列数据为区政府本级数据，包括区政府及其工作部门，不含各街道（乡镇）。"


@dataclass
class Agency:
    name: str
    region: str
    kind: str                      # government | department
    level: str
    parent: str | None             # the government it answers to
    scope: str | None = None       # governments: "area" | "self"


@dataclass
class Hierarchy:
    agencies: list[Agency]
    records: list[dict]
    # (government, year) → {ref: delta}: what was planted off the sum
    gaps: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    # year → names of the departments whose report was left out
    missing: dict[int, list[str]] = field(default_factory=dict)
    # (agency, year) → the record as it would have been published (the missing ones included)
    truth: dict[tuple[str, int], dict] = field(default_factory=dict)

    def agency(self, name: str) -> Agency:
        return next(a for a in self.agencies if a.name == name)

    def children(self, name: str) -> list[Agency]:
        return [a for a in self.agencies if a.parent == name]


def _get(rec: dict, ref: str):
    from ..template import CellRef, cell_value
    return cell_value(rec, CellRef.parse(ref))


def _set(rec: dict, ref: str, value) -> None:
    from ..store.cells import set_cell
    set_cell(rec, ref, value)


def _sum_into(gov: dict, parts: list[dict]) -> None:
    for ref in summed_refs():
        _set(gov, ref, sum(_get(p, ref) or 0 for p in parts))
    gov["t2"]["fees_wan"] = round(sum(p["t2"].get("fees_wan") or 0 for p in parts), 4)


def _plant(rng: random.Random, rec: dict) -> dict[str, float]:
    """Move the government's figures off the sum on a few cells; its own identities keep holding."""
    out: dict[str, float] = {}
    rows = rec["t3"]["rows"]
    key = rng.choice([k for k in t3_leaf_keys("2021") if k != "granted"] + ["granted"] * 3)
    c = rng.randrange(T3_TOTAL_COL)
    d = rng.choice([1, 2, 3, 5, 12])
    for r in (key, "total", "new"):
        for col in (c, T3_TOTAL_COL):
            rows[r][col] += d
            out[f"t3.{r}[{col}]"] = out.get(f"t3.{r}[{col}]", 0) + d
    group = rng.choice([g for g, _, _ in T4_GROUPS])
    i = rng.randrange(T4_WIDTH - 1)
    e = rng.choice([1, 2])
    rec["t4"][group][i] += e
    rec["t4"][group][T4_WIDTH - 1] += e
    out[f"t4.{group}[{i}]"] = e
    out[f"t4.{group}[{T4_WIDTH - 1}]"] = e
    f = rng.choice(["licensing", "punishment"])
    g = rng.choice([-7, 4, 30])
    if rec["t2"][f] + g < 0:
        g = -g
    rec["t2"][f] += g
    out[f"t2.{f}"] = g
    return out


def city_hierarchy(seed: int = 1, years: tuple[int, ...] = (2022, 2023, 2024), *, departments: int = 6,
                   districts: int = 3, district_departments: int = 4, streets: int = 2,
                   self_scoped: int = 1, gap_year: int | None = None, missing_year: int | None = None,
                   missing: int = 2, city: int | None = None, prose: bool = True, gaps: bool = True) -> Hierarchy:
    """A city over ``years``: ``departments`` city departments (plus the government's office), ``districts``
    districts each with ``district_departments`` departments and ``streets`` streets. The first
    ``self_scoped`` districts report 本级 only; the others and the city report the whole area.

    Gaps are planted (unless ``gaps`` is false) in ``gap_year`` (default: the last year) on the city's
    report and on one district's; ``missing`` city departments' reports are left out of ``missing_year`` (default: the
    middle year)."""
    rng = random.Random(seed)
    table = places()
    prov_i = rng.randrange(len(table)) if city is None else city // 5
    province, cities = table[prov_i]
    the_city, counties = cities[rng.randrange(len(cities)) if city is None else city % 5]
    counties = counties[:districts]
    gap_year = years[-1] if gap_year is None else gap_year
    missing_year = years[len(years) // 2] if missing_year is None else missing_year

    cname, cfull = the_city.name, the_city.full
    gov = Agency(f"{cname}人民政府", cfull, "government", "city", None, "area")
    agencies = [gov, Agency(f"{cname}人民政府办公室", cfull, "department", "city", gov.name)]
    names = _department_names(departments)
    agencies += [Agency(f"{cname}{d}", cfull, "department", "city", gov.name) for d in names]
    for i, county in enumerate(counties):
        g = Agency(f"{county.name}人民政府", county.full, "government", "county", gov.name,
                   "self" if i < self_scoped else "area")
        agencies.append(g)
        agencies.append(Agency(f"{county.name}人民政府办公室", county.full, "department", "county", g.name))
        for d in rng.sample(CITY_DEPARTMENTS, district_departments):
            agencies.append(Agency(f"{county.name}{d}", county.full, "department", "county", g.name))
        for st in rng.sample(STREETS, streets):
            agencies.append(Agency(f"{county.name}{st}街道办事处", county.full, "government", "township", g.name))

    h = Hierarchy(agencies, [])
    by_name = {a.name: a for a in agencies}
    leaves = [a for a in agencies if a.kind == "department" or a.level == "township"]
    dropped = rng.sample([a.name for a in agencies if a.parent == gov.name and a.kind == "department"
                          and not a.name.endswith("办公室")], min(missing, departments))
    h.missing[missing_year] = sorted(dropped)
    prev: dict[str, dict] = {}
    for year in years:
        values: dict[str, dict] = {}
        for a in leaves:
            rec = random_record(rng, "2021", year, scale=rng.choice(["small", "medium", "medium"]))
            if a.name in prev:
                _carry_over(prev[a.name], rec)
            values[a.name] = rec
        # governments bottom up: a township has no subordinates; then districts; then the city
        for g in [a for a in agencies if a.kind == "government" and a.level != "township"][::-1]:
            rec = random_record(rng, "2021", year, scale="small")
            kids = [values[c.name] for c in h.children(g.name)
                    if g.scope == "area" or by_name[c.name].kind == "department"]
            if g.scope == "area":
                # a lower government reporting 本级 only does not cover its streets: they add themselves
                for c in h.children(g.name):
                    if c.kind == "government" and c.scope == "self":
                        kids += [values[x.name] for x in h.children(c.name) if x.kind == "government"]
            _sum_into(rec, kids)
            values[g.name] = rec
        if year == gap_year and gaps:
            district = next((a for a in agencies if a.level == "county" and a.kind == "government"), None)
            moved = {g.name: _plant(rng, values[g.name]) for g in (gov, district) if g is not None}
            # the city added up the district's true figures: against its published ones the city is off
            # by its own planted gap less the district's
            city = dict(moved[gov.name])
            for ref, d in (moved[district.name].items() if district else ()):
                city[ref] = city.get(ref, 0) - d
            h.gaps[(gov.name, year)] = {r: d for r, d in city.items() if d}
            if district:
                h.gaps[(district.name, year)] = moved[district.name]
        for a in agencies:
            rec = values[a.name]
            meta = rec["meta"]
            meta.update(agency=a.name, region=a.region, kind=a.kind, level=a.level, year=year)
            due_month = "03" if a.kind == "government" and a.level != "township" else "01"
            meta["published"] = f"{year + 1}-{due_month}-{rng.randint(10, 28):02d}"
            if prose:
                add_prose(rng, rec, scope="wide" if a.scope == "area" else "self")
                if a.scope:
                    words = SELF_WORDS if a.scope == "self" else AREA_WORDS if a.level == "city" else AREA_WORDS_COUNTY
                    rec["preamble"] = rec["preamble"] + words
                    rec["sections"][0]["text"] = words + rec["sections"][0]["text"]
            h.truth[(a.name, year)] = rec
            prev[a.name] = rec
            if year == missing_year and a.name in dropped:
                continue
            out = copy.deepcopy(rec)
            sha = f"{rng.getrandbits(256):064x}"
            out["source"] = {"path": f"{a.name}-{year}.json", "sha256": sha, "format": "json"}
            h.records.append(out)
    return h


def _department_names(n: int) -> list[str]:
    """``n`` distinct department names: the usual ones, then numbered offices of them (for big benchmarks)."""
    out = list(CITY_DEPARTMENTS[:n])
    k = 2
    while len(out) < n:
        out += [f"{d}第{k}分局" for d in CITY_DEPARTMENTS[:n - len(out)]]
        k += 1
    return out
