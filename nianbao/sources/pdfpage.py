"""What one PDF page holds, read through PDFium at C speed: its characters
with their boxes, the edges of its painted paths (the table rules), and
whether it carries images.

Coordinates are PDF points from the page's top-left corner as displayed
(the page's /Rotate applied), the convention of pdfplumber: ``x0, top, x1,
bottom``. A character's box is advance-width wide and font-size high,
standing on the baseline: what pdfminer gives for fonts that state no
descent, so text grouped by these boxes comes out as it did when pdfplumber
read the page, and characters of several fonts on one line share their
bottom.

Only rules a reader can see become edges: paths painted in white (the cell
backgrounds Word writes under every table) and broad colour fills (shading)
are skipped, while thin filled bars (how Chromium draws borders) and
stroked lines and frames count. Table structure must follow the printed
lines, not the invisible boxes behind them.
"""
from __future__ import annotations

import ctypes
import unicodedata
from dataclasses import dataclass, field

import pypdfium2.raw as pdfium_c

_RADICALS = ("\u2e80", "\u2fdf")  # CJK radical supplement and Kangxi radicals
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
THIN = 3.0        # a filled rect no thicker than this is a rule, thicker is shading
LIGHT = 235       # every channel at least this: paper-coloured, not a visible rule


@dataclass
class PageContent:
    width: float
    height: float
    chars: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    images: int = 0


class _Transform:
    """User space → displayed page (x from the left, top from the top), as
    pdfminer sets up its initial matrix for the page's mediabox and rotation."""

    def __init__(self, mediabox: tuple[float, float, float, float], rotate: int) -> None:
        x0, y0, x1, y1 = mediabox
        if rotate == 90:
            self.m = (0.0, -1.0, 1.0, 0.0, -y0, x1)
            self.width, self.height = y1 - y0, x1 - x0
        elif rotate == 180:
            self.m = (-1.0, 0.0, 0.0, -1.0, x1, y1)
            self.width, self.height = x1 - x0, y1 - y0
        elif rotate == 270:
            self.m = (0.0, 1.0, -1.0, 0.0, y1, -x0)
            self.width, self.height = y1 - y0, x1 - x0
        else:
            self.m = (1.0, 0.0, 0.0, 1.0, -x0, -y0)
            self.width, self.height = x1 - x0, y1 - y0
        self.rotated = rotate in (90, 180, 270)

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """A user-space box → (x0, top, x1, bottom) on the displayed page."""
        a, b, c, d, e, f = self.m
        xs = (a * left + c * bottom + e, a * right + c * top + e)
        ys = (b * left + d * bottom + f, b * right + d * top + f)
        return min(xs), self.height - max(ys), max(xs), self.height - min(ys)


def _mediabox(page) -> tuple[float, float, float, float]:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if pdfium_c.FPDFPage_GetMediaBox(page, left, bottom, right, top):
        box = (left.value, bottom.value, right.value, top.value)
        return (min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3]))
    return (0.0, 0.0, pdfium_c.FPDF_GetPageWidthF(page), pdfium_c.FPDF_GetPageHeightF(page))


def read_page(pdf_page, textpage=None) -> PageContent:
    """``pdf_page``: a pypdfium2 ``PdfPage``; ``textpage``: its ``PdfTextPage``
    when the caller already loaded it."""
    raw = pdf_page.raw
    tr = _Transform(_mediabox(raw), pdfium_c.FPDFPage_GetRotation(raw) * 90)
    out = PageContent(tr.width, tr.height)
    own = textpage is None
    tp = pdf_page.get_textpage() if own else textpage
    try:
        out.chars = _chars(tp.raw, tr)
    finally:
        if own:
            tp.close()
    out.edges, out.images = _paths(raw, tr)
    return out


# --------------------------------------------------------------------------
# Characters
# --------------------------------------------------------------------------

