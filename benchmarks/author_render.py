"""How long writing a report's files takes: DOCX (python-docx), HTML, PDF (LibreOffice, one batch), and the
live check of a draft (what the 编制 page runs on every keystroke). Prints figures; not a test.

    .venv/bin/python benchmarks/author_render.py [--docs 40]
"""
from __future__ import annotations

import argparse
import random
import statistics
import time

from nianbao.author.checks import check_draft, copy_rates
from nianbao.author.draft import new_draft, normalise, set_values, to_record
from nianbao.author.render_docx import render_docx
from nianbao.author.render_html import render_html
from nianbao.author.render_pdf import docx_to_pdf_many
from nianbao.author.workbook import write_workbook
from nianbao.generate import random_record
from nianbao.generate.sections import add_prose


def _ms(fn, items) -> tuple[float, float]:
    times = []
    for it in items:
        t = time.perf_counter()
        fn(it)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=40)
    args = ap.parse_args()
    records = []
    for seed in range(args.docs):
        rng = random.Random(seed)
        rec = random_record(rng, ("2021", "2019")[seed % 2])
        add_prose(rng, rec)
        records.append(to_record({"record": normalise(rec), "contact": ""}))
    drafts = []
    for rec in records[:10]:
        d = new_draft(rec["meta"]["agency"], rec["meta"]["year"] + 1, previous=rec)
        set_values(d, {"t3.new[0]": 3})
        drafts.append(d)
    print(f"{args.docs} generated records (both forms)")
    for name, fn, items in (("html", render_html, records), ("docx", render_docx, records),
                            ("xlsx workbook", write_workbook, drafts),
                            ("live check (check_draft + copy_rates)", lambda d: (check_draft(d), copy_rates(d)), drafts)):
        med, worst = _ms(fn, items)
        print(f"  {name:40s} median {med:7.1f} ms   max {worst:7.1f} ms")
    docx = {f"r{i}": render_docx(r) for i, r in enumerate(records)}
    t = time.perf_counter()
    pdfs = docx_to_pdf_many(docx)
    spent = time.perf_counter() - t
    ok = sum(1 for v in pdfs.values() if v)
    print(f"  {'pdf (LibreOffice, one batch)':40s} {spent / len(docx) * 1000:7.1f} ms a file, {ok}/{len(docx)} converted, "
          f"{spent:.1f} s in all")


if __name__ == "__main__":
    main()
