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
from functools import lru_cache

from ..sources.base import Document, Origin, TableBlock, TextBlock
from ..template import T2_LAYOUTS, T3_ROWS
from .labels import MAX_LABEL_CHARS, find_t2_fields, find_t3_rows, normalize, template_enumeration

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


# Cell texts repeat within and across reports ("0", "/", labels): the pure
# functions of one text are cached, with a bound.
@lru_cache(maxsize=16384)
def clean_cell(text: str) -> str:
    return text.translate(_FULLWIDTH_DIGITS).strip(_DEBRIS_CHARS + " \t")


# A count in a report is far below 10**15: a longer run of digits is several cells run
# together (split later, by its text) or noise, never one value. (Also keeps int() clear of
# Python's 4,300-digit limit and float() of numbers it cannot hold.)
MAX_DIGITS = 15


@lru_cache(maxsize=16384)
def parse_number(text: str):
    """The number a cell holds, or None. ``1,234`` → 1234, ``151.598`` → 151.598; None too for
    a number of more than :data:`MAX_DIGITS` digits before its point."""
    t = clean_cell(text).replace(",", "").replace("，", "").replace(" ", "")
    t = t.replace("−", "-").replace("－", "-")
    if not _NUMBER.fullmatch(t) or _too_long(t):
        return None
    return float(t) if "." in t else int(t)


def _too_long(t: str) -> bool:
    return len(t) > MAX_DIGITS and len(t.lstrip("-").partition(".")[0]) > MAX_DIGITS


@lru_cache(maxsize=16384)
def long_number(text: str) -> str | None:
    """The digits of a number too long to be a value (see :data:`MAX_DIGITS`), or None."""
    t = clean_cell(text).replace(",", "").replace("，", "").replace(" ", "")
    t = t.replace("−", "-").replace("－", "-")
    return t if _NUMBER.fullmatch(t) and _too_long(t) else None


def is_blank_mark(text: str) -> bool:
    return clean_cell(text) in _BLANK_MARKS


def _is_enumeration(text: str, m: re.Match, tail: str = "") -> bool:
    """``1.属于`` / ``2、重复`` / ``(3)`` are label prefixes, not numbers."""
    # "3 . 其他": an enumeration spaced out from its mark (single digits only:
    # sub-rows are numbered 1-8, and "24 、…" is a count before a comma).
    g = m.group()
    if "." in g or g.startswith(("-", "−", "－")):
        return False
    if len(g) > 2 or g[0] == "0":
        return False  # items are numbered from 1; "02." is a cell's 0 glued to the label "2."
    after = text[m.end():m.end() + 2] or (tail.lstrip()[:2] if len(g) == 1 else "")
    before = text[m.start() - 1] if m.start() else ""
    if after[:1] in (".", "、", "．"):
        rest = (text[m.end() + 1:] + tail).lstrip() if text[m.end():] else tail.lstrip()[1:].lstrip()
        if rest.startswith(_LABEL_CONTINUATIONS):
            return False
        if rest and not rest[0].isdigit() and rest[0] not in "-—/|":
            return True
    if before in ("(", "（") and after[:1] in (")", "）"):
        return True
    return False


_WORD = re.compile(r"\S+")
# What may follow the digits of an enumeration ("2.", "2、", "(3)") or of a number glued to one.
_AFTER_ENUMERATION = frozenset((".", "、", "．", ")", "）"))
_DIGITS = re.compile(r"[-−－]?\d+(?:[.,]\d+)*")
_ANY_DIGIT = re.compile(r"\d")
_SPACED_DIGIT = re.compile(r"\s\d")
_NEXT_CHAR = re.compile(r"\s*(\S?)")  # text[i:].lstrip()[:1] without copying the rest of a long line


