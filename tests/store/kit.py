"""Generated inputs for the store tests: records, simple text renderings, corpora on disk."""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

from nianbao.generate.records import random_record
from nianbao.store.cells import iter_cells  # noqa: F401  (the tests' one import of it)
from nianbao.template import T3_ROW_BY_KEY, T4_GROUPS, CellRef
from nianbao.template import cell_value as _cell_value


MIGRATIONS = Path(__file__).resolve().parents[2] / "nianbao" / "store" / "migrations"


def cell_value(record: dict, ref: str):
    return _cell_value(record, CellRef.parse(ref))


def alembic_config(conn=None, location: Path = MIGRATIONS):
    """Alembic's configuration for the store's migrations (or those at ``location``) on ``conn``."""
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


SECTION_TEXT = {
    "一": "本机关坚持以公开为常态、不公开为例外，认真贯彻落实政府信息公开条例，全面推进决策、执行、管理、服务、结果公开。",
    "二": "本年度通过政府网站主动公开政府信息，及时发布政策文件和解读材料，持续优化政府信息公开专栏。",
    "三": "本年度共收到政府信息公开申请，均在法定期限内依法作出答复。",
    "四": "本年度因政府信息公开工作被申请行政复议、提起行政诉讼的情况见下表。",
    "五": "存在的主要问题是公开内容不够全面，下一步将加强培训并完善工作机制。",
    "六": "本年度未收取信息处理费。",
}


def record(rng: random.Random, year: int, *, agency: str | None = None, region: str | None = None,
           form: str = "2021", scale: str = "medium") -> dict:
    rec = random_record(rng, form, year, scale=scale)
    if agency:
        rec["meta"]["agency"] = agency
        rec["meta"]["kind"] = "government" if agency.endswith("人民政府") else "department"
    if region:
        rec["meta"]["region"] = region
    rec["meta"]["published"] = f"{year + 1}-01-15"  # on time for any agency
    rec["sections"] = [{"number": k, "title": k, "text": v + f"（{year}年）"} for k, v in SECTION_TEXT.items()]
    sha = f"{rng.getrandbits(256):064x}"
    rec["source"] = {"path": f"gen-{sha[:8]}.txt", "sha256": sha, "format": "txt"}
    rec["provenance"] = {"t3.new[6]": {"span": [10, 12], "confidence": 0.9}}
    return rec


WORDS = ("政务公开", "平台建设", "标准化", "规范化", "解读回应", "便民服务", "数据开放", "专栏维护", "依申请公开",
         "答复质量", "业务培训", "监督考核", "基层政务", "重点领域", "政策文件", "意见建议", "办事指南", "网站集约化")


def fresh_prose(rng: random.Random, year: int) -> list[dict]:
    """Sections whose wording changes from year to year (no copied prose)."""
    out = []
    for k in SECTION_TEXT:
        parts = rng.sample(WORDS, 6)
        text = "；".join(f"{year}年{a}{rng.randint(2, 999)}项，{b}{rng.randint(2, 99)}次" for a, b in zip(parts[::2], parts[1::2]))
        out.append({"number": k, "title": k, "text": SECTION_TEXT[k][:6] + text + "。本年度未收取信息处理费。"})
    return out


def next_year(rng: random.Random, prev: dict, *, break_carry: bool = False) -> dict:
    """The same agency one year later, its 上年结转 equal to last year's 结转下年度 (or not).

    现行有效件数 continues from last year and the prose is new, so that the only cross-year
    finding is the one a test asks for.
    """
    meta = prev["meta"]
    cur = record(rng, meta["year"] + 1, agency=meta["agency"], region=meta["region"])
    cur["sections"] = fresh_prose(rng, meta["year"] + 1)
    if cur.get("t2") and prev.get("t2") and cur["t2"].get("layout") == prev["t2"].get("layout") == "2021":
        for key in ("regulations", "normative_docs"):
            issued, repealed, _ = cur["t2"][key]
            cur["t2"][key][2] = max(0, prev["t2"][key][2] + issued - repealed)
    rows = cur["t3"]["rows"]
    carried = list(prev["t3"]["rows"]["carry_next"])
    # keep this year's identities: move the difference in carried into new
    for c in range(6):
        diff = carried[c] - rows["carried"][c]
        rows["carried"][c] = carried[c]
        rows["new"][c] -= diff
        if rows["new"][c] < 0:
            rows["total"][c] -= rows["new"][c]
            rows["other_misc"][c] -= rows["new"][c]
            rows["new"][c] = 0
    for key in ("new", "carried", "total", "other_misc"):
        rows[key][6] = sum(rows[key][:6])
    if break_carry:
        # 上年结转 no longer matches last year's 结转下年度; this year's own identities still hold
        for key in ("carried", "total", "other_misc"):
            rows[key][0] += 3
            rows[key][6] += 3
    return cur


