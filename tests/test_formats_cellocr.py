"""Reading ruled cells without text detection: lines cut from a cell's ink,
then recognised (the real OCR models), and the page's skew measured from
its rules."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from nianbao.sources import cellocr, image, ocr, ruling


def _font(size: int):
    from PIL import ImageFont

    path = shutil.which("fc-match") and subprocess.run(
        ["fc-match", "-f", "%{file}", "Noto Sans CJK SC"], capture_output=True, text=True).stdout
    if not path or "CJK" not in path and "Noto" not in path:
        pytest.skip("no CJK font")
    return ImageFont.truetype(path, size)


def _cell_image(lines: list[str], size: int = 28, width: int = 420, speck: bool = False):
    """A white cell (a frame of rules around it) with ``lines`` of text."""
    from PIL import Image, ImageDraw

    height = 20 + len(lines) * int(size * 1.35) + 20
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, width - 1, height - 1], outline=0, width=2)
    for k, text in enumerate(lines):
        draw.text((14, 18 + k * int(size * 1.35)), text, fill=0, font=_font(size))
    if speck:
        draw.point([(300, 12), (301, 12), (200, height - 8)], fill=0)
    gray = np.asarray(img)
    return gray, {"x0": 3.0, "top": 3.0, "x1": float(width - 3), "bottom": float(height - 3)}


def test_lines_of_a_cell():
    gray, cell = _cell_image(["（二）部分公开（区分处理", "的，只计这一情形）"], speck=True)
    height = cellocr.line_height(gray, [cell])
    boxes = cellocr.line_boxes(gray, cell, height)
    assert len(boxes) == 2 and boxes[0][3] <= boxes[1][1]  # two lines, one above the other; specks dropped


def test_a_label_and_its_number_in_one_box_are_two_pieces():
    """The rule between a label's cell and its number's was lost: one box,
    two pieces of text far apart, read apart (the grid then splits them)."""
    from PIL import Image, ImageDraw

    gray, cell = _cell_image(["行政规范性文件"], width=600)
    img = Image.fromarray(gray.copy())
    ImageDraw.Draw(img).text((520, 18), "19", fill=0, font=_font(28))
    boxes = cellocr.line_boxes(np.asarray(img), cell, 28.0)
    assert len(boxes) == 2 and boxes[0][2] < 500 <= boxes[1][0]


def test_strokes_of_one_character_stay_one_line():
    """三 alone is three strokes parted by white: still one line, given the
    table's line height."""
    gray, cell = _cell_image(["三"])
    label, label_cell = _cell_image(["信息内容"])
    height = cellocr.line_height(label, [label_cell])
    boxes = cellocr.line_boxes(gray, cell, height)
    assert len(boxes) == 1
    assert boxes[0][3] - boxes[0][1] >= 0.6 * height


def test_a_lone_digit_is_cut_whole_and_padded():
    gray, cell = _cell_image(["7"], width=120)
    boxes = cellocr.line_boxes(gray, cell, 28.0)
    assert len(boxes) == 1
    x0, top, x1, bottom = boxes[0]
    assert bottom - top >= 15  # the whole 7, not only its bar
    piece = cellocr.crop(gray, boxes[0])
    assert piece.shape[2] == 3 and piece.shape[1] >= cellocr.MIN_RATIO * piece.shape[0] - 1


def test_cells_read_in_one_batch():
    texts = ["3", "17", "0", "1.属于国家秘密", "（三）不予公开"]
    grays, cells = [], []
    for t in texts:
        g, c = _cell_image([t], width=380)
        grays.append(g)
        cells.append(c)
    # the cells side by side on one page, as a table row
    page = np.hstack(grays)
    offset = 0
    placed = []
    for g, c in zip(grays, cells):
        placed.append({k: (v + offset if k in ("x0", "x1") else v) for k, v in c.items()})
        offset += g.shape[1]
    calls = []

    def recognise(crops):
        calls.append(len(crops))
        return ocr.read(crops)

    got = cellocr.read(page, placed, recognise)
    assert calls == [len(texts)]
    read = ["".join(b["text"] for b in boxes) for boxes in got]
    assert read[:3] == ["3", "17", "0"]
    assert "国家秘密" in read[3] and "不予公开" in read[4]
    assert all(0 < b["confidence"] <= 1 for boxes in got for b in boxes)


def test_digit_columns_take_digits_for_letters():
    grid = [[{"text": t, "primary": True, "_region": i * 10 + j, "confidence": 0.9} for j, t in enumerate(row)]
            for i, row in enumerate([["项目", "甲"], ["一", "3"], ["二", "O"], ["三", "12"], ["四", "l7"]])]
    image._digits(grid)
    assert [row[1]["text"] for row in grid] == ["甲", "3", "0", "12", "17"]
    assert grid[2][1]["confidence"] == 0.5 and grid[1][1]["confidence"] == 0.9
    assert grid[2][0]["text"] == "二"  # a label column is left alone


def test_skew_measured_from_rules():
    import cv2

    page = np.full((1200, 1000), 255, np.uint8)
    for y in range(200, 1000, 60):
        cv2.line(page, (100, y), (900, y), 0, 2)
    for angle in (0.0, 0.35, -0.6):
        turned = cv2.warpAffine(page, cv2.getRotationMatrix2D((500, 600), -angle, 1.0), (1000, 1200),
                                borderValue=255)
        assert ruling.skew_angle(turned) == pytest.approx(angle, abs=0.05)
