"""The same guarantees at every entry point: a batch holding a good report, inputs of the crash
families, a search bomb that used to hang, inputs that used to take gigabytes and a file that
meets a defect (injected into one stage) gives a record for each good or repairable file and a
named error — naming the file and the reason or stage — for the others, in bounded time, and the
batch goes on.

Each entry point is one function ``(folder, files, tmp) -> {file name: Outcome}`` in
:data:`ENTRY_POINTS`; adding one (the web upload, the collector) is adding a function there.
"""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from nianbao.generate.render import generate

ROOT = Path(__file__).resolve().parents[1]
FAULTS = ROOT / "tests" / "entry_faults"

def _load_faults():
    """The hook module, by its path (a ``sitecustomize`` of the system may already be imported)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("nianbao_entry_faults", FAULTS / "sitecustomize.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


faults = _load_faults()

NIANBAO = [sys.executable, "-m", "nianbao.cli"]
SECONDS = 240  # the whole batch at one entry point, on a loaded machine: a guard, not a speed check


@dataclass
class Outcome:
    kind: str              # "record" | "error"
    rules: set = None      # of a record: its findings' rules
    message: str = ""      # of an error: what the entry point said


def _text(doc) -> str:
    return doc.data.decode(doc.truth.get("encoding", "utf-8"))


def _docx(value_edit) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("某某局2023年政府信息公开工作年度报告")
    t = d.add_table(rows=2, cols=3)
    for r in range(2):
        for c in range(3):
            t.cell(r, c).text = str(r * 3 + c)
    buf = io.BytesIO()
    d.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "word/document.xml":
                body = value_edit(body.decode()).encode()
            z.writestr(info.filename, body)
    return out.getvalue()


def make_batch(folder: Path) -> dict[str, str]:
    """The batch: file name → what it stands for."""
    folder.mkdir(parents=True, exist_ok=True)
    good = _text(generate("pipe_rows", 4))
    concat = _text(generate("concat", 5))
    files = {
        "good.txt": (good, "good"),
        "crash-longdigits.txt": (re.sub(r"(本年新收政府信息公开申请数量\D*)(\d+)", lambda m: m.group(1) + "1" * 5000,
                                        good, count=1), "crash"),
        "hang-digit-split.txt": (re.sub(r"(?m)^(.*?[\u4e00-\u9fff）)])(\d{6,})$",
                                        lambda m: m.group(1) + "1" * 60 + m.group(2), concat), "hang"),
        "memory-table.html": ("<html><body><p>政府信息公开工作年度报告</p><table>"
                              + ("<tr>" + "<td>1</td>" * 9 + "</tr>") * 3000 + "</table></body></html>", "memory"),
        "defect.txt": (good.replace("\n", f"\n{faults.MARKER}\n", 1), "defect"),
    }
    for name, (text, _) in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "crash-gridspan.docx").write_bytes(
        _docx(lambda x: x.replace("<w:tcPr>", '<w:tcPr><w:gridSpan w:val="1.5"/>', 1)))
    (folder / "memory-gridbefore.docx").write_bytes(
        _docx(lambda x: re.sub(r"<w:tr(?=[ >])([^>]*)>",
                               lambda m: f'<w:tr{m.group(1)}><w:trPr><w:gridBefore w:val="100000000"/></w:trPr>', x, count=1)))
    roles = {name: role for name, (_, role) in files.items()}
    roles.update({"crash-gridspan.docx": "crash", "memory-gridbefore.docx": "memory"})
    return roles


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FAULTS), str(ROOT)]), NIANBAO_LANG="zh")
    env.pop("COLUMNS", None)
    return env


def _from_record(rec: dict) -> Outcome:
    failed = [f for f in rec["findings"] if f["rule"] in ("source.unreadable", "extract.internal_error")]
    if failed:
        return Outcome("error", message=failed[0]["message"])
    return Outcome("record", rules={f["rule"] for f in rec["findings"]})


# ------------------------------------------------------------------ entry points

def library(folder: Path, files: list[str], tmp: Path) -> dict[str, Outcome]:
    from nianbao.extract import SourceError, extract_path

    out = {}
    for name in files:
        try:
            out[name] = _from_record(extract_path(folder / name))
        except SourceError as exc:
            out[name] = Outcome("error", message=str(exc))
    return out


def library_limited(folder: Path, files: list[str], tmp: Path) -> dict[str, Outcome]:
    from nianbao.extract import SourceError, extract_path

    out = {}
    for name in files:
        try:
            out[name] = _from_record(extract_path(folder / name, limited=True, timeout=120, memory_mb=2048))
        except SourceError as exc:
            out[name] = Outcome("error", message=str(exc))
    return out


UPLOAD = """
import json, sys
from pathlib import Path
from nianbao.ingest import ingest_bytes
from nianbao.store import Store
store = Store.open(sys.argv[1])
out = {}
for name in json.loads(sys.argv[3]):
    res = ingest_bytes(store, (Path(sys.argv[2]) / name).read_bytes(), name)
    if res.get("status") in ("stored", "duplicate"):
        out[name] = {"record": store.get_report(res["report_id"])["record"]}
    else:
        out[name] = {"error": str(res.get("error") or res)}
