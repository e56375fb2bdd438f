"""The PDF reader on pages drawn here with PDFium itself: which painted paths
are table rules, how characters become cell text and lines, and the grid
clean-up that keeps every number in its column."""
from __future__ import annotations

import ctypes
import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from nianbao.sources import lattice, read_bytes, words
from nianbao.sources.base import TableBlock
from nianbao.sources.layout import grid_from_cells, stitch_pages, strip_private, tidy
from nianbao.sources.pdfpage import read_page

H = 842.0


class Page:
    """A page drawn object by object; y measured from the top, as read back."""

    def __init__(self) -> None:
        self.pdf = pdfium.PdfDocument.new()
        self.page = self.pdf.new_page(595, H)

    def _put(self, obj) -> None:
        pdfium_c.FPDFPage_InsertObject(self.page.raw, obj)

    def rect(self, x0, top, x1, bottom, fill=None, stroke=None, width=0.5) -> None:
        obj = pdfium_c.FPDFPageObj_CreateNewRect(x0, H - bottom, x1 - x0, bottom - top)
        if fill is not None:
            pdfium_c.FPDFPageObj_SetFillColor(obj, *fill, 255)
        if stroke is not None:
            pdfium_c.FPDFPageObj_SetStrokeColor(obj, *stroke, 255)
            pdfium_c.FPDFPageObj_SetStrokeWidth(obj, width)
        pdfium_c.FPDFPath_SetDrawMode(obj, pdfium_c.FPDF_FILLMODE_ALTERNATE if fill else 0, stroke is not None)
        self._put(obj)

    def line(self, x0, top, x1, bottom, color=(0, 0, 0)) -> None:
        obj = pdfium_c.FPDFPageObj_CreateNewPath(x0, H - top)
        pdfium_c.FPDFPath_LineTo(obj, x1, H - bottom)
        pdfium_c.FPDFPageObj_SetStrokeColor(obj, *color, 255)
        pdfium_c.FPDFPageObj_SetStrokeWidth(obj, 0.5)
        pdfium_c.FPDFPath_SetDrawMode(obj, 0, True)
        self._put(obj)

    def grid(self, xs, ys) -> None:
        """Black rules: a vertical line at each x from the first y to the last, and so on."""
        for x in xs:
            self.line(x, ys[0], x, ys[-1])
        for y in ys:
            self.line(xs[0], y, xs[-1], y)

    def text(self, x, baseline, s: str, size: float = 10.0) -> None:
        obj = pdfium_c.FPDFPageObj_NewTextObj(self.pdf.raw, b"Helvetica", size)
        buf = ctypes.create_string_buffer((s + "\0").encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(obj, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, H - baseline)
        self._put(obj)

    def read(self):
        self.page.gen_content()
        out = io.BytesIO()
        self.pdf.save(out)
        return read_bytes(out.getvalue(), "drawn.pdf")


def tables(doc) -> list[list[list[str]]]:
    return [[[c.text for c in row] for row in b.rows] for b in doc.blocks if isinstance(b, TableBlock)]


def test_only_printed_rules_make_cells():
    """Word paints white boxes behind cells on a grid of its own, and shades
    header rows: neither is a rule. The table has the printed columns."""
    p = Page()
    # invisible structure: white boxes cutting the right column in two, and behind the prose above
    p.rect(100, 100, 200, 120, fill=(255, 255, 255))
    p.rect(200, 100, 260, 120, fill=(255, 255, 255))
    p.rect(260, 100, 300, 120, fill=(255, 255, 255))
    p.rect(100, 40, 300, 60, fill=(255, 255, 255))
    p.rect(100, 60, 300, 80, fill=(255, 255, 255))
    p.rect(100, 120, 300, 140, fill=(200, 220, 255))  # a shaded row: a colour, no rule
    p.grid([100, 200, 300], [100, 120, 140, 160])
    p.text(105, 55, "Some prose above the table")
    p.text(105, 75, "and its second line")
    p.text(105, 115, "Label A")
    p.text(265, 115, "17")
    p.text(105, 135, "Label B")
    p.text(205, 135, "4")
    p.text(105, 155, "Label C")
    p.text(205, 155, "9")
    doc = p.read()
    assert tables(doc) == [[["Label A", "17"], ["Label B", "4"], ["Label C", "9"]]]
    assert "Some prose above the table" in doc.text and "and its second line" in doc.text


def test_thin_filled_bars_are_rules_and_stroked_frames_too():
    """Chromium draws each border as a thin filled bar; others stroke a frame per cell."""
    p = Page()
    for y in (100, 120, 140):
        p.rect(100, y - 0.4, 300, y + 0.4, fill=(0, 0, 0))
    for x in (100, 200, 300):
        p.rect(x - 0.4, 100, x + 0.4, 140, fill=(0, 0, 0))
    p.rect(100, 300, 200, 320, stroke=(0, 0, 0))
    p.rect(200, 300, 300, 320, stroke=(0, 0, 0))
    for y, label, n in ((115, "one", "1"), (135, "two", "2"), (315, "three", "3")):
        p.text(105, y, label)
        p.text(205, y, n)
    doc = p.read()
    assert tables(doc) == [[["one", "1"], ["two", "2"]], [["three", "3"]]]


def test_white_rules_and_light_grey_are_not_rules():
    p = Page()
    p.grid([100, 200, 300], [100, 120, 140])
    p.line(150, 100, 150, 140, color=(255, 255, 255))  # an erased rule
    p.text(105, 115, "alpha")
    p.text(205, 115, "5")
    p.text(105, 135, "beta")
    p.text(205, 135, "6")
    assert tables(p.read()) == [[["alpha", "5"], ["beta", "6"]]]


def test_words_join_with_one_space_and_lines_follow_the_text():
    p = Page()
    p.text(100, 200, "2023")
    p.text(128, 200, "year")          # a gap wider than 3 points: a space
    p.text(156, 201.5, "ends")        # a baseline 1.5 points lower: the same line
    p.text(100, 230, "next line")
    p.page.gen_content()
    content = read_page(p.page)
    assert [ln["text"] for ln in words.lines(content.chars)] == ["2023 year ends", "next line"]
    first = content.chars[0]
    assert first["text"] == "2" and first["bottom"] == pytest.approx(200, abs=0.01)
    assert first["bottom"] - first["top"] == pytest.approx(10, abs=0.01)  # font size high, on the baseline


def test_lattice_finds_merged_cells():
    edges = []

    def h(y, x0, x1):
        edges.append({"orientation": "h", "x0": x0, "x1": x1, "top": y, "bottom": y})

    def v(x, t, b):
        edges.append({"orientation": "v", "x0": x, "x1": x, "top": t, "bottom": b})

    h(0, 0, 300)
    h(10, 100, 300)   # no rule under the left cell: it spans two rows
    h(20, 0, 300)
    h(30.8, 0, 300)   # within the snap tolerance of 30
    h(29.5, 0, 120)
    for x in (0, 100, 200, 300):
        v(x, 0, 30)
    cells = lattice.find_tables(edges)
    assert len(cells) == 1
    got = sorted((round(c[0]), round(c[1]), round(c[2]), round(c[3])) for c in cells[0])
    assert (0, 0, 100, 20) in got                      # the merged label
    assert (100, 0, 200, 10) in got and (200, 10, 300, 20) in got
    assert len({c[3] for c in got if c[1] == 20}) == 1  # 29.5 and 30.8 snapped to one rule


def test_lattice_lone_cell_and_no_rules_are_no_table():
    box = [{"orientation": "h", "x0": 0, "x1": 50, "top": y, "bottom": y} for y in (0, 20)] + \
          [{"orientation": "v", "x0": x, "x1": x, "top": 0, "bottom": 20} for x in (0, 50)]
    assert lattice.find_tables(box) == []
    assert lattice.find_tables([]) == []


def test_lattice_gives_up_on_a_drawing():
    """A hatched drawing crosses its lines tens of thousands of times: no table is looked for there."""
    hatch = [{"orientation": "h", "x0": 0, "x1": 600, "top": 4 * i, "bottom": 4 * i} for i in range(160)] + \
            [{"orientation": "v", "x0": 4 * i, "x1": 4 * i, "top": 0, "bottom": 640} for i in range(150)]
    assert lattice.find_tables(hatch) == []


def test_cell_text_lines_and_words():
    chars = [{"text": t, "x0": x, "x1": x + 5, "top": top, "bottom": top + 5, "upright": True}
             for t, x, top in (("b", 6, 0), ("a", 0, 0.5), ("c", 20, 0), ("d", 0, 10))]
    assert words.text(chars) == "ab c\nd"
    assert [ln["text"] for ln in words.lines(chars)] == ["ab c", "d"]


# ----------------------------------------------------------------- tidy

def box(x0, top, x1, bottom, text):
    return {"x0": x0, "top": top, "x1": x1, "bottom": bottom, "text": text}


def texts(grid, primary_only=False):
    return [[c["text"] if (c.get("primary", True) or not primary_only) else "·" for c in row] for row in grid]


def test_tidy_joins_an_empty_heading_box_to_the_heading_it_sits_under():
    """行政诉讼's merged cell drawn as an empty box and a box with the word:
    the empty box is part of 行政诉讼 (the row below reaches under both)."""
    grid = grid_from_cells([
        box(0, 0, 100, 10, "行政复议"), box(100, 0, 160, 10, ""), box(160, 0, 300, 10, "行政诉讼"),
        box(0, 10, 100, 20, "维持"), box(100, 10, 200, 20, "直接起诉"), box(200, 10, 300, 20, "复议后"),
        box(0, 20, 100, 30, "1"), box(100, 20, 200, 30, "2"), box(200, 20, 300, 30, "3")])
    assert texts(grid, primary_only=True)[0] == ["行政复议", "", "行政诉讼", "·"]
    out = tidy(grid)
    assert texts(out)[0] == ["行政复议", "行政诉讼", "行政诉讼", "行政诉讼"]
    assert texts(out, primary_only=True)[0] == ["行政复议", "行政诉讼", "·", "·"]  # primary at its left edge now
    assert texts(out, primary_only=True)[2] == ["1", "2", "·", "3"]


def test_tidy_label_boxes_but_never_value_boxes():
    grid = grid_from_cells([
        box(0, 0, 100, 10, "项目"), box(100, 0, 200, 10, ""), box(200, 0, 300, 10, "甲"), box(300, 0, 400, 10, "乙"),
        box(0, 10, 100, 20, "（三）不予公开"), box(100, 10, 200, 20, "1.国家秘密"), box(200, 10, 300, 20, "4"),
        box(300, 10, 400, 20, "5"),
        box(0, 20, 100, 30, ""), box(100, 20, 200, 30, "2.其他法律"), box(200, 20, 300, 30, ""),
        box(300, 20, 400, 30, "7"),
        box(0, 30, 100, 40, "（六）其他处理"), box(100, 30, 200, 40, ""), box(200, 30, 300, 40, "0"),
        box(300, 30, 400, 40, "1")])
    out = tidy(grid)
    rows = texts(out, primary_only=True)
    assert rows[2] == ["·", "2.其他法律", "", "7"]     # a group label cut into boxes; the blank value stays
    assert texts(out)[2][0] == "（三）不予公开"
    assert rows[3] == ["（六）其他处理", "·", "0", "1"]  # one label drawn over two boxes
    assert rows[0] == ["项目", "·", "甲", "乙"]          # an empty header box beside a heading


def test_tidy_leaves_a_form_without_numbers_alone():
    blank_form = grid_from_cells([box(0, 0, 100, 10, "一、新收"), box(100, 0, 200, 10, ""),
                                  box(0, 10, 100, 20, "二、结转"), box(100, 10, 200, 20, "")])
    assert texts(tidy(blank_form), primary_only=True) == [["一、新收", ""], ["二、结转", ""]]


def test_scanned_pages_shifted_on_the_glass_are_stitched_and_a_reread_header_dropped():
    header = [box(0, 0, 100, 10, "项目"), box(100, 0, 300, 10, "申请人情况（本列数据：第一项）")]

    def page(dx, head_text, rows):
        cells = [box(0 + dx, 0, 100 + dx, 10, "项目"), box(100 + dx, 0, 300 + dx, 10, head_text)]
        for i, (label, n) in enumerate(rows, 1):
            cells += [box(dx, 10 * i, 100 + dx, 10 * i + 10, label), box(100 + dx, 10 * i, 300 + dx, 10 * i + 10, n)]
        return grid_from_cells(cells)

    first = page(0, header[1]["text"], [("一、新收", "5"), ("二、结转", "6")])
    cont = page(14, "申请人情况(本列数据:第一项)", [("三、结果", "7")])  # OCR read the colons half-width
    items = [{"kind": "table", "page": 1, "top": 700, "grid": first},
             {"kind": "table", "page": 2, "top": 40, "grid": cont}]
    out = stitch_pages(items)
    assert len(out) == 1
    assert texts(strip_private(out[0]["grid"])) == [["项目", header[1]["text"]], ["一、新收", "5"], ["二、结转", "6"],
                                                    ["三、结果", "7"]]
    far = [{"kind": "table", "page": 1, "top": 700, "grid": first},
           {"kind": "table", "page": 2, "top": 40, "grid": page(40, "x", [("y", "1")])}]
    assert len(stitch_pages(far)) == 2  # moved by more than 5% of its width: another table


class TurnedPage(Page):
    """A page stored portrait with /Rotate 90 and its content drawn turned,
    so that it shows as an upright landscape page (display x, top → user top, x)."""

    def rect(self, x0, top, x1, bottom, fill=None, stroke=None, width=0.5) -> None:
        raise NotImplementedError

    def line(self, x0, top, x1, bottom, color=(0, 0, 0)) -> None:
        obj = pdfium_c.FPDFPageObj_CreateNewPath(top, x0)
        pdfium_c.FPDFPath_LineTo(obj, bottom, x1)
        pdfium_c.FPDFPageObj_SetStrokeColor(obj, *color, 255)
        pdfium_c.FPDFPageObj_SetStrokeWidth(obj, 0.5)
        pdfium_c.FPDFPath_SetDrawMode(obj, 0, True)
        self._put(obj)

    def text(self, x, baseline, s: str, size: float = 10.0) -> None:
        obj = pdfium_c.FPDFPageObj_NewTextObj(self.pdf.raw, b"Helvetica", size)
        buf = ctypes.create_string_buffer((s + "\0").encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(obj, ctypes.cast(buf, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFPageObj_Transform(obj, 0, 1, -1, 0, baseline, x)
        self._put(obj)


def test_a_turned_page_reads_upright():
    p = TurnedPage()
    p.page.set_rotation(90)
    p.grid([100, 200, 700], [100, 120, 140])
    p.text(105, 115, "alpha")
    p.text(205, 115, "5")
    p.text(105, 135, "beta gamma")
    p.text(205, 135, "6")
    doc = p.read()
    assert tables(doc) == [[["alpha", "5"], ["beta gamma", "6"]]]
