"""Plain text: one block per line, spans into the decoded text."""
from __future__ import annotations

from .base import Document, Origin, SourceError, TextBlock
from .decode import decode

MAX_TEXT_CHARS = 4_000_000  # a report is rarely above 200k characters


def check_size(text: str, path: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise SourceError(f"文本长 {len(text) / 1e6:.1f} 百万字符，超过上限 {MAX_TEXT_CHARS / 1e6:.0f} 百万，"
                          f"不像一份年度报告 (text too long for an annual report)", reason="too-large")


def lines_to_blocks(text: str) -> list[TextBlock]:
    blocks = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + (len(line) - len(line.lstrip()))
            blocks.append(TextBlock(stripped, Origin(start, start + len(stripped))))
        pos += len(line) + 1
    return blocks


def check_not_empty(data: bytes) -> None:
    if not data.strip():
        raise SourceError("文件为空 (empty file)", reason="empty")


def read(data: bytes, path: str, sha256: str) -> Document:
    check_not_empty(data)
    text, encoding = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    check_size(text, path)
    return Document(path=path, sha256=sha256, format="txt", text=text, blocks=lines_to_blocks(text),
                    encoding=encoding)
