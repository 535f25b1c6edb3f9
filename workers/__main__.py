"""`python -m workers worker|beat [celery options]`: run a Celery process for the tracker."""

from __future__ import annotations

import sys

from tracker.bootstrap import bootstrap
from tracker.config.errors import ConfigError
from tracker.logs import configure_logging
from tracker.settings import SettingsError, load_settings
from tracker.storage.schema import SchemaOutOfDate


def main(argv: list[str] | None = None) -> int:
    """Start `celery worker` or `celery beat` with the tracker's app; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        tracker = bootstrap(settings)
        tracker.config()  # refuse to start on a broken configuration
        if args and args[0] == "worker":
            tracker.checked_db()
            tracker.close()  # reconnect in each worker process, not across the fork
    except (SettingsError, ConfigError, SchemaOutOfDate) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    from workers.app import create_app

    app = create_app(tracker)
    return int(app.start(argv=args or ["worker"]) or 0)


if __name__ == "__main__":
    sys.exit(main())
