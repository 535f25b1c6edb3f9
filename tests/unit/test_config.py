"""Configuration loading: the shipped files are valid; each bad file gets a located error."""

from __future__ import annotations

import shutil
import time as time_
import tracemalloc
from datetime import time
from pathlib import Path

import pytest
import yaml

from tests.integration.helpers import alias_bomb
from tracker.config.errors import ConfigError
from tracker.config.loader import ConfigStore, load_config
from tracker.config.yamlfile import load_yaml

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


def test_quiet_hours_read_as_a_time_of_day(config: Path):
    """`start: 22:30` unquoted is half past ten at night, not YAML 1.1's base-60 number 1350
    (which read as 00:22:30)."""
    (config / "alerts.yaml").write_text(
        "channels:\n  - id: desk\n    url: json://localhost/\n"
        "    quiet_hours: {start: 22:30, end: 7:05, timezone: Europe/Kyiv}\n"
    )
    quiet = load_config(config).channels["desk"].quiet_hours
    assert quiet is not None
    assert (quiet.start, quiet.end) == (time(22, 30), time(7, 5))


def test_a_directory_in_place_of_a_file_is_named(config: Path):
    """alerts.yaml (or sources.yaml) that is a directory is an error saying so, not a
    'not found' warning or an errno."""
    (config / "alerts.yaml").unlink()
    (config / "alerts.yaml").mkdir()
    (config / "sources.yaml").unlink()
    (config / "sources.yaml").mkdir()
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert sorted(str(p).replace(str(config) + "/", "") for p in caught.value.problems) == [
        "alerts.yaml: is a directory, not a YAML file",
        "sources.yaml: is a directory, not a YAML file",
    ]


def test_an_empty_sources_file_is_a_warning(config: Path):
    """An empty sources.yaml loads, with a warning that nothing will be polled."""
    (config / "sources.yaml").write_text("")
    loaded = load_config(config)
    assert loaded.sources == []
    assert loaded.warnings == [f"{config / 'sources.yaml'}: empty; no sources will be polled"]


def test_an_alias_bomb_is_refused_fast_and_small(tmp_path: Path):
    """A billion-laughs YAML file (387 million values once expanded) is refused in well
    under a second, without building what it expands to."""
    (tmp_path / "sources.yaml").write_text(alias_bomb())
    tracemalloc.start()
    started = time_.perf_counter()
    with pytest.raises(ConfigError, match="aliases expand to more than 1,000,000 values"):
        load_yaml(tmp_path / "sources.yaml")
    elapsed = time_.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 10 * 1024 * 1024


def test_channel_url_tokens_stay_out_of_an_unknown_scheme_error(config: Path):
    """The error for an unknown apprise scheme names the scheme, never the URL's tokens;
    the tracker's own console:// is known."""
    (config / "alerts.yaml").write_text(
        "channels:\n  - {id: a, url: 'slakc://T0AB/B0CD/s3cr3tt0k3n'}\n"
        "  - {id: b, url: 'console://'}\n  - {id: c, url: 'tgram://bot/chat'}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    (problem,) = caught.value.problems
    assert problem.field == "channels[0].url"
    assert "s3cr3tt0k3n" not in str(caught.value)
    assert "T0AB" not in str(caught.value)
