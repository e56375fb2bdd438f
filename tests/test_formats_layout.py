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
