"""Splitting runs of digits printed without separators.

``640020470`` in a row of table 三 can only be read as seven numbers whose
first six add up to the seventh: 64|0|0|2|0|4|70. These functions enumerate
every such reading; the decoder keeps those the identities allow.
"""
from __future__ import annotations

import re
from typing import Callable, Iterator, Sequence

from .budget import cached_search, spend
from .tokens import MAX_DIGITS

MAX_READINGS = 400


def _parts(digits: str, n: int) -> Iterator[list[str]]:
    """Every way to cut ``digits`` into ``n`` numbers (no leading zeros, none longer than
    MAX_DIGITS: a count is never that long). A branch that cannot end in a cut is not entered,
    so the work is that of the cuts yielded."""
    if n == 1:
        if digits and (digits == "0" or digits[0] != "0") and len(digits) <= MAX_DIGITS:
            yield [digits]
        return
    if not n <= len(digits) <= n * MAX_DIGITS:
        return
    first_max = 1 if digits[0] == "0" else min(len(digits) - n + 1, MAX_DIGITS)
    for i in range(1, first_max + 1):
        head = digits[:i]
        for rest in _parts(digits[i:], n - 1):
            yield [head] + rest


@cached_search(4096, lambda rs: tuple(map(tuple, rs)) if len(rs) <= 32 else None, lambda rs: [list(r) for r in rs])
def split_with_total(digits: str, n_parts: int) -> list[list[int]]:
    """Readings of ``digits`` as ``n_parts`` numbers followed by their sum."""
    out: list[list[int]] = []
    L = len(digits)
    if L > (n_parts + 1) * MAX_DIGITS:
        return out
    cuts = _Cuts(digits)
    for tlen in range(1, min(L - n_parts, MAX_DIGITS) + 1):
        tail = digits[L - tlen:]
        if tail[0] == "0" and tlen > 1:
            continue
        total = int(tail)
        if cuts.in_range(0, L - tlen, n_parts, total):
            for parts in cuts.bounded(0, L - tlen, n_parts, total):
                out.append(parts + [total])
                if len(out) >= MAX_READINGS:
                    return out
    return out


class _Cuts:
    """Cuts of ``digits[start:end]`` into numbers (no leading zeros) that add
    up to a target. Branches whose digits cannot add up to what is left are
    skipped unexplored: the least and greatest sums of a stretch of digits
    are computed once and kept."""

    def __init__(self, digits: str) -> None:
        self.digits = digits
        self.ranges: dict[tuple[int, int, int, int], tuple[int, int] | None] = {}
        # A number is its digit sum modulo 9, so however a stretch is cut, its
        # numbers add up to the stretch's digit sum modulo 9.
        self.digit_sums = [0]
        for ch in digits:
            self.digit_sums.append(self.digit_sums[-1] + int(ch))

    def bounded(self, start: int, end: int, n: int, target: int) -> Iterator[list[int]]:
        """Every cut into ``n`` numbers adding up to ``target``, in order."""
        d = self.digits
        spend()
        if n == 1:
            if start < end and (end - start == 1 or d[start] != "0") and int(d[start:end]) == target:
                yield [target]
            return
        if end - start < n:
            return
        max_len = 1 if d[start] == "0" else min(end - start - n + 1, len(str(target)))
        for i in range(start + 1, start + max_len + 1):
            v = int(d[start:i])
            if v > target:
                break
            if self.in_range(i, end, n - 1, target - v):
                for rest in self.bounded(i, end, n - 1, target - v):
                    yield [v] + rest

    def in_range(self, start: int, end: int, n: int, target: int) -> bool:
        """Whether some cut into ``n`` numbers may add up to ``target``: the
        digit sums agree modulo 9, and ``target`` lies between the least and
        the greatest sum of the cuts into numbers no longer than it."""
        if (target - self.digit_sums[end] + self.digit_sums[start]) % 9:
            return False
        got = self._sum_range(start, end, n, len(str(target)))
        return got is not None and got[0] <= target <= got[1]

    def _sum_range(self, start: int, end: int, n: int, width: int) -> tuple[int, int] | None:
        """(least, greatest) sum of the cuts into ``n`` numbers of at most
        ``width`` digits; None when there is no such cut."""
        if not n <= end - start <= n * width:
            return None  # too few digits for n numbers, or too many for numbers this short
        key = (start, end, n, width)
        if key in self.ranges:
            return self.ranges[key]
        spend()
        d = self.digits
        got = None
        if n == 1:
            if start < end and end - start <= width and (end - start == 1 or d[start] != "0"):
                got = (int(d[start:end]), int(d[start:end]))
        elif end - start >= n:
            max_len = 1 if d[start] == "0" else min(end - start - n + 1, width)
            for i in range(start + 1, start + max_len + 1):
                rest = self._sum_range(i, end, n - 1, width)
                if rest is not None:
                    v = int(d[start:i])
                    got = (v + rest[0], v + rest[1]) if got is None else (min(got[0], v + rest[0]),
                                                                           max(got[1], v + rest[1]))
        self.ranges[key] = got
        return got


