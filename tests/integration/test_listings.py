"""A listing page with `follow`: its first poll learns the links already there; each later
poll opens the new links (up to max_follow), each linked article a statement."""

from __future__ import annotations

from tests.integration.helpers import events, run_once, source, statements
from tracker.storage.models import StatementRow

HTML = "text/html; charset=utf-8"


def _listing(*paths: str) -> str:
    links = "".join(f'<li><a href="{p}#comments">Story {p}</a></li>' for p in paths)
    return (
        "<html><body><nav><a href='/about'>About</a></nav>"
        f"<ul class='news'>{links}</ul></body></html>"
    )


def _article(headline: str, body: str) -> str:
    return (
        f"<html><head><title>{headline}</title>"
        '<meta property="article:published_time" content="2099-01-01T10:00:00Z"></head>'
        f"<body><nav>Home | News | About</nav><article><h1>{headline}</h1>"
        f"<p>{body}</p></article><footer>Share on X · Copyright</footer></body></html>"
    )


PUTIN_ARTICLE = _article(
    "Putin agrees to an energy truce",
    "Russian President Vladimir Putin agreed in a call with Donald Trump to a 30-day halt on "
    "strikes against Ukraine's energy infrastructure, the Kremlin said on Tuesday evening.",
)
ZELENSKY_ARTICLE = _article(
    "Zelenskiy backs the energy truce",
    "Ukrainian President Volodymyr Zelenskiy said Ukraine would support a ceasefire on energy "
    "infrastructure and asked for the list of targets that Russia had agreed to spare.",
)


def _setup(config_dir, feeds, make_tracker, **extract):
    config_dir.sources(
        [
            config_dir.feed(
                "news",
                feeds.url("/news"),
                kind="page",
                extract={"follow": "ul.news li", **extract},
            )
        ]
    )
    return make_tracker(backlog_max_age=0)


def test_the_first_poll_learns_the_links_and_later_polls_open_only_new_ones(
    config_dir, feeds, make_tracker
):
    feeds.set("/news", _listing("/news/1", "/news/2"), content_type=HTML)
    feeds.set("/news/1", PUTIN_ARTICLE, content_type=HTML)
    feeds.set("/news/2", PUTIN_ARTICLE, content_type=HTML)
    tracker = _setup(config_dir, feeds, make_tracker)
    run_once(tracker)
    assert feeds.hits("/news/1") == feeds.hits("/news/2") == 0  # the archive is not opened
    assert sorted(s.key for s in statements(tracker)) == [
        feeds.url("/news/1"),
        feeds.url("/news/2"),
    ]
    assert events(tracker, "statement.new") == []

    feeds.set("/news", _listing("/news/3", "/news/1", "/news/2"), content_type=HTML)
    feeds.set("/news/3", ZELENSKY_ARTICLE, content_type=HTML)
    run_once(tracker)
    assert (feeds.hits("/news/1"), feeds.hits("/news/2"), feeds.hits("/news/3")) == (0, 0, 1)
    (new,) = events(tracker, "statement.new")
    assert new.data["statement"]["title"] == "Zelenskiy backs the energy truce"
    assert new.data["statement"]["url"] == feeds.url("/news/3")  # the link, fragment dropped
    assert "asked for the list of targets" in new.data["statement"]["text"]
    assert "Share on X" not in new.data["statement"]["text"]
    assert any(e.data["actor"]["id"] == "zelenskiy" for e in events(tracker, "position.new"))

    run_once(tracker)  # nothing new on the listing: 304, nothing opened
    assert feeds.hits("/news/3") == 1
    assert source(tracker, "news").last_status == "unchanged"


def test_an_article_that_cannot_be_read_is_tried_again(config_dir, feeds, make_tracker):
    feeds.set("/news", _listing("/news/1"), content_type=HTML)
    tracker = _setup(config_dir, feeds, make_tracker)
    run_once(tracker)
    feeds.set("/news", _listing("/news/2", "/news/1"), content_type=HTML)
    run_once(tracker)  # /news/2 answers 404
    row = source(tracker, "news")
    assert row.last_status == "error"
    assert row.last_error == "none of 1 new linked articles could be read: HTTP 404 Not Found"
    feeds.set("/news/2", PUTIN_ARTICLE, content_type=HTML)
    run_once(tracker)  # the listing has not changed, but its unread link is opened now
    assert feeds.hits("/news/2") == 2
    (new,) = events(tracker, "statement.new")
    assert new.data["statement"]["title"] == "Putin agrees to an energy truce"
    assert source(tracker, "news").last_status == "ok"


def test_no_more_than_max_follow_articles_are_opened_per_poll(config_dir, feeds, make_tracker):
    feeds.set("/news", _listing("/old"), content_type=HTML)
    tracker = _setup(config_dir, feeds, make_tracker, max_follow=2)
    run_once(tracker)
    paths = ["/news/a", "/news/b", "/news/c"]
    for path in paths:
        feeds.set(path, PUTIN_ARTICLE.replace("Tuesday", path), content_type=HTML)
    feeds.set("/news", _listing(*paths, "/old"), content_type=HTML)
    run_once(tracker)
    assert [feeds.hits(p) for p in paths] == [1, 1, 0]  # page order: the newest first
    run_once(tracker)
    assert [feeds.hits(p) for p in paths] == [1, 1, 1]
    with tracker.db.reader() as uow:
        keys = {s.key for s in uow.session.query(StatementRow)}
    assert {feeds.url(p) for p in paths} <= keys
