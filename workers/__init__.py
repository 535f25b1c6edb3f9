"""Celery entrypoints: the worker and beat processes that run the tracker's tasks."""
