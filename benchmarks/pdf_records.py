#!/usr/bin/env python3
"""Records before and after a change of the PDF reader, file by file, and
the time each reader takes.

usage: .venv/bin/python benchmarks/pdf_records.py [--base REV] [--corpus N] [--scans M] [DIR ...]

The code of git revision REV (default ``main``) is exported to a temporary
folder and run beside this checkout's, each in its own child process, over
the PDFs and images of ../shared/real/pdf, ../shared/samples/formats and any
DIR given; ``--corpus N`` first builds the converter corpus of the format
tests (N generated reports, the seeds rendered by Chromium and LibreOffice,
M scans). Every record (``nianbao extract FILE --json``) is compared field by
field; what differs is printed by kind:

- values: a cell of 二/三/四 or the appendix, agency, year, template, date;
- findings: a finding added, dropped or changed;
- text: the text of a section or of the preamble (the lines that changed are shown);
- spans: where in the document text a value was printed (follows any text change);
- bbox: where on the page, in points (the largest difference is shown).

Where the file's truth is known (the corpus's records, ../shared/real/pdf/truth,
../shared/samples/formats/truth), each differing record is also judged
against it: how many values each reader got wrong. The last lines say how
many records are identical, how the differing ones stand against their
truth, and how fast each reader read the text-layer PDFs (pages per CPU
second, ``read()`` only).
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from formats_paths import SHARED  # noqa: E402

CHILD = r"""
import json, sys, time
from nianbao.extract import extract_document
from nianbao.sources import read
paths, out = json.loads(sys.argv[1]), sys.argv[2]
read(paths[0])  # imports
with open(out, "w", encoding="utf-8") as fh:
    for p in paths:
        t = time.process_time()
        try:
            doc = read(p)
            seconds = time.process_time() - t
            rec, pages, ocr = extract_document(doc), doc.pages or 1, bool(doc.ocr_pages) or doc.format == "image"
        except Exception as exc:
            rec, pages, seconds, ocr = {"error": f"{type(exc).__name__}: {exc}"}, 0, 0.0, False
        fh.write(json.dumps({"path": p, "record": rec, "pages": pages, "read_seconds": seconds, "ocr": ocr},
                            ensure_ascii=False) + "\n")
"""

BUILD = r"""
import json, sys
from pathlib import Path
sys.path.insert(0, "tests")
import formats_corpus
from formats_paths import SHARED
seeds = [(p.stem[:3], json.loads(p.read_text(encoding="utf-8")))
         for p in sorted((SHARED / "seeds" / "truth").glob("*.json"))]
