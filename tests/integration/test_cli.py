"""The `tracker` command as a user's script drives it: real processes, real servers, both databases."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.integration.helpers import PUTIN, WEATHER, alias_bomb, json_channel
from tests.servers import item, rss

TRACKER = str(Path(sys.executable).parent / "tracker")


def test_help_lists_the_commands(cli):
    """`tracker --help` names every command of the contract."""
    out = cli("--help").stdout
    for command in ("init", "run", "poll", "sources", "events", "check-config", "deliveries"):
        assert command in out


def test_init_is_idempotent(cli, config_dir, feeds):
    """`tracker init` loads the sources; running it again changes nothing."""
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    first = cli("init").stdout
    assert "sources: 1 configured (1 added" in first
    again = cli("init").stdout
    assert "database: up to date (schema " in again
    assert "(0 added, 0 updated, 0 disabled)" in again


def test_commands_refuse_an_uninitialised_sqlite_database(cli, database_url, tmp_path):
    """Before `tracker init`, polling says what to do instead of failing obscurely."""
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = cli("poll", "--once", expect=2, TRACKER_DATABASE_URL=fresh)
    assert "not initialised: run `tracker init`" in result.stderr


def test_poll_once_alerts_and_lists(cli, config_dir, feeds, receiver):
    """Poll once: the relevant item alerts, events list prints CloudEvents, sources list shows health."""
    feeds.set(
        "/wire.xml",
        rss(item("g1", "Putin agrees to energy halt", PUTIN), item("g2", "Paris weather", WEATHER)),
    )
    config_dir.sources(
        [
            config_dir.feed("wire", feeds.url("/wire.xml")),
            config_dir.feed("gone", feeds.url("/gone.xml")),
        ]
    )
    config_dir.alerts(
        channels=[json_channel(receiver.address)],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
    )
    cli("init")

    out = cli("poll", "--once").stdout
    assert "polled 2 source(s): 1 ok, 1 with errors; 4 new event(s); 1 alert(s) sent" in out
    assert [m["title"] for m in receiver.messages()] == [
        "New statement: Putin agrees to energy halt"
    ]

    lines = cli("events", "list", "--json").stdout.strip().splitlines()
    listed = [json.loads(line) for line in lines]
    assert sorted(e["type"] for e in listed) == [
        "fact.new",
        "fact.new",
        "position.new",
        "statement.new",
    ]
    assert all(e["specversion"] == "1.0" and e["id"] and e["time"] for e in listed)
    (event,) = [e for e in listed if e["type"] == "statement.new"]
    assert event["specversion"] == "1.0"
    assert event["type"] == "statement.new"
    assert event["source"] == "/sources/wire"
    assert event["data"]["statement"]["title"] == "Putin agrees to energy halt"

    table = cli("events", "list").stdout
    assert "statement.new" in table
    assert "Putin agrees to energy halt" in table

    sources = {line.split()[0]: line for line in cli("sources", "list").stdout.splitlines()[1:]}
    assert "HTTP 404 Not Found" in sources["gone"]
    assert "error (1)" in sources["gone"]
    assert "ok" in sources["wire"]
    assert "error" not in sources["wire"].lower()

    only = cli("poll", "--once", "--source", "wire").stdout
    assert only.startswith("polled 1 source(s)")


def test_unknown_source_is_refused(cli, config_dir, feeds):
    """`--source` with an id not in the config exits 2 and names it."""
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    cli("init")
    assert "unknown source(s): nope" in cli("poll", "--once", "--source", "nope", expect=2).stderr


def test_poll_without_once_explains(cli):
    """`tracker poll` alone points to --once and to tracker run."""
    cli("init")
    assert "tracker poll --once" in cli("poll", expect=2).stderr


def test_check_config_reports_located_errors(cli, config_dir):
    """check-config exits 1 and prints file:line: field: message for every problem."""
    assert cli("check-config").stdout.startswith("ok: 0 sources, 1 topics")
    (config_dir.path / "sources.yaml").write_text(
        "sources:\n  - id: wire\n    kind: feed\n    url: http://e.org/f\n    interval: soon\n    topics: [ukraine-ceasefire]\n"
    )
    result = cli("check-config", expect=1)
    assert (
        f"{config_dir.path}/sources.yaml:5: sources[0].interval: not a duration: 'soon'"
        in result.stderr
    )
    assert "1 problem(s)" in result.stderr


def test_invalid_config_stops_commands_with_the_location(cli, config_dir):
    """Every command refuses an invalid configuration and says where the error is."""
    (config_dir.path / "alerts.yaml").write_text("routes: [{channels: [nowhere]}]\n")
    result = cli("init", expect=2)
    assert "alerts.yaml:1: routes[0].channels[0]: unknown channel 'nowhere'" in result.stderr


def test_invalid_settings_name_the_variable(cli):
    """A bad environment variable is named, and nothing starts."""
    result = cli("init", expect=2, TRACKER_DATABASE_URL="mysql://x/y")
    assert "TRACKER_DATABASE_URL: unsupported database URL scheme 'mysql'" in result.stderr


def test_deliveries_list_shows_failures(cli, config_dir, feeds):
    """A delivery that could not be sent shows with its error under --failed."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    config_dir.alerts(
        channels=[{"id": "down", "url": "json://127.0.0.1:9/x"}],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["down"]}],
    )
    cli("init")
    assert "0 alert(s) sent, 1 not sent (will retry)" in cli("poll", "--once").stdout
    failed = cli("deliveries", "list", "--failed").stdout
    assert "channel:down" in failed
    assert "pending" in failed
    assert "Connection error" in failed
    (row,) = [json.loads(line) for line in cli("deliveries", "list", "--json").stdout.splitlines()]
    assert (row["status"], row["attempts"], row["event_type"]) == ("pending", 1, "statement.new")


