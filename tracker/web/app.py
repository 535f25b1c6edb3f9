"""The web application: the editor's desk pages, the JSON API, health, readiness and metrics."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from tracker.bootstrap import Tracker
from tracker.domain.access import Role
from tracker.services.accounts import Principal
from tracker.web import api, pages, review, stream
from tracker.web.metrics import TrackerCollector
from tracker.web.problems import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    PROBLEM_SCHEMA,
    Problem,
    on_error,
    on_http_error,
    on_problem,
    on_validation_error,
    problem_response,
)
from tracker.web.security import require

HERE = Path(__file__).parent
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def create_app(tracker: Tracker) -> FastAPI:
    """Return the app, serving `tracker`'s database."""
    app = FastAPI(
        title="Ceasefire tracker",
        version="1",
        summary="Change events on positions and key facts, the editors' queue, and the state.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.tracker = tracker
    registry = CollectorRegistry()
    registry.register(TrackerCollector(tracker.db))
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_error)
    pages.install(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        # PostgreSQL cannot hold a NUL character in text, and no name or filter has one.
        if "\x00" in request.url.path or b"%00" in request.scope["query_string"]:
            response: Response = problem_response(request, 400, "NUL characters are not allowed")
        else:
            response = await call_next(request)
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith(("/api/", "/events", "/state", "/sources", "/login")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """The process is up (no authentication)."""
        return {"status": "ok"}

    ready_responses: dict[int | str, dict[str, Any]] = {
        **PROBLEM_RESPONSES,
        503: {"description": "Not ready", "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}},
    }

    @app.get("/readyz", tags=["ops"], responses=ready_responses)
    def readyz(_: Annotated[Principal, Depends(require(Role.VIEWER))]) -> dict[str, str]:
        """The database and the broker are reachable."""
        checks = {"database": _database_ok(tracker), "broker": _broker_ok(tracker)}
        if not all(v == "ok" for v in checks.values()):
            raise Problem(503, "not ready", checks=checks)
        return checks

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=Response,
        responses={
            **PROBLEM_RESPONSES,
            200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        },
    )
    def metrics(_: Annotated[Principal, Depends(require(Role.VIEWER))]) -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(api.router)
    app.include_router(review.router)
    app.include_router(stream.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app


def _database_ok(tracker: Tracker) -> str:
    try:
        with tracker.db.reader() as uow:
            uow.session.execute(text("SELECT 1"))
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def _broker_ok(tracker: Tracker) -> str:
    settings = tracker.settings
    if settings.broker_url is None:
        # The embedded broker is a folder the worker creates under the data dir: ready when the
        # folder, or the nearest folder above it that exists, is writable.
        folder = (settings.data_dir / "broker").resolve()
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not existing.is_dir():
            return f"not a folder: {existing}"
        return "ok" if os.access(existing, os.W_OK | os.X_OK) else f"cannot write {existing}"
    try:
        from kombu import Connection  # type: ignore[attr-defined]

        url = settings.broker_url.get_secret_value()
        with Connection(url, connect_timeout=3) as conn:  # type: ignore[no-untyped-call,unused-ignore]
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"
