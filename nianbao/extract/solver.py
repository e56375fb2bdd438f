"""Choosing among readings with the identities.

Parts of a table can often be read in several ways (a run of digits cut
differently, a block of cells emitted row by row or column by column). Each
such part is a *variable* whose *candidates* assign values to cells. The
identities are linear equations over cells. The solver finds which
candidates take part in at least one reading that satisfies every equation
(the others are impossible), and the most plausible such reading (lowest
total rank). Cells whose value differs among the possible readings are
ambiguous, and the decoder says so.

Dynamic programming over the partial sums of the equations keeps this fast:
most variables have one candidate, and an equation stops constraining once
all its cells are placed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Mapping, Sequence

from .budget import BudgetExceeded, spend

Cell = Hashable  # e.g. ("new", 0)
MAX_STATES = 200_000        # states of one step
MAX_TOTAL_STATES = 400_000  # states kept over all the steps (each holds a sum per equation)


@dataclass
class Candidate:
    values: dict            # cell → number
    rank: float = 0.0       # lower is more plausible
    origins: dict = field(default_factory=dict)  # cell → provenance dict
    note: str = ""          # how this reading was made, for evidence


@dataclass
class Variable:
    name: str
    candidates: list[Candidate]


@dataclass
class Equation:
    """sum(coef * value) == constant"""
    terms: tuple[tuple[Cell, int], ...]
    constant: float = 0.0
    label: str = ""


@dataclass
class Solution:
    choice: list[int]                  # chosen candidate per variable
    feasible: list[list[int]] | None   # candidates possible per variable (None: not computed)
    satisfied: bool                    # some reading satisfies every equation
    exhausted: bool = False            # the search ran out of budget before it could tell


def _eqs_of_cells(eqs: Sequence[Equation]) -> dict:
    """cell → (equation index, coefficient) for each term it is in."""
    index: dict = {}
    for k, eq in enumerate(eqs):
        for cell, coef in eq.terms:
            index.setdefault(cell, []).append((k, coef))
    return index


def _contribution(cand: Candidate, eqs: Sequence[Equation], index: dict) -> tuple:
    """What a candidate adds to each equation it touches: ((equation index, amount), …).
    Untouched equations get nothing: adding 0 would change no sum."""
    values = cand.values
    if all(type(v) is int or v is None for v in values.values()):
        # Whole numbers add up the same in any order: go by the candidate's cells.
        sums: dict = {}
        for cell, v in values.items():
            if v is not None:
                for k, coef in index.get(cell, ()):
                    sums[k] = sums.get(k, 0) + coef * v
        return tuple((k, s) for k, s in sorted(sums.items()) if s != 0)
    touched = sorted({k for cell in values for k, _ in index.get(cell, ())})
    out = []
    for k in touched:
        s = 0
        for cell, coef in eqs[k].terms:
            v = values.get(cell)
            if v is not None:
                s += coef * v
        s = _exact(s)
        if s != 0:
            out.append((k, s))
    return tuple(out)


def _advance(state: tuple, add: tuple) -> tuple:
    if not add:
        return state
    new = list(state)
    for k, b in add:
        new[k] = _exact(new[k] + b) if isinstance(b, float) else new[k] + b
    return tuple(new)


_SMALL = 2 ** 40

# Bounds on what is still to come are compared with this margin, far above the
# rounding of decimal sums and far below any difference between readings.
_SLACK = 1e-3


def _reach(contrib: list[list[tuple]], m: int) -> list[tuple[list, list]]:
    """Per variable index i: the least and the greatest amount the variables
    from i on can still add to each equation."""
    lo, hi = [0] * m, [0] * m
    out = [(list(lo), list(hi))]
    for adds in reversed(contrib):
        least, most = [0] * m, [0] * m
        by_eq = [dict(add) for add in adds]
        for k in {k for add in adds for k, _ in add}:
            amounts = [d.get(k, 0) for d in by_eq]
            least[k], most[k] = min(amounts), max(amounts)
        lo = [a + b for a, b in zip(lo, least)]
        hi = [a + b for a, b in zip(hi, most)]
        out.append((lo, hi))
    out.reverse()
    return out


def _exact(x):
    """Integers stay integers (exact and fast); decimals are rounded once."""
    if isinstance(x, float):
        return int(x) if x.is_integer() else round(x, 6)
    return x


def solve(variables: Sequence[Variable], equations: Sequence[Equation], *, soft: bool = False) -> Solution:
    """The most plausible consistent reading, and which candidates remain possible. When the
    search is over its budget (the table's steps, or the states it may keep), the reading is
    the most plausible candidate of each variable and nothing is known feasible
    (``exhausted``): the decoder flags every cell the candidates disagree on."""
    try:
        sol = _solve(variables, equations, soft)
        return sol
    except BudgetExceeded:
        return Solution([0] * len(variables), None, False, True)


def _solve(variables: Sequence[Variable], equations: Sequence[Equation], soft: bool = False) -> Solution:
    defined: set = set()
    for var in variables:
        for cand in var.candidates:
            defined.update(c for c, v in cand.values.items() if v is not None)
    # An equation with a cell nobody reads cannot decide anything.
    eqs = [eq for eq in equations if all(cell in defined for cell, _ in eq.terms)]
    n = len(variables)
    default = [0] * n
    if not eqs or all(len(v.candidates) <= 1 for v in variables):
        if not eqs:
            return Solution(default, None if any(len(v.candidates) > 1 for v in variables) else [[0]] * n, True)
        # Every cell read one way: add the readings up and check.
        index = _eqs_of_cells(eqs)
        total = [0.0] * len(eqs)
        for var in variables:
            if not var.candidates:
                continue
            values = var.candidates[0].values
            if all(v is None or type(v) is int and -_SMALL < v < _SMALL for v in values.values()):
                for cell, v in values.items():
                    if v:  # whole numbers well inside a float's exact range: any order gives the same sum
                        for k, coef in index.get(cell, ()):
                            total[k] += coef * v
            else:
                for i, x in _contribution(var.candidates[0], eqs, index):
                    total[i] += x
        ok = all(abs(t - eq.constant) < 1e-6 for t, eq in zip(total, eqs))
        return Solution(default, [[0] if v.candidates else [] for v in variables], ok)

    # Which variables touch which equation, to know when an equation is complete.
    cell_var = {}
    for vi, var in enumerate(variables):
        for cand in var.candidates:
            for c in cand.values:
                cell_var.setdefault(c, vi)
    last_var = [max(cell_var[cell] for cell, _ in eq.terms) for eq in eqs]
    index = _eqs_of_cells(eqs)
    contrib = [[_contribution(c, eqs, index) for c in var.candidates] for var in variables]
    target = tuple(_exact(eq.constant) for eq in eqs)
    zero = tuple(0 for _ in eqs)
    reach = _reach(contrib, len(eqs))

    # forward: state (partial sums) → (cost, previous state, candidate index)
    forward: list[dict] = [{zero: (0.0, None, None)}]
    kept = 1
    for vi, var in enumerate(variables):
        cur = forward[-1]
        spend(len(cur) * max(1, len(var.candidates)))
        nxt: dict = {}
        closing = [k for k, lv in enumerate(last_var) if lv == vi]
        # A state whose sums the remaining variables cannot bring to the
        # targets leads nowhere: dropped at once. (The states that lead to a
        # reading, their order and their costs are the same without them.)
        touched = sorted({k for add in contrib[vi] for k, _ in add})
        lo, hi = reach[vi + 1]
        bounds = [(k, target[k] - lo[k] + _SLACK, target[k] - hi[k] - _SLACK) for k in touched if k not in closing]
        moves = [(ci, contrib[vi][ci], cand.rank) for ci, cand in enumerate(var.candidates)] or [(None, (), 0.0)]
        for state, (cost, _, _) in cur.items():
            for ci, add, rank in moves:
                if ci is None:
                    new, c2 = state, cost
                else:
                    new = _advance(state, add)
                    c2 = cost + rank
                old = nxt.get(new)
                if old is None:
                    if closing and any(abs(new[k] - target[k]) > 1e-6 for k in closing):
                        continue
                    if any(new[k] > most or new[k] < least for k, most, least in bounds):
                        continue
                    nxt[new] = (c2, state, ci)
                elif c2 < old[0]:
                    nxt[new] = (c2, state, ci)
        kept += len(nxt)
        if len(nxt) > MAX_STATES or kept > MAX_TOTAL_STATES:
            sol = least_broken(variables, eqs)
            sol.exhausted, sol.feasible = True, None  # not every reading was weighed: all stay open
            return sol
        forward.append(nxt)
    final = forward[-1].get(target)
    if final is None:
        # soft equations only prefer readings: none holding, the most plausible is kept
        return Solution(default, None, False) if soft else least_broken(variables, eqs)
    # Best reading: walk the back pointers.
    choice = [0] * n
    state = target
    for vi in range(n, 0, -1):
        _, prev, ci = forward[vi][state]
        choice[vi - 1] = ci if ci is not None else 0
        state = prev
    # Feasible candidates: states from which the target is still reachable.
    need = {target}
    feasible: list[list[int]] = [[] for _ in range(n)]
    for vi in range(n - 1, -1, -1):
        var = variables[vi]
        spend(len(forward[vi]) * max(1, len(var.candidates)))
        reach_before = set()
        ok_cands = set()
        for state in forward[vi]:
            for ci in (range(len(var.candidates)) if var.candidates else [None]):
                new = state if ci is None else _advance(state, contrib[vi][ci])
                if new in need:
                    reach_before.add(state)
                    if ci is not None:
                        ok_cands.add(ci)
        feasible[vi] = sorted(ok_cands)
        need = reach_before
    return Solution(choice, feasible, True)


MAX_COMBINATIONS = 20_000


def least_broken(variables: Sequence[Variable], eqs: Sequence[Equation]) -> Solution:
    """When no reading satisfies every equation: the readings that break the fewest
    (then the most plausible). What an original misprints stays broken in every
    reading; the rest of the table is still read as the identities want it.

    Variables that share no equation are chosen apart (each group of linked ones by
    trying its combinations, or one variable at a time when they are too many).
    ``feasible`` holds the candidates of the optimal readings where every combination
    of a group could be tried, else None (every candidate stays possible)."""
    from itertools import product

    n = len(variables)
    index = _eqs_of_cells(eqs)
    target = [_exact(eq.constant) for eq in eqs]
    base = [0] * len(eqs)
    multi = []
    for vi, var in enumerate(variables):
        if len(var.candidates) == 1:
            for k, amount in _contribution(var.candidates[0], eqs, index):
                base[k] += amount
        elif var.candidates:
            multi.append(vi)
    contrib = {vi: [_contribution(c, eqs, index) for c in variables[vi].candidates] for vi in multi}
    touches = {vi: {k for cell in {c for cand in variables[vi].candidates for c in cand.values}
                    for k, _ in index.get(cell, ())} for vi in multi}
    # groups of variables linked by an equation
    parent = {vi: vi for vi in multi}

    def root(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    owner: dict = {}
    for vi in multi:
        for k in touches[vi]:
            if k in owner:
                parent[root(vi)] = root(owner[k])
            else:
                owner[k] = vi
    groups: dict = {}
    for vi in multi:
        groups.setdefault(root(vi), []).append(vi)

    choice = [0] * n
    feasible: list[list[int]] | None = [[0] if len(v.candidates) == 1 else [] for v in variables]
    for members in groups.values():
        keys = sorted(set().union(*(touches[vi] for vi in members)))

        def cost(picks: dict, keys=keys) -> tuple:
            sums = {k: base[k] for k in keys}
            for vi, ci in picks.items():
                for k, amount in contrib[vi][ci]:
                    sums[k] += amount
            broken = sum(1 for k in keys if abs(sums[k] - target[k]) > 1e-6)
            return broken, sum(variables[vi].candidates[ci].rank for vi, ci in picks.items())

        sizes = [len(variables[vi].candidates) for vi in members]
        combos = 1
        for size in sizes:
            combos *= size
            if combos > MAX_COMBINATIONS:
                break
        if combos <= MAX_COMBINATIONS:
            spend(combos)
            scored = [(cost(dict(zip(members, combo))), combo) for combo in product(*(range(s) for s in sizes))]
            fewest = min(c[0] for c, _ in scored)
            optimal = [(c, combo) for c, combo in scored if c[0] == fewest]
            best = min(optimal)[1]
            for vi, ci in zip(members, best):
                choice[vi] = ci
            if feasible is not None:
                for pos, vi in enumerate(members):
                    feasible[vi] = sorted({combo[pos] for _, combo in optimal})
            continue
        # Too many combinations: improve one variable at a time from the most plausible reading.
        picks = {vi: 0 for vi in members}
        current = cost(picks)
        for _ in range(3):
            improved = False
            for vi in members:
                for ci in range(len(variables[vi].candidates)):
                    trial = dict(picks)
                    trial[vi] = ci
                    c = cost(trial)
                    if c < current:
                        picks, current, improved = trial, c, True
            if not improved:
                break
        for vi, ci in picks.items():
            choice[vi] = ci
        feasible = None
    return Solution(choice, feasible, False)


def ambiguous_cells(variables: Sequence[Variable], feasible: Sequence[Sequence[int]] | None,
                    cells_of_interest: Mapping | None = None) -> set:
    """Cells whose value differs among the possible candidates of their variable."""
    out = set()
    for vi, var in enumerate(variables):
        idx = list(range(len(var.candidates))) if feasible is None else list(feasible[vi])
        if len(idx) < 2:
            continue
        cells = set()
        for i in idx:
            cells.update(var.candidates[i].values)
        for cell in cells:
            vals = {var.candidates[i].values.get(cell) for i in idx}
            if len(vals) > 1:
                out.add(cell)
    return out