def _chars(tp, tr: _Transform) -> list[dict]:
    n = pdfium_c.FPDFText_CountChars(tp)
    if n <= 0:
        return []
    buf = (ctypes.c_ushort * (n + 1))()
    got = pdfium_c.FPDFText_GetText(tp, 0, n, buf)
    units = bytes(memoryview(buf).cast("B")[: max(got - 1, 0) * 2]).decode("utf-16-le", "surrogatepass")
    one_per_char = len(units) == n and not any("\ud800" <= u <= "\udfff" for u in units)
    rect = pdfium_c.FS_RECTF()
    mat = pdfium_c.FS_MATRIX()
    get_box, get_matrix = pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetMatrix
    get_size, is_generated = pdfium_c.FPDFText_GetFontSize, pdfium_c.FPDFText_IsGenerated
    rect_ref, mat_ref = ctypes.byref(rect), ctypes.byref(mat)
    get_tight, get_origin = pdfium_c.FPDFText_GetCharBox, pdfium_c.FPDFText_GetCharOrigin
    ox, oy = ctypes.c_double(), ctypes.c_double()
    tl, tr_, tb_, tt = (ctypes.c_double() for _ in range(4))
    ta, tb, tc, td, _te, tf = tr.m
    rotated = tr.rotated
    y0 = -tf  # the mediabox's bottom, on an unrotated page
    chars = []
    for i in range(n):
        ch = units[i] if one_per_char else chr(pdfium_c.FPDFText_GetUnicode(tp, i))
        if ch in "\r\n\x00\ufffe\uffff" or (ch.isspace() and is_generated(tp, i)):
            continue  # line breaks and spaces PDFium made up between words
        if not get_box(tp, i, rect_ref):
            continue
        get_matrix(tp, i, mat_ref)
        fs = get_size(tp, i)
        a, b, c, d = mat.a, mat.b, mat.c, mat.d
        if rotated:  # the character's matrix as the page is displayed
            a, b, c, d = a * ta + b * tc, a * tb + b * td, c * ta + d * tc, c * tb + d * td
        size_y = fs * (c * c + d * d) ** 0.5
        size_x = fs * (a * a + b * b) ** 0.5
        upright = a * d > 0 and abs(b) < 1e-6 and abs(c) < 1e-6
        left, right = rect.left, rect.right
        if right - left > 2.5 * max(size_x, size_y, 1.0):
            # a font written top to bottom (Identity-V): PDFium's loose box
            # runs along the column; the glyph's own box, one em square, is the char
            get_tight(tp, i, tl, tr_, tb_, tt)
            cx, cy, half = (tl.value + tr_.value) / 2, (tb_.value + tt.value) / 2, max(size_x, size_y) / 2
            x0, y_top, x1, y_bottom = tr.box(cx - half, cy - half, cx + half, cy + half)
        else:
            x0, y_top, x1, y_bottom = tr.box(left, rect.bottom, right, rect.top)
            if upright:
                # pdfminer's box for fonts that state no descent: the
                # baseline up by the font size. The loose box's height
                # follows each glyph in a Type 3 font (一 sits mid-line), and
                # fonts disagree on their descent; one line shares its baseline.
                get_origin(tp, i, ox, oy)
                base = tb * ox.value + td * oy.value + tf if rotated else oy.value - y0
                y_top, y_bottom = tr.height - (base + size_y), tr.height - base
        if _RADICALS[0] <= ch <= _RADICALS[1]:
            ch = unicodedata.normalize("NFKC", ch)
        elif ch in LIGATURES:
            ch = LIGATURES[ch]
        chars.append({"text": ch, "x0": x0, "top": y_top, "x1": x1, "bottom": y_bottom,
                      "size": size_y if upright else size_x, "upright": upright})
    return chars


# --------------------------------------------------------------------------
# Paths → edges
# --------------------------------------------------------------------------

def _visible(rgba: tuple[int, int, int, int]) -> bool:
    r, g, b, a = rgba
    return a > 0 and not (r >= LIGHT and g >= LIGHT and b >= LIGHT)


