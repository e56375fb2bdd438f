"""``nianbao check`` run as a user runs it: real process, real files, output read as text."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.generate import random_record
from nianbao.generate.sections import add_prose

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "seeds").is_dir()), ROOT.parent / "shared")


def run(*args, lang=None):
    env = dict(os.environ, COLUMNS="160")
    env.pop("NIANBAO_LANG", None)
    if lang:
        env["NIANBAO_LANG"] = lang
    return subprocess.run([sys.executable, "-m", "nianbao.cli.__main__", "check", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=ROOT)


def report(seed=1):
    rng = random.Random(seed)
    rec = random_record(rng, "2021", 2022, scale="medium")
    rec["meta"].update(agency="江州市人力资源和社会保障局", kind="department")
    add_prose(rng, rec)
    rec["meta"]["published"] = "2023-01-20"
    return rec


@pytest.fixture
def files(tmp_path):
    good = report()
    bad = report()
    bad["t3"]["rows"]["granted"][0] += 2                      # a changed cell
    bad["meta"]["published"] = "2023-03-05"                   # late for a department
    six = next(s for s in bad["sections"] if s["number"] == "六")
    six["text"] = "本年度无其他需要报告的事项。"                 # no fee statement
    (tmp_path / "good.json").write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "bad.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    return tmp_path


def test_clean_report(files):
    out = run(files / "good.json")
    assert out.returncode == 0, out.stderr
    assert "江州市人力资源和社会保障局" in out.stdout and "2022 年度" in out.stdout
    assert "未发现问题" in out.stdout and "共检查 1 份报告" in out.stdout


def test_faulty_report_in_chinese(files):
    out = run(files / "bad.json")
    assert out.returncode == 1, out.stderr
    text = out.stdout
    for needle in ("表三行合计不符", "arith.t3.row_total", "表三“(一)予以公开”·自然人", "t3.granted[0]",
                   "若为", "逾期发布", "2023-01-31", "未说明信息处理费收取情况", "sections.六",
                   "错误 3", "警告 1", "共检查 1 份报告：1 份有错误"):
        assert needle in text, needle
    assert "Traceback" not in out.stderr


def test_faulty_report_in_english(files):
    out = run(files / "bad.json", "--lang", "en")
    assert out.returncode == 1
    for needle in ("table 3 row total does not add up", "table 3 'disclosed' × natural persons",
                   "published late", "no statement on processing fees", "1 report(s) checked"):
        assert needle in out.stdout, needle
    assert run(files / "bad.json", lang="en").stdout.count("published late") == 1


def test_json_output_and_batch(files):
    out = run(files / "good.json", files / "bad.json", "--json")
    assert out.returncode == 1
    docs = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["summary"]["error"] for d in docs] == [0, 3]
    rules = {f["rule"] for f in docs[1]["findings"]}
    assert {"arith.t3.row_total", "arith.t3.results_total", "time.late", "fees.silent"} == rules
    assert all(f["cells"] and f["evidence"] and f["message_en"] for f in docs[1]["findings"])


def test_unreadable_and_missing(files):
    out = run(files / "broken.json", files / "good.json")
    assert out.returncode == 3
    assert "broken.json" in out.stderr and "Traceback" not in out.stderr
    assert "1 份无法读取" in out.stdout and "未发现问题" in out.stdout  # the batch went on
    missing = run(files / "nope.txt")
    assert missing.returncode == 2 and "nope.txt" in missing.stderr


def test_folder_of_seed_reports_runs_through_the_extractor():
    out = run(*sorted((SHARED / "seeds").glob("*.txt")))
    assert out.returncode in (0, 1), out.stderr
    assert "Traceback" not in out.stderr
    assert "共检查 5 份报告" in out.stdout
