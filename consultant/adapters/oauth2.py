"""OAuth2 access tokens for XOAUTH2 (SMTP and IMAP), from a configurable command.

The command (setting ``oauth2_token_command``, e.g. ``oama access consult@example.com`` or
``python3 mutt_oauth2.py token.json``) prints an access token on stdout. It may instead print a JSON
object ``{"access_token": ..., "expires_in": seconds}`` (or ``"expires_at"``: epoch seconds), as
Google's and Microsoft's token helpers do; then the token is refreshed a minute before it expires.
A plain token is kept for ``default_ttl`` seconds. Callers force a refresh after the server refuses
the token (``token(force_refresh=True)``).

    source = TokenSource("oama access consult@example.com")
    imap.oauth2_login(user, source.token())                           # imapclient builds the string
    smtp.auth("XOAUTH2", lambda challenge=None: "" if challenge else xoauth2_string(user, source.token()))

The command is split with ``shlex`` and run without a shell (write ``sh -c '...'`` for pipes). The
token is never logged.
"""

from __future__ import annotations

import json
import logging
import shlex
import subprocess
import threading
import time

log = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 60.0


class OAuth2Error(Exception):
    """The token command failed or printed no token."""


def xoauth2_string(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial client response, *before* base64 (smtplib and imapclient encode it)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


class TokenSource:
    """A cached access token from ``command``; thread-safe; refreshed on expiry or on demand."""

    def __init__(self, command: str, default_ttl: float = 300.0, timeout: float = 30.0) -> None:
        if not command or not command.strip():
            raise ValueError("the OAuth2 token command is empty")
        self.command = command
        self.default_ttl = default_ttl
        self.timeout = timeout
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def token(self, force_refresh: bool = False) -> str:
        with self._lock:
            now = time.time()
            if force_refresh or self._token is None or now >= self._expires_at:
                self._token, self._expires_at = self._fetch(now)
            return self._token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self, now: float) -> tuple[str, float]:
        try:
            proc = subprocess.run(
                shlex.split(self.command), capture_output=True, timeout=self.timeout, check=False
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise OAuth2Error(f"OAuth2 token command could not run: {type(exc).__name__}") from exc
        if proc.returncode != 0:
            # stderr may say why; it is the helper's own text, not the token
            said = proc.stderr.decode(errors="replace").strip()[-300:]
            raise OAuth2Error(f"OAuth2 token command exited with {proc.returncode}: {said}")
        out = proc.stdout.decode(errors="replace").strip()
        token, expires_at = _parse(out, now, self.default_ttl)
        if not token:
            raise OAuth2Error("OAuth2 token command printed no token")
        log.info("OAuth2 token refreshed (valid for %.0f s)", expires_at - now)
        return token, expires_at


def _parse(out: str, now: float, default_ttl: float) -> tuple[str, float]:
    if out.startswith("{"):
        try:
            data = json.loads(out)
        except json.JSONDecodeError as exc:
            raise OAuth2Error("OAuth2 token command printed invalid JSON") from exc
        token = str(data.get("access_token") or data.get("token") or "").strip()
        if "expires_at" in data:
            expires_at = float(data["expires_at"])
        elif "expires_in" in data:
            expires_at = now + float(data["expires_in"])
        else:
            expires_at = now + default_ttl
        return token, max(now, expires_at - REFRESH_MARGIN_SECONDS)
    lines = out.splitlines()
    return (lines[0].strip() if lines else ""), now + default_ttl


__all__ = ["OAuth2Error", "TokenSource", "xoauth2_string"]
