"""Ruled tables in a page image: straighten the page, find the ruling lines,
and return the cells they enclose as boxes.

The scan analogue of pdfplumber's lines strategy: long horizontal and
vertical strokes are isolated by morphological opening, small gaps from blur
or speckle are closed, and every enclosed region of table size is a cell.
"""
from __future__ import annotations

import numpy as np


def _binary(gray, contrast: int = 15):
    """Ink as white on black: pixels darker than their neighbourhood by ``contrast``."""
    import cv2

    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, contrast)


def _line_masks(binary):
    import cv2

    h, w = binary.shape
    horiz = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 40, 20), 1)))
    vert = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(h // 60, 15))))
    return horiz, vert


def skew_angle(gray) -> float:
    """The page's rotation in degrees, from its long horizontal strokes
    (table rules, or text lines when there are none). Measured on a copy
    half the size, each stroke's angle fitted to all its pixels: a quarter
    of the cost of a Hough search, and finer than its pixel steps."""
    import cv2

    if min(gray.shape) >= 800:
        gray = cv2.resize(gray, (gray.shape[1] // 2, gray.shape[0] // 2), interpolation=cv2.INTER_AREA)
    binary = _binary(gray)
    h, w = binary.shape
    # a lenient horizontal opening keeps rules that a small tilt breaks into steps
    horiz = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 40, 20), 1)))
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(horiz, connectivity=8)
    angles, weights = [], []
    for i in range(1, n):
        x, y, bw, bh, _area = stats[i]
        if bw < w // 6 or bh > max(h // 20, 12):
            continue
        ys, xs = np.nonzero(labels[y:y + bh, x:x + bw] == i)
        vx, vy = cv2.fitLine(np.column_stack((xs, ys)).astype(np.float32), cv2.DIST_L2, 0, 0.01, 0.01)[:2, 0]
        a = float(np.degrees(np.arctan2(vy, vx)))
        a = a - 180 if a > 90 else a + 180 if a < -90 else a
        if abs(a) < 5:
            angles.append(a)
            weights.append(bw)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights, dtype=float)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])  # the width-weighted median


def deskew(gray):
    """The image turned level; (image, angle applied)."""
    import cv2

    angle = skew_angle(gray)
    if abs(angle) < 0.05:
        return gray, 0.0
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255), angle


def table_cells(gray) -> list[list[dict]]:
    """Cell boxes of each ruled table on a (level) page, per table, in pixels."""
    import cv2

    # rules are thin and often faint grey after a scan: a low contrast keeps
    # them whole; the long openings below drop the speckle it lets in
    binary = _binary(gray, contrast=8)
    horiz, vert = _line_masks(binary)
    h, w = binary.shape
    # a faint rule comes out of blur and JPEG as dashes that the opening keeps
    # only in part: bridge the gaps between pieces of one horizontal rule
    # (same height, in line), which never reaches beyond the rule's own two
    # ends. (A slightly tilted rule steps by a pixel: thicken it first so its
    # pieces share a row.) Not for vertical rules: tables stacked on a page
    # would be bridged into one.
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3)))
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (max(w // 8, 40), 1)))
    # close the gaps that blur and speckle leave in the rules
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 3)))
    vert = cv2.dilate(vert, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 15)))
    grid = cv2.bitwise_or(horiz, vert)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    tables = []
    for i in range(1, n):
        x, y, bw, bh, _area = stats[i]
        if bw < w * 0.3 or bh < 40:
            continue  # a lone rule or underline, not a table frame
        frame = (labels[y:y + bh, x:x + bw] == i).astype(np.uint8) * 255
        inside = cv2.bitwise_not(frame)
        m, lab2, st2, _ = cv2.connectedComponentsWithStats(inside, connectivity=4)
        cells = []
        for j in range(1, m):
            cx, cy, cw, ch, carea = st2[j]
            if cx == 0 or cy == 0 or cx + cw >= bw or cy + ch >= bh:
                continue  # outside the frame
            if cw < 12 or ch < 12 or carea < 0.6 * cw * ch:
                continue
            cells.append({"x0": float(x + cx), "top": float(y + cy), "x1": float(x + cx + cw),
                          "bottom": float(y + cy + ch)})
        if len(cells) >= 2:
            tables.append(cells)
    tables.sort(key=lambda cells: min(c["top"] for c in cells))
    return tables
