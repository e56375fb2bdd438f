"""``nianbao collect``: reports from government websites (a 年报 column, or a list of addresses) into the store."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import app
from .store import DbOpt, _err, _open


@app.command()
def collect(urls: List[str] = typer.Argument(None, help="栏目页或报告页地址 (column or report page URLs)"),
            list_: Optional[Path] = typer.Option(None, "--list", help="地址清单 CSV：url，可选 type (column|report)、"
                                                 "agency、region、level、year、kind (a CSV list of URLs)"),
            ingest: bool = typer.Option(False, "--ingest", help="抽取并入库，如 nianbao ingest；不给地址时只入库已采集"
                                        "而未入库的报告 (extract and store; without URLs: the collected, not yet "
                                        "stored reports)"),
            since: Optional[int] = typer.Option(None, "--since", help="只采集此年度及以后的报告 (only reports of this "
                                                "year or later, by their titles)"),
            per_host: int = typer.Option(2, "--per-host", help="每个站点同时最多几个请求 (requests at once per host)"),
            delay: float = typer.Option(1.0, "--delay", help="同一站点两次请求间隔（秒），robots.txt 的 Crawl-delay "
                                        "更长时从之 (seconds between two requests to a host)"),
            timeout: float = typer.Option(30.0, "--timeout", help="连接与读取时限（秒） (connect/read timeout, s)"),
            retries: int = typer.Option(3, "--retries", help="5xx、超时、连接中断时重试次数 (retries on 5xx, "
                                        "timeouts, resets)"),
            max_mb: float = typer.Option(100.0, "--max-mb", help="单个文件大小上限 MB (size cap per file)"),
            max_redirects: int = typer.Option(5, "--max-redirects"),
            max_pages: int = typer.Option(500, "--max-pages", help="每个栏目最多翻几页 (listing pages per column)"),
            user_agent: Optional[str] = typer.Option(None, "--user-agent", help="User-Agent（默认注明 nianbao）"),
            insecure: bool = typer.Option(False, "--insecure", help="不验证 TLS 证书（政府网站证书过期或缺中间证书时）"
                                          "(do not verify TLS certificates)"),
            workers: int = typer.Option(0, "--workers", "-j", help="抽取进程数，0 = CPU 数 (extraction workers)"),
            engine: str = typer.Option("process", "--engine",
                                      help="抽取引擎 process | dask；dask 无 --scheduler 时在本机起 --workers 个工作进程 "
                                           "(extraction engine; dask without --scheduler: a local cluster of "
                                           "--workers processes)"),
            scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask 调度器地址 tcp://host:8786"),
            doc_timeout: float = typer.Option(300, "--doc-timeout", help="每份文件的抽取时限（秒） (per-document "
                                              "extraction timeout, s)"),
            export: Optional[Path] = typer.Option(None, "--export", help="把采集的原件写入此目录，附 originals.csv"
                                                  "（来源）与 manifest.csv（供 nianbao ingest --manifest 重建）(write "
                                                  "the collected originals to this folder, with their provenance)"),
            progress: bool = typer.Option(True, "--progress/--no-progress"),
            as_json: bool = typer.Option(False, "--json", help="结果以 JSON 输出 (print the result as JSON)"),
            db: Optional[str] = DbOpt):
    """从政府网站采集年报：栏目翻页、报告页及附件，连同来源存入库中；礼貌、可续采。
    Collect reports from government websites: a column and its pages, each report's page and attachments,
    stored with where they came from; polite and resumable."""
    import os

    from rich.console import Console

    from ..collect import CollectError, IngestOptions, Policy, USER_AGENT, collect as run_collect, read_list, target
    from ..store import StoreError

    if engine not in ("process", "dask", "inline"):
        _err(f"未知引擎 (unknown engine): {engine}; 可用 (use) process, dask")
    if not urls and list_ is None and not ingest and export is None:
        _err("请给出地址、--list、--ingest 或 --export (give URLs, --list, --ingest or --export)")
    for name, value in (("--per-host", per_host), ("--max-redirects", max_redirects + 1), ("--max-pages", max_pages)):
        if value < 1:
            _err(f"{name} 须为正数 (must be positive)")
    if delay < 0 or timeout <= 0 or retries < 0 or max_mb <= 0:
        _err("--delay、--retries 不可为负，--timeout、--max-mb 须为正 (bad limit)")
    if user_agent is not None and (not user_agent.isascii() or not user_agent.strip()):
        _err("--user-agent 须为 ASCII 字符 (must be ASCII text)")
    try:
        targets = [target(u) for u in urls or []]
        if list_ is not None:
            targets += read_list(list_)
    except CollectError as exc:
        _err(str(exc))
    policy = Policy(per_host=per_host, delay=delay, timeout=timeout, retries=retries,
                    max_bytes=int(max_mb * 1024 * 1024), max_redirects=max_redirects,
                    user_agent=user_agent or USER_AGENT, verify=not insecure)
    options = None
    if ingest:
        options = IngestOptions(engine=engine, scheduler=scheduler,
                                workers=workers or max(1, min(os.cpu_count() or 1, 8)), timeout=doc_timeout or None)
    store = _open(db)
    console = Console(stderr=True)
    bar = _Bar(console) if progress and console.is_terminal else None
    exported = None
    try:
        res = run_collect(store, targets, policy, since=since, ingest=options, max_pages=max_pages,
                          progress=bar.update if bar else None)
        if bar:
            bar.stop()
            bar = None
        if export is not None:
            from ..collect.export import export as write_export
            exported = write_export(store, export)
    except (CollectError, StoreError, OSError) as exc:
        _err(str(exc))
    except KeyboardInterrupt:
        _err("已中断；再次运行同一命令即可续采 (interrupted: run the same command again to resume)", 130)
    finally:
        if bar:
            bar.stop()
        store.close()
    if as_json:
        sys.stdout.write(json.dumps(_as_dict(res), ensure_ascii=False, default=str, indent=1) + "\n")
    if targets or ingest:
        _summary(console, res)
    if exported is not None:
        console.print(f"导出 exported: {exported['files']} 个文件 files, {exported['entries']} 条目 entries, "
                      f"{exported['sources']} 份报告来源 report sources → {export}")
    failed = res.failed or (res.ingest is not None and res.ingest.failed)
    if failed:
        raise typer.Exit(1)


class _Bar:
    """Two bars: addresses fetched (the total grows as pages reveal links) and reports ingested."""

    def __init__(self, console):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn)
        self.p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          TextColumn("{task.fields[extra]}"), console=console, transient=False)
        self.fetch = self.p.add_task("采集 fetch", total=0, extra="")
        self.ingest = None
        self.requests = 0
        self.p.start()

    def update(self, kind: str, n: int = 1) -> None:
        if kind == "total":
            self.p.update(self.fetch, total=(self.p.tasks[self.fetch].total or 0) + n)
        elif kind == "fetched":
            self.p.advance(self.fetch, n)
        elif kind == "request":
            self.requests += n
            self.p.update(self.fetch, extra=f"请求 requests {self.requests}")
        elif kind == "ingest_total":
            if self.ingest is None:
                self.ingest = self.p.add_task("入库 ingest", total=0, extra="")
            self.p.update(self.ingest, total=(self.p.tasks[self.ingest].total or 0) + n)
        elif kind == "ingested" and self.ingest is not None:
            self.p.advance(self.ingest, n)

    def stop(self) -> None:
        self.p.stop()


def _as_dict(res) -> dict:
    from dataclasses import asdict
    return asdict(res)


def _summary(console, res) -> None:
    from rich.table import Table
    console.print(f"报告条目 entries: {len(res.entries)}  新取得 new: {res.new}  有变化 changed: {res.changed}  "
                  f"未变 unchanged: {res.unchanged}  跳过 skipped: {len(res.skipped)}  失败 failed: {len(res.failed)}")
    if res.requests:
        console.print("请求 requests: " + ", ".join(f"{h} {n}" for h, n in sorted(res.requests.items())))
    if res.ingest is not None:
        o = res.ingest
        console.print(f"入库 stored: {len(o.stored)}  已在库中 duplicate: {len(o.duplicate)}  "
                      f"未变 unchanged: {len(o.unchanged)}  失败 failed: {len(o.failed)}")
    robots = [s for s in res.skipped if s["reason"] == "robots"]
    if robots:
        console.print(f"robots.txt 不允许 (disallowed): {len(robots)}")
    rows = [(f["url"], f["error"]) for f in res.failed]
    if res.ingest is not None:
        rows += [(f.get("url") or f"#{f.get('entry')}", f["error"]) for f in res.ingest.failed]
    if rows:
        t = Table(title="失败 Failures")
        t.add_column("地址 URL", overflow="fold")
        t.add_column("原因 reason", overflow="fold")
        for url, error in rows:
            t.add_row(str(url), str(error))
        console.print(t)
