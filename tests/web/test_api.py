"""The JSON API over real HTTP: who may call what, editors racing for one event, the queue's
actions, order, filters and pages, browser sessions with CSRF, secrets that never leak, pausing
sources, metrics and readiness, and bad input answered with problem documents."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from tests.integration.helpers import PUTIN, held_positions, json_channel, run_once, source
from tests.servers import item, rss
from tracker.bootstrap import source_specs, utcnow
from tracker.domain.events import Event, Severity
from tracker.domain.queue import Action, Item, Status, decide
from tracker.services import accounts, webhooks
from tracker.services.sync import sync_sources
from tracker.storage.models import ApiTokenRow, AuditRow, UserRow, WebSessionRow

PROBLEM = "application/problem+json"
TOPIC = "ukraine-ceasefire"
PASSWORD = "correct horse battery"


# --- helpers -------------------------------------------------------------------------------


def seed(desk, *specs: dict[str, Any]) -> list[str]:
    """Add events straight to the outbox, each newer than the one before; return their ids."""
    made = []
    with desk.tracker.db.unit_of_work() as uow:
        for n, spec in enumerate(specs):
            event = Event(
                type=spec.get("type", "statement.new"),
                source_id=spec.get("source", "wire"),
                subject=spec.get("subject", f"statements/wire/{n}"),
                time=utcnow(),
                data={"title": f"event {n}"},
                severity=Severity(spec.get("severity", "routine")),
                topics=tuple(spec.get("topics", (TOPIC,))),
            )
            uow.events.add(event, utcnow())
            uow.session.flush()  # one insert at a time: seq follows the order given
            made.append(event.id)
        uow.commit()
    return made


def add_sources(desk, config_dir, feeds, *ids: str) -> None:
    """Configure feed sources and write them to the sources table (without polling them)."""
    config_dir.sources([config_dir.feed(i, feeds.url(f"/{i}.xml")) for i in ids])
    with desk.tracker.db.unit_of_work() as uow:
        sync_sources(uow, source_specs(desk.tracker.config()), utcnow())
        uow.commit()


def bearer(desk, token: str) -> httpx.Client:
    """A client sending `token` as its bearer token (closed with the desk)."""
    client = httpx.Client(
        base_url=desk.url, headers={"Authorization": f"Bearer {token}"}, timeout=10, trust_env=False
    )
    desk.clients.append(client)
    return client


def named(desk, role: str, name: str) -> httpx.Client:
    """A client with a bearer token of `role` called `name` (its actor name is token:NAME)."""
    return bearer(desk, desk.token(role, name))


def ids(page: dict[str, Any]) -> list[str]:
    return [e["id"] for e in page["items"]]


def listed(client: httpx.Client, **params: Any) -> list[str]:
    response = client.get("/api/v1/events", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return ids(response.json())


def assert_problem(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """The response is a problem document of `status` whose detail mentions each word."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    for word in words:
        assert word in problem["detail"], problem
    return problem


# --- 1. every caller against every route ----------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One API route, the least role it needs (None: public) and what success looks like."""

    method: str
    path: str  # {claim}, {source}, {hook}... name the things `world` makes
    role: str | None
    ok: int = 200
    body: dict[str, Any] | None = None
    media: str = "application/json"


ROUTES = [
    Route("GET", "/healthz", None),
    Route("GET", "/api/v1/events", "viewer"),
    Route("GET", "/api/v1/events/{read}", "viewer"),
    Route("POST", "/api/v1/events/{claim}/claim", "editor"),
    Route("POST", "/api/v1/events/{ack}/ack", "editor"),
    Route("POST", "/api/v1/events/{resolve}/resolve", "editor", body={"note": "checked"}),
    Route(
        "POST", "/api/v1/events/{snooze}/snooze", "editor", body={"until": "2100-01-01T00:00:00Z"}
    ),
    Route("POST", "/api/v1/events/{reopen}/reopen", "editor"),
    Route("POST", "/api/v1/events/{confirm}/confirm", "editor"),
    Route("POST", "/api/v1/events/{reject}/reject", "editor", body={"note": "misread"}),
    Route("GET", "/api/v1/state", "viewer"),
    Route("GET", "/api/v1/sources", "viewer"),
    Route("POST", "/api/v1/sources/{source}/pause", "editor"),
    Route("POST", "/api/v1/sources/{source}/resume", "editor"),
    Route("GET", "/api/v1/webhooks", "admin"),
    Route("POST", "/api/v1/webhooks", "admin", 201, {"url": "https://hooks.example.org/in"}),
    Route("POST", "/api/v1/webhooks/{hook}/disable", "admin"),
    Route("POST", "/api/v1/webhooks/{hook}/enable", "admin"),
    Route("GET", "/api/v1/deliveries", "viewer"),
    Route("GET", "/api/v1/audit", "admin"),
    Route("GET", "/api/v1/stream", "viewer", media="text/event-stream"),
    Route("GET", "/readyz", "viewer"),
    Route("GET", "/metrics", "viewer", media="text/plain"),
]
RANK = {"viewer": 0, "editor": 1, "admin": 2}
CALLERS = ["anonymous", "unknown token", "tampered token", "revoked token", *RANK]


