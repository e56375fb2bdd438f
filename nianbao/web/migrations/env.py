"""Alembic environment for the web tables; the connection comes from nianbao.web.db.upgrade."""
from alembic import context

from nianbao.web.db import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