def _glued_enumeration(word: str, m: re.Match, last_enum: int | None, tail: str = "") -> int:
    """How many trailing digits of a digit run are the number of the label glued after
    it: ``00000002.其他法律…`` is a row of zeros, then the label ``2.其他法律…``; in an
    appendix ``26262、政府公报公开`` is 2626, then ``2、政府公报公开``. The digits are the
    label's when the template numbers that label so, or when they continue the
    enumeration of the labels before (1 → 2)."""
    g = m.group()
    end = m.end()
    if not g.isdigit() or len(g) < 2:
        return 0
    if word[end:end + 1] in (".", "、", "．"):
        rest = word[end + 1:] or tail.lstrip()  # "…71000198. 属于行政查询事项": the label after a space
    elif end == len(word) and tail.lstrip()[:1] in (".", "、", "．"):
        rest = tail.lstrip()[1:].lstrip()      # "…00003 . 其 他": the mark spaced out
    else:
        return 0
    if not rest or rest[0].isdigit() or rest[0] in "-—/|" or rest.startswith(_LABEL_CONTINUATIONS):
        return 0
    expected = template_enumeration(rest)
    for k in (1, 2):
        if len(g) <= k or g[-k] == "0":
            continue
        number = int(g[-k:])
        if number == expected or (last_enum is not None and number == last_enum + 1):
            return k
    return 0


_YEAR_TAIL = re.compile(r"(?:\d+?|\d[\d.]*?\.\d+?)((?:19|20)\d\d)")


def _glued_year(digits: str, follows: str) -> str | None:
    """The year at the end of a digit run printed right before 年 (``20000022025年``, an
    amount before a date: ``18.842012年1月26日``, ``28.528.52016年``)."""
    if follows != "年" or len(digits) <= 4 or not digits.replace(".", "").isdigit():
        return None
    m = _YEAR_TAIL.fullmatch(digits)
    return m.group(1) if m else None


# Where a long run of text may be cut into labels: before a heading numeral
# ("三、", "（四）") or an item number ("2.") that starts a label.
_LABEL_CUT = re.compile(r"(?<=\S)(?=[一二三四五六七八九十]、|[（(][一二三四五六七八九十]{1,2}[)）]|(?<![\d.])\d{1,2}[.、．][^\d\s]"
                        r"|(?<![一二三四]、)(?:本年新收|上年结转|结转下年度))")  # (rows often printed without their 一、)


def _add_text(seg: str, start: int, out: list[Item]) -> None:
    """A text piece; one too long to be a label is cut where labels begin (a flattened
    table runs its headings and first label together with the text before)."""
    if len(seg) <= MAX_LABEL_CHARS:
        out.append(Item(TEXT, seg, start, start + len(seg)))
        return
    cuts = [0, *(m.start() for m in _LABEL_CUT.finditer(seg)), len(seg)]
    for a, b in zip(cuts, cuts[1:]):
        if b > a:
            out.append(Item(TEXT, seg[a:b], start + a, start + b))


