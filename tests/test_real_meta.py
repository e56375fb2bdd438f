"""Agency and year of every real report in ../shared/real, as its manifest gives them.

The reports are read by the sources as the pipeline reads them, and their metadata by the same
``meta.read`` the pipeline calls; the region is checked where a hand-made truth file gives it.
"""
from __future__ import annotations

import csv
import json

import pytest

from nianbao.extract.meta import read as read_meta
from nianbao.sources import read


def _manifest(folder):
    with (folder / "manifest.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("folder", ["pingtan", "pdf"])
def test_agency_and_year_as_the_manifest_gives_them(shared, folder):
    base = shared / "real" / folder
    rows = _manifest(base)
    assert rows
    wrong = []
    for row in rows:
        name = row.get("file") or row.get("path")
        m = read_meta(read(base / name).text)
        got, want = (m.agency, m.year), (row["agency"], int(row["year"]))
        if got != want:
            wrong.append(f"{name}: want {want} got {got}")
    assert not wrong, f"{len(wrong)}/{len(rows)} reports:\n" + "\n".join(wrong)


def test_region_as_the_truth_gives_it(shared):
    wrong = []
    checked = 0
    for folder in ("pingtan", "pdf"):
        base = shared / "real" / folder
        for truth_file in sorted((base / "truth").glob("*.json")):
            region = json.loads(truth_file.read_text(encoding="utf-8"))["meta"].get("region")
            if not region or "（" in region:     # 福建省平潭县（平潭综合实验区）: a gloss, not a chain
                continue
            doc = next(p for p in base.iterdir() if p.stem == truth_file.stem and p.suffix != ".json")
            got = read_meta(read(doc).text).region.name
            checked += 1
            if got != region:
                wrong.append(f"{folder}/{doc.name}: want {region} got {got}")
    assert checked >= 20 and not wrong, "\n".join(wrong)
