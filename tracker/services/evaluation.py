"""Run an extractor over annotated documents and score it (`tracker eval`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tracker.domain.evaluation import Gold, Report, evaluate, fact_key
from tracker.domain.extraction.document import parse_document
from tracker.domain.extraction.extractor import Extractor


class AnnotationError(Exception):
    """The annotations file or a document it names cannot be used."""


def load_annotations(path: Path) -> dict[str, Gold]:
    """Read `annotations.yaml`: a list of {doc, positions: [...], facts: [...]}."""
    try:
        entries: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AnnotationError(f"{path}: {exc}") from exc
    if not isinstance(entries, list):
        raise AnnotationError(f"{path}: expected a list of documents")
    gold = {}
    for number, entry in enumerate(entries, start=1):
        try:
            positions = frozenset(
                (p["actor"], p["issue"], p["stance"]) for p in entry.get("positions") or []
            )
            facts = frozenset(fact_key(f["key"], f["value"]) for f in entry.get("facts") or [])
            gold[str(entry["doc"])] = Gold(positions, facts)
        except (KeyError, TypeError, AttributeError) as exc:
            raise AnnotationError(f"{path}: entry {number} is missing {exc}") from exc
    return gold


def find_document(name: str, directory: Path, annotations: Path) -> Path:
    """Find a document named in the annotations: in DIR, beside DIR, or beside the annotations."""
    for candidate in (directory / name, directory.parent / name, annotations.parent / name):
        if candidate.is_file():
            return candidate
    raise AnnotationError(f"document {name!r} not found in {directory} or beside it")


def run_evaluation(extractor: Extractor, directory: Path, annotations: Path) -> Report:
    """Extract every annotated document and score the result."""
    gold = load_annotations(annotations)
    predictions = {}
    for name in gold:
        path = find_document(name, directory, annotations)
        document = parse_document(path.read_text(encoding="utf-8"), name)
        predictions[name] = extractor.extract(document)
    return evaluate(predictions, gold)
