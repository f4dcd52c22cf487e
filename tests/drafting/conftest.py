"""The drafting tests read the same store as the check tests (real SQL store, or the staged-data double)."""

from __future__ import annotations

from tests.checks.conftest import HAVE_FULL_STORE, mention, store  # noqa: F401

if HAVE_FULL_STORE:
    from tests.store_fixtures import full_store, full_store_engine, full_store_url  # noqa: F401
