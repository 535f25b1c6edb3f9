"""Run an extractor over annotated documents and score it (`tracker eval`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tracker.domain.evaluation import (
    DocMeta,
    Gold,
    Grades,
    Report,
    evaluate,
    fact_key,
    graded,
    site_of,
)
from tracker.domain.extraction.document import Document, parse_document
from tracker.domain.extraction.extractor import Extractor


class AnnotationError(Exception):
    """The annotations file or a document it names cannot be used."""


@dataclass(frozen=True)
class Evaluated:
    """A scored corpus: the report, and what each document is (for splits)."""

    report: Report
    documents: dict[str, DocMeta]
    # per document: each position claim's confidence and whether it was right
    grades: dict[str, Grades]


def _entries(path: Path) -> list[tuple[Path, Any]]:
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise AnnotationError(f"{path}: no *.yaml annotation files in this folder")
    entries: list[tuple[Path, Any]] = []
    for file in files:
        try:
            loaded: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise AnnotationError(f"{file}: {exc}") from exc
        if not isinstance(loaded, list):
            raise AnnotationError(f"{file}: expected a list of documents")
        entries += [(file, entry) for entry in loaded]
    return entries


def load_annotations(path: Path) -> dict[str, Gold]:
    """Read annotations: one YAML list of {doc, positions, facts}, or a folder of such files."""
    gold: dict[str, Gold] = {}
    for number, (file, entry) in enumerate(_entries(path), start=1):
        try:
            positions = frozenset(
                (p["actor"], p["issue"], p["stance"]) for p in entry.get("positions") or []
            )
            facts = frozenset(fact_key(f["key"], f["value"]) for f in entry.get("facts") or [])
            unread = entry.get("unreviewed") or {}
            unjudged = frozenset(
                [(p["actor"], p["issue"], p["stance"]) for p in unread.get("positions") or []]
                + [fact_key(f["key"], f["value"]) for f in unread.get("facts") or []]
            )
            name = str(entry["doc"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise AnnotationError(f"{file}: entry {number} is missing {exc}") from exc
        if name in gold:
            raise AnnotationError(f"{file}: {name} is annotated twice")
        gold[name] = Gold(positions, facts, unjudged)
    return gold


def batch_documents(annotations: Path, batches: list[str]) -> set[str]:
    """Return the documents the named annotation files (of a folder) annotate."""
    names: set[str] = set()
    for batch in batches:
        file = annotations / batch if annotations.is_dir() else annotations.parent / batch
        if not file.is_file():
            file = file.with_suffix(".yaml")
        if not file.is_file():
            raise AnnotationError(f"--sealed: no annotation file {batch!r} in {annotations}")
        names |= {str(entry.get("doc")) for _, entry in _entries(file) if isinstance(entry, dict)}
    return names


def find_document(name: str, directory: Path, annotations: Path) -> Path:
    """Find a document named in the annotations: in DIR, beside DIR, or beside the annotations."""
    base = annotations if annotations.is_dir() else annotations.parent
    for candidate in (directory / name, directory.parent / name, base / name, base.parent / name):
        if candidate.is_file():
            return candidate
    raise AnnotationError(f"document {name!r} not found in {directory} or beside it")


def _meta(document: Document) -> DocMeta:
    return DocMeta(document.id, document.published, site_of(document.url), document.genre)


def run_evaluation(extractor: Extractor, directory: Path, annotations: Path) -> Evaluated:
    """Extract every annotated document and score the result."""
    gold = load_annotations(annotations)
    predictions, metas = {}, {}
    for name in gold:
        path = find_document(name, directory, annotations)
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AnnotationError(f"cannot read {path}: {exc}") from exc
        document = parse_document(raw, name)
        predictions[name] = extractor.extract(document)
        metas[name] = _meta(document)
    grades = {name: graded(predictions[name], gold[name]) for name in gold}
    return Evaluated(evaluate(predictions, gold), metas, grades)
