"""Grids written out as the cell-based shapes: HTML tables, one cell per line, pipe rows, plain lines."""
from __future__ import annotations

from html import escape

from .noise import Noise
from .tables import Cell, Grid


def cell_text(cell: Cell, grid: Grid, key: str | None, noise: Noise, *, allow_blank: bool = True,
              allow_debris: bool = True, allow_symbols: bool = True) -> str:
    if cell.kind == "value":
        return noise.value(cell.value, allow_blank=allow_blank, allow_debris=allow_debris,
                           allow_symbols=allow_symbols and not cell.decimals)
    if cell.kind == "header":
        return noise.header(cell.text)
    if grid.name == "legacy":
        # Legacy labels are keys of the record: only whitespace noise, which the key drops.
        if cell.text and noise.chance(0.5) and len(cell.text) > 3:
            i = noise.rng.randrange(1, len(cell.text))
            return cell.text[:i] + " " + cell.text[i:]
        return cell.text
    return noise.label(cell.text, key if grid.name == "t3" and cell.kind == "label" else None)


def grid_texts(grid: Grid, noise: Noise, **kw) -> list[list[str]]:
    return [[cell_text(c, grid, key, noise, **kw) for c in row] for row, key in zip(grid.rows, grid.row_keys)]


def _tail(grid: Grid, row: list) -> str:
    missing = grid.width - len(row)
    return " " + "|" * missing if missing > 0 else ""


def cells_per_line(grid: Grid, noise: Noise) -> list[str]:
    """One cell a line ending in `` |``; a short row's last line carries the missing cells as ``|``."""
    out = []
    for row, texts in zip(grid.rows, grid_texts(grid, noise)):
        for i, t in enumerate(texts):
            line = f"{t} |" if t else "|"
            if i == len(texts) - 1:
                line += _tail(grid, row)
            out.append(line)
    return out


def pipe_rows(grid: Grid, noise: Noise) -> list[str]:
    """One row a line, cells separated by `` | ``."""
    out = []
    for row, texts in zip(grid.rows, grid_texts(grid, noise)):
        out.append(" | ".join(texts) + " |" + _tail(grid, row))
    return out


def plain_lines(grid: Grid, noise: Noise) -> list[str]:
    """One cell a line, no separators; blank cells vanish, so zeros are never blank."""
    out = []
    for texts in grid_texts(grid, noise, allow_blank=False):
        out.extend(t for t in texts if t.strip())
    return out


def html_table(grid: Grid, noise: Noise, split_at: int | None = None) -> str:
    """``<table>`` with the form's spans. ``split_at``: the grid row where a page break cut the
    table in two (as converted Word documents do); a merged cell running across the cut is
    closed in the first part and continues, empty, in the second."""
    open_tag = f'<table class="{grid.name}" border="1" cellspacing="0" cellpadding="3" width="100%">'
    parts = [open_tag]
    carry: list[int] = []       # rowspans continuing past the cut, left to right
    for r, (row, texts) in enumerate(zip(grid.rows, grid_texts(grid, noise, allow_debris=False))):
        tds = []
        if split_at is not None and r == split_at:
            parts += ["</table>", '<p style="text-align:center">— 2 —</p>', open_tag]
            tds += [f'<td rowspan="{n}"></td>' if n > 1 else "<td></td>" for n in carry]
        for c, t in zip(row, texts):
            rowspan = c.rowspan
            if split_at is not None and r < split_at < r + rowspan:
                carry.append(r + rowspan - split_at)
                rowspan = split_at - r
            attrs = ""
            if c.colspan > 1:
                attrs += f' colspan="{c.colspan}"'
            if rowspan > 1:
                attrs += f' rowspan="{rowspan}"'
            if c.kind in ("value", "header"):
                attrs += ' style="text-align:center"'
            inner = escape(t)
            if c.kind == "group" and noise.rng.random() < 0.3:
                inner = "<br>".join(escape(t[i:i + 2]) for i in range(0, len(t), 2))
            elif c.kind != "value" and noise.rng.random() < 0.2:
                inner = f'<p style="text-align:center"><span style="font-size:12px">{inner}</span></p>'
            tds.append(f"<td{attrs}>{inner}</td>")
        parts.append("<tr>" + "".join(tds) + "</tr>")
    parts.append("</table>")
    return "\n".join(parts)


def _expanded(grid: Grid, texts: list[list[str]]) -> list[list[tuple[str, bool]]]:
    """The grid as a full matrix: (text, is a value) per position, spanned positions empty."""
    out: list[list[tuple[str, bool]]] = []
    covered: dict[tuple[int, int], bool] = {}
    for r, (row, row_texts) in enumerate(zip(grid.rows, texts)):
        line: list[tuple[str, bool]] = []
        c = 0
        for cell, text in zip(row, row_texts):
            while (r, c) in covered:
                line.append(("", False))
                c += 1
            line.append((text, cell.kind == "value"))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if dr or dc:
                        covered[(r + dr, c + dc)] = True
            c += 1
            for _ in range(cell.colspan - 1):
                line.append(("", False))
                c += 1
        while c < grid.width:
            line.append(("", False))
            c += 1
        out.append(line)
    return out


def markdown_table(grid: Grid, noise: Noise) -> list[str]:
    """A pipe table as PDF-to-markdown converters write it: every column of the grid in every
    row (merged cells leave empty ones), a ``|---|`` rule under the first row, and long labels
    that wrapped in their cell split over two rows: the numbers on the first or the second."""
    rng = noise.rng
    split_share = rng.choice([0.0, 0.15, 0.4])
    lines: list[str] = []
    for r, line in enumerate(_expanded(grid, grid_texts(grid, noise, allow_debris=False))):
        texts = [t for t, _ in line]
        label_at = next((i for i, (t, v) in enumerate(line) if t and not v), None)
        has_values = any(v for _, v in line)
        if has_values and label_at is not None and len(texts[label_at]) > 14 and rng.random() < split_share:
            label = texts[label_at]
            cut = rng.randrange(6, len(label) - 4)
            first, second = list(texts), [""] * len(texts)
            first[label_at], second[label_at] = label[:cut], label[cut:]
            if rng.random() < 0.5:   # the numbers sit on the label's last line
                for i, (_, v) in enumerate(line):
                    if v:
                        second[i], first[i] = first[i], ""
            lines += ["| " + " | ".join(first) + " |", "| " + " | ".join(second) + " |"]
        else:
            lines.append("| " + " | ".join(texts) + " |")
        if r == 0:
            lines.append("|" + "---|" * len(texts))
    return lines
