"""`tracker run`: start the worker (with its beat) as child processes and stop them cleanly.

The children run in a process group of their own, so Ctrl-C reaches only the supervisor,
which asks each child once to shut down warmly (SIGTERM: finish running tasks), and kills
it if it has not finished after a grace period. On Linux a child is also told to stop if
the supervisor itself dies, so no worker outlives `tracker run`.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

GRACE_SECONDS = 20.0


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent exits."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop(children: Sequence[subprocess.Popen[bytes]], grace: float) -> None:
    deadline = time.monotonic() + grace
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            child.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def supervise(
    commands: Sequence[list[str]], env: dict[str, str], grace: float = GRACE_SECONDS
) -> int:
    """Run `commands` until one exits or we are interrupted; return the first exit code."""
    children = [
        subprocess.Popen(cmd, env=env, process_group=0, preexec_fn=_die_with_parent)  # noqa: S603, PLW1509 - our own argv; the hook only calls prctl
        for cmd in commands
    ]

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        while True:
            for child in children:
                code = child.poll()
                if code is not None:
                    name = " ".join(commands[children.index(child)][2:4])
                    sys.stderr.write(f"tracker: {name} exited ({code}); stopping\n")
                    _stop(children, grace)
                    return code or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        sys.stderr.write("\ntracker: stopping (running tasks finish first)...\n")
        _stop(children, grace)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
