"""The shapes real crawled pages take, one mechanism at a time (issue 10), in reports written
here in the manner of real ones. The generated corpus (shapes ``crawl`` and ``markdown``) guards
the same mechanisms over every table, template and value pattern."""
from __future__ import annotations

from nianbao.extract import extract_bytes
from nianbao.extract.sections import find_sections
from nianbao.template import T3_ROW_BY_KEY, t3_row_keys

HEAD = ("平潭综合实验区某某局2020年度政府信息公开工作年度报告 来源：本站 时间：2021-01-20 09:30 --> 微信 微博 "
        "全真版 文字版 文件下载 相关链接： 一、总体情况2020年，我局认真落实《条例》要求，依法做好政府信息公开工作。"
        "二、主动公开政府信息情况第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章000行政规范性文件000"
        "第二十条第（五）项信息内容本年处理决定数量行政许可0第二十条第（六）项信息内容本年处理决定数量行政处罚0行政强制0"
        "第二十条第（八）项信息内容本年收费金额（单位：万元）行政事业性收费0")
T3_HEAD = ("三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）申请人情况"
           "自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他")
T4 = ("四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉"
      "结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计{t4}五、存在的主要问题及改进情况"
      "信息公开的深度还有待加强。六、其他需要报告的事项本年度未收取信息处理费。 某某局 2021年1月18日 附件下载")


def _label(key: str) -> str:
    row = T3_ROW_BY_KEY[key]
    label = row.label.replace("(", "（").replace(")", "）").replace(",", "，")
    groups = {"granted": "三、本年度办理结果", "deny_secret": "（三）不予公开", "unable_not_held": "（四）无法提供",
              "reject_complaint": "（五）不予处理", "other_no_correction": "（六）其他处理"}
    return groups.get(key, "") + label


def flat_report(rows: dict, t4: str = "0" * 15, form: str = "2021", printed: dict | None = None) -> bytes:
    """A page flattened the way a crawler saves it: one line, no separator anywhere."""
    body = "".join(_label(k) + (printed or {}).get(k, "".join(str(v) for v in rows[k])) for k in t3_row_keys(form))
    return (HEAD + T3_HEAD + body + T4.format(t4=t4)).encode()


def zero_rows(form: str = "2021") -> dict:
    return {k: [0] * 7 for k in t3_row_keys(form)}


def _extract(data: bytes) -> dict:
    return extract_bytes(data, "page.txt", "txt")


def _rules(rec: dict) -> dict:
    out: dict = {}
    for f in rec["findings"]:
        out.setdefault(f["rule"], set()).update(f["cells"])
    return out


def test_item_numbers_glued_to_the_digits_before_them_go_with_their_labels():
    rows = zero_rows()
    rows["new"] = [2, 0, 0, 0, 0, 1, 3]
    rows["total"] = [2, 0, 0, 0, 0, 1, 3]
    rows["deny_secret"] = [1, 0, 0, 0, 0, 1, 2]    # its last digit, 2, sits right before "2.其他法律…"
    rows["unable_not_held"] = [1, 0, 0, 0, 0, 0, 1]  # its last digit is the "1" of no label: a cell
    rec = _extract(flat_report(rows))
    assert rec["t3"]["rows"] == rows
    assert not {r for r in _rules(rec) if r.startswith(("arith", "extract"))}


def test_a_row_printed_one_cell_short_gets_what_the_identities_fix_and_says_so():
    rows = zero_rows()
    rec = _extract(flat_report(rows, printed={"granted": "0 0 0 0 0 0"}))   # six zeros for seven cells
    assert rec["t3"]["rows"]["granted"] == [0] * 7
    assert "t3.granted[6]" in _rules(rec)["extract.inferred"]


def test_rows_printed_without_numbers_are_filled_from_the_identities():
    rows = zero_rows()
    rows["new"] = rows["total"] = [3, 0, 0, 0, 0, 0, 3]
    rows["granted"] = [3, 0, 0, 0, 0, 0, 3]
    rec = _extract(flat_report(rows, printed={"other_no_fee": "", "other_misc": ""}))
    got = rec["t3"]["rows"]
    assert got["total"] == [3, 0, 0, 0, 0, 0, 3] and got["other_misc"] == [0] * 7 and got["other_no_fee"] == [0] * 7
    assert {"t3.other_no_fee[0]", "t3.other_misc[6]"} <= _rules(rec)["extract.inferred"]


