"""Bring the sources table in line with the configuration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tracker.domain.sources import SourceSpec
from tracker.storage.database import UnitOfWork
from tracker.storage.sources import SyncReport


def sync_sources(uow: UnitOfWork, specs: Sequence[SourceSpec], now: datetime) -> SyncReport:
    """Add new sources, update changed ones, disable removed ones (their history stays)."""
    return uow.sources.sync(specs, now)
