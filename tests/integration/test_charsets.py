"""Russian and Ukrainian pages and feeds in Windows-1251 that say they are UTF-8, polled from a
real server through the whole pipeline: their statements are stored in Cyrillic as written,
and reading them again (the page with a new build stamp, the feed with a new item) is no edit."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import ConfigDir
from tests.integration.helpers import events, run_once, source, statements, versions
from tests.servers import FeedServer, item, rss
from tracker.bootstrap import Tracker
from tracker.domain.normalise import clean_text

PAGE_TITLE = "Путин согласился на 30-дневный отказ от ударов по энергетической инфраструктуре"
PAGE = f"""<!doctype html><html><head><meta charset="utf-8"><meta name="build" content="1">
<title>{PAGE_TITLE} | Новости</title>
<meta property="og:title" content="{PAGE_TITLE}">
</head><body>
<nav><a href="/">Главная</a> <a href="/news">Новости</a> <a href="/about">О проекте</a></nav>
<article><h1>{PAGE_TITLE}</h1>
<p>Президент России Владимир Путин в телефонном разговоре с Дональдом Трампом согласился на
30-дневный отказ от ударов по энергетической инфраструктуре Украины и сразу дал российским
военным соответствующую команду, сообщили в Кремле.</p>
<p>Полное перемирие на 30 дней, которое предлагали США и на которое согласилась Украина,
Путин не поддержал: по его словам, прекращение огня возможно лишь при прекращении
мобилизации и поставок оружия Киеву.</p>
</article>
<footer>© Редакция, 2025. Все права защищены.</footer>
</body></html>"""

RU_TITLE = "Кремль: Путин и Трамп обсудили перемирие на Черном море"
RU_TEXT = (
    "Путин согласился на 30-дневный отказ от ударов по энергетической инфраструктуре; "
    "переговоры о перемирии на Черном море продолжатся в Эр-Рияде, заявил Песков."
)
UK_TITLE = "Зеленський підтримав припинення вогню щодо енергетики"
UK_TEXT = (
    "Україна підтримає пропозицію про 30-денне припинення ударів по енергетичній "
    "інфраструктурі, заявив Зеленський після розмови з Трампом; Путин має дотримати слова."
)
NEW_TITLE = "Песков: переговоры о перемирии продолжатся на следующей неделе"
NEW_TEXT = "Песков заявил, что Россия готова обсуждать перемирие, если Киев прекратит удары."
ITEMS = [item("ru-1", RU_TITLE, RU_TEXT), item("uk-1", UK_TITLE, UK_TEXT)]
LATER = item("ru-2", NEW_TITLE, NEW_TEXT)
UTF8 = "charset=utf-8"
SOURCES = {
    "ru-page": "page",
    "ru-feed": "feed",
    "ru-feed-labelled": "feed",
}  # id (and path) -> kind


def _bodies(later: bool) -> dict[str, tuple[bytes, str]]:
    """Path -> (body in Windows-1251, Content-Type); `later`: a new build of the page and a
    new item on top of each feed."""
    page = PAGE.replace('content="1"', 'content="2"') if later else PAGE
    feed = rss(*([LATER] if later else []), *ITEMS).decode()
    labelled = feed.replace('encoding="utf-8"', 'encoding="windows-1251"')
    return {
        # the header and the page's own <meta> both say UTF-8
        "/ru-page": (page.encode("cp1251"), f"text/html; {UTF8}"),
        # the header and the XML declaration both say UTF-8
        "/ru-feed": (feed.encode("cp1251"), f"application/rss+xml; {UTF8}"),
        # labelled right, in the declaration and the header: read as before
        "/ru-feed-labelled": (
            labelled.encode("cp1251"),
            "application/rss+xml; charset=windows-1251",
        ),
    }


@dataclass
class Polled:
    """The tracker after one poll of the sources below, and what it had stored by then."""

    tracker: Tracker
    status: dict[str, str]  # source id -> its last poll's status
    titles: dict[str, set[str]]  # source id -> the titles of its statements
    texts: dict[tuple[str, str], str]  # (source id, title) -> the statement's latest text


def _polled(tracker: Tracker, feeds: FeedServer, *, later: bool) -> Polled:
    for path, (body, content_type) in _bodies(later).items():
        feeds.set(path, body, content_type=content_type, validators=False)
    run_once(tracker)
    status = {name: source(tracker, name).last_status for name in SOURCES}
    rows = statements(tracker)
    latest = {v.statement_id: v.text for v in versions(tracker)}  # in order: the latest wins
    titles: dict[str, set[str]] = {}
    for row in rows:
        titles.setdefault(row.source_id, set()).add(row.title)
    texts = {(row.source_id, row.title): latest[row.id] for row in rows}
    return Polled(tracker, status, titles, texts)


@pytest.fixture
def polls(config_dir: ConfigDir, feeds: FeedServer, make_tracker) -> tuple[Polled, Polled]:
    """Polls a page and two feeds, then polls them again when their bytes have changed."""
    config_dir.sources(
        [config_dir.feed(name, feeds.url(f"/{name}"), kind=kind) for name, kind in SOURCES.items()]
    )
    tracker = make_tracker()
    return _polled(tracker, feeds, later=False), _polled(tracker, feeds, later=True)


def test_a_windows_1251_page_labelled_utf8_is_stored_in_cyrillic(polls):
    """A Russian page in Windows-1251 whose header and meta say UTF-8 is stored as written."""
    first, _ = polls
    assert first.status["ru-page"] == "ok"
    (title,) = first.titles["ru-page"]
    assert title == PAGE_TITLE
    text = first.texts["ru-page", title]
    assert "Владимир Путин в телефонном разговоре с Дональдом Трампом" in text
    assert "Полное перемирие на 30 дней" in text


@pytest.mark.parametrize("source_id", ["ru-feed", "ru-feed-labelled"])
def test_a_windows_1251_feed_is_stored_in_cyrillic_whatever_its_label(polls, source_id):
    """A Russian and Ukrainian feed in Windows-1251 is stored as written, whether it says UTF-8
    or says Windows-1251."""
    first, _ = polls
    assert first.status[source_id] == "ok"
    assert first.titles[source_id] == {RU_TITLE, UK_TITLE}
    assert first.texts[source_id, RU_TITLE] == clean_text(RU_TEXT)
    assert "Путин" in first.texts[source_id, RU_TITLE]
    assert "перемирии" in first.texts[source_id, RU_TITLE]
    assert first.texts[source_id, UK_TITLE] == clean_text(UK_TEXT)


def test_reading_them_again_is_no_edit(polls, feeds):
    """The second poll reads every body again (its bytes changed) and finds the statements the
    first stored, unchanged: no edit, one version each; the feeds' new item is new."""
    first, second = polls
    assert [feeds.hits(f"/{name}") for name in SOURCES] == [2, 2, 2]
    assert second.status == dict.fromkeys(SOURCES, "ok")
    assert second.titles == {
        "ru-page": first.titles["ru-page"],
        "ru-feed": {RU_TITLE, UK_TITLE, NEW_TITLE},
        "ru-feed-labelled": {RU_TITLE, UK_TITLE, NEW_TITLE},
    }
    new = {(name, NEW_TITLE): clean_text(NEW_TEXT) for name in ("ru-feed", "ru-feed-labelled")}
    assert second.texts == {**first.texts, **new}
    assert events(second.tracker, "statement.edited") == []
    assert {row.version_count for row in statements(second.tracker)} == {1}
