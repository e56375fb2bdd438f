"""Oversight commands (监督): ``hierarchy``, ``reconcile``, ``score``, ``rank``.

Every command takes ``--db URL`` (or NIANBAO_DB) like the store commands.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional

import typer

from . import app
from .store import DbOpt, _err, _filters, _fmt, _json_out, _open

hierarchy_app = typer.Typer(help="机关层级：每个机关所属的人民政府、类别与层级。The agency hierarchy: each agency's "
                                 "government, kind and level.", no_args_is_help=True)
app.add_typer(hierarchy_app, name="hierarchy")

WeightsOpt = typer.Option(None, "--weights", help="评分权重 YAML 文件（默认随包提供；或 NIANBAO_SCORE_WEIGHTS） "
                                                  "(score weights YAML file)")


def _en() -> bool:
    return os.environ.get("NIANBAO_LANG") == "en"


def _pick(zh: str | None, en: str | None) -> str:
    return (en or zh or "") if _en() else (zh or en or "")


def _level(level: str | None) -> str:
    from ..store.regions import LEVEL_ZH
    if not level:
        return ""
    return level if _en() else LEVEL_ZH.get(level, level)


def _kind(kind: str | None) -> str:
    return {"government": "人民政府", "department": "部门"}.get(kind or "", kind or "") if not _en() else (kind or "")


def _weights(path):
    from ..analyse.score import WeightsError, load_weights
    try:
        return load_weights(path)
    except WeightsError as exc:
        _err(str(exc))


# ---------------------------------------------------------------------- hierarchy

@hierarchy_app.command("infer")
def hierarchy_infer(db: Optional[str] = DbOpt):
    """由名称与地区推断每个机关的上级政府、类别与层级。Infer every agency's government, kind and level."""
    from ..analyse import hierarchy
    store = _open(db)
    try:
        res = hierarchy.infer(store)
    finally:
        store.close()
    typer.echo(f"机关 agencies: {res['agencies']}  变更 changed: {res['changed']}")
    for via, n in sorted(res["by_via"].items(), key=lambda x: -x[1]):
        zh, en = hierarchy.VIA.get(via, (via, via))
        typer.echo(f"  {n:6d}  {zh} ({en})")


@hierarchy_app.command("show")
def hierarchy_show(agency: str = typer.Argument(..., help="机关名称或 id (agency name or id)"),
                   region: Optional[str] = typer.Option(None, "--region", help="同名机关时的地区 (region, for a "
                                                                              "name used twice)"),
                   depth: int = typer.Option(2, "--depth", help="向下显示几级 (levels shown below)"),
                   as_json: bool = typer.Option(False, "--json"), db: Optional[str] = DbOpt):
    """显示一个机关及其下属机关。Show an agency and the agencies under it."""
    from rich.console import Console
    from rich.tree import Tree
    from ..analyse import hierarchy
    store = _open(db)
    try:
        hierarchy.ensure(store)
        ag = hierarchy.find_agency(store, agency, region)
        t = hierarchy.tree(store, ag["id"], depth=depth)
    except hierarchy.HierarchyError as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    if as_json:
        _json_out(t)
        return

    def label(n):
        via = _pick(n.get("via_zh"), n.get("via_en"))
        years = f" [{', '.join(str(y) for y in n.get('years') or [])}]" if n.get("years") is not None else ""
        mark = " ✎" if n.get("override") else ""
        return f"[bold]{n['name']}[/bold] {_kind(n['kind'])} {_level(n['level'])}{years} [dim]{via}{mark}[/dim]"

    root = Tree(label(t) + (f"  ↑ {t['parent']['name']}" if t.get("parent") else ""))

    def add(node, kids):
        for c in kids:
            add(node.add(label(c)), c.get("children") or [])
    add(root, t.get("children") or [])
    Console().print(root)


