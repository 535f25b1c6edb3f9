"""The operating commands: init, run, poll, check-config, and the lists of sources, events
and deliveries."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tracker.cli.base import (
    JsonFlag,
    _safe_url,
    app,
    deliveries_app,
    events_app,
    fail,
    sources_app,
    wiring,
)
from tracker.cli.output import table, when
from tracker.config.errors import ConfigError
from tracker.domain.events import cloudevent
from tracker.domain.queue import Status
from tracker.domain.sources import redact_url

if TYPE_CHECKING:
    from tracker.bootstrap import Tracker


def _init(tracker: Tracker) -> None:
    from tracker.bootstrap import endpoint_specs, source_specs, utcnow
    from tracker.services.sync import sync_config
    from tracker.storage.schema import migrate

    config = tracker.config()
    before, after = migrate(tracker.db.engine)
    with tracker.db.unit_of_work() as uow:
        report = sync_config(uow, source_specs(config), endpoint_specs(config), utcnow())
        uow.commit()
    state = "created" if before is None else ("upgraded" if before != after else "up to date")
    typer.echo(f"database: {state} (schema {after}) at {_safe_url(tracker.db.url)}")
    typer.echo(
        f"sources: {len(config.sources)} configured ({len(report.added)} added, "
        f"{len(report.updated)} updated, {len(report.disabled)} disabled)"
    )
    topics = ", ".join(t.id for t in config.topics) or "none"
    typer.echo(f"topics: {topics}; channels: {', '.join(config.channels) or 'none'}")
    for warning in config.warnings:
        typer.echo(f"warning: {warning}", err=True)


@app.command()
def init() -> None:
    """Create or upgrade the database and load the sources from the configuration."""
    with wiring(schema=False) as tracker:
        _init(tracker)


@app.command("check-config")
def check_config() -> None:
    """Validate every configuration file; exit 1 and name file, line and field on errors."""
    from tracker.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        fail(str(exc))
    from tracker.config.loader import load_config

    try:
        config = load_config(settings.config_dir)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        typer.echo(f"{len(exc.problems)} problem(s) in {settings.config_dir}", err=True)
        raise typer.Exit(1) from exc
    for warning in config.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"ok: {len(config.sources)} sources, {len(config.topics)} topics, "
        f"{len(config.channels)} channels, {len(config.routes)} routes in {settings.config_dir}"
    )


@app.command()
def poll(
    once: Annotated[
        bool, typer.Option("--once", help="Poll now, deliver, and exit (for cron and scripts).")
    ] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
) -> None:
    """Poll sources inline, without a broker or worker, and deliver the alerts."""
    from tracker.bootstrap import utcnow
    from tracker.services import inline

    if not once:
        fail("use `tracker poll --once` here; `tracker run` polls continuously")
    with wiring() as tracker:
        config = tracker.config()
        unknown = [s for s in source or [] if config.source(s) is None]
        if unknown:
            fail(f"unknown source(s): {', '.join(unknown)} (see `tracker sources list`)")
        summary = inline.poll_once(
            tracker.db,
            tracker.runtime(),
            fetcher=tracker.fetch,
            senders=lambda: tracker.senders,  # built only when an alert is due
            clock=utcnow,
            only=source or None,
        )
        typer.echo(str(summary))


@app.command()
def run() -> None:
    """Run the tracker: database, worker and beat on the embedded default (Ctrl-C stops)."""
    from tracker.cli.supervisor import supervise

    with wiring(schema=False) as tracker:
        _init(tracker)
        settings = tracker.settings
        channels = ", ".join(tracker.config().channels) or "none (events are stored only)"
        broker = "external"
        if settings.embedded_broker:
            broker = f"embedded (files under {settings.data_dir / 'broker'})"
        typer.echo(f"broker: {broker}; alerts go to: {channels}")
        port = _web_port(settings.web_host, settings.web_port)
        typer.echo(f"editor's desk: http://{settings.web_host}:{port}/")
        _first_admin(tracker)
        typer.echo("In another terminal: `tracker sources list` shows each source's health.")
        typer.echo("Press Ctrl-C to stop.")
    env = dict(os.environ)
    env.setdefault("TRACKER_DATA_DIR", str(settings.data_dir.resolve()))
    env.setdefault("TRACKER_CONFIG_DIR", str(settings.config_dir.resolve()))
    env.setdefault("TRACKER_DATABASE_URL", settings.database)
    worker = [
        sys.executable,
        "-m",
        "workers",
        "worker",
        "--beat",
        "--concurrency",
        str(settings.worker_concurrency),
        "--loglevel",
        settings.log_level,
        "--without-mingle",
        "--without-gossip",
    ]
    web = [sys.executable, "-c", "from tracker.cli import main; main()", "web", "--port", str(port)]
    raise typer.Exit(supervise([worker, web], env))


def _web_port(host: str, wanted: int) -> int:
    """The configured port, or a free one when something else holds it."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((host, wanted))
        except OSError:
            probe.bind((host, 0))
            free = int(probe.getsockname()[1])
            typer.echo(f"port {wanted} is taken; the desk uses {free} (TRACKER_WEB_PORT sets it)")
            return free
    return wanted


