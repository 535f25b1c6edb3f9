"""Pages, JSON APIs and Telegram channels polled through the whole pipeline, from a local
server: their statements alert like a feed's; a page that loses its text fails, not edits."""

from __future__ import annotations

import json

from tests.integration.helpers import events, run_once
from tests.unit.test_source_kinds import ARTICLE, CONSENT, GDELT, GDELT_OPTIONS, TELEGRAM
from tracker.storage.models import SourceRow


def _source(tracker, source_id):
    with tracker.db.reader() as uow:
        return uow.session.get(SourceRow, source_id)


def test_a_page_a_json_api_and_a_telegram_channel_each_announce_their_statements(
    config_dir, feeds, make_tracker
):
    """Each kind's relevant statements raise statement.new and their claims reach the state."""
    feeds.set("/statement.html", ARTICLE, content_type="text/html; charset=utf-8")
    feeds.set("/api.json", json.dumps(GDELT), content_type="application/json")
    feeds.set("/s/V_Zelenskiy_official", TELEGRAM, content_type="text/html; charset=utf-8")
    config_dir.sources(
        [
            config_dir.feed("ua-page", feeds.url("/statement.html"), kind="page"),
            config_dir.feed("gdelt", feeds.url("/api.json"), kind="json", extract=GDELT_OPTIONS),
            config_dir.feed(
                "tg", feeds.url("/s/V_Zelenskiy_official"), kind="telegram", speaker="Zelenskyy"
            ),
        ]
    )
    tracker = make_tracker(backlog_max_age=0)
    run_once(tracker)
    by_source = {e.source_id for e in events(tracker, "statement.new")}
    assert by_source == {"ua-page", "gdelt", "tg"}
    positions = {
        (e.data["actor"]["id"], e.data["issue"]["id"]) for e in events(tracker, "position.new")
    }
    assert ("putin", "energy_strikes_halt") in positions  # from the JSON API's headline


def test_a_page_whose_text_disappears_is_failing_not_edited(config_dir, feeds, make_tracker):
    """A consent wall where the statement was: the source fails with the reason; no edit."""
    feeds.set("/statement.html", ARTICLE, content_type="text/html")
    config_dir.sources([config_dir.feed("ua-page", feeds.url("/statement.html"), kind="page")])
    tracker = make_tracker(backlog_max_age=0, failing_after=1)
    run_once(tracker)
    feeds.set("/statement.html", CONSENT, content_type="text/html")
    run_once(tracker)
    assert events(tracker, "statement.edited") == []
    (failing,) = events(tracker, "source.failing")
    assert "almost no text" in failing.data["error"]
    assert "almost no text" in _source(tracker, "ua-page").last_error
