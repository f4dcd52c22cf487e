"""Users of the review UI: creation, argon2 password checks, lockout, API tokens.

Passwords are hashed with argon2id (argon2-cffi defaults). A login with the wrong password
counts a failure; after `login_max_failures` in a row the account is locked for
`login_lockout_seconds`. Unknown addresses cost the same work as known ones (a dummy
verification), so response time does not tell which addresses exist.

API tokens are 32 random bytes shown once; only their SHA-256 is stored (the secret is long
and random, so a fast hash is enough and keeps each API request cheap).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.db.models import User, utcnow
from consultant.services import audit

ROLES = ("consultant", "admin")
TOKEN_PREFIX = "cc_"
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class UserError(Exception):
    """The request cannot be done (the message says why)."""


class LoginRefused(Exception):
    """Wrong address or password, or the account is locked / inactive (the message is safe to show)."""


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout_seconds: int = 900


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def create_user(
    session: Session, email: str, password: str, role: str = "consultant", actor: str = "system"
) -> User:
    email = normalize_email(email)
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise UserError("not an email address")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if by_email(session, email) is not None:
        raise UserError("a user with this address exists")
    user = User(email=email, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user_add", None, user_id=user.id, role=role)
    return user


def set_password(session: Session, user: User, password: str, actor: str = "system") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "user_password", None, user_id=user.id)


def unlock(session: Session, user: User, actor: str) -> None:
    user.failed_logins = 0
    user.locked_until = None
    audit.record(session, actor, "user_unlock", None, user_id=user.id)


def set_active(session: Session, user: User, active: bool, actor: str) -> None:
    user.active = active
    if not active:
        user.api_token_hash = None
    audit.record(session, actor, "user_activate" if active else "user_deactivate", None, user_id=user.id)


def authenticate(
    session: Session, email: str, password: str, policy: LoginPolicy, now: dt.datetime | None = None
) -> User:
    """The user if the password is right; raises `LoginRefused` otherwise. The caller commits
    (failures are counted in the same transaction, so commit on both paths)."""
    now = now or utcnow()
    user = by_email(session, email)
    if user is None or not user.active:
        try:
            _hasher.verify(_DUMMY_HASH, password or "x")
        except VerificationError:
            pass
        raise LoginRefused("wrong email or password")
    if user.locked_until is not None and user.locked_until > now:
        audit.record(session, user.email, "login_locked", None)
        raise LoginRefused("too many failed attempts: the account is locked for a while; try again later")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins = (user.failed_logins or 0) + 1
        audit.record(session, user.email, "login_failed", None, failures=user.failed_logins)
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + dt.timedelta(seconds=policy.lockout_seconds)
            user.failed_logins = 0
            audit.record(session, user.email, "lockout", None, seconds=policy.lockout_seconds)
            raise LoginRefused(
                "too many failed attempts: the account is locked for a while; try again later"
            ) from None
        raise LoginRefused("wrong email or password") from None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, user.email, "login", None)
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, actor: str = "system") -> str:
    """A new API token for `user` (replacing any old one); shown once, only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = _token_digest(token)
    audit.record(session, actor, "token_issue", None, user_id=user.id)
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    user = session.scalar(select(User).where(User.api_token_hash == _token_digest(token)))
    if user is None or not user.active:
        return None
    return user


def session_stamp(user: User) -> str:
    """Changes when the password changes: a session cookie made before is no longer valid."""
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:16]


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))
