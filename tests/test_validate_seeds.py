"""The five seed reports through the real extractor, then the validator."""
from __future__ import annotations

from pathlib import Path

import pytest

from nianbao.extract import extract_path
from nianbao.validate import RULES, check
from nianbao.validate.prose import claims

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "seeds").is_dir()), ROOT.parent / "shared")
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
OWN = {rid for rid, r in RULES.items() if r.family not in ("extraction",)}

def test_five_seeds():
    assert len(SEEDS) == 5


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem[:3])
def test_seed_no_false_arithmetic_error(path):
    rec = extract_path(path)
    if not path.stem.startswith("004"):  # 004 is a pre-2019 report: an appendix, no table 三
        assert rec["t3"] and rec["t4"], "extractor found no tables"
    else:
        assert rec["legacy"], "extractor found no appendix"
    found = check(rec)
    assert not [f for f in found if f["rule"].startswith("arith.") and f["severity"] == "error"], found
    # The prose is read (每份报告都陈述了收到申请的件数) and agrees with the tables.
    assert any(c.kind == "received" for c in claims(rec))
    assert not [f for f in found if f["rule"].startswith("prose.")], found
    for f in found:
        if f["rule"] in OWN:
            assert f["cells"] and f["evidence"] and f["message"] and f["message_en"], f


def test_seed_000_prints_the_2019_table_in_a_2021_report():
    path = next(p for p in SEEDS if p.stem.startswith("000"))
    rec = extract_path(path)
    found = check(rec)
    layout = [f for f in found if f["rule"] == "form.layout_year"]
    assert layout and layout[0]["cells"] == ["t3.other"], found
