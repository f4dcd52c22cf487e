"""The outgoing mails: an approved reply (subject, text, HTML) and the notice to a refused sender.

Each mail is three templates (subject, text, HTML) under templates/mail/, rendered by the one
environment of `consultant.drafting.templates` (HTML autoescaped).
"""

from __future__ import annotations

from typing import Literal

from consultant.drafting.draft import base_subject, reply_subject
from consultant.drafting.templates import render

RefusalReason = Literal["not_allowed", "over_quota"]


def _paragraphs(text: str) -> list[list[str]]:
    """Blank-line separated paragraphs, each a list of its lines (for <p> ... <br> ... </p>)."""
    paras: list[list[str]] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paras.append(current)
            current = []
    if current:
        paras.append(current)
    return paras


def render_reply(body_text: str, subject: str, case_id: int) -> tuple[str, str, str]:
    """(subject, text, html) of the approved reply: the text as approved plus a short footer."""
    context = {
        "subject": reply_subject(subject, case_id),
        "body_text": body_text.rstrip(),
        "paragraphs": _paragraphs(body_text),
        "case_id": case_id,
    }
    return (
        render("mail/reply.subject.txt", **context).strip(),
        render("mail/reply.txt", **context).rstrip() + "\n",
        render("mail/reply.html", **context).rstrip() + "\n",
    )


def render_notice_refused(
    subject: str,
    reason: RefusalReason = "not_allowed",
    *,
    consult_address: str | None = None,
    daily_quota: int | None = None,
) -> tuple[str, str, str]:
    """(subject, text, html) of the polite notice to a sender whose mail was not taken in."""
    if consult_address is None:
        from consultant.settings import get_settings

        consult_address = get_settings().consult_address
    context = {
        "subject": f"Re: {base_subject(subject) or 'your message'}",
        "reason": reason,
        "consult_address": consult_address,
        "daily_quota": daily_quota,
    }
    return (
        render("mail/notice_refused.subject.txt", **context).strip(),
        render("mail/notice_refused.txt", **context).rstrip() + "\n",
        render("mail/notice_refused.html", **context).rstrip() + "\n",
    )
