"""The interface's words in Chinese and English, kept as data in messages.json."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Callable

LANGS = ("zh", "en")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    with open(Path(__file__).with_name("messages.json"), encoding="utf-8") as fh:
        return json.load(fh)


def translator(lang: str) -> Callable[..., str]:
    lang = lang if lang in LANGS else LANGS[0]
    cat = catalogue()

    def t(key: str, **kw) -> str:
        entry = cat.get(key)
        # An unknown key shows itself, so a missing entry is visible rather than blank.
        text = key if entry is None else entry.get(lang) or entry.get("zh") or key
        return text.format(**kw) if kw else text

    return t


def pick(zh: str | None, en: str | None, lang: str) -> str:
    """Choose between a Chinese and an English wording of the same thing."""
    if lang == "en" and en:
        return en
    return zh or en or ""
