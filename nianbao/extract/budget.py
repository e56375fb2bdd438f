"""Work budgets for the search over readings, so that the time and memory one table takes are
bounded by design rather than by a timeout.

The search (digit splits, shuffled blocks, the solver) counts what it does in *steps*: a cut of a
run of digits counts its pieces, a partial assignment of a shuffled block or a state of the
solver counts one. Each table decoder runs under one budget (:func:`table_budget`); when the
steps are spent, :class:`BudgetExceeded` ends the search where it is. The block being read then
gets no values (its cells are listed in an ``extract.search_budget`` finding, and as unreadable),
and the solver falls back to the most plausible reading with the open cells flagged ambiguous:
nothing is guessed silently and nothing crashes.

Real reports take a few thousand steps a table (the most seen: 25,000) (``benchmarks/extract_snapshot.py`` prints the
most one table took); the budget is far above that.
"""
from __future__ import annotations

import functools
from contextvars import ContextVar

WORK_PER_TABLE = 300_000     # steps one table's search may take: about half a second of Python

# Finding raised for the cells of a block whose search ran out of budget.
RULE = "extract.search_budget"
MESSAGE_ZH = "表格数字的可能读法过多，超出搜索上限，以下单元格未作判断（留空），请核对原文"
MESSAGE_EN = "too many possible readings of these cells to search them all: left empty rather than guessed — check the source"
SOLVER_ZH = "可能读法的组合过多，未能逐一用勾稽关系检验，以下单元格给出的是最可能的读法，未经确认，请核对原文"
SOLVER_EN = ("too many combinations of readings to check them all against the identities: these cells hold "
             "the most plausible reading, unconfirmed — check the source")


def notes(variables, choice, exhausted: bool, ambiguous) -> list[tuple]:
    """The decoder's notes (rule, cells, evidence, zh, en) for where the budget bound: blocks
    read as nothing, and a solver that could not finish."""
    out = []
    empty = sorted(c for var, ci in zip(variables, choice) if var.candidates
                   and var.candidates[ci].note == "budget" for c in var.candidates[ci].values)
    if empty:
        out.append((RULE, empty, "", MESSAGE_ZH, MESSAGE_EN))
    if exhausted and ambiguous:
        out.append((RULE, sorted(ambiguous), "", SOLVER_ZH, SOLVER_EN))
    return out


class BudgetExceeded(Exception):
    """The search of one table has spent its budget."""


class _Budget:
    __slots__ = ("left", "size")

    def __init__(self, steps: int) -> None:
        self.left = self.size = steps


_current: ContextVar[_Budget | None] = ContextVar("nianbao_search_budget", default=None)
_peak = [0]


def spend(steps: int = 1) -> None:
    """Count ``steps`` of work against the current table's budget (none outside a decoder)."""
    b = _current.get()
    if b is not None:
        b.left -= steps
        if b.left < 0:
            raise BudgetExceeded()


def exhausted() -> bool:
    b = _current.get()
    return b is not None and b.left < 0


def table_budget(decoder):
    """Run ``decoder`` (one table's decoding) under a budget of its own."""
    @functools.wraps(decoder)
    def run(*args, **kwargs):
        b = _Budget(WORK_PER_TABLE)
        token = _current.set(b)
        try:
            return decoder(*args, **kwargs)
        finally:
            _current.reset(token)
            _peak[0] = max(_peak[0], b.size - b.left)
    return run


def cached_search(maxsize: int, freeze, thaw):
    """Cache a pure search function of hashable arguments (a split of a run of digits is the
    same in every report that prints it) without changing what the budget sees: a result is
    kept with the steps its search took, and a call served from the cache is charged those
    steps. When they are more than the current table has left, the search runs as it would
    uncached, so the budget binds at the very step it did. ``freeze`` makes a result safe to
    keep (tuples), or gives None for one too big to keep (the search then runs uncached);
    ``thaw`` gives each caller a copy of its own."""
    def wrap(search):
        @functools.lru_cache(maxsize=maxsize)
        def counted(*args):
            b = _Budget(WORK_PER_TABLE)
            token = _current.set(b)
            try:
                kept = freeze(search(*args))
                return None if kept is None else (kept, b.size - b.left)
            except BudgetExceeded:
                return None     # more than any table may spend: never served from the cache
            finally:
                _current.reset(token)

        @functools.wraps(search)
        def run(*args):
            got = counted(*args)
            table = _current.get()
            if got is None or (table is not None and got[1] > table.left):
                return search(*args)
            if table is not None:
                table.left -= got[1]
            return thaw(got[0])
        return run
    return wrap


def reset_peak() -> None:
    _peak[0] = 0


def peak() -> int:
    """The most steps one table took since :func:`reset_peak` (for benchmarks)."""
    return _peak[0]
