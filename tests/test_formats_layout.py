"""Grid geometry: merged cells from boxes, tables stitched across pages."""
from nianbao.sources.layout import grid_from_cells, join_wrapped, stitch, stitch_pages, strip_private


def box(x0, top, x1, bottom, text):
    return {"x0": x0, "top": top, "x1": x1, "bottom": bottom, "text": text}


def texts(grid):
    return [[c["text"] for c in row] for row in grid]


HEADER = [box(0, 0, 100, 20, "项目"), box(100, 0, 300, 10, "申请人"), box(100, 10, 200, 20, "甲"),
          box(200, 10, 300, 20, "乙")]


def test_merged_cells_repeat_with_one_primary():
    grid = grid_from_cells(HEADER + [box(0, 20, 100, 30, "一、新收"), box(100, 20, 200, 30, "3"),
                                     box(200, 20, 300, 30, "4")])
    assert texts(grid) == [["项目", "申请人", "申请人"], ["项目", "甲", "乙"], ["一、新收", "3", "4"]]
    assert [[c["primary"] for c in row] for row in grid] == [[True, True, False], [False, True, True],
                                                             [True, True, True]]


def test_stitch_drops_repeated_header_and_joins_cut_row():
    first = grid_from_cells(HEADER + [box(0, 20, 100, 30, "5.要求确认或重新出"), box(100, 20, 200, 30, "7"),
                                      box(200, 20, 300, 30, "3")])
    cont = grid_from_cells([dict(b) for b in HEADER] + [box(0, 20, 100, 30, "具已获取信息"), box(100, 20, 200, 30, ""),
                                                        box(200, 20, 300, 30, ""),
                                                        box(0, 30, 100, 40, "(七)总计"), box(100, 30, 200, 40, "9"),
                                                        box(200, 30, 300, 40, "8")])
    grid = strip_private(stitch(first, cont))
    assert texts(grid)[2:] == [["5.要求确认或重新出具已获取信息", "7", "3"], ["(七)总计", "9", "8"]]
    assert len(grid) == 4


def test_stitch_pages_only_joins_adjacent_tables_of_one_width():
    a = grid_from_cells([box(0, 0, 100, 10, "一"), box(100, 0, 200, 10, "1")])
    b = grid_from_cells([box(0, 0, 100, 10, "二"), box(100, 0, 200, 10, "2")])
    c = grid_from_cells([box(0, 0, 50, 10, "x"), box(50, 0, 120, 10, "9")])  # another table, another width
    items = [{"kind": "table", "page": 1, "top": 700, "grid": a}, {"kind": "table", "page": 2, "top": 50, "grid": b},
             {"kind": "table", "page": 3, "top": 50, "grid": c}]
    out = stitch_pages(items)
    assert len(out) == 2 and texts(out[0]["grid"]) == [["一", "1"], ["二", "2"]]
    items.insert(1, {"kind": "text", "page": 2, "top": 20, "text": "三、收到和处理"})
    assert len(stitch_pages(items)) == 4  # text between them: not one table


def test_join_wrapped():
    assert join_wrapped("（二）部分公开（区分处理的，只计这\n一情形）") == "（二）部分公开（区分处理的，只计这一情形）"
    assert join_wrapped("Word\nexport") == "Word export"


def test_stitch_carries_header_cells_cut_by_the_break():
    """Chromium cuts a two-row header cell (行政复议's 结果维持 …) at the page
    break: its lower half starts the next page empty, beside labels."""
    first = grid_from_cells([box(0, 0, 100, 10, "行政复议"), box(100, 0, 300, 10, "行政诉讼"),
                             box(0, 10, 100, 20, "结果维持"), box(100, 10, 200, 20, "直接起诉"),
                             box(200, 10, 300, 20, "复议后")])
    cont = grid_from_cells([box(0, 0, 100, 10, ""), box(100, 0, 200, 10, "结果维持"), box(200, 0, 300, 10, "总计"),
                            box(0, 10, 100, 20, "3"), box(100, 10, 200, 20, "0"), box(200, 10, 300, 20, "0")])
    grid = strip_private(stitch(first, cont))
    assert texts(grid) == [["行政复议", "行政诉讼", "行政诉讼"], ["结果维持", "直接起诉", "复议后"],
                           ["结果维持", "结果维持", "总计"], ["3", "0", "0"]]
    assert grid[2][0]["primary"] is False
    # an empty cell in a data row stays empty
    cont2 = grid_from_cells([box(0, 0, 100, 10, ""), box(100, 0, 200, 10, "5"), box(200, 0, 300, 10, "6"),
                             box(0, 10, 100, 20, "7"), box(100, 10, 200, 20, "8"), box(200, 10, 300, 20, "9")])
    assert texts(strip_private(stitch(first, cont2)))[2] == ["", "5", "6"]


