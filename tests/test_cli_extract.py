"""`nianbao extract` as a user runs it: exit codes, one-line errors, folder runs that go on."""
import json
import subprocess
import sys
from pathlib import Path

NIANBAO = str(Path(sys.executable).with_name("nianbao"))


def run(*args):
    return subprocess.run([NIANBAO, "extract", *map(str, args)], capture_output=True, text=True, timeout=120)


def _bad_files(tmp_path: Path) -> dict:
    files = {
        "empty.txt": b"",
        "garbage.bin": bytes(range(256)) * 200,
        "page.html": "<html><body><nav>首页</nav><p>欢迎访问本网站，今日天气晴。</p></body></html>".encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:
        line = ("这是一行很长的文本，用来测试超大文件。" * 4 + "\n").encode()
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            fh.write(line)
    return files


def test_bad_input_gets_one_line_errors_and_documented_codes(tmp_path):
    _bad_files(tmp_path)
    for name, code in (("empty.txt", 3), ("garbage.bin", 3), ("huge.txt", 3), ("page.html", 4)):
        out = run(tmp_path / name, "--json")
        assert out.returncode == code, (name, out.returncode, out.stderr)
        assert "Traceback" not in out.stderr
        rec = json.loads(out.stdout)
        assert rec["t3"] is None and rec["findings"], name
        if code == 3:
            lines = out.stderr.strip().splitlines()
            assert len(lines) == 1 and name in lines[0], out.stderr


def test_a_folder_run_goes_on_past_broken_files(tmp_path, shared):
    _bad_files(tmp_path)
    good = shared / "seeds" / "003_11a504cd142575d8.txt"
    (tmp_path / "good.txt").write_bytes(good.read_bytes())
    out = run(tmp_path, "--jsonl")
    assert out.returncode == 1
    recs = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(recs) == 5
    by_name = {Path(r["source"]["path"]).name: r for r in recs}
    assert by_name["good.txt"]["t3"]["rows"]["new"][6] == 16
    assert "Traceback" not in out.stderr


def test_missing_path_is_a_usage_error(tmp_path):
    out = run(tmp_path / "nope.txt")
    assert out.returncode == 2 and "nope.txt" in out.stderr


def test_provenance_points_at_the_printed_number(shared):
    from nianbao.extract import extract_path
    from nianbao.sources import read
    path = shared / "seeds" / "003_11a504cd142575d8.txt"
    rec, doc = extract_path(path), read(path)
    for ref in ("t3.new[0]", "t3.total[6]", "t4.reconsideration[4]", "t2.normative_docs[2]"):
        s, e = rec["provenance"][ref]["span"]
        table, rest = ref.split(".", 1)
        key, idx = rest[:-1].split("[")
        table_rec = rec[table]["rows"] if table == "t3" else rec[table]
        assert doc.text[s:e].strip() == str(table_rec[key][int(idx)]), ref


def test_no_table_report_invents_nothing(tmp_path):
    text = ("某某县交通运输局2023年政府信息公开工作年度报告\n一、总体情况\n本年度主动公开信息52条。\n"
            "二、主动公开政府信息情况\n详见网站。\n三、收到和处理政府信息公开申请情况\n本年度未收到申请。\n")
    p = tmp_path / "r.txt"
    p.write_text(text, encoding="utf-8")
    rec = json.loads(run(p, "--json").stdout)
    assert rec["t2"] is None and rec["t3"] is None and rec["t4"] is None and rec["legacy"] is None
    assert rec["meta"]["year"] == 2023 and rec["meta"]["agency"] == "某某县交通运输局"
