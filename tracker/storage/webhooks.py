"""The webhook endpoints repository: endpoints from the config file and from the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.storage.models import WebhookEndpointRow


@dataclass(frozen=True)
class EndpointSpec:
    """A configured endpoint."""

    id: str
    url: str
    secret: str
    types: tuple[str, ...]
    enabled: bool = True


class WebhookRepository:
    """Endpoint rows. Config endpoints follow the file; CLI endpoints are the CLI's to change."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> list[WebhookEndpointRow]:
        """Return every endpoint, by id."""
        return list(
            self.session.scalars(select(WebhookEndpointRow).order_by(WebhookEndpointRow.id))
        )

    def get(self, endpoint_id: str) -> WebhookEndpointRow | None:
        """Return one endpoint."""
        return self.session.get(WebhookEndpointRow, endpoint_id)

    def enabled(self) -> list[WebhookEndpointRow]:
        """Return the endpoints events are delivered to."""
        query = select(WebhookEndpointRow).where(WebhookEndpointRow.enabled.is_(True))
        return list(self.session.scalars(query.order_by(WebhookEndpointRow.id)))

    def add(self, row: WebhookEndpointRow) -> WebhookEndpointRow:
        """Add an endpoint."""
        self.session.add(row)
        self.session.flush()
        return row

    def sync(self, specs: list[EndpointSpec], now: datetime) -> None:
        """Make config endpoints match the file; one removed from it is disabled, not deleted."""
        rows = {r.id: r for r in self.all() if r.origin == "config"}
        for spec in specs:
            row = rows.pop(spec.id, None) or self.session.get(WebhookEndpointRow, spec.id)
            if row is None:
                self.session.add(
                    WebhookEndpointRow(
                        id=spec.id,
                        url=spec.url,
                        secret=spec.secret,
                        types=list(spec.types),
                        enabled=spec.enabled,
                        origin="config",
                        created_at=now,
                        updated_at=now,
                    )
                )
                continue
            if row.secret != spec.secret:
                row.previous_secret, row.previous_secret_until = None, None
            wanted = {
                "url": spec.url,
                "secret": spec.secret,
                "types": list(spec.types),
                "origin": "config",
            }
            for name, value in wanted.items():
                if getattr(row, name) != value:
                    setattr(row, name, value)
                    row.updated_at = now
            if row.enabled != spec.enabled and (
                spec.enabled is False or row.disabled_reason is None
            ):
                row.enabled, row.updated_at = spec.enabled, now
        for row in rows.values():
            if row.enabled:
                row.enabled, row.disabled_reason, row.updated_at = (
                    False,
                    "removed from the config file",
                    now,
                )
        self.session.flush()
