"""A corpus made here by real converters (Chromium in two CJK fonts,
LibreOffice DOCX/DOC/PDF with table 三 split over pages, degraded scans,
multi-page scans as TIFF and image-only PDF), plus the seed reports rendered
the same way, each run through the real extraction path (what
``nianbao extract FILE --json`` prints) and compared with its truth record:
every document exact, or every wrong value flagged in a finding; the seeds
exact by the scorer's rules.

NIANBAO_CORPUS_N (default 30) sets the generated reports per converter,
NIANBAO_SCAN_N (default 30) the single-page scans (OCR costs ~5 s a page).
"""
from __future__ import annotations

import importlib.util
import json
from collections import Counter

import pytest

import formats_corpus
from formats_paths import SHARED
from nianbao.extract import extract_document, extract_path
from nianbao.generate.compare import compare, format_diffs
from nianbao.sources import office, read

SEEDS = SHARED / "seeds" / "truth"
# rules whose findings say "this value may be wrong" about the cells they list
DOUBT_RULES = {"extract.ambiguous", "extract.unreadable", "extract.ocr_unresolved"}


def _seed_records():
    if not SEEDS.is_dir():
        return []
    return [(p.stem[:3], json.loads(p.read_text(encoding="utf-8"))) for p in sorted(SEEDS.glob("*.json"))]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    if formats_corpus.chromium() is None:
        pytest.skip("chromium not installed")
    n, n_scans = formats_corpus.corpus_size()
    out = tmp_path_factory.mktemp("formats-corpus")
    return formats_corpus.build(out, n, n_scans, seeds=_seed_records(), multipage=True)


@pytest.fixture(scope="session")
def scorer():
    path = SHARED / "tools" / "score.py"
    if not path.is_file():
        pytest.skip("../shared/tools/score.py not present")
    spec = importlib.util.spec_from_file_location("nianbao_shared_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def doubted(record: dict) -> set[str]:
    return {c for f in record["findings"] if f["rule"] in DOUBT_RULES for c in f.get("cells") or []}


def judge(truth: dict, record: dict) -> tuple[str, list]:
    """'exact', 'flagged' (every wrong value doubted by a finding) or 'wrong',
    with the wrong values no finding doubts. Everything the document prints is
    compared: agency, year, form, sign-off date and every cell of 二/三/四 or
    the appendix."""
    want = {k: truth.get(k) for k in ("t2", "t3", "t4", "legacy")}
    want["meta"] = {k: truth["meta"][k] for k in ("agency", "year", "template", "published") if k in truth["meta"]}
    # a correct cell that is also doubted is not an error here
    diffs = [d for d in compare(want, record) if d[1] != "not ambiguous"]
    if not diffs:
        return "exact", []
    loose = [d for d in diffs if d[0] not in doubted(record)]
    return ("flagged", []) if not loose else ("wrong", loose)


def _records(corpus, kinds: tuple[str, ...]) -> list[tuple[str, dict, dict]]:
    docs = [(p, t) for p, t in corpus["truth"].items() if corpus["kinds"][p] in kinds and "seed-" not in p]
    if kinds == ("doc",):
        # DOC goes through LibreOffice: the whole set in one soffice call, then the same decoder
        read_docs = office.read_many([p for p, _ in docs])
        bad = {p: d for p, d in read_docs.items() if isinstance(d, Exception)}
        assert not bad, bad
        out = [(p, t, extract_document(read_docs[p])) for p, t in docs[1:]]
        return [(docs[0][0], docs[0][1], extract_path(docs[0][0]))] + out  # and one alone
    return [(p, t, extract_path(p)) for p, t in docs]


def _assert_all_right(results, minimum: int) -> Counter:
    assert len(results) >= minimum
    verdicts = Counter()
    failures = {}
    for path, truth, record in results:
        verdict, loose = judge(truth, record)
        verdicts[verdict] += 1
        if loose:
            failures[path] = format_diffs(loose)
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)[:4000]
    return verdicts


@pytest.mark.parametrize("kinds", [("chromium-pdf-noto", "chromium-pdf-wqy"), ("libreoffice-pdf",), ("docx",),
                                   ("doc",)], ids=["chromium-pdf", "libreoffice-pdf", "docx", "doc"])
def test_text_layer_formats_full_records(corpus, kinds):
    n, _ = formats_corpus.corpus_size()
    results = _records(corpus, kinds)
    verdicts = _assert_all_right(results, n)
    # converted from clean HTML, nothing is in doubt: every document is exact
    assert verdicts["exact"] == len(results), verdicts
    if len(kinds) == 2:  # both CJK fonts (Type 3 and CID TrueType) really took part
        fonts = Counter(corpus["kinds"][p] for p, _, _ in results)
        assert min(fonts.values()) >= n // 2 - 1, fonts


def _raw_tables(path: str) -> list[tuple[int, list[list[dict]]]]:
    """(page, grid) of every ruled table as the page draws it, before the
    grid clean-up and the stitching across pages."""
    import pypdfium2 as pdfium

    from nianbao.sources import pdf as pdf_source

    doc = pdfium.PdfDocument(path)
    try:
        out = []
        for i in range(len(doc)):
            content, _ = pdf_source._read_page(doc, i)
            if content is not None:
                out += [(i + 1, it["grid"]) for it in pdf_source._page_items(content, i + 1) if it["kind"] == "table"]
        return out
    finally:
        doc.close()


