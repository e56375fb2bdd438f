"""Fuzzing in CI: property-based tests (Hypothesis) over the text and HTML paths, and a short
mutation campaign over every format that must find nothing.

Properties: whatever the bytes, ``extract_bytes`` gives a record that is valid JSON, or one of
the project's named errors — never another exception, and never the last-resort StageError
(which would mean a defect the guard caught). Under CI the examples are derandomized, so a
failure reproduces; elsewhere each run tries new ones. The longer campaign is
``scripts/fuzz.py``.
"""
from __future__ import annotations

import json
import os
import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzing
from nianbao.extract import extract_bytes
from nianbao.generate.render import SHAPES, generate
from nianbao.sources import SourceError, StageError
from nianbao.template import T3_ROWS

CI = bool(os.environ.get("CI"))
EXAMPLES = int(os.environ.get("NIANBAO_FUZZ_EXAMPLES", "120"))
SECONDS = 30.0  # one extraction: a guard against a hang, not a speed check

settings.register_profile("nianbao", max_examples=EXAMPLES, deadline=None, derandomize=CI, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("nianbao")


def named_outcome(data: bytes, name: str) -> None:
    t0 = time.perf_counter()
    try:
        rec = extract_bytes(data, name)
    except StageError as exc:
        raise AssertionError(f"a defect reached the last-resort guard: {exc}") from None
    except SourceError as exc:
        assert exc.reason and str(exc)
    else:
        json.dumps(rec, ensure_ascii=False, allow_nan=False)
        assert rec["source"]["path"] == name
    assert time.perf_counter() - t0 < SECONDS


_SEEDS = {}


def seed_doc(shape: str, n: int):
    key = (shape, n)
    if key not in _SEEDS:
        _SEEDS[key] = generate(shape, n)
    return _SEEDS[key]


# ------------------------------------------------------------------ any bytes, any text

@given(st.binary(max_size=5000))
def test_any_bytes_as_text(data):
    named_outcome(data, "x.txt")


@given(st.binary(max_size=5000))
def test_any_bytes_as_html(data):
    named_outcome(b"<html><body>" + data, "x.html")


LABELS = [r.label for r in T3_ROWS] + ["一、总体情况", "三、收到和处理政府信息公开申请情况", "本年新收政府信息公开申请数量",
                                      "自然人", "法人或其他组织", "总计", "|", " | ", "—", "/", "其中："]
NUMBERS = st.one_of(st.integers(0, 10 ** 6).map(str), st.integers(0, 10 ** 60).map(str),
                    st.text("0123456789０１２３４５６７８９-－−.,，", min_size=1, max_size=40),
                    st.integers(300, 6000).map(lambda n: "9" * n))
ODD = st.sampled_from(["\u200b", "\u200d", "\ufeff", "\u202e", "\x00", "\u3000", "\xa0", "\ufffd", "\r", "\t",
                       "\U0001f600", "?", "*", "|"])
PIECES = st.one_of(st.sampled_from(LABELS), NUMBERS, ODD, st.text(max_size=20), st.just("\n"))


@given(st.lists(PIECES, max_size=300), st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_report_like_text(pieces, encoding):
    """Labels of table 三, numbers of every shape, separators and odd characters in any order."""
    text = " ".join(pieces)
    named_outcome(text.encode(encoding, "replace"), "r.txt")


@given(st.sampled_from([s for s in SHAPES if s != "html"]), st.integers(0, 5), st.randoms(use_true_random=False))
def test_mutated_generated_text_reports(shape, n, rnd):
    doc = seed_doc(shape, n)
    rng = random.Random(rnd.getrandbits(64))
    named_outcome(fuzzing.mutate("text", doc.data, rng, [doc.data]), f"{shape}.txt")


# ------------------------------------------------------------------ HTML

SPAN = st.one_of(st.integers(-5, 300).map(str), st.sampled_from(["1.5", "1e8", "", "x", "３", "99999999999"]))


@st.composite
def html_trees(draw, depth=0):
    """Elements of every kind a page holds, nested, tables with odd spans among them."""
    tag = draw(st.sampled_from(["div", "p", "span", "table", "tr", "td", "th", "br", "font", "b", "script",
                                "nav", "center", "li"]))
    attrs = ""
    if tag in ("td", "th") and draw(st.booleans()):
        attrs = f' rowspan="{draw(SPAN)}" colspan="{draw(SPAN)}"'
    if draw(st.integers(0, 9)) == 0:
        attrs += f' class="{draw(st.sampled_from(["nav", "footer", "share", "content"]))}"'
    children = []
    if depth < 6:
        children = draw(st.lists(st.one_of(PIECES, html_trees(depth=depth + 1)), max_size=6))
    close = draw(st.integers(0, 5)) > 0
    return f"<{tag}{attrs}>" + "".join(children) + (f"</{tag}>" if close else "")


@given(st.lists(html_trees(), max_size=8), st.sampled_from(["", "utf-8", "gbk", "undefined", "hex", "utf-16"]))
def test_html_trees(trees, charset):
    head = f'<head><meta charset="{charset}"></head>' if charset else ""
    page = f"<html>{head}<body>" + "".join(trees) + "</body></html>"
    named_outcome(page.encode("gb18030" if charset == "gbk" else "utf-8", "replace"), "page.html")


@given(st.integers(0, 5), st.randoms(use_true_random=False))
def test_mutated_generated_html_reports(n, rnd):
    doc = seed_doc("html", n)
    rng = random.Random(rnd.getrandbits(64))
    named_outcome(fuzzing.mutate("html", doc.data, rng, [doc.data]), "r.html")


# ------------------------------------------------------------------ the short campaign

CAMPAIGN = {"text": 150, "html": 150, "docx": 40, "pdf": 30, "image": 10}


def test_short_mutation_campaign_finds_nothing(tmp_path):
    """Every format, mutated from seeds made by the real converters, in watched worker processes:
    no crash, no run over 30 s, no worker over 2 GB."""
    jobs = []
    for fmt, n in CAMPAIGN.items():
        if fmt == "text":
            seeds = fuzzing.text_seeds(1)
        elif fmt == "html":
            seeds = fuzzing.html_seeds(2)
        else:
            seeds = fuzzing.binary_seeds(fmt, fuzzing.temp_cache())
        if not seeds:
            pytest.fail(f"no {fmt} seeds could be made")
        jobs += [(fmt, name, data) for name, data in fuzzing.inputs(fmt, seeds, n, seed=1)]
    random.Random(0).shuffle(jobs)  # the slow formats spread over both workers
    tallies = fuzzing.run(jobs, workers=2, time_limit=30.0, memory_mb=2048.0, save=tmp_path / "found")
    print("\n" + fuzzing.report(tallies))
    found = [f for t in tallies.values() for f in t.findings]
    assert not found, "\n".join(f"{o}: {name}: {detail}" for o, name, detail, _ in found)
    assert {fmt: t.inputs for fmt, t in tallies.items()} == CAMPAIGN
    # the mutations reach the extractor, not only the readers' refusals
    assert all(t.outcomes["record"] > 0 for t in tallies.values())
