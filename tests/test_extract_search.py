"""The pruned searches of the extractor against plain enumeration.

``split_with_total`` skips cuts whose digit sums cannot reach the total and
``solve`` drops states that cannot reach the targets; both must still find
exactly what trying every possibility finds.
"""
from __future__ import annotations

import itertools
import random

from nianbao.extract.solver import Candidate, Equation, Variable, solve
from nianbao.extract.splits import MAX_READINGS, split_with_total


def _every_split_with_total(digits: str, n: int) -> list[list[int]]:
    """All readings of ``digits`` as n numbers and their sum, by trying every cut."""
    out = []
    for tlen in range(1, len(digits) - n + 1):
        tail, head = digits[len(digits) - tlen:], digits[:len(digits) - tlen]
        if tail[0] == "0" and tlen > 1:
            continue
        for cuts in itertools.combinations(range(1, len(head)), n - 1):
            bounds = (0, *cuts, len(head))
            parts = [head[a:b] for a, b in zip(bounds, bounds[1:])]
            if any(len(p) > 1 and p[0] == "0" for p in parts):
                continue
            if sum(int(p) for p in parts) == int(tail):
                out.append([int(p) for p in parts] + [int(tail)])
    return out[:MAX_READINGS]


def test_split_with_total_finds_every_reading_in_order():
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(2, 6)
        row = [rng.choice([0, 0, rng.randint(1, 9), rng.randint(10, 99), rng.randint(100, 999)]) for _ in range(n)]
        printed = "".join(str(v) for v in row + [sum(row)])
        digits = printed
        if rng.random() < 0.3:  # a digit misread: often no reading at all
            i = rng.randrange(len(digits))
            digits = digits[:i] + str(rng.randint(0, 9)) + digits[i + 1:]
        got = split_with_total(digits, n)
        assert got == _every_split_with_total(digits, n), digits
        if digits == printed:
            assert row + [sum(row)] in got or len(got) == MAX_READINGS


def _brute_force(variables, equations):
    """Every combination of candidates that satisfies every equation, with its total rank."""
    ok = []
    for combo in itertools.product(*[range(len(v.candidates)) for v in variables]):
        values: dict = {}
        for var, ci in zip(variables, combo):
            values.update(var.candidates[ci].values)
        if all(abs(sum(c * (values.get(cell) or 0) for cell, c in eq.terms) - eq.constant) < 1e-6
               for eq in equations):
            ok.append((sum(var.candidates[ci].rank for var, ci in zip(variables, combo)), combo))
    return ok


def test_solve_keeps_exactly_the_readings_that_satisfy_the_identities():
    rng = random.Random(11)
    checked = 0
    for _ in range(400):
        cells = [("r", i) for i in range(rng.randint(4, 9))]
        truth = {c: rng.randint(0, 6) for c in cells}
        variables, i = [], 0
        while i < len(cells):
            group = cells[i:i + rng.randint(1, 3)]
            i += len(group)
            cands = [Candidate({c: truth[c] for c in group}, 0.0)]
            for r in range(rng.randint(0, 3)):
                cands.append(Candidate({c: rng.randint(0, 6) for c in group}, float(r + 1)))
            variables.append(Variable(f"v{i}", cands))
        equations = []
        for _ in range(rng.randint(2, 5)):
            terms = rng.sample(cells, rng.randint(2, len(cells)))
            coefs = [rng.choice([1, 1, -1]) for _ in terms]
            equations.append(Equation(tuple(zip(terms, coefs)), float(sum(c * truth[t] for c, t in zip(coefs, terms)))))
        sol = solve(variables, equations)
        ok = _brute_force(variables, equations)
        assert sol.satisfied  # the true reading is among the candidates
        if all(len(v.candidates) == 1 for v in variables):
            continue
        checked += 1
        assert sol.feasible == [sorted({combo[vi] for _, combo in ok}) for vi in range(len(variables))]
        assert (sum(v.candidates[ci].rank for v, ci in zip(variables, sol.choice)), tuple(sol.choice)) in ok
        assert sum(v.candidates[ci].rank for v, ci in zip(variables, sol.choice)) == min(r for r, _ in ok)
    assert checked > 300
