"""Plain text: one block per line, spans into the decoded text."""
from __future__ import annotations

from . import caps
from .base import Document, Origin, SourceError, TextBlock
from .decode import decode

MAX_TEXT_CHARS = caps.MAX_TEXT_CHARS


def check_size(text: str, path: str) -> None:
    caps.check_text(text, path)


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
    caps.check_text_bytes(data, path)
    text, encoding = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    check_size(text, path)
    return Document(path=path, sha256=sha256, format="txt", text=text, blocks=lines_to_blocks(text),
                    encoding=encoding)
