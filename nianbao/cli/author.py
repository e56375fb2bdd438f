"""``nianbao author …``: an agency writes its report — draft, fill in (Excel, JSON), check, render, store.

    nianbao author new --agency 温州市人力资源和社会保障局 --year 2025 [--out draft.xlsx|.json|.docx]
    nianbao author template --year 2025 [--agency …] out.xlsx
    nianbao author load filled.xlsx|filled.json [--draft ID]
    nianbao author check --draft ID | FILE
    nianbao author render --draft ID | FILE --out report.docx|.html|.pdf [--reason "…"]
    nianbao author store --draft ID [--reason "…"]
    nianbao author list | show ID | grant USER AGENCY | revoke USER AGENCY | grants

Exit codes: 0 done (and no error finding); 1 load and check: done, but the draft still has errors;
render and store: refused because of them; 2 usage (a missing draft, option or file); 3 the file
cannot be read (every problem listed, with its place).
"""
from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import app

author_app = typer.Typer(help="编制年度报告：草稿、填报（Excel/JSON）、校验、生成 Word/HTML/PDF、入库。Write an "
                              "agency's annual report: draft, fill in, check, render, store.",
                         no_args_is_help=True)
app.add_typer(author_app, name="author")

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_UNREADABLE = 0, 1, 2, 3
DbOpt = typer.Option(None, "--db", envvar="NIANBAO_DB", help="数据库 URL (database URL; env NIANBAO_DB)")
UserOpt = typer.Option(None, "--user", envvar="NIANBAO_USER", help="署名，默认为当前系统用户 (who; default: "
                                                                    "the system user)")
STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
WORDS = {"zh": {"error": "错误", "warning": "警告", "info": "提示"}, "en": {"error": "error", "warning": "warning",
                                                                      "info": "info"}}


def _lang() -> str:
    return "en" if os.environ.get("NIANBAO_LANG") == "en" else "zh"


def _say(zh: str, en: str) -> str:
    return en if _lang() == "en" else f"{zh} ({en})"


def _err(msg: str, code: int = EXIT_USAGE):
    typer.echo(f"nianbao author: {msg}", err=True)
    raise typer.Exit(code)


def _user(user: str | None) -> str:
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container): still someone's work, say so
        return "unknown"


def _store(db):
    from .store import _open
    return _open(db)


def _print_findings(console: Console, findings: list[dict], layout: str | None) -> None:
    from ..author.checks import AUTHOR_RULES, summary
    from ..validate.describe import describe_cell
    from ..validate.rules import RULES
    lang = _lang()
    en = lang == "en"
    counts = summary(findings)
    if not findings:
        console.print(Text("✓ " + ("no findings" if en else "未发现问题"), style="green"))
        return
    table = Table(show_lines=True, expand=True)
    table.add_column("level" if en else "级别", no_wrap=True)
    table.add_column("finding" if en else "问题", ratio=5, overflow="fold")
    table.add_column("cells" if en else "涉及单元格", ratio=3, overflow="fold")
    for f in findings:
        sev = f.get("severity", "info")
        rule = str(f.get("rule"))
        title = (RULES[rule].title_en if en else RULES[rule].title) if rule in RULES else \
            (AUTHOR_RULES[rule][2] if en else AUTHOR_RULES[rule][1]) if rule in AUTHOR_RULES else rule
        what = Text()
        what.append(title, style="bold")
        what.append(f"  {rule}\n", style="dim")
        what.append(str((f.get("message_en") if en and f.get("message_en") else f.get("message")) or ""))
        cells = [str(c) for c in f.get("cells") or []]
        shown = "\n".join(describe_cell(c, lang, layout) for c in cells[:4])
        if len(cells) > 4:
            shown += f"\n… +{len(cells) - 4}"
        table.add_row(Text(WORDS[lang].get(sev, sev), style=STYLE.get(sev, "")), what, shown)
    console.print(table)
    line = Text()
    for sev in ("error", "warning", "info"):
        line.append(f"{WORDS[lang][sev]} {counts[sev]}   ", style=STYLE[sev] if counts[sev] else "dim")
    console.print(line)


