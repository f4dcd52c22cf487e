"""Extraction tests: unit tests use the in-memory double of the real code lists (memstore.py);
the corpus is scored on the real SQL code store over the staged data (tests/store_fixtures.py)."""

from tests.store_fixtures import full_store, full_store_engine, full_store_url  # noqa: F401
