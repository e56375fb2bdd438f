"""Alembic environment for the nianbao store.

The store runs migrations itself (``Store.open`` → upgrade to head) with a live
connection in ``config.attributes["connection"]``; the ``alembic`` command line
works too, given ``-x url=…`` or NIANBAO_DB.
"""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from nianbao.store.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("NIANBAO_DB")
    if not url:
        raise SystemExit("nianbao migrations: pass -x url=… or set NIANBAO_DB")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        with create_engine(url).connect() as conn:
            _run(conn)
            conn.commit()
