"""``nianbao demo``: the main job — ingest and check a corpus, then show the result.

With a folder, its reports are ingested; without one, a sample corpus is
generated first (the seed reports may not ship with the project). The
result is shown as tables in the terminal, and the web UI is offered on it.
"""
from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from . import app

DEFAULT_HOME = Path("nianbao-data")


@app.command()
def demo(folder: Optional[Path] = typer.Argument(None, help="报告目录；不给则生成示例报告 (a folder of reports; "
                                                       "none: generate sample reports)"),
         db: Optional[str] = typer.Option(None, "--db", envvar="NIANBAO_DB",
                                          help="存储 URL，默认 ./nianbao-data/nianbao.sqlite (store URL)"),
         agencies: int = typer.Option(12, "--agencies", help="示例机关数 (sample agencies when generating)"),
         serve: Optional[bool] = typer.Option(None, "--serve/--no-serve",
                                              help="之后启动网页界面 (start the web UI afterwards; default: ask "
                                                   "when interactive)"),
         port: int = typer.Option(8000, "--port")):
    """主流程：入库并校验一批报告，展示结果，提供网页界面。The main job: ingest, check, show."""
    from ..store.api import Store  # the store pulls in SQLAlchemy; only this command needs it

    console = Console()
    home = DEFAULT_HOME
    if folder is None:
        folder = home / "samples"
        if not any(folder.glob("*")) if folder.exists() else True:
            from ..generate.corpus import demo_corpus
            with console.status("生成示例报告 generating sample reports…"):
                paths = demo_corpus(folder, agencies=agencies)
            console.print(f"已生成 {len(paths)} 份示例报告于 {folder}  (generated {len(paths)} sample reports)")
    elif not folder.exists():
        console.print(f"[red]目录不存在 no such folder: {folder}[/]")
        raise typer.Exit(2)
    url = db or f"sqlite:///{(home / 'nianbao.sqlite').resolve()}"
    home.mkdir(parents=True, exist_ok=True)
    store = Store.open(url)
    from ..ingest import ingest_paths
    result = ingest_paths(store, [folder], progress=sys.stderr.isatty())
    console.print(Panel.fit(
        f"入库 stored: [bold]{len(result.stored)}[/]   已存在跳过 skipped: {len(result.skipped)}   "
        f"失败 failed: [red]{len(result.failed)}[/]", title="入库 Ingest"))
    for item in result.failed[:20]:
        console.print(f"  [red]✗[/] {item}")

    listing = store.list_reports(limit=1000)
    table = Table(title="报告与校验结果 Reports and findings")
    for col in ("id", "机关 agency", "年度 year", "错误 errors", "警告 warnings"):
        table.add_column(col)
    rules: Counter = Counter()
    for item in listing["items"]:
        findings = store.get_report(item["id"])["findings"]
        errors = sum(1 for f in findings if f["severity"] == "error")
        warnings = sum(1 for f in findings if f["severity"] == "warning")
        table.add_row(str(item["id"]), item.get("agency") or "—", str(item.get("year") or "—"),
                      f"[red]{errors}[/]" if errors else "0", f"[yellow]{warnings}[/]" if warnings else "0")
        for f in findings:
            if f["severity"] in ("error", "warning"):
                rules[f["rule"]] += 1
    console.print(table)
    if rules:
        rt = Table(title="最常见的问题 Most frequent findings")
        rt.add_column("规则 rule")
        rt.add_column("次数 count", justify="right")
        for rule, n in rules.most_common(10):
            rt.add_row(rule, str(n))
        console.print(rt)
    stats = store.stats(group_by=("year",))
    shown = (("applications", "新收申请 applications", False), ("disclosure_rate", "公开率 disclosed", True),
             ("denial_rate", "不予公开率 denied", True), ("carry_rate", "结转率 carried", True),
             ("reconsideration_correction_rate", "复议纠错率", True), ("applications_yoy", "申请量同比 YoY", True))
    st = Table(title="按年度汇总 By year")
    st.add_column("年度 year")
    st.add_column("报告数 reports", justify="right")
    for _, title, _ in shown:
        st.add_column(title, justify="right")
    for g in stats.get("groups", []):
        vals = g.get("values", {})
        cells = []
        for key, _, pct in shown:
            v = vals.get(key)
            cells.append("—" if v is None else (f"{v:.1%}" if pct else f"{v:,.0f}"))
        st.add_row(" ".join(str(v) for v in g["label"].values()), str(g["reports"]), *cells)
    console.print(st)

    cmd = f"nianbao serve --db {url} --port {port} --anonymous-read"
    console.print(Panel.fit(f"网页界面 Web UI:  [bold]{cmd}[/]\n然后打开 then open  http://127.0.0.1:{port}/\n"
                            f"审核、更正需要账号 reviewing needs an account:  nianbao user add 姓名 --role reviewer --db {url}",
                            title="下一步 Next"))
    if serve is None:
        serve = sys.stdin.isatty() and sys.stdout.isatty() and typer.confirm("现在启动网页界面？Start the web UI now?",
                                                                            default=True)
    if serve:
        os.execvp(sys.argv[0], [sys.argv[0], "serve", "--db", url, "--port", str(port), "--anonymous-read"])