def _split_free_text(text: str, base: int, out: list[Item]) -> None:
    """Cut a line of running text into text and number items."""
    last_enum: int | None = None  # the item number of the last label seen on the line
    for piece in _WORD.finditer(text):
        word, wstart, wend = piece.group(), base + piece.start(), piece.end()
        pos = 0
        wlen = len(word)
        for m in _DIGITS.finditer(word):
            raw = m.group()
            mstart, mend = m.span()
            # (both tests below need an enumeration mark or a bracket right after the digits,
            # or the word to end there: the rest of the numbers skip them)
            nxt = word[mend:mend + 1]
            if nxt in _AFTER_ENUMERATION or mend == wlen:
                # "12.申请人逾期…" after "1.申请人无正当理由…": a cell's 1, then the label "2."
                glued = _glued_enumeration(word, m, last_enum, text[wend:wend + 12] if mend + 1 >= wlen else "")
                if not glued and _is_enumeration(word, m, text[wend:wend + 10]):
                    if raw.isdigit():
                        last_enum = int(raw)
                    continue
            else:
                glued = 0
            if glued:
                last_enum = int(raw[-glued:])
                raw, mend = raw[:-glued], mend - glued
            # A leading minus belongs to the number only at the start of a piece
            # (a negative 本年增/减); elsewhere it is a dash.
            if raw[0] in "-−－" and mstart > 0 and not word[:mstart].rstrip(_DEBRIS_CHARS)[-1:].isdigit():
                raw = raw[1:]
                mstart += 1
            raw_digits = raw.replace(",", "") if "," in raw else raw
            if mstart > pos:
                seg = word[pos:mstart]
                if seg.strip(_DEBRIS_CHARS):
                    _add_text(seg, wstart + pos, out)
            follows = word[mend:mend + 1] or (_NEXT_CHAR.match(text, wend).group(1) if mend == len(word) else "")
            year = _glued_year(raw_digits, follows) if follows == "年" else None
            if year:
                # "…继续办理20000022025年，我局…": the row's digits, then the year of the prose
                cut = mend - 4
                head = raw_digits[:-4]
                out.append(Item(NUM, head, wstart + mstart, wstart + cut, parse_number(head)))
                out.append(Item(QTY, year, wstart + cut, wstart + mend, int(year)))
                pos = mend
                continue
            value = parse_number(raw_digits)
            if value is None and (raw_digits.count(".") > 1 or long_number(raw_digits)):
                # decimals run together ("5.0142.3"), or digits too many for one value: a
                # number the decoder may split
                out.append(Item(NUM, raw_digits, wstart + mstart, wstart + mend, None))
            elif value is None:
                out.append(Item(TEXT, word[mstart:mend], wstart + mstart, wstart + mend))
            else:
                kind = QTY if follows and follows in _UNIT_AFTER else NUM
                out.append(Item(kind, raw_digits.lstrip("+"), wstart + mstart, wstart + mend, value))
            pos = mend
        if pos == 0 and word in _BLANK_MARKS:
            # "/" or "—" standing alone between numbers: an empty cell
            out.append(Item(BLANK, word, wstart, wstart + len(word), 0))
            continue
        if pos < len(word):
            seg = word[pos:]
            if seg.strip(_DEBRIS_CHARS + "|"):
                _add_text(seg, wstart + pos, out)


def _cell_item(text: str, start: int, end: int, origin: Origin | None, keep_blank: bool) -> list[Item]:
    t = text.strip()
    kind, raw, value = _cell_kind(t)
    # (positional arguments: one item per cell, keywords cost a third more)
    if kind == NUM:
        return [Item(NUM, raw, start, end, value, True, origin)]
    if kind == BLANK:
        return [Item(BLANK, t, start, end, 0, True, origin)] if keep_blank else []
    if kind is None:
        # A cell holding a label and a number ("行政许可 405"): treat as free text.
        out: list[Item] = []
        _split_free_text(t, start, out)
        return out
    return [Item(TEXT, t, start, end, None, True, origin)]


@lru_cache(maxsize=16384)
def _cell_kind(t: str) -> tuple[str | None, str, float | int | None]:
    """What a stripped cell text holds: (NUM, digits, value), (BLANK, …),
    (TEXT, …), or (None, …) for a label with a number to split as free text."""
    value = parse_number(t)
    if value is not None:
        return NUM, clean_cell(t).replace(",", "").replace("，", ""), value
    digits = long_number(t)
    if digits is not None:  # a cell of digits too many for one value: no value, but a cell
        return NUM, digits, None
    if is_blank_mark(t):
        return BLANK, t, 0
    if _ANY_DIGIT.search(t) and _SPACED_DIGIT.search(t):
        return None, t, None
    return TEXT, t, None


_UNITS = {"条", "件", "个", "次", "人", "万元", "元", "项", "份", "期", "场", "篇", "天"}
_ENUM_START = re.compile(r"^(?:[一二三四五六七八九十]、|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}[.、．])")