store.close()
print(json.dumps(out, ensure_ascii=False, default=str))
"""


def store_upload(folder: Path, files: list[str], tmp: Path) -> dict[str, Outcome]:
    """nianbao.ingest.ingest_bytes: bytes of one file extracted in a bounded worker and stored (as an
    upload is); run in a process of its own, so that its workers carry the injected defect."""
    proc = subprocess.run([sys.executable, "-c", UPLOAD, f"sqlite:///{tmp / 'upload.sqlite'}", str(folder),
                           json.dumps(files)], capture_output=True, text=True, env=_env(), timeout=SECONDS)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.splitlines()[-1])
    return {name: _from_record(r["record"]) if "record" in r else Outcome("error", message=r["error"])
            for name, r in res.items()}


def cli_extract(folder: Path, files: list[str], tmp: Path) -> dict[str, Outcome]:
    proc = subprocess.run(NIANBAO + ["extract", str(folder), "--jsonl"], capture_output=True, text=True,
                          env=_env(), timeout=SECONDS)
    assert proc.returncode == 1, proc.stderr  # some files failed, the others were extracted
    recs = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return {Path(r["source"]["path"]).name: _from_record(r) for r in recs}


def cli_check(folder: Path, files: list[str], tmp: Path) -> dict[str, Outcome]:
    proc = subprocess.run(NIANBAO + ["check", str(folder), "--json"], capture_output=True, text=True,
                          env=_env(), timeout=SECONDS)
    assert proc.returncode == 3, proc.stderr  # at least one file could not be read
    out = {}
    for line in proc.stdout.splitlines():
        r = json.loads(line)
        out[Path(r["path"]).name] = _from_record(r)
    return out


INGEST = """
import json, sys
from nianbao.ingest import ingest_paths
from nianbao.store import Store
store = Store.open(sys.argv[1])
res = ingest_paths(store, [sys.argv[2]], workers=2, timeout=120)
out = {"stored": [], "failed": res.failed}
for s in res.stored:
    out["stored"].append({"path": s.get("path"), "record": store.get_report(s["report_id"])["record"]})
