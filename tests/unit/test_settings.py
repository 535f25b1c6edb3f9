"""Settings from the environment: defaults, and a clear error for each bad value."""

from __future__ import annotations

import pytest

from tracker.settings import SettingsError, load_settings


def test_defaults_are_the_embedded_setup(monkeypatch):
    """With nothing set: SQLite under var/, the embedded broker, config/."""
    settings = load_settings()
    assert settings.database.startswith("sqlite:///")
    assert settings.database.endswith("/var/tracker.db")
    assert settings.embedded_broker
    assert str(settings.config_dir) == "config"


def test_postgres_urls_get_the_psycopg_driver(monkeypatch):
    """postgres:// and postgresql:// URLs use psycopg 3."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgres://u@db/tracker")
    assert load_settings().database == "postgresql+psycopg://u@db/tracker"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "TRACKER_DATABASE_URL",
            "mysql://x/y",
            "TRACKER_DATABASE_URL: unsupported database URL scheme 'mysql'",
        ),
        (
            "TRACKER_BROKER_URL",
            "kafka://x",
            "TRACKER_BROKER_URL: unsupported broker URL scheme 'kafka'",
        ),
        ("TRACKER_BATCH_SIZE", "lots", "TRACKER_BATCH_SIZE: Input should be a valid integer"),
        (
            "TRACKER_DELIVERY_RETRY_SCHEDULE",
            "0,-5",
            "TRACKER_DELIVERY_RETRY_SCHEDULE: expected comma-separated",
        ),
        (
            "TRACKER_ALLOWED_NETWORKS",
            "10.0.0.0/33",
            "TRACKER_ALLOWED_NETWORKS: not a network in CIDR form",
        ),
        ("TRACKER_LOG_FORMAT", "xml", "TRACKER_LOG_FORMAT: Input should be 'console' or 'json'"),
        (
            "TRACKER_LEASE_SECONDS",
            "10",
            "TRACKER_LEASE_SECONDS must exceed TRACKER_POLL_TIME_LIMIT",
        ),
        (
            "TRACKER_EXTRACTOR",
            "llm",
            "TRACKER_EXTRACTOR=llm needs TRACKER_LLM_URL and TRACKER_LLM_MODEL",
        ),
        ("TRACKER_EXTRACTOR", "magic", "TRACKER_EXTRACTOR: Input should be 'rules' or 'llm'"),
    ],
)
def test_bad_settings_name_the_variable(monkeypatch, name, value, message):
    """Each invalid variable is named with what is wrong with it."""
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert message in str(caught.value)
