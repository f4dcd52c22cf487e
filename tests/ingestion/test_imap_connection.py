"""XOAUTH2 login with a token from a command, refreshed when the server refuses it (no server needed:
the test Dovecot offers no XOAUTH2; the TLS / LOGIN paths are tested against Dovecot in test_imap_poller)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from imapclient.exceptions import LoginError

from consultant.adapters import imap_connection
from consultant.adapters.imap_connection import ImapConfig, ImapConfigError, connect
from consultant.settings import Settings


class FakeClient:
    calls: list[tuple[Any, ...]] = []
    accept = "fresh"

    def __init__(self, host: str, port: int, ssl: bool, ssl_context: Any, timeout: float) -> None:
        self.calls.append(("connect", host, port, ssl, timeout, ssl_context is not None))

    def oauth2_login(self, user: str, token: str) -> None:
        self.calls.append(("xoauth2", user, token))
        if token != self.accept:
            raise LoginError("[AUTHENTICATIONFAILED] token expired")

    def login(self, user: str, password: str) -> None:  # pragma: no cover - must not be used
        raise AssertionError("LOGIN used instead of XOAUTH2")

    def shutdown(self) -> None:
        self.calls.append(("shutdown",))


def test_xoauth2_token_from_command_refreshed_once_when_refused(tmp_path: Path, monkeypatch: Any) -> None:
    flag = tmp_path / "issued"
    # prints "stale" the first time, "fresh" afterwards (an expired cached token, then a new one)
    command = f"sh -c 'if [ -e {flag} ]; then echo fresh; else touch {flag}; echo stale; fi'"
    monkeypatch.setattr(imap_connection, "IMAPClient", FakeClient)
    imap_connection.token_source.cache_clear()
    FakeClient.calls = []
    cfg = ImapConfig(host="imap.example", port=993, user="consult@example.com", oauth2_token_command=command,
                     timeout=12.0)  # fmt: skip
    connect(cfg)
    assert FakeClient.calls == [
        ("connect", "imap.example", 993, True, 12.0, True),
        ("xoauth2", "consult@example.com", "stale"),
        ("xoauth2", "consult@example.com", "fresh"),
    ]
    # a reconnect reuses the cached token: the command does not run again
    FakeClient.calls = []
    connect(cfg)
    assert [c for c in FakeClient.calls if c[0] == "xoauth2"] == [("xoauth2", "consult@example.com", "fresh")]
    # refused again after a refresh: the error reaches the caller, the socket is closed
    FakeClient.accept = "never"
    FakeClient.calls = []
    with pytest.raises(LoginError):
        connect(cfg)
    assert FakeClient.calls[-1] == ("shutdown",)
    FakeClient.accept = "fresh"


def test_incomplete_settings_are_a_clear_error() -> None:
    with pytest.raises(ImapConfigError, match="CC_IMAP_HOST"):
        ImapConfig.from_settings(Settings(imap_host=None))
    with pytest.raises(ImapConfigError, match="PASSWORD"):
        ImapConfig.from_settings(Settings(imap_host="h", imap_user="u", imap_password=None,
                                          oauth2_token_command=None))  # fmt: skip
