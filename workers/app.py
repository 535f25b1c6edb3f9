"""The Celery application, built by a factory from settings (never at import time).

At-least-once settings: a task is acknowledged only after it ran (`task_acks_late`), and
re-queued if its worker dies (`task_reject_on_worker_lost`); each worker process takes one
message at a time (prefetch 1). Time limits stay below the broker's visibility timeout, so a
running task is never handed to a second worker. Correctness does not rest on the broker,
though: sources and deliveries are leased in their rows, so a lost message costs a few
seconds, and a redelivered one finds nothing left to do.
"""

from __future__ import annotations

from pathlib import Path

from celery import Celery
from celery.signals import setup_logging, worker_process_init

from tracker.bootstrap import Tracker
from tracker.logs import configure_logging
from workers.tasks import register_tasks

VISIBILITY_TIMEOUT = 3600


def _embedded_broker(data_dir: Path) -> tuple[str, dict[str, object]]:
    """A broker that needs no server: messages are files in a folder under the data dir."""
    queue_dir = (data_dir / "broker" / "queue").resolve()
    done_dir = (data_dir / "broker" / "processed").resolve()
    queue_dir.mkdir(parents=True, exist_ok=True)
    done_dir.mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(queue_dir),
        "data_folder_out": str(queue_dir),
        "processed_folder": str(done_dir),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    return "filesystem://localhost/", options


def create_app(tracker: Tracker) -> Celery:
    """Return a configured Celery app with the tracker's tasks registered."""
    settings = tracker.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # beat keeps its (disposable) state here
    if settings.broker_url:
        broker = settings.broker_url.get_secret_value()
        options: dict[str, object] = {"visibility_timeout": VISIBILITY_TIMEOUT}
        if settings.redis_key_prefix:
            options["global_keyprefix"] = settings.redis_key_prefix
    else:
        broker, options = _embedded_broker(settings.data_dir)
    longest = max(settings.poll_time_limit, settings.delivery_time_limit)
    if longest >= VISIBILITY_TIMEOUT:
        raise ValueError("task time limits must stay below the broker visibility timeout")
    app = Celery("tracker", set_as_current=False)
    app.conf.update(
        broker_url=broker,
        broker_transport_options=options,
        broker_connection_retry_on_startup=True,
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=settings.queue,
        task_serializer="json",
        accept_content=["json"],
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
        beat_schedule_filename=str((settings.data_dir / "celerybeat-schedule").resolve()),
        timezone="UTC",
        enable_utc=True,
    )
    register_tasks(app, tracker)

    @setup_logging.connect(weak=False)
    def _logging(**_kwargs: object) -> None:
        configure_logging(settings.log_level, settings.log_format)

    @worker_process_init.connect(weak=False)
    def _after_fork(**_kwargs: object) -> None:
        tracker.after_fork()

    return app