store.close()
print(json.dumps(out, ensure_ascii=False, default=str))
"""


def ingest_workers(folder: Path, files: list[str], tmp: Path) -> dict[str, Outcome]:
    """nianbao.ingest.ingest_paths: extraction in worker processes, the parent writing."""
    proc = subprocess.run([sys.executable, "-c", INGEST, f"sqlite:///{tmp / 'ingest.sqlite'}", str(folder)],
                          capture_output=True, text=True, env=_env(), timeout=SECONDS)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.splitlines()[-1])
    out = {Path(s["path"]).name: _from_record(s["record"]) for s in res["stored"]}
    out.update({Path(f["path"]).name: Outcome("error", message=str(f.get("error"))) for f in res["failed"]})
    return out


COLLECT = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from collect_site import Server, Site
from nianbao.collect import IngestOptions, Policy, collect, read_list
from nianbao.store import Store
folder, files = Path(sys.argv[2]), json.loads(sys.argv[3])
site = Site()
types = {".txt": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8",
         ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
for name in files:
    site.add("/files/" + name, (folder / name).read_bytes(), content_type=types[Path(name).suffix])
store = Store.open(sys.argv[1])
with Server(site) as srv:
    urls = Path(sys.argv[5])
    urls.write_text("url,type\\n" + "".join(f"{srv.base}/files/{n},report\\n" for n in files), encoding="utf-8")
    res = collect(store, read_list(urls), Policy(delay=0.0, timeout=30.0, retries=1, backoff=0.05),
                  ingest=IngestOptions(workers=2, timeout=120))
out = {}
for item in res.ingest.stored + res.ingest.duplicate:
    out[item["url"].rsplit("/", 1)[-1]] = {"record": store.get_report(item["report_id"])["record"]}
for item in res.ingest.failed:
    out[item["url"].rsplit("/", 1)[-1]] = {"error": item["error"]}
store.close()
print(json.dumps(out, ensure_ascii=False, default=str))
"""


def collector(folder: Path, files: list[str], tmp: Path) -> dict[str, Outcome]:
    """nianbao.collect: the batch served on loopback, fetched and ingested (extraction in bounded workers)."""
    pytest.importorskip("httpx")
    proc = subprocess.run([sys.executable, "-c", COLLECT, f"sqlite:///{tmp / 'collect.sqlite'}", str(folder),
                           json.dumps(files), str(ROOT / "tests"), str(tmp / "urls.csv")],
                          capture_output=True, text=True, env=_env(), timeout=SECONDS)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout.splitlines()[-1])
    return {name: _from_record(r["record"]) if "record" in r else Outcome("error", message=r["error"])
            for name, r in res.items()}


ENTRY_POINTS = {
    "library": library,
    "library-limited": library_limited,
    "store-upload": store_upload,
    "cli-extract": cli_extract,
    "cli-check": cli_check,
    "ingest-workers": ingest_workers,
    "collector": collector,
    # the web upload: tests/test_web_robustness.py sends ../shared/robustness's crash, hang and memory
    # inputs through a live server while another client reads
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_entry_point_bad_inputs_named_errors_batch_goes_on(entry, tmp_path, monkeypatch):
    pytest.importorskip("docx")
    if entry.startswith(("store", "ingest")):
        pytest.importorskip("sqlalchemy")
    folder = tmp_path / "batch"
    roles = make_batch(folder)
    from nianbao.extract import pipeline

    monkeypatch.setattr(pipeline, "find_sections", pipeline.find_sections)  # undone after the test
    faults.install()  # for the entry points that run in this process
    t0 = time.perf_counter()
    got = ENTRY_POINTS[entry](folder, sorted(roles), tmp_path)
    assert time.perf_counter() - t0 < SECONDS
    assert set(got) == set(roles), "every file of the batch has an outcome"
    for name, role in roles.items():
        o = got[name]
        if role in ("good", "crash", "hang") or name == "memory-gridbefore.docx":
            assert o.kind == "record", (name, o)
            assert "extract.internal_error" not in o.rules
        if name == "good.txt":
            assert "extract.not_a_report" not in o.rules
        if role == "hang":
            assert "extract.search_budget" in o.rules, o.rules
        if name == "memory-table.html":
            assert o.kind == "error" and "表格单元格过多" in o.message and "memory-table.html" in o.message, o
        if role == "defect":
            assert o.kind == "error" and "extract.sections" in o.message and "defect.txt" in o.message, o