def _read_file(path: Path):
    """(record, contact) of a filled workbook, a canonical JSON or a Word file."""
    from ..author.canonical import read_json
    from ..author.draft import AuthorError
    from ..author.workbook import read_workbook
    if not path.exists():
        _err(_say(f"文件不存在：{path}", f"no such file: {path}"))
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return read_workbook(path)
        if suffix == ".json":
            return read_json(path)
        if suffix == ".docx":
            from ..author.wordfile import read_docx
            return read_docx(path)
    except AuthorError as exc:
        _err(str(exc), EXIT_UNREADABLE)
    _err(_say(f"{path}: 只能读取 .xlsx、.json 或 .docx", f"{path}: only .xlsx, .json or .docx can be read"))


def _draft_of(store, draft_id: int | None, file: Path | None, user: str):
    """(draft id or None, draft dict) from --draft or a file (a file is not saved here)."""
    from ..author import drafts
    from ..author.draft import AuthorError, new_draft
    if draft_id is not None:
        try:
            info = drafts.get(store, draft_id)
        except AuthorError as exc:
            _err(str(exc))
        return draft_id, info["draft"], info
    if file is None:
        _err(_say("请给出 --draft ID 或文件", "give --draft ID or a file"))
    record, contact = _read_file(file)
    meta = record["meta"]
    prev_id = store.find_report(meta["agency"], meta["year"] - 1) if store is not None else None
    previous = store.get_report(prev_id)["record"] if prev_id is not None else None
    if previous is not None:
        previous = dict(previous, meta=dict(previous.get("meta") or {}, year=meta["year"] - 1))
    try:
        draft = new_draft(meta["agency"], meta["year"], region=meta.get("region"), form=meta["template"],
                          previous=previous, previous_id=prev_id)
        from ..author.draft import merge
        merge(draft, record, contact)
    except AuthorError as exc:
        _err(str(exc), EXIT_UNREADABLE)
    return None, draft, None


def _write_out(out: Path, data: bytes) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        _err(_say(f"无法写入 {out}：{exc.strerror}", f"cannot write {out}: {exc.strerror}"))


# ---------------------------------------------------------------------- commands

@author_app.command("new")
def new(agency: str = typer.Option(..., "--agency", help="机关全称 (the agency's full name)"),
        year: int = typer.Option(..., "--year", help="报告年度 (report year)"),
        template: Optional[str] = typer.Option(None, "--template", help="表格格式 2021|2019（默认按年度） "
                                                                        "(form; default: the year's)"),
        out: Optional[Path] = typer.Option(None, "--out", help="同时写出 draft.xlsx / .json / .docx (also write the "
                                                               "draft as a workbook, JSON or Word file)"),
        user: Optional[str] = UserOpt, db: Optional[str] = DbOpt):
    """新建草稿：按库中上一年度报告预填。Start a draft, pre-filled from last year's stored report."""
    from ..author import drafts
    from ..author.checks import check_draft
    from ..author.draft import AuthorError, suggestions
    if template not in (None, "2021", "2019"):
        _err(_say("--template 须为 2021 或 2019", "--template must be 2021 or 2019"))
    store = _store(db)
    console = Console()
    try:
        open_ = [d for d in drafts.list_drafts(store, [agency]) if d["year"] == year and d["status"] != "stored"]
        if open_:
            console.print(_say(f"注意：该机关 {year} 年度已有草稿 #{open_[0]['id']}（v{open_[0]['version']}），仍新建一份",
                               f"note: draft #{open_[0]['id']} of this agency and year exists; starting another"))
        draft_id = drafts.start(store, agency, year, _user(user), form=template)
        info = drafts.get(store, draft_id)
    except AuthorError as exc:
        _err(str(exc))
    finally:
        store.close()
    draft = info["draft"]
    prev = draft.get("previous")
    console.print(_say(f"草稿 #{draft_id} 已创建：{info['agency']} {year} 年度，{info['template']} 版格式",
                       f"draft #{draft_id} created: {info['agency']}, {year}, form {info['template']}"))
    if prev:
        carried = draft["record"]["t3"]["rows"]["carried"]
        console.print(_say(f"  上年报告 #{prev['report_id']}（{prev['year']} 年度）：上年结转 = 其结转下年度 {carried[:6]}",
                           f"  last year's report #{prev['report_id']} ({prev['year']}): carried over = its "
                           f"carried to next year {carried[:6]}"))
        for ref, s in suggestions(draft).items():
            console.print(_say(f"  {ref} 现行有效件数建议 = 上年 {s['last']} + 本年制发 − 本年废止",
                               f"  {ref} in force suggested = last year's {s['last']} + issued − repealed"))
    else:
        console.print(_say(f"  库中没有 {year - 1} 年度报告：从空白表格开始",
                           f"  no {year - 1} report in the store: starting from a blank form"))
    if out is not None:
        _export_to(out, draft, reason=None, working=True, findings=check_draft(draft))