def _first_admin(tracker: Any) -> None:
    """On a database with no users, make an admin so a newcomer can log in at once; its
    password goes to a file only its owner can read (never to the terminal or a log)."""
    import secrets

    from tracker.bootstrap import utcnow
    from tracker.services import accounts

    with tracker.db.unit_of_work() as uow:
        if uow.accounts.users():
            return
        password = secrets.token_urlsafe(12)
        accounts.add_user(uow, "admin", password, "admin", utcnow())
        uow.commit()
    path = tracker.settings.data_dir / "initial-admin-password"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    typer.echo(f"log in as admin; the password is in {path} (delete it once you have it;")
    typer.echo("  `tracker users add NAME --role editor` adds more people)")


def _source_row(row: Any, now: Any) -> list[str]:
    if not row.enabled:
        status = "disabled"
    elif row.last_status == "error":
        status = (
            f"failing ({row.consecutive_failures})"
            if row.failing
            else f"error ({row.consecutive_failures})"
        )
    else:
        status = row.last_status
    problem = row.last_error if row.last_status == "error" else ""
    return [
        row.id,
        row.kind,
        status,
        when(row.last_success_at),
        when(row.next_poll_at, now),
        problem or "",
        redact_url(row.url),
    ]


@sources_app.command("list")
def sources_list(as_json: JsonFlag = False) -> None:
    """List sources with their health: status, last success, next poll, last error."""
    from tracker.bootstrap import utcnow

    with wiring() as tracker, tracker.db.reader() as uow:
        rows, now = uow.sources.all(), utcnow()
        if as_json:
            for r in rows:
                typer.echo(
                    json.dumps(
                        {
                            "id": r.id,
                            "kind": r.kind,
                            "url": redact_url(r.url),
                            "enabled": r.enabled,
                            "status": r.last_status,
                            "consecutive_failures": r.consecutive_failures,
                            "failing": r.failing,
                            "last_error": r.last_error if r.last_status == "error" else None,
                            "last_success_at": r.last_success_at.isoformat()
                            if r.last_success_at
                            else None,
                            "next_poll_at": r.next_poll_at.isoformat(),
                            "polls": r.polls,
                        }
                    )
                )
            return
        headers = ["ID", "KIND", "STATUS", "LAST SUCCESS", "NEXT POLL", "PROBLEM", "URL"]
        typer.echo(
            table(headers, [_source_row(r, now) for r in rows])
            if rows
            else "no sources: run `tracker init`"
        )


def _event_json(row: Any) -> dict[str, Any]:
    return cloudevent(
        event_id=row.id,
        type_=row.type,
        source=row.source,
        subject=row.subject,
        time=row.time,
        severity=row.severity,
        data=row.data,
    )


