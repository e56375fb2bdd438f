"""``nianbao extract``: one file or a folder → canonical JSON.

Exit codes: 0 extracted; 1 a folder run where some files failed (the others
were extracted); 2 usage error (no such path); 3 the file cannot be read as a
report (empty, binary, unsupported, too large, damaged, not a regular file, a
dangling link, a folder given as a file); 4 the file was read but holds no annual
report (no title, section or table).

A folder run accounts for every entry (see :mod:`nianbao.folders`): each file is read and
extracted in a worker process capped in time and memory; an entry that cannot be read (a
symbolic link loop, a dangling link, a folder that cannot be opened, a FIFO, an empty folder
named like a file) is a one-line failure on stderr and a record with a ``source.unreadable``
finding in the output, in its place. File names whose bytes are not UTF-8 (GBK names from
Windows archives) are shown readably, and ``source.path_bytes`` keeps their exact bytes.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from . import app
from ..extract import SourceError, StageError, extract_path
from ..folders import check_file, clean_text, display, raw_name, walk
from ..record import empty_record

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_UNREADABLE, EXIT_NO_REPORT = 0, 1, 2, 3, 4
SKIP_SUFFIXES = {".json", ".md5", ".sha256", ".db", ".sqlite"}


def report_files(path: Path) -> list[Path]:
    """The files of a folder run, in a stable order (hidden files and record files left out)."""
    return [e.path for e in walk(path) if e.ok and e.path.suffix.lower() not in SKIP_SUFFIXES]


def failure_record(path: Path, message: str, reason: str | None = None, *, rule: str = "source.unreadable",
                   stage: str | None = None) -> dict:
    rec = empty_record(str(path))
    rec["findings"].append({"rule": rule, "severity": "error", "message": message, "message_en": message,
                            "cells": [], "evidence": "", "reason": reason or "unreadable",
                            **({"stage": stage} if stage else {})})
    return rec


def extract_one(f: Path, limited: bool = False, timeout: float | None = None,
                memory_mb: int | None = None) -> tuple[dict, int]:
    """The record of one file and its exit status; never raises for bad input.
    ``limited``: binary formats are read in a child process with time and memory caps."""
    try:
        rec = extract_path(f, limited=limited, timeout=timeout, memory_mb=memory_mb)
    except SourceError as exc:
        stage = getattr(exc, "stage", None)
        rule = "extract.internal_error" if isinstance(exc, StageError) else "source.unreadable"
        return failure_record(f, str(exc), getattr(exc, "reason", "unreadable"), rule=rule, stage=stage), EXIT_UNREADABLE
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
    return [display(Path(rec["source"]["path"]).name), m.get("agency") or "—", str(m.get("year") or "—"),
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
def extract(path: Path = typer.Argument(..., readable=False,  # (we say why a path cannot be read: exit 3)
                                        help="报告文件或目录 (a report file or a folder)"),
            as_json: bool = typer.Option(False, "--json", help="输出 canonical JSON (one object; a folder: an array)"),
            jsonl: bool = typer.Option(False, "--jsonl", help="每个文件一行 JSON (one JSON object a line)"),
            doc_timeout: float = typer.Option(None, "--doc-timeout", min=0.1,
                                              help="目录运行时每个文件的时限（秒）"
                                                   " (folder runs: seconds per file; default 300)"),
            doc_memory_mb: int = typer.Option(None, "--doc-memory-mb", min=256,
                                              help="目录运行时每个文件的内存上限（MB）"
                                                   " (folder runs: memory cap per file; default 3072)"),
            workers: int = typer.Option(0, "--workers", "-j", min=0,
                                        help="目录运行的抽取进程数，0 = CPU 数，至多 4 (folder runs: worker "
                                             "processes; 0 = CPUs, at most 4)")):
    """抽取报告为 canonical JSON。Extract reports into the canonical record.

    退出码 exit codes: 0 成功 ok; 1 目录中部分文件失败 some files of a folder failed; 2 用法错误 usage;
    3 文件无法读取 unreadable; 4 不是年度报告 no report found.
    """
    if not path.exists() and not path.is_symlink():
        typer.echo(f"nianbao: {display(path)}: 文件不存在 (no such file or folder)", err=True)
        raise typer.Exit(EXIT_USAGE)
    folder = path.is_dir()
    out = _Output(as_json=as_json, jsonl=jsonl, folder=folder)
    if not folder:
        entry = check_file(path)
        if entry.error:  # a dangling link, a FIFO, a file we may not read: one line, exit 3
            out.fail(path, entry.error, entry.reason)
            out.finish()
            raise typer.Exit(EXIT_UNREADABLE)
        rec, status = extract_one(path)
        if status == EXIT_UNREADABLE:
            out.note(path, rec["findings"][-1]["message"])
        out.add(path, rec)
        out.finish()
        raise typer.Exit(status)
    entries = list(walk(path))
    skipped = [e for e in entries if e.skipped or (e.ok and e.path.suffix.lower() in SKIP_SUFFIXES)]
    files = [e.path for e in entries if e.ok and e not in skipped]
    failures = [e for e in entries if e.error]
    err = Console(stderr=True)
    progress = None
    if len(files) > 1 and err.is_terminal:
        from rich.progress import Progress
        progress = Progress(console=err, transient=True)
        progress.start()
        task = progress.add_task("抽取 extracting", total=len(files))
    failed = 0
    try:
        # every entry in name order: the ones that cannot be read say why, in their place
        order = sorted([(str(e.path), "fail", e) for e in failures] + [(str(f), "file", f) for f in files])
        results = _extract_bounded(files, doc_timeout, doc_memory_mb, workers)
        for _, kind, item in order:
            if kind == "fail":
                failed += 1
                out.fail(item.path, item.error, item.reason)
                continue
            rec, status = next(results)
            if status == EXIT_UNREADABLE:
                failed += 1
                out.note(item, rec["findings"][-1]["message"])
            out.add(item, rec)
            if progress:
                progress.advance(task)
    finally:
        if progress:
            progress.stop()
    out.finish(failed=failed, skipped=len(skipped))
    if not files and [e.path for e in failures] == [path]:
        raise typer.Exit(EXIT_UNREADABLE)  # the folder itself is what cannot be read (or is no file at all)
    raise typer.Exit(EXIT_SOME_FAILED if failed else EXIT_OK)


def _extract_bounded(files: list[Path], timeout: float | None, memory_mb: int | None, workers: int | None):
    """(record, status) of each file in order, each read and extracted in a worker process capped in time and
    memory (the folder-run limits): a file that loops or balloons fails alone, with its reason."""
    if not files:
        return iter(())
    from ..ingest.pool import run_tasks
    from ..sources.limits import limits
    default_timeout, default_memory = limits()
    done: dict[int, tuple[dict, int]] = {}
    stream = run_tasks("nianbao.ingest.worker:extract_record", ((i, (str(f),)) for i, f in enumerate(files)),
                       workers=workers or max(1, min(os.cpu_count() or 1, 4)), timeout=timeout or default_timeout,
                       memory_mb=memory_mb or default_memory)

    def ordered():
        for i, f in enumerate(files):
            while i not in done:
                for key, ok, payload in next(stream):
                    done[key] = _as_result(files[key], ok, payload)
            yield done.pop(i)
    return ordered()


def _as_result(f: Path, ok: bool, payload) -> tuple[dict, int]:
    if not ok:  # timeout, memory, a crash of the worker, a defect of ours
        reason = "timeout" if "超时" in str(payload) else "memory" if "内存" in str(payload) else "crash"
        return failure_record(f, f"{display(f)}: {payload}", reason), EXIT_UNREADABLE
    if payload[0] == "unreadable":
        return failure_record(f, payload[1], payload[2]), EXIT_UNREADABLE
    rec = payload[1]
    if any(x["rule"] == "extract.not_a_report" for x in rec["findings"]):
        return rec, EXIT_NO_REPORT
    return rec, EXIT_OK


def _named(path: Path, rec: dict) -> dict:
    """The record with its file name readable and lossless, whatever the name's bytes (see nianbao.folders)."""
    raw = raw_name(path)
    if raw is None:
        return rec
    rec = clean_text(rec)
    rec["source"] = {**rec.get("source", {}), "path": display(path), "path_bytes": raw}
    return rec