def test_a_misprinted_numbered_label_takes_the_row_of_its_number():
    rows = zero_rows()
    rows["new"] = rows["total"] = rows["deny_enforcement"] = [3, 0, 0, 0, 0, 0, 3]
    data = flat_report(rows).replace("7.属于行政执法案卷".encode(), "7.属于行政执法案件".encode())
    assert _extract(data)["t3"]["rows"]["deny_enforcement"] == [3, 0, 0, 0, 0, 0, 3]


def test_a_year_glued_after_the_last_row_is_the_prose_s():
    rows = zero_rows()
    rows["new"] = rows["total"] = rows["granted"] = [2, 0, 0, 0, 0, 0, 2]
    data = flat_report(rows).replace("五、存在".encode(), "2020年，我局未发生行政复议。五、存在".encode())
    data = data.replace("结果维持结果纠正其他结果尚未审结总计000000000000000".encode(),
                        "结果维持结果纠正其他结果尚未审结总计0000000000000002020年".encode())
    rec = _extract(data)
    assert rec["t4"] == {"reconsideration": [0] * 5, "litigation_direct": [0] * 5,
                         "litigation_after_reconsideration": [0] * 5}


def test_the_originals_own_break_is_reported_on_printed_cells_and_the_rest_read_as_the_identities_want():
    rows = zero_rows("2019")
    rows["new"] = [19, 0, 0, 0, 0, 0, 19]
    rows["granted"] = [6, 0, 0, 0, 0, 0, 6]
    rows["partial"] = [8, 1, 0, 0, 0, 0, 8]      # printed so: 8 + 1 is not 8 (the agency's slip)
    rows["unable_not_held"] = [4, 0, 0, 0, 0, 0, 4]
    rows["other"] = [1, 0, 0, 0, 0, 0, 1]
    rows["total"] = [19, 1, 0, 0, 0, 0, 19]      # "191000019": no cut of it adds up
    rec = _extract(flat_report(rows, form="2019"))
    assert rec["t3"]["rows"]["total"] == [19, 1, 0, 0, 0, 0, 19]
    rules = _rules(rec)
    assert "t3.partial[6]" in rules["arith.t3.row_total"] and "t3.total[6]" in rules["arith.t3.row_total"]
    assert "arith.t3.results_total" not in rules


def test_breaks_through_cells_read_with_doubt_are_never_the_agency_s():
    rows = zero_rows("2019")
    # a row whose digits run together and admit several readings, none satisfying its column
    rows["new"] = rows["total"] = [3, 0, 0, 0, 0, 0, 3]
    rows["granted"] = [3, 0, 0, 0, 0, 0, 3]
    rec = _extract(flat_report(rows, form="2019", printed={"carry_next": "1001102"}))
    rules = _rules(rec)
    accused = {c for r, cells in rules.items() if r.startswith("arith.") for c in cells}
    assert not accused & rules.get("extract.ambiguous", set())
    assert not any(c.startswith("t3.carry_next") for c in accused if "carry_next" in c
                   and c in rules.get("extract.ambiguous", set()))


def test_a_sentence_that_counts_the_rows_before_the_table_is_not_the_table():
    rows = zero_rows()
    rows["new"] = rows["total"] = [5, 0, 0, 0, 0, 0, 5]
    rows["granted"] = [5, 0, 0, 0, 0, 0, 5]
    data = flat_report(rows).replace(T3_HEAD.encode(), (
        "三、收到和处理政府信息公开申请情况 2020年，本年度新收政府信息公开申请5件，上年结转0件，其中予以公开5件，"
        "部分公开0件，不予公开0件，结转下年度继续办理0件。" + T3_HEAD[len("三、收到和处理政府信息公开申请情况"):]).encode())
    assert _extract(data)["t3"]["rows"] == rows


