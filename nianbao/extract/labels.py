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


def _first_matches(unit: str, specs) -> list[tuple[str, int, int, int]]:
    found = []
    for key, patterns in specs:
        for rank, pat in enumerate(_compiled(patterns)):
            m = pat.search(unit)
            if m:
                found.append((key, m.start(), m.end(), rank))
                break
    return found


def non_overlapping(found: list[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
    """Matches in reading order, a match inside an earlier one dropped
    (``确认或重新出具`` holds ``重新出具``; one label, one row)."""
    out: list = []
    for m in sorted(found, key=lambda x: (x[1], x[3], -(x[2] - x[1]))):
        if out and m[1] < out[-1][2]:
            continue
        out.append(m)
    return out


def match_t3_rows(unit: str) -> list[tuple[str, int, int]]:
    """Rows of table 三 whose label this unit (normalised) matches:
    (row key, position of the match, rank of the pattern: 0 = core wording)."""
    return [(k, s, r) for k, s, _, r in _first_matches(unit, ((row.key, row.patterns) for row in T3_ROWS))]


def find_t3_rows(unit: str) -> list[tuple[str, int, int, int]]:
    """Every row label in a unit of text, in reading order: (key, start, end, rank)."""
    return non_overlapping(_first_matches(unit, ((row.key, row.patterns) for row in T3_ROWS)))


def find_t2_fields(unit: str, layout: str) -> list[str]:
    """Every table-二 field label in a unit of text, in reading order."""
    specs = ((f.key, f.patterns) for f in T2_LAYOUTS[layout])
    # "规章" is anchored to a whole unit; inside a run of labels look for it plainly.
    found = _first_matches(unit, specs)
    if not any(k == "regulations" for k, *_ in found):
        i = unit.find("规章")
        if i >= 0:
            found.append(("regulations", i, i + 2, 9))
    return [k for k, *_ in non_overlapping(found)]


def match_t2_field(unit: str, layout: str) -> str | None:
    fields = find_t2_fields(unit, layout)
    return fields[0] if fields else None


def is_legacy_indicator(unit: str) -> bool:
    return any(p.search(unit) for p in _compiled(LEGACY_INDICATOR_PATTERNS))
