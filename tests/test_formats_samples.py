"""Every binary sample in ../shared/samples/formats read into a Document whose
grids hold the truth's numbers in the right cells, with provenance."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from formats_paths import SHARED
from formats_check import labelled_numbers, t2_values, t3_rows, t4_values
from nianbao.extract import extract_path
from nianbao.extract.ocr_repair import repair
from nianbao.sources import read

SAMPLES = SHARED / "samples" / "formats"
BINARY = ["chromium-pdf.pdf", "libreoffice-pdf.pdf", "docx.docx", "doc.doc", "scanned-table-page.pdf",
          "table-page-png.png"]
OCR = {"scanned-table-page.pdf", "table-page-png.png"}

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples/formats not present")


def _truth(name: str) -> dict:
    return json.loads((SAMPLES / "truth" / (Path(name).stem + ".json")).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def docs():
    return {name: read(SAMPLES / name) for name in BINARY}


@pytest.mark.parametrize("name", BINARY)
def test_table3_cells_in_place(docs, name):
    doc, truth = docs[name], _truth(name)
    rows, conf = t3_rows(doc, truth.get("meta", {}).get("template") or "2021")
    want = truth["t3"]["rows"]
    if name in OCR:
        # exact, or every wrong cell flagged by the identity repair
        record = {"meta": {"template": "2021"}, "t3": {"rows": {k: list(v) for k, v in rows.items()}}}
        findings = repair(record, {k: c for k, c in conf.items()})
        flagged = {c for f in findings if f["rule"] == "extract.ocr_unresolved" for c in f["cells"]}
        got = record["t3"]["rows"]
        wrong = {f"t3.{k}[{i}]" for k in want for i in range(7) if (got.get(k) or [None] * 7)[i] != want[k][i]}
        assert wrong <= flagged, f"unflagged wrong cells: {sorted(wrong - flagged)}"
        assert len(wrong) <= 3
    else:
        assert rows == want


@pytest.mark.parametrize("name", [n for n in BINARY if n not in OCR])
def test_tables_2_and_4(docs, name):
    doc, truth = docs[name], _truth(name)
    assert t4_values(doc) == truth["t4"]
    want = {k: v for k, v in truth["t2"].items() if k != "layout"}
    assert t2_values(doc, truth["t2"]) == want


@pytest.mark.parametrize("name", BINARY)
def test_provenance(docs, name):
    doc = docs[name]
    table = next(t for t in doc.tables() if any("本年新收" in c.text for r in t.rows for c in r))
    cells = [c for r in table.rows for c in r if c.text.isdigit()]
    assert len(cells) >= 175
    for c in cells:
        assert doc.text[c.origin.start:c.origin.end] == c.text
        if name.endswith((".pdf", ".png")):
            assert c.origin.page >= 1 and c.origin.bbox is not None
            x0, top, x1, bottom = c.origin.bbox
            assert x1 > x0 and bottom > top
        else:
            assert c.origin.table is not None and c.origin.row is not None and c.origin.col is not None
        if name in OCR:
            assert 0 < c.origin.confidence <= 1
    if name in OCR:
        assert doc.ocr_pages == [1]
    else:
        assert doc.ocr_pages == []


def test_pages_and_stitched_split_table(docs):
    lo = docs["libreoffice-pdf.pdf"]
    assert lo.pages == 4
    # table 三 runs over pages 3 and 4 in the LibreOffice PDF: one table, rows from both pages
    t3 = next(t for t in lo.tables() if any("本年新收" in c.text for r in t.rows for c in r))
    pages = {c.origin.page for r in t3.rows for c in r}
    assert pages == {3, 4}
    labels = [c.text for r in t3.rows for c in r]
    assert "5.要求行政机关确认或重新出具已获取信息" in labels  # the row the page break cut
    assert not any(c.text == "具已获取信息" for r in t3.rows for c in r)
    assert docs["chromium-pdf.pdf"].pages == 3


def test_same_text_as_html(docs):
    """The binary renderings read to the same tables as the HTML original."""
    html = read(SAMPLES / "html.html")
    html_tables = [[[c.text for c in r] for r in t.rows] for t in html.tables()]
    for name in ("chromium-pdf.pdf", "libreoffice-pdf.pdf", "docx.docx", "doc.doc"):
        tables = [[[c.text for c in r] for r in t.rows] for t in docs[name].tables()]
        assert [t for t in tables if "".join(map("".join, t))] == html_tables, name
    assert labelled_numbers(docs["docx.docx"])["行政许可"] == [3652]


@pytest.mark.parametrize("name", BINARY)
def test_extract_path(name):
    record = extract_path(SAMPLES / name)
    truth = _truth(name)
    assert record["source"]["format"] == {"pdf": "pdf", "docx": "docx", "doc": "doc", "png": "image"}[
        name.rsplit(".", 1)[1]]
    if record.get("t3") is None:
        pytest.skip("the template-aware decoder has not landed yet (extract is a stub)")
    got, want = record["t3"]["rows"], truth["t3"]["rows"]
    wrong = {f"t3.{k}[{i}]" for k in want for i in range(7) if (got.get(k) or [None] * 7)[i] != want[k][i]}
    flagged = {c for f in record["findings"] for c in f.get("cells", [])} if name in OCR else set()
    assert wrong <= flagged
    if truth.get("t4"):
        assert record["t4"] == truth["t4"]


def test_wps_through_libreoffice(tmp_path, docs):
    """WPS files are OLE2 word-processor files too: LibreOffice reads them by content."""
    wps = tmp_path / "report.wps"
    wps.write_bytes((SAMPLES / "doc.doc").read_bytes())
    doc = read(wps)
    assert doc.format == "wps"
    assert [[c.text for c in r] for t in doc.tables() for r in t.rows] == \
        [[c.text for c in r] for t in docs["doc.doc"].tables() for r in t.rows]


def test_ocr_is_noted(docs):
    for name in OCR:
        assert any(n["rule"] == "source.ocr" for n in docs[name].notes)
    assert not any(n["rule"] == "source.ocr" for n in docs["libreoffice-pdf.pdf"].notes)
