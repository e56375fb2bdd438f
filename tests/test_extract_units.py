"""The pieces of the extractor, one by one."""
import pytest

from nianbao.extract.solver import Candidate, Equation, Variable, ambiguous_cells, solve
from nianbao.extract.splits import split_plain, split_with_total, split_tokens
from nianbao.extract.labels import find_t3_rows, normalize
from nianbao.extract.tokens import BLANK, NUM, TEXT, Item, tokenize
from nianbao.sources import read_bytes, sniff_format
from nianbao.sources.base import SourceError
from nianbao.sources.decode import decode


def _items(text):
    return [(i.kind, i.text) for i in tokenize(read_bytes(text.encode("utf-8"), "x.txt")) if i.kind != "row_end"]


def test_enumeration_prefixes_stay_with_labels():
    got = _items("1.属于国家秘密 0 0 3 2、重复申请 12")
    assert got == [(TEXT, "1.属于国家秘密"), (NUM, "0"), (NUM, "0"), (NUM, "3"), (TEXT, "2、重复申请"), (NUM, "12")]


def test_a_wrapped_label_piece_is_no_enumeration():
    # "…不补正 0 … 1 、行政机关不再处理…": the label wrapped at its 、; the numbers before are cells
    for last in ("0", "1", "2"):
        got = _items(f"1.申请人无正当理由逾期不补正 0 0 0 0 0 0 {last} 、行政机关不再处理其政府信息公开申请")
        assert got[-2:] == [(NUM, last), (TEXT, "、行政机关不再处理其政府信息公开申请")], got
    # a spaced-out enumeration of a new label stays an enumeration
    assert _items("0 0 3 、重复申请 12")[2:] == [(TEXT, "3 、重复申请"), (NUM, "12")]


def test_a_label_wrapped_after_a_run_of_headings_is_whole_again():
    heads = "申请人情况 法人或其他组织 自然人 商业 科研 公益 服务 其他 企业 机构 组织 机构 总 计"
    got = _items(f"{heads} 本年新 收政府信息公开申请数量 2 0 0 0 0 0 2")
    labels = [t for k, t in got if k == TEXT]
    assert [k for k, *_ in find_t3_rows(normalize(labels[-1]))] == ["new"], labels
    assert not any("本年新" in t for t in labels[:-1])
    # wherever the greedy join of headings (at most 40 characters) ends, the label is whole
    for pad in range(1, 40):
        heads = " ".join(["总计"] * pad)
        got = _items(f"{heads} 本年新 收政府信息公开申请数量 2 0 0 0 0 0 2")
        last = [t for k, t in got if k == TEXT][-1]
        assert [k for k, *_ in find_t3_rows(normalize(last))] == ["new"], (pad, got)


def test_decimals_debris_and_page_counters():
    got = _items("行政事业性收费 151.598 — 14 — 0? 7")
    assert got == [(TEXT, "行政事业性收费"), (NUM, "151.598"), (NUM, "0"), (NUM, "7")]


def test_pipe_rows_and_blank_cells():
    got = _items("规章 | / | 3 | — |\n行政许可 | 110 | ||")
    # the space before the merge marks "||" is kept as a blank; the decoder trims it by the row width
    assert got == [(TEXT, "规章"), (BLANK, "/"), (NUM, "3"), (BLANK, "—"), (TEXT, "行政许可"), (NUM, "110"), (BLANK, "")]


def test_a_pipe_row_of_empty_cells_is_a_row_of_blanks():
    header = "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计"
    got = _items(f"{header}\n |  |  |  |  |\n")
    assert got[5:] == [(BLANK, "")] * 5
    # a lone "|" (or " |") is one empty cell of one-cell-per-line text
    assert _items("结果维持 |\n |\n") == [(TEXT, "结果维持"), (BLANK, "")]


def test_digit_runs_split_by_row_total():
    readings = split_with_total("640020470", 6)
    assert [64, 0, 0, 2, 0, 4, 70] in readings
    assert all(sum(r[:6]) == r[6] for r in readings)
    assert split_with_total("0000000", 6) == [[0] * 7]


def test_split_plain_never_gives_leading_zeros():
    for r in split_plain("10203", 3):
        assert all(str(v) for v in r)
    assert [1, 0, 203] in split_plain("10203", 3)
    assert [10, 20, 3] in split_plain("10203", 3)
    assert [1, 2, 3] not in split_plain("10203", 3)


def test_split_tokens_keeps_unsplittable_tokens_whole():
    got = split_tokens(["12", "3"], 3, [False, True])
    assert got == []  # "3" cannot be cut in two, "12" may not be cut
    got = split_tokens(["12", "34"], 3, [False, True])
    assert [v for v, _ in got[0]] == [12, 3, 4]