def _export_to(out: Path, draft: dict, *, reason: str | None, working: bool, findings: list[dict]):
    from ..author.draft import AuthorError
    from ..author.publish import Refused, export
    fmt = out.suffix.lower().lstrip(".")
    try:
        if working and fmt == "docx":
            from ..author.wordfile import draft_docx
            data = draft_docx(draft)
        else:
            exp = export(draft, fmt, reason=reason, findings=findings)
            data = exp.data
    except Refused as exc:
        _err(str(exc), EXIT_ERRORS)
    except AuthorError as exc:
        _err(str(exc))
    _write_out(out, data)
    typer.echo(_say(f"已写出 {out}", f"written {out}"))
    return data


@author_app.command("template")
def template_cmd(out: Path = typer.Argument(..., help="工作簿 .xlsx (the workbook to write)"),
                 year: int = typer.Option(..., "--year", help="报告年度 (report year)"),
                 agency: Optional[str] = typer.Option(None, "--agency", help="机关全称：按库中上年报告预填 "
                                                                             "(agency: pre-fill from last year)"),
                 template: Optional[str] = typer.Option(None, "--template", help="2021|2019"),
                 db: Optional[str] = DbOpt):
    """写出填报工作簿（表格样式同年报格式，合计为公式）。Write the workbook to fill in."""
    from ..author.draft import AuthorError, new_draft
    from ..author.workbook import write_workbook
    if out.suffix.lower() != ".xlsx":
        _err(_say("工作簿须以 .xlsx 结尾", "the workbook must end in .xlsx"))
    previous, prev_id = None, None
    if agency:
        store = _store(db)
        try:
            prev_id = store.find_report(agency, year - 1)
            if prev_id is not None:
                raw = store.get_report(prev_id)
                previous = dict(raw["record"], meta=dict(raw["record"].get("meta") or {}, year=raw["year"],
                                                         region=(raw.get("region") or {}).get("name")))
        finally:
            store.close()
    try:
        draft = new_draft(agency or "", year, form=template, previous=previous, previous_id=prev_id,
                          allow_blank_agency=True)
    except AuthorError as exc:
        _err(str(exc))
    _write_out(out, write_workbook(draft))
    typer.echo(_say(f"已写出 {out}" + ("（已按上年报告预填）" if previous else ""),
                    f"written {out}" + (" (pre-filled from last year)" if previous else "")))


@author_app.command("load")
def load(file: Path = typer.Argument(..., help="填好的 .xlsx / .json / .docx (the filled-in file)"),
         draft_id: Optional[int] = typer.Option(None, "--draft", help="存入哪份草稿；默认为该机关该年度最新的草稿，"
                                                                     "没有则新建 (which draft; default: the agency's "
                                                                     "latest for the year, or a new one)"),
         note: str = typer.Option("", "--note", help="版本说明 (a note for this version)"),
         user: Optional[str] = UserOpt, db: Optional[str] = DbOpt,
         as_json: bool = typer.Option(False, "--json", help="输出 canonical JSON (print the canonical JSON)")):
    """读回填好的文件，校验并存为草稿的新版本。Read a filled file back, check it, save it as a version."""
    from ..author import drafts
    from ..author.canonical import to_json
    from ..author.checks import check_draft
    from ..author.draft import AuthorError, merge
    record, contact = _read_file(file)
    who = _user(user)
    store = _store(db)
    console = Console()
    try:
        meta = record["meta"]
        if draft_id is None:
            open_ = [d for d in drafts.list_drafts(store, [meta["agency"]])
                     if d["year"] == meta["year"] and d["status"] != "stored"]
            draft_id = open_[0]["id"] if open_ else drafts.start(store, meta["agency"], meta["year"], who,
                                                                 form=meta["template"])
        info = drafts.get(store, draft_id)
        draft = merge(info["draft"], record, contact)
        number = drafts.save(store, draft_id, draft, who, note=note or f"读入 {file.name} (loaded {file.name})",
                             base=info["latest"])
    except AuthorError as exc:
        _err(str(exc))
    finally:
        store.close()
    findings = check_draft(draft)
    if as_json:
        sys.stdout.write(json.dumps(to_json(draft, findings=findings), ensure_ascii=False, indent=1, default=str) + "\n")
    else:
        console.print(_say(f"已存为草稿 #{draft_id} 第 {number} 版", f"saved as draft #{draft_id}, version {number}"))
        _print_findings(console, findings, draft["record"]["t2"].get("layout"))
    raise typer.Exit(EXIT_ERRORS if any(f["severity"] == "error" for f in findings) else EXIT_OK)


