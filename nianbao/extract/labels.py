"""Recognising the template's labels in printed text, noise and all."""
from __future__ import annotations

import re
from functools import lru_cache

from ..template import LEGACY_INDICATOR_PATTERNS, T2_LAYOUTS, T3_ROWS

_TRANS = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ",", "．": ".", "、": "、", "“": "“", "”": "”",
                        "〔": "[", "〕": "]", "［": "[", "］": "]", "０": "0", "１": "1", "２": "2", "３": "3",
                        "４": "4", "５": "5", "６": "6", "７": "7", "８": "8", "９": "9", "\"": "“"})
_DEBRIS = re.compile(r"[\s?？�*＊\u200b\u200c\u200d\ufeff|]+")

# Longest label we accept as a table label; prose sentences are longer.
MAX_LABEL_CHARS = 90


def normalize(text: str) -> str:
    """Whitespace and debris out, brackets and punctuation half-width."""
    return _DEBRIS.sub("", text.translate(_TRANS))


@lru_cache(maxsize=None)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)


# Enumeration markers at which a run of label text may be cut into labels.
_UNIT_SPLIT = re.compile(r"(?=(?:[一二三四五六七八九十]、|\([一二三四五六七八九十]\)|(?<!\d)\d{1,2}[.、](?!\d)))")


def label_units(text: str) -> list[tuple[str, int]]:
    """Cut a normalised text into label-sized units at enumeration markers.
    Returns (unit, offset in text)."""
    out = []
    starts = sorted({0, *(m.start() for m in _UNIT_SPLIT.finditer(text))})
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(text)
        if text[s:e]:
            out.append((text[s:e], s))
    return out


def match_t3_rows(unit: str) -> list[tuple[str, int, int]]:
    """Rows of table 三 whose label this unit (normalised) matches:
    (row key, position of the match, rank of the pattern: 0 = core wording)."""
    found = []
    for row in T3_ROWS:
        for rank, pat in enumerate(_compiled(row.patterns)):
            m = pat.search(unit)
            if m:
                found.append((row.key, m.start(), rank))
                break
    return found


def match_t2_field(unit: str, layout: str) -> str | None:
    for f in T2_LAYOUTS[layout]:
        for pat in _compiled(f.patterns):
            if pat.search(unit):
                return f.key
    return None


def is_legacy_indicator(unit: str) -> bool:
    return any(p.search(unit) for p in _compiled(LEGACY_INDICATOR_PATTERNS))
