"""What the validator gives the quality score: each section's 重复率 against last year, and measures."""
from __future__ import annotations

from nianbao.validate import check, cross_year

SENTENCES = {
    "一": "本机关坚持以公开为常态、不公开为例外，全面推进决策、执行、管理、服务、结果公开。认真贯彻落实政府信息公开条例各项要求。",
    "五": "存在的主要问题是公开内容不够全面，政策解读形式较为单一。下一步将加强业务培训并完善工作机制。",
}


def _rec(year: int, texts: dict) -> dict:
    return {"meta": {"year": year, "agency": "江州市教育局"}, "t2": None, "t3": None, "t4": None,
            "sections": [{"number": k, "title": k, "text": v} for k, v in texts.items()], "findings": []}


def test_section_repeat_per_section_with_its_rate():
    prev = _rec(2022, SENTENCES)
    cur = _rec(2023, {"一": SENTENCES["一"].replace("2022", "2023"),
                      "五": "本年度新增了在线申请渠道，答复质量明显提高。明年将重点推进基层政务公开标准化建设工作。"})
    found = [f for f in cross_year(prev, cur) if f["rule"] == "cross.section_repeat"]
    assert [f["cells"] for f in found] == [["sections.一"]]
    assert found[0]["measure"] == 1.0 and "100%" in found[0]["message"]
    # half of a section repeated: the rate is the share of its characters
    half = _rec(2023, {"一": SENTENCES["一"].split("。")[0] + "。本年度围绕重点领域持续深化信息公开并取得新的进展和成效。"})
    f = next(f for f in cross_year(prev, half) if f["rule"] == "cross.section_repeat")
    assert 0.3 <= f["measure"] < 0.8


def test_late_report_measures_its_days():
    rec = _rec(2023, SENTENCES)
    rec["meta"].update(published="2024-03-05", kind="department")
    late = next(f for f in check(rec) if f["rule"] == "time.late")
    assert late["measure"] == 34