@hierarchy_app.command("set")
def hierarchy_set(agency: str = typer.Argument(..., help="机关名称或 id (agency name or id)"),
                  parent: Optional[str] = typer.Option(None, "--parent", help="所属人民政府（名称或 id） "
                                                                             "(its government: name or id)"),
                  no_parent: bool = typer.Option(False, "--no-parent", help="不属任何地方政府 (answers to no local "
                                                                            "government)"),
                  kind: Optional[str] = typer.Option(None, "--kind", help="government | department"),
                  level: Optional[str] = typer.Option(None, "--level", help="province|city|county|township 或 "
                                                                            "省/市/县/乡"),
                  region: Optional[str] = typer.Option(None, "--region"),
                  user: str = typer.Option(..., "--user", help="设定人 (who sets it)"),
                  reason: Optional[str] = typer.Option(None, "--reason", help="理由 (why)"),
                  db: Optional[str] = DbOpt):
    """人工指定机关的上级政府、类别或层级（重新推断时保留）。Set an agency's government, kind or level by hand."""
    from ..analyse import hierarchy
    if parent and no_parent:
        _err("--parent 与 --no-parent 只能选一个 (give --parent or --no-parent, not both)")
    if not (parent or no_parent or kind or level):
        _err("请给出 --parent、--no-parent、--kind 或 --level (nothing to set)")
    store = _open(db)
    try:
        kw = {}
        if parent or no_parent:
            kw["parent"] = None if no_parent else parent
        n = hierarchy.set_override(store, agency, kind=kind, level=level, user=user, reason=reason,
                                   source="cli", region=region, **kw)
    except hierarchy.HierarchyError as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    typer.echo(f"{n['name']}: {_kind(n['kind'])} {_level(n['level'])} ↑ {(n['parent'] or {}).get('name') or '—'}")


@hierarchy_app.command("clear")
def hierarchy_clear(agency: str = typer.Argument(...), region: Optional[str] = typer.Option(None, "--region"),
                    db: Optional[str] = DbOpt):
    """取消人工指定，恢复推断结果。Forget what was set by hand: back to what inference finds."""
    from ..analyse import hierarchy
    store = _open(db)
    try:
        n = hierarchy.clear_override(store, agency, region)
    except hierarchy.HierarchyError as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    typer.echo(f"{n['name']}: {_kind(n['kind'])} {_level(n['level'])} ↑ {(n['parent'] or {}).get('name') or '—'}")


@hierarchy_app.command("import")
def hierarchy_import(path: Path = typer.Argument(..., help="CSV：agency,region,parent,kind,level,reason"),
                     user: str = typer.Option(..., "--user", help="导入人 (who imports)"),
                     db: Optional[str] = DbOpt):
    """从 CSV 导入机关层级（未入库的机关将被登记）。Import the hierarchy from a CSV (unknown agencies are added)."""
    from ..analyse import hierarchy
    store = _open(db)
    try:
        res = hierarchy.import_csv(store, path, user=user)
    except hierarchy.HierarchyError as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    typer.echo(f"{path}: 设定 applied {res['applied']}  新登记 added {res['added']}  错误 errors {len(res['errors'])}")
    for e in res["errors"]:
        typer.echo(f"  {path}:{e['line']}: {e['agency'] or ''}: {e['error']}", err=True)
    if res["errors"]:
        raise typer.Exit(1)


@hierarchy_app.command("export")
def hierarchy_export(path: Path = typer.Argument(..., help="输出 CSV (output CSV)"), db: Optional[str] = DbOpt):
    """导出机关层级为 CSV（可编辑后导入）。Export the hierarchy as a CSV (edit it and import it back)."""
    from ..analyse import hierarchy
    store = _open(db)
    try:
        hierarchy.ensure(store)
        text = hierarchy.export_csv(store)
    finally:
        store.close()
    try:
        path.write_text(text, encoding="utf-8-sig")
    except OSError as exc:
        _err(f"{path}: {exc}")
    typer.echo(f"{path}: {text.count(chr(10)) - 1} 个机关 agencies")


# ---------------------------------------------------------------------- reconcile

