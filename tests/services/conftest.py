"""An application database for service tests: SQLite, prepared once, CC_* pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from consultant.services.dispatch import RecordingDispatcher, set_dispatcher
from tests.flow.conftest import configure, reset_app_caches  # noqa: F401  (fixture re-export)


@pytest.fixture
def app(configure: Callable[..., None], app_sqlite_url: str) -> Iterator[RecordingDispatcher]:  # noqa: F811
    """Settings on a prepared SQLite database; returns the dispatcher that records what is enqueued."""
    configure(CC_DATABASE_URL=app_sqlite_url, CC_BROKER_URL=None, CC_ALLOWED_SENDERS=None,
              CC_CONSULT_ADDRESS="consult@caseconsultant.test")
    recorder = RecordingDispatcher()
    set_dispatcher(recorder)
    yield recorder
    set_dispatcher(None)
    reset_app_caches()