def test_scan_label_cell_over_two_rows_is_split_at_numbered_labels():
    from nianbao.sources.image import _split_enumerated
    from nianbao.sources.layout import group_rows

    def word_box(text, x0, top, x1, bottom, words=None):
        return dict(box(x0, top, x1, bottom, text), confidence=0.9, **({"words": words} if words else {}))

    label = {"x0": 0, "top": 0, "x1": 200, "bottom": 60}  # the rule between its two rows was lost
    cells = [label, {"x0": 200, "top": 0, "x1": 260, "bottom": 30}, {"x0": 200, "top": 30, "x1": 260, "bottom": 60}]
    lines = group_rows([word_box("3.危及安全稳定", 5, 5, 150, 25), word_box("4.保护第三方合法权益", 5, 35, 190, 55)])
    parts = _split_enumerated(label, lines, cells)
    assert [(p["top"], p["bottom"], [b["text"] for ln in ls for b in ln]) for p, ls in parts] == \
        [(0, 30, ["3.危及安全稳定"]), (30, 60, ["4.保护第三方合法权益"])]
    # one label wrapped over the rows of a real merged cell stays whole
    wrapped = group_rows([word_box("(三)不予公开的", 5, 5, 150, 25), word_box("情形", 5, 35, 60, 55)])
    assert len(_split_enumerated(label, wrapped, cells)) == 1


def test_heading_after_a_full_line_starts_a_paragraph():
    from nianbao.sources.layout import paragraphs

    def line(text, top, x1):
        return {"text": text, "x0": 0, "x1": x1, "top": top, "bottom": top + 10, "page": 1}

    out = paragraphs([line("提升政务公开标准化规范化水平。本机关坚持以公开为常态、不公开为例外", 0, 500),
                      line("加强政策解读。", 12, 100), line("提升政务公开标准化规范化水平。", 24, 500),
                      line("二、主动公开政府信息情况", 36, 200)], right_edge=500, left_edge=0)
    assert [p["text"] for p in out][1:] == ["提升政务公开标准化规范化水平。", "二、主动公开政府信息情况"]
    assert out[0]["text"].endswith("不公开为例外加强政策解读。")  # a wrapped sentence is still joined


def test_heading_under_a_table_at_the_page_foot_is_not_a_cut_row():
    from nianbao.sources.pdf import _overflow_into_cut_row

    def chars(text, x0, width=10):
        return [{"text": ch, "x0": x0 + i * width, "x1": x0 + (i + 1) * width} for i, ch in enumerate(text)]

    def table():
        grid = grid_from_cells([box(0, 700, 100, 760, "5.要求行政机关确认或重新出"), box(100, 700, 200, 760, "3"),
                                box(200, 700, 300, 760, "4")])
        return [{"kind": "table", "top": 700, "bottom": 760, "grid": grid, "page": 1}]

    def run(text, x0=2):
        tables = table()
        lines = [{"text": text, "x0": x0, "x1": x0 + 10 * len(text), "top": 762, "bottom": 772, "chars": chars(text, x0)}]
        _overflow_into_cut_row(tables, lines, 780.0)
        return tables[0]["grid"][-1][0]["text"], len(lines)

    assert run("具已获取信息") == ("5.要求行政机关确认或重新出具已获取信息", 0)  # the rest of the cut label
    assert run("三、收到和处理") == ("5.要求行政机关确认或重新出", 1)  # the next section's heading
    assert run("政府信息公开申请情况", x0=60) == ("5.要求行政机关确认或重新出", 1)  # runs under the numbers
