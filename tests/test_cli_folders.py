"""`nianbao extract DIR` on a folder as archives and file systems give them: every entry accounted for.

GBK-named files (unzipped from Windows), an unreadable file and folder, a symbolic link loop, a
dangling link, a FIFO and an empty folder named like a file; in table, --json and --jsonl
output, under a UTF-8 and under the C locale. Unreadable entries need a user that permission
checks apply to: run as root, the command runs without the capabilities that bypass them.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GBK_NAME = "石门县2022年报.txt".encode("gbk")
REPORT = ("石门县人民政府2022年政府信息公开工作年度报告\n一、总体情况\n本年度认真贯彻落实条例。\n"
          "三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量 | 5 | 0 | 0 | 0 | 0 | 0 | 5\n")


@pytest.fixture(scope="module")
def folder():
    base = Path(tempfile.mkdtemp(prefix="nianbao-folders-"))
    d = base / "in"
    d.mkdir()
    os.chmod(d, 0o755)
    (d / os.fsdecode(GBK_NAME)).write_text(REPORT, encoding="utf-8")
    (d / "正常.txt").write_text(REPORT.replace("石门县", "临澧县"), encoding="utf-8")
    (d / "secret.txt").write_text(REPORT, encoding="utf-8")
    (d / "secret.txt").chmod(0o000)
    (d / "locked").mkdir()
    (d / "locked" / "inside.txt").write_text(REPORT, encoding="utf-8")
    (d / "locked").chmod(0o000)
    os.symlink("loop-b", d / "loop-a")
    os.symlink("loop-a", d / "loop-b")
    os.symlink("missing.pdf", d / "dangling.pdf")
    (d / "fake.pdf").mkdir()
    os.mkfifo(d / "pipe.txt")
    (d / ".hidden.txt").write_text("x")
    os.symlink("..", d / "up")  # a link to the folder above: walked once, not in a circle
    yield d
    (d / "locked").chmod(0o755)
    shutil.rmtree(base, ignore_errors=True)


def _run(args, locale: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG=locale, LC_ALL=locale, PYTHONPATH=str(ROOT), COLUMNS="200")
    cmd = [sys.executable, "-m", "nianbao.cli.__main__", "extract", *args]
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it
        cmd = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
               "--bounding-set=-dac_override,-dac_read_search", *cmd]
    return subprocess.run(cmd, capture_output=True, env=env, timeout=600, cwd="/tmp")


EXPECTED_FAILURES = {"secret.txt": "permission denied", "locked": "cannot read folder", "loop-a": "loop",
                     "loop-b": "loop", "dangling.pdf": "dangling", "fake.pdf": "folder named like a file",
                     "pipe.txt": "not a regular file", "in": "loop"}  # up/in: back to the folder itself


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_every_entry_listed_with_valid_utf8_json(folder, locale):
    res = _run([str(folder), "--jsonl"], locale)
    assert res.returncode == 1, res.stderr.decode("utf-8", "replace")  # some entries failed, documented exit 1
    lines = res.stdout.decode("utf-8").splitlines()  # strict: must be UTF-8
    records = [json.loads(line) for line in lines]
    by_name = {Path(r["source"]["path"]).name: r for r in records}
    assert "石门县2022年报.txt" in by_name, (list(by_name), res.stderr.decode())
    gbk = by_name["石门县2022年报.txt"]  # the GBK name, readable …
    assert gbk["meta"]["agency"] == "石门县人民政府"
    assert gbk["source"]["path_bytes"].endswith("%CA%AF%C3%C5%CF%D82022%C4%EA%B1%A8.txt")  # … and lossless
    from urllib.parse import unquote_to_bytes
    assert unquote_to_bytes(gbk["source"]["path_bytes"]) == os.fsencode(folder) + b"/" + GBK_NAME
    assert by_name["正常.txt"]["meta"]["agency"] == "临澧县人民政府" and "path_bytes" not in by_name["正常.txt"]["source"]
    for name, words in EXPECTED_FAILURES.items():
        rec = by_name[name]
        assert [f["rule"] for f in rec["findings"]] == ["source.unreadable"], name
        assert words in rec["findings"][0]["message"], (name, rec["findings"][0]["message"])
    assert ".hidden.txt" not in by_name and "inside.txt" not in by_name
    err = res.stderr.decode("utf-8").splitlines()  # one line per failing entry, each naming it
    for name in EXPECTED_FAILURES:
        assert sum(1 for line in err if line.startswith("nianbao: ") and f"/{name}: " in line) == 1, (name, err)
    assert any("skipped 1 hidden" in line for line in err)


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_json_array_and_table_under_each_locale(folder, locale):
    res = _run([str(folder), "--json"], locale)
    assert res.returncode == 1
    records = json.loads(res.stdout.decode("utf-8"))
    paths = [r["source"]["path"] for r in records]
    assert len(paths) == 2 + len(EXPECTED_FAILURES)  # every entry, once
    assert {Path(p).name for p in paths} == {"石门县2022年报.txt", "正常.txt", *EXPECTED_FAILURES}
    table = _run([str(folder)], locale)
    assert table.returncode == 1
    out = table.stdout.decode("utf-8")
    assert "石门县人民政府" in out and f"{len(EXPECTED_FAILURES)} 个文件无法读取" in out


def test_single_entries_give_one_line_and_exit_3(folder):
    for name, words in (("secret.txt", "permission denied"), ("dangling.pdf", "dangling"),
                        ("pipe.txt", "not a regular file"), ("fake.pdf", "folder named like a file")):
        res = _run([str(folder / name)], "C.UTF-8")
        err = res.stderr.decode("utf-8").strip().splitlines()
        assert res.returncode == 3, (name, res.returncode, err)
        assert len(err) == 1 and words in err[0] and name in err[0], (name, err)
    res = _run([str(folder / os.fsdecode(GBK_NAME)), "--json"], "C")
    assert res.returncode == 0 and json.loads(res.stdout.decode("utf-8"))["meta"]["agency"] == "石门县人民政府"