def test_secrets_never_reach_any_output(cli, config_dir, feeds):
    """Tokens in a channel URL, a source URL and a source header appear in no output or log line."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources(
        [
            config_dir.feed(
                "wire",
                feeds.url("/wire.xml") + "?apikey=SEKRETKEY1",
                headers={"X-Token": "SEKRETHDR2"},
            ),
            config_dir.feed("gone", feeds.url("/gone.xml") + "?token=SEKRETKEY3"),
        ]
    )
    config_dir.alerts(
        channels=[{"id": "desk", "url": "json://user:SEKRETPASS4@127.0.0.1:9/x"}],
        routes=[{"match": {"types": ["statement.*"]}, "channels": ["desk"]}],
    )
    outputs = [
        cli("init"),
        cli("poll", "--once", TRACKER_LOG_LEVEL="DEBUG"),
        cli("sources", "list"),
        cli("sources", "list", "--json"),
        cli("events", "list", "--json"),
        cli("deliveries", "list"),
        cli("poll", "--once", TRACKER_LOG_FORMAT="json", TRACKER_LOG_LEVEL="DEBUG"),
    ]
    text = "".join(o.stdout + o.stderr for o in outputs)
    assert "apikey=***" in text  # the URL is shown, redacted
    for secret in ("SEKRETKEY1", "SEKRETHDR2", "SEKRETKEY3", "SEKRETPASS4"):
        assert secret not in text
    assert any(h.get("X-Token") == "SEKRETHDR2" for p, h in feeds.requests if p == "/wire.xml")


CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_extract_prints_claims_with_evidence_as_json(cli):
    """`tracker extract FILE --json` prints the SCHEMA format: positions and facts with evidence."""
    doc = CORPUS / "docs" / "2025-03-13_putin_press_conference_ceasefire_conditions.txt"
    out = json.loads(cli("extract", str(doc), "--json").stdout)
    (position,) = out["positions"]
    assert {k: position[k] for k in ("actor", "issue", "stance")} == {
        "actor": "putin",
        "issue": "ceasefire",
        "stance": "conditional",
    }
    assert isinstance(position["conditions"], list)
    evidence = position["evidence"]
    assert evidence["sentence"]
    assert 0 <= evidence["start"] < evidence["end"]
    assert [(f["key"], f["value"]) for f in out["facts"]] == [("ceasefire.duration_days", 30)]
    table = cli("extract", str(doc)).stdout
    assert "putin" in table
    assert "conditional" in table
    assert "ceasefire.duration_days" in table


def test_extract_reads_plain_text_and_refuses_a_missing_file(cli, tmp_path):
    """Plain text without the header works; a missing file is a clear error."""
    plain = tmp_path / "note.txt"
    plain.write_text("Zelenskiy rejected any territorial concessions.")
    out = json.loads(cli("extract", str(plain), "--json").stdout)
    assert [(p["actor"], p["issue"], p["stance"]) for p in out["positions"]] == [
        ("zelenskiy", "territorial_concessions", "opposes")
    ]
    assert "cannot read" in cli("extract", str(tmp_path / "missing.txt"), expect=2).stderr


def test_eval_scores_the_corpus_and_can_gate_on_a_floor(cli):
    """`tracker eval DIR ANNOTATIONS` prints per-document and overall scores; --fail-under gates."""
    args = ("eval", str(CORPUS / "docs"), str(CORPUS / "annotations" / "2025-spring.yaml"))
    out = cli(*args).stdout
    assert "seed-article.txt" in out
    assert "overall" in out
    scores = json.loads(cli(*args, "--json").stdout)
    assert scores["positions"]["f1"] >= 0.7
    assert scores["facts"]["f1"] >= 0.7
    cli(*args, "--fail-under", "0.999", expect=1)
    assert "No such file" in cli("eval", str(CORPUS), str(CORPUS / "nope.yaml"), expect=2).stderr


def test_eval_holds_apart_the_sealed_batches_it_is_told_of(cli):
    """`--sealed FILE` reports the studied documents apart from the sealed, held-apart ones;
    a file that is not there is a one-line error."""
    args = ("eval", str(CORPUS / "docs"), str(CORPUS / "annotations"), "--cut", "2025-12-01")
    splits = json.loads(cli(*args, "--sealed", "2026-sealed.yaml", "--json").stdout)["splits"]
    studied = next(v for k, v in splits.items() if k.startswith("studied"))
    held = next(v for k, v in splits.items() if k.startswith("held apart by time"))
    assert held["documents"] == 41
    assert studied["documents"] > 0
    plain = json.loads(cli(*args, "--json").stdout)["splits"]
    later = next(v for k, v in plain.items() if k.startswith("held apart by time"))
    assert later["documents"] == held["documents"] + studied["documents"]
    error = cli(*args, "--sealed", "nope.yaml", expect=2).stderr
    assert error.strip().startswith("error: --sealed: no annotation file 'nope.yaml'")


def test_state_shows_positions_and_facts_with_sources(cli, config_dir, feeds):
    """After a poll, `tracker state` lists each position and fact with the sources behind it."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    cli("init")
    cli("poll", "--once")
    table = cli("state").stdout
    assert "putin" in table
    assert "energy_strikes_halt" in table
    assert "supports" in table
    assert "wire" in table
    data = json.loads(cli("state", "--json").stdout)
    (position,) = data["positions"]
    assert (position["actor"], position["issue"], position["stance"], position["sources"]) == (
        "putin",
        "energy_strikes_halt",
        "supports",
        ["wire"],
    )
    assert sorted((f["key"], f["value"]) for f in data["facts"]) == [
        ("ceasefire.duration_days", 30),
        ("ceasefire.scope", "energy_infrastructure"),
    ]


