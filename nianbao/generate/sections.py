"""Prose for a generated record: a preamble and the six sections, stating the tables' numbers.

Small on purpose: enough text for the validator's prose, form, period and fee rules to have
something true to read (and for tests to change one thing in it). ``add_prose`` fills
``record["preamble"]`` and ``record["sections"]`` in the shape the extractor produces.
"""
from __future__ import annotations

import random

from ..template import SECTIONS, t3_rows

SELF_SUBJECTS = ("我局", "本机关", "我委", "本单位")
WIDE_SUBJECTS = ("全区各级行政机关", "全市", "全县各部门")

FILLER = {
    "一": ("坚持以公开为常态、不公开为例外，持续推进决策、执行、管理、服务、结果公开。",
          "调整充实政务公开工作领导小组，明确分管领导和专职工作人员。",
          "健全信息发布审查机制，坚持先审后发，确保公开信息准确规范。",
          "围绕群众关切做好政策解读，通过图解、问答等形式增强解读效果。"),
    "二": ("依托政府门户网站及时公开机构职能、政策文件、财政预决算等信息。",
           "做好行政许可、行政处罚等执法信息公示，按规定时限更新。",
           "通过政务新媒体同步发布重要政策和便民服务信息。"),
    "三": ("严格按照法定程序和时限办理依申请公开事项，做到依法答复、规范告知。",
           "完善依申请公开登记、审核、答复、归档全流程管理。"),
    "四": ("认真做好行政复议和行政应诉工作，及时总结案件反映的问题。",),
    "五": ("政策解读的形式仍较单一，互动回应有待加强。",
           "部分栏目更新不够及时，信息发布的规范性仍需提高。",
           "下一步将加强业务培训，完善考核机制，持续提升政务公开质量。"),
    "六": ("按照上级年度政务公开工作要点，逐项落实各项任务。",
           "认真办理人大代表建议和政协委员提案，并按规定公开办理结果。"),
}


def _sum(rows: dict, keys, col: int = 6) -> int:
    return sum(rows[k][col] for k in keys)


def _keys(form: str, group: str) -> list[str]:
    return [r.key for r in t3_rows(form) if r.group == group]


def add_prose(rng: random.Random, record: dict, *, scope: str = "self") -> dict:
    """Fill ``preamble`` and ``sections`` of a generated record; returns the record.

    ``scope="self"`` words the numbers as the agency's own (我局…); ``"wide"`` as a wider scope (全市…).
    """
    meta = record["meta"]
    year = meta["year"]
    subject = rng.choice(SELF_SUBJECTS if scope == "self" else WIDE_SUBJECTS)
    titles = "、".join(s.title for s in SECTIONS)
    preamble = (f"{meta.get('agency') or '本机关'}{year}年政府信息公开工作年度报告\n"
                f"本报告根据《中华人民共和国政府信息公开条例》编制，内容包括{titles}等六部分。"
                f"本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。")
    texts = {s.number: [] for s in SECTIONS}
    t3 = (record.get("t3") or {}).get("rows")
    t4 = record.get("t4")
    form = meta.get("template")
    if t3:
        texts["一"].append(f"{year}年，{subject}共收到政府信息公开申请{t3['new'][6]}件，办结{t3['total'][6]}件。")
        other = t3["other"][6] if "other" in t3 else _sum(t3, _keys(form, "other"))
        texts["三"].append(
            f"本年度{subject}新收政府信息公开申请{t3['new'][6]}件，上年结转{t3['carried'][6]}件；"
            f"其中予以公开{t3['granted'][6]}件，部分公开{t3['partial'][6]}件，"
            f"不予公开{_sum(t3, _keys(form, 'deny'))}件，无法提供{_sum(t3, _keys(form, 'unable'))}件，"
            f"不予处理{_sum(t3, _keys(form, 'reject'))}件，其他处理{other}件，"
            f"结转下年度继续办理{t3['carry_next'][6]}件。")
    if t4:
        recon = t4["reconsideration"][4]
        lit = t4["litigation_direct"][4] + t4["litigation_after_reconsideration"][4]
        if recon == 0 and lit == 0:
            texts["四"].append(f"本年度{subject}未发生因政府信息公开引起的行政复议、行政诉讼案件。")
        else:
            texts["四"].append(f"本年度{subject}发生政府信息公开行政复议{recon}件，行政诉讼{lit}件。")
    if year >= 2021 or rng.random() < 0.3:
        fee = rng.choice([0, 0, 0, rng.randint(1, 900)])
        texts["六"].append(f"本年度{subject}未收取信息处理费。" if fee == 0 else
                          f"本年度{subject}共收取信息处理费{fee}元。")
    for number, pool in FILLER.items():
        picked = rng.sample(pool, k=min(len(pool), rng.randint(1, 2)))
        texts[number] = picked[:1] + texts[number] + picked[1:]
    record["preamble"] = preamble
    record["sections"] = [{"number": s.number, "title": s.title, "text": "".join(texts[s.number])}
                          for s in SECTIONS]
    return record
