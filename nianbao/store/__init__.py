"""The corpus store: sources, agencies in a region hierarchy, reports, immutable versions, cells, findings.

See :mod:`nianbao.store.api` for the API the CLI and the web UI use. The store writes records;
extraction (files → records) is :mod:`nianbao.ingest`, which calls the store.
"""
from .api import Store, StoreError
from .writer import Doc

__all__ = ["Store", "StoreError", "Doc"]
