"""The noise real reports carry: label typos and spacing, bracket widths, zero symbols, debris.

Every choice is drawn from the ``random.Random`` passed in, so a seed fixes
the noise. Noise never makes a label unrecognisable: a noisy row label must
still match one of its row's patterns in ``nianbao.template`` after the
normalisation the extractor is expected to do (whitespace out, brackets
half-width), otherwise the clean label is kept.
"""
from __future__ import annotations

import random
import re

from ..template import T3_ROW_BY_KEY

FULL = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，"})
HALF = str.maketrans({"（": "(", "）": ")", "：": ":", "，": ","})

# Misprints seen in real reports, each still matching its row's patterns.
MISPRINTS = {
    "2.其他法律行政法规禁止公开": ("2.其他法律行政止公开", "2.其他法律行政法规禁止 公开"),
    "(二)部分公开(区分处理的,只计这一情形,不计其他情形)": ("(二)部分公开(区分处理的,只计 这一情形,不计其他情形)",
                                                 "(二)部分公开（区分处理的，只计这一情形，不计其他情形）"),
    "5.要求行政机关确认或重新出具已获取信息": ("5.要求行政机关确认或重新出具已获取的信息",),
}
PREFIX = re.compile(r"^([一二三四五六七八九十]+、)\s*")


def normalise(label: str) -> str:
    return "".join(label.split()).translate(HALF)


def still_identifies(key: str, label: str) -> bool:
    norm = normalise(label)
    return any(re.search(p, norm) for p in T3_ROW_BY_KEY[key].patterns)


class Noise:
    """One document's noise settings, drawn once so a report is self-consistent."""

    def __init__(self, rng: random.Random, level: float | None = None):
        self.rng = rng
        self.level = rng.choice([0.0, 0.1, 0.25, 0.4]) if level is None else level
        self.full_width = rng.random() < 0.5
        # How zeros are printed: most reports print 0; some use a symbol for "nothing".
        self.zero_style = rng.choices(["0", "/", "—", "-", ""], weights=[70, 8, 8, 6, 8])[0]
        self.zero_share = rng.choice([1.0, 1.0, 0.5])   # all zeros, or a random half of them
        self.debris = rng.random() < self.level

    def chance(self, p: float = 1.0) -> bool:
        return self.rng.random() < self.level * p

    # ------------------------------------------------------------ labels
    def label(self, text: str, key: str | None = None) -> str:
        """A row or header label as a careless report prints it."""
        out = text
        if out in MISPRINTS and self.chance(1.5):
            out = self.rng.choice(MISPRINTS[out])
        if key in ("new", "carried", "carry_next") and self.chance(0.8):
            out = PREFIX.sub("", out)
        elif PREFIX.match(out) and self.chance(0.5):
            out = PREFIX.sub(lambda m: m.group(1) + " ", out)
        if self.chance(0.6) and len(out) > 4:
            i = self.rng.randrange(2, len(out) - 1)
            if not (out[i - 1].isdigit() or out[i].isdigit()):
                out = out[:i] + " " + out[i:]
        if len(out) <= 4 and self.chance(0.5):
            out = " ".join(out)
        if self.full_width:
            out = out.translate(FULL)
        if key is not None and key in T3_ROW_BY_KEY and not still_identifies(key, out):
            return text.translate(FULL) if self.full_width else text
        return out

    def header(self, text: str) -> str:
        if len(text) <= 4 and self.chance(0.5):
            text = " ".join(text)
        return text.translate(FULL) if self.full_width else text

    # ------------------------------------------------------------ values
    def value(self, v, *, allow_blank: bool = True, allow_symbols: bool = True, allow_debris: bool = True) -> str:
        """A number as printed in a cell."""
        if v == 0 and isinstance(v, int) and allow_symbols and self.zero_style != "0" \
                and self.rng.random() < self.zero_share:
            if self.zero_style == "" and not allow_blank:
                return "0"
            return self.zero_style
        s = fmt_number(v)
        if allow_debris and self.debris and self.rng.random() < 0.03:
            s += "?"
        return s


def fmt_number(v) -> str:
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return str(int(v)) if v == 0 else repr(v)
        return repr(v)
    return str(v)
