"""How a generated report opens and signs off, in the shapes real pages take.

Real openings often have no title, or a title without the agency; they name the agency in the
first sentence (现公布XX2022年…年度报告, 本报告由XX…编制), in a crawler header or an
索引号/发布机构/发布日期 block, only in the sign-off, or as 我局 beside the site's name; titles
name a place only (XX县2022年… → XX县人民政府) or a department without its place (教育局2022年…).
Each shape keeps the agency a careful reader would write, so the record's truth is unchanged.

The shape is drawn from its own generator, seeded by the record, so that choosing it does not move
the draws of the rest of the document.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

SHAPES = ("classic", "published_in_sentence", "compiled_by", "index_block", "crawler_header", "sign_off_only",
          "we_and_site", "place_title", "department_title")
CONDITIONS = "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，"
UNTITLED = "政府信息公开工作年度报告"


@dataclass
class Opening:
    shape: str
    head: list[str]                      # lines before the first paragraph (title, header fields)
    lead: str = ""                       # words put before the first paragraph
    sign: list[str] = field(default_factory=list)
    byline: str | None = None            # what the page header's 来源 says (None: the agency)


def we(agency: str, kind: str) -> str | None:
    """How the report speaks of its agency: 我局, 我委, 我办, 我区 …"""
    if kind == "government" and agency.endswith("人民政府"):
        return "我" + agency[-5]          # 任城区人民政府 → 我区
    for end, we in (("局", "我局"), ("委员会", "我委"), ("办公室", "我办")):
        if agency.endswith(end):
            return we
    return None


def _department(agency: str, region: str) -> str | None:
    """The department's own words, without the place (济宁市任城区教育局 → 教育局)."""
    for cut in range(len(agency) - 3, 1, -1):
        if agency[cut - 1] in "市区县旗州" and agency[:cut] in region:
            rest = agency[cut:]
            return rest if not rest.startswith(("人民政府", "政府")) else None
    return None


def draw(rec: dict, classic_two_lines: bool, date: str) -> Opening:
    """The opening of one record (classic_two_lines: the draw plan_modern made for its title)."""
    meta = rec["meta"]
    agency, year, region = meta["agency"], meta["year"], meta.get("region") or ""
    rng = random.Random(f"opening:{agency}:{year}:{meta['published']}")
    shapes = ["classic", "classic", "published_in_sentence", "compiled_by", "index_block", "crawler_header",
              "sign_off_only"]
    if we(agency, meta.get("kind", "")):
        shapes.append("we_and_site")
    if agency.endswith("人民政府"):
        shapes.append("place_title")
    dept = _department(agency, region)
    if dept:
        shapes.append("department_title")
    shape = rng.choice(shapes)
    title = f"{year}年{UNTITLED}"
    sign = [agency, date]
    if shape == "classic":
        head = [agency, title] if classic_two_lines else [f"{agency}{title}"]
        return Opening(shape, head, sign=sign)
    if shape == "published_in_sentence":
        verb = rng.choice(["现公布", "特公布"])
        return Opening(shape, [], f"{CONDITIONS}{verb}{agency}{year}年{UNTITLED}。", sign)
    if shape == "compiled_by":
        return Opening(shape, [rng.choice([title, f"{year}年度{UNTITLED}"])],
                       f"本报告由{agency}根据《中华人民共和国政府信息公开条例》要求编制。", sign)
    if shape == "index_block":
        code = f"{rng.randint(10**17, 10**18 - 1)}/{year + 1}-{rng.randint(1, 999):05d}"
        published = meta["published"]
        lines = [f"索引号：{code}　主题分类：政务公开", f"发布机构：{agency}　成文日期：{published}",
                 f"标题：{year}年度{UNTITLED}", f"发文字号：　发布日期：{published}"]
        if rng.random() < 0.5:
            lines = ["　".join(lines)]
        return Opening(shape, lines, sign=[date] if rng.random() < 0.5 else sign, byline="本站")
    if shape == "crawler_header":
        return Opening(shape, [f"标题: {year}年度{UNTITLED}", f"发布时间: {meta['published']} 09:30", "文号: ",
                               f"发布机构: {agency}", "栏目: 政府信息公开年报",
                               "==================== 正文 ===================="], sign=[date], byline="本站")
    if shape == "sign_off_only":
        return Opening(shape, [], "", sign, byline="本站")
    if shape == "we_and_site":
        return Opening(shape, [rng.choice([title, f"{year}年度{UNTITLED}"])],
                       f"{CONDITIONS}现将{we(agency, meta.get('kind', ''))}{year}年度政府信息公开工作情况报告如下。",
                       [date, f"主办单位：{agency}　技术支持：大数据中心"], byline="本站")
    if shape == "place_title":
        place = agency[:-len("人民政府")]
        head = [rng.choice([f"{place}{year}年{UNTITLED}", f"{year}年{place}政府信息公开工作年度报告"])]
        return Opening(shape, head, sign=sign)
    # department_title: the place comes from the page (the sign-off, the crumb, the first paragraph)
    return Opening(shape, [f"当前位置：首页 > 政务公开 > 部门信息公开 > {dept}", f"{dept}{year}年{UNTITLED}"],
                   sign=sign, byline="本站")
