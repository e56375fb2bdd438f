"""An authored report is read back as it was written: Word, HTML and PDF through nianbao's own extractor.

For 200 generated records over both forms (2021 and 2019, a tenth with the other form's table 二),
each goes the way a report written in nianbao goes — ``normalise`` into a draft's record,
``to_record``, then rendered to DOCX, HTML and (from the DOCX, by LibreOffice, all in one batch) PDF —
and ``nianbao.extract.extract_path`` must give back every cell, the meta (agency, region, year, form,
date) and the six section titles, with each section's text found under its heading. Every DOCX must
convert: a PDF missing fails the test.
"""
from __future__ import annotations

import random
import re
import shutil
import time

import pytest

from nianbao.author.draft import normalise, to_record
from nianbao.author.render_docx import render_docx
from nianbao.author.render_html import render_html
from nianbao.author.render_pdf import docx_to_pdf_many
from nianbao.extract import extract_path
from nianbao.generate import random_record
from nianbao.generate.compare import compare, format_diffs
from nianbao.generate.sections import add_prose
from nianbao.template import SECTIONS

RECORDS = 200
SHOW = 8

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                                reason="LibreOffice is not installed (scripts/setup.sh installs it)")


def _records() -> list[dict]:
    out = []
    for seed in range(RECORDS):
        rng = random.Random(seed)
        form = ("2021", "2019")[seed % 2]
        other = "2019" if form == "2021" else "2021"
        rec = random_record(rng, form, t2_layout=other if seed % 10 == 3 else None)
        add_prose(rng, rec)
        rec["meta"]["published"] = f"{rec['meta']['year'] + 1}-01-{rng.randint(5, 28):02d}"
        out.append(to_record({"record": normalise(rec), "contact": "联系电话：0577-88888888"}))
    return out


def _words(text: str) -> str:
    """The text's characters and digits: PDF text extraction may lose a 、 at the end of a printed line."""
    return re.sub(r"[^0-9A-Za-z\u4e00-\u9fff]+", "", text or "")


def _truth(rec: dict) -> dict:
    return {"meta": {k: rec["meta"][k] for k in ("agency", "region", "year", "template", "published")},
            "t2": rec["t2"], "t3": rec["t3"], "t4": rec["t4"], "legacy": None}


def _differences(rec: dict, got: dict) -> list:
    diffs = compare(_truth(rec), got)
    titles = [(s["number"], s["title"]) for s in got.get("sections") or []]
    want = [(s.number, s.title) for s in SECTIONS]
    if titles != want:
        diffs.append(("sections", want, titles))
    else:
        for mine, read in zip(rec["sections"], got["sections"]):
            if _words(mine["text"]) not in _words(read["text"]):
                diffs.append((f"sections.{mine['number']}.text", mine["text"][:40], read["text"][:40]))
    return diffs


def test_round_trip_docx_html_pdf(tmp_path):
    began = time.perf_counter()
    records = _records()
    assert {r["meta"]["template"] for r in records} == {"2021", "2019"}
    assert sum(r["t2"]["layout"] != r["meta"]["template"] for r in records) >= 20
    docx = {}
    for i, rec in enumerate(records):
        docx[f"r{i:03d}"] = data = render_docx(rec)
        (tmp_path / f"r{i:03d}.docx").write_bytes(data)
        (tmp_path / f"r{i:03d}.html").write_text(render_html(rec), encoding="utf-8")
    started = time.perf_counter()
    pdfs = docx_to_pdf_many(docx)
    converting = time.perf_counter() - started
    not_converted = sorted(name for name, pdf in pdfs.items() if not pdf or not pdf.startswith(b"%PDF"))
    assert not not_converted, f"LibreOffice did not convert {len(not_converted)} DOCX: {not_converted[:10]}"
    for name, pdf in pdfs.items():
        (tmp_path / f"{name}.pdf").write_bytes(pdf)

    failures = {"docx": [], "html": [], "pdf": []}
    for i, rec in enumerate(records):
        for fmt in failures:
            got = extract_path(tmp_path / f"r{i:03d}.{fmt}")
            diffs = _differences(rec, got)
            if diffs:
                failures[fmt].append(f"r{i:03d} ({rec['meta']['template']}/{rec['t2']['layout']}): "
                                     f"{format_diffs(diffs)}")
    report = {fmt: f"{len(f)}/{RECORDS} differ: " + " | ".join(f[:SHOW]) for fmt, f in failures.items() if f}
    print(f"LibreOffice converted {RECORDS} DOCX in {converting:.0f} s; whole test {time.perf_counter() - began:.0f} s")
    assert not report
