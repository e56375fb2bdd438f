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


# Label texts repeat from report to report: the functions of text alone below
# are cached, with bounds, so a batch does not grow them without end.
_CACHE = 16384


@lru_cache(maxsize=_CACHE)
def normalize(text: str) -> str:
    """Whitespace and debris out, brackets and punctuation half-width."""
    return _DEBRIS.sub("", text.translate(_TRANS))


_last_flat: tuple[str, str] = ("", "")


def without_spaces(text: str) -> str:
    """``text`` with no whitespace. The last one is kept: a page's prose claims are read from it
    by two decoders."""
    last = _last_flat
    if last[0] is not text:
        last = _set_last_flat(text, "".join(text.split()))
    return last[1]


def _set_last_flat(text: str, flat: str) -> tuple[str, str]:
    global _last_flat
    _last_flat = (text, flat)
    return _last_flat


@lru_cache(maxsize=None)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)


class _Specs:
    """The label patterns of one table: (key, compiled patterns by rank) per
    row, and one alternation of them all, which rules out in a single search
    the many texts that are no label of this table."""

    def __init__(self, specs) -> None:
        self.rows = tuple((key, _compiled(tuple(patterns))) for key, patterns in specs)
        self.any = re.compile("|".join(f"(?:{p.pattern})" for _, pats in self.rows for p in pats))


_T3_SPECS = _Specs((row.key, row.patterns) for row in T3_ROWS)
_T2_SPECS = {layout: _Specs((f.key, f.patterns) for f in fields) for layout, fields in T2_LAYOUTS.items()}


# Enumeration markers at which a run of label text may be cut into labels.
_UNIT_SPLIT = re.compile(r"(?=(?:[一二三四五六七八九十]、|\([一二三四五六七八九十]\)|(?<!\d)\d{1,2}[.、](?!\d)))")


def label_units(text: str) -> list[tuple[str, int]]:
    """Cut a normalised text into label-sized units at enumeration markers.
    Returns (unit, offset in text)."""
    return list(_label_units(text))


@lru_cache(maxsize=_CACHE)
def _label_units(text: str) -> tuple[tuple[str, int], ...]:
    out = []
    starts = sorted({0, *(m.start() for m in _UNIT_SPLIT.finditer(text))})
    for i, s in enumerate(starts):
        e = starts[i + 1] if i + 1 < len(starts) else len(text)
        if text[s:e]:
            out.append((text[s:e], s))
    return tuple(out)


def _first_matches(unit: str, specs: _Specs) -> list[tuple[str, int, int, int]]:
    """Per row, the first of its patterns (by rank) found in ``unit``:
    (key, start, end, rank)."""
    return list(_first_matches_cached(unit, specs))


@lru_cache(maxsize=_CACHE)
def _first_matches_cached(unit: str, specs: _Specs) -> tuple[tuple[str, int, int, int], ...]:
    if not specs.any.search(unit):
        return ()
    found = []
    for key, patterns in specs.rows:
        for rank, pat in enumerate(patterns):
            m = pat.search(unit)
            if m:
                found.append((key, m.start(), m.end(), rank))
                break
    return tuple(found)


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
    return [(k, s, r) for k, s, _, r in _first_matches(unit, _T3_SPECS)]


def find_t3_rows(unit: str) -> list[tuple[str, int, int, int]]:
    """Every row label in a unit of text, in reading order: (key, start, end, rank)."""
    return non_overlapping(_first_matches(unit, _T3_SPECS))


def find_t2_fields(unit: str, layout: str) -> list[str]:
    """Every table-二 field label in a unit of text, in reading order."""
    # "规章" is anchored to a whole unit; inside a run of labels look for it plainly.
    found = _first_matches(unit, _T2_SPECS[layout])
    if not any(k == "regulations" for k, *_ in found):
        i = unit.find("规章")
        if i >= 0:
            found.append(("regulations", i, i + 2, 9))
    return [k for k, *_ in non_overlapping(found)]


def match_t2_field(unit: str, layout: str) -> str | None:
    fields = find_t2_fields(unit, layout)
    return fields[0] if fields else None


# The template's numbered sub-rows ("2.其他法律行政法规禁止公开"): the first words of each
# label, and its number. A flattened table glues the number to the digits before it
# ("00000002.其他法律…"); knowing which label carries which number tells them apart.
_NUMBERED_LABELS: tuple[tuple[str, int], ...] = tuple(sorted(
    ((normalize(m.group(2))[:6], int(m.group(1)))
     for m in (re.match(r"(\d)[.、．](.+)", row.label) for row in T3_ROWS) if m),
    key=lambda x: -len(x[0])))


def template_enumeration(text: str) -> int | None:
    """The number the template prints before the label that ``text`` begins with."""
    head = normalize(text[:12])
    for words, number in _NUMBERED_LABELS:
        if head.startswith(words):
            return number
    return None


_LEGACY_INDICATOR = re.compile("|".join(f"(?:{p})" for p in LEGACY_INDICATOR_PATTERNS))


def is_legacy_indicator(unit: str) -> bool:
    return _is_legacy_indicator(unit) if len(unit) <= MAX_LABEL_CHARS else _LEGACY_INDICATOR.search(unit) is not None


@lru_cache(maxsize=_CACHE)
def _is_legacy_indicator(unit: str) -> bool:
    return _LEGACY_INDICATOR.search(unit) is not None
