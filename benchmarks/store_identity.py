"""Stored records before and after: the same files ingested by another revision and by this one read back the same.

    .venv/bin/python benchmarks/store_identity.py                     # baseline: the branch main
    .venv/bin/python benchmarks/store_identity.py --baseline REV --docs 300 --real ../shared/real

The baseline revision is exported (``git archive``) to a temporary folder and run from there
(in a child process, this virtualenv); this checkout runs the same ingest. Both stores are
then dumped through the public read API (every report's versions as ``get_report`` gives them,
their findings, the facts rows and the rollup, by names rather than ids: ``tests/store/kit.py``)
and compared as canonical JSON, byte for byte. Inputs: generated text reports (the generator's
corpus) and the real reports of ``../shared/real`` (text and HTML; ``--formats`` to add PDFs).
Prints the count compared and the first differences, if any; exit 1 when they differ.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r'''
import json, sys
sys.path.insert(0, sys.argv[4])
from nianbao.store import Store
import kit
store = Store.open(sys.argv[1])
folders = json.loads(sys.argv[2])
try:
    from nianbao.ingest import ingest_paths
    res = ingest_paths(store, folders, workers=1, timeout=300)
except ImportError:  # a revision where the store still drove extraction
    res = store.ingest_paths(folders, workers=1, timeout=300)
dump = kit.dump(store)
with open(sys.argv[3], "w", encoding="utf-8") as fh:
    json.dump({"stored": len(res.stored), "failed": len(res.failed),
               "reports": [[list(k), v] for k, v in sorted(dump["reports"].items(), key=lambda kv: repr(kv[0]))],
               "regions": dump["regions"], "agencies": dump["agencies"], "rollup": dump["rollup"]},
              fh, ensure_ascii=False, sort_keys=True, default=str)
'''


def run(code_root: Path, url: str, folders: list[str], out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code_root), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", CHILD, url, json.dumps(folders), str(out),
                           str(ROOT / "tests" / "store")], env=env, capture_output=True, text=True, cwd=code_root)
    if done.returncode:
        raise SystemExit(f"ingest in {code_root} failed:\n{done.stderr[-3000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def strip_times(obj):
    """Times of writing differ between two runs by nature: left out of the comparison."""
    if isinstance(obj, dict):
        return {k: strip_times(v) for k, v in obj.items() if k not in ("created_at", "stored_at", "reviewed_at")}
    if isinstance(obj, list):
        return [strip_times(v) for v in obj]
    return obj


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default=None,
                    help="git revision to compare with (default: where this branch left main, so that only the "
                         "store's changes are compared, not the extractor's)")
    ap.add_argument("--docs", type=int, default=200, help="generated text reports")
    ap.add_argument("--real", default=str(ROOT / ".." / "shared" / "real"))
    ap.add_argument("--formats", default=".txt,.html,.htm", help="suffixes of the real reports to take")
    args = ap.parse_args()
    if args.baseline is None:
        args.baseline = subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True,
                                       text=True, check=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="nianbao-identity-"))
    try:
        base = work / "baseline"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from store_speed import render_text
        from nianbao.generate.records import random_record
        gen = work / "generated"
        gen.mkdir()
        rng = random.Random(7)
        for i in range(args.docs):
            rec = random_record(rng, rng.choice(["2021", "2021", "2019"]))
            (gen / f"g{i:04d}.txt").write_text(render_text(rec), encoding="utf-8")
        folders = [str(gen)]
        real = Path(args.real)
        if real.is_dir():
            picked = work / "real"
            picked.mkdir()
            suffixes = tuple(s.strip() for s in args.formats.split(","))
            for f in sorted(real.rglob("*")):
                if f.is_file() and f.suffix.lower() in suffixes:
                    dest = picked / "_".join(f.relative_to(real).parts)
                    shutil.copyfile(f, dest)
            folders.append(str(picked))
        before = strip_times(run(base, f"sqlite:///{work / 'before.sqlite'}", folders, work / "before.json"))
        after = strip_times(run(ROOT, f"sqlite:///{work / 'after.sqlite'}", folders, work / "after.json"))
        a = json.dumps(before, ensure_ascii=False, sort_keys=True).encode("utf-8")
        b = json.dumps(after, ensure_ascii=False, sort_keys=True).encode("utf-8")
        print(f"baseline {args.baseline}: {before['stored']} stored, {before['failed']} failed; "
              f"this checkout: {after['stored']} stored, {after['failed']} failed")
        print(f"reports compared: {len(before['reports'])} and {len(after['reports'])}; dumps {len(a):,} and "
              f"{len(b):,} bytes")
        if a == b:
            print("identical: every report, version, finding, fact and rollup row reads back byte for byte the same")
            return
        rb = {json.dumps(k, ensure_ascii=False): v for k, v in before["reports"]}
        ra = {json.dumps(k, ensure_ascii=False): v for k, v in after["reports"]}
        diff = [k for k in sorted(set(rb) | set(ra)) if rb.get(k) != ra.get(k)]
        print(f"DIFFERENT: {len(diff)} reports differ, e.g. {diff[:5]}")
        for part in ("regions", "agencies", "rollup"):
            if before[part] != after[part]:
                print(f"  {part} differ")
        raise SystemExit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
