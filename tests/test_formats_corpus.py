"""A corpus made here by real converters (Chromium in two CJK fonts,
LibreOffice DOCX/DOC/PDF with table 三 split over pages, degraded scans),
plus the seed reports rendered the same way: every document's grids must
hold the record's numbers in the right cells; scans exactly, or with every
wrong cell flagged by the identity repair.

NIANBAO_CORPUS_N (default 30) sets the generated reports per converter,
NIANBAO_SCAN_N (default 8) the scans (OCR costs ~7 s a page).
"""
from __future__ import annotations

import json
from collections import Counter

import pytest

import formats_corpus
from formats_check import labelled_numbers, norm, t2_values, t3_rows, t4_values
from formats_paths import SHARED
from nianbao.extract.ocr_repair import repair
from nianbao.sources import office, read

SEEDS = SHARED / "seeds" / "truth"


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
    built = formats_corpus.build(out, n, n_scans, seeds=_seed_records())
    return built


def _check(path: str, rec: dict, doc=None) -> list[str]:
    """What the document gets wrong about ``rec`` (empty: all in place)."""
    doc = doc if doc is not None else read(path)
    problems = []
    if rec.get("t3"):
        form = "2021" if any(k.startswith("other_") for k in rec["t3"]["rows"]) else "2019"
        rows, _ = t3_rows(doc, form)
        problems += [f"t3.{k}: {rows.get(k)} != {v}" for k, v in rec["t3"]["rows"].items() if rows.get(k) != v]
    if rec.get("t4") and t4_values(doc) != rec["t4"]:
        problems.append(f"t4: {t4_values(doc)} != {rec['t4']}")
    if rec.get("t2"):
        want = {k: v for k, v in rec["t2"].items() if k not in ("layout", "procurement_unit")}
        got = t2_values(doc, rec["t2"])
        if got != want:
            problems.append(f"t2: {got} != {want}")
    if rec.get("legacy"):
        got = labelled_numbers(doc)
        problems += [f"legacy.{k}" for k, v in rec["legacy"].items() if got.get(norm(k)) != v]
    return problems


@pytest.mark.parametrize("kind", ["chromium-pdf-noto", "chromium-pdf-wqy", "libreoffice-pdf", "docx", "doc"])
def test_text_layer_formats(corpus, kind):
    docs = [(p, r) for p, r in corpus["truth"].items() if corpus["kinds"][p] == kind]
    n, _ = formats_corpus.corpus_size()
    assert len(docs) >= (n // 2 if kind.startswith("chromium") else n)
    if kind == "doc":
        # DOC goes through LibreOffice: the whole set in one soffice call
        read_docs = office.read_many([p for p, _ in docs])
        assert all(not isinstance(d, Exception) for d in read_docs.values())
        failures = {p: probs for p, r in docs if (probs := _check(p, r, read_docs[p]))}
        assert not _check(docs[0][0], docs[0][1])  # and one alone, through read()
    else:
        failures = {p: probs for p, r in docs if (probs := _check(p, r))}
    # table 四 whose header cell a Chromium page break cuts in two is a known gap (see report)
    hard = {p: probs for p, probs in failures.items() if any(not x.startswith("t4") for x in probs)}
    assert not hard, json.dumps(hard, ensure_ascii=False, indent=1)[:3000]
    assert len(failures) <= max(1, len(docs) // 10)


def test_libreoffice_pdf_splits_table3(corpus):
    """The corpus really exercises stitching: most LibreOffice PDFs break table 三 over two pages."""
    split = 0
    lo = [p for p, r in corpus["truth"].items() if corpus["kinds"][p] == "libreoffice-pdf" and r.get("t3")]
    for p in lo:
        doc = read(p)
        t3 = next(t for t in doc.tables() if any("本年新收" in c.text for r in t.rows for c in r))
        split += len({c.origin.page for r in t3.rows for c in r}) > 1
    assert split >= len(lo) // 3


def test_seeds_rendered_exact(corpus):
    seeds = [p for p in corpus["truth"] if "seed-" in p]
    if not seeds:
        pytest.skip("no seed truth in ../shared")
    kinds = Counter(corpus["kinds"][p].split("-pdf")[0] for p in seeds)
    assert kinds["chromium"] >= 2 and kinds["docx"] >= 2
    failures = {p: probs for p in seeds if (probs := _check(p, corpus["truth"][p]))}
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)[:3000]


def test_scans_exact_or_flagged(corpus):
    scans = [(p, r) for p, r in corpus["truth"].items() if corpus["kinds"][p] in ("image", "scanned-pdf")]
    _, n_scans = formats_corpus.corpus_size()
    assert len(scans) >= n_scans - 1
    report = {}
    for path, rec in scans:
        doc = read(path)
        form = rec["meta"]["template"]
        rows, conf = t3_rows(doc, form)
        record = {"meta": {"template": form}, "t3": {"rows": {k: list(v) for k, v in rows.items()}}}
        findings = repair(record, conf)
        flagged = {c for f in findings if f["rule"] == "extract.ocr_unresolved" for c in f["cells"]}
        want = rec["t3"]["rows"]
        got = record["t3"]["rows"]
        wrong = {f"t3.{k}[{i}]" for k in want for i in range(7) if (got.get(k) or [None] * 7)[i] != want[k][i]}
        if wrong - flagged:
            report[path] = sorted(wrong - flagged)
        assert doc.ocr_pages
    assert not report, report
