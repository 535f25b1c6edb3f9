"""What the tracker knows: `tracker extract` (one document), `tracker eval` (against
annotations), `tracker state` (the current positions and facts)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracker import charset
from tracker.cli.base import JsonFlag, app, fail, wiring
from tracker.cli.output import table
from tracker.config.errors import ConfigError
from tracker.domain.evaluation import Band, Report, Score, calibration, split, subset
from tracker.domain.evaluation import agreement as compare
from tracker.sources.html_text import html_to_text

if TYPE_CHECKING:
    from tracker.config.loader import Config
    from tracker.domain.extraction.extractor import RuleExtractor
    from tracker.services.evaluation import Evaluated

TopicOption = Annotated[
    str | None, typer.Option("--topic", help="Topic id (default: the only one).")
]


def _config() -> Config:
    from tracker.config.loader import load_config
    from tracker.settings import SettingsError, load_settings

    try:
        return load_config(load_settings().config_dir)
    except (SettingsError, ConfigError) as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def _extractor(config: Config, topic: str | None) -> RuleExtractor:
    from tracker.domain.extraction.extractor import RuleExtractor

    usable = {t: v for t, v in config.vocabularies.items() if v.issues}
    if topic is None and len(usable) == 1:
        topic = next(iter(usable))
    if topic not in usable:
        known = ", ".join(sorted(usable)) or "none (add actors and issues to a topic file)"
        fail(f"choose a topic with --topic (topics with a vocabulary: {known})")
    return RuleExtractor(usable[str(topic)])


@app.command()
def extract(
    file: Annotated[
        Path, typer.Argument(help="A statement: the corpus header format, or plain text.")
    ],
    as_json: JsonFlag = False,
    topic: TopicOption = None,
) -> None:
    """Print the positions and key facts one document states, with their evidence."""
    from tracker.domain.extraction.document import parse_document

    extractor = _extractor(_config(), topic)
    document = parse_document(_statement_text(file), file.name)
    extraction = extractor.extract(document)
    if as_json:
        typer.echo(json.dumps(extraction.to_json(), ensure_ascii=False, indent=2))
        return
    rows = [
        [p.actor, p.issue, p.stance.value, "; ".join(p.conditions), p.evidence.sentence]
        for p in extraction.positions
    ]
    typer.echo(
        table(["ACTOR", "ISSUE", "STANCE", "CONDITIONS", "EVIDENCE"], rows)
        if rows
        else "no positions"
    )
    facts = [[f.key, str(f.value), f.evidence.sentence] for f in extraction.facts]
    typer.echo("\n" + (table(["FACT", "VALUE", "EVIDENCE"], facts) if facts else "no facts"))
    for note in extraction.notes:
        typer.echo(f"note: {note}", err=True)


_MAX_READ = 64 * 1024 * 1024  # a statement file larger than this is no statement
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_BINARY_SHARE = 0.05
_MARKUP = re.compile(
    r"^\s*(?:<!doctype html|<html|<\?xml[^>]*>\s*<html)|<(?:p|div|br|body)\b", re.IGNORECASE
)


def _statement_text(file: Path) -> str:
    """Read a statement file as text: any charset, HTML as its text; binary data refused."""
    try:
        with file.open("rb") as stream:
            body = stream.read(_MAX_READ + 1)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
        raise  # unreachable: fail() exits
    if len(body) > _MAX_READ:
        fail(f"cannot read {file}: larger than {_MAX_READ // (1024 * 1024)} MB")
    sample = body[:65536]
    if b"\x00" in sample or len(_CONTROL.findall(sample)) > _BINARY_SHARE * max(1, len(sample)):
        fail(f"cannot read {file}: binary data, not a text document")
    text = charset.decode(body)
    return html_to_text(text) if _MARKUP.search(text[:4096]) else text


def _line(name: str, score: Score) -> str:
    return f"{name:<56} P {score.precision:.2f}  R {score.recall:.2f}  F1 {score.f1:.2f}"


def _print_report(report: Report, *, documents: bool) -> None:
    if documents:
        for doc, (positions, facts) in report.documents.items():
            typer.echo(f"{doc}\n  {_line('positions', positions)}\n  {_line('facts', facts)}")
            for label, items in (
                ("missed", positions.misses + facts.misses),
                ("extra", positions.extras + facts.extras),
            ):
                for item in items:
                    typer.echo(f"    {label}: {item}")
        typer.echo("")
    typer.echo("overall")
    _print_totals(report)


def _print_totals(report: Report) -> None:
    positions, facts = report.positions, report.facts
    typer.echo("  " + _line(f"positions ({positions.tp + positions.fn} annotated)", positions))
    typer.echo("  " + _line(f"facts ({facts.tp + facts.fn} annotated)", facts))


def _parts(
    evaluated: Evaluated, cut: date | None, sealed: set[str] | None = None
) -> dict[str, list[str]]:
    metas = evaluated.documents
    dates = sorted(m.published for m in metas.values() if m.published)
    chosen = cut or (dates[len(dates) // 2] if dates else date.min)
    parts = split(metas.values(), chosen, sealed or ())
    named = {f"tuned on: published before {chosen}": list(parts.tuned)}
    if sealed:
        named |= {
            f"studied: published from {chosen}, read for errors since": list(parts.studied),
            f"held apart by time: sealed, published from {chosen}": list(parts.later),
            "held apart by publisher: sealed, from sites no studied document is from": list(
                parts.other_sites
            ),
        }
    else:
        named |= {
            f"held apart by time: published from {chosen}": list(parts.later),
            "held apart by publisher: sites with no document before the cut": list(
                parts.other_sites
            ),
        }
    named |= {
        "held apart (by time or publisher)": list(parts.held),
        "whole corpus": list(metas),
    }
    for genre in sorted({m.genre for m in metas.values() if m.genre}):
        named[f"genre {genre}"] = [n for n, m in metas.items() if m.genre == genre]
    return named


def _bands(evaluated: Evaluated, names: list[str], kind: str) -> list[Band]:
    return calibration(g for n in names for g in evaluated.grades[n][kind])


def _bands_json(bands: list[Band]) -> list[dict[str, float | int]]:
    return [
        {"low": b.low, "high": min(b.high, 1.0), "claims": b.claims, "precision": b.precision}
        for b in bands
    ]


def _print_bands(bands: list[Band]) -> None:
    cells = [
        f"{b.low:.1f}-{min(b.high, 1.0):.1f}: {b.precision:.2f} of {b.claims}"
        for b in bands
        if b.claims
    ]
    typer.echo("  calibration (position precision by confidence): " + "; ".join(cells))


def _score_json(score: Score) -> dict[str, float | int]:
    return {
        "precision": score.precision,
        "recall": score.recall,
        "f1": score.f1,
        "tp": score.tp,
        "fp": score.fp,
        "fn": score.fn,
    }


@app.command("eval")
def evaluate(
    directory: Annotated[Path, typer.Argument(help="The documents' folder.")],
    annotations: Annotated[
        Path, typer.Argument(help="annotations.yaml, or a folder of annotation YAML files")
    ],
    as_json: JsonFlag = False,
    topic: TopicOption = None,
    cut: Annotated[
        str | None,
        typer.Option(
            help="Split by time at this date (YYYY-MM-DD): earlier documents are the tuning set, "
            "later ones and those of sites absent before it are held apart "
            "(default: the median publication date)."
        ),
    ] = None,
    documents: Annotated[
        bool, typer.Option("--documents/--summary", help="Per-document lines, or totals only.")
    ] = True,
    fail_under: Annotated[
        float, typer.Option(help="Exit 1 if positions or facts F1 is below this.")
    ] = 0.0,
    sealed: Annotated[
        list[str] | None,
        typer.Option(
            help="An annotation file (of the folder) whose documents nobody has studied: the "
            "held-apart sets are its documents alone, and later ones outside it count as "
            "studied. Repeatable."
        ),
    ] = None,
) -> None:
    """Score extraction against annotations: per document, overall, and on held-apart splits."""
    from tracker.services.evaluation import AnnotationError, batch_documents, run_evaluation

    try:
        cut_date = date.fromisoformat(cut) if cut else None
    except ValueError:
        fail(f"--cut: {cut!r} is not a date (YYYY-MM-DD)")
        raise  # unreachable: fail() exits
    extractor = _extractor(_config(), topic)
    try:
        evaluated = run_evaluation(extractor, directory, annotations)
    except AnnotationError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits
    try:
        unseen = batch_documents(annotations, sealed) if sealed else None
    except AnnotationError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits
    report, parts = evaluated.report, _parts(evaluated, cut_date, unseen)
    if as_json:
        body: dict[str, object] = {
            "positions": _score_json(report.positions),
            "facts": _score_json(report.facts),
            "splits": {
                name: {
                    "documents": len(names),
                    "positions": _score_json(subset(report, names).positions),
                    "facts": _score_json(subset(report, names).facts),
                    "calibration": _bands_json(_bands(evaluated, names, "positions")),
                }
                for name, names in parts.items()
            },
        }
        typer.echo(json.dumps(body))
    else:
        _print_report(report, documents=documents)
        for name, names in parts.items():
            typer.echo(f"\n{name} ({len(names)} documents)")
            _print_totals(subset(report, names))
            if not name.startswith("genre"):
                _print_bands(_bands(evaluated, names, "positions"))
    if min(report.positions.f1, report.facts.f1) < fail_under:
        raise typer.Exit(1)


@app.command()
def agreement(
    first: Annotated[Path, typer.Argument(help="The first annotation (file or folder).")],
    second: Annotated[Path, typer.Argument(help="An independent second annotation.")],
    as_json: JsonFlag = False,
) -> None:
    """How far two independent annotations of the same documents agree (claim F1, kappa)."""
    from tracker.services.evaluation import AnnotationError, load_annotations

    try:
        result = compare(load_annotations(first), load_annotations(second))
    except AnnotationError as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "documents": result.documents,
                    "positions": _score_json(result.positions),
                    "actor_issue_pairs": _score_json(result.pairs),
                    "stance_agreement": result.stance_agreement,
                    "stance_kappa": result.kappa,
                    "facts": _score_json(result.facts),
                }
            )
        )
        return
    typer.echo(f"documents annotated by both: {result.documents}")
    typer.echo("  " + _line("positions (actor, issue, stance)", result.positions))
    typer.echo("  " + _line("actor-issue pairs", result.pairs))
    typer.echo(f"  stance on pairs both recorded: {result.stance_agreement:.2f} the same")
    typer.echo(f"  Cohen's kappa of stance per pair: {result.kappa:.2f}")
    typer.echo("  " + _line("facts", result.facts))


def _history(current: dict[str, list[dict[str, Any]]]) -> str:
    """Every claim behind each stance and value, in statement order: why it is what it is."""
    blocks = []
    subjects = [
        (f"{p['actor']} x {p['issue']}: {p['stance']}", p["history"]) for p in current["positions"]
    ] + [(f"{f['key']}: {f['value']}", f["history"]) for f in current["facts"]]
    for title, history in subjects:
        rows = [
            [
                h["stated_at"][:16].replace("T", " "),
                h["source"],
                h["voice"],
                str(h["story"]),
                h["outcome"],
                str(h["value"]),
                h["sentence"],
            ]
            for h in history
        ]
        headers = ["STATED", "SOURCE", "VOICE", "STORY", "OUTCOME", "SAID", "EVIDENCE"]
        blocks.append(f"{title}\n{table(headers, rows, max_width=80)}")
    return "\n\n".join(blocks)


@app.command()
def state(
    topic: TopicOption = None,
    as_json: JsonFlag = False,
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="Also every claim behind each stance and value, in order: source, statement "
            "time, own words or report, story, outcome and evidence (--json: always included).",
        ),
    ] = False,
) -> None:
    """Print the current positions and key facts, with the sources that state them."""
    from tracker.services.state_view import topic_state

    with wiring() as tracker, tracker.db.reader() as uow:
        current = topic_state(uow, topic)
    if as_json:
        typer.echo(json.dumps(current, ensure_ascii=False))
        return
    positions = [
        [
            p["actor"],
            p["issue"],
            p["stance"],
            p["since"][:10],
            ", ".join(p["sources"]),
            "; ".join(p["conditions"]),
        ]
        for p in current["positions"]
    ]
    facts = [
        [
            f["key"],
            str(f["value"]) + (" (disputed)" if f["disputed"] else ""),
            f["since"][:10],
            ", ".join(f["sources"]),
        ]
        for f in current["facts"]
    ]
    typer.echo(
        table(["ACTOR", "ISSUE", "STANCE", "SINCE", "SOURCES", "CONDITIONS"], positions)
        if positions
        else "no positions yet"
    )
    typer.echo(
        "\n" + (table(["FACT", "VALUE", "SINCE", "SOURCES"], facts) if facts else "no facts yet")
    )
    if history and (positions or facts):
        typer.echo("\nHistory\n\n" + _history(current))
