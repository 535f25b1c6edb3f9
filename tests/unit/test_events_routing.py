"""CloudEvents envelopes, event ids, severities and route matching."""

from __future__ import annotations

from datetime import UTC, datetime

from tracker.domain.events import DEFAULT_SEVERITY, Event, Severity, new_event_id
from tracker.domain.routing import (
    Criteria,
    Route,
    RouteKey,
    SeverityRule,
    channels_for,
    severity_for,
)

NOW = datetime(2025, 3, 18, 12, 0, tzinfo=UTC)


def test_cloudevent_envelope_has_the_required_attributes():
    """The envelope is CloudEvents 1.0 with the tracker's source, subject and severity."""
    event = Event(
        type="statement.new",
        source_id="wire",
        subject="statements/1",
        time=NOW,
        data={"x": 1},
        severity=Severity.ROUTINE,
    )
    ce = event.to_cloudevent()
    assert ce["specversion"] == "1.0"
    assert ce["id"] == event.id
    assert ce["source"] == "/sources/wire"
    assert ce["type"] == "statement.new"
    assert ce["time"] == "2025-03-18T12:00:00Z"
    assert ce["datacontenttype"] == "application/json"
    assert ce["severity"] == "routine"
    assert ce["data"] == {"x": 1}


def test_event_ids_are_unique_and_time_ordered():
    """Ids are UUIDv7: later ids sort after earlier ones and never repeat."""
    earlier = new_event_id(NOW)
    later = new_event_id(datetime(2025, 3, 18, 12, 0, 1, tzinfo=UTC))
    assert earlier < later
    assert earlier[14] == "7"
    assert len({new_event_id(NOW) for _ in range(1000)}) == 1000


def test_default_severities_follow_the_design():
    """Positions are flash, facts and removals urgent, the rest routine."""
    assert DEFAULT_SEVERITY["position.changed"] is Severity.FLASH
    assert DEFAULT_SEVERITY["fact.changed"] is Severity.URGENT
    assert DEFAULT_SEVERITY["statement.removed"] is Severity.URGENT
    assert DEFAULT_SEVERITY["statement.new"] is Severity.ROUTINE
    assert [s.rank for s in Severity] == [0, 1, 2]


def test_routes_match_on_every_criterion_and_name_each_channel_once():
    """A route matches when all its criteria do; channels come back once, first route winning."""
    routes = [
        Route(("desk",), Criteria(types=("statement.*",)), id="a"),
        Route(("ops",), Criteria(types=("source.*",)), id="b"),
        Route(
            ("desk", "email"),
            Criteria(topics=("ukraine-ceasefire",), severities=("routine",)),
            id="c",
        ),
        Route(("wire-only",), Criteria(sources=("wire*",)), id="d"),
    ]
    key = RouteKey("statement.new", "routine", ("ukraine-ceasefire",), "wire-1")
    assert [(r.id, c) for r, c in channels_for(routes, key)] == [
        ("a", "desk"),
        ("c", "email"),
        ("d", "wire-only"),
    ]
    assert [
        c for _, c in channels_for(routes, RouteKey("source.failing", "routine", (), "gdelt"))
    ] == ["ops"]


def test_routes_match_actors_issues_and_fact_keys():
    """Positions match on actor and issue, facts on key globs; other events never match those."""
    position = RouteKey.of(
        "position.changed",
        "flash",
        ("t",),
        "s",
        {"actor": {"id": "putin"}, "issue": {"id": "ceasefire"}},
    )
    fact = RouteKey.of("fact.changed", "urgent", ("t",), "s", {"key": "ceasefire.scope"})
    putin = Criteria(actors=("putin",), issues=("ceasefire",))
    scope = Criteria(facts=("ceasefire.*",))
    assert putin.matches(position)
    assert not putin.matches(fact)
    assert scope.matches(fact)
    assert not scope.matches(position)


def test_severity_rules_set_the_tier_first_match_wins():
    """The first matching severity rule sets the tier; none matching keeps the default."""
    rules = [
        SeverityRule(Criteria(facts=("casualties.*",)), "flash"),
        SeverityRule(Criteria(types=("fact.*",)), "routine"),
    ]
    casualties = RouteKey.of(
        "fact.changed", "urgent", (), "s", {"key": "casualties.soldiers_per_week"}
    )
    scope = RouteKey.of("fact.changed", "urgent", (), "s", {"key": "ceasefire.scope"})
    statement = RouteKey("statement.new", "routine", (), "s")
    assert [severity_for(rules, k) for k in (casualties, scope, statement)] == [
        "flash",
        "routine",
        "routine",
    ]
