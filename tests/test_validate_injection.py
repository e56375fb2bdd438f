"""Error injection: generated consistent reports, one fault each; the right rule on the right cells.

Every case compares the complete set of (rule, cells) of the error and warning findings with what
the injected fault must produce, so a rule that fires too (crying wolf) fails the case as surely as
one that stays silent. Clean reports get no error or warning at all.
"""
from __future__ import annotations

import copy
import random
import re

import pytest

from nianbao.generate import random_record
from nianbao.generate.sections import add_prose
from nianbao.template import T4_GROUPS, form_of_year, identities, t3_leaf_keys, t3_rows
from nianbao.validate import check, cross_year

# What each sentence of the generated prose states, as cells of the tables (the spec of the prose rules).
def _group(form, g):
    return [f"t3.{r.key}[6]" for r in t3_rows(form) if r.group == g]


def claim_cells(form):
    return {
        "received": ["t3.new[6]"], "closed": ["t3.total[6]"], "granted": ["t3.granted[6]"],
        "partial": ["t3.partial[6]"], "denied": _group(form, "deny"), "unable": _group(form, "unable"),
        "rejected": _group(form, "reject"),
        "other": ["t3.other[6]"] if form == "2019" else _group(form, "other"),
        "carried": ["t3.carried[6]"], "carry_next": ["t3.carry_next[6]"],
        "reconsideration": ["t4.reconsideration[4]"],
        "litigation": ["t4.litigation_direct[4]", "t4.litigation_after_reconsideration[4]"],
    }


# The phrase of the generated prose that states each claim's number.
PHRASES = {"received": "共收到政府信息公开申请", "closed": "办结", "granted": "予以公开", "partial": "部分公开",
           "denied": "不予公开", "unable": "无法提供", "rejected": "不予处理", "other": "其他处理",
           "carried": "上年结转", "carry_next": "结转下年度继续办理", "reconsideration": "行政复议",
           "litigation": "行政诉讼"}


def value(rec, ref):
    m = re.fullmatch(r"(\w+)\.(\w+)\[(\d+)\]", ref)
    table, key, i = m.group(1), m.group(2), int(m.group(3))
    t = rec[table]["rows"] if table == "t3" else rec[table]
    return t[key][i]


def accepted(rec, kind, form):
    """The table readings the prose may state without a finding."""
    cells = claim_cells(form)[kind]
    vals = [sum(value(rec, c) for c in cells)]
    if kind == "received":
        vals.append(value(rec, "t3.new[6]") + value(rec, "t3.carried[6]"))
    if kind == "litigation":
        vals.append(value(rec, "t4.litigation_direct[4]"))
    return vals


def base(seed, form=None, *, scope="self", year=None, t2_layout=None, scale=None):
    rng = random.Random(seed)
    form = form or rng.choice(["2021", "2019"])
    rec = random_record(rng, form, year, t2_layout=t2_layout,
                        scale=scale or rng.choice(["small", "medium", "medium", "large"]))
    add_prose(rng, rec, scope=scope)
    y = rec["meta"]["year"]
    rec["meta"]["published"] = f"{y + 1}-01-{rng.randint(3, 31):02d}"  # on time for every kind
    return rng, rec


def significant(findings):
    return {(f["rule"], tuple(f["cells"])) for f in findings if f["severity"] in ("error", "warning")}


def assert_findings(rec, expected):
    found = check(rec)
    got = significant(found)
    assert got == set(expected), "\n".join(f"{f['severity']} {f['rule']} {f['cells']} {f['message']}"
                                           for f in found)
    for f in found:  # every finding names its cells and its evidence
        assert f["cells"] and f["evidence"] and f["message"] and f["message_en"], f
    return found


# --------------------------------------------------------------------------- clean


@pytest.mark.parametrize("seed", range(100))
def test_clean_report_has_no_error_or_warning(seed):
    _, rec = base(1000 + seed, scope="self" if seed % 2 else "wide")
    assert_findings(rec, set())
    rec["findings"] = check(rec)
    assert check(rec) == rec["findings"], "check() must be idempotent"


# --------------------------------------------------------------------------- a changed cell


def _changed_cell_expectation(rec, ref, form, before):
    exp = {("arith." + i.rule, tuple(str(c) for c in i.cells)) for i in identities(form)
           if ref in {str(c) for c in i.cells}}
    for kind, cells in claim_cells(form).items():
        if ref not in cells:
            continue
        stated = sum(value(before, c) for c in cells)  # what the (unchanged) prose says
        if stated not in accepted(rec, kind, form):
            exp.add(("prose.mismatch", tuple(cells)))
    return exp


