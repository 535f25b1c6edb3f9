"""The editor's desk pages: server-rendered (Jinja2, autoescaped), forms that work without
JavaScript, and a small script for live updates and keyboard shortcuts."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from tracker.delivery.templates import Renderer
from tracker.domain.access import Role
from tracker.domain.messages import title
from tracker.domain.queue import Action, InvalidAction, QueueConflict, Status
from tracker.services import accounts, desk
from tracker.services.accounts import Principal
from tracker.services.state_view import outcome_of, topic_state
from tracker.storage.desk import QueueFilter
from tracker.storage.models import EventRow, StatementRow
from tracker.web.api import event_out, source_out, story_out
from tracker.web.problems import Problem
from tracker.web.review import decide
from tracker.web.security import CSRF_FIELD, SESSION_COOKIE, caller, now

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
PAGE = 50
_ACTIONS = {
    "claim": Action.CLAIM,
    "ack": Action.ACKNOWLEDGE,
    "resolve": Action.RESOLVE,
    "snooze": Action.SNOOZE,
    "reopen": Action.REOPEN,
}
_REVIEWS = {"confirm", "reject"}  # a needs_review event's claim (tracker.web.review)


@lru_cache(maxsize=1)
def _renderer() -> Renderer:
    return Renderer()


def _headline(row: EventRow) -> str:
    return title(row.type, "routine", row.data)


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["when"] = _when
templates.env.globals["headline"] = _headline


def _safe_next(value: str | None) -> str:
    """Only paths on this site: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def _who(request: Request, role: Role = Role.VIEWER) -> Principal | Response:
    """The logged-in user, or a redirect to the login page (403 page for a too-small role)."""
    try:
        who = await caller(request)
    except Problem as exc:
        if exc.status == 401:  # noqa: PLR2004
            target = quote(
                str(request.url.path) + ("?" + request.url.query if request.url.query else "")
            )
            response = RedirectResponse(f"/login?next={target}", status_code=303)
            if request.cookies.get(SESSION_COOKIE):
                response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        return _page(request, "error.html", None, status_code=exc.status, message=exc.detail)
    if not who.role.allows(role):
        return _page(
            request,
            "error.html",
            who,
            status_code=403,
            message=f"This needs the {role.value} role; you are {who.role.value}.",
        )
    return who


def _page(
    request: Request, name: str, who: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        name,
        {
            "who": who,
            "csrf": who.csrf_token if who else "",
            "csrf_field": CSRF_FIELD,
            "can_edit": bool(who and who.role.allows(Role.EDITOR)),
            **context,
        },
        status_code=status_code,
    )


def _filters(request: Request) -> tuple[QueueFilter, dict[str, str]]:
    q = request.query_params
    raw = {
        k: q.get(k, "").strip()
        for k in ("topic", "actor", "issue", "type", "source", "status", "severity")
    }
    status = raw["status"]
    wanted = QueueFilter(
        statuses=[status] if status in {s.value for s in Status} else [],
        topic=raw["topic"] or None,
        actor=raw["actor"] or None,
        issue=raw["issue"] or None,
        types=[raw["type"]] if raw["type"] else [],
        source_id=raw["source"] or None,
        severity=raw["severity"] if raw["severity"] in {"flash", "urgent", "routine"} else None,
    )
    return wanted, {k: v for k, v in raw.items() if v}


def _queue_rows(request: Request, wanted: QueueFilter) -> tuple[list[dict[str, Any]], int]:
    at = now()
    with request.app.state.tracker.db.reader() as uow:
        rows = uow.desk.queue(wanted, at, limit=PAGE, after=None)
        return [{**event_out(r, at), "headline": _headline(r)} for r in rows], uow.desk.count(
            wanted, at
        )


