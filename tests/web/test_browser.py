"""The desk in a real browser (headless Chromium, driven by Playwright): log in, watch an event
arrive live, claim it, resolve it, read the state; the queue at a phone's width; and a queue
that catches up after its live stream was cut.

Screenshots land in test-artifacts/browser/ at the repository root (git-ignored)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests.integration.helpers import PUTIN, run_once, set_review
from tests.servers import item, rss
from tracker.bootstrap import utcnow
from tracker.storage.desk import QueueFilter

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PASSWORD = "correct horse battery"
WAIT_MS = 10_000  # for anything the server pushes (the stream polls the database every second)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module: Debian's, since Playwright's own download is not
    available here. Missing, it is a failure, never a skip."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


class Console:
    """What the pages said on the console: script errors, CSP violations, failed loads."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[re.Pattern[str]] = []

    def watch(self, page: Page) -> None:
        page.on("console", self._message)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def expect(self, pattern: str) -> None:
        """Errors matching `pattern` (message and URL) are part of the test: not counted."""
        self.expected.append(re.compile(pattern))

    def _message(self, message: ConsoleMessage) -> None:
        said = f"{message.text} ({message.location.get('url')})"
        if message.type == "error" and not any(p.search(said) for p in self.expected):
            self.errors.append(f"console: {said}")


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def browse(browser: Browser, desk, console: Console) -> Iterator[Callable[..., BrowserContext]]:
    """Open fresh browser profiles on the desk: each is closed before the desk stops (its live
    stream goes with it), and no page may log an error on the console."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        made = browser.new_context(base_url=desk.url, **options)
        made.set_default_timeout(WAIT_MS)
        made.on("page", console.watch)
        opened.append(made)
        return made

    yield open_context
    for made in opened:
        made.close()
    assert console.errors == []


def shot(page: Page, request: pytest.FixtureRequest, name: str) -> Path:
    """Save a full-page screenshot named after the test (and its database)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    path = ARTIFACTS / f"{test}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, username: str) -> None:
    """Open the queue, get sent to the login form, fill it in, and land back on the queue."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def wait_live(page: Page) -> None:
    """Wait until the page's live stream has said hello (so a poll from now on is pushed)."""
    expect(page.locator("html")).to_have_attribute("data-live", "yes", timeout=WAIT_MS)


PUTIN_ITEM = item("g1", "Putin agrees to energy halt", PUTIN)
ZELENSKY_ITEM = item(
    "g2",
    "Zelensky agrees to a ceasefire",
    "Ukrainian President Volodymyr Zelensky agreed to a full ceasefire, Kyiv said.",
)


def poll(desk, config_dir, feeds, *items: dict[str, str]) -> None:
    """One poll of a feed carrying `items`, run inline to the end (events committed).

    Playwright's sync API keeps an asyncio loop running in this thread, and the fetcher starts
    its own with asyncio.run: so the poll runs in a helper thread, and the test waits for it."""
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    feeds.set("/wire.xml", rss(*items))
    with ThreadPoolExecutor(1, thread_name_prefix="poll") as pool:
        summary = pool.submit(run_once, desk.tracker).result(timeout=30)
    assert summary is not None


def open_events(desk) -> int:
    """How many events the default queue holds, by the database."""
    with desk.tracker.db.reader() as uow:
        return int(uow.desk.count(QueueFilter(), utcnow()))


