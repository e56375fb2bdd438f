"""Web settings: one plain dataclass, filled from arguments or NIANBAO_* variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

# None: the store decides ($NIANBAO_DB, else sqlite:///nianbao-data/nianbao.sqlite).

# What an upload may be: extension → format. Anything else is refused before it is read.
UPLOAD_TYPES = {
    ".html": "html", ".htm": "html", ".shtml": "html", ".txt": "txt", ".pdf": "pdf", ".docx": "docx",
    ".doc": "doc", ".wps": "wps", ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image",
    ".tiff": "image",
}


def _env_bool(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Settings:
    store_url: str | None = field(default_factory=lambda: os.environ.get("NIANBAO_DB") or None)
    # Anonymous visitors may read (never write) only when this is on.
    anonymous_read: bool = field(default_factory=lambda: _env_bool("NIANBAO_ANONYMOUS_READ"))
    # Signing key for session cookies; when unset a random one is kept in the database.
    secret_key: str | None = field(default_factory=lambda: os.environ.get("NIANBAO_SECRET_KEY") or None)
    max_upload_bytes: int = field(default_factory=lambda: int(os.environ.get("NIANBAO_MAX_UPLOAD_MB", "50"))
                                  * 1024 * 1024)
    max_files_per_upload: int = 200
    default_lang: str = field(default_factory=lambda: os.environ.get("NIANBAO_LANG", "zh") or "zh")
    session_max_age: int = 8 * 3600
    # Set when served over HTTPS so the session cookie is never sent in clear.
    https_only: bool = field(default_factory=lambda: _env_bool("NIANBAO_HTTPS_ONLY"))
    # Sign-in throttling: failed attempts allowed per account and per address within the window
    # (seconds); past that, HTTP 429 until the oldest failure leaves the window.
    login_failures_per_account: int = field(default_factory=lambda: int(os.environ.get(
        "NIANBAO_LOGIN_FAILURES_PER_ACCOUNT", "5")))
    login_failures_per_address: int = field(default_factory=lambda: int(os.environ.get(
        "NIANBAO_LOGIN_FAILURES_PER_ADDRESS", "20")))
    login_window: int = 900
    # Password checks waiting for the hashing thread beyond this are refused at once (429).
    login_queue: int = 8