def _secret(output: str) -> str:
    return next(
        line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("secret: ")
    )


def test_webhooks_add_rotate_disable_and_replay(cli, config_dir, feeds, receiver):
    """A CLI endpoint gets signed events; rotation signs with both secrets; replay resends the same ids."""
    from standardwebhooks.webhooks import Webhook

    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    cli("init")
    added = cli(
        "webhooks",
        "add",
        f"http://{receiver.address}/hook",
        "--types",
        "statement.*",
        "--id",
        "desk",
    ).stdout
    first = _secret(added)
    assert first.startswith("whsec_")
    listed = cli("webhooks", "list").stdout
    assert "desk" in listed
    assert first not in listed
    cli("poll", "--once")
    (request,) = receiver.received
    headers = {k.lower(): v for k, v in request["headers"].items()}
    Webhook(first).verify(request["body"], headers)

    second = _secret(cli("webhooks", "rotate-secret", "desk").stdout)
    assert "1 event(s) queued" in cli("webhooks", "replay", "desk", "--since", "1h").stdout
    cli("poll", "--once")
    replayed = {k.lower(): v for k, v in receiver.received[-1]["headers"].items()}
    assert replayed["webhook-id"] == headers["webhook-id"]  # the same id: consumers dedupe
    assert len(replayed["webhook-signature"].split(" ")) == 2  # signed with both during rotation
    Webhook(second).verify(receiver.received[-1]["body"], replayed)
    Webhook(first).verify(receiver.received[-1]["body"], replayed)

    cli("webhooks", "disable", "desk")
    assert "disabled" in cli("webhooks", "replay", "desk", "--since", "1h", expect=2).stderr
    assert "no webhook endpoint 'nope'" in cli("webhooks", "disable", "nope", expect=2).stderr
    assert (
        "match no event type"
        in cli("webhooks", "add", "http://e.org/h", "--types", "bogus.*", expect=2).stderr
    )