def install(app: FastAPI) -> None:  # noqa: C901, PLR0915 - the routes of one small site
    """Add the pages to `app`."""

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
        return _page(request, "login.html", None, next=_safe_next(next), error=None)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        target = _safe_next(str(form.get("next", "/")))
        with request.app.state.tracker.db.unit_of_work() as uow:
            opened = accounts.login(uow, username.strip(), password, now())
            if opened is not None:
                uow.desk.audit(opened[1].name, "login", "accounts", now())
            uow.commit()
        if opened is None:
            return _page(
                request,
                "login.html",
                None,
                status_code=401,
                next=target,
                error="Wrong username or password.",
            )
        cookie, _ = opened
        response = RedirectResponse(target, status_code=303)
        secure = request.url.scheme == "https" or request.app.state.tracker.settings.cookie_secure
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
            httponly=True,
            secure=secure,
            samesite="lax",
            path="/",
        )
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        who = await _who(request)
        if isinstance(who, Response):
            return who
        cookie = request.cookies.get(SESSION_COOKIE, "")
        with request.app.state.tracker.db.unit_of_work() as uow:
            accounts.logout(uow, cookie)
            uow.commit()
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def queue(request: Request) -> Response:
        who = await _who(request)
        if isinstance(who, Response):
            return who
        wanted, chosen = _filters(request)
        rows, total = _queue_rows(request, wanted)
        return _page(
            request,
            "queue.html",
            who,
            rows=rows,
            total=total,
            chosen=chosen,
            query=urlencode(chosen),
            statuses=[s.value for s in Status],
        )

    @app.get("/queue/rows", response_class=HTMLResponse, include_in_schema=False)
    async def queue_rows(request: Request) -> Response:
        who = await _who(request)
        if isinstance(who, Response):
            return who
        wanted, chosen = _filters(request)
        rows, total = _queue_rows(request, wanted)
        response = _page(request, "rows.html", who, rows=rows, total=total, query=urlencode(chosen))
        response.headers["X-Queue-Total"] = str(total)
        return response

    @app.post("/events/{event_id}/{verb}", include_in_schema=False)
    async def act(request: Request, event_id: str, verb: str) -> Response:
        who = await _who(request, Role.EDITOR)
        if isinstance(who, Response):
            return who
        action = _ACTIONS.get(verb)
        if action is None and verb not in _REVIEWS:
            raise Problem(404, f"no action {verb!r}")
        form = await request.form()
        note = str(form.get("note", "")).strip() or None
        until = _until(str(form.get("until", "")).strip())
        back = _safe_next(str(form.get("next", f"/events/{event_id}")))
        try:
            if action is None:
                decide(request, who, event_id, note, ok=verb == "confirm")
            else:
                with request.app.state.tracker.db.unit_of_work() as uow:
                    desk.act(uow, event_id, action, who, now(), note=note, until=until)
                    uow.commit()
        except (desk.NotFound, QueueConflict, InvalidAction, Problem) as exc:
            status, message = _failure(exc)
            return _page(request, "error.html", who, status_code=status, message=message, back=back)
        return RedirectResponse(back, status_code=303)

    @app.get("/events/{event_id}", response_class=HTMLResponse, include_in_schema=False)
    async def event_page(request: Request, event_id: str) -> Response:
        who = await _who(request)
        if isinstance(who, Response):
            return who
        with request.app.state.tracker.db.reader() as uow:
            row = uow.events.get(event_id)
            if row is None:
                return _page(request, "error.html", who, status_code=404, message="No such event.")
            deliveries = uow.deliveries.for_event(event_id)
            audit = uow.desk.audit_log(target=f"events/{event_id}")
            statement = _statement(uow, row)
            provenance = _provenance(uow, row)
            story = story_out(uow, row)
            body = _renderer().render(row.type, row.severity, row.data, "html").body
            return _page(
                request,
                "event.html",
                who,
                event={**event_out(row, now()), "headline": _headline(row)},
                body=Markup(body),  # noqa: S704 - rendered by the sandboxed, autoescaping renderer
                deliveries=deliveries,
                audit=audit,
                statement=statement,
                provenance=provenance,
                story=story,
            )

    @app.get("/state", response_class=HTMLResponse, include_in_schema=False)
    async def state_page(request: Request, topic: str | None = None) -> Response:
        who = await _who(request)
        if isinstance(who, Response):
            return who
        with request.app.state.tracker.db.reader() as uow:
            state = topic_state(uow, topic)
        vocabularies = request.app.state.tracker.config().vocabularies
        return _page(request, "state.html", who, state=state, names=_names(vocabularies))

    @app.get("/sources", response_class=HTMLResponse, include_in_schema=False)
    async def sources_page(request: Request) -> Response:
        who = await _who(request)
        if isinstance(who, Response):
            return who
        with request.app.state.tracker.db.reader() as uow:
            rows = [source_out(r) for r in uow.sources.all()]
        return _page(request, "sources.html", who, sources=rows)

    @app.post("/sources/{source_id}/{verb}", include_in_schema=False)
    async def source_action(request: Request, source_id: str, verb: str) -> Response:
        who = await _who(request, Role.EDITOR)
        if isinstance(who, Response):
            return who
        if verb not in {"pause", "resume"}:
            raise Problem(404, f"no action {verb!r}")
        try:
            with request.app.state.tracker.db.unit_of_work() as uow:
                change = desk.pause_source if verb == "pause" else desk.resume_source
                change(uow, source_id, who, now())
                uow.commit()
        except desk.NotFound as exc:
            return _page(request, "error.html", who, status_code=404, message=str(exc))
        return RedirectResponse("/sources", status_code=303)


