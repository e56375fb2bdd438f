"""Store commands: ``ingest``, ``list``, ``show``, ``compare``, ``stats``, ``export``, ``review``, ``correct``.

Every command takes ``--db URL`` (or NIANBAO_DB); without it the store is the
SQLite file ``./nianbao-data/nianbao.sqlite``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import app

DB_HELP = "数据库 URL：sqlite:///file.sqlite 或 postgresql://user@host:port/db (database URL; env NIANBAO_DB)"
DbOpt = typer.Option(None, "--db", envvar="NIANBAO_DB", help=DB_HELP)


def _err(msg: str, code: int = 2):
    typer.echo(f"nianbao: {msg}", err=True)
    raise typer.Exit(code)


def _open(db):
    try:
        from ..store import Store
    except ImportError as exc:
        _err(f"存储功能需要 sqlalchemy 与 alembic (the store needs sqlalchemy and alembic): {exc}")
    try:
        return Store.open(db)
    except Exception as exc:  # a bad URL or an unreachable server: say so, no traceback
        _err(f"无法打开数据库 (cannot open database) {db or ''}: {type(exc).__name__}: {str(exc).splitlines()[0]}")


def _json_out(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str, indent=1) + "\n")


def _fmt(v, percent=False) -> str:
    if v is None:
        return "—"
    if percent:
        return f"{v * 100:.1f}%"
    if isinstance(v, float) and v.is_integer():
        return f"{int(v):,}"
    return f"{v:,.2f}" if isinstance(v, float) else str(v)


def _filters(region, level, year, kind=None) -> dict:
    out = {}
    if region:
        out["region"] = region
    if level:
        out["level"] = level
    if year:
        out["year"] = year
    if kind:
        out["kind"] = kind
    return out


@app.command()
def ingest(paths: List[Path] = typer.Argument(None, help="报告文件或目录 (report files or folders)"),
           manifest: Optional[Path] = typer.Option(None, "--manifest", help="清单 CSV：path 或 url, agency, region, "
                                                   "level, year (manifest; overrides what extraction infers)"),
           workers: int = typer.Option(0, "--workers", "-j", help="抽取进程数，0 = CPU 数 (worker processes)"),
           timeout: float = typer.Option(300, "--timeout", help="每份文件的时限（秒） (per-document timeout, s)"),
           engine: str = typer.Option("process", "--engine",
                                     help="抽取引擎 process | dask；dask 无 --scheduler 时在本机起 --workers 个工作进程 "
                                          "(extraction engine; dask without --scheduler: a local cluster of "
                                          "--workers processes)"),
           scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask 调度器地址 tcp://host:8786"),
           keep_bytes: bool = typer.Option(True, "--keep-bytes/--no-keep-bytes",
                                           help="在库中保存原始文件 (keep the original bytes in the store)"),
           progress: bool = typer.Option(True, "--progress/--no-progress"),
           extractor: str = typer.Option("nianbao.extract:extract_path", "--extractor",
                                         help="抽取函数 module:function，参数为文件路径 (extractor to use)"),
           db: Optional[str] = DbOpt):
    """把报告抽取后存入库中；已入库的文件跳过。Extract reports into the store; stored files are skipped."""
    from rich.console import Console
    from rich.table import Table
    from ..folders import clean_text, display
    from ..store import StoreError
    if not paths and manifest is None:
        _err("请给出文件、目录或 --manifest (give files, folders or --manifest)")
    store = _open(db)
    console = Console(stderr=True)
    try:
        from ..ingest import ingest_paths
        res = ingest_paths(store, [str(p) for p in paths or []], manifest=str(manifest) if manifest else None,
                                 workers=workers or None, timeout=timeout or None, engine=engine,
                                 scheduler=scheduler, keep_bytes=keep_bytes, extractor=extractor,
                                 progress=progress and console.is_terminal)
    except StoreError as exc:
        _err(str(exc))
    finally:
        store.close()
    console.print(f"入库 stored: {len(res.stored)}  跳过 skipped: {len(res.skipped)}  "
                  f"失败 failed: {len(res.failed)}")
    if res.failed:
        t = Table(title="失败 Failures", show_lines=False)
        t.add_column("文件 file", overflow="fold")
        t.add_column("原因 reason", overflow="fold")
        for f in res.failed:
            t.add_row(display(str(f.get("path"))), clean_text(str(f.get("error"))))
        console.print(t)
        raise typer.Exit(1)


@app.command("list")
def list_(region: Optional[str] = typer.Option(None, "--region", help="地区 (region name or id)"),
          level: Optional[str] = typer.Option(None, "--level", help="province|city|county|township 或 省/市/县/乡"),
          year: Optional[int] = typer.Option(None, "--year"),
          status: Optional[str] = typer.Option(None, "--status", help="open | clean | reviewed"),
          agency: Optional[str] = typer.Option(None, "--agency", help="机关名称包含 (agency name contains)"),
          limit: int = typer.Option(50, "--limit"), offset: int = typer.Option(0, "--offset"),
          as_json: bool = typer.Option(False, "--json"), db: Optional[str] = DbOpt):
    """列出库中的报告。List stored reports."""
    from rich.console import Console
    from rich.table import Table
    from ..store import StoreError
    store = _open(db)
    try:
        res = store.list_reports(region=region, level=level, year=year, status=status, agency=agency,
                                 offset=offset, limit=limit)
    except StoreError as exc:
        _err(str(exc))
    finally:
        store.close()
    if as_json:
        _json_out(res)
        return
    t = Table(title=f"报告 reports: {res['total']}")
    for c in ("id", "机关 agency", "地区 region", "层级 level", "年度 year", "版本 version", "错误 errors",
              "警告 warnings", "提示 info", "待审 open"):
        t.add_column(c)
    for r in res["items"]:
        t.add_row(str(r["id"]), r["agency"] or "（未知）", r["region"] or "", r["level"] or "", str(r["year"] or ""),
                  f"v{r['version'] or 1}", str(r["errors"]), str(r["warnings"]), str(r["infos"]), str(r["n_open"]))
    Console().print(t)


def _report_id(store, report: Optional[int], agency: Optional[str], year: Optional[int]) -> int:
    if report is not None:
        return report
    if agency and year:
        rid = store.find_report(agency, year)
        if rid is None:
            _err(f"库中没有 {agency} {year} 年的报告 (no such report)", 3)
        return rid
    _err("请给出报告 id，或 --agency 与 --year (give a report id, or --agency and --year)")


@app.command()
def show(report: Optional[int] = typer.Argument(None, help="报告 id (report id)"),
         agency: Optional[str] = typer.Option(None, "--agency"), year: Optional[int] = typer.Option(None, "--year"),
         version: Optional[int] = typer.Option(None, "--version", help="第几版 (version number)"),
         as_json: bool = typer.Option(False, "--json"), db: Optional[str] = DbOpt):
    """显示一份报告：版本、发现与表三。Show one report: versions, findings, table 三."""
    from rich.console import Console
    from rich.table import Table
    from ..store import StoreError
    from ..template import T3_COLUMNS, T3_ROW_BY_KEY
    store = _open(db)
    try:
        rep = store.get_report(_report_id(store, report, agency, year), version=version)
    except StoreError as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    if as_json:
        _json_out(rep)
        return
    con = Console()
    con.print(f"[bold]#{rep['id']} {(rep['agency'] or {}).get('name') or '（未知机关）'} {rep['year'] or ''}[/bold]  "
              f"{(rep['region'] or {}).get('name') or ''}")
    src = rep["source"] or {}
    con.print(f"来源 source: {src.get('filename')}  sha256 {str(src.get('sha256'))[:12]}…  {src.get('format')}")
    vt = Table(title="版本 versions")
    for c in ("#", "类型 kind", "作者 author", "理由 reason", "时间 at"):
        vt.add_column(c)
    for v in rep["versions"]:
        vt.add_row(str(v["number"]), v["kind"], v["author"] or "", v["reason"] or "", str(v["created_at"])[:19])
    con.print(vt)
    rows = ((rep["record"].get("t3") or {}).get("rows") or {})
    if rows:
        t = Table(title="表三 table 3")
        t.add_column("")
        for c in T3_COLUMNS:
            t.add_column(c.label, justify="right")
        for key, vals in rows.items():
            label = T3_ROW_BY_KEY[key].label if key in T3_ROW_BY_KEY else key
            t.add_row(label[:18], *[_fmt(v) for v in vals])
        con.print(t)
    ft = Table(title=f"发现 findings: {len(rep['findings'])}")
    for c in ("id", "规则 rule", "级别", "状态 status", "说明 message"):
        ft.add_column(c, overflow="fold")
    for f in rep["findings"]:
        ft.add_row(str(f["id"]), f["rule"], f["severity"], f["status"], f["message"])
    con.print(ft)


@app.command()
def compare(a: Optional[int] = typer.Argument(None, help="报告 id A"), b: Optional[int] = typer.Argument(None, help="报告 id B"),
            agency: Optional[str] = typer.Option(None, "--agency", help="比较一个机关的两个年度 (an agency's two years)"),
            years: Optional[str] = typer.Option(None, "--years", help="如 2022,2023"),
            as_json: bool = typer.Option(False, "--json"), db: Optional[str] = DbOpt):
    """比较两份报告：逐格差异与章节文本重复率。Compare two reports: cell diff and section 重复率."""
    from rich.console import Console
    from rich.table import Table
    from ..store import StoreError
    store = _open(db)
    try:
        if a is None or b is None:
            if not (agency and years and "," in years):
                _err("请给出两个报告 id，或 --agency 与 --years Y1,Y2 (two report ids, or --agency and --years)")
            y1, y2 = (int(y) for y in years.split(",", 1))
            a, b = _report_id(store, None, agency, y1), _report_id(store, None, agency, y2)
        res = store.compare(a, b)
    except (StoreError, ValueError) as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    if as_json:
        _json_out(res)
        return
    con = Console()
    con.print(f"A #{res['a']['id']} {res['a']['agency']} {res['a']['year']}  ⇄  "
              f"B #{res['b']['id']} {res['b']['agency']} {res['b']['year']}")
    con.print(f"相同单元格 same cells: {res['cells_same']}  不同 changed: {res['cells_changed']}  "
              f"全文重复率 repeat rate: {_fmt(res['repeat_rate'], True)}")
    if res["cells"]:
        t = Table(title="单元格差异 cell differences")
        for c in ("cell", "A", "B", "Δ"):
            t.add_column(c, justify="right")
        for c in res["cells"]:
            t.add_row(c["ref"], _fmt(c["a"]), _fmt(c["b"]), _fmt(c["delta"]))
        con.print(t)
    for s in res["sections"]:
        con.print(f"[bold]{s['number']}、{s['title'] or ''}[/bold]  重复率 {_fmt(s['repeat_rate'], True)}")
        for line in s["diff"][:40]:
            con.print(line, markup=False, highlight=False)


@app.command()
def stats(by: str = typer.Option("province", "--by", help="分组，逗号分隔 (group by): province,city,county,level,"
                                 "year,kind,template,agency"),
          region: Optional[str] = typer.Option(None, "--region"), level: Optional[str] = typer.Option(None, "--level"),
          year: Optional[int] = typer.Option(None, "--year"), kind: Optional[str] = typer.Option(None, "--kind"),
          metric: Optional[List[str]] = typer.Option(None, "--metric", "-m", help="指标 key 或中文名，可多次 (metric)"),
          rank: Optional[str] = typer.Option(None, "--rank", help="按此指标排名 (rank by metric)"),
          top: Optional[int] = typer.Option(None, "--top"),
          as_json: bool = typer.Option(False, "--json"), db: Optional[str] = DbOpt):
    """按地区、层级、年度汇总，并计算派生指标。Aggregates by region, level, year with derived metrics."""
    from rich.console import Console
    from rich.table import Table
    from ..store import StoreError
    store = _open(db)
    try:
        res = store.stats(group_by=[d.strip() for d in by.split(",") if d.strip()],
                          filters=_filters(region, level, year, kind), metrics=metric or None, rank=rank, top=top)
    except (StoreError, ValueError, KeyError) as exc:
        _err(f"{exc}")
    finally:
        store.close()
    if as_json:
        _json_out(res)
        return
    t = Table(title="统计 statistics")
    if rank:
        t.add_column("名次 rank", justify="right")
    for d in res["group_by"]:
        t.add_column(d)
    t.add_column("报告数 reports", justify="right")
    for m in res["metrics"]:
        t.add_column(m["label"], justify="right")
    for g in res["groups"]:
        cells = ([str(g.get("rank") or "—")] if rank else []) + [str(g["label"][d]) for d in res["group_by"]]
        cells += [str(g["reports"])] + [_fmt(g["values"][m["key"]], m["percent"]) for m in res["metrics"]]
        t.add_row(*cells)
    Console().print(t)


@app.command()
def export(out: Path = typer.Argument(..., help="输出文件：.csv .xlsx .parquet .jsonl (output file)"),
           fmt: Optional[str] = typer.Option(None, "--format", help="csv|xlsx|parquet|jsonl（默认按扩展名）"),
           form: str = typer.Option("wide", "--form", help="wide（每份报告一行）| long（每个单元格一行）"),
           region: Optional[str] = typer.Option(None, "--region"), level: Optional[str] = typer.Option(None, "--level"),
           year: Optional[int] = typer.Option(None, "--year"),
           labels: str = typer.Option("ref", "--labels", help="列名：ref（代码，如 t3.new[0]）| zh（中文）| en "
                                                              "(column headers: codes, Chinese or English words)"),
           db: Optional[str] = DbOpt):
    """导出报告数据。Export stored reports (wide: a row per report; long: a row per cell)."""
    from ..store import StoreError
    fmt = fmt or {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".jsonl": "jsonl",
                  ".json": "jsonl"}.get(out.suffix.lower())
    if fmt is None:
        _err(f"{out}: 无法从扩展名判断格式，请用 --format (cannot tell the format; use --format)")
    store = _open(db)
    try:
        n = store.export(str(out), fmt=fmt, form=form, filters=_filters(region, level, year), labels=labels)
    except (StoreError, ValueError, OSError) as exc:
        _err(f"{out}: {exc}")
    finally:
        store.close()
    typer.echo(f"导出 exported {n} 行 rows → {out}", err=True)


@app.command()
def review(finding: int = typer.Argument(..., help="发现 id (finding id)"),
           status: str = typer.Argument(..., help="open | confirmed | dismissed"),
           user: str = typer.Option(..., "--user", help="审核人 (reviewer)"),
           comment: Optional[str] = typer.Option(None, "--comment"), db: Optional[str] = DbOpt):
    """审核一条发现。Review a finding (confirm or dismiss)."""
    from ..store import StoreError
    store = _open(db)
    try:
        f = store.review_finding(finding, status, user, comment)
    except StoreError as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    typer.echo(f"#{f['id']} {f['rule']}: {f['status']} ({f['reviewed_by']})")


@app.command()
def correct(report: int = typer.Argument(..., help="报告 id (report id)"),
            values: List[str] = typer.Option(..., "--set", help="单元格=值，如 t3.carried[6]=12 (cell=value)"),
            user: str = typer.Option(..., "--user", help="更正人 (who corrects)"),
            reason: str = typer.Option(..., "--reason", help="理由 (why)"), db: Optional[str] = DbOpt):
    """更正数值，生成新版本并重新校验。Correct values: a new version, re-validated."""
    from ..store import StoreError
    parsed = {}
    for item in values:
        ref, sep, val = item.partition("=")
        if not sep:
            _err(f"--set 须为 cell=value (must be cell=value): {item}")
        val = val.strip()
        try:
            parsed[ref.strip()] = None if val in ("", "null") else (float(val) if "." in val else int(val))
        except ValueError:
            _err(f"{ref}: 值须为数字 (value must be a number): {val}")
    store = _open(db)
    try:
        res = store.correct_values(report, parsed, user, reason)
    except StoreError as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    typer.echo(f"报告 #{res['report_id']} 第 {res['number']} 版 (version {res['number']}); "
               f"发现 findings: {len(res['findings'])}")
