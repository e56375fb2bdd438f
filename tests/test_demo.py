"""The README's main job, end to end on a generated corpus."""
import subprocess
import sys
from pathlib import Path

NIANBAO = str(Path(sys.executable).with_name("nianbao"))


def test_demo_ingests_checks_and_shows(tmp_path):
    out = subprocess.run([NIANBAO, "demo", "--no-serve", "--agencies", "2"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600, env={"PATH": "/usr/bin:/bin", "COLUMNS": "160"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "入库 stored: 6" in out.stdout
    assert "按年度汇总" in out.stdout and "nianbao serve" in out.stdout
    assert (tmp_path / "nianbao-data" / "nianbao.sqlite").stat().st_size > 0
    # a second run finds everything stored already
    again = subprocess.run([NIANBAO, "demo", "--no-serve", "--agencies", "2"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600, env={"PATH": "/usr/bin:/bin", "COLUMNS": "160"})
    assert again.returncode == 0 and "已存在跳过 skipped: 6" in again.stdout
