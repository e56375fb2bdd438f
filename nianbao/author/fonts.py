"""The fonts of an official document, named as agencies' files name them, with fallbacks.

Chinese government documents name 方正小标宋简体 (title), 黑体 (headings) and 仿宋_GB2312 (body and
tables); few machines outside an office have them. Each role therefore carries, beside the name
written into the file, what to use where it is missing:

- in the Word file: the font table's ``w:altName`` and GB2312 charset (Word's own substitution);
- in HTML: a CSS font stack ending in the CJK fonts most systems have;
- for LibreOffice (Word → PDF): fontconfig aliases, so the PDF is set in a serif or sans CJK face
  like the original instead of whatever the system's default happens to be.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Face:
    name: str                 # written into the file
    alt: str                  # Word's substitute (w:altName)
    family: str               # w:family: roman (serif) | swiss (sans) | modern
    fallbacks: tuple[str, ...]  # tried in order, for CSS and fontconfig


SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "SimSun", "AR PL UMing CN")
SANS = ("Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "WenQuanYi Zen Hei")

TITLE = Face("方正小标宋简体", "宋体", "roman", ("方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "华文中宋", "STZhongsong") + SERIF)
HEADING = Face("黑体", "SimHei", "swiss", ("SimHei", "STHeiti") + SANS)
BODY = Face("仿宋_GB2312", "仿宋", "modern", ("仿宋", "FangSong", "STFangsong", "FangSong_GB2312") + SERIF)
LATIN = "Times New Roman"
FACES = (TITLE, HEADING, BODY)


def css_stack(face: Face) -> str:
    generic = "sans-serif" if face.family == "swiss" else "serif"
    names = (face.name,) + face.fallbacks
    return ", ".join(f'"{n}"' for n in names) + f", {generic}"


def font_table_entries() -> str:
    """``w:font`` elements for word/fontTable.xml (charset 86 = GB2312)."""
    out = []
    for f in FACES:
        pitch = "fixed" if f.family == "modern" else "variable"
        out.append(f'<w:font w:name="{escape(f.name)}"><w:altName w:val="{escape(f.alt)}"/>'
                   f'<w:charset w:val="86"/><w:family w:val="{f.family}"/><w:pitch w:val="{pitch}"/></w:font>')
    return "".join(out)


def fontconfig_file() -> Path:
    """A fontconfig file: the system's configuration plus aliases from the official names to what is
    installed (written once per process; pass it to LibreOffice as FONTCONFIG_FILE)."""
    path = Path(tempfile.gettempdir()) / f"nianbao-fonts-{os.getuid()}" / "fonts.conf"
    if path.exists():
        return path
    aliases = []
    for f in FACES:
        prefer = "".join(f"<family>{escape(n)}</family>" for n in f.fallbacks)
        aliases.append(f'<alias binding="same"><family>{escape(f.name)}</family><prefer>{prefer}</prefer></alias>')
        aliases.append(f'<alias binding="same"><family>{escape(f.alt)}</family><prefer>{prefer}</prefer></alias>')
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    if Path(system) == path:
        system = "/etc/fonts/fonts.conf"
    text = ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>'
            f'<include ignore_missing="yes">{escape(system)}</include>{"".join(aliases)}</fontconfig>\n')
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
