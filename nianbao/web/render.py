"""Jinja2 rendering with the user, language, CSRF token and helpers every page needs."""
from __future__ import annotations

import json
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from .auth import csrf_token, current_user
from .i18n import LANGS, pick, translator

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.autoescape = True


def _json_attr(value) -> str:
    # For data-* attributes: Jinja escapes the quotes; the browser unescapes them.
    return json.dumps(value, ensure_ascii=False)


def _json_script(value) -> Markup:
    # For <script type="application/json">: '<' cannot open a tag, so no report text can end the block.
    text = json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("&", "\\u0026")
    return Markup(text)


templates.env.filters["json_attr"] = _json_attr
templates.env.filters["json_script"] = _json_script


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") \
        or request.app.state.settings.default_lang
    return lang if lang in LANGS else "zh"


def _pairs(query: str) -> list[tuple[str, str]]:
    """The query's pairs, still percent-encoded (they go back into a URL as they came)."""
    return [tuple(part.split("=", 1)) if "=" in part else (part, "") for part in query.split("&") if part]


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):
    lang = lang_of(request)
    pairs = [(k, v) for k, v in _pairs(request.url.query) if k != "lang"]
    query = "&".join(f"{k}={v}" for k, v in pairs)
    ctx = {
        "request": request, "lang": lang, "t": translator(lang), "pick": lambda zh, en: pick(zh, en, lang),
        "user": current_user(request), "csrf": csrf_token(request),
        "anonymous_read": request.app.state.settings.anonymous_read,
        # this page with its query: where the language switch and the login come back to
        "here": request.url.path + (f"?{query}" if query else ""),
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
