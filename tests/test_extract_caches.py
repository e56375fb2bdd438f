"""The caches of extraction change nothing but time: a cached search is charged the steps it
took (the budget binds where it did uncached), and a cached line gives the items it gives fresh."""
from __future__ import annotations

import pytest

from nianbao.extract import budget, tokens
from nianbao.extract.splits import split_with_total
from nianbao.sources import read_bytes


def _under_budget(fn, steps: int, *args):
    """(result or 'exceeded', steps left) of ``fn(*args)`` under a table budget of ``steps``."""
    b = budget._Budget(steps)
    token = budget._current.set(b)
    try:
        return fn(*args), b.left
    except budget.BudgetExceeded:
        return "exceeded", None
    finally:
        budget._current.reset(token)


@pytest.mark.parametrize("digits,parts", [("640020470", 6), ("1200001300000025", 7), ("00000000", 7),
                                          ("9876543210123456789", 5)])
def test_cached_split_is_charged_what_it_costs(digits, parts):
    fresh = split_with_total.__wrapped__
    _, left = _under_budget(fresh, 10**6, digits, parts)
    cost = 10**6 - left
    assert cost > 0
    split_with_total(digits, parts)  # now in the cache
    for steps in sorted({1, cost - 1, cost, cost + 1, 2 * cost} - {0}):
        assert _under_budget(split_with_total, steps, digits, parts) == _under_budget(fresh, steps, digits, parts)


def test_cached_split_gives_each_caller_its_own_lists():
    a = split_with_total("640020470", 6)
    a[0][0] = -1
    assert split_with_total("640020470", 6)[0][0] == 64


def _items(doc):
    return [(i.kind, i.text, i.start, i.end, i.value, i.cell, i.origin) for i in tokens.tokenize(doc)]


def test_cached_lines_give_the_items_of_a_fresh_read(monkeypatch):
    lines = ["1.属于国家秘密 0 0 0 0 0 0 0", "2.其他法律行政法规禁止公开 3 0 0 0 0 0 3", "(七)总计 12 0 1 0 0 0 13",
             "项目 | 本年新收 | 上年结转", "| 1 | 2 | 3 |", "— 2 —", "共收到申请 15 件，其中予以公开 3 件。"]
    text = "\n".join(lines + ["   " + line for line in lines])  # the same lines again, elsewhere
    doc = read_bytes(text.encode(), "t.txt", "txt")
    tokens._free_lines.clear()
    tokens._pipe_lines.clear()
    cold, warm = _items(doc), _items(doc)
    monkeypatch.setattr(tokens, "_LINE_CACHE_CHARS", -1)  # no line is served from the cache
    assert cold == warm == _items(doc)
    assert tokens._free_lines and tokens._pipe_lines
