"""Accounts: users with passwords (argon2id) for the page, API tokens (SHA-256 at rest, shown
once) for programs, and browser sessions with a CSRF token each."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tracker.domain.access import Role, parse_role
from tracker.storage.database import UnitOfWork
from tracker.storage.models import ApiTokenRow, UserRow, WebSessionRow

TOKEN_PREFIX = "trk"  # noqa: S105 - the tokens' visible prefix, not a secret
SESSION_LIFETIME = timedelta(hours=12)
TOKEN_USE_GRAIN = timedelta(minutes=1)  # how stale a token's last_used_at may get
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,100}$")
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password anybody has")


class AccountError(Exception):
    """An account command cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (from a session) or a token, and their role."""

    name: str  # user:NAME or token:NAME
    role: Role
    csrf_token: str | None = None  # browser sessions only

    @property
    def display(self) -> str:
        """The name shown to other editors."""
        return self.name.split(":", 1)[1]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_user(uow: UnitOfWork, username: str, password: str, role: str, now: datetime) -> UserRow:
    """Add a user; the password is stored as an argon2id hash."""
    if not _USERNAME.match(username):
        raise AccountError("a username is 2-100 letters, digits or . _ @ -")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    parsed = _role(role)
    if uow.accounts.user(username) is not None:
        raise AccountError(f"a user {username!r} exists already")
    return uow.accounts.add_user(
        UserRow(
            username=username,
            password_hash=_HASHER.hash(password),
            role=parsed.value,
            disabled=False,
            created_at=now,
        )
    )


def _role(value: str) -> Role:
    try:
        return parse_role(value)
    except ValueError as exc:
        raise AccountError(str(exc)) from None


def create_token(uow: UnitOfWork, role: str, name: str | None, now: datetime) -> tuple[str, str]:
    """Create an API token; return (its id, the token), the token shown this once only."""
    parsed = _role(role)
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = f"{TOKEN_PREFIX}_{token_id}_{secret}"
    uow.accounts.add_token(
        ApiTokenRow(
            id=token_id,
            name=name or f"{parsed.value}-{token_id}",
            role=parsed.value,
            token_hash=_digest(token),
            created_at=now,
        )
    )
    return token_id, token


def revoke_token(uow: UnitOfWork, token_id: str, now: datetime) -> None:
    """Revoke a token: it stops working at once."""
    row = uow.accounts.token(token_id)
    if row is None:
        raise AccountError(f"no token {token_id!r}")
    row.revoked_at = row.revoked_at or now


def _live_token(uow: UnitOfWork, token: str) -> ApiTokenRow | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:  # noqa: PLR2004 - prefix, id, secret
        return None
    row = uow.accounts.token(parts[1])
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.token_hash, _digest(token)):
        return None
    return row


def token_principal(uow: UnitOfWork, token: str) -> Principal | None:
    """Return who a bearer token belongs to, or None when it is unknown or revoked (reads
    only: checking a token must not wait on writers)."""
    row = _live_token(uow, token)
    return None if row is None else Principal(f"token:{row.name}", Role(row.role))


def token_use_due(uow: UnitOfWork, token: str, now: datetime) -> bool:
    """Return whether a valid token's last use is older than `TOKEN_USE_GRAIN`."""
    row = _live_token(uow, token)
    if row is None:
        return False
    return row.last_used_at is None or now - row.last_used_at > TOKEN_USE_GRAIN


def note_token_use(uow: UnitOfWork, token: str, now: datetime) -> None:
    """Record that a token was used, when it is due (coarse, so a busy client does not write
    on every call)."""
    row = _live_token(uow, token)
    if row is not None and token_use_due(uow, token, now):
        row.last_used_at = now


def login(
    uow: UnitOfWork, username: str, password: str, now: datetime
) -> tuple[str, Principal] | None:
    """Check a password; on success open a browser session and return (cookie, principal)."""
    user = uow.accounts.user(username)
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    uow.accounts.purge_sessions(now)
    uow.accounts.add_web_session(
        WebSessionRow(
            id_hash=_digest(cookie),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return cookie, Principal(f"user:{user.username}", Role(user.role), csrf)


def session_principal(uow: UnitOfWork, cookie: str, now: datetime) -> Principal | None:
    """Return who a session cookie belongs to, or None when unknown or expired."""
    row = uow.accounts.web_session(_digest(cookie))
    if row is None or row.expires_at <= now:
        return None
    user = uow.accounts.user_by_id(row.user_id)
    if user is None or user.disabled:
        return None
    return Principal(f"user:{user.username}", Role(user.role), row.csrf_token)


def logout(uow: UnitOfWork, cookie: str) -> None:
    """End a browser session."""
    uow.accounts.end_web_session(_digest(cookie))