def world(desk, config_dir, feeds) -> dict[str, str]:
    """One event per action (the one to reopen already resolved; two whose claims need
    review), a source and an endpoint."""
    read, claim, ack, resolve, snooze, reopen = seed(desk, *[{}] * 6)
    confirm, reject = held_positions(desk.tracker, config_dir, feeds, 2)
    add_sources(desk, config_dir, feeds, "wire")
    with desk.tracker.db.unit_of_work() as uow:
        webhooks.add(uow, "https://hooks.example.org/a", [], "whsec_c2VjcmV0", utcnow(), "hook-a")
        uow.commit()
    setup = named(desk, "editor", "setup")
    assert setup.post(f"/api/v1/events/{reopen}/resolve").status_code == 200
    return {
        "read": read,
        "claim": claim,
        "ack": ack,
        "resolve": resolve,
        "snooze": snooze,
        "reopen": reopen,
        "confirm": confirm,
        "reject": reject,
        "source": "wire",
        "hook": "hook-a",
    }


def client_for(desk, who: str) -> httpx.Client:
    if who == "anonymous":
        return desk.client()
    if who == "unknown token":
        return bearer(desk, "trk_0123456789ab_" + "x" * 43)
    token = desk.token("admin")
    if who == "tampered token":  # the right id, a wrong secret
        return bearer(desk, token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb"))
    if who == "revoked token":
        with desk.tracker.db.unit_of_work() as uow:
            accounts.revoke_token(uow, token.split("_")[1], utcnow())
            uow.commit()
        return bearer(desk, token)
    return desk.client(who)


def call(client: httpx.Client, route: Route, things: dict[str, str]) -> tuple[int, str, dict]:
    """Call a route; return its status, media type and headers (a stream is closed at once)."""
    path = route.path.format(**things)
    with client.stream(route.method, path, json=route.body) as response:
        if not route.media.startswith("text/event-stream") or response.status_code != 200:
            response.read()
        media = response.headers.get("content-type", "").split(";")[0]
        return response.status_code, media, dict(response.headers)


@pytest.mark.parametrize("who", CALLERS)
def test_each_route_answers_each_caller_by_role(desk, config_dir, feeds, who):
    """Anonymous and bad or revoked tokens get 401 with WWW-Authenticate, a role below the
    route's gets 403, the right role 2xx; /healthz is public; every refusal is a problem."""
    things = world(desk, config_dir, feeds)
    client = client_for(desk, who)
    wrong = []
    for route in ROUTES:
        status, media, headers = call(client, route, things)
        if route.role is None:
            expected, want_media = 200, route.media
        elif who not in RANK:
            expected, want_media = 401, PROBLEM
        elif RANK[who] < RANK[route.role]:
            expected, want_media = 403, PROBLEM
        else:
            expected, want_media = route.ok, route.media
        if (status, media) != (expected, want_media):
            wrong.append(f"{route.method} {route.path}: {status} {media}, not {expected}")
        if expected == 401 and headers.get("www-authenticate") != "Bearer":
            wrong.append(f"{route.method} {route.path}: no WWW-Authenticate: Bearer")
    assert wrong == []


def test_a_refused_action_changes_nothing(desk, config_dir, feeds):
    """A viewer's claim, an anonymous pause and an editor's webhook change are refused and
    leave the event, the source and the endpoint as they were, with nothing audited."""
    things = world(desk, config_dir, feeds)
    viewer, editor, anonymous = desk.client("viewer"), desk.client("editor"), desk.client()
    assert viewer.post(f"/api/v1/events/{things['claim']}/claim").status_code == 403
    assert anonymous.post("/api/v1/sources/wire/pause").status_code == 401
    assert editor.post("/api/v1/webhooks/hook-a/disable").status_code == 403
    event = viewer.get(f"/api/v1/events/{things['claim']}").json()
    assert (event["status"], event["assignee"], event["audit"]) == ("open", None, [])
    assert source(desk.tracker, "wire").paused_at is None
    with desk.tracker.db.reader() as uow:
        assert uow.webhooks.get("hook-a").enabled
        actions = [a.action for a in uow.session.scalars(select(AuditRow))]
    assert actions == ["resolve"]  # only world()'s own


MALFORMED = [
    "Bearer",
    "Basic dXNlcjpwYXNz",
    "Token abc",
    "Bearer not-a-tracker-token",
    "Bearer trk__",
]


def test_a_malformed_authorization_header_is_a_401(desk):
    """Whatever is wrong with the Authorization header, the answer is a 401 problem."""
    for authorization in MALFORMED:
        with httpx.Client(base_url=desk.url, headers={"Authorization": authorization}) as client:
            response = client.get("/api/v1/events")
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer", authorization


# --- 2. concurrent claims ------------------------------------------------------------------


def race(clients: dict[str, httpx.Client], path: str) -> dict[str, httpx.Response]:
    """POST `path` from every client at the same moment; return each one's answer."""
    gate = threading.Barrier(len(clients))
    answers: dict[str, httpx.Response] = {}

    def post(name: str) -> None:
        gate.wait()
        answers[name] = clients[name].post(path)

    threads = [threading.Thread(target=post, args=(name,)) for name in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_of_editors_claiming_at_once_exactly_one_wins(desk):
    """Eight editors claim one event at the same moment: one 200, seven 409, and the event is
    the winner's; three rounds, so a lucky ordering cannot pass it."""
    editors = {f"editor{i}": named(desk, "editor", f"editor{i}") for i in range(8)}
    for event_id in seed(desk, {}, {}, {}):
        answers = race(editors, f"/api/v1/events/{event_id}/claim")
        assert Counter(r.status_code for r in answers.values()) == {200: 1, 409: 7}
        (winner,) = [name for name, r in answers.items() if r.status_code == 200]
        for name, response in answers.items():
            if name != winner:
                assert_problem(response, 409)
        event = editors[winner].get(f"/api/v1/events/{event_id}").json()
        assert (event["status"], event["assignee"]) == ("claimed", winner)
        claims = [a for a in event["audit"] if a["action"] == "claim"]
        assert [a["actor"] for a in claims] == [f"token:{winner}"]


def test_a_token_reads_while_a_writer_holds_the_database(desk):
    """A bearer GET answers at once while a long write transaction (a poll being recorded)
    holds the database: a token's use is written at most once a minute, not on every call."""
    seed(desk, {})
    viewer = desk.client("viewer")
    assert viewer.get("/api/v1/events").status_code == 200  # its first use is written
    with desk.tracker.db.reader() as uow:
        assert [t.last_used_at is not None for t in uow.accounts.tokens()] == [True]
    with desk.tracker.db.unit_of_work() as uow:
        uow.session.execute(text("UPDATE events SET note = 'busy'"))  # takes SQLite's write lock
        started = time.monotonic()
        response = viewer.get("/api/v1/events", timeout=5)
        waited = time.monotonic() - started
    assert response.status_code == 200
    assert waited < 2


# --- 3. the queue --------------------------------------------------------------------------


def test_an_event_goes_through_claim_ack_resolve_reopen_and_snooze(desk):
    """Each action moves the event and is audited with its actor's name, in /audit and in the
    event's own trail; a snoozed event leaves the queue and comes back when its time is up."""
    (event_id,) = seed(desk, {"severity": "flash"})
    alice, bob = named(desk, "editor", "alice"), named(desk, "editor", "bob")
    admin = named(desk, "admin", "root")
    path = f"/api/v1/events/{event_id}"

    claimed = alice.post(f"{path}/claim").json()
    assert (claimed["status"], claimed["assignee"]) == ("claimed", "alice")
    assert_problem(bob.post(f"{path}/ack"), 409, "alice")
    assert alice.post(f"{path}/ack").json()["status"] == "acknowledged"
    resolved = alice.post(f"{path}/resolve", json={"note": "matches the Kremlin readout"}).json()
    assert (resolved["status"], resolved["note"]) == ("resolved", "matches the Kremlin readout")
    assert event_id not in listed(bob)
    assert listed(bob, status="resolved") == [event_id]
    assert_problem(bob.post(f"{path}/resolve"), 409, "resolved")

    reopened = bob.post(f"{path}/reopen", json={"note": "a new readout"}).json()
    assert (reopened["status"], reopened["assignee"]) == ("open", None)
    assert_problem(bob.post(f"{path}/reopen"), 409, "open")

    assert_problem(bob.post(f"{path}/snooze", json={"until": "2020-01-01T00:00:00Z"}), 422)
    until = utcnow() + timedelta(seconds=1.5)
    snoozed = bob.post(f"{path}/snooze", json={"until": until.isoformat()}).json()
    assert (snoozed["status"], snoozed["assignee"]) == ("snoozed", None)
    assert event_id not in listed(bob)
    assert listed(bob, status="snoozed") == [event_id]
    time.sleep(max(0.0, (until - utcnow()).total_seconds()) + 0.3)
    assert listed(bob) == [event_id]
    assert bob.get(path).json()["status"] == "open"

    done = ["claim", "acknowledge", "resolve", "reopen", "snooze"]
    actors = ["alice", "alice", "alice", "bob", "bob"]
    trail = bob.get(path).json()["audit"][::-1]  # newest first
    assert [(a["action"], a["actor"]) for a in trail] == [
        (action, f"token:{who}") for action, who in zip(done, actors, strict=True)
    ]
    assert trail[2]["note"] == "matches the Kremlin readout"
    assert trail[4]["until"] == until.isoformat()
    log = admin.get("/api/v1/audit", params={"target": f"events/{event_id}"}).json()[::-1]
    assert [(a["action"], a["actor"]) for a in log] == [(a["action"], a["actor"]) for a in trail]
    assert {a["target"] for a in log} == {f"events/{event_id}"}
    everything = admin.get("/api/v1/audit").json()
    assert [a["id"] for a in everything] == sorted((a["id"] for a in everything), reverse=True)


def test_an_action_decided_on_a_stale_read_is_not_written(desk):
    """An action decided on what an editor read is not written once the event has changed
    hands, even when it is back in the state that was read (reopened, then claimed by someone
    else): never a silent takeover."""
    (event_id,) = seed(desk, {})
    alice, bob, carol = (named(desk, "editor", n) for n in ("alice", "bob", "carol"))
    assert alice.post(f"/api/v1/events/{event_id}/claim").status_code == 200
    with desk.tracker.db.reader() as uow:  # alice's acknowledge, decided on this read...
        row = uow.events.get(event_id)
        read = Item(Status(row.status), row.assignee, row.snoozed_until)
    stale = decide(read, Action.ACKNOWLEDGE, "alice", utcnow())
    assert bob.post(f"/api/v1/events/{event_id}/reopen").status_code == 200
    assert carol.post(f"/api/v1/events/{event_id}/claim").status_code == 200
    with desk.tracker.db.unit_of_work() as uow:  # ...arrives after bob's and carol's
        written = uow.desk.apply(event_id, stale, utcnow())
        uow.commit()
    assert not written
    event = carol.get(f"/api/v1/events/{event_id}").json()
    assert (event["status"], event["assignee"]) == ("claimed", "carol")


def test_claiming_your_own_event_again_is_harmless(desk):
    """An editor who claims what they hold keeps it (200, still theirs); another cannot."""
    (event_id,) = seed(desk, {})
    alice, bob = named(desk, "editor", "alice"), named(desk, "editor", "bob")
    assert alice.post(f"/api/v1/events/{event_id}/claim").status_code == 200
    again = alice.post(f"/api/v1/events/{event_id}/claim")
    assert (again.status_code, again.json()["assignee"]) == (200, "alice")
    assert_problem(bob.post(f"/api/v1/events/{event_id}/claim"), 409, "alice")


def test_a_snooze_time_without_an_offset_is_utc_and_one_out_of_range_is_refused(desk):
    """`until` without an offset is read as UTC; a time that cannot be held is a 422."""
    first, second = seed(desk, {}, {})
    editor = desk.client("editor")
    later = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    naive = later.replace(tzinfo=None).isoformat()
    snoozed = editor.post(f"/api/v1/events/{first}/snooze", json={"until": naive})
    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["snoozed_until"].replace("Z", "+00:00") == later.isoformat()
    far = {"until": "9999-12-31T23:59:59-05:00"}
    problem = assert_problem(editor.post(f"/api/v1/events/{second}/snooze", json=far), 422)
    assert [e["field"] for e in problem["errors"]] == ["body.until"]
    assert_problem(editor.post(f"/api/v1/events/{second}/snooze", json={}), 422, "snooze")


def test_the_queue_is_flash_then_urgent_then_routine_newest_first(desk):
    """The default list puts every flash before every urgent before every routine event, the
    newest first within a tier; resolved events are not on it."""
    old_routine, old_flash, urgent, new_flash, new_routine, gone = seed(
        desk,
        {"severity": "routine"},
        {"severity": "flash"},
        {"severity": "urgent"},
        {"severity": "flash"},
        {"severity": "routine"},
        {"severity": "flash"},
    )
    editor = desk.client("editor")
    assert editor.post(f"/api/v1/events/{gone}/resolve").status_code == 200
    page = editor.get("/api/v1/events").json()
    assert ids(page) == [new_flash, old_flash, urgent, new_routine, old_routine]
    assert page["total"] == 5
    assert page["next_cursor"] is None


FILTERED = [
    {
        "type": "position.changed",
        "severity": "flash",
        "subject": f"positions/{TOPIC}/russia/energy",
    },
    {
        "type": "position.new",
        "severity": "flash",
        "source": "tass",
        "subject": f"positions/{TOPIC}/ukraine/full-ceasefire",
    },
    {"type": "fact.changed", "severity": "urgent", "subject": f"facts/{TOPIC}/prisoner-exchange"},
    {"type": "statement.new", "source": "tass", "topics": ["black-sea"]},
    {"type": "statement.edited"},  # resolved below
]


FILTERS = [  # (query, the indexes in FILTERED of what the page lists, in order)
    ({}, [1, 0, 2, 3]),
    ({"type": "position.changed"}, [0]),
    ({"type": "position.*"}, [1, 0]),
    ({"type": ["fact.changed", "statement.new"]}, [2, 3]),
    ({"type": "position"}, []),
    ({"source": "tass"}, [1, 3]),
    ({"source": "wire", "severity": "flash"}, [0]),
    ({"severity": "urgent"}, [2]),
    ({"severity": "routine"}, [3]),
    ({"status": "resolved"}, [4]),
    ({"status": ["open", "resolved"]}, [1, 0, 2, 4, 3]),
    ({"status": "claimed"}, []),
    ({"actor": "russia"}, [0]),
    ({"actor": "russ"}, []),
    ({"actor": "%"}, []),
    ({"issue": "full-ceasefire"}, [1]),
    ({"issue": "_nergy"}, []),
    ({"topic": "black-sea"}, [3]),
    ({"topic": TOPIC}, [1, 0, 2]),
    ({"topic": "black"}, []),
    ({"topic": TOPIC, "actor": "ukraine", "issue": "full-ceasefire"}, [1]),
]


def test_filters_narrow_the_queue(desk):
    """Each filter (type, with `*` for a prefix; source; severity; status; actor; issue; topic)
    keeps exactly the matching events, and filters combine; LIKE wildcards match themselves."""
    made = seed(desk, *FILTERED)
    editor = desk.client("editor")
    assert editor.post(f"/api/v1/events/{made[4]}/resolve").status_code == 200
    wrong = []
    for params, expected in FILTERS:
        page = editor.get("/api/v1/events", params=params).json()
        found = [made.index(i) for i in ids(page)]
        if (found, page["total"]) != (expected, len(expected)):
            wrong.append(f"{params}: {found} (total {page['total']}), not {expected}")
    assert wrong == []


def test_pages_walk_the_whole_queue_once(desk):
    """Following next_cursor with limit=4 visits every event once, in queue order, even when
    a new event arrives mid-walk; a page's total counts them all."""
    severities = ["flash", "urgent", "routine"]
    seed(desk, *[{"severity": severities[i % 3]} for i in range(23)])
    editor = desk.client("editor")
    whole = listed(editor)
    seen: list[str] = []
    cursor, arrived = None, 0
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = editor.get("/api/v1/events", params=params).json()
        assert page["total"] == 23 + arrived
        assert len(page["items"]) <= 4
        seen += ids(page)
        if len(seen) == 8:
            seed(desk, {"severity": "flash"})  # lands before the cursor: not on later pages
            arrived = 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == whole
    assert len(set(seen)) == 23
    flash = editor.get("/api/v1/events", params={"severity": "flash", "limit": 3}).json()
    rest = editor.get(
        "/api/v1/events", params={"severity": "flash", "limit": 200, "cursor": flash["next_cursor"]}
    ).json()
    assert len(ids(flash) + ids(rest)) == len(set(ids(flash) + ids(rest))) == 9


BAD_CURSORS = [
    "not a cursor!",
    "%%%",
    base64.urlsafe_b64encode(b"1:2:3").decode(),
    base64.urlsafe_b64encode(b"a:b").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    base64.urlsafe_b64encode(b"1:99999999999999999999999").decode(),
    base64.urlsafe_b64encode(b"-1:5").decode(),
]


def test_a_cursor_the_api_did_not_give_out_is_a_400(desk):
    """Garbage, a wrong shape, or numbers out of range in `cursor`: a 400 problem."""
    seed(desk, {})
    viewer = desk.client("viewer")
    for cursor in BAD_CURSORS:
        assert_problem(viewer.get("/api/v1/events", params={"cursor": cursor}), 400, "cursor")


# --- 4. browser sessions -------------------------------------------------------------------


def _csrf(client: httpx.Client) -> str:
    page = client.get("/")
    assert page.status_code == 200, page.text
    found = re.search(r'<body[^>]*\sdata-csrf="([^"]+)"', page.text)
    assert found, "no data-csrf on the page's <body>"
    return found.group(1)


def test_a_logged_in_browser_reads_the_api_and_acts_only_with_its_csrf_token(desk):
    """The session cookie reads the API; a POST without the X-CSRF-Token header, or with
    another session's, is a 403 problem and changes nothing; with the page's token it works."""
    (event_id,) = seed(desk, {})
    desk.user("carol", "editor")
    desk.user("dave", "editor")
    carol, dave = desk.login("carol"), desk.login("dave")
    page = carol.get("/api/v1/events")
    assert page.status_code == 200
    assert ids(page.json()) == [event_id]
    claim = f"/api/v1/events/{event_id}/claim"
    assert_problem(carol.post(claim), 403, "CSRF")
    assert_problem(carol.post(claim, headers={"X-CSRF-Token": _csrf(dave)}), 403, "CSRF")
    assert_problem(carol.post(claim, headers={"X-CSRF-Token": ""}), 403, "CSRF")
    assert carol.get(f"/api/v1/events/{event_id}").json()["status"] == "open"
    claimed = carol.post(claim, headers={"X-CSRF-Token": _csrf(carol)})
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["assignee"] == "carol"
    audit = carol.get(f"/api/v1/events/{event_id}").json()["audit"]
    assert [(a["action"], a["actor"]) for a in audit] == [("claim", "user:carol")]


def test_a_session_holds_its_role(desk):
    """A viewer's session reads the API but its CSRF-carrying POST is a 403 for the role."""
    (event_id,) = seed(desk, {})
    desk.user("erin", "viewer")
    erin = desk.login("erin")
    assert erin.get("/api/v1/events").status_code == 200
    response = erin.post(f"/api/v1/events/{event_id}/claim", headers={"X-CSRF-Token": _csrf(erin)})
    assert_problem(response, 403, "editor")


def test_login_sets_an_httponly_samesite_cookie_and_a_wrong_password_sets_none(desk):
    """A right password answers 303 with an HttpOnly, SameSite=lax session cookie; a wrong
    one, or an unknown user, answers 401 and sets no cookie; a made-up cookie is a 401."""
    desk.user("frank", "viewer")
    with httpx.Client(base_url=desk.url, trust_env=False) as browser:
        for username, password in [("frank", "wrong password!"), ("nobody", PASSWORD)]:
            refused = browser.post("/login", data={"username": username, "password": password})
            assert refused.status_code == 401
            assert "set-cookie" not in refused.headers
            assert browser.get("/api/v1/events").status_code == 401
        ok = browser.post("/login", data={"username": "frank", "password": PASSWORD})
        assert ok.status_code == 303
        cookie = ok.headers["set-cookie"]
        assert cookie.startswith("tracker_session=")
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert "httponly" in flags
        assert "samesite=lax" in flags
        assert "path=/" in flags
        assert browser.get("/api/v1/events").status_code == 200
    with httpx.Client(base_url=desk.url, cookies={"tracker_session": "made-up"}) as forged:
        assert_problem(forged.get("/api/v1/events"), 401, "session")


# --- 5. secrets ----------------------------------------------------------------------------


def test_a_webhook_secret_is_shown_once(desk):
    """POST /webhooks answers the whsec_ secret; the list, enable/disable and the audit log
    never show it again."""
    admin = desk.client("admin")
    created = admin.post(
        "/api/v1/webhooks",
        json={"url": "https://hooks.example.org/in", "types": ["position.*"], "id": "newsroom"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) > 20
    assert (body["id"], body["types"], body["enabled"]) == ("newsroom", ["position.*"], True)
    later = [
        admin.get("/api/v1/webhooks"),
        admin.post("/api/v1/webhooks/newsroom/disable"),
        admin.post("/api/v1/webhooks/newsroom/enable"),
        admin.get("/api/v1/audit"),
    ]
    for response in later:
        assert response.status_code == 200
        assert secret not in response.text
        assert secret.removeprefix("whsec_") not in response.text
    listing, disabled, enabled, audit = (r.json() for r in later)
    assert [w["id"] for w in listing] == ["newsroom"]
    assert "secret" not in listing[0]
    assert (disabled["enabled"], enabled["enabled"]) == (False, True)
    assert [a["action"] for a in audit] == ["webhook.enable", "webhook.disable", "webhook.add"]
    assert_problem(
        admin.post("/api/v1/webhooks", json={"url": "https://x.org/b", "id": "newsroom"}),
        409,
        "exists",
    )
    assert_problem(admin.post("/api/v1/webhooks", json={"url": "ftp://x.org/in"}), 422, "URL")
    assert_problem(admin.post("/api/v1/webhooks/nope/enable"), 404, "nope")


def test_tokens_and_passwords_are_stored_hashed_and_never_answered(desk, config_dir, feeds):
    """No response carries a token or a session cookie; the database holds a token's SHA-256,
    a session cookie's SHA-256 and an argon2id password hash, never the secrets."""
    things = world(desk, config_dir, feeds)
    admin_token = desk.token("admin", "ops")
    admin = bearer(desk, admin_token)
    desk.user("grace", "editor")
    with httpx.Client(base_url=desk.url, trust_env=False) as browser:
        login = browser.post("/login", data={"username": "grace", "password": PASSWORD})
        cookie = login.cookies["tracker_session"]
        grace = browser.get("/api/v1/events").text
    answers = [grace] + [
        admin.get(path).text
        for path in [
            "/api/v1/events",
            f"/api/v1/events/{things['reopen']}",
            "/api/v1/audit",
            "/api/v1/sources",
            "/api/v1/webhooks",
            "/api/v1/deliveries",
            "/api/v1/state",
            "/readyz",
            "/metrics",
            "/api/v1/openapi.json",
        ]
    ]
    secret_part = admin_token.split("_", 2)[2]
    for answer in answers:
        assert admin_token not in answer
        assert secret_part not in answer
        assert cookie not in answer
        assert PASSWORD not in answer
    with desk.tracker.db.reader() as uow:
        token_row = uow.session.get(ApiTokenRow, admin_token.split("_")[1])
        (user,) = uow.session.scalars(select(UserRow).where(UserRow.username == "grace"))
        sessions = list(uow.session.scalars(select(WebSessionRow)))
    assert token_row.token_hash != admin_token
    assert secret_part not in token_row.token_hash
    assert len(token_row.token_hash) == 64
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert [s.id_hash != cookie for s in sessions] == [True]


# --- 6. pausing a source -------------------------------------------------------------------


def test_a_paused_source_is_not_polled_until_it_is_resumed(desk, config_dir, feeds):
    """An editor's pause stops run_once polling the source (no request reaches the feed) and
    shows who paused it; resuming polls it again; both are audited."""
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    run_once(desk.tracker)
    assert feeds.hits("/wire.xml") == 1
    henry, admin = named(desk, "editor", "henry"), desk.client("admin")
    paused = henry.post("/api/v1/sources/wire/pause").json()
    assert (paused["paused"], paused["paused_by"]) == (True, "henry")
    listed_source = henry.get("/api/v1/sources").json()
    assert [(s["id"], s["paused"]) for s in listed_source] == [("wire", True)]
    run_once(desk.tracker)
    assert feeds.hits("/wire.xml") == 1
    assert source(desk.tracker, "wire").polls == 1
    resumed = henry.post("/api/v1/sources/wire/resume").json()
    assert (resumed["paused"], resumed["paused_by"]) == (False, None)
    run_once(desk.tracker)
    assert feeds.hits("/wire.xml") == 2
    audit = admin.get("/api/v1/audit", params={"target": "sources/wire"}).json()
    assert [(a["action"], a["actor"]) for a in audit] == [
        ("resume", "token:henry"),
        ("pause", "token:henry"),
    ]


def test_pausing_twice_or_an_unknown_source(desk, config_dir, feeds):
    """Pausing a paused source keeps the first pause (audited once); an unknown source is a
    404 problem."""
    add_sources(desk, config_dir, feeds, "wire")
    ivy, jack = named(desk, "editor", "ivy"), named(desk, "editor", "jack")
    assert ivy.post("/api/v1/sources/wire/pause").json()["paused_by"] == "ivy"
    assert jack.post("/api/v1/sources/wire/pause").json()["paused_by"] == "ivy"
    with desk.tracker.db.reader() as uow:
        actions = [a.action for a in uow.session.scalars(select(AuditRow))]
    assert actions == ["pause"]
    assert_problem(ivy.post("/api/v1/sources/nope/pause"), 404, "nope")
    assert_problem(ivy.post("/api/v1/sources/nope/resume"), 404, "nope")


# --- 7. metrics and readiness --------------------------------------------------------------


def _samples(text: str) -> dict[str, float]:
    """Prometheus text: {'name{labels}': value}."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def test_metrics_count_polls_events_deliveries_the_queue_and_alert_latency(
    desk, config_dir, feeds, receiver
):
    """After a poll that raises events and sends alerts, /metrics shows the poll, events by
    type, sent deliveries, the queue's size (as the API counts it) and the alert latency."""
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    config_dir.alerts(
        channels=[json_channel(receiver.address)], routes=[{"match": {}, "channels": ["desk"]}]
    )
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    summary = run_once(desk.tracker)
    assert summary.events >= 1
    assert summary.sent >= 1
    viewer = desk.client("viewer")
    response = viewer.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples['tracker_polls_total{source="wire"}'] == 1
    events = {k: v for k, v in samples.items() if k.startswith("tracker_events_total{")}
    assert sum(events.values()) == summary.events
    assert samples['tracker_deliveries{status="sent"}'] == summary.sent
    assert (
        samples['tracker_queue_events{status="open"}']
        == viewer.get("/api/v1/events").json()["total"]
    )
    assert samples["tracker_alert_latency_seconds_count"] == summary.sent
    assert samples["tracker_alert_latency_seconds_sum"] >= 0
    assert samples['tracker_source_failing{source="wire"}'] == 0


def test_readyz_reports_the_database_and_the_embedded_broker(desk, tmp_path):
    """/readyz answers 200 with database and broker ok; when the embedded broker's folder
    cannot be made (a file stands in its way) it answers a 503 problem naming it."""
    viewer = desk.client("viewer")
    ready = viewer.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "broker": "ok"}
    data_dir = desk.tracker.settings.data_dir
    assert data_dir.is_relative_to(tmp_path)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "broker").write_text("not a folder")
    problem = assert_problem(viewer.get("/readyz"), 503, "not ready")
    assert problem["checks"]["database"] == "ok"
    assert problem["checks"]["broker"] != "ok"


def _messages(
    client: httpx.Client, count: int, headers: dict[str, bytes] | None = None
) -> list[dict[str, str]]:
    """The first `count` server-sent messages of /api/v1/stream, each as {field: value}."""
    found: list[dict[str, str]] = []
    with client.stream("GET", "/api/v1/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        message: dict[str, str] = {}
        for line in response.iter_lines():
            if line:
                name, _, value = line.partition(": ")
                message[name] = value
            elif message:
                found.append(message)
                message = {}
                if len(found) == count:
                    break
    return found


def test_the_stream_opens_with_the_queue_size_and_resumes_from_last_event_id(desk):
    """/api/v1/stream first says how many events are open; with Last-Event-ID it sends each
    event after that one (its id is the event's seq); an id it cannot use is ignored."""
    first, second = seed(desk, {}, {"severity": "flash"})
    viewer = desk.client("viewer")
    (opening,) = _messages(viewer, 1)
    assert (opening["event"], opening["data"]) == ("queue", '{"open": 2}')
    resumed = _messages(viewer, 3, {"Last-Event-ID": b"0"})
    changes = [m for m in resumed if m.get("event") == "change"]
    assert [json.loads(m["data"])["id"] for m in changes] == [first, second]
    assert [m["id"] for m in changes] == ["1", "2"]
    for unusable in [b"99999999999999999999999", "\u00b2".encode("latin-1"), b"-1"]:
        (opening,) = _messages(viewer, 1, {"Last-Event-ID": unusable})
        assert opening["event"] == "queue", unusable


# --- 8. bad input --------------------------------------------------------------------------

UNKNOWN = [
    ("GET", "/api/v1/events/no-such-event"),
    *[("POST", f"/api/v1/events/no-such-event/{a}") for a in ("claim", "ack", "resolve", "reopen")],
    ("POST", "/api/v1/sources/no-such-event/pause"),
    ("POST", "/api/v1/sources/no-such-event/resume"),
    ("POST", "/api/v1/webhooks/no-such-event/disable"),
    ("POST", "/api/v1/webhooks/no-such-event/enable"),
]


def test_an_unknown_thing_is_a_404_problem(desk):
    """An unknown event, source or endpoint is a 404 problem naming it; an unknown path is a
    404 problem and a wrong method a 405 problem."""
    admin = desk.client("admin")
    for method, path in UNKNOWN:
        problem = assert_problem(admin.request(method, path), 404, "no-such-event")
        assert problem["instance"] == path
    assert_problem(admin.get("/api/v1/nothing-here"), 404)
    assert_problem(admin.delete("/api/v1/events"), 405)


LATER = '"until": "2100-01-01T00:00:00Z"'
BAD_ACTIONS = [  # (body, the field its problem names)
    (b'{"until": ', "body"),
    (b"not json at all", "body"),
    (b"[]", "body"),
    (b'{"until": "tomorrow-ish"}', "body.until"),
    (b'{"until": [2030]}', "body.until"),
    (f'{{{LATER}, "note": 42}}'.encode(), "body.note"),
    (f'{{{LATER}, "note": "{"x" * 2001}"}}'.encode(), "body.note"),
    (f'{{{LATER}, "note": "a\\u0000b"}}'.encode(), "body.note"),
]


def test_a_body_that_does_not_fit_is_a_422_naming_the_field(desk):
    """Invalid JSON, or a field of the wrong type, length or characters: a 422 problem whose
    errors and detail name the field; the event is untouched."""
    (event_id,) = seed(desk, {})
    editor = desk.client("editor")
    for body, field in BAD_ACTIONS:
        response = editor.post(
            f"/api/v1/events/{event_id}/snooze",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        problem = assert_problem(response, 422)
        assert [e["field"] for e in problem["errors"]] == [field], (body, problem)
        assert field in problem["detail"]
    assert editor.get(f"/api/v1/events/{event_id}").json()["status"] == "open"


BAD_WEBHOOKS = [  # (body, the fields its problem names)
    ({"types": ["position.*"]}, ["body.url"]),
    ({"url": 7}, ["body.url"]),
    ({"url": "https://hooks.example.org/in", "types": "position.*"}, ["body.types"]),
    ({"url": "https://hooks.example.org/in", "types": [1]}, ["body.types.0"]),
    ({"url": "https://hooks.example.org/in", "id": "has spaces"}, ["body.id"]),
    ({"url": "https://hooks.example.org/in\u0000"}, ["body.url"]),
    ({"url": 7, "id": "/"}, ["body.url", "body.id"]),
]


def test_a_webhook_that_does_not_fit_is_a_422_naming_the_field(desk):
    """A new endpoint without a URL, or with fields of the wrong shape: a 422 naming each."""
    admin = desk.client("admin")
    for body, fields in BAD_WEBHOOKS:
        problem = assert_problem(admin.post("/api/v1/webhooks", json=body), 422)
        assert [e["field"] for e in problem["errors"]] == fields, (body, problem)
    assert admin.get("/api/v1/webhooks").json() == []


BAD_QUERIES = [  # (path, query, the parameter its problem names)
    ("/api/v1/events", {"limit": 0}, "query.limit"),
    ("/api/v1/events", {"limit": 1000}, "query.limit"),
    ("/api/v1/events", {"limit": "ten"}, "query.limit"),
    ("/api/v1/events", {"severity": "bulletin"}, "query.severity"),
    ("/api/v1/events", {"status": "lost"}, "query.status.0"),
    ("/api/v1/deliveries", {"limit": 0}, "query.limit"),
    ("/api/v1/deliveries", {"limit": 1000}, "query.limit"),
    ("/api/v1/deliveries", {"failed": "perhaps"}, "query.failed"),
    ("/api/v1/audit", {"limit": 0}, "query.limit"),
    ("/api/v1/audit", {"limit": 1000}, "query.limit"),
]


def test_a_query_out_of_range_is_a_422_naming_the_parameter(desk):
    """limit=0 or 1000, an unknown severity or status, a non-boolean flag: a 422 naming it;
    the largest page (200) is fine."""
    admin = desk.client("admin")
    for path, params, field in BAD_QUERIES:
        problem = assert_problem(admin.get(path, params=params), 422)
        assert [e["field"] for e in problem["errors"]] == [field], (path, params)
    for path in ("/api/v1/events", "/api/v1/deliveries", "/api/v1/audit"):
        assert admin.get(path, params={"limit": 200}).status_code == 200


WITH_NUL = [
    ("/api/v1/events", {"topic": "a\x00b"}),
    ("/api/v1/events", {"actor": "\x00"}),
    ("/api/v1/audit", {"target": "events/\x00"}),
    ("/api/v1/events/a%00b", {}),
    ("/api/v1/state", {"topic": "\x00"}),
]


def test_a_nul_character_in_a_path_or_query_is_a_400(desk):
    """A NUL character (which PostgreSQL cannot hold) in a path or query is a 400 problem."""
    admin = desk.client("admin")
    for path, params in WITH_NUL:
        assert_problem(admin.get(path, params=params), 400, "NUL")
