"""What the tracker knows: `tracker extract` (one document), `tracker eval` (against
annotations), `tracker state` (the current positions and facts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tracker.cli.base import JsonFlag, app, fail, wiring
from tracker.cli.output import table
from tracker.config.errors import ConfigError
from tracker.config.loader import Config, load_config
from tracker.domain.evaluation import Report, Score
from tracker.domain.extraction.document import parse_document
from tracker.domain.extraction.extractor import RuleExtractor
from tracker.services.evaluation import AnnotationError, run_evaluation
from tracker.services.state_view import topic_state
from tracker.settings import SettingsError, load_settings

TopicOption = Annotated[
    str | None, typer.Option("--topic", help="Topic id (default: the only one).")
]


def _config() -> Config:
    try:
        return load_config(load_settings().config_dir)
    except (SettingsError, ConfigError) as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def _extractor(config: Config, topic: str | None) -> RuleExtractor:
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
    extractor = _extractor(_config(), topic)
    try:
        document = parse_document(file.read_text(encoding="utf-8"), file.name)
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
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


def _line(name: str, score: Score) -> str:
    return f"{name:<56} P {score.precision:.2f}  R {score.recall:.2f}  F1 {score.f1:.2f}"


def _print_report(report: Report) -> None:
    for doc, (positions, facts) in report.documents.items():
        typer.echo(f"{doc}\n  {_line('positions', positions)}\n  {_line('facts', facts)}")
        for label, items in (
            ("missed", positions.misses + facts.misses),
            ("extra", positions.extras + facts.extras),
        ):
            for item in items:
                typer.echo(f"    {label}: {item}")
    typer.echo("\noverall")
    typer.echo(
        "  "
        + _line(
            f"positions ({report.positions.tp + report.positions.fn} annotated)", report.positions
        )
    )
    typer.echo("  " + _line(f"facts ({report.facts.tp + report.facts.fn} annotated)", report.facts))


@app.command("eval")
def evaluate(
    directory: Annotated[Path, typer.Argument(help="The documents' folder.")],
    annotations: Annotated[Path, typer.Argument(help="annotations.yaml")],
    as_json: JsonFlag = False,
    topic: TopicOption = None,
    fail_under: Annotated[
        float, typer.Option(help="Exit 1 if positions or facts F1 is below this.")
    ] = 0.0,
) -> None:
    """Score extraction against annotations: precision, recall and F1, per document and overall."""
    extractor = _extractor(_config(), topic)
    try:
        report = run_evaluation(extractor, directory, annotations)
    except AnnotationError as exc:
        fail(str(exc))
    if as_json:
        scores = {"positions": report.positions, "facts": report.facts}
        typer.echo(
            json.dumps(
                {
                    name: {
                        "precision": s.precision,
                        "recall": s.recall,
                        "f1": s.f1,
                        "tp": s.tp,
                        "fp": s.fp,
                        "fn": s.fn,
                    }
                    for name, s in scores.items()
                }
            )
        )
    else:
        _print_report(report)
    if min(report.positions.f1, report.facts.f1) < fail_under:
        raise typer.Exit(1)


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
