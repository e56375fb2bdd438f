"""Extraction speed of two versions of the code, A/B on the same bytes, and a check that they agree.

    .venv/bin/python benchmarks/extract_ab.py --base a4529c1            # speed: base vs this checkout
    .venv/bin/python benchmarks/extract_ab.py --base main --check       # records byte-identical?

The base revision is unpacked (``git archive``) into a temporary folder; each version runs in a
worker process of its own, with its tree first on ``sys.path`` and this checkout's venv. One corpus
is generated with this checkout's generator (``nianbao.generate``): ``--rounds`` sets of ``-n``
documents per shape, each round with seeds of its own, so that no cache of either version is
ever warm for a document it is timed on. Per round and shape the two workers extract the same
documents one after the other (the order alternates), each timing ``extract_bytes`` with
``time.process_time`` (its own CPU time, which the machine's other jobs do not inflate as much as
wall-clock). Printed: the median over rounds of CPU docs/s for base and new, and the median of
the per-round ratios new/base (paired rounds cancel most of the noise of a shared machine),
with the load average before and after.

``--check`` extracts every input with both versions and compares the whole records, serialised
(``json.dumps``, keys sorted): the generated corpus (every shape), ../shared/seeds,
../shared/real/pingtan, ../shared/real/pdf and the text and HTML files of
../shared/samples/formats. Exit status 1 if any record differs, and the differing keys are printed.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
CHECK_FOLDERS = (("seeds", None), ("real/pingtan", None), ("real/pdf", None),
                 ("samples/formats", {".txt", ".html", ".htm"}))
SUFFIXES = {".txt", ".html", ".htm", ".pdf"}


# ---------------------------------------------------------------- worker side

def _worker(tree: str, corpus_file: str) -> int:
    sys.path.insert(0, tree)
    import nianbao
    if not Path(nianbao.__file__).resolve().is_relative_to(Path(tree).resolve()):
        print(json.dumps({"error": f"nianbao imported from {nianbao.__file__}, not {tree}"}), flush=True)
        return 2
    from nianbao.extract import extract_bytes, extract_path
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    except (AttributeError, OSError):
        pass
    with open(corpus_file, "rb") as fh:
        corpus = pickle.load(fh)   # {"rounds": [{shape: [(data, path, fmt)]}], "paths": [...]}
    try:
        from nianbao.generate.render import SHAPES
    except ImportError:
        SHAPES = ()
    print(json.dumps({"ready": nianbao.__file__, "shapes": list(SHAPES)}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "time":
            docs = corpus["rounds"][cmd["round"]][cmd["shape"]]
            gc.collect()
            errors = 0
            w0, c0 = time.perf_counter(), time.process_time()
            for data, path, fmt in docs:
                try:
                    extract_bytes(data, path, fmt)
                except Exception:
                    errors += 1
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            print(json.dumps({"cpu": cpu, "wall": wall, "docs": len(docs), "errors": errors}), flush=True)
        elif cmd["op"] == "records":
            out = Path(cmd["out"])
            hashes = {}
            with open(out, "w", encoding="utf-8") as fh:
                for name, how in _check_inputs(corpus):
                    try:
                        rec = extract_path(how) if isinstance(how, str) else extract_bytes(*how)
                        text = json.dumps(rec, ensure_ascii=False, sort_keys=True, default=str)
                    except Exception as exc:   # a failure is a result to compare too
                        text = json.dumps({"exception": type(exc).__name__, "message": str(exc)},
                                          ensure_ascii=False)
                    hashes[name] = hashlib.sha256(text.encode()).hexdigest()
                    fh.write(json.dumps({"name": name, "record": text}, ensure_ascii=False) + "\n")
            print(json.dumps({"hashes": hashes}), flush=True)
        elif cmd["op"] == "quit":
            break
    return 0


def _check_inputs(corpus):
    for r, shapes in enumerate(corpus["rounds"]):
        for shape, docs in shapes.items():
            for i, doc in enumerate(docs):
                yield f"generated/{r}/{shape}/{i}", doc
    for name in corpus["paths"]:
        yield name, name


# ---------------------------------------------------------------- parent side

class Worker:
    def __init__(self, label: str, tree: Path, corpus_file: Path):
        self.label = label
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", str(tree), str(corpus_file)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tempfile.gettempdir())
        reply = self.ask(None)
        if "ready" not in reply:
            raise SystemExit(f"{label}: {reply.get('error', reply)}")
        self.module = reply["ready"]
        self.shapes = reply["shapes"]   # the shapes this version's generator makes

    def ask(self, cmd):
        if cmd is not None:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"{self.label}: worker died (exit {self.proc.wait()})")
        return json.loads(line)

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        self.proc.wait(timeout=60)


def unpack(rev: str, into: Path) -> Path:
    """The tree of ``rev`` (any git revision) under ``into``; a folder is used as it is."""
    if Path(rev).is_dir():
        return Path(rev).resolve()
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", rev + "^{commit}"],
                         capture_output=True, text=True, check=True).stdout.strip()
    dest = into / sha[:12]
    with subprocess.Popen(["git", "-C", str(ROOT), "archive", sha, "nianbao"], stdout=subprocess.PIPE) as p:
        with tarfile.open(fileobj=p.stdout, mode="r|") as tar:
            tar.extractall(dest, filter="data")
    return dest


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return _worker(sys.argv[2], sys.argv[3])
    sys.path.insert(0, str(ROOT))
    from nianbao.generate.render import SHAPES, generate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision (or folder holding nianbao/) to compare against")
    ap.add_argument("--new", default=str(ROOT), help="folder holding the new nianbao/ (default: this checkout)")
    ap.add_argument("-n", type=int, default=80, help="documents per shape and round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--check", action="store_true",
                    help="compare the records of both versions instead of timing them")
    ap.add_argument("--keep", type=Path, help="with --check: folder to keep both versions' records in")
    args = ap.parse_args(argv)
    shapes = [s for s in args.shapes.split(",") if s]

    with tempfile.TemporaryDirectory(prefix="nianbao-ab-") as tmp:
        tmp = Path(tmp)
        base_tree, new_tree = unpack(args.base, tmp), Path(args.new).resolve()
        t0 = time.perf_counter()
        rounds = [{s: [(d.data, d.path, d.fmt) for d in (generate(s, r * args.n + i) for i in range(args.n))]
                   for s in shapes} for r in range(args.rounds + (not args.check))]   # (+1: the warm-up)
        paths = []
        if args.check:
            for folder, suffixes in CHECK_FOLDERS:
                base = SHARED / folder
                if base.is_dir():
                    paths += [str(p.resolve()) for p in sorted(base.rglob("*"))
                              if p.is_file() and p.suffix.lower() in (suffixes or SUFFIXES)]
        corpus_file = tmp / "corpus.pickle"
        with open(corpus_file, "wb") as fh:
            pickle.dump({"rounds": rounds, "paths": paths}, fh)
        print(f"corpus: {args.rounds} rounds × {len(shapes)} shapes × {args.n} documents "
              f"(+{len(paths)} files) generated in {time.perf_counter() - t0:.0f} s")
        base, new = Worker("base", base_tree, corpus_file), Worker("new", new_tree, corpus_file)
        print(f"base: {args.base} ({base.module})\nnew:  {new.module}")
        try:
            if args.check:
                return check(base, new, args.keep or tmp)
            return speed(base, new, shapes, args.rounds)
        finally:
            base.close()
            new.close()


def check(base: Worker, new: Worker, keep: Path) -> int:
    keep.mkdir(parents=True, exist_ok=True)
    got = {}
    for w in (base, new):
        t0 = time.perf_counter()
        got[w.label] = w.ask({"op": "records", "out": str(keep / f"{w.label}.jsonl")})["hashes"]
        print(f"{w.label}: {len(got[w.label])} records in {time.perf_counter() - t0:.0f} s")
    differ = sorted(n for n in got["base"].keys() | got["new"].keys()
                    if got["base"].get(n) != got["new"].get(n))
    if differ:
        recs = {}
        for label in ("base", "new"):
            with open(keep / f"{label}.jsonl", encoding="utf-8") as fh:
                recs[label] = {d["name"]: json.loads(d["record"]) for d in map(json.loads, fh) if d["name"] in differ}
        for name in differ:
            a, b = recs["base"].get(name, {}), recs["new"].get(name, {})
            keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
            print(f"DIFFERS {name}: {', '.join(keys)}")
            for k in keys[:4]:
                print(f"   base {k}: {json.dumps(a.get(k), ensure_ascii=False)[:240]}")
                print(f"   new  {k}: {json.dumps(b.get(k), ensure_ascii=False)[:240]}")
    print(f"{len(got['new']) - len(differ)} identical, {len(differ)} different"
          + (f" (records in {keep})" if differ else ""))
    return 1 if differ else 0


def speed(base: Worker, new: Worker, shapes: list[str], n_rounds: int) -> int:
    print(f"load average before: {load()}")
    # warm-up: imports, caches of the template and regexes, on documents never timed
    for w in (base, new):
        for s in shapes:
            w.ask({"op": "time", "round": n_rounds, "shape": s})
    cpu = {w.label: {s: [] for s in shapes} for w in (base, new)}
    docs = {s: 0 for s in shapes}
    errors = {"base": 0, "new": 0}
    for r in range(n_rounds):
        for i, s in enumerate(shapes):
            pair = (base, new) if (r + i) % 2 == 0 else (new, base)
            for w in pair:
                got = w.ask({"op": "time", "round": r, "shape": s})
                cpu[w.label][s].append(got["cpu"])
                errors[w.label] += got["errors"]
                docs[s] = got["docs"]
        print(f"  round {r + 1}/{n_rounds} done, load {load()}", file=sys.stderr, flush=True)
    print(f"{'shape':<16}{'docs':>6}{'base d/s':>10}{'new d/s':>10}{'new/base':>10}{'min':>7}{'max':>7}")
    for s in shapes:
        b, n = cpu["base"][s], cpu["new"][s]
        ratios = [bb / nn for bb, nn in zip(b, n)]
        print(f"{s:<16}{docs[s]:>6}{docs[s] / statistics.median(b):>10.0f}{docs[s] / statistics.median(n):>10.0f}"
              f"{statistics.median(ratios):>10.2f}{min(ratios):>7.2f}{max(ratios):>7.2f}")
    groups = [("all", shapes)]
    known = [s for s in shapes if s in base.shapes]
    if known != shapes and known:
        groups.append(("base's shapes", known))   # the shapes the base version was made for
    for label, group in groups:
        total = sum(docs[s] for s in group)
        b = [sum(cpu["base"][s][r] for s in group) for r in range(n_rounds)]
        n = [sum(cpu["new"][s][r] for s in group) for r in range(n_rounds)]
        ratios = [bb / nn for bb, nn in zip(b, n)]
        print(f"{label:<16}{total:>6}{total / statistics.median(b):>10.0f}{total / statistics.median(n):>10.0f}"
              f"{statistics.median(ratios):>10.2f}{min(ratios):>7.2f}{max(ratios):>7.2f}")
    print(f"(CPU docs/s, median of {n_rounds} rounds; new/base: median of per-round speed ratios)")
    if any(errors.values()):
        print(f"exceptions: base {errors['base']}, new {errors['new']}")
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
