"""English labels of the form, kept as data in nianbao.template, and where they are shown."""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

from nianbao.generate import random_record
from nianbao.template import (T2_COLUMNS_EN, T2_LAYOUTS, T3_COLUMNS, T3_GROUPS, T3_GROUPS_EN, T3_HEADINGS, T3_ROWS,
                              T4_COLUMNS, T4_GROUPS, T4_HEADINGS_EN)
from nianbao.validate.describe import describe_cell

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff]")


def test_every_label_of_the_form_has_english():
    for layout, fields in T2_LAYOUTS.items():
        for f in fields:
            assert len(f.columns_en) == len(f.columns), (layout, f.key)
            for text in (f.label_en, f.title_en, *f.columns_en):
                assert text and not CJK.search(text), (layout, f.key, text)
    assert not set(T2_COLUMNS_EN) - {c for fs in T2_LAYOUTS.values() for f in fs for c in f.columns}
    assert set(T3_GROUPS_EN) == set(T3_GROUPS)
    for text in (*T3_GROUPS_EN.values(), *(en for _, en in T3_HEADINGS.values()),
                 *(c.label_en for c in T3_COLUMNS + T4_COLUMNS), *(r.label_en for r in T3_ROWS)):
        assert text and not CJK.search(text), text
    for _, zh, _en in T4_GROUPS:
        for part in zh.split("·"):
            assert part in T4_HEADINGS_EN and not CJK.search(T4_HEADINGS_EN[part]), part


def _record(form: str) -> dict:
    rec = random_record(random.Random(3), form, 2022 if form == "2021" else 2019, scale="medium")
    assert rec["t2"]["layout"] == form
    return rec


def test_web_tables_in_english_have_no_chinese_heading():
    from nianbao.web.forms import t2_table, t3_table, t4_table
    for form in ("2021", "2019"):
        rec = _record(form)
        for fn, key in ((t2_table, "t2"), (t3_table, "t3"), (t4_table, "t4")):
            en = [c["text"] for row in fn(rec[key], "en") for c in row if c["kind"] in ("head", "label")]
            zh = [c["text"] for row in fn(rec[key], "zh") for c in row if c["kind"] in ("head", "label")]
            assert len(en) == len(zh) and en != zh
            assert not [t for t in en if CJK.search(t)], (form, key)
        heads = {c["text"] for row in t2_table(rec["t2"], "en") for c in row}
        want = {"2021": {"issued this year", "repealed this year", "in force", "Article 20, item (1)"},
                "2019": {"newly made this year", "change this year (+/-)", "total procurement amount"}}[form]
        assert want <= heads
        zh_heads = {c["text"] for row in t2_table(rec["t2"], "zh") for c in row}
        assert {"2021": "本年制发件数", "2019": "本年增/减"}[form] in zh_heads


def test_cell_descriptions_name_table_2_columns_in_english():
    assert describe_cell("t2.regulations[2]", "en", "2021") == "table 2 regulations × in force"
    assert describe_cell("t2.licensing[1]", "en", "2019") == "table 2 licensing × change this year (+/-)"
    assert describe_cell("t2.regulations[2]", "zh", "2021") == "表二 规章·现行有效件数"


def test_check_cli_in_english_names_table_2_columns_in_english(tmp_path):
    rec = _record("2021")
    rec["t2"]["regulations"][2] = -4          # a count cannot be negative
    path = tmp_path / "t2.json"
    path.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    env = dict(os.environ, COLUMNS="200")
    env.pop("NIANBAO_LANG", None)
    cmd = [sys.executable, "-m", "nianbao.cli.__main__", "check", str(path)]
    en = subprocess.run(cmd + ["--lang", "en"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert "table 2 regulations × in force" in en.stdout, en.stdout
    assert "现行有效件数" not in en.stdout
    zh = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    assert "现行有效件数" in zh.stdout, zh.stdout
    by_env = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, NIANBAO_LANG="en"), cwd=ROOT)
    assert "table 2 regulations × in force" in by_env.stdout, by_env.stdout
