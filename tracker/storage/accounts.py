"""Users, API tokens and browser sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tracker.storage.models import ApiTokenRow, UserRow, WebSessionRow


class AccountRepository:
    """Accounts and credentials; only hashes of secrets are stored."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def user(self, username: str) -> UserRow | None:
        """Return a user by name."""
        return self.session.scalars(select(UserRow).where(UserRow.username == username)).first()

    def user_by_id(self, user_id: int) -> UserRow | None:
        """Return a user by id."""
        return self.session.get(UserRow, user_id)

    def users(self) -> list[UserRow]:
        """Return every user, by name."""
        return list(self.session.scalars(select(UserRow).order_by(UserRow.username)))

    def add_user(self, row: UserRow) -> UserRow:
        """Add a user."""
        self.session.add(row)
        self.session.flush()
        return row

    def token(self, token_id: str) -> ApiTokenRow | None:
        """Return a token by its public id."""
        return self.session.get(ApiTokenRow, token_id)

    def tokens(self) -> list[ApiTokenRow]:
        """Return every token, newest first."""
        query = select(ApiTokenRow).order_by(ApiTokenRow.created_at.desc())
        return list(self.session.scalars(query))

    def add_token(self, row: ApiTokenRow) -> ApiTokenRow:
        """Add a token."""
        self.session.add(row)
        return row

    def web_session(self, id_hash: str) -> WebSessionRow | None:
        """Return a browser session by the hash of its cookie."""
        return self.session.get(WebSessionRow, id_hash)

    def add_web_session(self, row: WebSessionRow) -> None:
        """Add a browser session."""
        self.session.add(row)

    def end_web_session(self, id_hash: str) -> None:
        """Remove a browser session."""
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.id_hash == id_hash))

    def purge_sessions(self, now: datetime) -> None:
        """Remove expired browser sessions."""
        self.session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at <= now))
