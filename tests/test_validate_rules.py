"""The validator's rules one by one: identities from the template, seeds, timeliness, prose scope,
fees, cross-year, the catalogue and its documentation."""
from __future__ import annotations

import contextlib
import copy
import json
import random
from pathlib import Path

import pytest

from nianbao import template
from nianbao.generate import random_record
from nianbao.generate.sections import add_prose
from nianbao.template import CellRef, Identity, identities
from nianbao.validate import RULES, arithmetic, check, cross_year
from nianbao.validate.prose import claims

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the clone (CI); a worktree one level deeper finds it one level further up.
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "seeds").is_dir()), ROOT.parent / "shared")
SEEDS = SHARED / "seeds"


def clean(seed, form="2021", **kw):
    rng = random.Random(seed)
    rec = random_record(rng, form, scale="medium", **kw)
    add_prose(rng, rec)
    rec["meta"]["published"] = f"{rec['meta']['year'] + 1}-01-15"
    return rec


def rules_of(findings, severity=None):
    return [f["rule"] for f in findings if severity is None or f["severity"] == severity]


# ------------------------------------------------------------------ identities come from the template


@pytest.mark.parametrize("form", ["2021", "2019"])
def test_every_template_identity_is_checked_on_each_of_its_cells(form):
    rec = clean(11, form)
    for ident in identities(form):
        for ref in ident.cells:
            bad = copy.deepcopy(rec)
            table = bad["t3"]["rows"] if ref.table == "t3" else bad["t4"]
            table[ref.key][ref.index] += 3
            hits = [f for f in check(bad) if f["rule"] == "arith." + ident.rule
                    and f["cells"] == [str(c) for c in ident.cells]]
            assert len(hits) == 1, (ident.description, str(ref))


def test_arithmetic_rules_are_generated_not_written(monkeypatch):
    ids = {"arith." + i.rule for form in ("2021", "2019") for i in identities(form)}
    assert ids == set(arithmetic.IDENTITY_RULES)
    # An identity the template gains is checked without touching the validator.
    extra = Identity("t3.invented", (CellRef("t3", "granted", 0),), (CellRef("t3", "partial", 0),),
                     "表三 予以公开 = 部分公开（测试）", "test identity")
    monkeypatch.setattr(arithmetic, "identities", lambda form: template.identities(form) + [extra])
    rec = clean(12)
    rows = rec["t3"]["rows"]
    rows["granted"][0] = rows["partial"][0] + 1  # granted ≠ partial: the invented identity breaks
    try:
        got = [f for f in check(rec) if f["rule"] == "arith.t3.invented"]
    finally:
        RULES.pop("arith.t3.invented", None)
    assert len(got) == 1
    if got:
        assert got[0]["cells"] == ["t3.granted[0]", "t3.partial[0]"]


def test_negative_and_fractional_counts():
    rec = clean(13, "2019")
    rec["t2"]["licensing"][1] = -4          # 本年增/减 may be negative
    assert "arith.negative" not in rules_of(check(rec))
    rec["t2"]["licensing"][0] = -1          # 上一年项目数量 may not
    rec["t2"]["regulations"][0] = 2.5
    found = {f["rule"]: f["cells"] for f in check(rec)}
    assert found["arith.negative"] == ["t2.licensing[0]"]
    assert found["arith.not_integer"] == ["t2.regulations[0]"]


def test_odd_values_do_not_crash():
    rec = clean(14)
    rec["t3"]["rows"]["granted"][2] = "?"
    rec["t4"]["reconsideration"] = ["x", None, 1, 2, 3]
    rec["sections"].append({"number": None, "title": None, "text": None})
    found = check(rec)
    assert "validate.failed" not in rules_of(found)


# ------------------------------------------------------------------ the seeds' ground truth


def truth(name):
    rec = json.loads((SEEDS / "truth" / f"{name}.json").read_text(encoding="utf-8"))
    rec.setdefault("findings", [])
    return rec


def test_seed_truth_present():
    assert len(list((SEEDS / "truth").glob("*.json"))) == 5, SEEDS


@pytest.mark.parametrize("path", sorted((SEEDS / "truth").glob("*.json")), ids=lambda p: p.stem[:3])
def test_seed_truth_has_no_false_arithmetic_error(path):
    found = check(truth(path.stem))
    assert not [f for f in found if f["rule"].startswith("arith.") and f["severity"] == "error"]
    for f in found:
        assert f["cells"] and f["evidence"], f


def test_seed_000_gets_the_form_finding():
    found = check(truth("000_3c155908ceb5ee0f"))
    layout = [f for f in found if f["rule"] == "form.layout_year"]
    assert layout and layout[0]["cells"] == ["t3.other"] and layout[0]["severity"] == "error"
    assert "form.mixed" in rules_of(found)


