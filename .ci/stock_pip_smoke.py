"""Every source kind polls in an installed tracker: run by .ci/stock-pip.sh with the python of a
venv made by the interpreter's own pip from the lock, from outside the checkout.

A server on 127.0.0.1 serves a feed, a page, a JSON API and a Telegram channel; `tracker poll
--once` polls them on a fresh SQLite database; every source must end healthy, no error, and
the page's statement must be announced. The page, JSON and Telegram bodies are the unit tests'
(tests/unit/test_source_kinds.py), read as literals so this needs nothing but the installed
tracker. Exits non-zero with the reason on the first thing that is wrong.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Statements</title><link>http://127.0.0.1/</link>
<item><title>Kremlin: Russia agrees to a 30-day halt of strikes on energy infrastructure</title>
<link>http://127.0.0.1/news/1</link><guid>news-1</guid>
<pubDate>Tue, 18 Mar 2025 19:45:00 GMT</pubDate>
<description>Putin agreed to halt strikes on energy infrastructure for 30 days.</description></item>
</channel></rss>"""


def fixtures() -> dict[str, object]:
    """Return the unit tests' ARTICLE, TELEGRAM, GDELT and GDELT_OPTIONS literals."""
    module = ast.parse((ROOT / "tests" / "unit" / "test_source_kinds.py").read_text())
    wanted = {"ARTICLE", "TELEGRAM", "GDELT", "GDELT_OPTIONS"}
    found = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in module.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in wanted
    }
    if set(found) != wanted:
        sys.exit(f"tests/unit/test_source_kinds.py no longer defines {sorted(wanted - set(found))}")
    return found


def serve(bodies: dict[str, tuple[str, bytes]]) -> ThreadingHTTPServer:
    """Start a server on 127.0.0.1 answering each path with its (content type, body)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            content_type, body = bodies.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in bodies else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    found = fixtures()
    html = "text/html; charset=utf-8"
    server = serve(
        {
            "/feed.xml": ("application/rss+xml", FEED.encode()),
            "/statement.html": (html, str(found["ARTICLE"]).encode()),
            "/api.json": ("application/json", json.dumps(found["GDELT"]).encode()),
            "/s/V_Zelenskiy_official": (html, str(found["TELEGRAM"]).encode()),
        }
    )
    base = f"http://127.0.0.1:{server.server_address[1]}"
    topics = ["ukraine-ceasefire"]
    sources = [
        {"id": "feed", "kind": "feed", "url": f"{base}/feed.xml"},
        {"id": "page", "kind": "page", "url": f"{base}/statement.html"},
        {"id": "api", "kind": "json", "url": f"{base}/api.json", "extract": found["GDELT_OPTIONS"]},
        {"id": "tg", "kind": "telegram", "url": f"{base}/s/V_Zelenskiy_official"},
    ]
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config"
        shutil.copytree(ROOT / "config" / "topics", config / "topics")
        # JSON is YAML: the config needs no YAML writer here
        (config / "sources.yaml").write_text(
            json.dumps({"sources": [{**s, "interval": 60, "topics": topics} for s in sources]})
        )
        (config / "alerts.yaml").write_text(json.dumps({"channels": [], "routes": []}))
        env = {
            **os.environ,
            "TRACKER_CONFIG_DIR": str(config),
            "TRACKER_DATA_DIR": str(Path(tmp) / "var"),
            "TRACKER_DATABASE_URL": f"sqlite:///{tmp}/tracker.db",
            "TRACKER_ALLOWED_NETWORKS": "127.0.0.0/8",
            "TRACKER_BACKLOG_MAX_AGE": "0",
        }
        tracker = str(BIN / "tracker")
        for argv in ([tracker, "init"], [tracker, "poll", "--once"]):
            run = subprocess.run(
                argv, env=env, cwd=tmp, capture_output=True, text=True, check=False
            )
            if run.returncode:
                sys.exit(f"{' '.join(argv[1:])} failed ({run.returncode}):\n{run.stderr[-3000:]}")
            print(f"tracker {' '.join(argv[1:])}: {run.stdout.strip()[-300:]}")
        listed = _lines(tracker, ["sources", "list", "--json"], env, tmp)
        report({row["id"]: row for row in listed}, {s["id"] for s in sources})
        announced = {
            e["source"].rsplit("/", 1)[-1]
            for e in _lines(
                tracker, ["events", "list", "--json", "--type", "statement.new"], env, tmp
            )
        }
        if not {"page", "tg", "api"} <= announced:
            sys.exit(f"statements announced only from {sorted(announced)}")
        print(f"statement.new from {', '.join(sorted(announced))}")
    server.shutdown()


def _lines(tracker: str, argv: list[str], env: dict[str, str], cwd: str) -> list[dict[str, Any]]:
    """Return the JSON objects `tracker ARGV` prints, one a line."""
    run = subprocess.run(
        [tracker, *argv], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if run.returncode:
        sys.exit(f"tracker {' '.join(argv)} failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def report(by_id: dict[str, dict[str, Any]], expected: set[str]) -> None:
    """Exit with the sources that did not poll cleanly, or print that all did."""
    bad = {
        sid: (by_id.get(sid) or {}).get("last_error") or "never polled"
        for sid in sorted(expected)
        if (by_id.get(sid) or {}).get("status") != "ok" or not by_id[sid].get("last_success_at")
    }
    if bad:
        sys.exit(f"source kinds that failed in the stock-pip venv: {bad}")
    print(f"every source kind polled cleanly: {', '.join(sorted(expected))}")


if __name__ == "__main__":
    main()
