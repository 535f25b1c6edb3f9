"""The suite's own Redis and PostgreSQL: each on a free port of 127.0.0.1 with a data dir of its
own under a temp dir, started for a test run and stopped after it, so no test ever reaches a
server (or the data) of another program on the machine.

initdb and the postgres server refuse to run as root: as root, the cluster belongs to the
`postgres` system user (its commands run through runuser); as anyone else, to that user.
The cluster's superuser is named `postgres` either way, with trust auth on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar


def _pg_bin() -> Path:
    """Where initdb and pg_ctl are: TRACKER_TEST_PG_BIN, else Debian's newest PostgreSQL."""
    if named := os.environ.get("TRACKER_TEST_PG_BIN"):
        return Path(named)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
START_TIMEOUT = 30.0


_CLUSTER_OWNER = "postgres"  # the system user of Debian's PostgreSQL packages


def _give_to_cluster_owner(path: Path) -> None:
    """As root, hand a folder to the cluster's system user (root itself may still write it)."""
    if os.geteuid() != 0:
        return
    try:
        owner = pwd.getpwnam(_CLUSTER_OWNER)
    except KeyError:
        raise ServiceError(
            f"own postgresql: as root, initdb needs a {_CLUSTER_OWNER!r} system user to run as"
        ) from None
    os.chown(path, owner.pw_uid, owner.pw_gid)


class ServiceError(RuntimeError):
    """An own server would not start; the message says which and why, in one line."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path) -> str:
    """The line of a server's log that says why it stopped: its last error, else its last."""
    lines = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    errors = [line for line in lines if any(w in line for w in ("FATAL", "ERROR", "# "))]
    return (errors or lines or ["(no log)"])[-1].strip()


class OwnRedis:
    """A redis-server of the test run: no persistence, its files in its own folder."""

    def __init__(self, base: Path, port: int | None = None) -> None:
        self.dir = base / "redis"
        self.dir.mkdir()
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OwnRedis:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceError("own redis: redis-server is not installed (scripts/services.sh)")
        if answers(self.port):
            raise ServiceError(f"own redis: something already listens on port {self.port}")
        log = self.dir / "redis.log"
        argv = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.dir), "--logfile", str(log)]
        argv += ["--pidfile", str(self.dir / "redis.pid")]
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(self.port) or self._proc.poll() is not None:
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ServiceError(f"own redis on port {self.port} did not start: {_tail(log)}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


class OwnPostgres:
    """A PostgreSQL cluster of the test run (initdb, pg_ctl), tuned for speed over durability."""

    def __init__(self, base: Path, port: int | None = None) -> None:
        self.dir = base / "postgres"
        self.data = self.dir / "data"
        self.port = port or free_port()
        self.admin_url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._owner = _CLUSTER_OWNER if os.geteuid() == 0 else None

    def _run(self, *argv: str, log: Path | None = None) -> None:
        command = [str(PG_BIN / argv[0]), *argv[1:]]
        if self._owner is not None:
            command = ["runuser", "-u", self._owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip().splitlines() or ["(no output)"]
            last = _tail(log) if log is not None else why[-1]
            raise ServiceError(f"own postgresql on port {self.port}: {argv[0]} failed: {last}")

    def start(self) -> OwnPostgres:
        if not (PG_BIN / "initdb").exists():
            raise ServiceError(f"own postgresql: no initdb in {PG_BIN} (scripts/services.sh)")
        self.dir.mkdir()
        _give_to_cluster_owner(self.dir)
        # -N: no fsync of the fresh files; the cluster lives as long as the run
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-N",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-p {self.port}",
                f"-c unix_socket_directories={self.dir}",
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        log = self.dir / "postgres.log"
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, "-w", "start", log=log
        )
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


_BASE_PREFIX = "tracker-test-services-"
_Server = TypeVar("_Server", OwnRedis, OwnPostgres)


def _started(make: Callable[[], _Server], port: int | None) -> _Server:
    """Start a server; on a port picked for it, try twice more on fresh ports (another program
    may take a free port between the pick and the start)."""
    for attempt in range(3):
        server = make()
        try:
            return server.start()
        except ServiceError:
            with contextlib.suppress(ServiceError):
                server.stop()
            shutil.rmtree(server.dir, ignore_errors=True)
            if port is not None or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's
    return True


def _kill_if(pid_file: Path, program: str) -> None:
    """SIGKILL the process a pid file names, if it still is `program` (pids get reused)."""
    try:
        pid = int(pid_file.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if program.encode() in cmdline:
            os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass  # gone already, or not ours to end


def reap_stale() -> None:
    """Stop the servers and remove the dirs of earlier runs that died without stopping them
    (a SIGKILLed pytest): a dir whose owning pytest process is gone."""
    for base in Path(tempfile.gettempdir()).glob(_BASE_PREFIX + "*"):
        try:
            owner = int((base / "owner").read_text())
        except (OSError, ValueError):
            continue  # being set up, or not one of ours
        if _alive(owner):
            continue
        _kill_if(base / "redis" / "redis.pid", "redis-server")
        _kill_if(base / "postgres" / "data" / "postmaster.pid", "postgres")
        shutil.rmtree(base, ignore_errors=True)


class OwnServices:
    """Start the servers a run asks for, lazily; stop them and remove their files at the end."""

    def __init__(self, *, redis_port: int | None = None, pg_port: int | None = None) -> None:
        reap_stale()
        self._ports = redis_port, pg_port
        # /tmp rather than pytest's tmp dir: as root, the postgres user must reach the data dir
        self.base = Path(tempfile.mkdtemp(prefix=_BASE_PREFIX))
        (self.base / "owner").write_text(str(os.getpid()))
        with contextlib.suppress(ServiceError):  # only PostgreSQL needs it; it says so there
            _give_to_cluster_owner(self.base)
        self._redis: OwnRedis | None = None
        self._postgres: OwnPostgres | None = None

    def redis_url(self) -> str:
        if self._redis is None:
            self._redis = _started(lambda: OwnRedis(self.base, self._ports[0]), self._ports[0])
        return self._redis.url

    def pg_admin_url(self) -> str:
        if self._postgres is None:
            self._postgres = _started(
                lambda: OwnPostgres(self.base, self._ports[1]), self._ports[1]
            )
        return self._postgres.admin_url

    def close(self) -> None:
        try:
            for server in (self._redis, self._postgres):
                if server is not None:
                    server.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
