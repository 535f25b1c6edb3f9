"""The newsroom's corrections as corpus: the documents of the claims editors confirmed or
rejected, in the corpus format (tests/corpus/SCHEMA.md: header + text), and their annotations
(`tracker corpus export`).

An annotation entry lists the confirmed claims as gold (`positions`, `facts`: what `tracker
eval` scores against), the rejected ones under `rejected:` (the correction: the extractor read
them and an editor said no), and the document's other claims, which nobody reviewed, under
`unreviewed:` (read, not judged: neither gold nor wrong).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tracker.domain.review import Review
from tracker.domain.sources import SourceSpec
from tracker.storage.database import UnitOfWork
from tracker.storage.models import ClaimRow, StatementRow, VersionRow
from tracker.storage.state import unwrap


@dataclass(frozen=True)
class CorpusDocument:
    """One exported document: its file name and its text in the corpus format."""

    name: str
    text: str


@dataclass
class CorpusExport:
    """The documents and their annotation entries."""

    documents: list[CorpusDocument] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> tuple[int, int]:
        """How many claims were exported as (confirmed, rejected)."""
        confirmed = sum(len(a["positions"]) + len(a["facts"]) for a in self.annotations)
        rejected = sum(
            len(a["rejected"]["positions"]) + len(a["rejected"]["facts"]) for a in self.annotations
        )
        return confirmed, rejected


def _one_line(value: str) -> str:
    return " ".join(value.split())


def document_name(statement: StatementRow, version: VersionRow, stated_at: datetime) -> str:
    """Return an exported document's file name: date, source, statement and version."""
    return f"{stated_at:%Y-%m-%d}_{statement.source_id}_s{statement.id}v{version.seq}.txt"


def document_text(
    statement: StatementRow, version: VersionRow, stated_at: datetime, spec: SourceSpec | None
) -> str:
    """Return a statement version in the corpus format: header lines, a blank line, the text."""
    header = {
        "source": (spec.name if spec and spec.name else statement.source_id),
        "url": statement.url or "",
        "published": stated_at.isoformat(),
        "speaker": (spec.speaker if spec else None) or "",
        "title": version.title,
    }
    lines = [f"{key}: {_one_line(value)}" for key, value in header.items() if value]
    return "\n".join(lines) + "\n\n" + version.text.strip() + "\n"


def _claim(row: ClaimRow) -> dict[str, Any]:
    if row.kind == "position":
        entry: dict[str, Any] = {"actor": row.actor, "issue": row.issue, "stance": row.stance}
        if row.conditions:
            entry["conditions"] = list(row.conditions)
        return entry
    return {"key": row.key, "value": unwrap(row.value)}


def _split(claims: list[ClaimRow]) -> dict[str, list[dict[str, Any]]]:
    """Claims as an annotation lists them: positions and facts, each once."""
    out: dict[str, list[dict[str, Any]]] = {"positions": [], "facts": []}
    for row in claims:
        entry = _claim(row)
        bucket = out["positions" if row.kind == "position" else "facts"]
        if entry not in bucket:
            bucket.append(entry)
    return out


def _entry(name: str, claims: list[ClaimRow]) -> dict[str, Any]:
    confirmed = [c for c in claims if c.review == Review.CONFIRMED]
    rejected = [c for c in claims if c.review == Review.REJECTED]
    others = [c for c in claims if c.review not in {Review.CONFIRMED, Review.REJECTED}]
    return {
        "doc": name,
        **_split(confirmed),
        "rejected": _split(rejected),
        "unreviewed": _split(others),
        "reviewed_by": sorted({c.reviewed_by for c in confirmed + rejected if c.reviewed_by}),
    }


def export_corpus(
    uow: UnitOfWork, sources: Mapping[str, SourceSpec], since: datetime | None = None
) -> CorpusExport:
    """Collect the documents of the claims reviewed since `since` (all when None), oldest
    statement first, with their annotations."""
    reviewed = uow.state.reviewed(since)
    versions = sorted({c.version_id for c in reviewed})
    by_version: dict[int, list[ClaimRow]] = {}
    for claim in uow.state.version_claims(versions):
        by_version.setdefault(claim.version_id, []).append(claim)
    export = CorpusExport()
    ordered = sorted(by_version.items(), key=lambda kv: (kv[1][0].stated_at, kv[0]))
    for version_id, claims in ordered:
        version = uow.session.get(VersionRow, version_id)
        statement = uow.session.get(StatementRow, claims[0].statement_id)
        if version is None or statement is None:
            continue
        stated_at = claims[0].stated_at
        name = document_name(statement, version, stated_at)
        spec = sources.get(statement.source_id)
        export.documents.append(
            CorpusDocument(name, document_text(statement, version, stated_at, spec))
        )
        export.annotations.append(_entry(name, claims))
    return export
