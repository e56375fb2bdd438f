"""Read the numbers back out of a Document's grids, to check that a source put
every value of table 三 (and 二, 四, appendices) in the right cell.

Deliberately small: a row is found by the template's label patterns applied
to its most specific label cell, its numbers are its numeric cells in order.
It checks the sources; the real decoder lives in nianbao.extract.
"""
from __future__ import annotations

import re

from nianbao.template import T3_ROWS, T4_GROUPS

_NUM = re.compile(r"^-?\d+(\.\d+)?$")


def norm(text: str) -> str:
    return "".join(str(text).split()).replace("（", "(").replace("）", ")")


def number(text: str):
    t = norm(text).replace(",", "")
    if not _NUM.match(t):
        return None
    return float(t) if "." in t else int(t)


def _rows(doc):
    for t in doc.tables():
        for row in t.rows:
            yield t, row


def t3_rows(doc, form: str) -> tuple[dict, dict]:
    """{row key: [7 numbers]} and {"t3.key[i]": confidence} from the grid holding table 三."""
    keys = [r for r in T3_ROWS if form in r.forms]
    rows, conf = {}, {}
    for _, row in _rows(doc):
        labels = []
        for c in row:
            if number(c.text) is None and c.text and (not labels or labels[-1] != c.text):
                labels.append(c.text)
        nums = [(number(c.text), c) for c in row if number(c.text) is not None]
        if not labels or len(nums) < 7:
            continue
        label = norm(labels[-1])
        for r in keys:
            if r.key in rows:
                continue
            if any(re.search(p, label) for p in r.patterns):
                rows[r.key] = [v for v, _ in nums[-7:]]
                for i, (_, c) in enumerate(nums[-7:]):
                    conf[f"t3.{r.key}[{i}]"] = c.origin.confidence
                break
    return rows, conf


def t4_values(doc) -> dict | None:
    for t in doc.tables():
        if not any("复议后起诉" in c.text for row in t.rows for c in row):
            continue
        for row in t.rows:
            nums = [number(c.text) for c in row]
            if len(nums) == 15 and all(v is not None for v in nums):
                return {key: nums[5 * i:5 * i + 5] for i, (key, _, _) in enumerate(T4_GROUPS)}
    return None


def labelled_numbers(doc) -> dict[str, list]:
    """Every table row: its first label → its numbers (for table 二 and appendices)."""
    out = {}
    for _, row in _rows(doc):
        label = next((norm(c.text) for c in row if c.text and number(c.text) is None), None)
        nums = []
        for c in row:
            v = number(c.text)
            if v is not None and c.primary:
                nums.append(v)
        if label and nums and label not in out:
            out[label] = nums
    return out


def t2_values(doc, t2: dict) -> dict:
    """The table-二 values the document shows for the fields ``t2`` holds."""
    from nianbao.template import T2_LAYOUTS

    rows = labelled_numbers(doc)
    out = {}
    for f in T2_LAYOUTS[t2["layout"]]:
        for label, nums in rows.items():
            if any(re.search(p, label) for p in f.patterns):
                out[f.key] = nums[0] if f.scalar else nums
                break
    return out
