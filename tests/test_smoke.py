import subprocess
import sys


def test_cli_help_lists_extract():
    out = subprocess.run([sys.executable, "-m", "nianbao.cli.__main__", "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "extract" in out.stdout