def _join_label_pieces(out: list[Item], start: int, text: str) -> None:
    """Join text pieces a line split at spaces (``结 果 纠 正``, ``上年结 转``)
    back into one label, but never across a number or a new enumeration."""
    i = start + 1
    while i < len(out):
        a, b = out[i - 1], out[i]
        if (a.kind == TEXT and b.kind == TEXT and not _ENUM_START.match(b.text)
                and not a.text.endswith(("。", "；", ";", "：", ":"))
                and not (len(a.text) == 1 and a.text in _UNIT_AFTER)):  # "2010年" + "主动公开…"
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
    b_fields = {k for layout in T2_LAYOUTS for k in find_t2_fields(normalize(b), layout)}
    cuts = [m.end() for m in re.finditer(r"\s+", a)][-4:]
    if len(b.strip()) <= 3:
        # a label broken by one space inside it ("…现行有效件数规" + "章"): its head ends a
        cuts = sorted(set(cuts) | {len(a) - k for k in range(1, 7) if len(a) - k > 0})
    for cut in reversed(cuts):
        tail = normalize(a[cut:])
        for key, s, e, rank in find_t3_rows(tail + normalize(b)):
            if s < len(tail) < e and rank <= 1 and key not in b_rows:
                return cut
        # a field of table 二 spelled out with spaces ("行 政 许" + "可")
        if len(tail) <= 6 and any(k not in b_fields for layout in T2_LAYOUTS
                                  for k in find_t2_fields(tail + normalize(b), layout)):
            return cut
    return None


def wrapped_t3_row(items: list[Item], i: int) -> str | None:
    """The row of table 三 that the label cell ``items[i]`` names once it goes on in the first
    cell of the next row, broken inside a word (``| 一、本年新 | | … |`` then
    ``| 收政府信息公开申请数量 | 8 | … |``): neither half names a row, the two together do,
    across the break. (rows.segments_of then gives the second row's numbers to the first.)"""
    j, ends = i + 1, 0
    while j < len(items) and items[j].kind in (BLANK, ROW_END) and ends <= 1:
        ends += items[j].kind == ROW_END
        j += 1
    if ends != 1 or j >= len(items) or items[j].kind != TEXT or not items[j].cell:
        return None
    head, tail = normalize(items[i].text), normalize(items[j].text)
    if len(head) + len(tail) > MAX_LABEL_CHARS or find_t3_rows(tail) or find_t3_rows(head):
        return None
    return next((key for key, s, e, rank in find_t3_rows(head + tail) if s < len(head) < e and rank <= 1), None)


def _drop_header_blanks(row: list[Item]) -> list[Item]:
    """A row of several headings, no number and a lone empty cell: that cell
    is layout (the space before a run of merge marks), not a blank value."""
    if any(i.kind == NUM for i in row):
        return row
    headings = sum(1 for i in row if i.kind == TEXT and clean_cell(i.text) not in _UNITS)
    if headings >= 2 and sum(1 for i in row if i.kind == BLANK) <= 1:
        return [i for i in row if i.kind != BLANK]
    return row


def _strip_page_marks(text: str) -> str:
    """Blank out page counters, keeping every offset in place."""
    return _PAGE_MARK.sub(lambda m: " " * len(m.group()), text)


_MD_RULE = re.compile(r"\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-*:?\s*")


def _is_md_rule(text: str) -> bool:
    return "---" in text and _MD_RULE.fullmatch(text) is not None


# Lines repeat within and across reports (labels, rows of zeros, page furniture): the items of
# a line are a pure function of its text, kept with spans from 0 and placed at each use. Only
# short lines of few items are kept (a long line is rarely printed twice), and a full cache is
# emptied, so it never holds more than _LINE_CACHE_SIZE lines of _LINE_CACHE_ITEMS items.
_LINE_CACHE_CHARS = 240
_LINE_CACHE_ITEMS = 24
_LINE_CACHE_SIZE = 8192
_free_lines: dict[str, tuple] = {}
_pipe_lines: dict[tuple[str, bool], tuple] = {}