# ------------------------------------------------------------------ timeliness


@pytest.mark.parametrize("agency,kind,year,published,late", [
    ("某市人力资源和社会保障局", None, 2022, "2023-02-10", True),       # department: 31 January
    ("某市人力资源和社会保障局", None, 2022, "2023-01-31", False),
    ("某县人民政府", None, 2022, "2023-03-20", False),                  # government summary: 31 March
    ("某县人民政府", None, 2022, "2023-04-01", True),
    ("某县人民政府办公室", None, 2022, "2023-02-15", False),            # unclear: the lenient deadline
    ("某县人民政府办公室", "department", 2022, "2023-02-15", True),     # stated kind wins
    ("某县教育局", None, 2017, "2018-03-15", False),                   # 2008 Regulations: 31 March
    ("某县教育局", None, 2017, "2018-04-02", True),
    (None, None, 2022, "2023-03-01", False),
])
def test_deadlines(agency, kind, year, published, late):
    rec = clean(15)
    rec["meta"].update(agency=agency, year=year, published=published)
    rec["meta"].pop("kind")
    if kind:
        rec["meta"]["kind"] = kind
    got = [f for f in check(rec) if f["rule"] == "time.late"]
    assert bool(got) == late
    if got:
        assert got[0]["cells"] == ["meta.published"] and published in got[0]["evidence"]


# ------------------------------------------------------------------ prose


def with_text(text, *, t3_new=5, recon=0, year=2022):
    rec = clean(16)
    rec["meta"]["year"] = year
    rows = rec["t3"]["rows"]
    rec["preamble"] = ""
    rec["sections"] = [{"number": "一", "title": "总体情况", "text": text}]
    return rec, rows


def prose_findings(rec):
    return [f for f in check(rec) if f["rule"].startswith("prose.")]


def test_prose_scope_decides_the_severity():
    rec, rows = with_text("")
    n = rows["new"][6]
    rec["sections"][0]["text"] = f"2022年，我局共收到政府信息公开申请{n + 3}件。"
    assert [f["rule"] for f in prose_findings(rec)] == ["prose.mismatch"]
    rec["sections"][0]["text"] = f"2022年，全市共收到政府信息公开申请{n + 3}件。"
    assert [f["rule"] for f in prose_findings(rec)] == ["prose.mismatch_scope"]
    # received including carried-over cases is the same count in another reading: no finding
    rec["sections"][0]["text"] = f"2022年，我局共收到政府信息公开申请{n + rows['carried'][6]}件。"
    assert prose_findings(rec) == []


def test_prose_reads_parts_comparisons_and_other_years_as_such():
    rec, rows = with_text("")
    n = rows["new"][6]
    rec["sections"][0]["text"] = (
        f"2022年，我局共收到政府信息公开申请{n}件，其中本级收到政府信息公开申请{n + 40}件。"
        f"2021年我局收到申请{n + 7}件。收到申请数量同比增长12件。"
        f"有两件行政复议案件败诉。我局通过网络收到申请{n + 2}件。")
    assert prose_findings(rec) == []
    assert [c.kind for c in claims(rec)] == ["received"]


def test_prose_zero_statements_and_chinese_numbers():
    rec, rows = with_text("")
    rec["t4"]["reconsideration"] = [1, 1, 0, 0, 2]
    rec["sections"][0]["text"] = "本年度本机关未发生因政府信息公开引起的行政复议、行政诉讼案件。"
    lit = rec["t4"]["litigation_direct"][4] + rec["t4"]["litigation_after_reconsideration"][4]
    found = prose_findings(rec)
    expected = {("prose.mismatch", ("t4.reconsideration[4]",))}
    if lit:
        expected.add(("prose.mismatch", ("t4.litigation_direct[4]", "t4.litigation_after_reconsideration[4]")))
    assert {(f["rule"], tuple(f["cells"])) for f in found} == expected
    rec["sections"][0]["text"] = "全年有两件针对本局的政府信息公开行政复议案件。"
    assert prose_findings(rec) == []


def test_prose_in_pdf_flattened_text():
    rec, rows = with_text("")
    rec["sections"][0]["text"] = (f"2022 年,我局共收到政府信息公开申请 {rows['new'][6] + 1} 件,予以公开 "
                                  f"{rows['granted'][6]} 件。")
    found = prose_findings(rec)
    assert [f["cells"] for f in found] == [["t3.new[6]"]]
    assert f"{rows['new'][6] + 1}件" in found[0]["evidence"]


# ------------------------------------------------------------------ fees, period, sections


