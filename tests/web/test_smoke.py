"""A first look at the desk: health without a login, the queue with one."""

from __future__ import annotations

from tests.integration.helpers import PUTIN, run_once
from tests.servers import item, rss


def test_an_event_from_a_poll_is_on_the_queue_and_one_editor_claims_it(desk, config_dir, feeds):
    """/healthz needs no login; the API lists the poll's events; the second claim is a 409."""
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    run_once(desk.tracker)
    anonymous = desk.client()
    assert anonymous.get("/healthz").status_code == 200
    problem = anonymous.get("/api/v1/events")
    assert problem.status_code == 401
    assert problem.headers["content-type"] == "application/problem+json"
    editor, other = desk.client("editor"), desk.client("editor")
    page = editor.get("/api/v1/events").json()
    assert page["total"] == len(page["items"]) >= 1
    assert page["items"][0]["severity"] == "flash"  # the position change comes first
    first = page["items"][0]["id"]
    assert editor.post(f"/api/v1/events/{first}/claim").status_code == 200
    assert other.post(f"/api/v1/events/{first}/claim").status_code == 409
