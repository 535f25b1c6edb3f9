"""Load the configuration directory: every file validated, cross-references checked.

Errors are collected across all files and raised together as one ConfigError, each naming
its file, line and field, so a user fixes them in one pass.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from tracker.config.alerts import (
    AlertsFile,
    ChannelConfig,
    WebhookConfig,
    check_alerts,
    routes,
    severity_rules,
)
from tracker.config.errors import ConfigError, ConfigProblem
from tracker.config.models import PolitenessConfig, SourceConfig, SourcesFile, TopicFile
from tracker.config.yamlfile import Loc, YamlDocument, field_name, load_yaml
from tracker.domain.extraction.lexicon import Lexicon
from tracker.domain.extraction.vocabulary import ActorSpec, FactSpec, IssueSpec, Vocabulary
from tracker.domain.review import ReviewPolicy
from tracker.domain.routing import Route, SeverityRule
from tracker.domain.topics import Topic
from tracker.lemmas import lemmatizer

M = TypeVar("M", bound=BaseModel)
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Config:
    """The validated configuration, with the domain objects built from it."""

    sources: list[SourceConfig]
    politeness: PolitenessConfig
    topics: list[Topic]
    vocabularies: dict[str, Vocabulary]
    reviews: dict[str, ReviewPolicy]
    channels: dict[str, ChannelConfig]
    routes: list[Route]
    severity_rules: list[SeverityRule]
    webhooks: list[WebhookConfig]
    digest: str
    warnings: list[str] = field(default_factory=list)

    def source(self, source_id: str) -> SourceConfig | None:
        """Return the source with this id, if configured."""
        return next((s for s in self.sources if s.id == source_id), None)


def _message(kind: str, msg: str) -> str:
    """Pydantic's message, less the names of our classes ("instance of QuietHours")."""
    if kind in {"model_type", "model_attributes_type", "dataclass_type"}:
        return "expected a mapping (key: value lines)"
    return msg.removeprefix("Value error, ")


