"""Fixtures of the collector's tests: the store fixtures of tests/store (SQLite and a real PostgreSQL),
the mock government site's files (made once per session with the real converters)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "store")]  # gov, collect_site, formats_corpus, kit

_spec = importlib.util.spec_from_file_location("store_fixtures", HERE.parent / "store" / "conftest.py")
_store_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_store_fixtures)
pg_server = _store_fixtures.pg_server
make_pg_database = _store_fixtures.make_pg_database
pg_store_db = _store_fixtures.pg_store_db
db_url = _store_fixtures.db_url
store = _store_fixtures.store
fresh_url = _store_fixtures.fresh_url


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """The reports of the mock site, one per way of publishing them (LibreOffice and Chromium made)."""
    import gov
    try:
        return gov.build_corpus(tmp_path_factory.mktemp("collect-corpus"))
    except RuntimeError as exc:
        pytest.fail(f"the converters made no corpus ({exc}): run scripts/setup.sh")
