"""Size caps: what one input may hold before reading it would cost too much time or memory.

Each is checked before the work it bounds (the bytes before decoding, the markup before parsing,
a table's cells before its grid is built, an image's pixels before decoding, a ZIP's members
before inflating), and an input over one is refused with a :class:`LimitError` naming the cap.
They are far above any real report: a report is rarely over 200,000 characters, holds three
or four tables of a few hundred cells, and fits in 60 pages.

With them, and with the search budgets of extraction (:mod:`nianbao.extract.budget`), the time
and memory one document takes are bounded by design; the child process of
:mod:`nianbao.sources.limits` is a second line, not the first.
"""
from __future__ import annotations

from .base import LimitError

MAX_TEXT_CHARS = 1_000_000        # characters of a document's text, any format
MAX_MARKUP_CHARS = 8_000_000      # characters of an HTML file, markup included
MAX_ELEMENTS = 400_000            # elements of an HTML page
MAX_TABLE_CELLS = 20_000          # cells of one table, merged cells expanded
MAX_CELLS = 100_000               # cells of all the tables of one document
MAX_SPAN = 64                     # columns one cell may span (a table 三 has 9)
MAX_ROW_SPAN = 200                # rows one cell may span
# Text may take up to 4 bytes a character (UTF-32, and Python's widest strings): bytes past this
# cannot decode into fewer characters than the cap.
BYTES_PER_CHAR = 4


def refuse(path: str, limit: str, value: float, cap: float, zh: str, en: str,
           reason: str = "too-large") -> LimitError:
    """The error for ``path`` being over ``cap``: ``zh``/``en`` say what is too large."""
    return LimitError(f"{zh}（{value:,.0f}，上限 {cap:,.0f}）：{path} ({en}: {value:,.0f}, the cap is {cap:,.0f})",
                      limit=limit, value=value, cap=cap, reason=reason, path=path)


def check_text(text: str, path: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise refuse(path, "chars", len(text), MAX_TEXT_CHARS, "文本过长，不像一份年度报告",
                     "text too long for an annual report (characters)")


def check_text_bytes(data: bytes, path: str, cap: int | None = None) -> None:
    """Before decoding: bytes that must decode into more characters than ``cap`` (default
    :data:`MAX_TEXT_CHARS`)."""
    cap = MAX_TEXT_CHARS if cap is None else cap
    if len(data) > cap * BYTES_PER_CHAR:
        raise refuse(path, "bytes", len(data), cap * BYTES_PER_CHAR, "文件过大，不像一份年度报告",
                     "file too large for an annual report (bytes)")


def check_table(cells: int, path: str) -> None:
    if cells > MAX_TABLE_CELLS:
        raise refuse(path, "table-cells", cells, MAX_TABLE_CELLS, "表格单元格过多",
                     "a table with too many cells")
