"""Generated inputs for the store tests: records, simple text renderings, corpora on disk."""
from __future__ import annotations

import copy
import json
import random
from pathlib import Path

from nianbao.generate.records import random_record
from nianbao.template import T3_ROW_BY_KEY, T4_GROUPS

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
    rec["sections"] = [{"number": k, "title": k, "text": v + f"（{year}年）"} for k, v in SECTION_TEXT.items()]
    sha = f"{rng.getrandbits(256):064x}"
    rec["source"] = {"path": f"gen-{sha[:8]}.txt", "sha256": sha, "format": "txt"}
    rec["provenance"] = {"t3.new[6]": {"span": [10, 12], "confidence": 0.9}}
    return rec


def next_year(rng: random.Random, prev: dict, *, break_carry: bool = False) -> dict:
    """The same agency one year later, its 上年结转 equal to last year's 结转下年度 (or not)."""
    meta = prev["meta"]
    cur = record(rng, meta["year"] + 1, agency=meta["agency"], region=meta["region"])
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
