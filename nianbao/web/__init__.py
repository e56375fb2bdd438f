"""The web UI and REST API (FastAPI, Jinja2, htmx, ECharts)."""
from .app import create_app  # noqa: F401
