"""Migration store_0006_collect: up on a store holding reports, down and up again, on both backends."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.config import Config
from sqlalchemy import inspect

from nianbao.store import Store

MIGRATIONS = Path(__file__).resolve().parents[2] / "nianbao" / "store" / "migrations"
TABLES = {"collect_blobs", "collect_documents", "collect_fetches", "collect_entries", "collect_entry_documents"}


def _config(conn) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    return request.getfixturevalue("make_pg_database")()


def test_collect_tables_come_and_go_with_their_revision(fresh_url):
    from kit import record
    with Store.open(fresh_url) as store:
        store.store_record(record(random.Random(3), 2023))
        assert TABLES <= set(inspect(store.engine).get_table_names())
        with store.engine.begin() as conn:
            cfg = _config(conn)
            before = ScriptDirectory.from_config(cfg).get_revision("store_0006_collect").down_revision
            command.downgrade(cfg, before)
        assert not TABLES & set(inspect(store.engine).get_table_names())
        assert store.counts()["reports"] == 1
    with Store.open(fresh_url) as store:  # opening upgrades again
        assert TABLES <= set(inspect(store.engine).get_table_names())
        assert store.counts()["reports"] == 1
