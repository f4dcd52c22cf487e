"""Plain data of a parsed inbound mail and its classification."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["consult", "follow_up", "auto_reply", "bounce", "list", "loop", "rejected", "failed"]


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int


@dataclass
class ParsedMail:
    message_id: str | None  # without angle brackets
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_addr: str | None  # lower-cased addr-spec
    from_name: str | None
    reply_to: str | None
    to: list[str]
    cc: list[str]
    date: str | None  # ISO 8601 when parseable
    text: str  # the whole body as text (HTML converted)
    question: str  # the new text: quotes and signature stripped, forwards kept
    html_only: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # selected headers, lower-case names
    content_type: str = "text/plain"
    defects: list[str] = field(default_factory=list)
    size: int = 0


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str
