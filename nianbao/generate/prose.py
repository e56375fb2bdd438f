"""The words around the tables: title, intro with 统计期限, six sections, sign-off, page debris.

Produces a *plan*: a list of parts in reading order, each ``(kind, payload)``
with kind one of ``title`` (list of lines), ``p`` (paragraph), ``h`` (heading),
``table`` (a :class:`~nianbao.generate.tables.Grid`), ``debris`` (a line of
web-page or PDF debris), ``sign`` (agency line, date line). Numbers stated by
the prose agree with the tables and are returned as *claims*
(``{"cells": [...], "value": n, "text": sentence}``), which the ambiguity
oracle may use as constraints, as a careful reader would.
"""
from __future__ import annotations

import random

from . import openings
from .tables import Grid

FILLER = (
    "坚持以习近平新时代中国特色社会主义思想为指导，认真落实《条例》和上级关于政务公开工作的部署要求，围绕中心、服务大局，不断提升政务公开质量和实效。",
    "进一步健全政府信息公开工作机制，明确专人负责信息发布和审核，做到公开及时、内容准确。",
    "加强政府网站和政务新媒体建设，优化栏目设置，及时更新机构职能、政策文件、财政预决算等信息。",
    "严格落实保密审查制度，将保密审查程序与公文流转程序紧密结合，确保公开文件不涉密。",
    "围绕群众关心关注的热点问题，做好政策解读和回应关切，提高政策的知晓度和透明度。",
    "将政府信息公开工作纳入年度考核范围，接受社会监督和评议，确保各项工作有序推进。",
)
PROBLEMS = (
    "一是信息公开的深度和广度还有待加强；二是政策解读形式较为单一；三是工作人员业务水平仍需提高。",
    "政务公开工作与上级要求和群众期盼相比仍存在一定差距，部分栏目更新不够及时。",
)
IMPROVE = (
    "下一步，将加强业务培训，拓宽公开渠道，进一步规范政府信息公开工作程序。",
    "我们将持续完善工作机制，丰富公开形式，切实提升政务公开工作水平。",
)
NOTICE = {"2021": "《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）",
          "2019": "《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》（国办公开办函〔2019〕60号）"}
HEADINGS = {
    "一": ("一、总体情况",),
    "二": ("二、主动公开政府信息情况",),
    "三": ("三、收到和处理政府信息公开申请情况",),
    "四": ("四、政府信息公开行政复议、行政诉讼情况", "四、政府信息公开行政复议和行政诉讼情况",
          "四、政府信息公开行政法复议、行政诉讼情况", "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况"),
    "五": ("五、存在的主要问题及改进情况", "五、存在的主要问题及下步改进情况"),
    "六": ("六、其他需要报告的事项",),
}


