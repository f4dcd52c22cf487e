"""Prepared application databases: migrated, ICD-10-CM and the demo's CMS excerpt loaded.

Loading ICD-10-CM takes tens of seconds, so it is done once per test session into a template
(a SQLite file that is copied; a PostgreSQL database cloned with CREATE DATABASE ... TEMPLATE).

Fixtures: ``app_sqlite_url`` and ``app_postgres_url`` (function scope, each a fresh copy).
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from consultant.demo.run import DATA_DIR


def prepare_database(url: str) -> None:
    from consultant.codes.releases import ensure_icd10cm, load_dir
    from consultant.db.migrate import upgrade
    from consultant.db.session import make_engine

    upgrade(url)
    engine = make_engine(url)
    try:
        ensure_icd10cm(engine)
        load_dir(engine, DATA_DIR)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _app_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("app-template") / "template.sqlite3"
    prepare_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def app_sqlite_url(_app_sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "app.sqlite3"
    shutil.copyfile(_app_sqlite_template, target)
    return f"sqlite:///{target}"


def _admin_sql(server_url: str, sql: str) -> None:
    import psycopg

    from tests.servers import postgres_admin

    kwargs, dbname = postgres_admin(server_url)
    with psycopg.connect(dbname=dbname, autocommit=True, connect_timeout=5, **kwargs) as conn:
        conn.execute(sql.encode())


def _url_for(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def _app_postgres_template(postgres_server_url: str) -> Iterator[str]:
    name = f"cc_template_{secrets.token_hex(4)}"
    _admin_sql(postgres_server_url, f'CREATE DATABASE "{name}"')
    prepare_database(_url_for(postgres_server_url, name))
    yield name
    _admin_sql(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app_postgres_url(postgres_server_url: str, _app_postgres_template: str) -> Iterator[str]:
    name = f"cc_app_{secrets.token_hex(6)}"
    _admin_sql(postgres_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{_app_postgres_template}"')
    try:
        yield _url_for(postgres_server_url, name)
    finally:
        _admin_sql(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