def _keep(cache: dict, key, items: tuple) -> tuple:
    if len(items) <= _LINE_CACHE_ITEMS:
        if len(cache) >= _LINE_CACHE_SIZE:
            cache.clear()
        cache[key] = items
    return items


def _free_line_items(line: str) -> tuple[tuple, ...]:
    """(kind, text, start, end, value) of the items of one line of running text, spans from 0."""
    got = _free_lines.get(line)
    if got is None:
        out: list[Item] = []
        _split_free_text(_strip_page_marks(line), 0, out)
        _join_label_pieces(out, 0, line)
        got = _keep(_free_lines, line, tuple((i.kind, i.text, i.start, i.end, i.value) for i in out))
    return got


def _pipe_line_items(line: str, markdown: bool) -> tuple[tuple, ...]:
    """(kind, text, start, end, value, cell) of the items of one line with ``|``, spans from 0."""
    got = _pipe_lines.get((line, markdown))
    if got is None:
        out: list[Item] = []
        _pipe_items(line, 0, out, markdown)
        got = _keep(_pipe_lines, (line, markdown), tuple((i.kind, i.text, i.start, i.end, i.value, i.cell)
                                                        for i in out))
    return got


def _pipe_line(block: TextBlock, out: list[Item], markdown: bool = False) -> None:
    text = block.text
    base = block.origin.start
    if len(text) <= _LINE_CACHE_CHARS:
        out.extend([Item(k, t, s + base, e + base, v, c) for k, t, s, e, v, c in _pipe_line_items(text, markdown)])
    else:
        _pipe_items(text, base, out, markdown)


def _pipe_items(text: str, base: int, out: list[Item], markdown: bool) -> None:
    if _is_md_rule(text):
        return  # a markdown table's rule under its first row
    cells = []
    pos = 0
    for part in text.split("|"):
        cells.append((pos, pos + len(part)))
        pos += len(part) + 1
    if markdown and text.startswith("|") and len(cells) > 2:
        cells.pop(0)  # a markdown row: "| a | b |" opens with its border, not with an empty cell
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
    markdown: bool | None = None
    for block in doc.blocks:
        if isinstance(block, TableBlock):
            for row in block.rows:
                row_items: list[Item] = []
                for cell in row:
                    if not cell.primary:
                        continue
                    row_items.extend(_cell_item(cell.text, cell.origin.start, cell.origin.end, cell.origin, True))
                # Empty cells are kept even in a row of nothing else: an empty
                # table 四 row means no cases; the decoder drops blanks that
                # belong to no row.
                if len(row_items) > 1 or any(i.kind != BLANK for i in row_items):
                    out.extend(row_items)
                end = block.origin.end
                out.append(Item(ROW_END, "", end, end))
        elif _looks_like_pipe_table(block):
            if markdown is None:
                # markdown tables (a "|---|" rule under the first row) open each row with a border
                markdown = any(isinstance(b, TextBlock) and "|" in b.text and _is_md_rule(b.text)
                               for b in doc.blocks)
            _pipe_line(block, out, markdown)
        else:
            if block.text.strip() in _BLANK_MARKS:
                # "/" or "—" alone on its line: an empty cell, one cell per line
                out.append(Item(BLANK, block.text.strip(), block.origin.start, block.origin.end, 0, cell=True))
                continue
            start = len(out)
            base = block.origin.start
            if len(block.text) <= _LINE_CACHE_CHARS and doc.text.startswith(block.text, base):
                out.extend([Item(k, t, s + base, e + base, v) for k, t, s, e, v in _free_line_items(block.text)])
            else:
                _split_free_text(_strip_page_marks(block.text), base, out)
                _join_label_pieces(out, start, doc.text)
            if block.origin.page is not None or block.origin.bbox is not None:
                for item in out[start:]:
                    item.origin = Origin(item.start, item.end, page=block.origin.page, bbox=block.origin.bbox,
                                         confidence=block.origin.confidence)
            # One cell per line (a lone number or label on its line) is a cell too.
            if len(out) - start == 1:
                out[-1].cell = True
    return out
