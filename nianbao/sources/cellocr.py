"""The text of ruled cells, read without text detection: the rules already
say where each cell is, so each cell's ink is cut into its text lines by a
horizontal profile, and every line of every cell is recognised in one
batch. Detection (the costly part of OCR) is left for the text outside the
tables.

A line is the run of ink rows no taller than one line of text: the strokes
of 三 or 二 are parted by blank rows, yet together they stay one line; two
lines of a wrapped label are taller than one, so they part.

A line's picture keeps a white margin and is at least MIN_RATIO times as
wide as it is high: a lone digit, cut tight, is no picture of text the
recogniser knows (it reads a bare 7 as "-y"), and a wider grey pad costs
time for nothing.
"""
from __future__ import annotations

import numpy as np

INK = 150          # grey level below which a pixel may be ink (and 60 below the cell's paper)
INSET = 3          # pixels kept clear of the rules around a cell
MIN_INK = 6        # ink pixels a run of rows must hold to be text (speckle holds fewer)


def runs(mask: np.ndarray, min_gap: int = 1) -> list[tuple[int, int]]:
    """[start, end) of the runs of True in a 1-d mask, runs closer than ``min_gap`` joined."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > min_gap)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist()))


def _bands(gray: np.ndarray, cell: dict):
    """(the cell's ink mask, its offset, the runs of rows holding ink)."""
    h, w = gray.shape
    x0, top = int(cell["x0"]) + INSET, int(cell["top"]) + INSET
    x1, bottom = min(int(cell["x1"]) - INSET, w), min(int(cell["bottom"]) - INSET, h)
    if x1 - x0 < 4 or bottom - top < 4:
        return None, (x0, top), []
    part = gray[top:bottom, x0:x1]
    # ink is darker than the cell's own paper by a clear margin (a dim scan,
    # a grey shading); a cell that is mostly dark is a picture, not print
    paper = float(np.percentile(part, 90))
    ink = part < min(INK, paper - 60)
    if ink.mean() > 0.5:
        return None, (x0, top), []
    per_row = ink.sum(axis=1)
    bands = [(a, b) for a, b in runs(per_row > 0) if per_row[a:b].sum() >= MIN_INK]
    return ink, (x0, top), bands


def line_height(gray: np.ndarray, cells: list[dict]) -> float:
    """The height of one line of text in these cells: the median of each
    cell's tallest run of ink rows."""
    tallest = [max(b - a for a, b in bands) for _, _, bands in (_bands(gray, c) for c in cells) if bands]
    return float(np.median(tallest)) if tallest else 0.0


def line_boxes(gray: np.ndarray, cell: dict, height: float) -> list[tuple[int, int, int, int]]:
    """The text lines inside a cell as (x0, top, x1, bottom) pixel boxes;
    ``height``: one line's height (:func:`line_height`)."""
    ink, (x0, top), bands = _bands(gray, cell)
    if not bands:
        return []
    height = max(height, max(b - a for a, b in bands) if len(bands) == 1 else 0)
    merged: list[list[int]] = []
    for a, b in bands:
        if merged and b - merged[-1][0] <= 1.3 * height:
            merged[-1][1] = b  # strokes of one line of text (三, 二, 一、)
        else:
            merged.append([a, b])
    out = []
    for a, b in merged:
        cols = [c for c in runs(ink[a:b].any(axis=0)) if ink[a:b, c[0]:c[1]].sum() >= 3]
        # a gap of two line heights parts two pieces (a label and its number
        # in one box, where a faint rule between their cells was lost)
        start = 0
        for k in range(1, len(cols) + 1):
            if k == len(cols) or cols[k][0] - cols[k - 1][1] > 2 * height:
                out.append((x0 + cols[start][0], top + a, x0 + cols[k - 1][1], top + b))
                start = k
    return out


MIN_RATIO = 1.3


def crop(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A line's image with a margin of white, at least MIN_RATIO times as
    wide as high, as the recogniser likes it (three channels)."""
    x0, top, x1, bottom = box
    pad = max(2, (bottom - top) // 4)
    h, w = gray.shape
    part = gray[max(top - pad, 0):min(bottom + pad, h), max(x0 - pad, 0):min(x1 + pad, w)]
    short = int(MIN_RATIO * part.shape[0]) - part.shape[1]
    if short > 0:
        part = np.pad(part, ((0, 0), (short // 2, short - short // 2)), constant_values=255)
    return np.repeat(part[:, :, None], 3, axis=2)


def read(gray: np.ndarray, cells: list[dict], recognise) -> list[list[dict]]:
    """The recognised lines of each cell: boxes (text, x0, top, x1, bottom,
    confidence) in pixels. ``recognise``: crops → [(text, score)] (:func:`.ocr.read`)."""
    height = line_height(gray, cells)
    lines = [(i, box) for i, c in enumerate(cells) for box in line_boxes(gray, c, height)]
    out: list[list[dict]] = [[] for _ in cells]
    for (i, (x0, top, x1, bottom)), (text, score) in zip(lines, recognise([crop(gray, b) for _, b in lines])):
        if text:
            out[i].append({"text": text, "x0": float(x0), "top": float(top), "x1": float(x1),
                           "bottom": float(bottom), "confidence": score})
    return out