def _paths(page, tr: _Transform) -> tuple[list[dict], int]:
    by_kind: dict[str, list[dict]] = {"line": [], "rect": [], "curve": []}
    images = 0
    stack = [(pdfium_c.FPDFPage_GetObject(page, i), None) for i in range(pdfium_c.FPDFPage_CountObjects(page) - 1, -1, -1)]
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    cr, cg, cb, ca = (ctypes.c_uint() for _ in range(4))
    m = pdfium_c.FS_MATRIX()
    x, y = ctypes.c_float(), ctypes.c_float()
    bl, bb, br, bt = (ctypes.c_float() for _ in range(4))
    PATH, FORM, IMAGE = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM, pdfium_c.FPDF_PAGEOBJ_IMAGE
    while stack:
        obj, outer = stack.pop()
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == IMAGE:
            images += 1
            continue
        if kind not in (PATH, FORM):
            continue
        if kind == FORM:
            count = pdfium_c.FPDFFormObj_CountObjects(obj)
            stack.extend((pdfium_c.FPDFFormObj_GetObject(obj, i), _matrix(obj, m, outer))
                         for i in range(count - 1, -1, -1))
            continue
        pdfium_c.FPDFPath_GetDrawMode(obj, fill_mode, stroke)
        filled, stroked = fill_mode.value != 0, bool(stroke.value)
        if stroked:
            pdfium_c.FPDFPageObj_GetStrokeColor(obj, cr, cg, cb, ca)
            stroked = _visible((cr.value, cg.value, cb.value, ca.value))
        if filled:
            pdfium_c.FPDFPageObj_GetFillColor(obj, cr, cg, cb, ca)
            filled = _visible((cr.value, cg.value, cb.value, ca.value))
        if not (filled or stroked):
            continue
        n_seg = pdfium_c.FPDFPath_CountSegments(obj)
        if not stroked and outer is None and n_seg in (4, 5) and pdfium_c.FPDFPageObj_GetBounds(obj, bl, bb, br, bt):
            # a filled quadrilateral: a rule (Chromium draws every border so)
            # when thin, shading when broad; its bounds say which, and where
            x0, top, x1, bottom = tr.box(bl.value, bb.value, br.value, bt.value)
            if min(x1 - x0, bottom - top) <= THIN and _straight(obj, n_seg):
                by_kind["rect"] += [_edge(x0, top, x1, top), _edge(x0, bottom, x1, bottom),
                                    _edge(x0, top, x0, bottom), _edge(x1, top, x1, bottom)]
                continue
            if min(x1 - x0, bottom - top) > THIN:
                continue
        if n_seg == 2:  # a line (LibreOffice and Word draw rules so)
            line = _line(obj, _matrix(obj, m, outer), tr, x, y)
            if line is not None:
                by_kind["line"].append(line)
            continue
        for sub in _subpaths(obj, _matrix(obj, m, outer), tr, x, y):
            kind_of, got = _edges_of(sub, stroked)
            by_kind[kind_of].extend(got)
    # pdfplumber's order (lines, rect sides, curve pieces): the snapping means add up alike
    return by_kind["line"] + by_kind["rect"] + by_kind["curve"], images


def _straight(obj, n: int) -> bool:
    """A move, then straight lines (a curve shows from its first and last piece)."""
    seg_type, get = pdfium_c.FPDFPathSegment_GetType, pdfium_c.FPDFPath_GetPathSegment
    return (seg_type(get(obj, 0)) == pdfium_c.FPDF_SEGMENT_MOVETO
            and seg_type(get(obj, 1)) == pdfium_c.FPDF_SEGMENT_LINETO
            and seg_type(get(obj, n - 1)) == pdfium_c.FPDF_SEGMENT_LINETO)


def _line(obj, mat: tuple, tr: _Transform, x, y) -> dict | None:
    """The edge of a two-point path, when it is axis-parallel."""
    get, point = pdfium_c.FPDFPath_GetPathSegment, pdfium_c.FPDFPathSegment_GetPoint
    seg = get(obj, 1)
    if pdfium_c.FPDFPathSegment_GetType(seg) != pdfium_c.FPDF_SEGMENT_LINETO:
        return None
    point(seg, x, y)
    x1, y1 = x.value, y.value
    point(get(obj, 0), x, y)
    a, b, c, d, e, f = mat
    ta, tb, tc, td, te, tf = tr.m
    pts = []
    for px, py in ((x.value, y.value), (x1, y1)):
        ux, uy = a * px + c * py + e, b * px + d * py + f
        pts.append((ta * ux + tc * uy + te, tr.height - (tb * ux + td * uy + tf)))
    (p0, t0), (p1, t1) = pts
    return _edge(p0, t0, p1, t1) if (t0 == t1 or p0 == p1) else None


