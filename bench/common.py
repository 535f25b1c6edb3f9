"""Shared pieces of the benchmarks: a static feed server (nginx), databases, worker processes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate
from pathlib import Path

import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "TRACKER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379")
RELEVANT = (
    "Russian President Vladimir Putin agreed in a call with Donald Trump to a 30-day halt on "
    "strikes against Ukraine's energy infrastructure, the Kremlin said."
)
FILLER = "The ministry published its weekly report on regional infrastructure and trade. " * 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_feed(path: Path, index: int, generation: int, items: int = 10) -> None:
    """An RSS feed of `items` items; one in ten is about the topic; `generation` changes one item."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
        f"<title>Feed {index}</title><link>http://example.org/{index}</link><description>d</description>",
    ]
    for j in range(items):
        text_ = RELEVANT if (index + j) % 10 == 0 else FILLER
        if j == 0:
            text_ += f" Update {generation}."
        parts.append(
            f"<item><title>Item {index}-{j}</title><guid>urn:{index}:{j}</guid>"
            f"<link>http://example.org/{index}/{j}</link>"
            f"<pubDate>{formatdate(1742300000 + j * 60, usegmt=True)}</pubDate>"
            f"<description>{text_}</description></item>"
        )
    parts.append("</channel></rss>")
    path.write_text("\n".join(parts))


def ensure_nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "nginx-light"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
    )
    return "/usr/sbin/nginx"


@contextmanager
def nginx(root: Path) -> Iterator[str]:
    """Serve `root` with nginx on a free port (static files: real ETags and 304s)."""
    binary, port = ensure_nginx(), free_port()
    prefix = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
daemon off;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  default_type application/rss+xml;
  types {{ text/html html; }}
  keepalive_requests 100000;
  # A 304 when the file is no newer than If-Modified-Since (RFC 9110), not only when the dates
  # are equal (nginx's default, `exact`): urlwatch sends the time of its last check.
  if_modified_since before;
  client_body_temp_path {prefix}; proxy_temp_path {prefix}; fastcgi_temp_path {prefix};
  uwsgi_temp_path {prefix}; scgi_temp_path {prefix};
  server {{ listen 127.0.0.1:{port} backlog=4096; root {root}; etag on; }}
}}
""")
    proc = subprocess.Popen([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")])
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(prefix, ignore_errors=True)


@contextmanager
def postgres_database(name: str | None = None) -> Iterator[str]:
    """Create a fresh PostgreSQL database, yield its URL, and drop it (even if still in use)."""
    name = name or f"tracker_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def write_config(
    config_dir: Path, base_url: str, count: int, *, kind: str = "feed", path: str = "f{i}.xml"
) -> None:
    """Write a configuration of `count` sources of one kind, at `base_url`/`path` (`{i}`: the
    source's number), all about the topic."""
    (config_dir / "topics").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "config" / "topics" / "ukraine-ceasefire.yaml", config_dir / "topics")
    sources = [
        {
            "id": f"s{i:05d}",
            "kind": kind,
            "url": f"{base_url}/{path.format(i=i)}",
            "interval": 3600,
            "topics": ["ukraine-ceasefire"],
        }
        for i in range(count)
    ]
    # Every feed is on one host here (nginx on 127.0.0.1); the default politeness (4 requests
    # in flight, 2 a second per host) is for the real web, so this host is let go full speed.
    local = {"rate": 100_000, "burst": 100_000, "concurrency": 10_000}
    (config_dir / "sources.yaml").write_text(
        yaml.safe_dump({"politeness": {"hosts": {"127.0.0.1": local}}, "sources": sources})
    )
    (config_dir / "alerts.yaml").write_text("channels: []\nroutes: []\n")


def urlwatch_argv(binary: Path, here: Path, urls: list[str]) -> list[str]:
    """Write urlwatch's job list (one job a URL) and empty hooks under `here`; return the
    command that runs it with its config and cache there too."""
    here.mkdir()
    jobs = "\n---\n".join(f'name: "j{i}"\nurl: "{url}"' for i, url in enumerate(urls))
    (here / "urls.yaml").write_text(jobs + "\n")
    (here / "hooks.py").write_text("")
    return [
        str(binary),
        "--urls", str(here / "urls.yaml"),
        "--config", str(here / "urlwatch.yaml"),
        "--hooks", str(here / "hooks.py"),
        "--cache", str(here / "cache.db"),
    ]  # fmt: skip


def tracker_cmd(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-c", "from tracker.cli import main; main()", *args],
        env=env,
        check=True,
        capture_output=True,
    )


def group_procs(pgid: int) -> list[Path]:
    """Return the /proc entries of the live processes of a process group."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == pgid:
                found.append(entry)
        except (OSError, ProcessLookupError):
            continue
    return found


def group_peak_rss_mb(pgid: int) -> list[float]:
    """Return the peak RSS (VmHWM) of every process in a process group, in MB."""
    peaks = []
    for entry in group_procs(pgid):
        try:
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peaks


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
