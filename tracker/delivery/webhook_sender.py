"""Signed webhook delivery: a CloudEvent POSTed in structured mode, per the Standard Webhooks spec.

`webhook-id` is the event id (stable across retries and replays), `webhook-timestamp` the
send time, `webhook-signature` one `v1,` signature per live secret. 2xx is delivered; a
redirect is not followed; 410 means the endpoint is gone; 429/503 carry Retry-After.
Every connection passes the outbound address guard.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx

from tracker.delivery.signing import signature_header
from tracker.domain.retry import retry_after_seconds
from tracker.guard import AddressPolicy, AddressRefused
from tracker.guard_transport import GuardedTransport

CONTENT_TYPE = "application/cloudevents+json"


@dataclass(frozen=True)
class WebhookResult:
    """How a POST went: `error` None when delivered."""

    status_code: int | None
    error: str | None
    retry_after: float | None = None
    gone: bool = False


def _outcome(response: httpx.Response) -> WebhookResult:
    status = response.status_code
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return WebhookResult(status, None)
    phrase = f"HTTP {status} {response.reason_phrase}".strip()
    if HTTPStatus.MULTIPLE_CHOICES <= status < HTTPStatus.BAD_REQUEST:
        location = response.headers.get("location", "")
        return WebhookResult(status, f"{phrase}: redirect not followed ({location})")
    if status == HTTPStatus.GONE:
        return WebhookResult(status, phrase, gone=True)
    retry_after = None
    if status in {HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE}:
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
    return WebhookResult(status, phrase, retry_after)


class WebhookSender:
    """POSTs signed CloudEvents; one client (and connection pool) per process."""

    def __init__(self, policy: AddressPolicy, timeout: float = 15.0) -> None:
        self._client = httpx.Client(
            transport=GuardedTransport(policy),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": "ceasefire-tracker-webhooks"},
        )

    def post(self, url: str, secrets: list[str], cloudevent: dict[str, Any]) -> WebhookResult:
        """Send one event; never raise for a delivery problem, return it."""
        body = json.dumps(cloudevent, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "content-type": CONTENT_TYPE,
            "webhook-id": str(cloudevent["id"]),
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(secrets, str(cloudevent["id"]), timestamp, body),
        }
        try:
            response = self._client.post(url, content=body, headers=headers)
        except AddressRefused as exc:
            return WebhookResult(None, exc.reason)
        except httpx.TimeoutException:
            return WebhookResult(None, "no response within the timeout")
        except httpx.HTTPError as exc:
            return WebhookResult(None, f"{type(exc).__name__}: {exc or 'connection failed'}")
        return _outcome(response)

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()
