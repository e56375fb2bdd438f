"""Table 四 (reconsideration and litigation): fifteen numbers under a two-level header."""
from __future__ import annotations

from functools import lru_cache

from ..template import T4_GROUPS, T4_HEADER_WORDS, T4_WIDTH
from .labels import MAX_LABEL_CHARS, normalize
from .blocks import provenance
from . import budget
from .rows import Block, block_variable
from .solver import Equation, ambiguous_cells, solve
from .t3 import Decoded, _identity_equations, fill_in, misplaced_cells
from .tokens import BLANK, NUM, ROW_END, TEXT, Item

GROUP_KEYS = [g[0] for g in T4_GROUPS]
N_CELLS = len(GROUP_KEYS) * T4_WIDTH


_SHORT_HEADER_WORDS = T4_HEADER_WORDS + ("维持", "纠正", "审结")


def _header_words(text: str) -> int:
    # (every text of the table and of the prose after it is tried: cached, for texts of a label's length)
    return _header_words_cached(text) if len(text) <= MAX_LABEL_CHARS else _header_words_cached.__wrapped__(text)


@lru_cache(maxsize=16384)
def _header_words_cached(text: str) -> int:
    return sum(1 for w in _SHORT_HEADER_WORDS if w in text)


def _header_rows(items: list[Item]) -> set[int]:
    """Indexes of the items in rows of a grid or pipe table that hold header words: their
    empty cells are the header's merged cells, not values."""
    out: set[int] = set()
    row: list[int] = []
    header = False
    for i, it in enumerate(items):
        if it.kind == ROW_END:
            if header:
                out.update(row)
            row, header = [], False
            continue
        row.append(i)
        if it.kind == TEXT and _header_words(normalize(it.text)):
            header = True
    return out


def _numbers(items: list[Item]) -> list[Item]:
    """The numbers printed under the header, up to the prose that follows."""
    out: list[Item] = []
    header_words = _header_words(normalize(items[0].text)) if items else 0
    in_header = _header_rows(items)
    for i, it in enumerate(items[1:], 1):
        if it.kind == BLANK and it.cell and i in in_header:
            continue
        nxt = items[i + 1] if i + 1 < len(items) else None
        if (it.kind == BLANK and not out and items[i - 1].kind == TEXT
                and (nxt is None or nxt.kind == ROW_END)):
            continue  # the padding cell after a header ("行政诉讼 | |||")
        if it.kind == TEXT and not out:
            t = normalize(it.text)
            header_words += _header_words(t)
            continue
        if it.kind in (NUM, BLANK) and header_words < 2:
            continue
        if it.kind in (NUM, BLANK):
            out.append(it)
            if len(out) >= N_CELLS:
                break
        elif it.kind == TEXT and out:
            t = normalize(it.text)
            headerish = _header_words(t) > 0 or "结果" in t
            if t.startswith(("五、", "五.", "六、")) or (len(t) > 24 and not headerish):
                break
    return out


@budget.table_budget
def decode_t4(items: list[Item], claims: list[Equation] = ()) -> Decoded | None:
    nums = _numbers(items)
    if not nums:
        return None
    block = Block(GROUP_KEYS, nums, True, all(it.cell for it in nums), side_by_side=True)
    var = block_variable(block, T4_WIDTH, row_total=True)
    sol = solve([var], list(claims)) if claims else solve([var], [])
    if claims and not sol.satisfied:
        sol = solve([var], [])
    dec = Decoded({})
    cand = var.candidates[sol.choice[0]]
    dec.values.update(cand.values)
    dec.origins.update(provenance(cand))
    dec.ambiguous = ambiguous_cells([var], sol.feasible) | misplaced_cells(cand)
    fill_in(dec, list(_identity_equations("2021", "t4")))
    dec.notes.extend(budget.notes([var], sol.choice, sol.exhausted, dec.ambiguous))
    return dec