def test_section_headings_inside_a_flattened_line():
    text = ("根据《条例》要求编制本报告。一、总体情况2020年我局做好公开工作。二、主动公开政府信息情况规章000"
            "三、收到和处理政府信息公开申请情况（本列数据…）四、结转下年度继续办理0000000四、因政府信息公开工作被申请行政复议、"
            "提起行政诉讼情况行政复议000000000000000五、存在的主要问题及改进情况仍有不足。六、其他需要报告的事项暂无。")
    sections, _ = find_sections(text)
    assert [s["number"] for s in sections] == list("一二三四五六")
    assert [s["title"] for s in sections][4:] == ["存在的主要问题及改进情况", "其他需要报告的事项"]
    assert sections[3]["title"].startswith("因政府信息公开工作被申请行政复议")


def test_sections_numbered_otherwise_or_without_a_mark():
    text = ("一总体情况今年工作平稳。二、政务公开工作主要任务落实情况略。三、主动公开政府信息情况略。"
            "四、收到和处理政府信息公开申请情况略。五、政府信息公开行政复议、行政诉讼情况略。六、存在的主要问题及改进情况略。")
    numbers = [(s["number"], s["title"][:4]) for s in find_sections(text)[0]]
    assert numbers == [("一", "总体情况"), ("二", "主动公开"), ("三", "收到和处"), ("四", "政府信息"), ("五", "存在的主")]


APPENDIX = ("2015年，我局主动公开政府信息99条。 附件：统计表 指 标 名 称计量单位2015年度历年累计主动公开文件数条99407 "
            "其中：1.政府网站公开数条994072.政府公报公开数条00受理政府信息公开申请总数条10其中：1.当面申请数条002.网上申请数条10"
            "3.信函、传真申请数条00对申请的答复总数条10其中：1.同意公开答复数条102.不予公开答复数条00行政复议数件00"
            "行政诉讼数件00 某某局 2016年1月11日（联系电话：0591-23150000；传真：0591-23150001） 附件下载")


def test_an_appendix_run_together_is_split_by_the_prose_and_its_sub_items():
    rec = _extract(("某某局2015年度政府信息公开工作年度报告 一、概述 " + APPENDIX).encode())
    legacy = rec["legacy"]
    assert legacy["主动公开文件数"] == [99, 407] and legacy["政府网站公开数"] == [99, 407]
    assert legacy["政府公报公开数"] == [0, 0] and legacy["受理政府信息公开申请总数"] == [1, 0]
    assert legacy["网上申请数"] == [1, 0] and legacy["同意公开答复数"] == [1, 0]
    assert list(legacy)[-1] == "行政诉讼数"     # the sign-off and the telephone line are no indicators
    assert rec["meta"]["template"] == "pre2019" and rec["t3"] is None


def test_no_appendix_on_a_report_of_the_2021_form():
    rows = zero_rows()
    data = flat_report(rows).replace("附件下载".encode(), "附件：政府信息公开情况统计表 主动公开信息数 条 6 网站公开 条 6 受理申请数 件 0".encode())
    rec = _extract(data)
    assert rec["t3"] and rec["legacy"] is None


MARKDOWN = """## 三、收到和处理政府信息公开申请情况

| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） |  |  | 申请人情况 |  |  |  |  |  |  |
|---|---|---|---|---|---|---|---|---|---|
|  |  |  | 自然人 | 法人或其他组织 |  |  |  |  | 总计 |
| 一、本年新收政府信息公开申请数量 |  |  | 4 | 1 | 0 | 0 | 0 | 0 | 5 |
| 二、上年结转政府信息公 |  |  |  |  |  |  |  |  |  |
| 开申请数量 |  |  | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| 三、本年度办理结果 | （一）予以公开 |  | 3 | 1 | 0 | 0 | 0 | 0 | 4 |
|  | （二）部分公开（区分处理的，只计这一情形，不计其他情形） |  | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
"""


