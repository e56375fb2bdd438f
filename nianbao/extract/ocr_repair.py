"""OCR digit repair: use the identities (勾稽关系) to undo OCR misreadings.

For a record decoded from OCR text, a failing identity points at a few
cells. Each OCR-read cell in it is tried with one digit swapped for a glyph
OCR commonly confuses it with (1/7, 0/6/8/9, 3/5/6, …); a blank cell that
one identity determines is tried with the value that balances it. A change
is applied only when it is the single candidate that makes every identity
through that cell hold; otherwise the identity is flagged, never guessed.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from ..findings import finding
from ..template import CellRef, Identity, cell_value, check_identity, identities

# pairs of digits OCR confuses on printed CJK reports (symmetric)
_PAIRS = ("17", "14", "27", "06", "08", "09", "68", "69", "89", "35", "36", "56", "38")
CONFUSABLE: Mapping[str, str] = {
    d: "".join(sorted({p[1 - p.index(d)] for p in _PAIRS if d in p})) for d in "0123456789"}
MAX_ROUNDS = 12


def _form(record: dict) -> str | None:
    form = (record.get("meta") or {}).get("template")
    if form in ("2021", "2019"):
        return form
    rows = ((record.get("t3") or {}).get("rows")) or {}
    if any(k.startswith("other_") for k in rows):
        return "2021"
    if "other" in rows:
        return "2019"
    return None


def _set(record: dict, ref: CellRef, value) -> None:
    table = record[ref.table]
    if ref.table == "t3":
        table = table["rows"]
    table[ref.key][ref.index] = value


def _holds(identity: Identity, record: dict) -> bool | None:
    return check_identity(identity, record).holds


def variants(value: int) -> Iterable[int]:
    """Numbers one confusable-digit swap away from ``value``."""
    s = str(value)
    for i, ch in enumerate(s):
        for alt in CONFUSABLE.get(ch, ""):
            t = s[:i] + alt + s[i + 1:]
            if len(t) > 1 and t[0] == "0":
                continue
            yield int(t)


def _candidates(ref: CellRef, record: dict, by_cell: dict[CellRef, list[Identity]],
                failing: Identity) -> list[int]:
    current = cell_value(record, ref)
    if current is None:
        # an unreadable cell: the failing identity, with every other cell known, fixes it
        others = [cell_value(record, r) for r in failing.cells if r != ref]
        if any(v is None for v in others):
            return []
        lhs = sum(cell_value(record, r) for r in failing.lhs if r != ref)
        rhs = sum(cell_value(record, r) for r in failing.rhs if r != ref)
        value = rhs - lhs if ref in failing.lhs else lhs - rhs
        options = [value] if value >= 0 else []
    elif isinstance(current, int):
        options = list(variants(current))
    else:
        return []
    good = []
    for value in options:
        _set(record, ref, value)
        if all(_holds(i, record) is not False for i in by_cell[ref]) and _holds(failing, record):
            good.append(value)
        _set(record, ref, current)
    return good


def repair(record: dict, provenance_confidence: Mapping[str, float | None]) -> list[dict]:
    """Correct OCR digit errors in ``record`` in place where the identities fix
    them uniquely. ``provenance_confidence``: cell ref (``t3.new[0]``) → OCR
    confidence; only cells listed there (the OCR-read ones) may change.
    Returns findings ``extract.ocr_corrected`` / ``extract.ocr_unresolved``."""
    form = _form(record)
    if form is None:
        return []
    ids = identities(form)
    by_cell: dict[CellRef, list[Identity]] = {}
    for ident in ids:
        for ref in ident.cells:
            by_cell.setdefault(ref, []).append(ident)
    ocr_cells = {CellRef.parse(k) for k in provenance_confidence}
    findings: list[dict] = []
    changed: set[CellRef] = set()
    for _ in range(MAX_ROUNDS):
        failing = [i for i in ids if _holds(i, record) is False
                   or (check_identity(i, record).holds is None and any(
                       r in ocr_cells and cell_value(record, r) is None for r in i.cells))]
        fixes: dict[tuple[CellRef, int], Identity] = {}
        for ident in failing:
            for ref in ident.cells:
                if ref not in ocr_cells or ref in changed or ref not in by_cell:
                    continue
                for value in _candidates(ref, record, by_cell, ident):
                    fixes.setdefault((ref, value), ident)
        # a fix is taken when it is the only one offered for the identity it mends
        per_identity: dict[Identity, list[tuple[CellRef, int]]] = {}
        for (ref, value), ident in fixes.items():
            for i in by_cell[ref]:
                if i in failing:
                    per_identity.setdefault(i, []).append((ref, value))
        applied = False
        for ident in failing:
            options = per_identity.get(ident, [])
            if len(options) != 1:
                continue
            ref, value = options[0]
            if ref in changed:
                continue
            # the same cell must not be offered another value by any other identity
            if len({v for (r, v) in fixes if r == ref}) != 1:
                continue
            old = cell_value(record, ref)
            _set(record, ref, value)
            changed.add(ref)
            applied = True
            was = "无法识别" if old is None else str(old)
            conf = provenance_confidence.get(str(ref))
            findings.append(finding(
                "extract.ocr_corrected", "warning",
                f"OCR 读数按勾稽关系更正：{ref} 原为 {was}，改为 {value}",
                f"OCR reading corrected by the identities: {ref} was {was if old is not None else 'unreadable'}, "
                f"now {value}",
                cells=[str(ref)],
                evidence=f"原为 {was}，按勾稽关系改为 {value}" + (f"（识别置信度 {conf:.2f}）" if conf else ""),
                original=old, corrected=value, confidence=conf))
        if not applied:
            break
    for ident in ids:
        check = check_identity(ident, record)
        suspect = [r for r in ident.cells if r in ocr_cells]
        if check.holds is False and suspect:
            findings.append(finding(
                "extract.ocr_unresolved", "error",
                f"OCR 读数不满足勾稽关系，无法唯一更正：{ident.description}",
                f"OCR readings break an identity and no single correction fixes it: {ident.description_en}",
                cells=[str(r) for r in ident.cells],
                evidence=f"{check.lhs:g} ≠ {check.rhs:g}"))
        elif check.holds is None and any(cell_value(record, r) is None for r in suspect):
            findings.append(finding(
                "extract.ocr_unresolved", "error",
                f"OCR 未能读出的单元格无法按勾稽关系唯一补出：{ident.description}",
                f"unreadable OCR cells that the identities cannot fix uniquely: {ident.description_en}",
                cells=[str(r) for r in ident.cells if cell_value(record, r) is None],
                evidence=""))
    return findings
