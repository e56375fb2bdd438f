"""The corpus store: sources, agencies in a region hierarchy, reports, immutable versions, cells, findings.

See :mod:`nianbao.store.api` for the API the CLI and the web UI use.
"""
from .api import IngestResult, Store, StoreError

__all__ = ["Store", "StoreError", "IngestResult"]