def test_fee_statement_variants():
    rec = clean(17)
    six = next(s for s in rec["sections"] if s["number"] == "六")
    for text, rule in [("本年度本机关未收取政府信息公开处理费。", None), ("均未收取信息处 理费。", None),
                       ("本年度无其他需要报告的事项。", "fees.silent"),
                       ("工作经费用于平台建设。", "fees.silent")]:
        six["text"] = text
        got = [f["rule"] for f in check(rec) if f["rule"].startswith("fees.")]
        assert got == ([rule] if rule else []), text
    six["text"] = "本年度无其他需要报告的事项。"
    rec["sections"][2]["text"] += "所有申请均未收取费用。"
    assert [f["rule"] for f in check(rec) if f["rule"].startswith("fees.")] == ["fees.misplaced"]


def test_period_statements():
    rec = clean(18)
    y = rec["meta"]["year"]
    rec["preamble"] = f"本报告所列数据的统计期限自 {y} 年 1 月 1 日起至 {y} 年 12 月 31 日止。"
    assert "form.period" not in rules_of(check(rec))
    rec["preamble"] = f"本报告中所列数据的统计期限为{y - 1}年1月1日至{y - 1}年12月31日。"
    assert "form.period" in rules_of(check(rec))
    rec["preamble"] = ""
    rec["meta"]["period"] = {"start": f"{y}-01-01", "end": f"{y}-06-30"}
    assert "form.period" in rules_of(check(rec))


def test_unnumbered_heading_counts_as_section():
    rec = clean(19)
    two = rec["sections"].pop(1)
    rec["sections"][0]["text"] += f"\n{two['title']}\n{two['text']}"
    assert "form.missing_section" not in rules_of(check(rec))


# ------------------------------------------------------------------ cross-year


def pair(seed=20):
    prev = clean(seed, "2021", year=2022)
    cur = copy.deepcopy(prev)
    cur["meta"]["year"] = 2023
    return prev, cur


def test_cross_year_identical_tables_and_copied_prose():
    prev, cur = pair()
    found = {f["rule"] for f in cross_year(prev, cur)}
    assert {"cross.identical_tables", "cross.copied_prose"} <= found
    copied = next(f for f in cross_year(prev, cur) if f["rule"] == "cross.copied_prose")
    assert copied["copy_rate"] > 0.9
    other = clean(21, "2021", year=2023)
    for s in other["sections"]:
        s["text"] = "今年的工作重点转向基层公开标准化建设，新开设专题栏目并组织培训" + s["number"] * 3 + "。"
    assert "cross.copied_prose" not in {f["rule"] for f in cross_year(prev, other)}


def test_cross_year_all_zero_tables_are_not_suspicious():
    prev, cur = pair()
    for rec in (prev, cur):
        for key in rec["t4"]:
            rec["t4"][key] = [0] * 5
    assert not [f for f in cross_year(prev, cur)
                if f["rule"] == "cross.identical_tables" and f["cells"] == ["t4"]]


def test_cross_year_in_force_and_years():
    prev, cur = pair()
    for key in ("regulations", "normative_docs"):
        cur["t2"][key] = [3, 1, prev["t2"][key][2] + 2]
    assert not [f for f in cross_year(prev, cur) if f["rule"] == "cross.in_force"]
    cur["t2"]["normative_docs"][2] += 5
    got = [f for f in cross_year(prev, cur) if f["rule"] == "cross.in_force"]
    assert got and got[0]["cells"][0] == "t2.normative_docs[2]"
    cur["t3"]["rows"]["carried"][0] += 1
    assert "cross.carry_over" in {f["rule"] for f in cross_year(prev, cur)}
    cur["meta"]["year"] = 2025  # not consecutive: no carry-over, no continuity
    assert not {"cross.carry_over", "cross.in_force"} & {f["rule"] for f in cross_year(prev, cur)}


# ------------------------------------------------------------------ catalogue and docs


def test_catalogue_is_complete_and_documented():
    doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rid, r in RULES.items():
        assert r.severity in ("error", "warning", "info")
        assert r.title and r.title_en and r.description and r.description_en
        assert f"`{rid}`" in doc, f"{rid} missing from docs/rules.md"
    # The catalogue part of the docs is generated: regenerate it when a rule changes.
    from nianbao.validate.rules import catalogue_markdown
    assert catalogue_markdown() in doc, "docs/rules.md is out of date: paste catalogue_markdown() under the marker"


# ------------------------------------------------------------------ pre-2019 appendices, extractor findings


