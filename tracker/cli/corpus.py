"""`tracker corpus export`: the claims editors confirmed and rejected, as corpus documents
and annotations, so the newsroom's corrections grow the evaluation corpus."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.base import app, fail, group, wiring
from tracker.cli.output import since_time

if TYPE_CHECKING:
    from tracker.services.corpus import CorpusExport

corpus_app = group(help="The evaluation corpus.")
app.add_typer(corpus_app, name="corpus")
ANNOTATIONS = "annotations.yaml"


def _write(path: Path, text: str) -> None:
    """Write a file atomically: a reader never sees half of it."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as handle:
        handle.write(text)
    Path(handle.name).replace(path)


def write_export(export: CorpusExport, directory: Path) -> None:
    """Write the documents under DIR/docs/ and their annotations to DIR/annotations.yaml."""
    import yaml

    docs = directory / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for document in export.documents:
        _write(docs / document.name, document.text)
    header = (
        "# Exported by `tracker corpus export`: claims editors reviewed.\n"
        "# positions/facts: confirmed (gold); rejected: read by the extractor, rejected by an\n"
        "# editor; unreviewed: read from the same document, never reviewed (neither).\n"
    )
    body = yaml.safe_dump(export.annotations, allow_unicode=True, sort_keys=False, width=100)
    _write(directory / ANNOTATIONS, header + body)


@corpus_app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="Where to write docs/ and annotations.yaml.")],
    since: Annotated[
        str | None, typer.Option(help="Claims reviewed since this time (ISO) or age (2h, 7d).")
    ] = None,
) -> None:
    """Write the documents of confirmed and rejected claims, with their annotations."""
    from tracker.bootstrap import utcnow
    from tracker.services.corpus import export_corpus

    moment = since_time(since, utcnow()) if since else None
    with wiring() as tracker, tracker.db.reader() as uow:
        found = export_corpus(uow, tracker.runtime().source_map, moment)
    if directory.exists() and not directory.is_dir():
        fail(f"{directory} is not a directory")
    try:
        write_export(found, directory)
    except OSError as exc:
        fail(f"cannot write to {directory}: {exc}")
    confirmed, rejected = found.counts
    typer.echo(
        f"{len(found.documents)} document(s), {confirmed} confirmed and {rejected} rejected "
        f"claim(s) -> {directory / 'docs'}, {directory / ANNOTATIONS}"
    )