@events_app.command("list")
def events_list(
    as_json: JsonFlag = False,
    limit: Annotated[int, typer.Option(help="How many events to show.", min=1)] = 100,
    after: Annotated[
        int | None,
        typer.Option(
            help="Only events after this number, oldest first (0: from the start).", min=0
        ),
    ] = None,
    before: Annotated[
        int | None, typer.Option(help="Only the newest events before this number.", min=1)
    ] = None,
    event_type: Annotated[
        list[str] | None, typer.Option("--type", help="Only this type (repeatable).")
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help="Only events in this queue status (repeatable): needs_review, open, claimed, "
            "acknowledged, resolved, snoozed, rejected.",
        ),
    ] = None,
) -> None:
    """List change events, oldest first: the newest ones, or a page from `--after` N.

    When more remain, the last line says how many and which option shows the next page.
    `--json` prints one CloudEvent per line (the paging note goes to stderr).
    """
    known = [s.value for s in Status]
    unknown = sorted(set(status or ()) - set(known))
    if unknown:
        fail(f"--status {', '.join(unknown)}: not a status ({', '.join(known)})")
    if after is not None and before is not None:
        fail("give --after or --before, not both")
    filters: dict[str, Any] = {"types": event_type or (), "statuses": status or ()}
    with wiring() as tracker, tracker.db.reader() as uow:
        forward = after is not None
        found = uow.events.list(
            limit=limit, after_seq=after, before_seq=before, newest_first=not forward, **filters
        )
        rows = found if forward else list(reversed(found))
        more = _more_events(uow, rows, forward=forward, filters=filters)
        if as_json:
            for r in rows:
                typer.echo(json.dumps(_event_json(r), ensure_ascii=False))
        else:
            typer.echo(_events_table(rows) if rows else "no events")
        if more:
            typer.echo(more, err=as_json)


def _more_events(uow: Any, rows: list[Any], *, forward: bool, filters: dict[str, Any]) -> str:
    """The note that more events remain past this page, and how to see them; or ''."""
    if not rows:
        return ""
    if forward:
        cursor = rows[-1].seq
        left = uow.events.count(after_seq=cursor, **filters)
        where, option = "later", f"--after {cursor}"
    else:
        cursor = rows[0].seq
        left = uow.events.count(before_seq=cursor, **filters)
        where, option = "earlier", f"--before {cursor}"
    if not left:
        return ""
    total = uow.events.count(**filters)
    same = " with the same --type/--status" if any(filters.values()) else ""
    return f"{len(rows)} of {total} shown ({left} {where}); next page: {option}{same}"


def _events_table(rows: list[Any]) -> str:
    headers = ["#", "TIME", "TYPE", "SEVERITY", "STATUS", "SOURCE", "SUBJECT", "TITLE"]
    body = [
        [
            str(r.seq),
            when(r.time),
            r.type,
            r.severity,
            r.status,
            r.source_id or "",
            r.subject,
            (r.data.get("statement") or {}).get("title") or r.data.get("error") or "",
        ]
        for r in rows
    ]
    return table(headers, body)


@deliveries_app.command("list")
def deliveries_list(
    failed: Annotated[
        bool, typer.Option("--failed", help="Only deliveries that failed (retrying or dead).")
    ] = False,
    as_json: JsonFlag = False,
    limit: Annotated[int, typer.Option(min=1)] = 100,
) -> None:
    """List deliveries, newest first, with their status and last error."""
    from tracker.bootstrap import utcnow

    with wiring() as tracker, tracker.db.reader() as uow:
        pairs = uow.deliveries.list(limit=limit, failed=failed)
        if as_json:
            for d, e in pairs:
                typer.echo(
                    json.dumps(
                        {
                            "id": d.id,
                            "event_id": e.id,
                            "event_type": e.type,
                            "target": d.target,
                            "status": d.status,
                            "attempts": d.attempts,
                            "last_error": d.last_error,
                            "next_attempt_at": d.next_attempt_at.isoformat()
                            if d.next_attempt_at
                            else None,
                        }
                    )
                )
            return
        headers = ["ID", "EVENT", "TARGET", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"]
        now = utcnow()
        body = [
            [
                str(d.id),
                e.type,
                d.target,
                d.status,
                str(d.attempts),
                when(d.next_attempt_at, now) if d.status == "pending" else "-",
                d.last_error or "",
            ]
            for d, e in pairs
        ]
        typer.echo(table(headers, body) if pairs else "no deliveries")
