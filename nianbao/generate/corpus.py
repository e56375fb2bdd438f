"""A sample corpus for the main job: several agencies over consecutive years.

Each agency's years carry over (this year's 上年结转 is last year's 结转下年度),
except where a fault is planted on purpose, so that the cross-year checks,
the comparisons and the dashboard all have something true to show. Reports
are rendered into the shapes real reports take (web pages, flattened PDF
text, pipe rows, …) and a few carry planted errors for the validator.
"""
from __future__ import annotations

import random
from pathlib import Path

from ..template import T3_TOTAL_COL
from .records import agency_name, random_record
from .render import TooHard, render

DEMO_SHAPES = ("html", "html", "cells_per_line", "pipe_rows", "plain_lines", "pdf_flat")


def _carry_over(prev: dict, cur: dict) -> None:
    """Make ``cur``'s 上年结转 equal ``prev``'s 结转下年度, keeping the identities."""
    rows = cur["t3"]["rows"]
    carried = list(prev["t3"]["rows"]["carry_next"][:T3_TOTAL_COL])
    total, nxt = rows["total"], rows["carry_next"]
    new = [max(0, total[c] + nxt[c] - carried[c]) for c in range(T3_TOTAL_COL)]
    # where new would go negative, carry less to next year's carry
    nxt = [new[c] + carried[c] - total[c] for c in range(T3_TOTAL_COL)]
    rows["carried"] = carried + [sum(carried)]
    rows["new"] = new + [sum(new)]
    rows["carry_next"] = nxt + [sum(nxt)]
    # 现行有效件数 goes on from last year's, as agencies count it
    for key in ("regulations", "normative_docs"):
        issued, repealed, _ = cur["t2"][key]
        cur["t2"][key][2] = max(0, prev["t2"][key][2] + issued - repealed)


def _plant_fault(rng: random.Random, rec: dict) -> str:
    """One error a reviewer should catch."""
    rows = rec["t3"]["rows"]
    kind = rng.choice(["row_total", "column_total", "late"])
    if kind == "row_total":
        rows["granted"][T3_TOTAL_COL] += rng.randint(1, 3)
    elif kind == "column_total":
        rows["total"][0] += 1
        rows["total"][T3_TOTAL_COL] += 1
    else:
        rec["meta"]["published"] = f"{rec['meta']['year'] + 1}-05-{rng.randint(10, 28):02d}"
    return kind


def demo_corpus(dest: Path, agencies: int = 12, years: tuple[int, ...] = (2022, 2023, 2024),
                seed: int = 2024) -> list[Path]:
    """Write the sample reports into ``dest``; returns their paths."""
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for a in range(agencies):
        agency, region, kind = agency_name(rng)
        prev = None
        for year in years:
            for _ in range(20):
                rec = random_record(rng, "2021", year, scale=rng.choice(["small", "medium", "medium", "large"]))
                rec["meta"].update(agency=agency, region=region, kind=kind)
                if prev is not None and rng.random() < 0.9:
                    _carry_over(prev, rec)
                if rng.random() < 0.2:
                    _plant_fault(rng, rec)
                shape = rng.choice(DEMO_SHAPES)
                try:
                    data, _ = render(rng, rec, shape)
                except TooHard:
                    continue
                break
            else:
                continue
            suffix = ".html" if data.lstrip()[:15].lower().startswith(b"<!doctype html") else ".txt"
            path = dest / f"{a:02d}-{year}-{shape}{suffix}"
            path.write_bytes(data)
            written.append(path)
            prev = rec
    return written
