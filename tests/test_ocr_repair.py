"""OCR digit repair: an injected misreading is either undone (and said so) or
flagged; a consistent record is left alone."""
from __future__ import annotations

import copy
import random

from nianbao.extract.ocr_repair import CONFUSABLE, repair, variants
from nianbao.generate.records import random_record


def _conf(rec: dict) -> dict:
    out = {f"t3.{k}[{i}]": 0.9 for k, v in rec["t3"]["rows"].items() for i in range(len(v))}
    out.update({f"t4.{k}[{i}]": 0.9 for k, v in rec["t4"].items() for i in range(len(v))})
    return out


def test_confusable_pairs_are_symmetric():
    for d, alts in CONFUSABLE.items():
        for a in alts:
            assert d in CONFUSABLE[a]
    assert 71 in set(variants(11)) and 17 in set(variants(11))
    assert 140 in set(variants(110))


def test_consistent_record_untouched():
    rng = random.Random(3)
    for form in ("2021", "2019"):
        rec = random_record(rng, form)
        before = copy.deepcopy(rec)
        assert repair(rec, _conf(rec)) == []
        assert rec == before


def test_injected_misreadings_undone_or_flagged():
    rng = random.Random(11)
    corrected = flagged = 0
    for n in range(60):
        rec = random_record(rng, "2021" if n % 2 else "2019", scale="large" if n % 3 == 0 else None)
        truth = copy.deepcopy(rec)
        table = "t3" if n % 4 else "t4"
        if table == "t3":
            key = rng.choice(sorted(rec["t3"]["rows"]))
            i = rng.randrange(7)
            row = rec["t3"]["rows"][key]
        else:
            key = rng.choice(sorted(rec["t4"]))
            i = rng.randrange(5)
            row = rec["t4"][key]
        options = [v for v in variants(row[i]) if v != row[i]]
        if not options:
            continue
        row[i] = rng.choice(options)
        ref = f"{table}.{key}[{i}]"
        findings = repair(rec, _conf(rec))
        fixed = [f for f in findings if f["rule"] == "extract.ocr_corrected"]
        unresolved = {c for f in findings if f["rule"] == "extract.ocr_unresolved" for c in f["cells"]}
        if rec == truth:
            corrected += 1
            assert [f["cells"] for f in fixed] == [[ref]]
            assert "按勾稽关系改为" in fixed[0]["evidence"]
        else:
            flagged += 1
            assert ref in unresolved, (ref, findings)
            assert not fixed or all(f["cells"] != [ref] for f in fixed)
    assert corrected >= 20  # table 三's two-way identities pin most single misreadings
    assert flagged >= 5     # table 四 (one identity per group) cannot: flagged, never guessed


def test_unreadable_cell_filled_from_identity():
    rec = random_record(random.Random(5), "2021")
    want = rec["t3"]["rows"]["total"][6]
    rec["t3"]["rows"]["total"][6] = None
    findings = repair(rec, _conf(rec))
    assert rec["t3"]["rows"]["total"][6] == want
    assert findings[0]["rule"] == "extract.ocr_corrected" and findings[0]["cells"] == ["t3.total[6]"]


def test_only_ocr_cells_change():
    rec = random_record(random.Random(8), "2021")
    rec["t3"]["rows"]["granted"][0] += 1 if rec["t3"]["rows"]["granted"][0] != 1 else 6
    findings = repair(rec, {})  # nothing came from OCR
    assert findings == []
