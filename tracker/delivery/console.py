"""`console://`: an apprise plugin that prints alerts to the tracker's standard output.

It is the shipped default channel, so a newcomer sees alerts in the terminal of `make run`
without configuring anything.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

_registered = threading.Lock()
_done = False


def _print_alert(body: str, title: str, *_args: Any, **_kwargs: Any) -> bool:
    rule = "-" * 72
    sys.stdout.write(f"\n{rule}\n{title}\n{rule}\n{body}\n")
    sys.stdout.flush()
    return True


def register_console_plugin() -> None:
    """Register `console://` with apprise (once per process)."""
    global _done  # noqa: PLW0603 - a process-wide, idempotent registration
    with _registered:
        if _done:
            return
        from apprise.decorators import notify

        notify(on="console", name="Tracker console")(_print_alert)  # type: ignore[no-untyped-call]
        _done = True