def _failure(exc: Exception) -> tuple[int, str]:
    """The status and message of a failed action, as its error page shows them."""
    if isinstance(exc, Problem):
        return exc.status, exc.detail
    if isinstance(exc, desk.NotFound):
        return 404, str(exc)
    return (409 if isinstance(exc, QueueConflict) else 422), str(exc)


def _until(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidAction(f"not a time: {value!r} (use 2025-03-18T14:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _statement(uow: Any, row: EventRow) -> dict[str, Any] | None:
    """The statement an event is about, with the evidence sentence marked."""
    if row.statement_id is None:
        return None
    statement = uow.session.get(StatementRow, row.statement_id)
    if statement is None:
        return None
    version = uow.statements.version(statement.id, statement.fingerprint)
    text = version.text if version is not None else ""
    evidence = str((row.data.get("evidence") or {}).get("sentence") or "")
    at = text.find(evidence) if evidence else -1
    parts = (text, "", "") if at < 0 else (text[:at], evidence, text[at + len(evidence) :])
    return {
        "title": statement.title,
        "url": statement.url,
        "before": parts[0],
        "evidence": parts[1],
        "after": parts[2],
        "source_id": statement.source_id,
    }


def _provenance(uow: Any, row: EventRow) -> list[dict[str, Any]]:
    """Every claim behind the position or fact an event is about (all sources of the story)."""
    parts = row.subject.split("/")
    if parts[0] == "positions" and len(parts) == 4:  # noqa: PLR2004
        claims = uow.state.claims(parts[1], actor=parts[2], issue=parts[3])
    elif parts[0] == "facts" and len(parts) == 3:  # noqa: PLR2004
        claims = uow.state.claims(parts[1], key=parts[2])
    else:
        return []
    return [
        {
            "stated_at": c.stated_at,
            "source_id": c.source_id,
            "value": c.stance or (c.value or {}).get("value"),
            "outcome": outcome_of(c),
            "voice": "own words" if c.own_words else "report",
            "sentence": c.sentence,
            "statement_id": c.statement_id,
        }
        for c in claims
    ]


def _names(vocabularies: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for vocab in vocabularies.values():
        names.update({a.id: a.name for a in vocab.actors})
        names.update({i.id: i.name for i in vocab.issues})
        names.update({f.key: f.name or f.key for f in vocab.facts})
    return names
