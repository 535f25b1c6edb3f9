"""The shapes of the configuration files, as pydantic models (validated on load)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tracker.domain.review import DEFAULT_MIN_CONFIDENCE, DEFAULT_OWN_WORDS_WINDOW, ReviewPolicy

_ID = r"^[a-z0-9][a-z0-9._-]{0,99}$"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
MIN_INTERVAL = 10
MAX_INTERVAL = 7 * 86400


def parse_duration(value: object) -> object:
    """Accept seconds as a number, or a string such as `90`, `5m`, `1h`, `1d`."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"not a duration: {value!r} (use seconds, or e.g. 5m, 1h, 1d)")
        return float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "").lower()]
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
Identifier = Annotated[str, Field(pattern=_ID)]


class Strict(BaseModel):
    """Unknown keys are errors: a typo in a config file must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_JSON_FIELDS = ("items", "id", "title", "text", "url", "date")
# t.me/s/NAME (or the same /s/NAME path on a mirror of the web preview); t.me/NAME is caught
# to say what to write instead
_TELEGRAM = re.compile(
    r"^(?:https://t\.me/|https?://[^/]+/(?P<preview>s/))(?P<name>[A-Za-z0-9_]{4,64})/?$"
)


class ExtractConfig(Strict):
    """How to read statements out of a page or a JSON answer.

    `page`: `selector` (CSS) picks the statement's text; without it the main content is found
    (boilerplate, navigation and share buttons left out). `json`: JMESPath expressions for the
    list of items and, relative to each item, its id, title, text, url and date."""

    selector: str | None = Field(default=None, min_length=1, max_length=500)
    # A listing page: the links to open (CSS), each linked article a statement; at most
    # `max_follow` new articles are opened per poll (the rest wait for the next one).
    follow: str | None = Field(default=None, min_length=1, max_length=500)
    max_follow: int | None = Field(default=None, ge=1, le=100)
    items: str | None = None
    id: str | None = None
    title: str | None = None
    text: str | None = None
    url: str | None = None
    date: str | None = None

    @model_validator(mode="after")
    def _compiles(self) -> ExtractConfig:
        import jmespath
        from jmespath.exceptions import JMESPathError

        for name in _JSON_FIELDS:
            expression = getattr(self, name)
            if expression is None:
                continue
            try:
                jmespath.compile(expression)
            except JMESPathError as exc:
                first = str(exc).splitlines()[0].rstrip(":")
                raise ValueError(f"{name}: not a JMESPath expression: {first}") from None
        for name in ("selector", "follow"):
            css = getattr(self, name)
            if css is None:
                continue
            from cssselect import GenericTranslator, SelectorError

            try:
                GenericTranslator().css_to_xpath(css)
            except SelectorError as exc:
                raise ValueError(f"{name}: not a CSS selector: {exc}") from None
        if self.max_follow is not None and self.follow is None:
            raise ValueError("max_follow needs follow (the links of a listing page to open)")
        return self


class AdaptiveConfig(Strict):
    """Bounds within which a source's interval adapts: shorter while it keeps changing, longer
    while it stays quiet."""

    min: Duration = Field(ge=MIN_INTERVAL, le=MAX_INTERVAL)
    max: Duration = Field(ge=MIN_INTERVAL, le=MAX_INTERVAL)

    @model_validator(mode="after")
    def _ordered(self) -> AdaptiveConfig:
        if self.min > self.max:
            raise ValueError(
                f"adaptive.min ({self.min:g} s) is above adaptive.max ({self.max:g} s)"
            )
        return self


class NoiseConfig(Strict):
    """What is not a change at one source."""

    ignore: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=20
    )
    strip_params: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    min_change: int = Field(default=0, ge=0, le=10_000)
    flip_flop: int | None = Field(default=None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _patterns(self) -> NoiseConfig:
        for i, pattern in enumerate(self.ignore):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"ignore[{i}]: not a regular expression: {exc}") from None
            if re.search(pattern, ""):
                raise ValueError(f"ignore[{i}]: {pattern!r} matches the empty text")
        return self


class SourceConfig(Strict):
    """One watched source."""

    id: Identifier
    kind: Literal["feed", "page", "json", "telegram"]
    url: HttpUrl
    interval: Duration = Field(default=300, ge=MIN_INTERVAL, le=MAX_INTERVAL)
    topics: list[Identifier] = Field(min_length=1)
    speaker: str | None = None
    name: str | None = None
    enabled: bool = True
    headers: dict[str, str] = Field(default_factory=dict)
    extract: ExtractConfig | None = None
    adaptive: AdaptiveConfig | None = None
    noise: NoiseConfig | None = None
    credible: bool = True

    @model_validator(mode="after")
    def _kind_options(self) -> SourceConfig:
        if self.adaptive is not None and not (
            self.adaptive.min <= self.interval <= self.adaptive.max
        ):
            raise ValueError(
                f"interval ({self.interval:g} s) must lie within adaptive.min and adaptive.max"
            )
        extract = self.extract or ExtractConfig()
        if self.kind == "json" and (extract.items is None or extract.text is None):
            raise ValueError("a json source needs extract.items and extract.text (JMESPath)")
        if self.kind in {"feed", "telegram"} and self.extract is not None:
            raise ValueError(f"a {self.kind} source takes no extract options")
        if self.kind == "page" and any(getattr(extract, f) for f in _JSON_FIELDS):
            raise ValueError("a page source takes only extract.selector, follow and max_follow")
        if self.kind == "json" and (extract.follow or extract.selector):
            raise ValueError("a json source takes no selector or follow")
        return self

    @field_validator("url")
    @classmethod
    def _telegram_preview(cls, url: str, info: ValidationInfo) -> str:
        """A telegram source polls the channel's web preview, t.me/s/NAME; t.me/NAME is the
        page that opens the app, so it is refused with the URL to use instead."""
        if info.data.get("kind") != "telegram":
            return url
        match = _TELEGRAM.match(url)
        if match is None:
            raise ValueError("a telegram source's url is https://t.me/s/CHANNEL")
        if not match["preview"]:
            raise ValueError(
                f"not the channel's web preview: use https://t.me/s/{match['name']} "
                "(with /s/; t.me/NAME is the page that opens the app)"
            )
        return url.rstrip("/")


# A host name as politeness rules name it: `kremlin.ru` (its subdomains too), `127.0.0.1`
HostName = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]{0,252}[a-z0-9])?$|^\[[0-9a-f:]+\]$")]


class HostPolicyConfig(Strict):
    """How hard the tracker may press one host, shared by every worker."""

    rate: float = Field(default=2.0, gt=0, le=100_000, description="requests a second")
    burst: int = Field(default=10, ge=1, le=100_000, description="requests saved up at most")
    concurrency: int = Field(default=4, ge=1, le=10_000, description="requests in flight")


class PolitenessConfig(Strict):
    """The default host policy, and hosts that differ (a host covers its subdomains)."""

    default: HostPolicyConfig = Field(default_factory=HostPolicyConfig)
    hosts: dict[HostName, HostPolicyConfig] = Field(default_factory=dict)


class SourcesFile(Strict):
    """`sources.yaml`."""

    politeness: PolitenessConfig = Field(default_factory=PolitenessConfig)
    sources: list[SourceConfig] = Field(default_factory=list)


Term = Annotated[str, Field(min_length=2)]


class RelevanceConfig(Strict):
    """Which statements belong to a topic: one term, or two supporting terms, and no exclusion."""

    terms: list[Term] = Field(min_length=1)
    supporting: list[Term] = Field(default_factory=list)
    exclude: list[Term] = Field(default_factory=list)
    # other conflicts and places: a sentence that names one of them and no term of this topic
    # is about something else (Gaza's ceasefire is not Ukraine's)
    elsewhere: list[Term] = Field(default_factory=list)
    anchors: list[Term] = Field(default_factory=list)  # place a sentence here, besides `terms`


def _regex(value: str) -> str:
    probe = value
    for name in ("number", "fraction", "duration", "date"):
        probe = probe.replace("{" + name + "}", "(?P<value>x)")
    try:
        re.compile(probe)
    except re.error as exc:
        raise ValueError(f"not a valid pattern: {exc}") from exc
    return value


Pattern = Annotated[str, AfterValidator(_regex)]
Phrase = Annotated[str, Field(min_length=1)]


class ActorConfig(Strict):
    """Someone whose positions are tracked."""

    name: str
    kind: Literal["person", "institution", "country", "group"] = "person"
    aliases: list[Phrase] = Field(min_length=1)
    # people who speak for an institution or country ("Peskov" for the Kremlin): named like
    # aliases, but "he" can refer to them and their reported words are their own
    people: list[Phrase] = Field(default_factory=list)
    member_of: str | None = None
    voice_of: str | None = None


class IssueConfig(Strict):
    """A proposition actors take stances on, and the words that name it."""

    name: str
    cues: list[Phrase] = Field(min_length=1)
    inverse_cues: list[Phrase] = Field(default_factory=list)
    refines: str | None = None


class FactConfig(Strict):
    """A key fact with a typed value."""

    type: Literal["int", "fraction", "minutes", "date", "enum"]
    name: str = ""
    patterns: list[Pattern] = Field(default_factory=list)
    values: dict[str, list[Pattern]] = Field(default_factory=dict)
    context: list[Phrase] = Field(default_factory=list)
    # structural rules (see tracker/domain/extraction/facts.py)
    rule: Literal["", "duration", "count", "share", "date", "scope"] = ""
    unit: Literal["", "minute", "hour", "day", "week", "month"] = ""
    anchors: list[Phrase] = Field(default_factory=list)
    window: int = Field(default=6, ge=0, le=30)
    requires: list[list[Phrase]] = Field(default_factory=list)
    qualifiers: list[list[Phrase]] = Field(default_factory=list)
    pairs: bool = False
    not_before: list[Phrase] = Field(default_factory=list)
    not_after: list[Phrase] = Field(default_factory=list)
    blocks: list[Phrase] = Field(default_factory=list)
    document_context: bool = False
    verbs: list[Phrase] = Field(default_factory=list)
    objects: list[Phrase] = Field(default_factory=list)
    terms: dict[str, list[Phrase]] = Field(default_factory=dict)
    before_only: list[Phrase] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> FactConfig:
        if self.rule == "scope" and not (self.terms and self.anchors):
            raise ValueError("a scope fact needs `terms` (value: [phrases]) and `anchors`")
        if self.rule == "duration" and not self.unit:
            raise ValueError("a duration fact needs `unit`")
        if self.rule in {"duration", "date"} and not self.anchors:
            raise ValueError(f"a {self.rule} fact needs `anchors`")
        if self.rule == "count" and not (self.anchors or self.pairs):
            raise ValueError("a count fact needs `anchors` (its nouns) or `pairs`")
        if self.type == "enum" and not (self.values or self.terms):
            raise ValueError("an enum fact needs `values` (value: [patterns])")
        if self.type != "enum" and not (self.patterns or self.rule):
            raise ValueError(f"a {self.type} fact needs `patterns`")
        for pattern in self.patterns:
            if "{" not in pattern and "(?P<value>" not in pattern:
                raise ValueError(f"pattern has no value placeholder ({{number}}, ...): {pattern!r}")
        return self


class StanceCues(Strict):
    """Cue phrases added to the built-in English lists."""

    supports: list[Phrase] = Field(default_factory=list)
    opposes: list[Phrase] = Field(default_factory=list)
    conditional: list[Phrase] = Field(default_factory=list)
    reciprocal: list[Phrase] = Field(default_factory=list)
    reporting: list[Phrase] = Field(default_factory=list)
    neutral: list[Phrase] = Field(default_factory=list)


class ReviewConfig(Strict):
    """Which claims wait for an editor before they alert."""

    min_confidence: float = Field(default=DEFAULT_MIN_CONFIDENCE, ge=0, le=1)
    own_words_window: Duration = Field(
        default=DEFAULT_OWN_WORDS_WINDOW.total_seconds(), ge=0, le=366 * 86_400
    )

    def policy(self) -> ReviewPolicy:
        """Return the domain's review policy."""
        return ReviewPolicy(self.min_confidence, timedelta(seconds=self.own_words_window))


class TopicFile(Strict):
    """`topics/<id>.yaml`."""

    id: Identifier
    name: str
    description: str = ""
    relevance: RelevanceConfig
    actors: dict[Identifier, ActorConfig] = Field(default_factory=dict)
    collectives: dict[Phrase, Literal["persons", "countries"]] = Field(default_factory=dict)
    issues: dict[Identifier, IssueConfig] = Field(default_factory=dict)
    facts: dict[str, FactConfig] = Field(default_factory=dict)
    stance_cues: StanceCues = Field(default_factory=StanceCues)
    review: ReviewConfig = Field(default_factory=ReviewConfig)

    @model_validator(mode="after")
    def _references(self) -> TopicFile:
        for actor_id, actor in self.actors.items():
            for ref in (actor.member_of, actor.voice_of):
                if ref is not None and ref not in self.actors:
                    raise ValueError(f"actor {actor_id!r} refers to unknown actor {ref!r}")
        for issue_id, issue in self.issues.items():
            if issue.refines is not None and issue.refines not in self.issues:
                raise ValueError(f"issue {issue_id!r} refines unknown issue {issue.refines!r}")
        return self


SourceKind = Literal["feed"]