built = formats_corpus.build(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), seeds=seeds, multipage=True)
(Path(sys.argv[1]) / "truth.json").write_text(json.dumps(built["truth"], ensure_ascii=False), encoding="utf-8")
print(len(built["truth"]))
"""

VALUE_KEYS = ("t2", "t3", "t4", "legacy", "meta")


def _diff(a, b, path=""):
    if type(a) is not type(b):
        yield path, a, b
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                yield f"{path}.{k}", a.get(k, "<absent>"), b.get(k, "<absent>")
            else:
                yield from _diff(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            yield f"{path}[len]", len(a), len(b)
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _diff(x, y, f"{path}[{i}]")
    elif a != b:
        yield path, a, b


def classify(before: dict, after: dict) -> dict[str, list]:
    out: dict[str, list] = {}
    for path, a, b in _diff(before, after):
        top = path.split(".")[1].split("[")[0] if path.count(".") else path
        if top in VALUE_KEYS:
            kind = "values"
        elif top == "findings":
            kind = "findings"
        elif top in ("sections", "preamble"):
            kind = "text"
        elif top == "provenance":
            kind = "bbox" if ".bbox" in path else "spans"
        else:
            kind = "other"
        out.setdefault(kind, []).append((path, a, b))
    return out


def _text_lines(rec: dict) -> list[str]:
    lines = (rec.get("preamble") or "").splitlines()
    for s in rec.get("sections") or []:
        lines += (s.get("text") or "").splitlines()
    return lines


def _wrong(truth: dict, record: dict) -> int:
    """Values of the record that differ from the truth (as the format tests judge)."""
    from nianbao.generate.compare import compare

    want = {k: truth.get(k) for k in ("t2", "t3", "t4", "legacy")}
    want["meta"] = {k: truth["meta"][k] for k in ("agency", "year", "template", "published")
                    if k in (truth.get("meta") or {})}
    return sum(1 for d in compare(want, record) if d[1] != "not ambiguous")


def _truths(paths: list[str], corpus_truth: dict) -> dict[str, dict]:
    out = {}
    for p in paths:
        if p in corpus_truth:
            out[p] = corpus_truth[p]
            continue
        known = Path(p).parent / "truth" / (Path(p).stem + ".json")
        if known.is_file():
            out[p] = json.loads(known.read_text(encoding="utf-8"))
    return out


def _files(dirs: list[Path]) -> list[str]:
    out = []
    for d in dirs:
        for p in sorted(d.rglob("*")):
            if p.is_file() and p.suffix.lower() in (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"):
                out.append(str(p))
    return out


def _run(code_dir: Path, paths: list[str], out: Path) -> dict[str, dict]:
    env = dict(os.environ, PYTHONPATH=str(code_dir))
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(paths), str(out)], cwd=code_dir, env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{code_dir}: {proc.stderr.strip()[-2000:]}")
    return {d["path"]: d for d in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--base", default="main", help="git revision of the reader before (default main)")
    ap.add_argument("--corpus", type=int, default=0, help="build the converter corpus of N reports first")
    ap.add_argument("--scans", type=int, default=0, help="scans in that corpus (OCR: seconds a page)")
    ap.add_argument("--show", type=int, default=8, help="differences shown per file and kind")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="nianbao-records-") as tmp:
        tmp = Path(tmp)
        base = tmp / "base"
        base.mkdir()
        archive = subprocess.run(["git", "archive", args.base, "nianbao"], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        dirs = [SHARED / "real" / "pdf", SHARED / "samples" / "formats"] + [Path(d) for d in args.dirs]
        if args.corpus:
            corpus = tmp / "corpus"
            built = subprocess.run([sys.executable, "-c", BUILD, str(corpus), str(args.corpus), str(args.scans)],
                                   cwd=ROOT, capture_output=True, text=True, check=True)
            print(f"corpus: {built.stdout.strip()} files")
            dirs += [corpus / "chromium", corpus / "lo" / "pdf", corpus / "scans", corpus / "multipage"]
        paths = _files([d for d in dirs if d.is_dir()])
        corpus_truth = {}
        if args.corpus:
            corpus_truth = json.loads((tmp / "corpus" / "truth.json").read_text(encoding="utf-8"))
        truths = _truths(paths, corpus_truth)
        before = _run(base, paths, tmp / "before.jsonl")
        after = _run(ROOT, paths, tmp / "after.jsonl")

    same = 0
    kinds: Counter = Counter()
    judged: Counter = Counter()
    for p in paths:
        a, b = before[p]["record"], after[p]["record"]
        found = classify(a, b)
        if not found:
            same += 1
            continue
        name = p.replace(str(SHARED), "../shared") if str(SHARED) in p else Path(p).name
        verdict = ""
        if p in truths and "error" not in a and "error" not in b:
            wa, wb = _wrong(truths[p], a), _wrong(truths[p], b)
            judged["right before" if not wa else "wrong before"] += 1
            judged["right after" if not wb else "wrong after"] += 1
            verdict = f"  [against its truth: {wa} values wrong before, {wb} after]"
        print(f"{name}: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(found.items())) + verdict)
        for kind, items in sorted(found.items()):
            kinds[kind] += 1
            if kind == "bbox":
                delta = max((abs(x - y) for _, x, y in items if isinstance(x, (int, float))
                             and isinstance(y, (int, float))), default=None)
                print(f"    bbox: {len(items)} coordinates, largest change {delta} pt")
            elif kind == "spans":
                print(f"    spans: {len(items)} offsets moved")
            elif kind == "text":
                for line in list(difflib.unified_diff(_text_lines(a), _text_lines(b), lineterm="", n=0))[2:]:
                    if not line.startswith("@@"):
                        print(f"    text {line[:160]}")
            else:
                for path, x, y in items[:args.show]:
                    print(f"    {kind} {path}: {str(x)[:80]} → {str(y)[:80]}")
    print(f"records identical: {same} of {len(paths)}; files with differences by kind: "
          + (", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none"))
    if judged:
        print("differing records with a known truth: "
              f"{judged['right before']} right and {judged['wrong before']} wrong before, "
              f"{judged['right after']} right and {judged['wrong after']} wrong after")
    for label, side in (("before", before), ("after", after)):
        who = args.base if label == "before" else "this checkout"
        text = [d for d in side.values() if d["pages"] and not d.get("ocr")]
        pages, seconds = sum(d["pages"] for d in text), sum(d["read_seconds"] for d in text)
        if seconds:
            print(f"read() {label} ({who}): {pages} text-layer pages in {seconds:.2f} CPU s, "
                  f"{pages / seconds:.1f} pages/s")
        scans = [d for d in side.values() if d["pages"] and d.get("ocr")]
        pages, seconds = sum(d["pages"] for d in scans), sum(d["read_seconds"] for d in scans)
        if seconds:
            print(f"read() {label} ({who}): {pages} scanned pages in {seconds:.2f} CPU s, "
                  f"{seconds / pages:.2f} s/page (CPU of all the OCR engine's threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
