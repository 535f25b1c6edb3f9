"""Who is calling, and may they: bearer tokens for programs, session cookies (with a CSRF
token for anything that changes state) for the page; roles checked on every route."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from tracker.bootstrap import Tracker
from tracker.domain.access import Role
from tracker.services.accounts import (
    Principal,
    note_token_use,
    session_principal,
    token_principal,
    token_use_due,
)
from tracker.web.problems import Problem

SESSION_COOKIE = "tracker_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_SAFE = {"GET", "HEAD", "OPTIONS"}
# Documents the bearer scheme in the OpenAPI schema; `caller` reads the header itself.
_BEARER = HTTPBearer(auto_error=False, description="an API token: `tracker tokens create`")


def now() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)


async def caller(request: Request) -> Principal:
    """Return the caller, or raise 401 (no or bad credentials) / 403 (bad CSRF token)."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    tracker = request.app.state.tracker
    header = request.headers.get("authorization", "")
    cookie = request.cookies.get(SESSION_COOKIE)
    found: Principal | None = None
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "use `Authorization: Bearer <token>`")
        found = await run_in_threadpool(_by_token, tracker, token.strip())
        if found is None:
            raise Problem(401, "unknown or revoked token")
    elif cookie:
        found = await run_in_threadpool(_by_cookie, tracker, cookie)
        if found is None:
            raise Problem(401, "the session has expired: log in again")
        if request.method not in _SAFE:
            await _check_csrf(request, found)
    else:
        raise Problem(401, "authentication required")
    request.state.principal = found
    return found


# The database is read in a worker thread: blocking the event loop would stall every request
# (and every live stream) while SQLite waits on a writer. A token's use is written only when it
# is due (once a minute): a write transaction would wait on every writer under SQLite.
def _by_token(tracker: Tracker, token: str) -> Principal | None:
    at = now()
    with tracker.db.reader() as uow:
        found = token_principal(uow, token)
        due = found is not None and token_use_due(uow, token, at)
    if due:
        with tracker.db.unit_of_work() as uow:
            note_token_use(uow, token, at)
            uow.commit()
    return found


def _by_cookie(tracker: Tracker, cookie: str) -> Principal | None:
    with tracker.db.reader() as uow:
        return session_principal(uow, cookie, now())


async def _check_csrf(request: Request, who: Principal) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not who.csrf_token or not hmac.compare_digest(sent, who.csrf_token):
        raise Problem(403, "missing or wrong CSRF token")


def require(role: Role) -> Callable[..., object]:
    """A dependency: the caller, who must hold at least `role` (else 403)."""

    async def dependency(
        request: Request,
        _: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)],
    ) -> Principal:
        who = await caller(request)
        if not who.role.allows(role):
            raise Problem(403, f"this needs the {role.value} role; you are {who.role.value}")
        return who

    dependency.__name__ = f"require_{role.value}"
    return dependency