@author_app.command("check")
def check_cmd(file: Optional[Path] = typer.Argument(None, help="填好的文件 (a filled file), 或用 --draft"),
              draft_id: Optional[int] = typer.Option(None, "--draft"),
              as_json: bool = typer.Option(False, "--json"), db: Optional[str] = DbOpt):
    """校验草稿或文件，与发布后的报告所受校验相同。Check a draft or a file, as a published report is checked."""
    from ..author.checks import check_draft, copy_rates
    store = _store(db)
    try:
        _, draft, _ = _draft_of(store, draft_id, file, "")
    finally:
        store.close()
    findings = check_draft(draft)
    if as_json:
        sys.stdout.write(json.dumps({"findings": findings, "copy_rates": copy_rates(draft)}, ensure_ascii=False,
                                    indent=1, default=str) + "\n")
    else:
        console = Console()
        rates = {k: v for k, v in copy_rates(draft).items() if v is not None}
        if rates:
            console.print(_say("重复率（与上年同一部分）：", "repeat rate against last year's section: ")
                          + "  ".join(f"{k} {v:.0%}" for k, v in rates.items()))
        _print_findings(console, findings, draft["record"]["t2"].get("layout"))
    raise typer.Exit(EXIT_ERRORS if any(f["severity"] == "error" for f in findings) else EXIT_OK)


@author_app.command("render")
def render_cmd(file: Optional[Path] = typer.Argument(None, help="填好的文件 (a filled file), 或用 --draft"),
               out: Path = typer.Option(..., "--out", help="report.docx | .html | .pdf | .json | .xlsx"),
               draft_id: Optional[int] = typer.Option(None, "--draft"),
               reason: Optional[str] = typer.Option(None, "--reason", help="仍有错误时强制导出的理由，随文件与导出记录"
                                                                           "保存 (why it must go out with errors; kept)"),
               user: Optional[str] = UserOpt, db: Optional[str] = DbOpt):
    """生成正式文本（Word/HTML/PDF）；有错误时拒绝，除非写明理由。Render the report; refused with errors unless a
    reason is given."""
    from ..author import drafts
    from ..author.checks import check_draft
    store = _store(db)
    try:
        did, draft, info = _draft_of(store, draft_id, file, "")
        findings = check_draft(draft)
        data = _export_to(out, draft, reason=reason, working=False, findings=findings)
        if did is not None:
            import hashlib
            from ..author.publish import gate
            errors, why = gate(findings, reason) if out.suffix.lower() not in (".json", ".xlsx") else ([], None)
            drafts.log_export(store, did, info["version"], "export", out.suffix.lower().lstrip("."), _user(user),
                              errors, why, out.name, hashlib.sha256(data).hexdigest())
    finally:
        store.close()
    errors = [f for f in findings if f["severity"] == "error"]
    if errors:
        typer.echo(_say(f"注意：导出时仍有 {len(errors)} 个错误，理由已记录", f"note: exported with {len(errors)} errors; "
                                                                   "the reason is kept"), err=True)


@author_app.command("store")
def store_cmd(draft_id: int = typer.Option(..., "--draft"),
              reason: Optional[str] = typer.Option(None, "--reason", help="仍有错误时入库的理由 (why, with errors)"),
              user: Optional[str] = UserOpt, db: Optional[str] = DbOpt):
    """把定稿存为该机关该年度的报告。Store the finished draft as the agency's report of that year."""
    from ..author import drafts
    from ..author.draft import AuthorError
    from ..author.publish import Refused, store_report
    who = _user(user)
    store = _store(db)
    try:
        info = drafts.get(store, draft_id)
        res = store_report(store, info["draft"], user=who, reason=reason)
        exp = res["export"]
        drafts.log_export(store, draft_id, info["version"], "store", "docx", who, exp.overridden, exp.reason,
                          exp.filename, exp.sha256, report_id=res["report_id"])
    except Refused as exc:
        _err(str(exc), EXIT_ERRORS)
    except AuthorError as exc:
        _err(str(exc))
    finally:
        store.close()
    typer.echo(_say(f"已入库：报告 #{res['report_id']}（{res.get('agency')} {res.get('year')} 年度）",
                    f"stored: report #{res['report_id']} ({res.get('agency')}, {res.get('year')})"))


