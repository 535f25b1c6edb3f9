"""Listing pages: open the articles a listing links to, each article a statement.

A listing's first poll learns the links already there (stored as archive, never announced,
never opened); from then on each poll opens the links not seen before, at most `max_follow`
of them (newest first, as the page lists them), outside any transaction. An article that
cannot be read is tried again on the next poll; a listing none of whose new articles can be
read is a failed poll, with the first reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tracker.domain.normalise import key_digest
from tracker.domain.statements import Item, Observation
from tracker.services.outcomes import Failed, Fetcher, Listing, Outcome, Parsed, Target
from tracker.services.runtime import Runtime
from tracker.sources.errors import ParseError, SourceError
from tracker.sources.http import FetchFailed, FetchRequest, FetchResult
from tracker.storage.database import Database

DEFAULT_MAX_FOLLOW = 10


@dataclass(frozen=True)
class _Plan:
    listing: Listing
    target: Target
    first_poll: bool
    to_open: list[Item]
    waiting: int  # new links left for later polls


def follow_listings(
    db: Database,
    runtime: Runtime,
    outcomes: Sequence[Outcome | Listing],
    targets: Mapping[str, Target],
    fetcher: Fetcher,
) -> list[Outcome]:
    """Replace each Listing among `outcomes` by the outcome of opening its new articles (all
    listings' articles fetched together, as one batch)."""
    listings = [o for o in outcomes if isinstance(o, Listing)]
    if not listings:  # most batches: no transaction to open, nothing to fetch
        return [o for o in outcomes if not isinstance(o, Listing)]
    plans = _plan(db, listings, targets)
    requests = [
        FetchRequest(p.target.source_id, link.url or link.key, headers=p.target.request.headers)
        for p in plans.values()
        for link in p.to_open
    ]
    results = iter(fetcher(requests, runtime.limits) if requests else [])
    done: dict[str, Outcome] = {}
    for source_id, plan in plans.items():
        opened = [(link, next(results)) for link in plan.to_open]
        done[source_id] = _outcome(plan, opened)
    return [done[o.source_id] if isinstance(o, Listing) else o for o in outcomes]


def _plan(db: Database, listings: list[Listing], targets: Mapping[str, Target]) -> dict[str, _Plan]:
    plans = {}
    with db.reader() as uow:
        for listing in listings:
            target = targets[listing.source_id]
            row = uow.sources.get(listing.source_id)
            first_poll = row is None or row.last_success_at is None
            stored = uow.statements.stored(
                listing.source_id, [key_digest(link.key) for link in listing.links]
            )
            new = [link for link in listing.links if key_digest(link.key) not in stored]
            cap = int(target.options.get("max_follow", DEFAULT_MAX_FOLLOW))
            to_open = [] if first_poll else new[:cap]
            plans[listing.source_id] = _Plan(
                listing, target, first_poll, to_open, len(new) - len(to_open)
            )
    return plans


def _outcome(plan: _Plan, opened: list[tuple[Item, FetchResult]]) -> Outcome:
    listing, rules = plan.listing, plan.target.rules
    if plan.first_poll:  # learn what is there: archive, not news, and nothing opened
        observations = [Observation.of(link, rules) for link in listing.links]
        return Parsed(
            listing.source_id,
            listing.url,
            observations,
            listing.content_hash,
            listing.etag,
            listing.last_modified,
            archive=True,
        )
    articles: list[Observation] = []
    errors: list[SourceError] = []
    for link, result in opened:
        article = _article(link, result, plan.target)
        if isinstance(article, SourceError):
            errors.append(article)
        else:
            articles.append(article)
    if errors and not articles:
        first = errors[0]
        return Failed(
            listing.source_id,
            listing.url,
            type(first)(
                f"none of {len(errors)} new linked articles could be read: {first.reason}",
                retry_after=first.retry_after,
            ),
        )
    # Unread links (failed, or past the cap) are tried again: forget the listing's validators
    # so the next poll reads it whole even if it has not changed.
    complete = not errors and not plan.waiting
    return Parsed(
        listing.source_id,
        listing.url,
        articles,
        listing.content_hash if complete else None,
        listing.etag if complete else None,
        listing.last_modified if complete else None,
    )


def _article(link: Item, result: FetchResult, target: Target) -> Observation | SourceError:
    if isinstance(result, FetchFailed):
        return result.error
    if result.body is None:  # a 304 to a request without validators: nothing to read
        return ParseError("the article answered 304 Not Modified to a first request")
    from tracker.sources.page import parse_page  # lxml only when an article came (see registry)

    try:
        (page,) = parse_page(
            result.body,
            url=result.url,
            content_type=result.content_type,
            options={"selector": target.options["selector"]}
            if "selector" in target.options
            else None,
        )
    except SourceError as exc:
        return exc
    except Exception as exc:
        return ParseError(f"parser error: {type(exc).__name__}")
    # The link is the article's key: the page may name another canonical URL, but the
    # listing finds it by this one.
    item = Item(
        key=link.key,
        title=page.title or link.title,
        text=page.text,
        url=link.url,
        published=page.published,
    )
    return Observation.of(item, target.rules)