def _white_boxes(path: str) -> int:
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(path)
    n = 0
    try:
        for page in doc:
            for obj in page.get_objects(max_depth=3):
                if obj.type != pdfium_c.FPDF_PAGEOBJ_PATH:
                    continue
                rgba = [ctypes.c_uint() for _ in range(4)]
                pdfium_c.FPDFPageObj_GetFillColor(obj.raw, *rgba)
                n += all(v.value == 255 for v in rgba)
    finally:
        doc.close()
    return n


def _empty_boxes(grid: list[list[dict]], first_word: str) -> bool:
    """An empty box of its own (not part of a merged cell) in a row beside ``first_word``'s row or after it."""
    rows = [r for r in grid if any(first_word in str(c.get("text")) for c in r)]
    return bool(rows) and any(c.get("primary", True) and not c.get("text") for r in grid[grid.index(rows[0]):]
                              for c in r[:3])


@pytest.mark.parametrize("kinds", [("chromium-pdf-noto", "chromium-pdf-wqy"), ("libreoffice-pdf",)],
                         ids=["chromium-pdf", "libreoffice-pdf"])
def test_pdf_shapes_really_printed(corpus, kinds):
    """The shapes of real PDFs are in the corpus, as the converters printed
    them: every shape in some document of each converter (so the exact
    records above cover them), and a sample of each checked in the file."""
    shapes = {p: s for p, s in corpus["shapes"].items() if corpus["kinds"][p] in kinds and "seed-" not in p}
    for field in ("t4_wrapped", "t4_split_head", "t3_boxes", "t3_groups_open", "shaded", "repeat_header", "filler_four"):
        assert any(getattr(s, field) for s in shapes.values()), (kinds, field)
    def first(field):
        return next(p for p, s in shapes.items() if getattr(s, field) and corpus["truth"][p].get("t3")
                    and corpus["truth"][p].get("t4"))
    t4_heads = [g for _, g in _raw_tables(first("t4_split_head")) if any("复议后起诉" in str(c.get("text")) for r in g
                                                                        for c in r)]
    assert t4_heads and any(c.get("primary", True) and not c.get("text") for c in t4_heads[0][0])
    assert any(_empty_boxes(g, "本年新收") or _empty_boxes(g, "(七)总计") or _empty_boxes(g, "（七）总计")
               for _, g in _raw_tables(first("t3_boxes")))
    wrapped = first("t4_wrapped")
    assert any("总 计" in str(c.get("text")) or "总\u3000计" in str(c.get("text"))
               for _, g in _raw_tables(wrapped) for r in g for c in r)
    assert _white_boxes(first("shaded")) >= 10
    plain = next(p for p, s in shapes.items() if not s.shaded)
    assert _white_boxes(plain) == 0


def test_libreoffice_pdf_splits_table3(corpus):
    """The corpus really exercises stitching: most LibreOffice PDFs break table 三 over two pages."""
    split = 0
    lo = [p for p, r in corpus["truth"].items() if corpus["kinds"][p] == "libreoffice-pdf" and r.get("t3")]
    for p in lo:
        doc = read(p)
        t3 = next(t for t in doc.tables() if any("本年新收" in c.text for r in t.rows for c in r))
        split += len({c.origin.page for r in t3.rows for c in r}) > 1
    assert split >= len(lo) // 3


def test_seeds_rendered_exact(corpus, scorer):
    seeds = [p for p in corpus["truth"] if "seed-" in p]
    if not seeds:
        pytest.skip("no seed truth in ../shared")
    kinds = Counter(corpus["kinds"][p].split("-pdf")[0] for p in seeds)
    assert kinds["chromium"] >= 10 and kinds["docx"] >= 5 and kinds["libreoffice"] >= 5, kinds
    failures = {}
    for p in seeds:
        record = extract_path(p)
        wrong = [(f, e, a) for f, e, a, ok, amb in scorer.compare(corpus["truth"][p], record) if not ok and not amb]
        if wrong:
            failures[p] = wrong[:6]
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)[:3000]


def test_scans_exact_or_flagged(corpus):
    _, n_scans = formats_corpus.corpus_size()
    results = _records(corpus, ("image", "scanned-pdf"))
    verdicts = _assert_all_right(results, n_scans - 1)
    assert verdicts["exact"] >= len(results) // 2, verdicts
    for path, _, record in results:
        assert any(f["rule"] == "source.ocr" for f in record["findings"]), path
        # provenance of an OCR'd value: its page and its box on the page
        origin = record["provenance"]["t3.new[6]"]
        assert origin["page"] == 1 and len(origin["bbox"]) == 4


def test_multipage_scans(corpus):
    """A whole two-page report scanned, as a multi-frame TIFF and as an
    image-only PDF: every page OCR'd, table 三 stitched across the break,
    the full record right (or its wrong values flagged)."""
    results = _records(corpus, ("multipage-scan",))
    assert {p.rsplit(".", 1)[1] for p, _, _ in results} == {"tif", "pdf"}
    _assert_all_right(results, 2)
    for path, _, record in results:
        pages = {record["provenance"][ref]["page"] for ref in record["provenance"] if ref.startswith("t3.")}
        assert pages == {1, 2}, path  # table 三 read from both pages, as one table
        assert record["t2"] and record["t4"] and record["meta"]["agency"]
