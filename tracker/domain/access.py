"""Roles and what each may do: viewers read, editors work the queue and pause sources,
admins manage webhook endpoints, accounts and tokens."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's or token's role; each includes the ones before it."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Return the role's place: viewer 0, editor 1, admin 2."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """Return whether this role may do what `needed` may."""
        return self.rank >= needed.rank


def parse_role(value: str) -> Role:
    """Return the role named `value`, or raise ValueError listing the roles."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ValueError(
            f"unknown role {value!r}: use one of {', '.join(r.value for r in Role)}"
        ) from None
