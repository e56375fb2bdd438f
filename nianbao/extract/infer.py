"""Cells the original left empty, filled in where the identities fix them.

A row printed with one number too few (``（一）予以公开 0 0 0 0 0 0``) or a row
printed with no numbers at all leaves cells without a value. When the
identities of the table leave only one possible value for such a cell — one
unknown in an equation, or unknowns that must add up to 0 and cannot be
negative — that value is given, and the record says the cell was inferred,
not read.
"""
from __future__ import annotations

from typing import Hashable, Iterable, Mapping

from .solver import Equation

Cell = Hashable


def infer_missing(values: Mapping[Cell, object], equations: Iterable[Equation],
                  doubtful: Iterable[Cell] = ()) -> dict[Cell, int]:
    """The missing cells (value None) whose value the equations fix, with that value.
    Equations touching a ``doubtful`` cell (read with doubt) decide nothing."""
    eqs = list(equations)
    doubtful = set(doubtful)
    known = {c: v for c, v in values.items() if v is not None}
    missing = {c for c, v in values.items() if v is None}
    found: dict[Cell, int] = {}
    changed = True
    while changed and missing:
        changed = False
        for eq in eqs:
            cells = [c for c, _ in eq.terms]
            if any(c not in values for c in cells) or any(c in doubtful for c in cells):
                continue
            unknown = [(c, coef) for c, coef in eq.terms if c in missing]
            if not unknown:
                continue
            rest = eq.constant - sum(coef * known[c] for c, coef in eq.terms if c not in missing)
            if isinstance(rest, float):
                if not rest.is_integer():
                    continue
                rest = int(rest)
            if len(unknown) == 1:
                cell, coef = unknown[0]
                if rest % coef or rest // coef < 0:
                    continue
                solved = {cell: rest // coef}
            elif rest == 0 and len({coef > 0 for _, coef in unknown}) == 1:
                # several unknowns that cannot be negative and add up to nothing
                solved = {cell: 0 for cell, _ in unknown}
            else:
                continue
            for cell, v in solved.items():
                known[cell] = v
                found[cell] = v
                missing.discard(cell)
            changed = True
    return found
