"""Fixtures for the review web app: a migrated SQLite database with seeded rows, the app, clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web import seed


@pytest.fixture
def web_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """CC_* settings for a fresh SQLite database (migrated, seeded); the dispatcher records only."""
    from consultant.db.migrate import upgrade
    from consultant.db.session import reset_engines, session_scope
    from consultant.services import dispatch
    from consultant.settings import reset_settings

    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    monkeypatch.setenv("CC_DATABASE_URL", url)
    monkeypatch.setenv("CC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CC_SECRET_KEY", "test-secret-key-0123456789abcdef")
    monkeypatch.delenv("CC_BROKER_URL", raising=False)
    reset_settings()
    reset_engines()
    upgrade(url)
    recorder = dispatch.RecordingDispatcher()
    dispatch.set_dispatcher(recorder)
    with session_scope() as s:
        ids = seed.seed_all(s)
    yield {"url": url, "ids": ids, "dispatcher": recorder, "tmp": tmp_path}
    dispatch.set_dispatcher(None)
    reset_settings()
    reset_engines()


@pytest.fixture
def app(web_env: dict[str, Any]) -> Any:
    from consultant.web.app import create_app

    return create_app()


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


def login(client: Any, email: str = "alice@caseconsultant.test", password: str = seed.PASSWORD) -> str:
    """Log `client` in through the form; returns the session's CSRF token."""
    import re

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    resp = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1), "next": "/queue"}
    )
    assert resp.status_code == 303, resp.text
    queue = client.get("/queue")
    m = re.search(r'<meta name="csrf-token" content="([^"]+)"', queue.text)
    assert m
    return m.group(1)


def api_token(email: str = "alice@caseconsultant.test") -> str:
    from consultant.db.session import session_scope
    from consultant.services import users

    with session_scope() as s:
        user = users.by_email(s, email)
        assert user is not None
        return users.issue_token(s, user)


class LiveServer:
    """uvicorn serving `app` in a thread of this process (so eager Celery sends from here)."""

    def __init__(self, app: Any) -> None:
        import threading

        import uvicorn

        from tests.servers import HOST, free_port

        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        config = uvicorn.Config(
            app, host=HOST, port=self.port, log_level="warning", access_log=False, lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def start(self) -> LiveServer:
        import time
        import urllib.request

        self.thread.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("uvicorn did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    srv = LiveServer(app).start()
    yield srv
    srv.stop()
