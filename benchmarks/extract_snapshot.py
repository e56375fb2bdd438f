"""Extraction results of a fixed set of inputs, saved to compare two versions of the code.

    .venv/bin/python benchmarks/extract_snapshot.py save before.jsonl      # on the old code
    .venv/bin/python benchmarks/extract_snapshot.py save after.jsonl       # on the new code
    .venv/bin/python benchmarks/extract_snapshot.py diff before.jsonl after.jsonl

The inputs: ../shared/seeds, ../shared/real (every file), ../shared/samples/formats and the
generated corpus (``--generated N`` documents per shape, default 100, seeds 0..N-1). ``diff``
prints every input whose values (meta, tables) or findings changed, and, for the generated ones,
whether the old or the new record matches the truth. A snapshot line holds what extraction gave
(values, finding rules and their cells), the seconds it took and, when the code has search
budgets (nianbao.extract.budget), the most work one table took.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT / ".." / "shared"
SUFFIXES = {".txt", ".html", ".htm", ".pdf", ".docx", ".doc", ".wps", ".png", ".jpg", ".tif", ".tiff"}


def inputs(generated: int):
    """(name, how to extract it) for every input of the snapshot."""
    for folder in ("seeds", "real", "samples/formats"):
        base = SHARED / folder
        if not base.is_dir():
            continue
        for p in sorted(base.rglob("*")):
            if p.is_file() and p.suffix.lower() in SUFFIXES:
                yield f"{folder}/{p.relative_to(base)}", ("path", str(p))
    if generated:
        from nianbao.generate.render import SHAPES
        for shape in SHAPES:
            for seed in range(generated):
                yield f"generated/{shape}/{seed}", ("generated", shape, seed)


def _essence(rec: dict) -> dict:
    """What a change of the extractor may change: values and findings, not timings or paths."""
    keep = {k: rec.get(k) for k in ("meta", "t2", "t3", "t4", "legacy")}
    keep["findings"] = sorted((f["rule"], tuple(f.get("cells") or ())) for f in rec.get("findings", []))
    return json.loads(json.dumps(keep, ensure_ascii=False, sort_keys=True, default=str))


def save(out: Path, generated: int) -> None:
    from nianbao.extract import extract_bytes, extract_path
    from nianbao.sources import SourceError
    try:
        from nianbao.extract import budget
    except ImportError:
        budget = None
    n = 0
    with open(out, "w", encoding="utf-8") as fh:
        for name, how in inputs(generated):
            truth = None
            if budget is not None:
                budget.reset_peak()
            t0 = time.perf_counter()
            try:
                if how[0] == "path":
                    rec = extract_path(how[1])
                else:
                    from nianbao.generate.render import generate
                    doc = generate(how[1], how[2])
                    t0 = time.perf_counter()
                    rec = extract_bytes(doc.data, doc.path, doc.fmt)
                    from nianbao.generate.compare import compare
                    truth = len(compare(doc.truth, rec))
                line = {"name": name, "record": _essence(rec)}
            except SourceError as exc:
                line = {"name": name, "error": f"{type(exc).__name__}: {getattr(exc, 'reason', '')}"}
            except Exception as exc:  # a crash is a result to compare too
                line = {"name": name, "crash": f"{type(exc).__name__}: {exc}"[:300]}
            line["seconds"] = round(time.perf_counter() - t0, 3)
            if budget is not None:
                line["work"] = budget.peak()
            if truth is not None:
                line["diffs"] = truth  # cells that differ from the truth (0: right)
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            n += 1
            if n % 100 == 0:
                print(f"{n} inputs", file=sys.stderr, flush=True)
    print(f"{n} inputs → {out}")


def _load(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return {d["name"]: d for d in map(json.loads, fh)}


def diff(a_path: Path, b_path: Path) -> int:
    a, b = _load(a_path), _load(b_path)
    changed = better = worse = 0
    for name in a.keys() | b.keys():
        x, y = a.get(name), b.get(name)
        if x is None or y is None:
            print(f"{name}: only in {'after' if x is None else 'before'}")
            changed += 1
            continue
        key = lambda d: (d.get("record"), d.get("error"), d.get("crash"))  # noqa: E731
        if key(x) == key(y):
            continue
        changed += 1
        verdict = ""
        if "diffs" in x or "diffs" in y:
            right_a, right_b = x.get("diffs") == 0, y.get("diffs") == 0
            verdict = {(True, False): " WORSE (was right)", (False, True): " better (now right)"}.get(
                (right_a, right_b), "")
            better += verdict.startswith(" better")
            worse += verdict.startswith(" WORSE")
        print(f"{name}:{verdict}")
        for part in ("error", "crash"):
            if x.get(part) != y.get(part):
                print(f"   {part}: {x.get(part)} → {y.get(part)}")
        ra, rb = x.get("record") or {}, y.get("record") or {}
        for k in sorted(ra.keys() | rb.keys()):
            if ra.get(k) != rb.get(k):
                print(f"   {k}: {json.dumps(ra.get(k), ensure_ascii=False)[:300]}")
                print(f"   {'→':>{len(k)}}  {json.dumps(rb.get(k), ensure_ascii=False)[:300]}")
    secs = lambda d: sum(v["seconds"] for v in d.values())  # noqa: E731
    works = [v["work"] for v in b.values() if v.get("work") is not None]
    print(f"{len(a)} before, {len(b)} after: {changed} changed ({better} now right, {worse} no longer right); "
          f"seconds {secs(a):.1f} → {secs(b):.1f}")
    if works:
        print(f"most search work one table took (after): {max(works):,}")
    return 1 if worse else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("save")
    s.add_argument("out", type=Path)
    s.add_argument("--generated", type=int, default=100, help="generated documents per shape")
    d = sub.add_parser("diff")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    args = ap.parse_args(argv)
    os.environ.setdefault("NIANBAO_MAX_OCR_PAGES", "12")
    if args.cmd == "save":
        save(args.out, args.generated)
        return 0
    return diff(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
