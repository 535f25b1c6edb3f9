"""An event about a syndicated story lists every source that carried it, on the page and in
the API, including the copies that arrived after the alert went out."""

from __future__ import annotations

from tests.integration.helpers import events, run_once
from tests.integration.test_clusters import STORY
from tests.servers import item, rss


def test_the_event_lists_every_source_of_its_story_cluster(desk, config_dir, feeds):
    names = ["reuters", "yahoo", "usnews"]
    config_dir.sources([config_dir.feed(n, feeds.url(f"/{n}.xml")) for n in names])
    for n in names:
        feeds.set(f"/{n}.xml", rss())
    run_once(desk.tracker)
    feeds.set(
        "/reuters.xml",
        rss(item("r1", "Putin agrees to halt energy strikes", STORY)),
    )
    run_once(desk.tracker)
    feeds.set(
        "/yahoo.xml",
        rss(item("y1", "Putin agrees to pause energy strikes", f"MOSCOW (Reuters) - {STORY}")),
    )
    feeds.set(
        "/usnews.xml", rss(item("u1", "Putin, Trump agree", f"{STORY} Reporting by Reuters."))
    )
    run_once(desk.tracker)
    (announced,) = events(desk.tracker, "statement.new")
    viewer = desk.client("viewer")

    detail = viewer.get(f"/api/v1/events/{announced.id}").json()
    carried = [s["source_id"] for s in detail["story"]]
    assert carried[0] == "reuters"  # the first to carry it, then the copies
    assert sorted(carried[1:]) == ["usnews", "yahoo"]
    assert detail["story"][0]["url"] == "http://example.org/r1"

    desk.user("ann", "viewer")
    page = desk.login("ann").get(f"/events/{announced.id}").text
    assert "Carried by 3 sources" in page
    assert all(f"<b>{n}</b>" in page for n in names)
    assert '<a href="http://example.org/r1"' in page