def split_plain(digits: str, n: int, accept: Callable[[list[int]], bool] | None = None) -> list[list[int]]:
    """Readings of ``digits`` as ``n`` numbers, filtered by ``accept``."""
    out = []
    for parts in _parts(digits, n):
        spend(n)
        vals = [int(p) for p in parts]
        if accept is None or accept(vals):
            out.append(vals)
            if len(out) >= MAX_READINGS:
                break
    return out


def split_tokens(tokens: Sequence[str], n: int, splittable: Sequence[bool],
                 group: int | None = None, group_ok: Callable[[list[int]], bool] | None = None,
                 values: Sequence | None = None) -> list[list[tuple[int, int]]]:
    """Cut a sequence of printed numbers into ``n`` numbers in order.

    Each token either stays whole or (when ``splittable``) is cut into several
    numbers. With ``group``/``group_ok``, every consecutive group of ``group``
    numbers must satisfy ``group_ok`` (e.g. a row's total). Returns readings as
    lists of (value, index of the token it came from). ``values``: what each token
    holds when it stays whole (as the tokenizer read it: "－21", "7 75"; None for no
    value); without them, whole tokens are read here.
    """
    out: list[list[tuple[int, int]]] = []
    # most numbers the tokens from i on can yield: fewer pieces of a token than
    # the rest cannot make up never reach ``n``
    room = [0] * (len(tokens) + 1)
    for i in range(len(tokens) - 1, -1, -1):
        room[i] = room[i + 1] + (len(tokens[i]) if splittable[i] else 1)
    pieces_of: dict[tuple[int, int], list[list[tuple[int | float, int]]]] = {}

    def cuts(ti: int, pieces: int) -> list[list[tuple[int | float, int]]]:
        """The readings of token ``ti`` as ``pieces`` numbers (computed once)."""
        got = pieces_of.get((ti, pieces))
        if got is None:
            tok = tokens[ti]
            if pieces == 1:
                got = [[(values[ti] if values is not None else _whole(tok), ti)]]
            else:
                got = []
                for parts in _parts(tok, pieces):
                    spend(4 + 2 * pieces)  # a cut kept costs more than a step of the search
                    got.append([(int(p), ti) for p in parts])
            pieces_of[(ti, pieces)] = got
        return got

    def rec(ti: int, acc: list[tuple[int, int]]):
        if len(out) >= MAX_READINGS:
            return
        spend()
        remaining_tokens = len(tokens) - ti
        remaining = n - len(acc)
        if remaining_tokens == 0:
            if remaining == 0:
                out.append(list(acc))
            return
        if remaining < remaining_tokens:
            return
        tok = tokens[ti]
        max_pieces = min(len(tok), remaining - (remaining_tokens - 1)) if splittable[ti] else 1
        for pieces in range(max(1, remaining - room[ti + 1]), max_pieces + 1):
            for vals in cuts(ti, pieces):
                new = acc + vals
                if group and group_ok:
                    ok = True
                    done_groups_before = len(acc) // group
                    for g in range(done_groups_before, len(new) // group):
                        if not group_ok([v for v, _ in new[g * group:(g + 1) * group]]):
                            ok = False
                            break
                    if not ok:
                        continue
                rec(ti + 1, new)

    rec(0, [])
    return out


def _whole(tok: str):
    """A token that stays whole, read as a number (None when it is none)."""
    if tok.lstrip("-").isdigit():
        return int(tok) if len(tok.lstrip("-")) <= MAX_DIGITS else None
    try:
        return float(tok)
    except ValueError:
        return None


_KIND_PATTERNS = {
    "u": re.compile(r"0|[1-9]\d*"),                 # a count
    "s": re.compile(r"0|-?[1-9]\d*"),               # a change that may be negative (本年增/减)
    "d": re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?"),   # an amount that may have decimals
}


def split_kinds(raw: str, kinds: Sequence[str]) -> list[list[float | int]]:
    """Readings of ``raw`` as consecutive numbers of the given kinds. A number is at most
    MAX_DIGITS digits before its point (and as many after), and a place in ``raw`` from which
    no reading ends is tried once: the work grows with ``len(raw)`` times the kinds, not
    with the readings that fail."""
    out: list[list] = []
    longest = 2 * MAX_DIGITS + 2
    if len(raw) > len(kinds) * longest:
        return out
    dead: set[tuple[int, int]] = set()

    def rec(pos: int, k: int, acc: list) -> bool:
        """Whether some reading ends from here (True once the readings are capped)."""
        if len(out) >= MAX_READINGS:
            return True
        if k == len(kinds):
            if pos == len(raw):
                out.append(list(acc))
                return True
            return False
        if (pos, k) in dead:
            return False
        last = k == len(kinds) - 1
        ends = [len(raw)] if last else range(pos + 1, min(len(raw) - (len(kinds) - k - 1), pos + longest) + 1)
        found = False
        for end in ends:
            piece = raw[pos:end]
            if _KIND_PATTERNS[kinds[k]].fullmatch(piece) and len(piece.lstrip("-").partition(".")[0]) <= MAX_DIGITS:
                found = rec(end, k + 1, acc + [float(piece) if "." in piece else int(piece)]) or found
        if not found:
            dead.add((pos, k))
        return found

    rec(0, 0, [])
    return out
