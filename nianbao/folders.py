"""Folder runs: every entry of a folder accounted for, and any file name shown readably.

``walk(root)`` yields one :class:`Entry` per entry met: a file to read, or a failure with its
reason (a symbolic link that loops or points nowhere, a folder that cannot be read, a FIFO or
device, an empty folder named like a report file), or an entry skipped on purpose (hidden).
Nothing is passed over without a word, and nothing is opened that could block (a FIFO).

File names are bytes on Linux. Names unzipped from Windows archives are often GBK, which
Python hands over as lone surrogates (``surrogateescape``): printing them crashes and JSON
made from them is not UTF-8. ``display(path)`` gives readable text for any name (UTF-8 as is,
else GB18030 when the bytes are that, else ``\\xNN`` escapes) and ``raw_name(path)`` the exact
bytes, percent-encoded, for names that are not UTF-8: together lossless and readable.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

# a folder with one of these names was meant to be a file
REPORT_SUFFIXES = frozenset({".pdf", ".html", ".htm", ".txt", ".doc", ".docx", ".wps", ".png", ".jpg", ".jpeg",
                             ".tif", ".tiff", ".bmp", ".gif", ".webp", ".json", ".jsonl", ".xml", ".mht",
                             ".mhtml", ".rtf", ".odt"})
_SURROGATES = re.compile("[\udc80-\udcff]")


def _bytes(path: str | os.PathLike) -> bytes:
    return os.fsencode(path)


def decode_name(raw: bytes) -> str:
    """Readable text for the bytes of a name."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
        if text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return raw.decode("utf-8", "backslashreplace")


def display(path: str | os.PathLike) -> str:
    """``path`` as readable text, whatever the bytes of its names (each part decoded on its own)."""
    raw = _bytes(path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "/".join(decode_name(part) for part in raw.split(b"/"))


def raw_name(path: str | os.PathLike) -> str | None:
    """None for a name that is valid UTF-8; else its exact bytes, percent-encoded (``%C4%EA``)."""
    raw = _bytes(path)
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError:
        return quote(raw, safe="/")


def clean_text(value):
    """Strings (in nested lists and dicts) with undecodable name bytes made readable: safe to print as UTF-8."""
    if isinstance(value, str):
        if _SURROGATES.search(value):
            return decode_name(value.encode("utf-8", "surrogateescape"))
        return value
    if isinstance(value, dict):
        return {clean_text(k): clean_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_text(v) for v in value]
    return value


@dataclass
class Entry:
    path: Path
    error: str | None = None    # why it cannot be read (one line, Chinese first)
    reason: str | None = None   # short code: loop, dangling, unreadable, not_a_file, folder_named_like_file
    skipped: str | None = None  # left out on purpose: hidden

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped is None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device")):
        if test(mode):
            return name
    return "special file"


def _os_error(path: Path, exc: OSError, link: bool) -> Entry:
    if exc.errno == errno.ELOOP:
        return Entry(path, "符号链接成环 (symbolic link loop)", "loop")
    if link and exc.errno == errno.ENOENT:
        target = ""
        try:
            target = f": {display(os.readlink(path))}"
        except OSError:
            pass
        return Entry(path, f"链接目标不存在 (dangling symbolic link{target})", "dangling")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return Entry(path, "无权读取 (permission denied)", "unreadable")
    return Entry(path, f"无法读取 (cannot read): {exc.strerror or exc}", "unreadable")


def check_file(path: Path) -> Entry:
    """One path given on its own: a regular file that can be opened, else why not."""
    try:
        link = path.is_symlink()
        st = path.stat()
    except OSError as exc:
        return _os_error(path, exc, link=path.is_symlink())
    if stat.S_ISDIR(st.st_mode):
        return Entry(path, "是目录而非文件 (a folder, not a file)", "folder_named_like_file")
    if not stat.S_ISREG(st.st_mode):
        return Entry(path, f"不是普通文件 (not a regular file: {_kind(st.st_mode)})", "not_a_file")
    try:  # O_NONBLOCK: never wait on the file (it is regular, but be sure)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
    except OSError as exc:
        return _os_error(path, exc, link)
    return Entry(path)


def walk(root: Path, skip_hidden: bool = True) -> Iterator[Entry]:
    """Every entry under ``root`` (following links to folders, never in a circle), in name order."""
    root = Path(root)
    try:
        st = root.stat()
    except OSError as exc:
        yield _os_error(root, exc, link=root.is_symlink())
        return
    if not stat.S_ISDIR(st.st_mode):
        yield check_file(root)
        return
    yield from _walk_dir(root, st, {(st.st_dev, st.st_ino)}, skip_hidden, top=True)


def _walk_dir(folder: Path, st, seen: set, skip_hidden: bool, top: bool = False) -> Iterator[Entry]:
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it)
    except OSError as exc:
        entry = _os_error(folder, exc, link=False)
        entry.error = f"无法读取目录 (cannot read folder): {entry.error}"
        yield entry
        return
    found = False
    for name in names:
        path = folder / name
        if skip_hidden and name.startswith("."):
            found = True
            yield Entry(path, skipped="hidden")
            continue
        found = True
        link = path.is_symlink()
        try:
            sub = path.stat()
        except OSError as exc:
            yield _os_error(path, exc, link)
            continue
        if stat.S_ISDIR(sub.st_mode):
            ident = (sub.st_dev, sub.st_ino)
            if ident in seen:
                yield Entry(path, "链接回到上层目录，成环 (link to a folder above it: a loop)", "loop")
                continue
            yield from _walk_dir(path, sub, seen | {ident}, skip_hidden)
        elif stat.S_ISREG(sub.st_mode):
            yield check_file(path)
        else:
            yield Entry(path, f"不是普通文件 (not a regular file: {_kind(sub.st_mode)})", "not_a_file")
    if not found and folder.suffix.lower() in REPORT_SUFFIXES:
        yield Entry(folder, "是空目录而非文件 (an empty folder named like a file)", "folder_named_like_file")
