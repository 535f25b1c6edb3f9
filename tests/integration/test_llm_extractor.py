"""The optional model extractor against a local OpenAI-compatible server: what it sends, what it keeps."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tracker.config.loader import load_config
from tracker.domain.extraction.document import Document
from tracker.domain.extraction.extractor import RuleExtractor
from tracker.llm.chat_extractor import (
    ChatExtractor,
    ChatSettings,
    ExtractionUnavailable,
    FallbackExtractor,
)

ROOT = Path(__file__).resolve().parents[2]
TEXT = "Putin said he is open to a 30-day truce. The Kremlin leader rejected sanctions relief talk."


class ChatServer:
    """Answers /v1/chat/completions with `reply` (a JSON text, or a status), recording requests."""

    def __init__(self) -> None:
        self.reply: object = {}
        self.status = 200
        self.requests: list[tuple[dict[str, str], dict[str, object]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((dict(self.headers.items()), body))
                reply = outer.reply() if callable(outer.reply) else outer.reply
                content = reply if isinstance(reply, str) else json.dumps(reply)
                data = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": content}}]}
                ).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def server():
    chat = ChatServer()
    yield chat
    chat.httpd.shutdown()
    chat.httpd.server_close()


@pytest.fixture
def vocab():
    return load_config(ROOT / "config").vocabularies["ukraine-ceasefire"]


def _extractor(vocab, server, **kwargs):
    client = httpx.Client(timeout=5)
    return ChatExtractor(
        vocab, ChatSettings(server.url, "test-model", "sk-test-key", 5), client=client
    )


def test_the_request_names_the_vocabulary_the_model_and_the_key(vocab, server):
    """The model is asked with the topic's actors, issues and facts, in JSON mode, authenticated."""
    _extractor(vocab, server).extract(Document(id="d", text=TEXT, speaker="Reuters"))
    headers, body = server.requests[0]
    assert headers["Authorization"] == "Bearer sk-test-key"
    assert body["model"] == "test-model"
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]["content"]
    assert "putin: Vladimir Putin" in system
    assert "energy_strikes_halt" in system
    assert "ceasefire.scope" in system
    assert TEXT in body["messages"][1]["content"]


def test_answers_are_held_to_the_vocabulary_and_the_text(vocab, server):
    """Known claims are kept with their evidence located; unknown actors, stances and keys are dropped."""
    server.reply = {
        "positions": [
            {
                "actor": "putin",
                "issue": "ceasefire",
                "stance": "supports",
                "evidence": "Putin said he is open to a 30-day truce.",
            },
            {"actor": "lukashenko", "issue": "ceasefire", "stance": "supports", "evidence": "x"},
            {"actor": "putin", "issue": "sanctions_relief", "stance": "maybe", "evidence": "x"},
            {
                "actor": "putin",
                "issue": "sanctions_relief",
                "stance": "opposes",
                "evidence": "not in the text",
            },
        ],
        "facts": [
            {"key": "ceasefire.duration_days", "value": "30", "evidence": "a 30-day truce"},
            {"key": "ceasefire.scope", "value": "partial", "evidence": "x"},
            {"key": "casualties.unknown", "value": 5},
        ],
    }
    extraction = _extractor(vocab, server).extract(Document(id="d", text=TEXT))
    # the sanctions claim quotes words the text does not hold: invented, so dropped
    assert [p.key for p in extraction.positions] == [("putin", "ceasefire", "supports")]
    (first,) = extraction.positions
    assert (
        TEXT[first.evidence.start : first.evidence.end]
        == "Putin said he is open to a 30-day truce."
    )
    assert [(f.key, f.value) for f in extraction.facts] == [("ceasefire.duration_days", 30)]


@pytest.mark.parametrize(("status", "reply"), [(500, {}), (200, "not json"), (200, "[1, 2]")])
def test_an_unusable_answer_is_unavailable_and_the_rules_take_over(vocab, server, status, reply):
    """A server error or a non-JSON answer raises ExtractionUnavailable; the fallback reads with rules."""
    server.status, server.reply = status, reply
    chat = _extractor(vocab, server)
    with pytest.raises(ExtractionUnavailable):
        chat.extract(Document(id="d", text=TEXT))
    extraction = FallbackExtractor(chat, RuleExtractor(vocab)).extract(Document(id="d", text=TEXT))
    assert ("putin", "ceasefire", "supports") in [p.key for p in extraction.positions]


