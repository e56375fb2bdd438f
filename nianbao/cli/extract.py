"""``nianbao extract``: one file or a folder → canonical JSON."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from . import app
from ..extract import SourceError, extract_path
from ..record import empty_record

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_UNREADABLE, EXIT_NO_REPORT = 0, 1, 2, 3, 4


def _dump(rec: dict) -> str:
    return json.dumps(rec, ensure_ascii=False)


@app.command()
def extract(path: Path = typer.Argument(..., help="报告文件或目录 (a report file or a folder)"),
            as_json: bool = typer.Option(False, "--json", help="输出一条 canonical JSON (one JSON object)"),
            jsonl: bool = typer.Option(False, "--jsonl", help="目录：每个文件一行 JSON (one JSON object a line)")):
    """抽取报告为 canonical JSON. Extract a report into the canonical record."""
    if not path.exists():
        typer.echo(f"nianbao: {path}: 文件不存在 (no such file)", err=True)
        raise typer.Exit(EXIT_USAGE)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    worst = EXIT_OK
    for f in files:
        try:
            rec = extract_path(f)
        except SourceError as exc:
            typer.echo(f"nianbao: {f}: {exc}", err=True)
            rec = empty_record(str(f))
            rec["findings"].append({"rule": "source.unreadable", "severity": "error", "message": str(exc),
                                    "message_en": str(exc), "cells": [], "evidence": ""})
            worst = EXIT_UNREADABLE if not path.is_dir() else EXIT_SOME_FAILED
        if as_json or jsonl:
            sys.stdout.write(_dump(rec) + "\n")
        else:
            typer.echo(f"{f}: year={rec['meta']['year']} template={rec['meta']['template']}")
    raise typer.Exit(worst)