def _validate(model: type[M], doc: YamlDocument, problems: list[ConfigProblem]) -> M | None:
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        problems.append(ConfigProblem(doc.path, 1, "", "expected a mapping at the top level"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc: Loc = tuple(p for p in error["loc"] if isinstance(p, str | int))
            message = _message(error["type"], error["msg"])
            problems.append(ConfigProblem(doc.path, doc.line_of(loc), field_name(loc), message))
        return None


def _load(
    path: Path, model: type[M], problems: list[ConfigProblem]
) -> tuple[M | None, YamlDocument | None]:
    try:
        doc = load_yaml(path)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None, None
    return _validate(model, doc, problems), doc


def _duplicates(
    ids: Iterable[tuple[str, Loc]], doc: YamlDocument, what: str, problems: list[ConfigProblem]
) -> None:
    seen: set[str] = set()
    for ident, loc in ids:
        if ident in seen:
            problems.append(
                ConfigProblem(
                    doc.path, doc.line_of(loc), field_name(loc), f"duplicate {what} id {ident!r}"
                )
            )
        seen.add(ident)


def _topic_files(config_dir: Path) -> list[Path]:
    topics_dir = config_dir / "topics"
    return (
        sorted(topics_dir.glob("*.yaml")) + sorted(topics_dir.glob("*.yml"))
        if topics_dir.is_dir()
        else []
    )


def config_files(config_dir: Path) -> list[Path]:
    """Return every file the configuration may read (so a change to any is noticed)."""
    fixed = [config_dir / "sources.yaml", config_dir / "alerts.yaml"]
    others = (
        sorted(p for p in config_dir.rglob("*") if p.is_file() and p not in fixed)
        if config_dir.is_dir()
        else []
    )
    return fixed + others


def _digest(files: list[Path]) -> str:
    sha = hashlib.sha256()
    for path in files:
        sha.update(str(path.name).encode())
        sha.update(path.read_bytes() if path.is_file() else b"\0missing")
    return sha.hexdigest()


def vocabulary(topic: TopicFile) -> Vocabulary:
    """Return the extraction vocabulary a topic file defines."""
    cues = topic.stance_cues
    return Vocabulary(
        topic=topic.id,
        actors=tuple(
            ActorSpec(i, a.name, a.kind, tuple(a.aliases), a.member_of, a.voice_of, tuple(a.people))
            for i, a in topic.actors.items()
        ),
        issues=tuple(
            IssueSpec(i, x.name, tuple(x.cues), tuple(x.inverse_cues), x.refines)
            for i, x in topic.issues.items()
        ),
        facts=tuple(
            FactSpec(
                k,
                f.type,
                tuple(f.patterns),
                {v: tuple(p) for v, p in f.values.items()},
                tuple(f.context),
                f.name or k,
                rule=f.rule,
                unit=f.unit,
                anchors=tuple(f.anchors),
                window=f.window,
                requires=tuple(tuple(g) for g in f.requires),
                qualifiers=tuple(tuple(g) for g in f.qualifiers),
                pairs=f.pairs,
                not_before=tuple(f.not_before),
                not_after=tuple(f.not_after),
                blocks=tuple(f.blocks),
                document_context=f.document_context,
                verbs=tuple(f.verbs),
                objects=tuple(f.objects),
                terms={v: tuple(p) for v, p in f.terms.items()},
                before_only=tuple(f.before_only),
            )
            for k, f in topic.facts.items()
        ),
        lexicon=Lexicon().extended(
            supports=tuple(cues.supports),
            opposes=tuple(cues.opposes),
            conditional=tuple(cues.conditional),
            reciprocal=tuple(cues.reciprocal),
            reporting=tuple(cues.reporting),
            neutral=tuple(cues.neutral),
        ),
        collectives=dict(topic.collectives),
        lemma=lemmatizer("en"),
        anchors=tuple(topic.relevance.terms + topic.relevance.anchors),
        elsewhere=tuple(topic.relevance.elsewhere),
    )


def _load_topics(
    config_dir: Path,
    problems: list[ConfigProblem],
    vocabularies: dict[str, Vocabulary],
    reviews: dict[str, ReviewPolicy],
) -> list[Topic]:
    topics: dict[str, Topic] = {}
    for path in _topic_files(config_dir):
        parsed, doc = _load(path, TopicFile, problems)
        if parsed is None or doc is None:
            continue
        if parsed.id in topics:
            problems.append(
                ConfigProblem(
                    doc.path, doc.line_of(("id",)), "id", f"duplicate topic id {parsed.id!r}"
                )
            )
            continue
        rel = parsed.relevance
        vocabularies[parsed.id] = vocabulary(parsed)
        reviews[parsed.id] = parsed.review.policy()
        topics[parsed.id] = Topic(
            parsed.id, parsed.name, tuple(rel.terms), tuple(rel.supporting), tuple(rel.exclude)
        )
    return list(topics.values())


def _check_sources(
    sources: SourcesFile, doc: YamlDocument, topic_ids: set[str], problems: list[ConfigProblem]
) -> None:
    _duplicates(
        ((s.id, ("sources", i, "id")) for i, s in enumerate(sources.sources)),
        doc,
        "source",
        problems,
    )
    for i, source in enumerate(sources.sources):
        for j, topic in enumerate(source.topics):
            if topic not in topic_ids:
                loc: Loc = ("sources", i, "topics", j)
                known = ", ".join(sorted(topic_ids)) or "none: add config/topics/<id>.yaml"
                problems.append(
                    ConfigProblem(
                        doc.path,
                        doc.line_of(loc),
                        field_name(loc),
                        f"unknown topic {topic!r} (known: {known})",
                    )
                )


def load_config(config_dir: Path) -> Config:
    """Load and validate every file under `config_dir`; raise ConfigError listing all problems."""
    if not config_dir.is_dir():
        raise ConfigError(
            [
                ConfigProblem(
                    str(config_dir),
                    None,
                    "",
                    "configuration directory not found (set TRACKER_CONFIG_DIR)",
                )
            ]
        )
    problems: list[ConfigProblem] = []
    warnings: list[str] = []
    vocabularies: dict[str, Vocabulary] = {}
    reviews: dict[str, ReviewPolicy] = {}
    topics = _load_topics(config_dir, problems, vocabularies, reviews)
    sources_path = config_dir / "sources.yaml"
    sources: SourcesFile | None = SourcesFile()
    if sources_path.exists():
        sources, sources_doc = _load(sources_path, SourcesFile, problems)
        if sources is not None and sources_doc is not None:
            _check_sources(sources, sources_doc, {t.id for t in topics}, problems)
            if sources_doc.data is None:
                warnings.append(f"{sources_path}: empty; no sources will be polled")
    else:
        warnings.append(f"{sources_path}: not found; no sources will be polled")
    alerts_path = config_dir / "alerts.yaml"
    alerts: AlertsFile | None = AlertsFile()
    if alerts_path.exists():
        alerts, alerts_doc = _load(alerts_path, AlertsFile, problems)
        if alerts is not None and alerts_doc is not None:
            check_alerts(alerts, alerts_doc, config_dir, problems)
    else:
        warnings.append(f"{alerts_path}: not found; events are stored but alert no channel")
    if problems or sources is None or alerts is None:
        raise ConfigError(problems)
    return Config(
        sources=list(sources.sources),
        politeness=sources.politeness,
        topics=topics,
        vocabularies=vocabularies,
        reviews=reviews,
        channels={c.id: c for c in alerts.channels},
        routes=routes(alerts),
        severity_rules=severity_rules(alerts),
        webhooks=list(alerts.webhooks),
        digest=_digest(config_files(config_dir)),
        warnings=warnings,
    )


class ConfigStore:
    """The current configuration of a long-running process, reloaded when a file changes.

    A reload that fails keeps the last good configuration (and the error is reported), so a
    half-saved edit never stops polling.
    """

    def __init__(self, config_dir: Path) -> None:
        self._dir = config_dir
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[str, float, int], ...] | None = None
        self._config: Config | None = None
        self.last_error: ConfigError | None = None

    def _current_stamp(self) -> tuple[tuple[str, float, int], ...]:
        stamp = []
        for path in config_files(self._dir):
            try:
                st = path.stat()
                stamp.append((str(path), st.st_mtime, st.st_size))
            except OSError:
                stamp.append((str(path), 0.0, -1))
        return tuple(stamp)

    def get(self) -> Config:
        """Return the configuration, reloading it first if any file changed since last time."""
        with self._lock:
            stamp = self._current_stamp()
            if self._config is None or stamp != self._stamp:
                try:
                    self._config = load_config(self._dir)
                    self.last_error = None
                except ConfigError as exc:
                    if self._config is None:
                        raise
                    self.last_error = exc
                    log.warning(
                        "configuration invalid; the last good one stays in force",
                        problems=[str(p) for p in exc.problems],
                    )
                self._stamp = stamp
            return self._config
