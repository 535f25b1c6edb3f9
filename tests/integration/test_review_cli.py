"""The review from the command line: `events list --status needs_review`, `state --history`,
and `corpus export`, whose documents and annotations `tracker eval` reads back."""

from __future__ import annotations

import json

import yaml

from tests.integration.helpers import PUTIN, set_review
from tests.integration.test_review import EDITOR
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.domain.extraction.document import parse_document
from tracker.services import review
from tracker.services.evaluation import load_annotations


def _held(cli, config_dir, feeds) -> dict[str, str]:
    """Poll one statement whose claims all wait for review; return {event type: event id}."""
    set_review(config_dir, min_confidence=1.0)
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"), speaker="Kremlin")])
    cli("init")
    cli("poll", "--once")
    lines = cli("events", "list", "--json", "--status", "needs_review").stdout.splitlines()
    return {e["type"]: e["id"] for e in map(json.loads, lines)}


def _decide(make_tracker, verdict: str, event_id: str) -> None:
    tracker = make_tracker()
    with tracker.db.unit_of_work() as uow:
        getattr(review, verdict)(uow, event_id, EDITOR, utcnow())
        uow.commit()


def test_events_list_filters_needs_review(cli, config_dir, feeds):
    """The held claims' events are listed by status; an unknown status is a clear error."""
    held = _held(cli, config_dir, feeds)
    assert sorted(held) == ["fact.new", "position.new"]
    table = cli("events", "list", "--status", "needs_review").stdout
    assert "needs_review" in table
    assert "statement.new" not in table
    assert "statement.new" in cli("events", "list", "--status", "open").stdout
    assert "not a status" in cli("events", "list", "--status", "held", expect=2).stderr


def test_state_history_says_why_a_stance_is_what_it_is(cli, config_dir, feeds, make_tracker):
    """`state --history` lists every claim behind a stance with source, voice, story, outcome
    and evidence; `--json` carries the same."""
    held = _held(cli, config_dir, feeds)
    _decide(make_tracker, "confirm", held["position.new"])
    text = cli("state", "--history").stdout
    assert "History" in text
    assert "putin x energy_strikes_halt: supports" in text
    (line,) = [row for row in text.splitlines() if "Russian President Vladimir Putin" in row]
    assert all(word in line for word in ("wire", "report", "new", "supports"))
    (position,) = json.loads(cli("state", "--json").stdout)["positions"]
    (claim,) = position["history"]
    assert (claim["voice"], claim["outcome"], claim["review"]) == ("report", "new", "confirmed")
    assert claim["sentence"] == PUTIN


def test_corpus_export_round_trips_through_eval(cli, config_dir, feeds, make_tracker, tmp_path):
    """Confirmed claims are gold, rejected ones are listed under `rejected:`; the exported
    document reads back as the statement, and `tracker eval` scores it (the rejected fact,
    still read by the extractor, is an extra)."""
    held = _held(cli, config_dir, feeds)
    _decide(make_tracker, "confirm", held["position.new"])
    _decide(make_tracker, "reject", held["fact.new"])
    out = tmp_path / "corrections"
    said = cli("corpus", "export", str(out)).stdout
    assert "1 document(s), 1 confirmed and 1 rejected" in said

    (doc,) = sorted((out / "docs").iterdir())
    document = parse_document(doc.read_text(encoding="utf-8"), doc.name)
    assert (document.text, document.title, document.speaker) == (
        PUTIN,
        "Putin agrees to energy halt",
        "Kremlin",
    )
    gold = load_annotations(out / "annotations.yaml")
    assert gold[doc.name].positions == {("putin", "energy_strikes_halt", "supports")}
    assert gold[doc.name].facts == frozenset()
    (entry,) = yaml.safe_load((out / "annotations.yaml").read_text(encoding="utf-8"))
    assert entry["rejected"] == {
        "positions": [],
        "facts": [{"key": "ceasefire.duration_days", "value": 30}],
    }
    assert entry["reviewed_by"] == ["user:alice"]

    scores = json.loads(
        cli("eval", str(out / "docs"), str(out / "annotations.yaml"), "--json").stdout
    )
    assert (scores["positions"]["tp"], scores["positions"]["fn"]) == (1, 0)
    assert (scores["facts"]["tp"], scores["facts"]["fp"]) == (0, 1)

    later = cli("corpus", "export", str(tmp_path / "none"), "--since", "2100-01-01").stdout
    assert "0 document(s)" in later
    assert "ISO time" in cli("corpus", "export", str(out), "--since", "soon", expect=2).stderr
