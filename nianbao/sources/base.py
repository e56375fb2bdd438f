"""What every source hands to the extractor: text blocks and table grids.

A source turns the bytes of one file into a :class:`Document`. Every block
and every table cell says where it came from (:class:`Origin`), so each
extracted value can point back to its place in the source.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union


class SourceError(Exception):
    """The file cannot be made into a record; the message says why (Chinese first, English in
    parentheses) and names the file. The project's one exception for bad input: every loader and
    every stage of extraction raises it or one of its kinds below, never anything else.

    ``reason`` is a short code for programs: ``empty``, ``binary``, ``corrupt``, ``encrypted``,
    ``unsupported-format``, ``too-large``, ``zip-bomb``, ``no-text``, ``timeout``, ``memory``,
    ``internal`` …
    """

    def __init__(self, message: str, *, reason: str = "unreadable", path: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.path = path


class LimitError(SourceError):
    """The input is over one of the size caps (characters, cells, pages, ZIP members or ratio,
    image pixels), found before the work that the size would make too long or too big.
    ``limit`` names the cap, ``value`` and ``cap`` say by how much."""

    def __init__(self, message: str, *, limit: str, value: float, cap: float, reason: str = "too-large",
                 path: str | None = None):
        super().__init__(message, reason=reason, path=path)
        self.limit = limit
        self.value = value
        self.cap = cap


class StageError(SourceError):
    """A stage failed in a way no check foresaw (a defect of ours, or a library's error on odd
    input): raised at the public entry in place of the raw exception, naming the file, the stage
    (``sources.docx``, ``extract.t3``, ``validate`` …) and the cause. ``reason`` is ``internal``,
    or ``memory`` when the stage ran out of memory."""

    def __init__(self, message: str, *, stage: str, cause: str, reason: str = "internal",
                 path: str | None = None):
        super().__init__(message, reason=reason, path=path)
        self.stage = stage
        self.cause = cause


@dataclass(frozen=True, init=False)
class Origin:
    """Where a piece of text sits in the source.

    ``start``/``end``: character span in :attr:`Document.text` (always set).
    ``page`` (1-based) and ``bbox`` (x0, top, x1, bottom in PDF points or
    pixels) for paginated sources; ``table``/``row``/``col`` for table cells.
    """

    start: int
    end: int
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None
    confidence: float | None = None  # OCR score, when the text was recognised

    def __init__(self, start: int, end: int, page: int | None = None,
                 bbox: tuple[float, float, float, float] | None = None, table: int | None = None,
                 row: int | None = None, col: int | None = None, confidence: float | None = None) -> None:
        # One Origin per line and per table cell: the frozen dataclass's own
        # __init__ (one object.__setattr__ per field) costs 2.5x this.
        d = self.__dict__
        d["start"], d["end"], d["page"], d["bbox"] = start, end, page, bbox
        d["table"], d["row"], d["col"], d["confidence"] = table, row, col, confidence

    def as_dict(self) -> dict:
        d = {"span": [self.start, self.end]}
        if self.page is not None:
            d["page"] = self.page
        if self.table is not None:
            d["table"] = self.table
        if self.row is not None:
            d["row"] = self.row
        if self.col is not None:
            d["col"] = self.col
        if self.confidence is not None:
            d["confidence"] = self.confidence
        if self.bbox is not None:
            d["bbox"] = [round(x, 1) for x in self.bbox]
        return d


@dataclass
class TextBlock:
    """A line or paragraph of running text."""

    text: str
    origin: Origin


@dataclass
class Cell:
    """One cell of an expanded grid. A merged cell appears at every grid
    position it covers; ``primary`` is true only at its top-left one."""

    text: str
    origin: Origin
    primary: bool = True


@dataclass
class TableBlock:
    """A table as a full rectangular grid (row/col spans expanded)."""

    rows: list[list[Cell]]
    origin: Origin

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


Block = Union[TextBlock, TableBlock]


@dataclass
class Document:
    """A decoded source: its full text and its blocks in reading order.

    ``text`` is what spans refer to: for text sources the decoded file, for
    structured sources the blocks written out one per line (table rows as
    ``cell | cell | …``).
    """

    path: str
    sha256: str
    format: str
    text: str
    blocks: list[Block] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)  # findings raised while reading
    pages: int | None = None
    encoding: str | None = None
    ocr_pages: list[int] = field(default_factory=list)  # 1-based pages whose text came from OCR

    def tables(self) -> Iterator[TableBlock]:
        return (b for b in self.blocks if isinstance(b, TableBlock))


class DocumentBuilder:
    """Builds :attr:`Document.text` and the block origins together."""

    def __init__(self, path: str = "") -> None:
        self._parts: list[str] = []
        self._pos = 0
        self.blocks: list[Block] = []
        self._tables = 0
        self._cells = 0
        self.path = path  # named in the error when the text or the tables are over a cap
        from .caps import MAX_TEXT_CHARS

        self._max_chars = MAX_TEXT_CHARS

    def _emit(self, text: str) -> tuple[int, int]:
        start = self._pos
        self._parts.append(text)
        self._pos += len(text)
        if self._pos > self._max_chars:
            self._too_long()
        return start, self._pos

    def _too_long(self):
        from .caps import MAX_TEXT_CHARS, refuse

        raise refuse(self.path, "chars", self._pos, MAX_TEXT_CHARS, "文本过长，不像一份年度报告",
                     "text too long for an annual report (characters)")

    def add_text(self, text: str, *, page: int | None = None,
                 bbox: tuple[float, float, float, float] | None = None,
                 confidence: float | None = None) -> None:
        text = text.strip()
        if not text:
            return
        start, end = self._emit(text)
        self._emit("\n")
        self.blocks.append(TextBlock(text, Origin(start, end, page=page, bbox=bbox, confidence=confidence)))

    def add_table(self, grid: list[list[dict | str]], *, page: int | None = None) -> None:
        """``grid``: expanded rows of cells, each a str or a dict with keys
        text, primary (bool), page, bbox, confidence."""
        if not grid:
            return
        from .caps import MAX_CELLS, check_table, refuse

        cells = sum(len(row) for row in grid)
        check_table(cells, self.path)
        self._cells += cells
        if self._cells > MAX_CELLS:
            raise refuse(self.path, "cells", self._cells, MAX_CELLS, "表格单元格总数过多",
                         "too many table cells in one document")
        t = self._tables
        self._tables += 1
        table_start = pos = self._pos
        parts = self._parts  # _emit inlined: a table has hundreds of cells
        rows: list[list[Cell]] = []
        for r, raw_row in enumerate(grid):
            row: list[Cell] = []
            for c, raw in enumerate(raw_row):
                info = {"text": raw} if isinstance(raw, str) else raw
                text = " ".join(str(info.get("text") or "").split())
                primary = info.get("primary", True)
                if c:
                    parts.append(" | ")
                    pos += 3
                shown = text if primary else ""
                parts.append(shown)
                start, pos = pos, pos + len(shown)
                # positional arguments: keywords cost a third more, per cell
                row.append(Cell(text, Origin(start, pos, info.get("page", page), info.get("bbox"),
                                             t, r, c, info.get("confidence")), primary))
            parts.append("\n")
            pos += 1
            rows.append(row)
        self._pos = pos
        if pos > self._max_chars:
            self._too_long()
        self.blocks.append(TableBlock(rows, Origin(table_start, self._pos, page=page, table=t)))

    def build(self, path: str, sha256: str, fmt: str, **kw) -> Document:
        return Document(path=path, sha256=sha256, format=fmt, text="".join(self._parts), blocks=self.blocks, **kw)
