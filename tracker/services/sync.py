"""Bring the sources table in line with the configuration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tracker.domain.sources import SourceSpec
from tracker.storage.database import UnitOfWork
from tracker.storage.sources import SyncReport
from tracker.storage.webhooks import EndpointSpec


def sync_sources(uow: UnitOfWork, specs: Sequence[SourceSpec], now: datetime) -> SyncReport:
    """Add new sources, update changed ones, disable removed ones (their history stays)."""
    return uow.sources.sync(specs, now)


def sync_config(
    uow: UnitOfWork, sources: Sequence[SourceSpec], webhooks: Sequence[EndpointSpec], now: datetime
) -> SyncReport:
    """Bring sources and config-file webhook endpoints in line with the configuration."""
    uow.webhooks.sync(list(webhooks), now)
    return uow.sources.sync(sources, now)
