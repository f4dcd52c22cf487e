"""Alembic environment: the URL comes from settings (or the caller's config), never from the ini."""

from __future__ import annotations

from alembic import context

import consultant.db.models  # noqa: F401  (registers the core tables)
from consultant.db.base import Base
from consultant.db.session import make_engine
from consultant.settings import get_settings

try:
    import consultant.codes.tables  # noqa: F401  (registers the code store tables)
except ImportError:  # pragma: no cover - before the code store existed
    pass

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("url") or get_settings().effective_database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
