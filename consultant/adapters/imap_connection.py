"""Opening an IMAP connection: IMAPS or STARTTLS with certificate verification, LOGIN or XOAUTH2.

Every socket operation has a timeout (``imap_timeout_seconds``): nothing hangs forever. IDLE waits
use their own, shorter timeouts (see ``imap_poller``).
"""

from __future__ import annotations

import functools
import logging
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from consultant.settings import Settings

if TYPE_CHECKING:
    from consultant.adapters.oauth2 import TokenSource

log = logging.getLogger(__name__)

# what a broken connection, a restarted server or a timeout looks like to the caller
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (IMAPClientError, OSError, ssl.SSLError, EOFError)


class ImapConfigError(ValueError):
    """The IMAP settings are incomplete (no host, no user, no password or token command)."""


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str | None = None
    ssl: bool = True  # implicit TLS (IMAPS)
    starttls: bool = False  # plain connect, then STARTTLS (ignored when ssl=True)
    ca_file: Path | None = None  # verify the server against this CA instead of the system store
    timeout: float = 60.0
    oauth2_token_command: str | None = None  # XOAUTH2 instead of LOGIN

    @classmethod
    def from_settings(cls, settings: Settings) -> ImapConfig:
        if not settings.imap_host:
            raise ImapConfigError("CC_IMAP_HOST is not set")
        if not settings.imap_user:
            raise ImapConfigError("CC_IMAP_USER is not set")
        if not settings.imap_password and not settings.oauth2_token_command:
            raise ImapConfigError("set CC_IMAP_PASSWORD or CC_OAUTH2_TOKEN_COMMAND")
        return cls(
            host=settings.imap_host,
            port=settings.imap_port,
            user=settings.imap_user,
            password=settings.imap_password,
            ssl=settings.imap_ssl,
            starttls=settings.imap_starttls,
            ca_file=settings.imap_ca_file,
            timeout=settings.imap_timeout_seconds,
            oauth2_token_command=settings.oauth2_token_command,
        )

    @property
    def label(self) -> str:
        """For logs: no password, no token."""
        tls = "imaps" if self.ssl else ("starttls" if self.starttls else "plain")
        return f"{self.host}:{self.port} ({tls})"


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Full verification (hostname + chain), against ``ca_file`` when given."""
    ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def connect(cfg: ImapConfig) -> IMAPClient:
    """A logged-in client. Raises LoginError on bad credentials, CONNECTION_ERRORS otherwise."""
    ctx = tls_context(cfg.ca_file) if (cfg.ssl or cfg.starttls) else None
    client = IMAPClient(cfg.host, port=cfg.port, ssl=cfg.ssl, ssl_context=ctx, timeout=cfg.timeout)
    try:
        if cfg.starttls and not cfg.ssl:
            client.starttls(ctx)
        if cfg.oauth2_token_command:
            _oauth2_login(client, cfg)
        else:
            client.login(cfg.user, cfg.password or "")
    except BaseException:
        _close_quietly(client)
        raise
    return client


@functools.lru_cache(maxsize=8)
def token_source(command: str) -> TokenSource:
    """One cached token per command for the process: reconnects reuse it until it expires."""
    from consultant.adapters.oauth2 import TokenSource

    return TokenSource(command)


def _oauth2_login(client: IMAPClient, cfg: ImapConfig) -> None:
    assert cfg.oauth2_token_command
    source = token_source(cfg.oauth2_token_command)
    try:
        client.oauth2_login(cfg.user, source.token())
    except LoginError:
        # the cached token may have expired early: one retry with a fresh one
        log.info("IMAP XOAUTH2 refused; retrying with a refreshed token")
        client.oauth2_login(cfg.user, source.token(force_refresh=True))


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:
        pass


def logout_quietly(client: IMAPClient | None) -> None:
    """LOGOUT if the connection still works; close the socket in any case."""
    if client is None:
        return
    try:
        client.logout()
    except Exception:
        _close_quietly(client)