def test_an_unreachable_server_is_unavailable(vocab):
    """Nothing listening: unavailable, not a crash."""
    chat = ChatExtractor(
        vocab, ChatSettings("http://127.0.0.1:9/v1", "m"), client=httpx.Client(timeout=2)
    )
    with pytest.raises(ExtractionUnavailable, match="ConnectError"):
        chat.extract(Document(id="d", text=TEXT))


def test_malformed_values_are_dropped_not_raised(vocab, server):
    """NaN, overflowing numbers, impossible dates and a non-list of conditions: each claim is
    dropped or cleaned, and the rest of the answer is kept."""
    quote = "Putin said he is open to a 30-day truce."
    server.reply = {
        "positions": [
            {
                "actor": "putin",
                "issue": "ceasefire",
                "stance": "conditional",
                "conditions": "not a list",
                "evidence": quote,
            }
        ],
        "facts": [
            {"key": "ceasefire.duration_days", "value": "nan", "evidence": quote},
            {"key": "ceasefire.duration_days", "value": "1e999", "evidence": quote},
            {"key": "call.date", "value": "2025-13-45", "evidence": quote},
            {"key": "call.date", "value": "yesterday!", "evidence": quote},
            {"key": "call.date", "value": "2025-03-18", "evidence": quote},
        ],
    }
    extraction = _extractor(vocab, server).extract(Document(id="d", text=TEXT))
    (position,) = extraction.positions
    assert (position.stance.value, position.conditions) == ("conditional", ())
    assert [(f.key, f.value) for f in extraction.facts] == [("call.date", "2025-03-18")]


def test_an_extractor_bug_falls_back_to_the_rules(vocab):
    """Whatever the model extractor raises, the fallback still reads the document."""

    class Broken:
        def extract(self, document):
            raise TypeError("a bug")

    extraction = FallbackExtractor(Broken(), RuleExtractor(vocab)).extract(
        Document(id="d", text=TEXT)
    )
    assert ("putin", "ceasefire", "supports") in [p.key for p in extraction.positions]


def test_the_poll_asks_the_model_before_its_transaction_and_applies_the_answer(
    vocab, server, config_dir, feeds, make_tracker
):
    """The model is asked while no transaction holds the source or the topic (another writer
    gets through at once), and its reading, not the rules', becomes the state."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from tests.integration.helpers import events, run_once
    from tests.servers import item, rss
    from tracker.storage.models import SourceRow

    quote = "Putin said he is open to a truce in the Black Sea."
    config_dir.sources([config_dir.feed("a", feeds.url("/a.xml"))])
    feeds.set("/a.xml", rss())
    tracker = make_tracker(
        backlog_max_age=0, extractor="llm", llm_url=server.url, llm_model="test-model"
    )
    run_once(tracker)  # the first poll: nothing yet
    probes: list[bool] = []

    def probe() -> None:  # a second writer: the source row and the topic lock
        with tracker.db.unit_of_work() as uow:
            uow.state.lock_topics(["ukraine-ceasefire"])
            uow.session.execute(
                update(SourceRow).where(SourceRow.id == "a").values(updated_at=datetime.now(UTC))
            )

    def reply_after_probe() -> dict[str, object]:
        worker = threading.Thread(target=probe, daemon=True)
        worker.start()
        worker.join(3)
        probes.append(not worker.is_alive())
        return {
            "positions": [
                {
                    "actor": "putin",
                    "issue": "black_sea_ceasefire",
                    "stance": "supports",
                    "evidence": quote,
                }
            ],
            "facts": [],
        }

    server.reply = reply_after_probe
    feeds.set("/a.xml", rss(item("a1", "Putin on a truce", quote)))
    run_once(tracker)
    assert probes == [True]
    (new,) = events(tracker, "position.new")
    assert (new.data["actor"]["id"], new.data["issue"]["id"]) == ("putin", "black_sea_ceasefire")
    assert new.data["evidence"]["sentence"] == quote
