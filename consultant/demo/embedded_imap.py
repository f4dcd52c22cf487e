"""In-process IMAP server: pymap's in-memory 'dict' backend in a background thread.

The embedded default of ``caseconsultant demo`` and a zero-install IMAP server for tests::

    with EmbeddedIMAP({"alice": "alice-pw", "bob": "bob-pw"}) as srv:
        srv.append("alice", raw_bytes)
        IMAPClient(srv.host, port=srv.port, ssl=False).login("alice", "alice-pw")

Plain IMAP (no TLS) on a loopback port (0 = a free one, read ``srv.port`` after ``start()``); mail is kept in
memory and lost on ``stop()``. Capabilities include IDLE, MOVE and UIDPLUS, but not SPECIAL-USE or CONDSTORE
(see ../shared/docs/services.md): code that relies on those is tested against Dovecot.
"""

from __future__ import annotations

import asyncio
import threading
from argparse import Namespace
from contextlib import AsyncExitStack
from typing import Any

__all__ = ["EmbeddedIMAP"]


class EmbeddedIMAP:
    def __init__(self, users: dict[str, str], host: str = "127.0.0.1", port: int = 0,
                 demo_data: bool = False) -> None:  # fmt: skip
        if not users:
            raise ValueError("EmbeddedIMAP needs at least one user")
        self.users = dict(users)
        self.host = host
        self.port = port
        self.demo_data = demo_data
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="embedded-imap", daemon=True)

    # ---- public API -------------------------------------------------------------------------------------

    def start(self) -> EmbeddedIMAP:
        self._thread.start()
        if not self._ready.wait(30) or self._error:
            raise RuntimeError(f"embedded IMAP server did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self._ready.is_set() and self._error is None

    def append(self, user: str, raw: bytes, folder: str = "INBOX", flags: tuple[str, ...] = ()) -> None:
        """Put a message into a user's folder (created if missing) over IMAP."""
        from imapclient import IMAPClient

        with IMAPClient(self.host, port=self.port, ssl=False, timeout=30) as client:
            client.login(user, self.users[user])
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=flags)
            client.logout()

    def __enter__(self) -> EmbeddedIMAP:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- server thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaces in start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        from proxyprotocol.reader import ProxyProtocolReader
        from pymap.backend.dict import DictBackend, Identity
        from pymap.imap import IMAPServer
        from pymap.user import Passwords, UserMetadata

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        first_user, first_pw = next(iter(self.users.items()))
        args = Namespace(host=self.host, port=self.port, debug=False, cert=None, key=None,
                         tls=False,  # no STARTTLS -> plaintext LOGIN allowed
                         passlib_cfg=None, proxy_protocol=None, inherited_sockets=None,
                         demo_data=self.demo_data, demo_user=first_user,
                         demo_password=first_pw)  # fmt: skip
        backend, config = await DictBackend.init(args, invalid_user_sleep=0.0)
        config.apply_context()
        for name, pw in list(self.users.items())[1:]:  # the first user was created as the 'demo user'
            hashed = await Passwords(config).hash_password(pw)
            await Identity(name, backend.login, None, frozenset()).set(
                UserMetadata(config, name, password=hashed)
            )
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            handler: Any = ProxyProtocolReader(config.proxy_protocol).get_callback(
                IMAPServer(backend.login, config)
            )
            server = await asyncio.start_server(handler, host=self.host, port=self.port)
            await stack.enter_async_context(server)
            self.port = int(server.sockets[0].getsockname()[1])
            self._ready.set()
            await self._stop.wait()
