"""Structured logging (structlog): JSON lines in production, readable lines on a terminal."""

from __future__ import annotations

import logging
import sys

import structlog
import structlog.tracebacks


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Route stdlib and structlog logs to stderr in one format."""
    # Tracebacks are rendered plainly, never with local variables: locals hold settings,
    # channel URLs and headers, which are secrets.
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    tracebacks: list[structlog.types.Processor] = (
        [
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            )
        ]
        if fmt == "json"
        else []
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *tracebacks,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries that would log request URLs (which can carry tokens) stay at WARNING, and so
    # do the per-tick chatter of Celery and the migration notes of Alembic, unless debugging.
    quiet = ["httpx", "httpcore", "urllib3", "requests"]
    if level != "DEBUG":
        quiet += ["alembic", "celery.beat", "celery.worker.strategy", "celery.app.trace", "kombu"]
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