def render_text(rec: dict) -> str:
    """A plain-text report: title, sections, table 三 as `label | numbers` lines."""
    m = rec["meta"]
    lines = [f"{m['agency']}{m['year']}年政府信息公开工作年度报告", ""]
    for s in rec.get("sections") or []:
        lines += [f"{s['number']}、{s['title']}", s["text"], ""]
    if rec.get("t3"):
        for key, vals in rec["t3"]["rows"].items():
            lines.append(T3_ROW_BY_KEY[key].label + " | " + " | ".join(str(v) for v in vals))
    if rec.get("t4"):
        for key, label, _ in T4_GROUPS:
            lines.append(label + " | " + " | ".join(str(v) for v in rec["t4"][key]))
    return "\n".join(lines) + "\n"


def write_json(rec: dict, path: Path) -> Path:
    path.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    return path


def without_source(rec: dict) -> dict:
    out = copy.deepcopy(rec)
    out.pop("source", None)
    return out


def dump(store) -> dict:
    """Everything a store holds, by names rather than ids: two stores with the same reports dump equal.

    Per report (agency, region, year): every version's record as ``get_report`` gives it, its
    findings (scope, rule, severity, cells, status) and its source; plus the regions, the agencies
    (with level, kind and parent), the facts rows and the rollup.
    """
    from sqlalchemy import select

    from nianbao.store.schema import Agency, FactsRollup, Region, ReportFacts
    reports = {}
    with store.session() as s:
        regions = {r.id: r for r in s.scalars(select(Region))}
        agencies = {a.id: a for a in s.scalars(select(Agency))}
        facts = {f.report_id: f for f in s.scalars(select(ReportFacts))}
        rollup = s.scalars(select(FactsRollup)).all()

    def region_name(rid):
        return regions[rid].full_name if rid in regions else None

    for item in store.list_reports(limit=100000, order="id")["items"]:
        rep = store.get_report(item["id"])
        key = ((rep["agency"] or {}).get("name"), (rep["region"] or {}).get("name"), rep["year"],
               None if rep["agency"] else rep["source"]["sha256"])
        versions = []
        for v in rep["versions"]:
            full = store.get_report(item["id"], version=v["number"])
            record = {k: x for k, x in full["record"].items() if k != "findings"}  # (with ids: listed below)
            versions.append({"number": v["number"], "kind": v["kind"], "record": record,
                             "findings": sorted((f["scope"], f["rule"], f["severity"], tuple(f["cells"]), f["status"],
                                                 f["message"]) for f in full["findings"]),
                             "source": (full["source"] or {}).get("sha256")})
        f = facts[item["id"]]
        fact_row = {c: getattr(f, c) for c in ReportFacts.__table__.columns.keys()
                    if c not in ("report_id", "version_id", "agency_id", "region_id", "province_id", "city_id",
                                 "county_id")}
        fact_row["chain"] = tuple(region_name(getattr(f, c)) for c in ("province_id", "city_id", "county_id"))
        assert key not in reports, f"two reports of {key}"
        reports[key] = {"versions": versions, "facts": fact_row}
    return {
        "reports": reports,
        "regions": sorted(((r.full_name, r.level, region_name(r.parent_id)) for r in regions.values()), key=repr),
        "agencies": sorted(((a.name, region_name(a.region_id), a.kind, a.level,
                            agencies[a.parent_id].name if a.parent_id in agencies else None)
                           for a in agencies.values()), key=repr),
        "rollup": sorted(((r.grain, region_name(r.province_id), region_name(r.city_id), region_name(r.county_id),
                          r.level, r.kind, r.year, r.template, r.n, r.n_tables,
                          tuple(getattr(r, c) for c in FactsRollup.__table__.columns.keys()
                                if c.startswith(("t3_", "t4_")))) for r in rollup), key=repr),
    }