class _Output:
    """Records out as a table, one JSON document, or JSON lines; always valid UTF-8, whatever the locale."""

    def __init__(self, as_json: bool, jsonl: bool, folder: bool):
        self.as_json, self.jsonl, self.folder = as_json, jsonl, folder
        self.records: list[dict] = []

    def _write(self, text: str) -> None:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()

    def note(self, path: Path, message: str) -> None:
        line = clean_text(message)
        if not line.startswith(display(path) + ": "):
            line = f"{display(path)}: {line}"
        sys.stderr.buffer.write(f"nianbao: {line}\n".encode("utf-8"))
        sys.stderr.buffer.flush()

    def fail(self, path: Path, message: str, reason: str | None) -> None:
        self.note(path, message)
        self.add(path, failure_record(path, f"{display(path)}: {message}", reason))

    def add(self, path: Path, rec: dict) -> None:
        rec = _named(path, rec)
        if self.jsonl or (self.as_json and not self.folder):
            self._write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            self.records.append(rec)

    def finish(self, failed: int = 0, skipped: int = 0) -> None:
        if self.as_json and self.folder and not self.jsonl:
            self._write(json.dumps(self.records, ensure_ascii=False) + "\n")
        elif not (self.as_json or self.jsonl):
            con = Console()
            con.print(summary_table(self.records))
            if failed:
                con.print(f"[red]{failed} 个文件无法读取 files could not be read[/]")
        if skipped:
            sys.stderr.buffer.write(f"nianbao: 跳过 {skipped} 个隐藏文件或记录文件 (skipped {skipped} hidden or "
                                    f"record files)\n".encode("utf-8"))