@author_app.command("list")
def list_cmd(agency: Optional[str] = typer.Option(None, "--agency"), db: Optional[str] = DbOpt,
             as_json: bool = typer.Option(False, "--json")):
    """列出草稿。List drafts."""
    from ..author import drafts
    store = _store(db)
    try:
        rows = drafts.list_drafts(store, [agency] if agency else None)
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str, indent=1) + "\n")
        return
    table = Table()
    for col in ("#", "机关 agency", "年度 year", "格式 form", "状态 status", "版本 version", "错误 errors",
                "保存 saved"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["agency"], str(r["year"]), r["template"], r["status"], str(r["version"]),
                      str(r["errors"]), f"{r['updated_by']} {r['updated_at']:%Y-%m-%d %H:%M}")
    Console().print(table)


@author_app.command("show")
def show_cmd(draft_id: int = typer.Argument(...), db: Optional[str] = DbOpt):
    """草稿的版本与导出记录。A draft's versions and exports."""
    from ..author import drafts
    from ..author.draft import AuthorError
    store = _store(db)
    try:
        info = drafts.get(store, draft_id)
    except AuthorError as exc:
        _err(str(exc))
    finally:
        store.close()
    console = Console()
    console.print(f"#{info['id']} {info['agency']} {info['year']} · {info['template']} · {info['status']}")
    t = Table(title=_say("版本", "versions"))
    for col in ("v", "who", "when", "errors", "warnings", "note"):
        t.add_column(col)
    for v in info["versions"]:
        t.add_row(str(v["number"]), v["author"] or "", f"{v['at']:%Y-%m-%d %H:%M}", str(v["errors"]),
                  str(v["warnings"]), v["note"] or "")
    console.print(t)
    if info["exports"]:
        t = Table(title=_say("导出与入库", "exports and storing"))
        for col in ("v", "action", "format", "who", "when", "errors", "reason"):
            t.add_column(col)
        for e in info["exports"]:
            t.add_row(str(e["version"]), e["action"], e["format"], e["user"] or "", f"{e['at']:%Y-%m-%d %H:%M}",
                      str(e["errors"]), e["reason"] or "")
        console.print(t)


def _user_id(store, name: str) -> int:
    from sqlalchemy import select
    from ..store.schema import web_users
    with store.engine.connect() as conn:
        uid = conn.execute(select(web_users.c.id).where(web_users.c.name == name)).scalar()
    if uid is None:
        _err(_say(f"没有网页账号 {name}（先用 nianbao user add 添加）", f"no web account {name} (add it with nianbao "
                                                                 "user add)"))
    return uid


@author_app.command("grant")
def grant_cmd(name: str = typer.Argument(..., help="网页账号 (web account)"),
              agency: str = typer.Argument(..., help="机关全称 (agency)"),
              user: Optional[str] = UserOpt, db: Optional[str] = DbOpt):
    """允许某账号编制某机关的报告。Let a web account write an agency's reports."""
    from ..author import drafts
    store = _store(db)
    try:
        drafts.grant(store, _user_id(store, name), agency, _user(user))
    finally:
        store.close()
    typer.echo(_say(f"{name} 可编制 {agency} 的报告", f"{name} may write {agency}'s reports"))


@author_app.command("revoke")
def revoke_cmd(name: str = typer.Argument(...), agency: str = typer.Argument(...), db: Optional[str] = DbOpt):
    """撤销编制权限。Revoke a grant."""
    from ..author import drafts
    store = _store(db)
    try:
        done = drafts.revoke(store, _user_id(store, name), agency)
    finally:
        store.close()
    typer.echo(_say("已撤销" if done else "本无此授权", "revoked" if done else "there was no such grant"))


@author_app.command("grants")
def grants_cmd(db: Optional[str] = DbOpt):
    """列出编制权限。List who may write whose reports."""
    from ..author import drafts
    store = _store(db)
    try:
        rows = drafts.all_grants(store)
    finally:
        store.close()
    for r in rows:
        typer.echo(f"{r['user']}\t{r['agency']}")
