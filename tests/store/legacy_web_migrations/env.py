"""The web layer's former Alembic environment, kept to build databases the way the old code did.

Until store revision ``store_0002_web_accounts`` the web tables had this history of their
own, with version table ``nianbao_web_version``. The only change from the original: the
table metadata (used for autogenerate only) is not imported, since it moved to the store.
"""
from alembic import context

VERSION_TABLE = "nianbao_web_version"

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
