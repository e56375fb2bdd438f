"""``nianbao extract``: one file or a folder → canonical JSON.

Exit codes: 0 extracted; 1 a folder run where some files failed (the others
were extracted); 2 usage error (no such path); 3 the file cannot be read as a
report (empty, binary, unsupported, too large, damaged); 4 the file was read
but holds no annual report (no title, section or table).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from . import app
from ..extract import SourceError, StageError, extract_path
from ..record import empty_record

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_UNREADABLE, EXIT_NO_REPORT = 0, 1, 2, 3, 4
SKIP_SUFFIXES = {".json", ".md5", ".sha256", ".db", ".sqlite"}


def report_files(path: Path) -> list[Path]:
    """The files of a folder run, in a stable order (hidden files skipped)."""
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                  and p.suffix.lower() not in SKIP_SUFFIXES)


def extract_one(f: Path, limited: bool = False, timeout: float | None = None,
                memory_mb: int | None = None) -> tuple[dict, int]:
    """The record of one file and its exit status; never raises for bad input.
    ``limited``: binary formats are read in a child process with time and memory caps."""
    try:
        rec = extract_path(f, limited=limited, timeout=timeout, memory_mb=memory_mb)
    except SourceError as exc:
        rec = empty_record(str(f))
        stage = getattr(exc, "stage", None)
        rec["findings"].append({"rule": "extract.internal_error" if isinstance(exc, StageError) else "source.unreadable",
                                "severity": "error", "message": str(exc), "message_en": str(exc), "cells": [],
                                "evidence": "", "reason": getattr(exc, "reason", "unreadable"),
                                **({"stage": stage} if stage else {})})
        return rec, EXIT_UNREADABLE
    except Exception as exc:  # a defect of ours must not stop a batch (extract_path names its errors: a last guard)
        rec = empty_record(str(f))
        msg = f"抽取时出错 (internal error while extracting): {type(exc).__name__}: {exc}"
        rec["findings"].append({"rule": "extract.internal_error", "severity": "error", "message": msg,
                                "message_en": msg, "cells": [], "evidence": ""})
        return rec, EXIT_UNREADABLE
    if any(x["rule"] == "extract.not_a_report" for x in rec["findings"]):
        return rec, EXIT_NO_REPORT
    return rec, EXIT_OK


def _summary_row(rec: dict) -> list[str]:
    m = rec["meta"]
    t3 = (rec.get("t3") or {}).get("rows") or {}
    new = (t3.get("new") or [None] * 7)[6]
    counts = {"error": 0, "warning": 0, "info": 0}
    for x in rec["findings"]:
        counts[x["severity"]] = counts.get(x["severity"], 0) + 1
    tables = "".join(n for n, k in (("二", "t2"), ("三", "t3"), ("四", "t4"), ("附", "legacy")) if rec.get(k))
    return [Path(rec["source"]["path"]).name, m.get("agency") or "—", str(m.get("year") or "—"),
            str(m.get("template") or "—"), tables or "—", "—" if new is None else str(new),
            f"[red]{counts['error']}[/]" if counts["error"] else "0",
            f"[yellow]{counts['warning']}[/]" if counts["warning"] else "0"]


def summary_table(records: list[dict], title: str = "抽取结果 Extraction") -> Table:
    table = Table(title=title, show_lines=False)
    for col in ("文件 file", "机关 agency", "年度 year", "表式 form", "表格 tables", "新收申请 new", "错误 err",
                "警告 warn"):
        table.add_column(col, overflow="fold")
    for rec in records:
        table.add_row(*_summary_row(rec))
    return table


@app.command()
def extract(path: Path = typer.Argument(..., help="报告文件或目录 (a report file or a folder)"),
            as_json: bool = typer.Option(False, "--json", help="输出 canonical JSON (one object; a folder: an array)"),
            jsonl: bool = typer.Option(False, "--jsonl", help="每个文件一行 JSON (one JSON object a line)"),
            doc_timeout: float = typer.Option(None, "--doc-timeout", min=0.1,
                                              help="目录运行时每个 PDF/图像/DOC 文件的时限（秒）"
                                                   " (folder runs: seconds per PDF/image/DOC file; default 300)"),
            doc_memory_mb: int = typer.Option(None, "--doc-memory-mb", min=256,
                                              help="目录运行时每个 PDF/图像/DOC 文件的内存上限（MB）"
                                                   " (folder runs: memory cap per PDF/image/DOC file; default 3072)")):
    """抽取报告为 canonical JSON。Extract reports into the canonical record.

    退出码 exit codes: 0 成功 ok; 1 目录中部分文件失败 some files of a folder failed; 2 用法错误 usage;
    3 文件无法读取 unreadable; 4 不是年度报告 no report found.
    """
    if not path.exists():
        typer.echo(f"nianbao: {path}: 文件不存在 (no such file or folder)", err=True)
        raise typer.Exit(EXIT_USAGE)
    files = report_files(path)
    folder = path.is_dir()
    err = Console(stderr=True)
    records: list[dict] = []
    failed = 0
    worst = EXIT_OK
    progress = None
    if folder and len(files) > 1 and err.is_terminal:
        from rich.progress import Progress
        progress = Progress(console=err, transient=True)
        progress.start()
        task = progress.add_task("抽取 extracting", total=len(files))
    try:
        for f in files:
            # in a folder run, one pathological PDF, scan or DOC must not stall or kill the batch
            rec, status = extract_one(f, limited=folder, timeout=doc_timeout, memory_mb=doc_memory_mb)
            if status == EXIT_UNREADABLE:
                failed += 1
                sys.stderr.write(f"nianbao: {f}: {rec['findings'][-1]['message']}\n")
            worst = max(worst, status) if not folder else worst
            if jsonl or (as_json and not folder):
                sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
                sys.stdout.flush()
            else:
                records.append(rec)
            if progress:
                progress.advance(task)
    finally:
        if progress:
            progress.stop()
    if as_json and folder and not jsonl:
        sys.stdout.write(json.dumps(records, ensure_ascii=False) + "\n")
    elif not (as_json or jsonl):
        Console().print(summary_table(records))
        if failed:
            Console().print(f"[red]{failed} 个文件无法读取 files could not be read[/]")
    if folder:
        raise typer.Exit(EXIT_SOME_FAILED if failed else EXIT_OK)
    raise typer.Exit(worst)
