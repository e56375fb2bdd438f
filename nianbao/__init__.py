"""nianbao — 政府信息公开工作年度报告 → validated structured data."""

__version__ = "0.1.0"
