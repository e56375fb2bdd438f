"""``nianbao serve`` (the web UI) and ``nianbao user`` (accounts for it)."""
from __future__ import annotations

import getpass

import typer

from . import app

user_app = typer.Typer(help="网页界面的账号 (accounts of the web UI)", no_args_is_help=True)
app.add_typer(user_app, name="user")

_DB_HELP = "存储位置，SQLAlchemy URL (store URL); 默认 sqlite:///nianbao-data/nianbao.sqlite"


@app.command()
def serve(db: str = typer.Option(None, "--db", envvar="NIANBAO_DB", help=_DB_HELP),
          host: str = typer.Option("127.0.0.1", "--host", help="监听地址 (address to listen on)"),
          port: int = typer.Option(8000, "--port", help="端口 (port)"),
          anonymous_read: bool = typer.Option(False, "--anonymous-read",
                                              help="允许未登录用户只读访问 (let visitors read without logging in)")):
    """启动网页界面 (start the web UI)."""
    import uvicorn

    from ..web import create_app
    from ..web.settings import Settings

    settings = Settings()
    if db:
        settings.store_url = db
    settings.anonymous_read = anonymous_read or settings.anonymous_read
    try:
        web_app = create_app(settings=settings)
    except Exception as exc:  # a bad URL or an unreachable database: say so, no traceback
        typer.echo(f"nianbao serve: 无法打开存储 (cannot open the store) {settings.store_url}: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"nianbao: http://{host}:{port}/  (store: {settings.store_url})")
    uvicorn.run(web_app, host=host, port=port, log_level="warning", proxy_headers=False)


def _engine(url: str):
    """The store's engine (the same URL rules as the store); opening it migrates the web tables too."""
    from ..store.api import Store
    try:
        engine = Store.open(url).engine
    except Exception as exc:
        typer.echo(f"nianbao: 无法打开存储 (cannot open the store) {url}: {exc}", err=True)
        raise typer.Exit(2)
    return engine


@user_app.command("add")
def user_add(name: str = typer.Argument(..., help="用户名 (user name)"),
             role: str = typer.Option("viewer", "--role", help="viewer | author | reviewer | admin"),
             password: str = typer.Option(None, "--password", envvar="NIANBAO_PASSWORD",
                                          help="密码；不给则交互输入 (password; asked for when not given)"),
             db: str = typer.Option(None, "--db", envvar="NIANBAO_DB", help=_DB_HELP)):
    """添加网页账号 (add an account)."""
    from ..web.auth import AccountError, add_user
    from ..web.settings import Settings

    url = db or Settings().store_url
    if password is None:
        password = getpass.getpass("密码 (password): ")
    engine = _engine(url)
    try:
        u = add_user(engine, name, password, role)
    except AccountError as exc:
        typer.echo(f"nianbao user add: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"已添加 {u.name} ({u.role}) · added")


@user_app.command("list")
def user_list(db: str = typer.Option(None, "--db", envvar="NIANBAO_DB", help=_DB_HELP)):
    """列出网页账号 (list accounts)."""
    from ..web.auth import list_accounts
    from ..web.settings import Settings

    engine = _engine(db or Settings().store_url)
    for a in list_accounts(engine):
        typer.echo(f"{a.name}\t{a.role}" + ("\t已停用 disabled" if a.disabled else ""))


@user_app.command("passwd")
def user_passwd(name: str = typer.Argument(...),
                password: str = typer.Option(None, "--password", envvar="NIANBAO_PASSWORD"),
                db: str = typer.Option(None, "--db", envvar="NIANBAO_DB", help=_DB_HELP)):
    """修改密码，该账号的会话全部结束 (set a password; the account's sessions end)."""
    from ..web.auth import AccountError, set_password
    from ..web.settings import Settings

    engine = _engine(db or Settings().store_url)
    try:
        set_password(engine, name, password if password is not None else getpass.getpass("密码 (password): "))
    except AccountError as exc:
        typer.echo(f"nianbao user passwd: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo("ok")




@user_app.command("role")
def user_role(name: str = typer.Argument(...), role: str = typer.Argument(..., help="viewer | reviewer | admin"),
              db: str = typer.Option(None, "--db", envvar="NIANBAO_DB", help=_DB_HELP)):
    """改变角色 (change an account's role)."""
    from ..web.auth import AccountError, set_role
    from ..web.settings import Settings

    engine = _engine(db or Settings().store_url)
    try:
        set_role(engine, name, role)
    except AccountError as exc:
        typer.echo(f"nianbao user role: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"{name}: {role}")


def _set_disabled(name: str, db: str | None, disabled: bool) -> None:
    from ..web.auth import AccountError, set_disabled
    from ..web.settings import Settings

    engine = _engine(db or Settings().store_url)
    try:
        set_disabled(engine, name, disabled)
    except AccountError as exc:
        typer.echo(f"nianbao user {'disable' if disabled else 'enable'}: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"{name}: {'已停用 disabled' if disabled else '已启用 enabled'}")


@user_app.command("disable")
def user_disable(name: str = typer.Argument(...),
                 db: str = typer.Option(None, "--db", envvar="NIANBAO_DB", help=_DB_HELP)):
    """停用账号，其会话全部结束 (disable an account: its sessions end, sign-in is refused)."""
    _set_disabled(name, db, True)


@user_app.command("enable")
def user_enable(name: str = typer.Argument(...),
                db: str = typer.Option(None, "--db", envvar="NIANBAO_DB", help=_DB_HELP)):
    """重新启用账号 (enable an account again)."""
    _set_disabled(name, db, False)