@app.command()
def reconcile(agency: str = typer.Option(..., "--agency", help="人民政府名称或 id (the government: name or id)"),
              year: int = typer.Option(..., "--year"),
              region: Optional[str] = typer.Option(None, "--region"),
              show_all: bool = typer.Option(False, "--all", help="列出所有单元格，而不只是不符的 (every cell, not "
                                                                 "only the gaps)"),
              as_json: bool = typer.Option(False, "--json"), db: Optional[str] = DbOpt):
    """汇总一致性：政府报告与下属部门、下级政府报告之和逐格比较。A government's report against the sum of its
    subordinates' reports, cell by cell. Exit 1 when a cell differs."""
    from rich.console import Console
    from rich.table import Table
    from ..analyse.reconcile import ReconcileError, cell_name
    from ..analyse.reconcile import reconcile as run
    store = _open(db)
    try:
        res = run(store, agency, year, region=region)
    except ReconcileError as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    if as_json:
        _json_out(res)
        raise typer.Exit(1 if res["gaps"] else 0)
    con = Console()
    g = res["government"]
    con.print(f"[bold]{g['name']}[/bold] {res['year']}  {g['region'] or ''}  "
              f"{'#' + str(res['report']['id']) if res['report'] else '（无报告 no report）'}")
    sc = res["scope"]
    con.print(f"口径 scope: {_pick(sc['label'], sc['label_en'])}"
              + (f" — “{sc['evidence'][:90]}”" if sc["evidence"] else ""))
    con.print(_pick(res["comparison"]["zh"], res["comparison"]["en"]))
    con.print(f"计入合计的报告 reports in the sums: {res['included']}  缺失 missing: {len(res['missing'])}")
    for m in res["missing"]:
        con.print(f"  [yellow]缺 missing[/yellow] {m['name']}" + (f"（经 via {m['through']}）" if m["through"] else ""))
    for f in res["findings"]:
        con.print("• " + _pick(f["zh"], f["en"]))
    cells = [dict(c, row=r["label"], row_en=r["label_en"], table=t["table"])
             for t in res["tables"] for r in t["rows"] for c in r["cells"]] if show_all else res["gaps"]
    if cells:
        t = Table(title="逐格比较 cell by cell" if show_all else "不符的单元格 cells that differ")
        for c in ("单元格 cell", "政府 government", "合计 sum", "报告数 reports", "差额 gap", ""):
            t.add_column(c, justify="right" if c not in ("单元格 cell", "") else "left", overflow="fold")
        for c in cells:
            mark = {"gap": "[red]≠[/red]", "agree": "[green]=[/green]", "no_value": "—", "no_sum": "∅"}[c["status"]]
            t.add_row(cell_name(c, "en" if _en() else "zh"), _fmt(c["government"]), _fmt(c["sum"]),
                      str(c["reports"]), _fmt(c["gap"]) if c["gap"] is not None else "—", mark)
        con.print(t)
    raise typer.Exit(1 if res["gaps"] else 0)


# ---------------------------------------------------------------------- score

@app.command()
def score(report: Optional[int] = typer.Argument(None, help="报告 id：显示该报告的得分与扣分依据 (report id: its score "
                                                            "explained)"),
          agency: Optional[str] = typer.Option(None, "--agency"), year: Optional[int] = typer.Option(None, "--year"),
          region: Optional[str] = typer.Option(None, "--region"), level: Optional[str] = typer.Option(None, "--level"),
          kind: Optional[str] = typer.Option(None, "--kind"),
          limit: int = typer.Option(50, "--limit", help="列出多少份（最低分在前） (how many, lowest first)"),
          weights: Optional[Path] = WeightsOpt, as_json: bool = typer.Option(False, "--json"),
          db: Optional[str] = DbOpt):
    """年报质量评分（按评分权重文件，由校验发现扣分）。Quality scores: points lost for the validator's findings,
    as the weights file says. With a report (or --agency and --year): its score explained."""
    from rich.console import Console
    from rich.table import Table
    from ..analyse import score as sc
    from ..store import StoreError
    from ..validate.describe import describe_cell
    from .store import _report_id
    w = _weights(weights)
    store = _open(db)
    try:
        if report is not None or agency:
            rid = _report_id(store, report, agency, year)
            ex = sc.explain(store, rid, w)
            rows = None
        else:
            rows = sc.scores(store, filters=_filters(region, level, year, kind), weights=w, order="asc",
                             limit=limit)
            from ..analyse.rankings import _names
            names = _names(store, "agency", [], [r["agency_id"] for r in rows])
    except (StoreError, ValueError) as exc:
        _err(str(exc), 3)
    finally:
        store.close()
    con = Console()
    if rows is None:
        if as_json:
            _json_out(ex)
            return
        con.print(f"[bold]报告 report #{ex['report_id']}: {ex['score']:g} / {ex['max']:g}[/bold]  "
                  f"（{_pick(w.name, w.name_en)}）")
        for d in ex["dimensions"]:
            con.print(f"{_pick(d['label'], d['label_en'])}: {d['score']:g} / {d['max']:g}"
                      + (f"  [red]−{d['lost']:g}[/red]" if d["lost"] else ""))
            for it in d["items"]:
                con.print(f"   −{it['points']:g}  {it['rule']}" + ("（封顶 capped）" if it["capped"] else ""))
                for f in it["findings"]:
                    cells = "、".join(describe_cell(c, "en" if _en() else "zh") for c in f["cells"][:3])
                    pts = f"−{f['points']:g} " if f["points"] is not None else ""
                    con.print(f"      {pts}#{f['id']} {_pick(f['message'], f['message_en'])}"
                              + (f" [dim][{cells}][/dim]" if cells else ""), highlight=False)
        return
    if as_json:
        _json_out({"weights": {"name": w.name, "sha256": w.sha256, "total": w.total}, "reports": rows})
        return
    t = Table(title=f"评分 scores（{_pick(w.name, w.name_en)}），最低分在前 lowest first")
    for c in ("id", "机关 agency", "层级 level", "年度 year", "得分 score", *[f"{d.label}/{d.max:g}" for d in w.dimensions]):
        t.add_column(c, justify="right" if c not in ("机关 agency", "层级 level") else "left")
    for r in rows:
        t.add_row(str(r["report_id"]), names.get(("agency", r["agency_id"])) or "（未知）", _level(r["level"]),
                  str(r["year"] or ""), f"{r['score']:g}",
                  *[(f"−{r['lost_' + d.key]:g}" if r["lost_" + d.key] else "") for d in w.dimensions])
    con.print(t)


