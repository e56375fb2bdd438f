"""Migration store_0006_collect: up on a store holding reports, down and up again, on both backends."""
from __future__ import annotations

import random

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from kit import alembic_config
from nianbao.store import Store

TABLES = {"collect_blobs", "collect_documents", "collect_fetches", "collect_entries", "collect_entry_documents"}


def test_collect_tables_come_and_go_with_their_revision(fresh_url):
    from kit import record
    with Store.open(fresh_url) as store:
        store.store_record(record(random.Random(3), 2023))
        assert TABLES <= set(inspect(store.engine).get_table_names())
        with store.engine.begin() as conn:
            cfg = alembic_config(conn)
            before = ScriptDirectory.from_config(cfg).get_revision("store_0006_collect").down_revision
            command.downgrade(cfg, before)
        assert not TABLES & set(inspect(store.engine).get_table_names())
        assert store.counts()["reports"] == 1
    with Store.open(fresh_url) as store:  # opening upgrades again
        assert TABLES <= set(inspect(store.engine).get_table_names())
        assert store.counts()["reports"] == 1
