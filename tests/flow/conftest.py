"""Pointing the whole application at given servers for one test (CC_* variables, caches reset)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest


def reset_app_caches() -> None:
    from consultant.db.session import reset_engines
    from consultant.services.dispatch import set_dispatcher
    from consultant.services.store_provider import reset_store
    from consultant.settings import reset_settings
    from workers.celery_app import rebuild

    reset_settings()
    reset_engines()
    reset_store()
    set_dispatcher(None)
    rebuild()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``configure(CC_DATABASE_URL=..., CC_BROKER_URL=None, ...)``: None removes a variable."""

    def apply(**env: str | None) -> None:
        for key, value in env.items():
            if value is None:
                monkeypatch.delenv(key, raising=False)
            else:
                monkeypatch.setenv(key, value)
        reset_app_caches()

    yield apply
    monkeypatch.undo()
    reset_app_caches()