def date_cn(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def plan_modern(rng: random.Random, rec: dict, *, with_tables: bool = True,
                grids: dict[str, Grid] | None = None) -> tuple[list, list[dict]]:
    meta = rec["meta"]
    agency, year = meta["agency"], meta["year"]
    t3 = rec["t3"]["rows"] if rec.get("t3") else None
    t4 = rec.get("t4")
    claims: list[dict] = []
    plan: list = []
    opening = openings.draw(rec, rng.random() < 0.7, date_cn(meta["published"]))
    meta["_byline"] = opening.byline
    if opening.head:
        plan.append(("title", opening.head))
    notice = NOTICE["2021" if year >= 2021 else "2019"]
    plan.append(("p", f"{opening.lead}本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和{notice}要求编制。"
                      "全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
                      f"存在的主要问题及改进情况、其他需要报告的事项。本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"))
    plan.append(("h", rng.choice(HEADINGS["一"])))
    proactive = rng.randint(20, 6000)
    plan.append(("p", f"{year}年，{agency}{rng.choice(FILLER)}全年主动公开政府信息{proactive}条。{rng.choice(FILLER)}"))
    if t3 is not None:
        new, granted = t3["new"][6], t3["granted"][6]
        s1 = f"共收到政府信息公开申请{new}件"
        s2 = f"予以公开{granted}件"
        plan.append(("p", f"（二）依申请公开情况。{year}年，{s1}，其中{s2}，均在法定期限内答复。"))
        claims.append({"cells": ["t3.new[6]"], "value": new, "text": s1})
        claims.append({"cells": ["t3.granted[6]"], "value": granted, "text": s2})
    plan.append(("p", rng.choice(FILLER)))
    plan.append(("h", rng.choice(HEADINGS["二"])))
    if with_tables and grids and "t2" in grids:
        plan.append(("table", grids["t2"]))
    else:
        plan.append(("p", f"全年主动公开规范性文件{rng.randint(0, 30)}件，{rng.choice(FILLER)}"))
    plan.append(("h", rng.choice(HEADINGS["三"])))
    if t3 is not None and rng.random() < 0.3:
        # Some reports tell the table's rows in a sentence right before it.
        sentence, told = _t3_sentence(rec, year)
        plan.append(("p", sentence))
        claims += told
    if with_tables and grids and "t3" in grids:
        plan.append(("table", grids["t3"]))
    else:
        plan.append(("p", rng.choice(FILLER)))
    plan.append(("h", rng.choice(HEADINGS["四"])))
    # The sentence on reconsideration and litigation sits before the table in some reports, after it in others.
    sentence_first = rng.random() < 0.5
    t4_table = [("table", grids["t4"])] if with_tables and grids and "t4" in grids else []
    if not sentence_first:
        plan += t4_table
    if t4 is not None:
        r = t4["reconsideration"][4]
        lit = t4["litigation_direct"][4] + t4["litigation_after_reconsideration"][4]
        if r or lit:
            s1, s2 = f"行政复议{r}件", f"行政诉讼{lit}件"
            plan.append(("p", f"{year}年，本机关发生政府信息公开{s1}，{s2}。"))
            claims.append({"cells": ["t4.reconsideration[4]"], "value": r, "text": s1})
            claims.append({"cells": ["t4.litigation_direct[4]", "t4.litigation_after_reconsideration[4]"],
                           "value": lit, "text": s2})
        else:
            plan.append(("p", f"{year}年，本机关未发生因政府信息公开引起的行政复议、行政诉讼案件。"))
    if sentence_first:
        plan += t4_table
    plan.append(("h", rng.choice(HEADINGS["五"])))
    plan.append(("p", rng.choice(PROBLEMS) + rng.choice(IMPROVE)))
    plan.append(("h", rng.choice(HEADINGS["六"])))
    if year >= 2021:
        plan.append(("p", rng.choice(["本年度未收取信息处理费。", "本机关未收取信息处理费，无其他需要报告的事项。"])))
    else:
        plan.append(("p", "无其他需要报告的事项。"))
    plan.append(("sign", opening.sign))
    return plan, claims


_T3_GROUP_WORDS = (("不予公开", "deny_"), ("无法提供", "unable_"), ("不予处理", "reject_"), ("其他处理", "other"))


def _t3_sentence(rec: dict, year: int) -> tuple[str, list[dict]]:
    """A sentence telling table 三's rows in words, and the totals it states (as claims)."""
    rows = rec["t3"]["rows"]
    told = []
    parts = [f"本年度新收政府信息公开申请{rows['new'][6]}件", f"上年结转{rows['carried'][6]}件"]
    told.append({"cells": ["t3.new[6]"], "value": rows["new"][6], "text": parts[0]})
    parts.append(f"其中予以公开{rows['granted'][6]}件")
    told.append({"cells": ["t3.granted[6]"], "value": rows["granted"][6], "text": parts[-1]})
    parts.append(f"部分公开{rows['partial'][6]}件")
    told.append({"cells": ["t3.partial[6]"], "value": rows["partial"][6], "text": parts[-1]})
    for word, prefix in _T3_GROUP_WORDS:
        keys = [k for k in rows if k.startswith(prefix)]
        total = sum(rows[k][6] for k in keys)
        parts.append(f"{word}{total}件")
        told.append({"cells": [f"t3.{k}[6]" for k in keys], "value": total, "text": parts[-1]})
    parts.append(f"结转下年度继续办理{rows['carry_next'][6]}件")
    return f"{year}年，" + "，".join(parts) + "。", told


def plan_legacy(rng: random.Random, rec: dict, grid: Grid | None) -> tuple[list, list[dict]]:
    meta = rec["meta"]
    agency, year = meta["agency"], meta["year"]
    legacy = rec["legacy"]
    us = openings.we(agency, meta.get("kind", "")) or "我局"
    claims: list[dict] = []
    opening = openings.draw(rec, False, date_cn(meta["published"]))
    meta["_byline"] = opening.byline
    plan: list = [("title", opening.head)] if opening.head else []
    plan.append(("p", f"{opening.lead}本年度报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求编制，由概述、主动公开政府信息情况、"
                      "政府信息依申请公开办理情况、因政府信息公开申请行政复议和提起行政诉讼的情况、存在的主要问题及改进措施、"
                      f"需要说明的其他事项与附表组成。本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"))
    plan.append(("h", "一、概述"))
    plan.append(("p", f"{year}年，{agency}{rng.choice(FILLER)}{rng.choice(FILLER)}"))
    plan.append(("h", "二、主动公开政府信息情况"))
    pro = legacy["主动公开信息数"]
    if len(pro) > 1:
        s1, s2 = f"历年累计主动公开政府信息{pro[1]}条", f"其中{year}年主动公开政府信息{pro[0]}条"
        plan.append(("p", f"截至{year}年12月31日，{us}{s1}，{s2}。"))
        claims.append({"cells": ["legacy.主动公开信息数[1]"], "value": pro[1], "text": s1})
    else:
        s2 = f"{year}年主动公开政府信息{pro[0]}条"
        plan.append(("p", f"{s2}。"))
    claims.append({"cells": ["legacy.主动公开信息数[0]"], "value": pro[0], "text": s2})
    plan.append(("h", "三、政府信息依申请公开办理情况"))
    req = legacy["受理政府信息公开申请总数"][0]
    s = f"共受理政府信息公开申请{req}件"
    plan.append(("p", f"{year}年，{us}{s}，均已按时答复。"))
    claims.append({"cells": ["legacy.受理政府信息公开申请总数[0]"], "value": req, "text": s})
    plan.append(("h", "四、因政府信息公开申请行政复议、提起行政诉讼的情况"))
    plan.append(("p", rng.choice(FILLER)))
    plan.append(("h", "五、政府信息公开工作存在的主要问题及改进措施"))
    plan.append(("p", rng.choice(PROBLEMS) + rng.choice(IMPROVE)))
    plan.append(("h", "六、需要说明的其他事项与附表"))
    plan.append(("p", "（一）需要说明的其他事项。无。（二）附表。"))
    if grid is not None:
        plan.append(("p", f"附表：{year}年政府信息公开情况统计表"))
        plan.append(("table", grid))
    plan.append(("sign", opening.sign))
    return plan, claims


NAV = ("首页 > 政务公开 > 政府信息公开年报", "当前位置：首页 > 信息公开 > 年度报告", "网站首页 | 政务公开 | 政务服务 | 互动交流")
BANNERS = ("DOC文库 - 千万精品文档，你想要的都能搜到，下载即用。", "当前文档共19页 2.88 下载后继续阅读", "相关文章", "扫一扫在手机打开当前页")


def page_header(rng: random.Random, meta: dict) -> list[str]:
    src = meta.get("_byline") or meta["agency"]
    return [rng.choice(NAV),
            f"发布时间：{meta['published']}　来源：{src}　字体显示：大 中 小　阅读：{{{{ pvCount }}}} 次"]


def crawl_header(rng: random.Random, meta: dict, title: str) -> list[str]:
    """What a crawler keeps of a page around the report: breadcrumbs, the title again,
    source and time, the share and print buttons, font sizes, hit counts."""
    src = meta.get("_byline") or meta["agency"]
    column = rng.choice(["政府信息公开年报", "年度报告", "政府信息公开工作年度报告"])
    parts = [f"当前位置：首页{rng.choice(['', ' > '])}政务公开{rng.choice(['', ' > '])}{column}", title,
             rng.choice([f"来源：{src} 时间：{meta['published']} 09:{rng.randint(10, 59)}",
                         f"发布时间：{meta['published']} 来源：{rng.choice([src, '本站'])}",
                         f"信息来源：{src} 发布日期：{meta['published']} 浏览次数：{rng.randint(10, 9999)}"])]
    parts.append(rng.choice(["--> 微信 微博 QQ空间 全真版 文字版 文件下载 相关链接：", "字号：大 中 小 打印本页 关闭窗口",
                             "【字体：大 中 小】 【打印】 【关闭】", "分享到： 扫一扫在手机打开当前页"]))
    return parts


CRAWL_TAIL = ("附件下载", "打印本页 关闭窗口", "【打印本页】【关闭窗口】", "相关附件：")
# Comments of Word-made pages that a crawler leaves in the text.
COMMENT_DEBRIS = ("<!--[if !supportLists]-->", "<!--[endif]-->", "<!--StartFragment-->")


def page_footer(rng: random.Random, meta: dict) -> list[str]:
    n = rng.randint(10000000, 99999999)
    return [f"主办：{meta['agency']}　版权所有　网站标识码：{rng.randint(1000000000, 9999999999)}",
            f"江ICP备{n}号-{rng.randint(1, 9)}　江公网安备 {rng.randint(10**13, 10**14 - 1)}号"]
