"""Every real report of ../shared/real: extracted without a crash, its printed tables found, every
identity break either the original's (an ``arith.*`` finding on printed cells) or said to be in
doubt (``extract.*``), and the folders with hand-read truth scored by the team's scorer."""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.extract import extract_path
from nianbao.template import CellRef, check_identity, identities

NIANBAO = str(Path(sys.executable).with_name("nianbao"))
CLEAN_NAME = re.compile(r"^[\u4e00-\u9fffA-Za-z][^\d]*[\u4e00-\u9fff）)A-Za-z]$")
DOUBT = ("extract.ambiguous", "extract.unresolved", "extract.unreadable", "extract.inferred", "extract.search_budget")


def _manifest(folder: Path) -> list[dict]:
    with (folder / "manifest.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _documents(shared: Path):
    for name in ("pingtan", "pdf"):
        base = shared / "real" / name
        if not base.exists():
            continue
        for row in _manifest(base):
            yield base, row


@pytest.fixture(scope="module")
def records(shared):
    out = {}
    for base, row in _documents(shared):
        name = row.get("file") or row.get("path")
        rec = extract_path(base / name)
        json.dumps(rec, ensure_ascii=False, allow_nan=False)
        out[(base.name, name)] = (row, rec)
    if not out:
        pytest.skip("../shared/real not present")
    return out


def _printed_tables(row: dict) -> set[str] | None:
    """The tables the manifest says a report prints; None for "some table"."""
    has = (row.get("has_table") or "").strip().lower()
    if has in ("no", "none", ""):
        return set()
    if has == "yes":
        return None
    return set(has.split())


def test_every_printed_table_is_found_and_none_is_invented(records):
    wrong = []
    for (folder, name), (row, rec) in records.items():
        want = _printed_tables(row)
        found = {t for t in ("t2", "t3", "t4", "legacy") if rec.get(t)}
        if want == set() and found:
            wrong.append(f"{folder}/{name}: prints no table, got {sorted(found)}")
        elif want is None and not found:
            wrong.append(f"{folder}/{name}: prints a table, none found")
        elif want and not want <= found:
            wrong.append(f"{folder}/{name}: prints {sorted(want)}, found {sorted(found)}")
        if rec.get("legacy") and (rec.get("t3") or rec.get("t4")):
            wrong.append(f"{folder}/{name}: an appendix beside a 2019/2021 table")
    assert not wrong, "\n".join(wrong)


def test_appendix_names_are_clean(records):
    bad = [f"{folder}/{name}: {key!r}" for (folder, name), (_, rec) in records.items()
           for key in (rec.get("legacy") or {}) if not CLEAN_NAME.match(key)]
    assert not bad, "\n".join(bad)


def _flagged(rec: dict, rules) -> set[str]:
    return {c for f in rec["findings"] if f["rule"] in rules for c in f.get("cells") or []}


def test_no_identity_break_goes_unsaid_and_none_is_blamed_on_doubtful_cells(records):
    """A break of the identities in the record is either the original's — an arith.* finding on
    exactly those cells, none of them read with doubt — or ours, with the doubtful cells named."""
    wrong = []
    for (folder, name), (_, rec) in records.items():
        rows = (rec.get("t3") or {}).get("rows") or {}
        form = "2021" if "other_misc" in rows else "2019"
        doubtful = _flagged(rec, DOUBT)
        accused = {}
        for f in rec["findings"]:
            if f["rule"].startswith("arith.t"):
                accused.setdefault(f["rule"], []).append(set(f["cells"]))
        for ident in identities(form):
            table = ident.lhs[0].table
            if not rec.get(table):
                continue
            res = check_identity(ident, rec)
            if res.holds is not False:
                continue
            cells = {str(c) for c in ident.cells}
            said = any(cells == got for got in accused.get("arith." + ident.rule, []))
            if said and cells & doubtful:
                wrong.append(f"{folder}/{name}: arith.{ident.rule} accuses doubtful cells {sorted(cells & doubtful)}")
            elif not said and not cells & doubtful:
                wrong.append(f"{folder}/{name}: {ident.rule} broken on {sorted(cells)[:3]}… and nobody says so")
        # a cell left empty is flagged
        for key, vals in rows.items():
            for i, v in enumerate(vals):
                if v is None and f"t3.{key}[{i}]" not in doubtful:
                    wrong.append(f"{folder}/{name}: t3.{key}[{i}] empty without a finding")
    assert not wrong, "\n".join(wrong)


def _score(shared: Path, folder: str) -> str:
    base = shared / "real" / folder
    out = subprocess.run([sys.executable, str(shared / "tools" / "score.py"), str(base), str(base / "truth"),
                          "--cmd", f"{NIANBAO} extract {{path}} --json"], capture_output=True, text=True, timeout=900)
    return out.stdout + out.stderr


@pytest.mark.parametrize("folder", ["pingtan", "pdf"])
def test_the_hand_read_truth_is_met(shared, folder):
    if not (shared / "real" / folder / "truth").exists():
        pytest.skip("no truth here")
    out = _score(shared, folder)
    last = out.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed, 0 failed", last), out


def test_the_originals_own_breaks_are_reported_on_the_printed_cells(shared):
    """real/pdf's manifest lists the breaks its originals print (table 四): they come out as
    printed, reported by the validator as arith.* — neither corrected nor flagged as ours."""
    base = shared / "real" / "pdf"
    for row in _manifest(base):
        breaks = (row.get("original_breaks") or "").strip()
        if not breaks:
            continue
        rec = extract_path(base / (row.get("file") or row.get("path")))
        rules = {f["rule"] for f in rec["findings"]}
        assert any(r.startswith("arith.t4") for r in rules), (row, rules)
        t4_cells = {c for f in rec["findings"] if f["rule"].startswith("arith.t4") for c in f["cells"]}
        assert not t4_cells & _flagged(rec, DOUBT)
        assert all(CellRef.parse(c).table == "t4" for c in t4_cells)
