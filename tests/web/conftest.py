"""The desk served for real: uvicorn on a free port of 127.0.0.1, on the test database."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn

from tracker.bootstrap import Tracker, utcnow
from tracker.services import accounts
from tracker.web.app import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Desk:
    """A running desk: its base URL, the tracker behind it, and helpers to make accounts."""

    tracker: Tracker
    url: str
    clients: list[httpx.Client] = field(default_factory=list)

    def _client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        client = httpx.Client(base_url=self.url, headers=headers, timeout=10, trust_env=False)
        self.clients.append(client)  # closed when the test ends
        return client

    def token(self, role: str, name: str | None = None) -> str:
        with self.tracker.db.unit_of_work() as uow:
            _, token = accounts.create_token(uow, role, name, utcnow())
            uow.commit()
        return token

    def user(self, username: str, role: str, password: str = "correct horse battery") -> str:
        with self.tracker.db.unit_of_work() as uow:
            accounts.add_user(uow, username, password, role, utcnow())
            uow.commit()
        return password

    def client(self, role: str | None = None) -> httpx.Client:
        """An HTTP client; with a role, it carries a bearer token of that role."""
        headers = {"Authorization": f"Bearer {self.token(role)}"} if role else {}
        return self._client(headers)

    def login(self, username: str, password: str = "correct horse battery") -> httpx.Client:
        """A client logged in through the form, as a browser would be (cookie, CSRF token)."""
        client = self._client()
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 303, response.text
        return client


@pytest.fixture
def desk(make_tracker) -> Iterator[Desk]:
    """The web app served by uvicorn in a thread, on a free port, on the test database."""
    tracker = make_tracker(backlog_max_age=0)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(tracker), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the desk did not start"
        time.sleep(0.05)
    running = Desk(tracker, f"http://127.0.0.1:{port}")
    yield running
    for client in running.clients:
        client.close()
    server.should_exit = True
    thread.join(10)