def test_channels_test_sends_and_reports_each_target(cli, config_dir, receiver):
    """`tracker channels test` sends one message per target now and says how each went."""
    config_dir.alerts(
        channels=[json_channel(receiver.address), {"id": "down", "url": "json://127.0.0.1:9/x"}],
        routes=[],
    )
    cli("init")
    assert "channel:desk: sent" in cli("channels", "test", "desk").stdout
    assert receiver.messages()[0]["title"] == "Test: desk"
    assert "channel:down: failed" in cli("channels", "test", "down", expect=1).stdout
    assert "no channel 'nope'" in cli("channels", "test", "nope", expect=2).stderr
    listed = cli("channels", "list").stdout
    assert "channel:desk" in listed
    assert "127.0.0.1" not in listed


BAD_DOCUMENTS = [
    # (what, file bytes, exit code, what the user reads, claims read)
    ("empty", b"", 0, "note: the document has no text", 0),
    ("binary", bytes(range(256)) * 64, 2, "binary data, not a text document", None),
    (
        "unknown script",
        "特朗普与普京通电话，讨论乌克兰停火问题。".encode() * 20,
        0,
        "CJK script",
        0,
    ),
    ("Windows-1251", "Путин согласился. Putin agreed to a ceasefire.".encode("cp1251"), 0, "", 1),
    ("Latin-1", "Putin agreed to a ceasefire. Caf\xe9".encode("latin-1"), 0, "", 1),
    (
        "raw HTML",
        (
            b"<html><head><script>var putin=1;</script></head><body><p>Putin agreed to a "
            b"<b>ceasefire</b>.</p></body></html>"
        ),
        0,
        "",
        1,
    ),
    ("5 MB", b"Putin agreed to a ceasefire. " + b"filler words " * 420_000, 0, "first 100,000", 1),
]


@pytest.mark.parametrize(
    ("what", "body", "code", "message", "claims"), BAD_DOCUMENTS, ids=[b[0] for b in BAD_DOCUMENTS]
)
def test_extract_gives_each_bad_document_a_clear_result(
    cli, tmp_path, what, body, code, message, claims
):
    """Empty, binary, foreign-script, mislabelled, HTML and huge documents get a clear result
    (claims, or a note or an error saying why there are none), never a traceback."""
    path = tmp_path / "statement.txt"
    path.write_bytes(body)
    result = cli("extract", str(path), expect=code)
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    if claims is not None:
        out = json.loads(cli("extract", str(path), "--json").stdout)
        assert len(out["positions"]) == claims, out
        assert all("<" not in p["evidence"]["sentence"] for p in out["positions"])


def test_events_list_pages_and_says_when_more_remain(cli, config_dir, feeds):
    """`events list --limit N` shows the newest N and names the option for the rest; paging
    back with --before, or forward from --after 0, shows every event exactly once."""
    feeds.set("/wire.xml", rss(item("g1", "Putin agrees to energy halt", PUTIN)))
    config_dir.sources([config_dir.feed("wire", feeds.url("/wire.xml"))])
    cli("init")
    cli("poll", "--once")
    everything = cli("events", "list").stdout.splitlines()[1:]
    assert len(everything) == 4
    assert "next page" not in cli("events", "list").stdout

    def numbers(out: str) -> list[int]:
        rows = [line for line in out.splitlines()[1:] if "next page" not in line]
        return [int(line.split()[0]) for line in rows]

    newest = cli("events", "list", "--limit", "3").stdout
    first = numbers(newest)
    assert len(first) == 3
    assert newest.splitlines()[-1] == f"3 of 4 shown (1 earlier); next page: --before {first[0]}"
    older = cli("events", "list", "--limit", "3", "--before", str(first[0])).stdout
    assert "next page" not in older
    assert sorted(numbers(older) + first) == numbers(cli("events", "list").stdout)

    forward = cli("events", "list", "--after", "0", "--limit", "3").stdout
    page = numbers(forward)
    assert forward.splitlines()[-1] == f"3 of 4 shown (1 later); next page: --after {page[-1]}"
    rest = numbers(cli("events", "list", "--after", str(page[-1])).stdout)
    assert page + rest == numbers(cli("events", "list").stdout)

    facts = cli("events", "list", "--type", "fact.new", "--limit", "1").stdout
    (fact,) = numbers(facts)
    assert facts.splitlines()[-1] == (
        f"1 of 2 shown (1 earlier); next page: --before {fact} with the same --type/--status"
    )

    as_json = cli("events", "list", "--json", "--limit", "3")
    assert [json.loads(line)["specversion"] for line in as_json.stdout.splitlines()] == ["1.0"] * 3
    assert "3 of 4 shown (1 earlier); next page: --before" in as_json.stderr