def test_an_editor_sees_an_event_arrive_live_claims_and_resolves_it(
    desk, config_dir, feeds, browse, request: pytest.FixtureRequest
):
    """Log in through the form; the queue is empty; a poll lands an event that the open page
    shows without reloading (count in the title); claim it by keyboard; resolve it on its page
    with a note; it leaves the queue; the state page shows the new position."""
    desk.user("alice", "editor")
    page = browse(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, "alice")
    expect(page).to_have_url(desk.url + "/")
    expect(page.locator("#rows")).to_contain_text("Nothing on the queue")
    expect(page).to_have_title("Queue · Ceasefire tracker")
    wait_live(page)
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    poll(desk, config_dir, feeds, PUTIN_ITEM)

    total = open_events(desk)
    assert total >= 1
    rows = page.locator("#rows tr.ev")
    expect(rows).to_have_count(total)
    expect(rows.first).to_contain_text("flash")
    expect(rows.first).to_have_class(re.compile(r"\bfresh\b"))
    expect(rows.first.locator("td.status")).to_have_text("open")
    expect(page).to_have_title(f"({total}) Queue · Ceasefire tracker")
    expect(page.locator("#total")).to_have_text(f"{total} open")
    expect(page.locator("#open-count")).to_have_text(str(total))
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    first_id = rows.first.get_attribute("data-id")
    headline = rows.first.locator("td.what a").inner_text()
    shot(page, request, "queue-live")

    # j selects the first row, c claims it (the form posts and the queue comes back)
    page.keyboard.press("j")
    expect(rows.first).to_have_class(re.compile(r"\bselected\b"))
    with page.expect_navigation():
        page.keyboard.press("c")
    claimed = page.locator(f'#rows tr.ev[data-id="{first_id}"]')
    expect(claimed.locator("td.status")).to_contain_text("claimed")
    expect(claimed.locator("td.status")).to_contain_text("by alice")
    shot(page, request, "queue-claimed")

    # a note half typed in a row survives the next live refresh, and so does the cursor
    note = claimed.get_by_role("textbox", name="resolution note")
    note.fill("half typed")
    poll(desk, config_dir, feeds, PUTIN_ITEM, ZELENSKY_ITEM)
    more = open_events(desk)
    assert more > total
    expect(rows).to_have_count(more)
    expect(rows.filter(has_text="Zelensky").first).to_have_class(re.compile(r"\bfresh\b"))
    expect(page).to_have_title(f"({more}) Queue · Ceasefire tracker")
    expect(note).to_have_value("half typed")
    expect(note).to_be_focused()
    note.fill("")
    total = more

    claimed.locator("td.what a").click()
    expect(page).to_have_url(f"{desk.url}/events/{first_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(headline)
    expect(page.locator("#event-status")).to_have_text("claimed")
    page.get_by_role("textbox", name="resolution note").fill("checked with the Kremlin readout")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#event-status")).to_have_text("resolved")
    expect(page.locator(".status")).to_contain_text("checked with the Kremlin readout")
    expect(page.locator("main")).to_contain_text("alice — resolve")
    shot(page, request, "event-resolved")

    page.locator("header nav").get_by_role("link", name=re.compile(r"^Queue")).click()
    expect(page).to_have_url(desk.url + "/")
    expect(page.locator(f'#rows tr.ev[data-id="{first_id}"]')).to_have_count(0)
    expect(page.locator("#total")).to_have_text(f"{total - 1} open")
    expect(page).to_have_title(re.compile(r"Queue · Ceasefire tracker$"))

    page.locator("header nav").get_by_role("link", name="State").click()
    expect(page).to_have_url(desk.url + "/state")
    positions = page.locator("section", has=page.get_by_role("heading", name="Positions"))
    position = positions.locator("tbody > tr").filter(
        has=page.locator("td:first-child", has_text="Vladimir Putin")
    )
    expect(position).to_have_count(1)
    expect(position).to_contain_text("supports")
    expect(position).to_contain_text("wire")
    shot(page, request, "state")


def test_the_queue_fits_a_phone(desk, config_dir, feeds, browse, request: pytest.FixtureRequest):
    """At 390 px wide the queue shows the event and its actions, and the page never scrolls
    sideways; nor do the event and state pages."""
    desk.user("bob", "editor")
    poll(desk, config_dir, feeds, PUTIN_ITEM)
    phone = browse(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = phone.new_page()
    log_in(page, "bob")
    row = page.locator("#rows tr.ev").first
    expect(row).to_be_visible()
    for verb in ("claim", "ack", "resolve"):
        button = row.locator(f'button[data-verb="{verb}"]')
        expect(button).to_be_visible()
        expect(button).to_be_in_viewport()
    expect(row.get_by_role("textbox", name="resolution note")).to_be_in_viewport()
    assert _scroll_width(page) <= 390
    shot(page, request, "phone-queue")

    row.locator("td.what a").click()
    expect(page.get_by_role("button", name="Resolve")).to_be_in_viewport()
    assert _scroll_width(page) <= 390
    shot(page, request, "phone-event")

    page.goto("/state")
    expect(page.locator("table.state").first).to_be_visible()
    assert _scroll_width(page) <= 390
    shot(page, request, "phone-state")


def test_the_queue_catches_up_on_what_landed_while_its_stream_was_away(
    desk, config_dir, feeds, browse, console: Console
):
    """Events written while the page's stream is cut show up once it reconnects, without a
    reload; a viewer sees them with no action buttons."""
    desk.user("carol", "viewer")
    page = browse().new_page()
    page.route("**/api/v1/stream", lambda route: route.abort())
    console.expect(r"ERR_FAILED.*/api/v1/stream")
    log_in(page, "carol")
    expect(page.locator("#rows")).to_contain_text("Nothing on the queue")
    expect(page.locator("html")).to_have_attribute("data-live", "reconnecting")
    page.evaluate("window.__sameDocument = true")

    poll(desk, config_dir, feeds, PUTIN_ITEM)
    page.unroute("**/api/v1/stream")

    total = open_events(desk)
    assert total >= 1
    wait_live(page)
    expect(page.locator("#rows tr.ev")).to_have_count(total)
    expect(page).to_have_title(f"({total}) Queue · Ceasefire tracker")
    expect(page.locator("#rows button")).to_have_count(0)
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"


def _scroll_width(page: Page) -> int:
    width: int = page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
    )
    return width


def test_an_editor_confirms_a_held_claim_by_key_and_rejects_another_from_the_queue(
    desk, config_dir, feeds, browse, request: pytest.FixtureRequest
):
    """Claims below the topic's threshold land as needs_review with Confirm and Reject instead
    of the usual actions; on an event's page `y` confirms it (the state follows), and on the
    queue `x` rejects the selected row (the state does not)."""
    set_review(config_dir, min_confidence=1.0)
    desk.user("gina", "editor")
    poll(desk, config_dir, feeds, PUTIN_ITEM, ZELENSKY_ITEM)
    with desk.tracker.db.reader() as uow:
        held = uow.desk.queue(
            QueueFilter(statuses=["needs_review"], types=["position.new"]),
            utcnow(),
            limit=10,
            after=None,
        )
    by_actor = {e.subject.split("/")[2]: e.id for e in held}
    assert set(by_actor) == {"putin", "zelenskiy"}

    page = browse(viewport={"width": 1280, "height": 900}).new_page()
    log_in(page, "gina")
    row = page.locator(f'#rows tr.ev[data-id="{by_actor["putin"]}"]')
    expect(row.locator("td.status")).to_have_text("needs_review")
    expect(row.locator('button[data-verb="confirm"]')).to_be_visible()
    expect(row.locator('button[data-verb="claim"]')).to_have_count(0)

    row.locator("td.what a").click()
    expect(page).to_have_url(f"{desk.url}/events/{by_actor['putin']}")
    expect(page.locator("#review-reasons")).to_contain_text("not sure of this claim")
    expect(page.get_by_role("button", name="Confirm")).to_be_visible()
    shot(page, request, "event-needs-review")
    with page.expect_navigation():
        page.keyboard.press("y")
    expect(page.locator("#event-status")).to_have_text("resolved")
    expect(page.locator("main")).to_contain_text("gina — confirm")
    expect(page.get_by_role("button", name="Confirm")).to_have_count(0)

    page.locator("header nav").get_by_role("link", name=re.compile(r"^Queue")).click()
    rows = page.locator("#rows tr.ev")
    zelensky = page.locator(f'#rows tr.ev[data-id="{by_actor["zelenskiy"]}"]')
    expect(zelensky).to_have_count(1)
    index = [r.get_attribute("data-id") for r in rows.all()].index(by_actor["zelenskiy"])
    for _ in range(index + 1):
        page.keyboard.press("j")
    expect(zelensky).to_have_class(re.compile(r"\bselected\b"))
    with page.expect_navigation():
        page.keyboard.press("x")
    expect(zelensky).to_have_count(0)

    page.goto("/state")
    positions = page.locator("section", has=page.get_by_role("heading", name="Positions"))
    expect(positions).to_contain_text("Vladimir Putin")
    expect(positions).not_to_contain_text("Zelenskiy")
    with desk.tracker.db.reader() as uow:
        rejected = uow.events.get(by_actor["zelenskiy"])
    assert rejected is not None
    assert rejected.status == "rejected"
