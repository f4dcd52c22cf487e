"""Who is asking: session cookies for people, bearer tokens for scripts; CSRF for both kinds of forms.

- The session is a signed cookie (Starlette's SessionMiddleware over itsdangerous: HttpOnly,
  SameSite=Lax, Secure when `secure_cookies`), holding the user id, a stamp derived from the
  password hash (a password change ends every older session) and the CSRF token.
- Pages: no valid session → 303 to /login. API: no session and no bearer token → 401.
- CSRF: every form carries `csrf_token`; API calls made with the session cookie send it as the
  `X-CSRF-Token` header. Bearer-token calls carry no cookie and need no CSRF token.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from consultant.db.models import User
from consultant.services import users as user_service
from consultant.settings import Settings

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to /login."""

    def __init__(self, next_path: str = "/queue") -> None:
        super().__init__(next_path)
        self.next_path = next_path


def load_secret_key(settings: Settings) -> str:
    """`CC_SECRET_KEY`, else a random key kept in `data_dir/secret_key` (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


def get_db(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.sessions()
    try:
        yield session
    finally:
        session.close()


Db = Annotated[Session, Depends(get_db)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, supplied: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(isinstance(expected, str) and supplied and hmac.compare_digest(expected, supplied))


def check_form_csrf(request: Request, supplied: str | None) -> None:
    if not csrf_ok(request, supplied):
        raise HTTPException(
            403, "the form's security token is missing or expired; reload the page and try again"
        )


def session_user(request: Request, db: Session) -> User | None:
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    user = db.get(User, uid)
    if user is None or not user.active or request.session.get("stamp") != user_service.session_stamp(user):
        request.session.pop("uid", None)
        return None
    return user


def login_session(request: Request, user: User) -> None:
    """A fresh session for `user` (new CSRF token too: no fixation)."""
    request.session.clear()
    request.session["uid"] = user.id
    request.session["stamp"] = user_service.session_stamp(user)
    request.session["csrf"] = secrets.token_urlsafe(32)


def page_user(request: Request, db: Db) -> User:
    user = session_user(request, db)
    if user is None:
        path = request.url.path if request.method == "GET" else "/queue"
        raise LoginRequired(path)
    request.state.user = user
    return user


def admin_user(user: Annotated[User, Depends(page_user)]) -> User:
    if user.role != "admin":
        raise HTTPException(403, "only admins manage users")
    return user


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def api_user(request: Request, db: Db) -> User:
    token = _bearer(request)
    if token is not None:
        user = user_service.user_for_token(db, token)
        if user is None:
            raise HTTPException(401, "invalid API token", headers={"WWW-Authenticate": "Bearer"})
        request.state.user = user
        return user
    user = session_user(request, db)
    if user is None:
        raise HTTPException(401, "log in or send an API token", headers={"WWW-Authenticate": "Bearer"})
    if request.method not in SAFE_METHODS and not csrf_ok(request, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header")
    request.state.user = user
    return user


def metrics_user(request: Request, db: Db) -> User:
    """/metrics: a session (GET) or a bearer token, like the API."""
    return api_user(request, db)


PageUser = Annotated[User, Depends(page_user)]
AdminUser = Annotated[User, Depends(admin_user)]
ApiUser = Annotated[User, Depends(api_user)]
