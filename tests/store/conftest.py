"""Fixtures of the store tests: a real PostgreSQL 15 for the session, a fresh database per test."""
from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("NIANBAO_PG_BIN", "/usr/lib/postgresql/15/bin"))
BACKENDS = ["sqlite", "postgresql"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as the postgres user then
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


@pytest.fixture(scope="session")
def pg_server():
    """Start PostgreSQL 15 on 127.0.0.1 with a free port; yield the server URL (no database)."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 not found in {PG_BIN}: run scripts/setup.sh (installs postgresql-15)")
    base = Path(tempfile.mkdtemp(prefix="nianbao-pg-"))
    base.chmod(0o755)
    data, sock = base / "data", base / "sock"
    data.mkdir()
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(data, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    log = base / "server.log"
    subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]), check=True, capture_output=True)
    # durability off: these are throw-away test databases (the kill -9 test checks our transactions, not fsync)
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c synchronous_commit=off " \
           f"-c full_page_writes=off -c max_connections=200"
    subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", opts,
                                 "start"]), check=True, capture_output=True)
    url = f"postgresql://postgres@127.0.0.1:{port}"
    try:
        yield url
    finally:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


_db_counter = itertools.count()


def new_pg_database(server: str) -> str:
    """A new, empty database (CREATE DATABASE costs ~0.7 s here: use ``pg_store_db`` where possible)."""
    import psycopg
    name = f"t{os.getpid()}_{next(_db_counter)}"
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


@pytest.fixture(scope="session")
def make_pg_database(pg_server):
    """Makes new, empty databases on the session's server."""
    return lambda: new_pg_database(pg_server)


@pytest.fixture(scope="session")
def pg_store_db(pg_server):
    """One migrated database for the session; tests empty it before use."""
    from nianbao.store import Store
    url = new_pg_database(pg_server)
    Store.open(url).close()
    return url


def _empty(url: str) -> None:
    from sqlalchemy import create_engine, text

    from nianbao.store.schema import Base
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """A URL of an empty store on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    url = request.getfixturevalue("pg_store_db")
    _empty(url)
    return url


@pytest.fixture
def store(db_url):
    from nianbao.store import Store
    st = Store.open(db_url)
    yield st
    st.close()


@pytest.fixture(params=BACKENDS)
def fresh_url(request, tmp_path):
    """A URL of a database with nothing in it, not even the schema, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    return request.getfixturevalue("make_pg_database")()
