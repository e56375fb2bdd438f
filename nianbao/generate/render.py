"""Render a generated record into the text shapes real reports take, with the truth to test against.

    >>> doc = generate("concat", seed=7)
    >>> doc.data, doc.fmt, doc.truth["ambiguous"]

Shapes (see ``../shared/spec/template.md``, "Shapes found in the wild"):

- ``html``            a web page with the three tables as ``<table>`` with row/col spans and page debris;
                      sometimes GBK bytes declaring ``charset=gb2312``.
- ``cells_per_line``  one cell a line ending in `` |``, merged cells as runs of ``|``.
- ``pipe_rows``       one row a line, cells separated by `` | ``.
- ``plain_lines``     one cell a line, no separators; sometimes GBK bytes.
- ``pdf_flat``        text flattened from a PDF: labels away from their numbers, rows merged into long
                      lines, wrapped labels split around numbers, ``— 14 —`` page debris, blocks of rows
                      printed column by column.
- ``concat``          crawled text with no separator between the numbers of a row.
- ``crawl``           a page as a crawler saved it: the whole page on one line, its furniture
                      (breadcrumbs, source and time, print and share buttons, 附件下载), headings run
                      into the text before them, every table's rows run together with the next row's
                      item number glued to the last digits (``00000002.其他法律…``), a few spaces,
                      non-breaking or zero-width spaces at borders between cells; pre-2019 appendices
                      with units and both columns run together (``主动公开信息数条2626其中：1、…``).
- ``markdown``        markdown made from a PDF by a converter: ``## 一、总体情况`` headings, the tables as
                      pipe tables with every column of the form in every row (merged cells leave
                      empty ones), labels wrapped over two rows, page footers ``— 3 —`` between lines.
- ``no_table``        the six sections and no statistical table.
- ``legacy``          a pre-2019 report with its appendix (html, one cell a line, pipe rows, or run together).

The truth is the canonical record a careful reader would write (``meta``,
``t2``, ``t3``, ``t4``, ``legacy``) plus ``ambiguous``: the cells the source
does not fix, as computed by :mod:`nianbao.generate.oracle`.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from html import escape

from . import cells as cellshapes
from .flat import concat_table, pdf_flat_t2, pdf_flat_t3, pdf_flat_t4, t3_block_readings
from .noise import Noise
from .oracle import Budget, TooHard, ambiguous_cells, constraints_for, holds
from .prose import (BANNERS, COMMENT_DEBRIS, CRAWL_TAIL, crawl_header, page_footer, page_header, plan_legacy,
                    plan_modern)
from .records import random_record
from .tables import Grid, legacy_grid, t2_grid, t3_grid, t4_grid

SHAPES = ("html", "cells_per_line", "pipe_rows", "plain_lines", "pdf_flat", "concat", "crawl", "markdown", "no_table",
          "legacy")
MAX_ATTEMPTS = 50


@dataclass
class Generated:
    shape: str
    seed: int
    data: bytes
    fmt: str          # "html" | "txt": what extract_bytes is told
    path: str
    truth: dict

    @property
    def text(self) -> str:
        enc = self.truth.get("encoding", "utf-8")
        return self.data.decode(enc)


# ---------------------------------------------------------------- records

def draw_record(rng: random.Random, shape: str) -> dict:
    if shape == "legacy" or (shape == "crawl" and rng.random() < 0.35):
        return random_record(rng, "pre2019")
    form = rng.choice(["2021", "2021", "2021", "2019", "2019"])
    year = None
    if form == "2019" and rng.random() < 0.25:
        year = rng.randint(2021, 2024)           # kept the old form for years
    layout = form if rng.random() < 0.8 else ("2019" if form == "2021" else "2021")
    scale = None
    if shape == "concat" and rng.random() < 0.3:
        scale = "hundreds"
    return random_record(rng, form, year, t2_layout=layout, scale=scale)


def base_truth(rec: dict, shape: str, *, tables: bool = True) -> dict:
    meta = rec["meta"]
    return {
        "shape": shape,
        "meta": {"agency": meta["agency"], "region": meta["region"], "year": meta["year"],
                 "template": meta["template"] if tables else None, "published": meta["published"]},
        "t2": rec["t2"] if tables else None,
        "t3": rec["t3"] if tables else None,
        "t4": rec["t4"] if tables else None,
        "legacy": rec["legacy"] if tables else None,
        "ambiguous": [],
        "claims": [],
    }


def grids_of(rec: dict) -> dict[str, Grid]:
    out = {}
    if rec.get("t2"):
        out["t2"] = t2_grid(rec["t2"])
    if rec.get("t3"):
        out["t3"] = t3_grid(rec["t3"]["rows"], rec["meta"]["template"])
    if rec.get("t4"):
        out["t4"] = t4_grid(rec["t4"])
    return out


# ---------------------------------------------------------------- line-based text shapes

def _text_lines(plan: list, noise: Noise, table_fn, meta: dict) -> list[str]:
    rng = noise.rng
    lines: list[str] = []
    if rng.random() < 0.3:
        lines += page_header(rng, meta)
    for kind, payload in plan:
        if kind == "title":
            if noise.debris:
                lines.append("?")
            lines += payload
            if noise.debris:
                lines.append("?")
        elif kind in ("p", "h"):
            lines.append(payload)
        elif kind == "table":
            lines += table_fn(payload, noise)
            if noise.debris:
                lines.append("?")
        elif kind == "sign":
            lines += payload
    if rng.random() < 0.5:
        lines += page_footer(rng, meta)
    return lines


def _encode(text: str, gbk: bool) -> tuple[bytes, str]:
    if not gbk:
        return text.encode("utf-8"), "utf-8"
    try:
        return text.encode("gbk"), "gbk"
    except UnicodeEncodeError:
        return text.encode("gb18030"), "gb18030"


def render_lines(rng: random.Random, rec: dict, shape: str, *, tables: bool = True) -> tuple[bytes, dict]:
    noise = Noise(rng)
    grids = grids_of(rec) if tables else {}
    plan, claims = plan_modern(rng, rec, with_tables=tables, grids=grids)
    fn = {"cells_per_line": cellshapes.cells_per_line, "pipe_rows": cellshapes.pipe_rows,
          "plain_lines": cellshapes.plain_lines}[shape]
    lines = _text_lines(plan, noise, fn, rec["meta"])
    gbk = shape == "plain_lines" and rng.random() < 0.4
    data, enc = _encode("\n".join(lines) + "\n", gbk)
    truth = base_truth(rec, shape, tables=tables)
    truth.update(claims=claims, encoding=enc, variant=f"{shape}{'-gbk' if gbk else ''}")
    return data, truth


# ---------------------------------------------------------------- html

def _html_page(rng: random.Random, plan: list, noise: Noise, meta: dict, gbk: bool) -> str:
    title = "".join(p for k, p in plan if k == "title" for p in p)
    head = ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' if gbk
            else '<meta charset="utf-8">')
    out = ["<!DOCTYPE html>", '<html lang="zh-CN"><head>', head, f"<title>{escape(title)}_政务公开</title>",
           "<style>td{border:1px solid #000}</style></head><body>"]
    nav, info = page_header(rng, meta)
    out.append(f'<div class="nav"><a href="/">首页</a> {escape(nav)}</div>')
    if rng.random() < 0.3:
        out.append(f'<div class="banner">{escape(rng.choice(BANNERS))}</div>')
    heading_tag = rng.choice(["h2", "strong", "p"])
    for kind, payload in plan:
        if kind == "title":
            out.append("<h1>" + "<br>".join(escape(x) for x in payload) + "</h1>")
            out.append(f'<div class="info">{escape(info)}</div>')
        elif kind == "p":
            out.append(f"<p>{escape(payload)}</p>")
        elif kind == "h":
            if heading_tag == "strong":
                out.append(f"<p><strong>{escape(payload)}</strong></p>")
            else:
                out.append(f"<{heading_tag}>{escape(payload)}</{heading_tag}>")
        elif kind == "table":
            split = None
            if payload.name == "t3" and rng.random() < 0.25:
                split = rng.randrange(5, len(payload.rows) - 1)   # a page break inside table 三
            out.append(cellshapes.html_table(payload, noise, split))
        elif kind == "sign":
            out += [f'<p style="text-align:right">{escape(x)}</p>' for x in payload]
    out += [f'<div class="footer">{"<br>".join(escape(x) for x in page_footer(rng, meta))}</div>',
            '<script>var pv="{{ pvCount }}";</script>', "</body></html>"]
    return "\n".join(out)


def render_html(rng: random.Random, rec: dict, shape: str = "html", *, tables: bool = True) -> tuple[bytes, dict]:
    noise = Noise(rng)
    grids = grids_of(rec) if tables else {}
    plan, claims = plan_modern(rng, rec, with_tables=tables, grids=grids)
    gbk = rng.random() < 0.3
    data, enc = _encode(_html_page(rng, plan, noise, rec["meta"], gbk), gbk)
    truth = base_truth(rec, shape, tables=tables)
    truth.update(claims=claims, encoding=enc, variant=f"html{'-gbk' if gbk else ''}")
    return data, truth


# ---------------------------------------------------------------- pdf_flat

_NUM = re.compile(r"(\d+(?:\.\d+)?)")


def _prose_tokens(rng: random.Random, text: str, spaced: bool) -> list[str]:
    if spaced:   # PDF text layers often put spaces around numbers in running text: "2021 年"
        text = _NUM.sub(r" \1 ", text)
    tokens = []
    for clause in re.split(r"(?<=[，。；])", text):
        clause = clause.strip()
        if not clause:
            continue
        if len(clause) > 16 and not any(ch.isdigit() for ch in clause) and rng.random() < 0.5:
            cut = rng.randrange(4, len(clause) - 4)
            tokens += [clause[:cut], clause[cut:]]   # a line break inside a word
        else:
            tokens.append(clause)
    return tokens


def render_pdf_flat(rng: random.Random, rec: dict, budget: Budget) -> tuple[bytes, dict]:
    noise = Noise(rng, level=rng.choice([0.0, 0.1, 0.25]))
    grids = grids_of(rec)
    plan, claims = plan_modern(rng, rec, grids=grids)
    spaced = rng.random() < 0.6
    slash_zero = rng.random() < 0.15
    page = [rng.randint(1, 12)]
    tokens: list[str] = []
    blocks: list[dict] = []
    if rng.random() < 0.4:
        tokens += list(BANNERS[:2])
    for kind, payload in plan:
        if kind == "title":
            tokens += payload
        elif kind in ("p", "h"):
            tokens += _prose_tokens(rng, payload, spaced) if kind == "p" else [payload]
        elif kind == "table":
            if payload.name == "t2":
                tokens += pdf_flat_t2(payload, noise, slash_zero)
            elif payload.name == "t3":
                t, blocks = pdf_flat_t3(payload, noise, slash_zero, page)
                tokens += t
            else:
                tokens += pdf_flat_t4(payload, noise, slash_zero)
        elif kind == "sign":
            tokens += payload
        if rng.random() < 0.15:
            page[0] += 1
            tokens.append(f"— {page[0]} —")
    # Lines: the whole document on one line, or wrapped at a page-ish width between tokens.
    width = rng.choice([None, 40, 80, 200, 600])
    lines, cur = [], ""
    for tok in tokens:
        if width and cur and len(cur) + len(tok) > width:
            lines.append(cur)
            cur = ""
        cur = f"{cur} {tok}" if cur else tok
    lines.append(cur)
    text = "\n".join(lines) + "\n"
    truth = base_truth(rec, "pdf_flat")
    runs = t3_block_readings(blocks, rec["t3"]["rows"])
    fixed = {f"t3.{k}[{c}]": v[c] for k, v in rec["t3"]["rows"].items() for c in range(7)}
    for run in runs:
        for ref in run[0]:
            fixed.pop(ref, None)
    amb = _oracle(rec, runs, claims, fixed, budget)
    truth.update(claims=claims, encoding="utf-8", variant="pdf_flat", blocks=blocks, ambiguous=amb)
    return text.encode("utf-8"), truth


# ---------------------------------------------------------------- concat

def _truth_cells(rec: dict) -> dict:
    out = {}
    for k, v in (rec.get("t3") or {}).get("rows", {}).items():
        out.update({f"t3.{k}[{i}]": x for i, x in enumerate(v)})
    for k, v in (rec.get("t4") or {}).items():
        out.update({f"t4.{k}[{i}]": x for i, x in enumerate(v)})
    for k, v in (rec.get("t2") or {}).items():
        if isinstance(v, list):
            out.update({f"t2.{k}[{i}]": x for i, x in enumerate(v)})
        elif k not in ("layout", "procurement_unit"):
            out[f"t2.{k}"] = v
    for k, v in (rec.get("legacy") or {}).items():
        out.update({f"legacy.{k}[{i}]": x for i, x in enumerate(v)})
    return out


def _oracle(rec: dict, runs: list, claims: list, fixed: dict, budget: Budget) -> list[str]:
    form = rec["meta"]["template"]
    truth_cells = _truth_cells(rec)
    # A record may break an identity on purpose (the demo corpus plants errors for the validator to find):
    # such an equation holds for no reading, the true one included, so it cannot tell readings apart.
    # The oracle keeps only the constraints the record itself satisfies.
    constraints = [c for c in constraints_for(form, claims) if holds(c, truth_cells) is not False]
    amb, seen = ambiguous_cells(runs, constraints, fixed, cap=budget.left)
    for ref, values in seen.items():
        if ref in truth_cells and truth_cells[ref] not in values:
            raise AssertionError(f"oracle lost the true reading at {ref}")
    if not seen and runs:
        raise AssertionError("oracle found no reading")
    return sorted(amb)


def render_concat(rng: random.Random, rec: dict, budget: Budget, shape: str = "concat") -> tuple[bytes, dict]:
    noise = Noise(rng)
    if rec["meta"]["template"] == "pre2019":
        grid = _legacy_grid(rng, rec)
        plan, claims = plan_legacy(rng, rec, grid)
    else:
        plan, claims = plan_modern(rng, rec, grids=grids_of(rec))
    lines: list[str] = []
    runs: list = []
    if rng.random() < 0.3:
        lines += page_header(rng, rec["meta"])
    for kind, payload in plan:
        if kind == "title" or kind == "sign":
            lines += payload
        elif kind in ("p", "h"):
            lines.append(payload)
        elif kind == "table":
            t_lines, t_runs = concat_table(payload, noise, budget)
            lines += t_lines
            runs += t_runs
    if rng.random() < 0.5:
        lines += page_footer(rng, rec["meta"])
    truth = base_truth(rec, shape)
    amb = _oracle(rec, runs, claims, {}, budget)
    truth.update(claims=claims, encoding="utf-8", variant="concat", ambiguous=amb)
    return ("\n".join(lines) + "\n").encode("utf-8"), truth


# ---------------------------------------------------------------- markdown

def render_markdown(rng: random.Random, rec: dict) -> tuple[bytes, dict]:
    noise = Noise(rng, level=rng.choice([0.0, 0.1, 0.25]))
    plan, claims = plan_modern(rng, rec, grids=grids_of(rec))
    lines: list[str] = []
    page = rng.randint(1, 3)
    for kind, payload in plan:
        if kind == "title":
            lines += ["# " + "".join(payload), ""]
        elif kind == "h":
            lines += ["## " + payload, ""]
        elif kind == "p":
            lines += [payload, ""]
        elif kind == "table":
            lines += cellshapes.markdown_table(payload, noise) + [""]
        elif kind == "sign":
            lines += payload
        if rng.random() < 0.2:
            page += 1
            lines += [rng.choice([f"— {page} —", f"- {page} -", f"第 {page} 页"]), ""]
    truth = base_truth(rec, "markdown")
    truth.update(claims=claims, encoding="utf-8", variant="markdown")
    return ("\n".join(lines) + "\n").encode("utf-8"), truth


# ---------------------------------------------------------------- crawl

def render_crawl(rng: random.Random, rec: dict, budget: Budget) -> tuple[bytes, dict]:
    noise = Noise(rng)
    meta = rec["meta"]
    if meta["template"] == "pre2019":
        grid = _legacy_grid(rng, rec)
        plan, claims = plan_legacy(rng, rec, grid)
    else:
        plan, claims = plan_modern(rng, rec, grids=grids_of(rec))
    spaces = rng.choice([0.0, 0.0, 0.15, 0.4])
    debris = rng.random() < 0.3
    title = "".join(line for kind, lines in plan if kind == "title" for line in lines) \
        or f"{meta['agency']}{meta['year']}年度政府信息公开工作年度报告"
    pieces = crawl_header(rng, meta, title)
    runs: list = []
    for kind, payload in plan:
        if kind in ("title", "sign"):
            pieces += payload
        elif kind == "p":
            pieces.append((rng.choice(COMMENT_DEBRIS) if debris and rng.random() < 0.3 else "") + payload)
        elif kind == "h":
            pieces.append(payload)
        elif kind == "table":
            t_lines, t_runs = concat_table(payload, noise, budget, spaces)
            pieces += t_lines
            runs += t_runs
    pieces.append(rng.choice(CRAWL_TAIL))
    # One line, or a few: a crawler keeps the page's text, not its layout.
    text = pieces[0]
    for piece in pieces[1:]:
        text += rng.choice(["", "", " ", "\u3000", "\n" if rng.random() < 0.05 else ""]) + piece
    truth = base_truth(rec, "crawl")
    amb = _oracle(rec, runs, claims, {}, budget)
    truth.update(claims=claims, encoding="utf-8", variant=f"crawl-{'legacy' if meta['template'] == 'pre2019' else 'modern'}",
                 ambiguous=amb)
    return (text + "\n").encode("utf-8"), truth


# ---------------------------------------------------------------- legacy

def _legacy_grid(rng: random.Random, rec: dict) -> Grid:
    return legacy_grid(rec["legacy_rows"], rec["legacy"], rec["meta"]["year"],
                       year_header=rng.random() < 0.5, show_units=rng.random() < 0.7)


def render_legacy(rng: random.Random, rec: dict, budget: Budget) -> tuple[bytes, dict]:
    variant = rng.choice(["html", "cells_per_line", "pipe_rows", "run_together"])
    if variant == "run_together":
        data, truth = render_concat(rng, rec, budget, shape="legacy")
        truth["variant"] = "legacy-run_together"
        return data, truth
    noise = Noise(rng)
    grid = _legacy_grid(rng, rec)
    plan, claims = plan_legacy(rng, rec, grid)
    truth = base_truth(rec, "legacy")
    if variant == "html":
        gbk = rng.random() < 0.3
        data, enc = _encode(_html_page(rng, plan, noise, rec["meta"], gbk), gbk)
    else:
        fn = cellshapes.cells_per_line if variant == "cells_per_line" else cellshapes.pipe_rows
        data, enc = _encode("\n".join(_text_lines(plan, noise, fn, rec["meta"])) + "\n", False)
    truth.update(claims=claims, encoding=enc, variant=f"legacy-{variant}")
    return data, truth


# ---------------------------------------------------------------- entry points

def render(rng: random.Random, rec: dict, shape: str, budget: Budget | None = None) -> tuple[bytes, dict]:
    """(bytes, truth) for one record in one shape. Raises TooHard if the oracle's cap is hit."""
    budget = budget or Budget()
    if shape == "html":
        return render_html(rng, rec)
    if shape in ("cells_per_line", "pipe_rows", "plain_lines"):
        return render_lines(rng, rec, shape)
    if shape == "pdf_flat":
        return render_pdf_flat(rng, rec, budget)
    if shape == "concat":
        return render_concat(rng, rec, budget)
    if shape == "crawl":
        return render_crawl(rng, rec, budget)
    if shape == "markdown":
        return render_markdown(rng, rec)
    if shape == "no_table":
        if rng.random() < 0.4:
            data, truth = render_html(rng, rec, "no_table", tables=False)
        else:
            data, truth = render_lines(rng, rec, "pipe_rows", tables=False)
        truth["shape"] = "no_table"
        truth["variant"] = "no_table-" + truth["variant"]
        return data, truth
    if shape == "legacy":
        return render_legacy(rng, rec, budget)
    raise ValueError(f"unknown shape {shape!r}")


def generate(shape: str, seed: int) -> Generated:
    """One generated document; the same (shape, seed) always gives the same bytes."""
    rng = random.Random(f"{shape}:{seed}")
    for _ in range(MAX_ATTEMPTS):
        rec = draw_record(rng, shape)
        try:
            data, truth = render(rng, rec, shape)
        except TooHard:
            continue   # too many readings to enumerate: draw another document
        truth["seed"] = seed
        fmt = "html" if data.lstrip()[:15].lower().startswith(b"<!doctype html") else "txt"
        return Generated(shape, seed, data, fmt, f"gen/{shape}/{seed}.{'html' if fmt == 'html' else 'txt'}", truth)
    raise RuntimeError(f"no document of shape {shape} within {MAX_ATTEMPTS} draws for seed {seed}")