def test_markdown_tables_with_empty_label_columns_and_wrapped_rows():
    rest = "\n".join(f"|  |  | {T3_ROW_BY_KEY[k].label} | " + " | ".join(["1" if (k == "unable_not_held" and c in (0, 6)) else "0"
                                                                         for c in range(7)]) + " |"
                     for k in t3_row_keys("2021")[4:-2])
    md = MARKDOWN + rest + "\n|  | （七）总计 |  | 4 | 1 | 0 | 0 | 0 | 0 | 5 |\n| 四、结转下年度继续办理 |  |  | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
    rec = _extract(("# 某某局2021年政府信息公开工作年度报告\n\n" + md).encode())
    rows = rec["t3"]["rows"]
    assert rows["new"] == [4, 1, 0, 0, 0, 0, 5] and rows["carried"] == [0] * 7
    assert rows["granted"] == [3, 1, 0, 0, 0, 0, 4] and rows["unable_not_held"] == [1, 0, 0, 0, 0, 0, 1]
    assert rows["total"] == [4, 1, 0, 0, 0, 0, 5]


def test_markdown_label_wrapped_inside_a_word_names_its_row_and_opens_the_table():
    # "一、本年新" / "收政府信息公开申请数量": neither half names the row, and this row opens table 三
    wrapped = MARKDOWN.replace("| 一、本年新收政府信息公开申请数量 |  |  | 4 |",
                               "| 一、 本年新 |  |  |  |  |  |  |  |  |  |\n| 收政府信息公开申请数量 |  |  | 4 |")
    assert wrapped != MARKDOWN
    rest = "\n".join(f"|  |  | {T3_ROW_BY_KEY[k].label} | " + " | ".join(["1" if (k == "unable_not_held" and c in (0, 6)) else "0"
                                                                         for c in range(7)]) + " |"
                     for k in t3_row_keys("2021")[4:-2])
    md = wrapped + rest + "\n|  | （七）总计 |  | 4 | 1 | 0 | 0 | 0 | 0 | 5 |\n| 四、结转下年度继续办理 |  |  | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n"
    rec = _extract(("# 某某局2021年政府信息公开工作年度报告\n\n" + md).encode())
    assert rec["meta"]["template"] == "2021"
    rows = rec["t3"]["rows"]
    assert rows["new"] == [4, 1, 0, 0, 0, 0, 5] and rows["carried"] == [0] * 7
    assert rows["total"] == [4, 1, 0, 0, 0, 0, 5]


def test_table_four_in_runs_that_are_not_one_a_group():
    # a crawler's nbsp and zero-width marks fell inside the groups: 4 + 4 + 8 digits for 15 cells
    rows = zero_rows()
    rec = _extract(flat_report(rows, t4="0000\u200b0000\xa000332210"))
    assert rec["t4"] == {"reconsideration": [0] * 5, "litigation_direct": [0] * 5,
                         "litigation_after_reconsideration": [3, 3, 2, 2, 10]}
    assert not any(f["rule"].startswith(("arith.", "extract.unresolved")) for f in rec["findings"])


def test_an_amount_glued_to_the_date_after_it():
    page = ("某某局2011年政府信息公开工作年度报告 一、概述 本年度主动公开信息2874条。 附表：2011年政府信息公开情况统计表"
            "指标名称单位本年 主动公开信息数条2874其中：1.政府网站公开数条10002.政府公报公开数条745"
            "受理政府信息公开申请总数件3 行政复议数件1 行政诉讼数件0 收取费用万元18.842012年1月26日\n主办单位：某某局")
    rec = _extract(page.encode())
    assert rec["legacy"]["收取费用"] == [18.84]
    # two columns run together, then the date: 28.5 | 28.5
    both = ("某某局2011年政府信息公开工作年度报告 一、概述 本年度主动公开信息2874条。 附表：2011年政府信息公开情况统计表"
            "指标名称单位本年历年累计 主动公开信息数条2874 5000 其中：1.政府网站公开数条1000 3000 2.政府公报公开数条745 2000 "
            "受理政府信息公开申请总数件3 9 行政复议数件1 2 行政诉讼数件0 0 收取费用万元28.528.52012年1月26日\n主办单位：某某局")
    assert _extract(both.encode())["legacy"]["收取费用"] == [28.5, 28.5]
    assert rec["legacy"]["政府网站公开数"] == [1000] and rec["legacy"]["政府公报公开数"] == [745]
