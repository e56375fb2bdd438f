"""Document → one stream of items: pieces of text and numbers, in reading order.

Every source shape ends up here in the same form, so that a single decoder
serves HTML grids, pipe rows, one cell per line and text flattened from PDFs:

* a table grid gives one item per primary cell, with a row end after each row;
* a text line with ``|`` separators gives one item per cell and a row end;
* any other line is cut at whitespace and at the borders between digits and
  letters, keeping enumeration prefixes (``1.``, ``2、``) with their label.

Numbers keep their raw text, so that a run of digits printed without
separators (``640020470``) can be split later, when the decoder knows how
many cells it must hold.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..sources.base import Document, Origin, TableBlock, TextBlock
from ..template import T3_ROWS
from .labels import find_t3_rows, normalize

TEXT, NUM, BLANK, ROW_END = "text", "num", "blank", "row_end"
# A number glued to a unit ("2020年", "8件", "49%") counts something in the prose, not a table cell.
QTY = "qty"
_UNIT_AFTER = set("年件条个次%％份项人万元日月号页位名家所起期场篇天")

# Characters that real copies leave around cell values: replacement marks,
# stray question marks, zero-width and non-breaking spaces.
_DEBRIS_CHARS = "?？�*＊\u200b\u200c\u200d\ufeff\xa0\u3000"
_BLANK_MARKS = {"", "/", "／", "—", "-", "－", "–", "——", "--", "\\", "无", "空", "×"}
_NUMBER = re.compile(r"[-−－]?\d+(?:\.\d+)?")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
# A page counter left inside flattened text: "— 14 —", "- 3 -", "第 2 页", "2/19".
# How a row label wrapped after its "、" goes on ("…逾期不补正" / "、行政机关不再处理…"): a
# number printed before such a piece is a cell value, not an enumeration "N、".
_LABEL_CONTINUATIONS = tuple(sorted({row.label[i + 1:i + 5] for row in T3_ROWS
                                     for i, ch in enumerate(row.label) if ch == "、" and i > 2}))
_PAGE_MARK = re.compile(r"[—–\-－]\s*\d{1,3}\s*[—–\-－]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?")


@dataclass
class Item:
    kind: str            # text | num | blank | row_end
    text: str            # as printed (for num: the digits as printed, separators removed)
    start: int           # span in Document.text
    end: int
    value: float | int | None = None
    cell: bool = False   # the item is a whole cell of a grid or a pipe row
    origin: Origin | None = None

    def span_origin(self, start: int | None = None, end: int | None = None) -> dict:
        """Provenance of this item (or of a sub-span of it) as a dict."""
        if self.origin is not None:
            d = self.origin.as_dict()
        else:
            d = {"span": [self.start, self.end]}
        if start is not None:
            d["span"] = [start, end]
        return d


def clean_cell(text: str) -> str:
    return text.translate(_FULLWIDTH_DIGITS).strip(_DEBRIS_CHARS + " \t")


def parse_number(text: str):
    """The number a cell holds, or None. ``1,234`` → 1234, ``151.598`` → 151.598."""
    t = clean_cell(text).replace(",", "").replace("，", "").replace(" ", "")
    t = t.replace("−", "-").replace("－", "-")
    if not _NUMBER.fullmatch(t):
        return None
    return float(t) if "." in t else int(t)


def is_blank_mark(text: str) -> bool:
    return clean_cell(text) in _BLANK_MARKS


def _is_enumeration(text: str, m: re.Match, tail: str = "") -> bool:
    """``1.属于`` / ``2、重复`` / ``(3)`` are label prefixes, not numbers."""
    # "3 . 其他": an enumeration spaced out from its mark (single digits only:
    # sub-rows are numbered 1-8, and "24 、…" is a count before a comma).
    after = text[m.end():m.end() + 2] or (tail.lstrip()[:2] if len(m.group()) == 1 else "")
    before = text[m.start() - 1] if m.start() else ""
    if "." in m.group() or m.group().startswith(("-", "−", "－")):
        return False
    if len(m.group()) > 2 or m.group().strip("0") == "":
        return False  # items are numbered from 1
    if after[:1] in (".", "、", "．"):
        rest = (text[m.end() + 1:] + tail).lstrip() if text[m.end():] else tail.lstrip()[1:].lstrip()
        if rest.startswith(_LABEL_CONTINUATIONS):
            return False
        if rest and not rest[0].isdigit() and rest[0] not in "-—/|":
            return True
    if before in ("(", "（") and after[:1] in (")", "）"):
        return True
    return False


def _split_free_text(text: str, base: int, out: list[Item]) -> None:
    """Cut a line of running text into text and number items."""
    for piece in re.finditer(r"\S+", text):
        word, wstart = piece.group(), base + piece.start()
        pos = 0
        for m in re.finditer(r"[-−－]?\d+(?:[.,]\d+)*", word):
            if _is_enumeration(word, m, text[piece.end():piece.end() + 10]):
                continue
            raw = m.group()
            # A leading minus belongs to the number only at the start of a piece
            # (a negative 本年增/减); elsewhere it is a dash.
            glued_minus = raw[0] in "-−－" and m.start() > 0 and word[m.start() - 1].isdigit()
            if raw[0] in "-−－" and m.start() > 0 and not glued_minus:
                raw = raw[1:]
                mstart = m.start() + 1
            else:
                mstart = m.start()
            if "," in raw:
                raw_digits = raw.replace(",", "")
            else:
                raw_digits = raw
            if mstart > pos:
                seg = word[pos:mstart]
                if seg.strip(_DEBRIS_CHARS):
                    out.append(Item(TEXT, seg, wstart + pos, wstart + mstart))
            value = parse_number(raw_digits)
            if value is None and raw_digits.count(".") > 1:
                # decimals run together ("5.0142.3"): a number the decoder may split
                out.append(Item(NUM, raw_digits, wstart + mstart, wstart + m.end(), None))
            elif value is None:
                seg = word[mstart:m.end()]
                out.append(Item(TEXT, seg, wstart + mstart, wstart + m.end()))
            else:
                follows = word[m.end():m.end() + 1] or (text[piece.end():].lstrip()[:1] if m.end() == len(word) else "")
                kind = QTY if follows and follows in _UNIT_AFTER else NUM
                out.append(Item(kind, raw_digits.lstrip("+"), wstart + mstart, wstart + m.end(), value))
            pos = m.end()
        if pos == 0 and word in _BLANK_MARKS:
            # "/" or "—" standing alone between numbers: an empty cell
            out.append(Item(BLANK, word, wstart, wstart + len(word), 0))
            continue
        if pos < len(word):
            seg = word[pos:]
            if seg.strip(_DEBRIS_CHARS + "|"):
                out.append(Item(TEXT, seg, wstart + pos, wstart + len(word)))


def _cell_item(text: str, start: int, end: int, origin: Origin | None, keep_blank: bool) -> list[Item]:
    t = text.strip()
    value = parse_number(t)
    if value is not None:
        raw = clean_cell(t).replace(",", "").replace("，", "")
        return [Item(NUM, raw, start, end, value, cell=True, origin=origin)]
    if is_blank_mark(t):
        return [Item(BLANK, t, start, end, 0, cell=True, origin=origin)] if keep_blank else []
    # A cell holding a label and a number ("行政许可 405"): treat as free text.
    if re.search(r"\d", t) and re.search(r"\s\d", t):
        out: list[Item] = []
        _split_free_text(t, start, out)
        return out
    return [Item(TEXT, t, start, end, cell=True, origin=origin)]


_UNITS = {"条", "件", "个", "次", "人", "万元", "元", "项", "份", "期", "场", "篇", "天"}
_ENUM_START = re.compile(r"^(?:[一二三四五六七八九十]、|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}[.、．])")


def _join_label_pieces(out: list[Item], start: int, text: str) -> None:
    """Join text pieces a line split at spaces (``结 果 纠 正``, ``上年结 转``)
    back into one label, but never across a number or a new enumeration."""
    i = start + 1
    while i < len(out):
        a, b = out[i - 1], out[i]
        if (a.kind == TEXT and b.kind == TEXT and not _ENUM_START.match(b.text)
                and not a.text.endswith(("。", "；", ";", "：", ":"))):
            if len(a.text) + len(b.text) <= 40:
                out[i - 1] = Item(TEXT, text[a.start:b.end], a.start, b.end, origin=a.origin)
                del out[i]
                continue
            cut = _wrapped_label_start(a.text, b.text)
            if cut is not None:
                # a run of headings ends in the first words of a label: give them to b
                head = a.text[:cut].rstrip()
                out[i - 1] = Item(TEXT, head, a.start, a.start + len(head), origin=a.origin)
                out[i] = Item(TEXT, text[a.start + cut:b.end], a.start + cut, b.end, origin=b.origin)
        i += 1


def _wrapped_label_start(a: str, b: str) -> int | None:
    """Where in ``a`` begins a row label that ``b`` finishes (``… 总 计 本年新`` +
    ``收政府信息公开申请数量``), when only the two together name the row."""
    b_rows = {key for key, *_ in find_t3_rows(normalize(b))}
    cuts = [m.end() for m in re.finditer(r"\s+", a)]
    for cut in reversed(cuts[-4:]):
        tail = normalize(a[cut:])
        for key, s, e, rank in find_t3_rows(tail + normalize(b)):
            if s < len(tail) < e and rank <= 1 and key not in b_rows:
                return cut
    return None


def _drop_header_blanks(row: list[Item]) -> list[Item]:
    """A row of several headings, no number and a lone empty cell: that cell
    is layout (the space before a run of merge marks), not a blank value."""
    headings = sum(1 for i in row if i.kind == TEXT and clean_cell(i.text) not in _UNITS)
    if (not any(i.kind == NUM for i in row) and headings >= 2
            and sum(1 for i in row if i.kind == BLANK) <= 1):
        return [i for i in row if i.kind != BLANK]
    return row


def _strip_page_marks(text: str) -> str:
    """Blank out page counters, keeping every offset in place."""
    return _PAGE_MARK.sub(lambda m: " " * len(m.group()), text)


def _pipe_line(block: TextBlock, out: list[Item]) -> None:
    text = block.text
    base = block.origin.start
    cells = []
    pos = 0
    for m in re.finditer(r"\|", text):
        cells.append((pos, m.start()))
        pos = m.end()
    cells.append((pos, len(text)))
    # Trailing runs of "|" mark merged cells ("5 | ||"), not blanks; a blank
    # cell holds at least a space. The decoder trims a blank too many.
    while cells and cells[-1][0] == cells[-1][1]:
        cells.pop()
    if not any(text[s:e].strip() for s, e in cells):
        spaced = [(s, e) for s, e in cells if e > s]
        if len(spaced) < 2:
            # a line holding nothing but "|": an empty cell in one-cell-per-line text
            out.append(Item(BLANK, "", base, base + len(text), 0, cell=True))
            return
        # " |  |  | … |": a whole row of empty cells (a table 四 with no cases); the
        # first cell's space went with the line's leading whitespace
        spaced = cells[:1] + [(s, e) for s, e in cells[1:] if e > s]
        out.extend(Item(BLANK, "", base + s, base + e, 0, cell=True) for s, e in spaced)
        out.append(Item(ROW_END, "", base + len(text), base + len(text)))
        return
    row: list[Item] = []
    for s, e in cells:
        raw = text[s:e]
        lead = len(raw) - len(raw.lstrip())
        cs, ce = base + s + lead, base + s + lead + len(raw.strip())
        row.extend(_cell_item(raw, cs, ce, None, keep_blank=True))
    out.extend(_drop_header_blanks(row))
    # One cell per line ("5 | ||") is a cell of a row that goes on; several
    # cells on a line make a whole row.
    if len(cells) > 1:
        out.append(Item(ROW_END, "", base + len(text), base + len(text)))


def _looks_like_pipe_table(block: TextBlock) -> bool:
    return "|" in block.text


def tokenize(doc: Document) -> list[Item]:
    """The whole document as one stream of items."""
    out: list[Item] = []
    for block in doc.blocks:
        if isinstance(block, TableBlock):
            for row in block.rows:
                row_items: list[Item] = []
                for cell in row:
                    if not cell.primary:
                        continue
                    row_items.extend(_cell_item(cell.text, cell.origin.start, cell.origin.end, cell.origin,
                                                keep_blank=True))
                # Empty cells are kept even in a row of nothing else: an empty
                # table 四 row means no cases; the decoder drops blanks that
                # belong to no row.
                if len(row_items) > 1 or any(i.kind != BLANK for i in row_items):
                    out.extend(row_items)
                end = block.origin.end
                out.append(Item(ROW_END, "", end, end))
        elif _looks_like_pipe_table(block):
            _pipe_line(block, out)
        else:
            if block.text.strip() in _BLANK_MARKS:
                # "/" or "—" alone on its line: an empty cell, one cell per line
                out.append(Item(BLANK, block.text.strip(), block.origin.start, block.origin.end, 0, cell=True))
                continue
            text = _strip_page_marks(block.text)
            start = len(out)
            _split_free_text(text, block.origin.start, out)
            _join_label_pieces(out, start, doc.text)
            for item in out[start:]:
                if block.origin.page is not None or block.origin.bbox is not None:
                    item.origin = Origin(item.start, item.end, page=block.origin.page, bbox=block.origin.bbox,
                                         confidence=block.origin.confidence)
            # One cell per line (a lone number or label on its line) is a cell too.
            if len(out) - start == 1:
                out[-1].cell = True
    return out
