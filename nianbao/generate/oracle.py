"""The ambiguity oracle: which cells a source does not fix beyond doubt.

Computed by brute force, independently of the extractor:

1. Each *run* of the source (a digit run like ``640020470`` that holds a known
   number of cells, or a block of numbers that may be read row by row or
   column by column) has a list of candidate readings, each a dict
   ``cell ref → value``.
2. A reading of the whole document picks one candidate per run. It survives
   when it satisfies every identity of ``nianbao.template.identities(form)``
   and every total the prose states.
3. The cells whose value differs between surviving readings are ambiguous.

Work is capped: :class:`TooHard` is raised past the cap, and the generator
then draws another document.
"""
from __future__ import annotations

import itertools
import re
from typing import Iterable, Iterator, Sequence

from ..template import identities

UINT = re.compile(r"0|[1-9]\d*")
SINT = re.compile(r"0|-?[1-9]\d*")
DEC = re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?")
PATTERNS = {"u": UINT, "s": SINT, "d": DEC}

DEFAULT_CAP = 40_000


class TooHard(Exception):
    """The enumeration would exceed the cap."""


class Budget:
    def __init__(self, cap: int = DEFAULT_CAP):
        self.left = cap

    def spend(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise TooHard()


def parse(piece: str, kind: str):
    if kind == "d" and "." in piece:
        return float(piece)
    return int(piece)


def _free(s: str, pos: int, end: int, kinds: Sequence[str], budget: Budget) -> Iterator[list]:
    """Split s[pos:end] exactly into len(kinds) pieces matching their kinds."""
    if not kinds:
        if pos == end:
            yield []
        return
    pat = PATTERNS[kinds[0]]
    rest = len(kinds) - 1
    for cut in range(pos + 1, end - rest + 1):
        budget.spend()
        piece = s[pos:cut]
        if not pat.fullmatch(piece):
            continue
        for tail in _free(s, cut, end, kinds[1:], budget):
            yield [parse(piece, kinds[0])] + tail


def _summing(s: str, pos: int, end: int, k: int, target: int, budget: Budget,
             memo: dict | None = None) -> list[list[int]]:
    """Every split of s[pos:end] into k unsigned integers adding up to ``target``."""
    memo = {} if memo is None else memo
    key = (pos, end, k, target)
    if key in memo:
        return memo[key]
    out: list[list[int]] = []
    max_len = len(str(target))
    budget.spend()
    if k == 0:
        if pos == end and target == 0:
            out.append([])
    elif k <= end - pos <= k * max_len and 10 ** (-(-(end - pos) // k) - 1) <= max(target, 1) \
            and target < k * 10 ** (end - pos - k + 1):
        # k pieces over n characters: one piece has at least ceil(n/k) digits, and none more than n-k+1.
        cuts = [pos + 1] if s[pos] == "0" else range(pos + 1, min(end - k + 1, pos + max_len) + 1)
        for cut in cuts:
            v = int(s[pos:cut])
            if v > target:
                break
            for tail in _summing(s, cut, end, k - 1, target - v, budget, memo):
                out.append([v] + tail)
    memo[key] = out
    return out


def split_run(s: str, segments: Sequence[tuple], budget: Budget | None = None) -> list[list]:
    """Every reading of the digit run ``s`` as the given segments, in order.

    A segment is ``("free", kinds)`` — pieces of the given kinds ("u" unsigned,
    "s" signed, "d" decimal) — or ``("sum", k)`` — k unsigned parts followed by
    their unsigned total. Returns the flat lists of numbers.
    """
    budget = budget or Budget()
    out: list[list] = []
    memo: dict = {}

    def rec(seg: int, pos: int, acc: list) -> None:
        if seg == len(segments):
            if pos == len(s):
                out.append(list(acc))
            return
        kind, arg = segments[seg]
        last = seg == len(segments) - 1
        ends = [len(s)] if last else range(pos + 1, len(s))
        for end in ends:
            if kind == "free":
                for pieces in _free(s, pos, end, arg, budget):
                    rec(seg + 1, end, acc + pieces)
            else:
                k = arg
                for t in range(pos + k, end):
                    budget.spend()
                    total_s = s[t:end]
                    if not UINT.fullmatch(total_s):
                        continue
                    total = int(total_s)
                    if t - pos > k * len(total_s):
                        continue
                    for parts in _summing(s, pos, t, k, total, budget, memo):
                        rec(seg + 1, end, acc + parts + [total])

    rec(0, 0, [])
    return out


# ---------------------------------------------------------------- constraints

Constraint = tuple[tuple[tuple[str, int], ...], float]   # (((ref, coeff), ...), const): Σ coeff·v == const


def constraints_for(form: str | None, claims: Iterable[dict] = ()) -> list[Constraint]:
    out: list[Constraint] = []
    if form in ("2021", "2019"):
        for ident in identities(form):
            terms = tuple((str(r), 1) for r in ident.lhs) + tuple((str(r), -1) for r in ident.rhs)
            out.append((terms, 0))
    for c in claims:
        out.append((tuple((ref, 1) for ref in c["cells"]), c["value"]))
    return out


def holds(con: Constraint, values: dict) -> bool | None:
    """Whether ``values`` satisfy the constraint (None when one of its cells has no value)."""
    terms, const = con
    total = 0
    for ref, coeff in terms:
        v = values.get(ref)
        if v is None:
            return None
        total += coeff * v
    return abs(total - const) < 1e-9


def ambiguous_cells(runs: Sequence[Sequence[dict]], constraints: Sequence[Constraint], fixed: dict,
                    cap: int = DEFAULT_CAP) -> tuple[set[str], dict[str, set]]:
    """The cells that differ among the surviving whole-document readings.

    ``runs``: per run, its candidate readings (dicts ref → value). ``fixed``:
    cells whose value the source states unambiguously. Returns the ambiguous
    refs and, for every run cell, the set of values it takes among survivors.
    """
    budget = Budget(cap)
    # 1. Filter each run by the constraints it decides alone.
    filtered: list[list[dict]] = []
    for cands in runs:
        refs = set(cands[0]) if cands else set()
        local = [c for c in constraints if all(r in refs or r in fixed for r, _ in c[0])
                 and any(r in refs for r, _ in c[0])]
        keep = []
        for cand in cands:
            budget.spend()
            vals = {**fixed, **cand}
            if all(holds(c, vals) is not False for c in local):
                keep.append(cand)
        filtered.append(keep)
    # 2. Runs with one reading left become fixed.
    known = dict(fixed)
    open_runs = []
    for cands in filtered:
        if len(cands) == 1:
            known.update(cands[0])
        elif cands:
            open_runs.append(cands)
        else:
            return set(), {}   # nothing survives: the caller's rendering is inconsistent
    # 3. Group the open runs that share a constraint, and try every combination per group.
    owner = {}
    for i, cands in enumerate(open_runs):
        for ref in cands[0]:
            owner[ref] = i
    parent = list(range(len(open_runs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for con in constraints:
        idx = {owner[r] for r, _ in con[0] if r in owner}
        idx = sorted(idx)
        for j in idx[1:]:
            parent[find(j)] = find(idx[0])
    groups: dict[int, list[int]] = {}
    for i in range(len(open_runs)):
        groups.setdefault(find(i), []).append(i)
    seen: dict[str, set] = {ref: {v} for ref, v in known.items()}
    for members in groups.values():
        size = 1
        for i in members:
            size *= len(open_runs[i])
        if size > cap:
            raise TooHard()
        refs = {r for i in members for r in open_runs[i][0]}
        cons = [c for c in constraints if any(r in refs for r, _ in c[0])]
        survivors = 0
        for combo in itertools.product(*(open_runs[i] for i in members)):
            budget.spend(len(cons) // 8 + 1)
            vals = dict(known)
            for cand in combo:
                vals.update(cand)
            if all(holds(c, vals) is not False for c in cons):
                survivors += 1
                for ref in refs:
                    seen.setdefault(ref, set()).add(vals[ref])
        if not survivors:
            return set(), {}
    amb = {ref for ref, vs in seen.items() if len(vs) > 1}
    return amb, seen
