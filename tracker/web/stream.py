"""Live updates by server-sent events: each new event, and the queue's size, as they land."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tracker.domain.access import Role
from tracker.services.accounts import Principal
from tracker.storage.desk import QueueFilter
from tracker.web.api import MAX_SEQ
from tracker.web.problems import PROBLEM_RESPONSES
from tracker.web.security import now, require

router = APIRouter(tags=["live"], responses=PROBLEM_RESPONSES)
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0


def _since(request: Request, seq: int) -> tuple[int, list[dict[str, Any]], int]:
    with request.app.state.tracker.db.reader() as uow:
        rows = uow.desk.newer_than(seq)
        depth = uow.desk.count(QueueFilter(), now())
        last = rows[-1].seq if rows else seq
        found = [
            {"id": r.id, "seq": r.seq, "type": r.type, "severity": r.severity, "subject": r.subject}
            for r in rows
        ]
        return last, found, depth


def _start(request: Request) -> int:
    header = request.headers.get("last-event-id", "")
    # ASCII digits only ("²" is a digit to str.isdigit), and no more than a BIGINT holds
    if header.isascii() and header.isdigit() and int(header) <= MAX_SEQ:
        return int(header)
    with request.app.state.tracker.db.reader() as uow:
        last: int = uow.desk.last_seq()
        return last


async def _events(request: Request) -> AsyncIterator[str]:
    seq = await run_in_threadpool(_start, request)
    _, _, depth = await run_in_threadpool(_since, request, seq)
    yield f"retry: 3000\nevent: queue\ndata: {json.dumps({'open': depth})}\n\n"
    beat = time.monotonic()
    while not await request.is_disconnected():
        seq, found, depth = await run_in_threadpool(_since, request, seq)
        for event in found:
            yield f"id: {event['seq']}\nevent: change\ndata: {json.dumps(event)}\n\n"
        if found:
            yield f"event: queue\ndata: {json.dumps({'open': depth})}\n\n"
            beat = time.monotonic()
        elif time.monotonic() - beat > HEARTBEAT_SECONDS:
            yield ": still here\n\n"
            beat = time.monotonic()
        await asyncio.sleep(POLL_SECONDS)


@router.get(
    "/api/v1/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def live(
    request: Request, _: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> StreamingResponse:
    """A `text/event-stream`: `change` for each new event (id = its seq, so a reconnect with
    Last-Event-ID resumes), `queue` with the number of open events."""
    return StreamingResponse(
        _events(request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
