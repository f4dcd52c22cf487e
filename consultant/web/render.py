"""Jinja rendering for the review pages (autoescape always on) and safe views of mail content.

Mail content is shown as text (escaped by Jinja). An HTML part, when a mail has one, is offered
only after nh3 has reduced it to a small allow-list of formatting tags (no scripts, styles,
images, forms or event attributes); the page's CSP would block scripts even if one slipped by.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from typing import Any

import jinja2
import nh3
from fastapi import Request
from fastapi.responses import HTMLResponse

from consultant.settings import TEMPLATES_DIR

ALLOWED_TAGS = {
    "p",
    "br",
    "div",
    "span",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "blockquote",
    "pre",
    "code",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "a",
}
MAX_HTML_BYTES = 512 * 1024


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "web")),
        autoescape=True,  # every template, whatever its extension
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["age"] = human_age
    env.filters["when"] = when
    env.tests["shorter_than"] = lambda value, n: len(str(value)) < n
    return env


def human_age(seconds: int | float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    from consultant.web.auth import csrf_token

    env: jinja2.Environment = request.app.state.jinja
    user = getattr(request.state, "user", None)
    flashes = request.session.pop("flash", []) if "flash" in request.session else []
    html = env.get_template(name).render(
        request=request,
        user=user,
        csrf=csrf_token(request),
        flashes=flashes,
        path=request.url.path,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def flash(request: Request, kind: str, message: str) -> None:
    items = list(request.session.get("flash", []))
    items.append({"kind": kind, "message": message})
    request.session["flash"] = items[-5:]


def sanitized_html_part(raw: bytes) -> str | None:
    """The mail's text/html part, sanitized with nh3 to plain formatting; None if it has none."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:
        return None
    if not isinstance(msg, EmailMessage):
        return None
    try:
        part = msg.get_body(preferencelist=("html",))
        if part is None:
            return None
        content = part.get_content()
    except Exception:
        return None
    if not isinstance(content, str):
        return None
    content = content[:MAX_HTML_BYTES]
    return nh3.clean(
        content,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
