"""The demo's stand-in for the asker's mail server: an aiosmtpd sink that keeps what it receives."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Delivered:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes


class DemoSink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.messages: list[Delivered] = []
        self._cond = threading.Condition()
        self.controller = Controller(self, hostname=host, port=port or _free_port(host), ready_timeout=10)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        with self._cond:
            self.messages.append(Delivered(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(raw)))
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    @property
    def host(self) -> str:
        return str(self.controller.hostname)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> DemoSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, n: int, timeout: float = 10.0) -> int:
        with self._cond:
            self._cond.wait_for(lambda: len(self.messages) >= n, timeout)
            return len(self.messages)


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