@pytest.mark.parametrize("seed", range(220))
def test_changed_cell(seed):
    rng, rec = base(2000 + seed)
    form = rec["meta"]["template"]
    before = copy.deepcopy(rec)
    if rng.random() < 0.8:
        key = rng.choice(list(rec["t3"]["rows"]))
        i = rng.randrange(7)
        row = rec["t3"]["rows"][key]
        ref = f"t3.{key}[{i}]"
    else:
        key = rng.choice([g for g, _, _ in T4_GROUPS])
        i = rng.randrange(5)
        row = rec["t4"][key]
        ref = f"t4.{key}[{i}]"
    d = rng.choice([1, 2, 3, 7, 10])
    row[i] = row[i] + d if (rng.random() < 0.6 or row[i] < d) else row[i] - d
    found = assert_findings(rec, _changed_cell_expectation(rec, ref, form, before))
    arith = [f for f in found if f["rule"].startswith("arith.")]
    assert arith and all(ref in f["cells"] for f in arith)
    if ref.startswith("t3"):  # in table 三 the identities cross: the one wrong cell is pinned down
        assert {f.get("suspect") for f in arith} == {ref}
        assert {f.get("suggested") for f in arith} == {value(before, ref)}


# --------------------------------------------------------------------------- a blanked total


@pytest.mark.parametrize("seed", range(60))
def test_blanked_total(seed):
    rng, rec = base(3000 + seed, scale="medium")
    form = rec["meta"]["template"]
    idents = [i for i in identities(form) if len(i.lhs) == 1]
    candidates = [i for i in idents if any(value(rec, str(c)) for c in i.rhs)]
    target = rng.choice(candidates).lhs[0]
    ref = str(target)
    parts = {str(c) for i in idents if i.lhs[0] == target for c in i.rhs if value(rec, str(c))}
    table = rec["t3"]["rows"] if target.table == "t3" else rec["t4"]
    table[target.key][target.index] = None
    found = [f for f in check(rec) if f["severity"] in ("error", "warning")]
    assert [f["rule"] for f in found] == ["arith.blank_total"], found
    assert found[0]["cells"][0] == ref and set(found[0]["cells"][1:]) == parts


# --------------------------------------------------------------------------- a changed prose number


@pytest.mark.parametrize("seed", range(80))
def test_changed_prose_number(seed):
    scope = "self" if seed % 3 else "wide"
    rng, rec = base(4000 + seed, scope=scope)
    form = rec["meta"]["template"]
    options = []
    for s in rec["sections"]:
        for kind, phrase in PHRASES.items():
            for m in re.finditer(rf"{re.escape(phrase)}(\d+)件", s["text"]):
                options.append((s, kind, m))
    s, kind, m = rng.choice(options)
    old = int(m.group(1))
    new = old + rng.randint(1, 9)
    while new in accepted(rec, kind, form):
        new += 1
    s["text"] = s["text"][:m.start(1)] + str(new) + s["text"][m.end(1):]
    rule = "prose.mismatch" if scope == "self" else "prose.mismatch_scope"
    found = assert_findings(rec, {(rule, tuple(claim_cells(form)[kind]))})
    f = next(f for f in found if f["rule"] == rule)
    assert f["prose_value"] == new and str(new) in f["evidence"]


# --------------------------------------------------------------------------- period, section, table, form


@pytest.mark.parametrize("seed", range(30))
def test_wrong_period(seed):
    rng, rec = base(5000 + seed)
    y = rec["meta"]["year"]
    wrong = rng.choice([f"{y - 1}年1月1日起至{y - 1}年12月31日", f"{y}年7月1日起至{y + 1}年6月30日",
                        f"{y - 1}年12月1日起至{y}年11月30日"])
    rec["preamble"] = rec["preamble"].replace(f"{y}年1月1日起至{y}年12月31日", wrong)
    assert wrong in rec["preamble"]
    found = assert_findings(rec, {("form.period", ("meta.period", "meta.year"))})
    assert wrong.split("起")[0] in found[-1]["evidence"].replace("…", "") or "统计期限" in found[-1]["evidence"]


@pytest.mark.parametrize("seed", range(40))
def test_missing_section(seed):
    rng, rec = base(6000 + seed)
    gone = rng.choice(rec["sections"])
    rec["sections"].remove(gone)
    expected = {("form.missing_section", (f"sections.{gone['number']}",))}
    if gone["number"] == "六" and rec["meta"]["year"] >= 2021:
        expected.add(("fees.silent", ("sections.六",)))
    assert_findings(rec, expected)


