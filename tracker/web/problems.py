"""Errors as RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid request",
    500: "Internal error",
    503: "Service unavailable",
}
# The problem document, as the OpenAPI schema shows it for every error answer.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "A problem (RFC 9457): no or bad credentials, a role too small, no such "
        "thing, a conflict, or a request that does not fit the schema (naming each field)",
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    },
}


class Problem(Exception):
    """An error the API answers with a problem document."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def problem_response(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """Return a problem details response."""
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def on_problem(request: Request, exc: Exception) -> JSONResponse:
    """Answer a Problem."""
    assert isinstance(exc, Problem)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None  # noqa: PLR2004
    return problem_response(request, exc.status, exc.detail, headers, **exc.extra)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    """Answer Starlette's own errors (404 for unknown paths, 405) as problems."""
    assert isinstance(exc, StarletteHTTPException)
    return problem_response(request, exc.status_code, str(exc.detail))


async def on_error(request: Request, exc: Exception) -> JSONResponse:  # noqa: ARG001
    """Answer an unexpected error as a problem too (the server logs the traceback)."""
    return problem_response(request, 500, "an internal error: see the server log")


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Answer a request that does not fit the schema, naming each field."""
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(e) for e in exc.errors()]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(request, 422, detail, errors=errors)


def _field_error(error: dict[str, Any]) -> dict[str, str]:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":  # its loc is ("body", the character it failed at)
        at = f" at character {loc[1]}" if len(loc) > 1 else ""
        return {"field": "body", "message": f"not valid JSON{at}"}
    return {"field": ".".join(str(p) for p in loc), "message": str(error.get("msg", ""))}
