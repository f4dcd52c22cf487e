"""The Sent folder, by IMAP: a copy of every reply, and the place recovery looks after a crash.

``ImapSentFolder.append`` first searches the folder for the Message-ID (IMAP ``SEARCH HEADER
Message-ID``) and appends only when it is not there, so appending twice leaves one copy, and a
server that files sent mail itself (Gmail, Microsoft 365) does not get a second one.
``contains`` is what recovery asks about a row found in ``sending`` after a crash.

Connection settings are the IMAP ones (``imap_host``, ``imap_port``, ``imap_ssl``/``imap_starttls``,
``imap_ca_file``, ``imap_user`` with ``imap_password`` or ``oauth2_token_command``); the folder is
``imap_sent_folder``. One short connection per call: replies are not a burst IMAP must keep up with.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import ssl
from email.message import EmailMessage
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from consultant.adapters.oauth2 import OAuth2Error, TokenSource
from consultant.services.sending import SentFolder, SentFolderError
from consultant.settings import Settings

log = logging.getLogger(__name__)


def _bare(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


class ImapSentFolder:
    def __init__(self, settings: Settings, token_source: TokenSource | None = None) -> None:
        if not settings.imap_host or not settings.imap_sent_folder:
            raise ValueError("CC_IMAP_HOST and CC_IMAP_SENT_FOLDER are needed for a Sent folder")
        self.settings = settings
        self.folder = settings.imap_sent_folder
        self.tokens = token_source
        if self.tokens is None and settings.oauth2_token_command:
            self.tokens = TokenSource(settings.oauth2_token_command)

    def _context(self) -> ssl.SSLContext:
        ca = self.settings.imap_ca_file
        return ssl.create_default_context(cafile=str(ca) if ca else None)

    def _connect(self) -> IMAPClient:
        s = self.settings
        assert s.imap_host
        client = IMAPClient(
            s.imap_host,
            port=s.imap_port,
            ssl=s.imap_ssl,
            ssl_context=self._context() if s.imap_ssl else None,
            timeout=s.imap_timeout_seconds,
        )
        try:
            if s.imap_starttls and not s.imap_ssl:
                client.starttls(self._context())
            self._login(client)
        except BaseException:
            _logout(client)
            raise
        return client

    def _login(self, client: IMAPClient) -> None:
        s = self.settings
        user = s.imap_user or ""
        if self.tokens is not None:
            try:
                client.oauth2_login(user, self.tokens.token())
            except IMAPClientError:
                # an expired or revoked token: fetch a fresh one once
                client.oauth2_login(user, self.tokens.token(force_refresh=True))
        else:
            client.login(user, s.imap_password or "")

    def _search(self, client: IMAPClient, message_id: str) -> list[int]:
        client.select_folder(self.folder, readonly=True)
        found = client.search(["HEADER", "Message-ID", f"<{_bare(message_id)}>"])
        return [int(uid) for uid in found]

    def contains(self, message_id: str) -> bool:
        try:
            client = self._connect()
            try:
                return bool(self._search(client, message_id))
            finally:
                _logout(client)
        except (IMAPClientError, OSError, OAuth2Error) as exc:
            raise SentFolderError(f"Sent folder search failed: {type(exc).__name__}: {exc}") from exc

    def append(self, message: EmailMessage) -> bool:
        """Append ``message`` unless a message with its Message-ID is there; True if appended."""
        message_id = str(message.get("Message-ID", ""))
        try:
            client = self._connect()
            try:
                if message_id and self._search(client, message_id):
                    return False
                when = _message_time(message)
                client.append(self.folder, message.as_bytes(), flags=[b"\\Seen"], msg_time=when)
                return True
            finally:
                _logout(client)
        except (IMAPClientError, OSError, OAuth2Error) as exc:
            raise SentFolderError(f"Sent folder append failed: {type(exc).__name__}: {exc}") from exc


def _message_time(message: EmailMessage) -> dt.datetime | None:
    date = message.get("Date")
    if not date:
        return None
    try:
        return email.utils.parsedate_to_datetime(str(date))
    except (TypeError, ValueError):
        return None


def _logout(client: Any) -> None:
    try:
        client.logout()
    except Exception:  # the connection may already be gone
        try:
            client.shutdown()
        except Exception:
            pass


def sent_folder_for(settings: Settings) -> SentFolder | None:
    """The configured Sent folder, or None when ``imap_sent_folder`` (or ``imap_host``) is unset."""
    if not settings.imap_sent_folder or not settings.imap_host:
        return None
    return ImapSentFolder(settings)


__all__ = ["ImapSentFolder", "SentFolder", "SentFolderError", "sent_folder_for"]
