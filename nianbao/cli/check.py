"""``nianbao check PATH...``: what a reviewer should look at in each report.

PATH is a report file (any format ``nianbao extract`` reads), a folder of them, or a ``.json`` /
``.jsonl`` file of canonical records (e.g. from ``nianbao extract --json``), which are checked as they are.

Exit codes: 0 no error-severity finding; 1 at least one report has an error finding; 2 a PATH does
not exist; 3 at least one file could not be read (this takes precedence over 1).
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Iterator, List

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from . import app
from ..extract import SourceError, extract_path
from ..record import empty_record
from ..validate import check as run_check, summary
from ..validate.describe import describe_cell
from ..validate.rules import RULES, severity_rank
from ..validate.sane import sane

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_UNREADABLE = 0, 1, 2, 3

STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
LABEL = {"zh": {"error": "错误", "warning": "警告", "info": "提示"},
         "en": {"error": "error", "warning": "warning", "info": "info"}}
MAX_CELLS = 4


def _records(path: Path) -> Iterator[tuple[str, dict | None, str]]:
    """(name, record or None, reason when unreadable) for every report under ``path``."""
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")) \
        if path.is_dir() else [path]
    for f in files:
        if f.suffix.lower() in (".json", ".jsonl"):
            yield from _json_records(f)
            continue
        try:
            yield str(f), extract_path(f), ""
        except SourceError as exc:
            yield str(f), None, str(exc)


def _json_records(f: Path) -> Iterator[tuple[str, dict | None, str]]:
    try:
        text = f.read_text(encoding="utf-8")
        if f.suffix.lower() == ".jsonl":
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
            items = data if isinstance(data, list) else [data]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield str(f), None, f"不是有效的 JSON 记录 (not a valid JSON record): {exc}"
        return
    for i, rec in enumerate(items):
        name = str(f) if len(items) == 1 else f"{f}#{i + 1}"
        if not isinstance(rec, dict) or not ({"meta", "t3", "t4", "t2"} & rec.keys()):
            yield name, None, "不是 canonical 记录 (not a canonical record: no meta/t2/t3/t4)"
        else:
            rec.setdefault("findings", [])
            yield (rec.get("source") or {}).get("path") or name, rec, ""


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”"
_SPACE_BY_CJK = re.compile(rf"(?<=[{_CJK}]) +| +(?=[{_CJK}])")


def _typeset(text: str, lang: str) -> str:
    """Chinese for the terminal: no spaces beside CJK, so lines break where the width ends, not
    before every number."""
    return text if lang == "en" else _SPACE_BY_CJK.sub("", text)


def _cells_text(f: dict, lang: str, layout: str | None) -> Text:
    cells = [str(c) for c in f["cells"]] if isinstance(f.get("cells"), list) else []
    if f.get("suspect") in cells:  # the likely culprit first
        cells.remove(f["suspect"])
        cells.insert(0, f["suspect"])
    out = Text()
    for i, ref in enumerate(cells[:MAX_CELLS]):
        if i:
            out.append("\n")
        out.append(describe_cell(ref, lang, layout))
        out.append(f" {ref}", style="dim")
    if len(cells) > MAX_CELLS:
        more = len(cells) - MAX_CELLS
        out.append(f"\n… {'and' if lang == 'en' else '及其余'} {more} {'more cells' if lang == 'en' else '格'}",
                   style="dim")
    return out


def _render(console: Console, name: str, rec: dict, findings: list[dict], lang: str) -> None:
    rec = sane(rec)
    meta = rec["meta"]
    en = lang == "en"
    unknown = "unknown" if en else "未知"
    head = Text()
    inferred = meta.get("agency_inferred") if isinstance(meta.get("agency_inferred"), str) else None
    head.append(meta.get("agency") or inferred or ("(agency not named)" if en else "（未署机关名称）"), style="bold")
    year, form = meta.get("year"), meta.get("template")
    head.append(f"  ·  {year if year else unknown}{'' if en else ' 年度'}")
    head.append(f"  ·  {'form' if en else '表三格式'} {form or unknown}")
    if meta.get("published"):
        head.append(f"  ·  {'published' if en else '发布'} {meta['published']}")
    head.append(f"\n{name}", style="dim")
    counts = summary(findings)
    labels = LABEL[lang]
    if not findings:
        body = Text("✓ " + ("no findings" if en else "未发现问题"), style="green")
    else:
        table = Table(show_lines=True, expand=True, pad_edge=False)
        table.add_column("level" if en else "级别", no_wrap=True, overflow="fold")
        table.add_column("finding" if en else "问题", ratio=5, overflow="fold")
        table.add_column("cells" if en else "涉及单元格", ratio=3, overflow="fold")
        table.add_column("evidence" if en else "依据", ratio=4, overflow="fold")
        layout = (rec.get("t2") or {}).get("layout")
        for f in sorted(findings, key=severity_rank):
            sev = f.get("severity") if f.get("severity") in STYLE else "info"
            r = RULES.get(str(f.get("rule", "")))
            title = (r.title_en if en else r.title) if r else str(f.get("rule", ""))
            what = Text()
            what.append(title, style="bold")
            what.append(f"  {f.get('rule')}\n", style="dim")
            what.append(_typeset(str((f.get("message_en") if en and f.get("message_en") else f.get("message"))
                                     or ""), lang))
            table.add_row(Text(labels.get(sev, sev), style=STYLE.get(sev, "")), what,
                          _cells_text(f, lang, layout), Text(_typeset(str(f.get("evidence") or ""), lang), style="italic"))
        body = table
    line = Text()
    for sev in ("error", "warning", "info"):
        line.append(f"{labels[sev]} {counts[sev]}", style=STYLE[sev] if counts[sev] else "dim")
        line.append("   ")
    console.print(Panel(Group(head, body, line), expand=True))


@app.command()
def check(paths: List[Path] = typer.Argument(..., help="报告文件、目录或 canonical JSON (report files, folders, "
                                                         "or canonical JSON records)"),
          as_json: bool = typer.Option(False, "--json", help="每份报告输出一行 JSON (one JSON object per report, "
                                                             "one per line)"),
          lang: str = typer.Option(None, "--lang", envvar="NIANBAO_LANG", help="zh|en")):
    """校验报告：勾稽关系、格式、时效、收费说明、正文与表格一致性。Check reports: arithmetic, form,
    timeliness, fee statement, prose against tables. Exit: 0 no errors, 1 errors found, 2 bad PATH,
    3 a file could not be read."""
    lang = "en" if (lang or os.environ.get("NIANBAO_LANG", "")).lower().startswith("en") else "zh"
    for p in paths:
        if not p.exists():
            typer.echo(f"nianbao: {p}: 文件不存在 (no such file)", err=True)
            raise typer.Exit(EXIT_USAGE)
    console = Console(soft_wrap=False, highlight=False,
                      width=int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else None)
    errors = unreadable = docs = 0
    totals = {"error": 0, "warning": 0, "info": 0}
    for p in paths:
        for name, rec, reason in _records(p):
            docs += 1
            if rec is None:
                unreadable += 1
                rec = empty_record(name)
                rec["findings"].append({"rule": "source.unreadable", "severity": "error", "message": reason,
                                        "message_en": reason, "cells": [], "evidence": name})
                findings = rec["findings"]
                typer.echo(f"nianbao: {name}: {reason}", err=True)
            else:
                findings = run_check(rec)
            counts = summary(findings)
            for k in totals:
                totals[k] += counts[k]
            errors += bool(counts["error"])
            if as_json:
                sys.stdout.write(json.dumps({"path": name, "meta": rec.get("meta"), "summary": counts,
                                             "findings": findings}, ensure_ascii=False) + "\n")
            else:
                _render(console, name, rec, findings, lang)
    if not as_json:
        if lang == "en":
            console.print(f"[bold]{docs} report(s) checked[/]: {errors} with errors, {unreadable} unreadable; "
                          f"{totals['error']} errors, {totals['warning']} warnings, {totals['info']} notes.")
        else:
            console.print(f"[bold]共检查 {docs} 份报告[/]：{errors} 份有错误，{unreadable} 份无法读取；"
                          f"错误 {totals['error']} 个，警告 {totals['warning']} 个，提示 {totals['info']} 个。")
    raise typer.Exit(EXIT_UNREADABLE if unreadable else EXIT_ERRORS if errors else EXIT_OK)
