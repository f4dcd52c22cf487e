"""The schema comes from Alembic migrations, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from consultant.db.base import Base
from consultant.db.migrate import current_heads, upgrade
from consultant.db.session import make_engine

CORE_TABLES = {
    "inbound_message", "case", "draft", "outbound_message", "app_user", "audit_log",
    "mailbox_checkpoint", "thread_message_id", "sender_notice",
}


def _assert_schema_matches_models(url: str) -> None:
    import consultant.codes.tables
    import consultant.db.models  # noqa: F401

    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert tables >= CORE_TABLES
    assert set(Base.metadata.tables) <= tables, set(Base.metadata.tables) - tables
    for name, table in Base.metadata.tables.items():
        columns = {c["name"] for c in inspect(engine).get_columns(name)}
        assert {c.name for c in table.columns} <= columns, (name, {c.name for c in table.columns} - columns)
    engine.dispose()


def test_upgrade_empty_sqlite(sqlite_url: str) -> None:
    upgrade(sqlite_url)
    _assert_schema_matches_models(sqlite_url)
    heads = current_heads(sqlite_url)
    upgrade(sqlite_url)  # a second upgrade is a no-op
    assert current_heads(sqlite_url) == heads


@pytest.mark.integration
def test_upgrade_empty_postgresql(postgres_url: str) -> None:
    upgrade(postgres_url)
    _assert_schema_matches_models(postgres_url)
    heads = current_heads(postgres_url)
    assert len(heads) == 1