def test_solver_keeps_only_consistent_readings_and_reports_ambiguity():
    # a + b = 5 where a is certain (2) and b has candidates 3 or 4: only 3 survives
    a = Variable("a", [Candidate({"a": 2})])
    b = Variable("b", [Candidate({"b": 4}, 0), Candidate({"b": 3}, 1)])
    eq = Equation((("a", 1), ("b", 1)), 5)
    sol = solve([a, b], [eq])
    assert sol.satisfied and sol.choice == [0, 1] and sol.feasible[1] == [1]
    assert ambiguous_cells([a, b], sol.feasible) == set()
    # two readings both satisfy: ambiguous, most plausible (rank 0) chosen
    c = Variable("c", [Candidate({"c": 1, "d": 2}, 0), Candidate({"c": 2, "d": 1}, 1)])
    sol = solve([c], [Equation((("c", 1), ("d", 1)), 3)])
    assert sol.choice == [0] and ambiguous_cells([c], sol.feasible) == {"c", "d"}


def test_solver_reports_unsatisfiable():
    a = Variable("a", [Candidate({"a": 1}), Candidate({"a": 2})])
    sol = solve([a], [Equation((("a", 1),), 7)])
    assert not sol.satisfied


@pytest.mark.parametrize("enc", ["utf-8", "gb18030", "gbk", "utf-16"])
def test_decoding(enc):
    text = "政府信息公开工作年度报告：予以公开 43 件"
    data = text.encode(enc)
    if enc == "utf-16":
        assert data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff")
    assert decode(data)[0] == text


def test_declared_gb2312_is_read_as_gb18030():
    html = '<html><head><meta charset="gb2312"></head><body>𠮷 予以公开</body></html>'.encode("gb18030")
    assert "𠮷" in decode(html, html=True)[0]


def test_binary_is_refused():
    with pytest.raises(SourceError):
        decode(bytes(range(256)) * 10)


def test_sniffing():
    assert sniff_format(b"%PDF-1.7 ...", "a.txt") == "pdf"
    assert sniff_format(b"PK\x03\x04...", "a.docx") == "docx"
    assert sniff_format(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a.wps") == "wps"
    assert sniff_format("<html><body>".encode(), "a") == "html"
    assert sniff_format("一、总体情况".encode(), "a.txt") == "txt"


def test_html_spans_are_expanded_into_a_full_grid():
    html = ("<table><tr><td rowspan=2>A</td><td colspan=2>B</td></tr><tr><td>1</td><td>2</td></tr></table>")
    doc = read_bytes(html.encode(), "t.html")
    (table,) = list(doc.tables())
    grid = [[c.text for c in row] for row in table.rows]
    assert grid == [["A", "B", "B"], ["A", "1", "2"]]
    assert [c.primary for c in table.rows[1]] == [False, True, True]
    # spans point into the document text
    cell = table.rows[1][1]
    assert doc.text[cell.origin.start:cell.origin.end] == "1"


def test_html_drops_scripts_and_navigation():
    html = ("<html><body><nav>首页 | 新闻</nav><script>var x=1</script><div class='footer'>版权所有 2024</div>"
            "<p>一、总体情况</p></body></html>")
    doc = read_bytes(html.encode(), "p.html")
    assert "首页" not in doc.text and "var x" not in doc.text and "版权所有" not in doc.text
    assert "一、总体情况" in doc.text


def _num_items(values):
    return [Item(NUM, str(v), i, i + 1, v) for i, v in enumerate(values)]


def test_a_flattened_block_that_adds_up_both_ways_keeps_both_orders():
    from nianbao.extract.rows import Block, block_variable
    # two rows printed column by column; read row by row, the numbers add up as well
    # ([0 1 0 0 0 0 1], [0 0 0 0 0 1 1]), so only the identities with the other rows can tell
    rows = [[0, 0, 0, 1, 0, 0, 1], [1, 0, 0, 0, 0, 0, 1]]
    printed = [rows[r][c] for c in range(7) for r in range(2)]
    keys = ["deny_law", "deny_safety"]
    var = block_variable(Block(keys, _num_items(printed), True, False), 7, row_total=True)
    readings = [[[c.values[(k, i)] for i in range(7)] for k in keys] for c in var.candidates]
    assert rows in readings and len(readings) == 2
    # groups side by side in one printed row (table 四) have no column order
    side = block_variable(Block(keys, _num_items(printed), True, False, side_by_side=True), 7, row_total=True)
    assert len(side.candidates) == 1


@pytest.mark.parametrize("title, agency", [
    ("北京市朝阳区人民政府2021年政府信息公开工作年度报告", "北京市朝阳区人民政府"),
    ("2021年度长沙县人民政府信息公开工作年度报告", "长沙县人民政府"),   # 政府 shared with the title
    ("2022年杭州市西湖区民政局政府信息公开工作年度报告", "杭州市西湖区民政局"),
    ("国家税务总局上海市税务局2022年政府信息公开工作年度报告", "国家税务总局上海市税务局"),
])
def test_agency_from_the_title(title, agency):
    from nianbao.extract import extract_bytes
    body = f"{title}\n本报告根据《中华人民共和国政府信息公开条例》要求编制。\n一、总体情况\n本年度工作。\n"
    rec = extract_bytes(body.encode(), "report.txt", None)
    assert rec["meta"]["agency"] == agency
    s, e = rec["provenance"]["meta.agency"]["span"]
    assert body[s:e] == agency
