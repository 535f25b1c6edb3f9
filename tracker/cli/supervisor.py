"""`tracker run`: start the worker (with its beat) as child processes and stop them cleanly.

Ctrl-C reaches the whole foreground process group, so the children begin a warm shutdown
on their own; the supervisor waits for them, and escalates to SIGTERM, then SIGKILL, only
if they do not finish in time.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

GRACE_SECONDS = 20.0


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
    children = [subprocess.Popen(cmd, env=env) for cmd in commands]  # noqa: S603 - our own argv

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
        sys.stderr.write("\ntracker: stopping (waiting for running tasks to finish)...\n")
        _stop(children, grace)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
