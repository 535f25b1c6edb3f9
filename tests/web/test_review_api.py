"""Review over real HTTP: confirm and reject a needs_review event through the API and the
desk's forms (editor role, CSRF, audited); the queue filters needs_review; stale or unknown
actions are clear problems."""

from __future__ import annotations

import re

import httpx

from tests.integration.helpers import deliveries, held_positions
from tests.web.test_api import _csrf, assert_problem


def _events(client: httpx.Client, **params: str) -> list[dict]:
    response = client.get("/api/v1/events", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_confirm_and_reject_through_the_api(desk, config_dir, feeds):
    """An editor's confirm makes the claim the stance and releases its alert; reject cancels
    it; the queue lists needs_review first-class; a repeat or a confirm of a rejected claim is
    a 409, an unknown event a 404, a viewer a 403; each verdict is audited."""
    confirm_id, reject_id = held_positions(desk.tracker, config_dir, feeds, 2)
    editor, viewer = desk.client("editor"), desk.client("viewer")
    held = _events(viewer, status="needs_review", type="position.new")
    assert sorted(e["id"] for e in held) == sorted([confirm_id, reject_id])
    assert all(e["data"]["review"]["reasons"] == ["low_confidence"] for e in held)
    assert {e["id"] for e in _events(viewer)} >= {confirm_id, reject_id}  # on the open queue

    assert_problem(viewer.post(f"/api/v1/events/{confirm_id}/confirm"), 403, "editor")
    done = editor.post(f"/api/v1/events/{confirm_id}/confirm", json={"note": "Kremlin readout"})
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["verdict"], body["applied"], body["event"]["status"]) == (
        "confirm",
        True,
        "resolved",
    )
    assert body["event"]["note"] == "Kremlin readout"
    assert_problem(editor.post(f"/api/v1/events/{confirm_id}/confirm"), 409, "already confirmed")

    rejected = editor.post(f"/api/v1/events/{reject_id}/reject")
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["applied"], rejected.json()["event"]["status"]) == (False, "rejected")
    assert_problem(editor.post(f"/api/v1/events/{reject_id}/confirm"), 409, "rejected")
    assert_problem(editor.post(f"/api/v1/events/{reject_id}/claim"), 409, "rejected")
    assert_problem(editor.post("/api/v1/events/no-such-event/confirm"), 404, "no event")
    assert _events(viewer, status="needs_review", type="position.new") == []

    state = viewer.get("/api/v1/state").json()
    actors = {p["actor"] for p in state["positions"]}
    assert "putin" in actors  # confirmed
    assert "zelenskiy" not in actors  # rejected: the state never moved
    audit = viewer.get(f"/api/v1/events/{reject_id}").json()["audit"]
    assert [(a["action"], a["actor"].split(":")[0]) for a in audit] == [("reject", "token")]


def test_a_needs_review_event_is_not_claimed_past_its_review(desk, config_dir, feeds):
    """The queue's own actions wait until the claim is reviewed: a claim is a 409."""
    (event_id,) = held_positions(desk.tracker, config_dir, feeds, 1)
    editor = desk.client("editor")
    assert_problem(editor.post(f"/api/v1/events/{event_id}/claim"), 409, "needs review")


def test_the_desk_form_confirms_with_its_csrf_token(desk, config_dir, feeds):
    """The event page shows Confirm and Reject for a needs_review event; the form without the
    session's CSRF token is refused and changes nothing; with it, the claim is confirmed and
    its held delivery released."""
    config_dir.alerts(
        channels=[{"id": "desk", "url": "json://127.0.0.1:9/alerts"}],
        routes=[{"match": {"types": ["position.*"]}, "channels": ["desk"]}],
    )
    (event_id,) = held_positions(desk.tracker, config_dir, feeds, 1)
    assert [d.status for d in deliveries(desk.tracker) if d.event_id == event_id] == ["held"]
    desk.user("frank", "editor")
    frank = desk.login("frank")
    page = frank.get(f"/events/{event_id}")
    assert page.status_code == 200
    assert re.search(r'data-verb="confirm"', page.text)
    assert "Needs review before any alert goes out" in page.text
    refused = frank.post(f"/events/{event_id}/confirm", data={})
    assert refused.status_code == 403
    assert frank.get(f"/api/v1/events/{event_id}").json()["status"] == "needs_review"
    token = _csrf(frank)
    done = frank.post(f"/events/{event_id}/confirm", data={"csrf_token": token})
    assert done.status_code == 303, done.text
    assert frank.get(f"/api/v1/events/{event_id}").json()["status"] == "resolved"
    assert [d.status for d in deliveries(desk.tracker) if d.event_id == event_id] == ["pending"]
    again = frank.post(f"/events/{event_id}/confirm", data={"csrf_token": token})
    assert again.status_code == 409
    assert "already confirmed" in again.text
