"""Fixtures of the code store tests: the full staged store (tests/store_fixtures.py) and PostgreSQL.

`postgres_url` (a fresh database per test) comes from tests/conftest.py; under CI=true a missing
server is an error there, never a skip."""

from __future__ import annotations

from tests.store_fixtures import SHARED_DATA, full_store, full_store_engine, full_store_url  # noqa: F401

__all__ = ["SHARED_DATA"]