def test_help_names_option_values_not_python_types(cli):
    """Flags show no `<bool>`, options show their value's name, not `<list[str]>`; the
    worker `tracker web --help` points to exists."""
    for command in (["poll"], ["events", "list"], ["deliveries", "list"], ["web"], ["worker"]):
        out = cli(*command, "--help").stdout
        assert "<bool>" not in out
        assert "<list[str]>" not in out
        assert "<int" not in out
    poll = cli("poll", "--help").stdout
    assert "--once  " in poll
    assert "--source SOURCE" in poll
    assert "`tracker worker`" in cli("web", "--help").stdout
    assert "Run a Celery worker" in cli("worker", "--help").stdout
    assert "Run the Celery beat scheduler" in cli("beat", "--help").stdout


def test_check_config_refuses_an_unknown_apprise_scheme(cli, config_dir):
    """`slakc://` fails check-config with file:line, field and the scheme meant, and no token."""
    (config_dir.path / "alerts.yaml").write_text(
        "channels:\n  - id: desk\n    url: slakc://T0AB/B0CD/s3cr3tt0k3n\n"
    )
    result = cli("check-config", expect=1)
    assert (
        f"{config_dir.path}/alerts.yaml:3: channels[0].url: unknown apprise scheme 'slakc': "
        "did you mean slack://?"
    ) in result.stderr
    assert "s3cr3tt0k3n" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_says_plainly_what_is_wrong_with_a_file(cli, config_dir):
    """An empty sources.yaml warns; alerts.yaml as a directory and an alias bomb are errors
    with the file (and line), never a traceback."""
    (config_dir.path / "sources.yaml").write_text("")
    result = cli("check-config")
    assert f"warning: {config_dir.path}/sources.yaml: empty; no sources will be polled" in (
        result.stderr
    )
    (config_dir.path / "alerts.yaml").unlink()
    (config_dir.path / "alerts.yaml").mkdir()
    (config_dir.path / "sources.yaml").write_text(alias_bomb())
    result = cli("check-config", expect=1)
    assert f"{config_dir.path}/alerts.yaml: is a directory, not a YAML file" in result.stderr
    assert (
        f"{config_dir.path}/sources.yaml:7: aliases expand to more than 1,000,000 values"
        in result.stderr
    )
    assert "2 problem(s)" in result.stderr
    assert "Traceback" not in result.stderr


DB_COMMANDS = [
    ["init"],
    ["poll", "--once"],
    ["events", "list"],
    ["web"],
    ["worker"],
    ["beat"],
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("command", DB_COMMANDS, ids=" ".join)
def test_a_sqlite_path_under_a_file_is_a_clear_error(cli, tmp_path, command):
    """Every command that opens the database names the variable and the file in the way."""
    (tmp_path / "plain").write_text("not a directory\n")
    url = f"sqlite:///{tmp_path}/plain/tracker.db"
    result = cli(*command, expect=2, TRACKER_DATABASE_URL=url)
    assert (
        f"TRACKER_DATABASE_URL: cannot use the SQLite file {tmp_path}/plain/tracker.db: "
        f"{tmp_path}/plain is a file, not a directory"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert "Error" not in result.stderr


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_impossible_database_and_data_paths_are_clear_errors(cli, tmp_path):
    """A directory as the database file, a path no one can create, and a data directory
    under a file: each one line naming the variable, no traceback."""
    cases = {
        f"sqlite:///{tmp_path}": f"cannot use the SQLite file {tmp_path}: it is a directory",
        "sqlite:////proc/self/nope/tracker.db": "/proc/self is not writable",
    }
    for url, message in cases.items():
        result = cli("init", expect=2, TRACKER_DATABASE_URL=url)
        assert f"TRACKER_DATABASE_URL: {message}" in result.stderr or message in result.stderr
        assert "Traceback" not in result.stderr
    (tmp_path / "plain").write_text("")
    result = cli("events", "list", expect=2, TRACKER_DATA_DIR=str(tmp_path / "plain" / "var"))
    assert (
        f"TRACKER_DATA_DIR: cannot use {tmp_path}/plain/var: {tmp_path}/plain is a file, "
        "not a directory"
    ) in result.stderr
    assert "Traceback" not in result.stderr