def _matrix(obj, m, outer: tuple | None) -> tuple:
    pdfium_c.FPDFPageObj_GetMatrix(obj, m)
    mat = (m.a, m.b, m.c, m.d, m.e, m.f)
    return mat if outer is None else _compose(mat, outer)


def _compose(inner: tuple, outer: tuple) -> tuple:
    """The matrix ``inner`` then ``outer`` (PDF row-vector convention)."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2)


def _subpaths(obj, mat: tuple, tr: _Transform, x, y) -> list[list[tuple]]:
    """The path's subpaths as lists of (op, x, top) on the displayed page;
    op is "m", "l", "c" (a Bézier point) or "h" (closes back to the start)."""
    a, b, c, d, e, f = mat
    ta, tb, tc, td, te, tf = tr.m
    height = tr.height
    out: list[list[tuple]] = []
    cur: list[tuple] = []
    n = pdfium_c.FPDFPath_CountSegments(obj)
    bezier = 0
    for k in range(n):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, k)
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        closes = pdfium_c.FPDFPathSegment_GetClose(seg)
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            bezier += 1
            if bezier % 3 and not closes:
                continue  # a control point: pdfminer keeps a curve's end point only
        else:
            bezier = 0
        pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
        px, py = x.value, y.value
        ux, uy = a * px + c * py + e, b * px + d * py + f
        dx, dy = ta * ux + tc * uy + te, tb * ux + td * uy + tf
        point = (dx, height - dy)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            if cur:
                out.append(cur)
            cur = [("m",) + point]
        else:
            cur.append(("c" if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO else "l",) + point)
        if closes and cur:
            cur.append(("h",) + cur[0][1:])
    if cur:
        out.append(cur)
    return out


def _edges_of(sub: list[tuple], stroked: bool) -> tuple[str, list[dict]]:
    """pdfminer's reading of one subpath and pdfplumber's edges of it: a
    rectangle gives its four sides, a line one edge, any other path each
    axis-parallel piece between consecutive points (Bézier control points
    aside). A broad filled rectangle is shading, not a rule."""
    pts = [(p[1], p[2]) for p in sub]
    shape = "".join(p[0] for p in sub)
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"  # a redundant line back to the start
        pts.pop(-2)
    if shape in ("mlh", "ml"):
        (x0, t0), (x1, t1) = pts[0], pts[1]
        return "line", ([_edge(x0, t0, x1, t1)] if (t0 == t1 or x0 == x1) else [])
    if shape in ("mlllh", "mllll") and pts[0] == pts[4] and _is_rect(pts[:4]):
        xs, ts = [p[0] for p in pts[:4]], [p[1] for p in pts[:4]]
        x0, x1, top, bottom = min(xs), max(xs), min(ts), max(ts)
        if not stroked and min(x1 - x0, bottom - top) > THIN:
            return "rect", []  # a shaded area: its border, if any, is drawn on its own
        return "rect", [_edge(x0, top, x1, top), _edge(x0, bottom, x1, bottom),
                        _edge(x0, top, x0, bottom), _edge(x1, top, x1, bottom)]
    if not stroked and len(pts) > 2:
        return "curve", []  # a filled shape (a glyph drawn as a path, a logo), not a rule
    out = []
    for (x0, t0), (x1, t1) in zip(pts, pts[1:]):
        if t0 == t1 or x0 == x1:
            out.append(_edge(x0, t0, x1, t1))
    return "curve", out


def _is_rect(pts: list[tuple]) -> bool:
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = pts
    return ((ax == bx and by == cy and cx == dx and dy == ay) or
            (ay == by and bx == cx and cy == dy and dx == ax))


def _edge(x0: float, t0: float, x1: float, t1: float) -> dict:
    if t0 == t1:
        a, b = (x0, x1) if x0 <= x1 else (x1, x0)
        return {"orientation": "h", "x0": a, "x1": b, "top": t0, "bottom": t0}
    a, b = (t0, t1) if t0 <= t1 else (t1, t0)
    return {"orientation": "v", "x0": x0, "x1": x0, "top": a, "bottom": b}