# ---------------------------------------------------------------------- rank

@app.command()
def rank(by: str = typer.Option("score", "--by", help="score 或指标 key/中文名（如 公开率） (score or a metric)"),
         group: str = typer.Option("agency", "--group", help="agency|province|city|county|region|level|kind|year"),
         region: Optional[str] = typer.Option(None, "--region"), level: Optional[str] = typer.Option(None, "--level"),
         year: Optional[int] = typer.Option(None, "--year"), kind: Optional[str] = typer.Option(None, "--kind"),
         top: Optional[int] = typer.Option(20, "--top"), ascending: bool = typer.Option(False, "--asc",
                                                                                      help="由低到高 (lowest first)"),
         metric: Optional[List[str]] = typer.Option(None, "--metric", "-m", help="另列的指标 (more metrics to show)"),
         xlsx: Optional[Path] = typer.Option(None, "--xlsx", help="导出 Excel（含每份报告的扣分说明） (export to Excel "
                                                                  "with each score explained)"),
         weights: Optional[Path] = WeightsOpt, as_json: bool = typer.Option(False, "--json"),
         db: Optional[str] = DbOpt):
    """排名与地区概览：按得分或任一指标，含分布与扣分最多的发现。Rankings by score or any metric, with the spread
    and the costliest findings."""
    from rich.console import Console
    from rich.table import Table
    from ..analyse import rankings
    from ..store import StoreError
    w = _weights(weights)
    store = _open(db)
    filters = _filters(region, level, year, kind)
    try:
        res = rankings.rank(store, group=group, by=by, filters=filters, top=top, ascending=ascending, weights=w,
                            metrics=metric or None)
        written = rankings.export_xlsx(store, xlsx, group=group, by=by, filters=filters, weights=w,
                                       metrics=metric or None, lang="en" if _en() else "zh") if xlsx else None
    except KeyError as exc:
        _err(f"未知指标 (unknown metric): {exc}")
    except (StoreError, ValueError, OSError) as exc:
        _err(str(exc))
    finally:
        store.close()
    if as_json:
        _json_out(res)
        return
    con = Console()
    o = res["overall"]
    if o.get("reports"):
        con.print(f"报告 reports: {o['reports']}  平均 mean {o['mean']:g}  最低 min {o['min']:g}  最高 max {o['max']:g}  "
                  f"标准差 stdev {o['stdev']:g}  （{_pick(w.name, w.name_en)}）")
    t = Table(title=f"排名 ranking: {by} by {group}")
    for c in ("名次 rank", rankings.GROUP_ZH.get(group, group), "报告 reports", "平均分 mean", "最低–最高 min–max",
              "四分位 q1–q3", *[_pick(m["label"], m["label_en"]) for m in res["metrics"]], "扣分最多 costliest"):
        t.add_column(c, overflow="fold")
    for g in res["groups"]:
        s = g["score"]
        label = _level(g["label"]) if group == "level" else g["label"]
        worst = "；".join(f"{_pick(x['title'], x['title_en'])} −{x['points']:g}" for x in g["worst_findings"][:2])
        t.add_row(str(g["rank"] or "—"), str(label), str(g["reports"]), f"{s['mean']:g}", f"{s['min']:g}–{s['max']:g}",
                  f"{s['q1']:g}–{s['q3']:g}",
                  *[_fmt(g["metrics"].get(m["key"]), m["percent"]) for m in res["metrics"]], worst)
    con.print(t)
    if written:
        typer.echo(f"{written['file']}: {written['groups']} 组 groups, {written['reports']} 份报告 reports, "
                   f"{written['deductions']} 条扣分依据 deductions", err=True)

