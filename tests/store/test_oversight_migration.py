"""store_0005_oversight on SQLite and PostgreSQL: new tables, and the measures of findings stored before it."""
from __future__ import annotations


import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from kit import alembic_config
from nianbao.store import Store
from nianbao.store.api import resolve_url

def test_store_0005_adds_tables_and_measures_old_findings(fresh_url):
    url = fresh_url
    engine = create_engine(resolve_url(url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "store_0003_provenance_in_cells")
        conn.execute(text("INSERT INTO reports (id, created_at) VALUES (1, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO versions (id, report_id, number, kind, created_at, record, n_cells) "
                          "VALUES (1, 1, 1, 'extracted', CURRENT_TIMESTAMP, '{}', 0)"))
        rows = [(1, "time.late", "2023 年度部门年度报告于 2024-03-05 发布，晚于法定期限 2024-01-31（《条例》第四十九条：部门于"
                                 "每年 1 月 31 日前）34 天。", "meta.published = 2024-03-05"),
                (2, "cross.copied_prose", "2023 年度报告正文有 81% 与 2022 年度报告逐句相同", "重复率 80.6%；例：“…”"),
                (3, "fees.silent", "未说明信息处理费", "第六部分原文：“无”")]
        for fid, rule, msg, ev in rows:
            conn.execute(text("INSERT INTO findings (id, version_id, scope, rule, severity, message, cells, evidence, "
                              "status) VALUES (:i, 1, 'check', :r, 'error', :m, '[]', :e, 'open')"),
                         {"i": fid, "r": rule, "m": msg, "e": ev})
    with Store.open(url) as store:  # upgrades to head
        tables = set(inspect(store.engine).get_table_names())
        assert {"agency_roles", "agency_overrides"} <= tables
        with store.engine.connect() as conn:
            got = dict(conn.execute(text("SELECT finding_id, measure FROM finding_measures")).all())
        assert got == {1: 34.0, 2: pytest.approx(0.806)}
        # a finding deleted (as the cross-year checks do when they run again) takes its measure along
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM findings WHERE id = 1"))
            assert conn.execute(text("SELECT count(*) FROM finding_measures")).scalar() == 1
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "store_0003_provenance_in_cells")
    insp = inspect(engine)
    assert not {"agency_roles", "agency_overrides", "finding_measures"} & set(insp.get_table_names())
    engine.dispose()