def test_prose_against_an_appendix():
    rng = random.Random(22)
    rec = random_record(rng, "pre2019", 2016)
    rec["legacy"] = {"受理政府信息公开申请总数": [3, 40], "行政复议数": [0, 2], "行政诉讼数": [0, 0]}
    rec["sections"] = [
        {"number": "三", "title": "政府信息依申请公开办理情况",
         "text": "2016年，我局共受理政府信息公开申请3件。《条例》实施以来，我局未收到政府信息公开申请。"},
        {"number": "四", "title": "行政复议、行政诉讼情况",
         "text": "《条例》实施以来，我局未发生因政府信息公开产生的行政复议、行政诉讼案件。"}]
    got = {(f["rule"], tuple(f["cells"])) for f in check(rec) if f["rule"].startswith("prose.")}
    assert got == {("prose.mismatch", ("legacy.受理政府信息公开申请总数[1]",)),
                   ("prose.mismatch", ("legacy.行政复议数[1]",))}


def test_unreadable_total_is_the_extractors_finding_not_a_blank_total():
    rec = clean(23)
    rec["t3"]["rows"]["total"][6] = None
    assert "arith.blank_total" in rules_of(check(rec))
    rec["findings"] = [{"rule": "extract.unreadable", "severity": "warning", "message": "…", "message_en": "…",
                        "cells": ["t3.total[6]"], "evidence": "0?"}]
    found = check(rec)
    assert rules_of(found, "error") == [] and rules_of(found) == ["extract.unreadable"]


def test_blank_total_over_parts_read_in_doubt_is_not_the_agencys():
    rec = clean(23)
    rec["t3"]["rows"]["total"][0] = None
    assert "arith.blank_total" in rules_of(check(rec))
    rec["findings"] = [{"rule": "extract.unresolved", "severity": "warning", "message": "…", "message_en": "…",
                        "cells": ["t3.granted[0]"], "evidence": ""}]
    found = check(rec)
    assert "arith.blank_total" not in rules_of(found) and "extract.unresolved" in rules_of(found)


def test_damaged_records_never_break_the_validator():
    import io

    from rich.console import Console

    from nianbao.cli.check import _render
    from nianbao.record import empty_record
    assert check(empty_record("x.txt")) == [] and check({}) == []
    rng = random.Random(24)
    junk = [None, "", "?", -1, 2.5, [], {}, "0?", True, [None] * 3]
    other = clean(5)
    originals = [clean(100 + i, form) for i in range(5) for form in ("2021", "2019")]
    for i in range(300):
        rec = copy.deepcopy(originals[i % len(originals)])
        for _ in range(rng.randint(1, 6)):
            with contextlib.suppress(LookupError, TypeError, AttributeError):  # earlier damage
                where = rng.choice(["t2", "t3", "t4", "meta", "sections", "preamble", "legacy", "findings"])
                if where == "t3":
                    row = rng.choice(list(rec["t3"]["rows"]))
                    rec["t3"]["rows"][row] = rng.choice([rec["t3"]["rows"][row][:3], [rng.choice(junk)] * 7, None])
                elif where == "t4":
                    rec["t4"][rng.choice(list(rec["t4"]))] = rng.choice(junk)
                elif where == "meta":
                    rec["meta"][rng.choice(["year", "published", "template", "agency", "kind", "period"])] = \
                        rng.choice(junk + ["2023-13-45", 1999, "二〇二二"])
                elif where == "t2":
                    rec["t2"][rng.choice(list(rec["t2"]))] = rng.choice(junk)
                elif where == "sections":
                    rec["sections"].append(rng.choice([{"number": "三"}, {"text": None}, {}, "x", {"number": 3}]))
                elif where == "findings":
                    rec["findings"] = rng.choice(junk + [[{"rule": 5, "cells": 3}], [{"rule": "extract.x", "cells": 7}]])
                elif rng.random() < 0.3:
                    rec[rng.choice(["t2", "t3", "t4", "meta", "legacy", "sections"])] = rng.choice(junk)
                else:
                    rec[where] = rng.choice(junk)
        found = check(rec)
        assert "validate.failed" not in rules_of(found), [f["message"] for f in found
                                                          if f["rule"] == "validate.failed"]
        assert "validate.failed" not in rules_of(cross_year(rec, other) + cross_year(other, rec))
        if i % 10 == 0:  # rendering is slow; a sample of the damage is enough for the CLI
            _render(Console(file=io.StringIO(), width=100), "damaged.json", rec, found, "zh")


def test_not_a_report_is_not_judged_on_form():
    rec = clean(25)
    rec["t2"] = rec["t3"] = rec["t4"] = None
    rec["sections"] = rec["sections"][:1]
    assert "form.missing_table" in rules_of(check(rec))
    rec["findings"] = [{"rule": "extract.not_a_report", "severity": "warning", "message": "…",
                        "message_en": "…", "cells": [], "evidence": ""}]
    assert rules_of(check(rec)) == ["extract.not_a_report"]
