"""Configuration loading: the shipped files are valid; each bad file gets a located error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tracker.config.errors import ConfigError
from tracker.config.loader import ConfigStore, load_config

ROOT = Path(__file__).resolve().parents[2]
TABLE = yaml.safe_load((Path(__file__).parent / "tables" / "bad_config.yaml").read_text())


@pytest.fixture
def config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def test_shipped_config_is_valid():
    """The configuration in the repository loads: real sources, the topic, a console channel."""
    config = load_config(ROOT / "config")
    ids = {s.id for s in config.sources}
    assert {"kremlin-en", "whitehouse-news", "ua-president"} <= ids
    assert any("news.google.com" in s.url for s in config.sources)
    assert [t.id for t in config.topics] == ["ukraine-ceasefire"]
    assert config.channels["console"].url.get_secret_value() == "console://"
    assert config.warnings == []


@pytest.mark.parametrize("row", TABLE, ids=[r["why"] for r in TABLE])
def test_bad_config_names_file_line_and_field(config: Path, row):
    """Each kind of mistake gets an error naming the file, the line and the field."""
    (config / row["file"]).parent.mkdir(exist_ok=True)
    (config / row["file"]).write_text(row["text"])
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    messages = [str(p).replace(str(config) + "/", "") for p in caught.value.problems]
    assert any(m.startswith(row["error"]) for m in messages), messages


def test_all_problems_are_reported_at_once(config: Path):
    """Errors in two files come back together, so one pass fixes them all."""
    (config / "sources.yaml").write_text(
        "sources: [{id: a, kind: feed, url: 'x', topics: [ukraine-ceasefire]}]"
    )
    (config / "alerts.yaml").write_text("channels: [{id: d}]")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    files = {Path(p.file).name for p in caught.value.problems}
    assert files == {"sources.yaml", "alerts.yaml"}


def test_missing_directory_and_missing_files(tmp_path: Path):
    """A missing directory is an error; missing sources/alerts files are warnings."""
    with pytest.raises(ConfigError, match="configuration directory not found"):
        load_config(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    config = load_config(tmp_path / "empty")
    assert config.sources == []
    assert len(config.warnings) == 2


def test_durations_accept_units(config: Path):
    """Intervals may be seconds or 90s / 5m / 1h / 1d."""
    (config / "sources.yaml").write_text(
        "sources:\n  - {id: a, kind: feed, url: 'http://e.org/f', interval: 5m, topics: [ukraine-ceasefire]}\n"
    )
    assert load_config(config).sources[0].interval == 300


def test_store_keeps_the_last_good_config_when_a_file_breaks(config: Path):
    """A long-running process keeps working on its last good config while a file is broken."""
    store = ConfigStore(config)
    good = store.get()
    (config / "sources.yaml").write_text("sources: [")
    again = store.get()
    assert again is good
    assert store.last_error is not None
    assert "invalid YAML" in str(store.last_error)
