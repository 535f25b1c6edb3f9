"""`tracker channels` and `tracker webhooks`: test channels, manage and replay webhook endpoints."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tracker.cli.base import JsonFlag, app, fail, group, wiring
from tracker.cli.output import since_time, table, when
from tracker.delivery.signing import new_secret
from tracker.domain.events import EVENT_TYPES

channels_app = group(help="Alert channels.")
webhooks_app = group(help="Signed webhook endpoints.")
app.add_typer(channels_app, name="channels")
app.add_typer(webhooks_app, name="webhooks")


@channels_app.command("list")
def channels_list() -> None:
    """List channels, their targets and formats (never their URLs: those hold tokens)."""
    with wiring() as tracker:
        runtime = tracker.runtime()
    rows = [
        [c, t, runtime.target_formats.get(t, "?")]
        for c, targets in runtime.channels.items()
        for t in targets
    ]
    typer.echo(table(["CHANNEL", "TARGET", "FORMAT"], rows) if rows else "no channels configured")


@channels_app.command("test")
def channels_test(
    channel: Annotated[str, typer.Argument(help="A channel id from alerts.yaml.")],
) -> None:
    """Send a test message to every target of a channel, now, and say how each went."""
    with wiring() as tracker:
        runtime = tracker.runtime()
        targets = runtime.channels.get(channel)
        if targets is None:
            fail(f"no channel {channel!r} (known: {', '.join(runtime.channels) or 'none'})")
        senders = tracker.senders
        failures = 0
        for target in targets or []:
            fmt = runtime.target_formats.get(target, "text")
            data = {"source": {"id": "tracker"}, "consecutive_failures": 0, "error": "none"}
            message = senders.renderer.render("source.recovered", "routine", data, fmt)
            body = f"This is a test of channel {channel} ({target}, {fmt}).\n\n{message.body}"
            result = senders.channel.send(
                runtime.target_urls[target], _Test(f"Test: {channel}", body, fmt)
            )
            failures += result.error is not None
            typer.echo(f"{target}: {'sent' if result.error is None else 'failed: ' + result.error}")
    if failures:
        raise typer.Exit(1)


class _Test:
    def __init__(self, title: str, body: str, fmt: str) -> None:
        self.title, self.body, self.format = title, body, fmt


TypesOption = Annotated[
    list[str] | None, typer.Option("--types", help="Event type globs (repeatable); none = all.")
]


@webhooks_app.command("add")
def webhooks_add(
    url: Annotated[str, typer.Argument(help="Where to POST signed events.")],
    types: TypesOption = None,
    endpoint_id: Annotated[
        str | None, typer.Option("--id", help="An id (default: generated).")
    ] = None,
) -> None:
    """Add an endpoint; its whsec_ secret is printed once and never shown again."""
    unknown = [t for t in types or [] if not any(_glob(t, e) for e in EVENT_TYPES)]
    if unknown:
        fail(f"--types {', '.join(unknown)} match no event type ({', '.join(EVENT_TYPES)})")
    from tracker.bootstrap import utcnow
    from tracker.services import webhooks

    with wiring() as tracker, tracker.db.unit_of_work() as uow:
        try:
            created = webhooks.add(uow, url, list(types or []), new_secret(), utcnow(), endpoint_id)
        except webhooks.WebhookError as exc:
            fail(str(exc))
        uow.commit()
    typer.echo(
        f"endpoint: {created.id}\nsecret: {created.secret}\n(store it now: it is not shown again)"
    )


def _glob(pattern: str, value: str) -> bool:
    from fnmatch import fnmatchcase

    return fnmatchcase(value, pattern)


@webhooks_app.command("list")
def webhooks_list(as_json: JsonFlag = False) -> None:
    """List endpoints: URL, types, state (never their secrets)."""
    with wiring() as tracker, tracker.db.reader() as uow:
        rows = uow.webhooks.all()
    if as_json:
        for r in rows:
            typer.echo(
                json.dumps(
                    {
                        "id": r.id,
                        "url": r.url,
                        "types": r.types,
                        "enabled": r.enabled,
                        "disabled_reason": r.disabled_reason,
                        "origin": r.origin,
                    }
                )
            )
        return
    body = [
        [
            r.id,
            r.url,
            ",".join(r.types) or "*",
            "enabled" if r.enabled else f"disabled: {r.disabled_reason}",
            r.origin,
            when(r.failing_since),
        ]
        for r in rows
    ]
    typer.echo(
        table(["ID", "URL", "TYPES", "STATE", "FROM", "FAILING SINCE"], body)
        if rows
        else "no webhook endpoints"
    )


def _change(endpoint: str, action: str) -> None:
    from tracker.bootstrap import utcnow
    from tracker.services import webhooks

    with wiring() as tracker, tracker.db.unit_of_work() as uow:
        try:
            if action == "rotate":
                secret = webhooks.rotate(uow, endpoint, new_secret(), utcnow())
                typer.echo(
                    f"secret: {secret}\n(the old one also signs for 24 hours; store this one now)"
                )
            else:
                webhooks.set_enabled(uow, endpoint, action == "enable", utcnow())
                typer.echo(f"{endpoint}: {action}d")
        except webhooks.WebhookError as exc:
            fail(str(exc))
        uow.commit()


@webhooks_app.command("disable")
def webhooks_disable(endpoint: str) -> None:
    """Stop delivering to an endpoint."""
    _change(endpoint, "disable")


@webhooks_app.command("enable")
def webhooks_enable(endpoint: str) -> None:
    """Deliver to an endpoint again (after a 410 or an outage)."""
    _change(endpoint, "enable")


@webhooks_app.command("rotate-secret")
def webhooks_rotate(endpoint: str) -> None:
    """Give an endpoint a new secret; both sign during the next 24 hours."""
    _change(endpoint, "rotate")


@webhooks_app.command("replay")
def webhooks_replay(
    endpoint: str,
    since: Annotated[
        str | None, typer.Option(help="Events since this time (ISO) or age (2h, 7d).")
    ] = None,
    event: Annotated[
        list[str] | None, typer.Option("--event", help="This event id (repeatable).")
    ] = None,
) -> None:
    """Send events again, with their original ids (consumers' idempotency holds)."""
    if since is None and not event:
        fail("say what to replay: --since TIME or --event ID")
    from tracker.bootstrap import utcnow
    from tracker.services import webhooks

    with wiring() as tracker, tracker.db.unit_of_work() as uow:
        try:
            count = webhooks.replay(
                uow,
                endpoint,
                utcnow(),
                since=since_time(since, utcnow()) if since else None,
                event_ids=event,
            )
        except webhooks.WebhookError as exc:
            fail(str(exc))
        uow.commit()
    typer.echo(
        f"{count} event(s) queued for {endpoint}; workers (or `tracker poll --once`) send them"
    )
