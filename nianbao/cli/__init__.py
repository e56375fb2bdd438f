"""The ``nianbao`` command line (Typer + rich). One module per command group."""
from __future__ import annotations

import typer

app = typer.Typer(
    name="nianbao",
    help="政府信息公开工作年度报告：抽取、校验、存储、比较。Annual reports on government information "
         "disclosure: extract, check, store, compare.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root(lang: str = typer.Option(None, "--lang", envvar="NIANBAO_LANG",
                                   help="界面语言 zh|en (interface language)")) -> None:
    """政府信息公开工作年度报告工具 nianbao."""
    if lang:
        import os
        os.environ["NIANBAO_LANG"] = lang


# Each module registers its commands on ``app`` when imported.
from . import extract as _extract  # noqa: E402,F401
from . import demo as _demo  # noqa: E402,F401
from . import check as _check  # noqa: E402,F401
from . import store as _store  # noqa: E402,F401
from . import serve as _serve  # noqa: E402,F401
from . import collect as _collect  # noqa: E402,F401
from . import author as _author  # noqa: E402,F401
from . import oversee as _oversee  # noqa: E402,F401


def main() -> None:
    app()