@pytest.mark.parametrize("seed", range(30))
def test_missing_table(seed):
    rng, rec = base(6500 + seed)
    key = rng.choice(["t2", "t3", "t4"])
    rec[key] = None
    assert_findings(rec, {("form.missing_table", (key,))})


T3_MARK = {"2019": ("t3.other",), "2021": ("t3.other_no_correction", "t3.other_no_fee", "t3.other_misc")}


@pytest.mark.parametrize("seed", range(30))
def test_layout_not_fitting_year(seed):
    rng = random.Random(7000 + seed)
    form = rng.choice(["2021", "2019"])
    year = rng.choice([2019, 2020]) if form == "2021" else rng.randint(2021, 2025)
    only_t3 = seed % 2 == 0  # like seed 000: the year's table 二 beside last generation's table 三
    _, rec = base(7000 + seed, form, year=year, t2_layout=form_of_year(year) if only_t3 else form)
    expected = {("form.layout_year", T3_MARK[form])}
    if only_t3:
        expected.add(("form.mixed", ("t2.layout",) + T3_MARK[form]))
    else:
        expected.add(("form.layout_year", ("t2.layout",)))
    assert_findings(rec, expected)


# --------------------------------------------------------------------------- late, fees


@pytest.mark.parametrize("seed", range(30))
def test_late_publication(seed):
    rng, rec = base(8000 + seed)
    y, kind = rec["meta"]["year"], rec["meta"]["kind"]
    month = rng.randint(2, 12) if kind == "department" else rng.randint(4, 12)
    rec["meta"]["published"] = f"{y + 1}-{month:02d}-{rng.randint(1, 28):02d}"
    found = assert_findings(rec, {("time.late", ("meta.published",))})
    assert rec["meta"]["published"] in found[-1]["evidence"]


@pytest.mark.parametrize("seed", range(30))
def test_no_fee_statement(seed):
    rng, rec = base(9000 + seed, "2021")
    six = next(s for s in rec["sections"] if s["number"] == "六")
    six["text"] = re.sub(r"本年度[^。]*信息处理费[^。]*。", "", six["text"])
    assert_findings(rec, {("fees.silent", ("sections.六",))})


# --------------------------------------------------------------------------- last year's carry-over


def _rebalance(rows):
    """Keep 一 + 二 = 三(七) + 四 per column after changing 二, and the row totals."""
    for c in range(6):
        new = rows["total"][c] + rows["carry_next"][c] - rows["carried"][c]
        if new < 0:
            rows["carry_next"][c] -= new
            new = 0
        rows["new"][c] = new
    for key in ("new", "carried", "carry_next"):
        rows[key][6] = sum(rows[key][:6])


def consistent_pair(seed):
    rng = random.Random(10000 + seed)
    year = rng.randint(2019, 2024)
    prev = random_record(rng, form_of_year(year), year, scale="medium")
    cur = random_record(rng, form_of_year(year + 1), year + 1, scale="medium")
    cur["meta"].update(agency=prev["meta"]["agency"], region=prev["meta"]["region"], kind=prev["meta"]["kind"])
    cur["t3"]["rows"]["carried"] = list(prev["t3"]["rows"]["carry_next"])
    _rebalance(cur["t3"]["rows"])
    if prev["t2"]["layout"] == cur["t2"]["layout"] == "2021":
        for key in ("regulations", "normative_docs"):
            issued = cur["t2"][key][0]
            repealed = rng.randint(0, prev["t2"][key][2] + issued)
            cur["t2"][key] = [issued, repealed, prev["t2"][key][2] + issued - repealed]
    for rec in (prev, cur):
        add_prose(rng, rec)
        rec["meta"]["published"] = f"{rec['meta']['year'] + 1}-01-20"
    return rng, prev, cur


@pytest.mark.parametrize("seed", range(50))
def test_carry_over_not_matching(seed):
    rng, prev, cur = consistent_pair(seed)
    assert [f for f in cross_year(prev, cur) if f["severity"] == "error"] == []
    c = rng.randrange(6)
    rows = cur["t3"]["rows"]
    d = rng.choice([1, 2, 4])
    rows["carried"][c] += d
    _rebalance(rows)
    add_prose(rng, cur)  # the report itself stays consistent: only the link to last year breaks
    assert_findings(cur, set())
    got = {(f["rule"], tuple(f["cells"])) for f in cross_year(prev, cur) if f["rule"] not in ("cross.copied_prose", "cross.section_repeat")}
    assert got == {("cross.carry_over", (f"t3.carried[{c}]",)), ("cross.carry_over", ("t3.carried[6]",))}
    for f in cross_year(prev, cur):
        assert f["cells"] and f["evidence"]
