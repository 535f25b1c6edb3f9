"""Alert messages: the title and body a person reads for each kind of event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_EXCERPT_CHARS = 600


@dataclass(frozen=True)
class Message:
    """A rendered alert: one line of title, a plain-text body."""

    title: str
    body: str
    severity: str


def _excerpt(text: str, limit: int = _EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " ..."


def _footer(data: dict[str, Any]) -> str:
    statement = data.get("statement", {})
    source = data.get("source", {})
    lines = []
    if statement.get("url"):
        lines.append(statement["url"])
    via = source.get("speaker") or source.get("id", "")
    meta = [f"source: {via}"] if via else []
    if data.get("topics"):
        meta.append("topics: " + ", ".join(data["topics"]))
    if statement.get("published"):
        meta.append("published " + statement["published"][:16].replace("T", " "))
    if meta:
        lines.append(" | ".join(meta))
    return "\n".join(lines)


def _statement_new(data: dict[str, Any]) -> tuple[str, str]:
    statement = data["statement"]
    body = _excerpt(statement.get("text") or "") or "(no text yet: the source gave a title only)"
    return f"New statement: {statement['title']}", f"{body}\n\n{_footer(data)}"


def _statement_edited(data: dict[str, Any]) -> tuple[str, str]:
    statement = data["statement"]
    label = "Text published" if data.get("edit") == "text_added" else "Edited"
    return f"{label}: {statement['title']}", f"{data.get('diff', '')}\n\n{_footer(data)}"


def _source_failing(data: dict[str, Any]) -> tuple[str, str]:
    source = data["source"]
    body = f"{data['consecutive_failures']} failed polls in a row. Last error: {data['error']}"
    return f"Source failing: {source['id']}", f"{body}\n{source.get('url', '')}"


def _source_recovered(data: dict[str, Any]) -> tuple[str, str]:
    source = data["source"]
    return f"Source recovered: {source['id']}", f"Polling works again.\n{source.get('url', '')}"


_RENDERERS: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    "statement.new": _statement_new,
    "statement.edited": _statement_edited,
    "source.failing": _source_failing,
    "source.recovered": _source_recovered,
}


def render(event_type: str, severity: str, data: dict[str, Any]) -> Message:
    """Return the alert for an event; unknown types get a generic one rather than nothing."""
    renderer = _RENDERERS.get(event_type)
    if renderer is None:
        title, body = event_type, _excerpt(str(data.get("summary", "")))
    else:
        title, body = renderer(data)
    prefix = "" if severity == "routine" else f"[{severity.upper()}] "
    return Message(title=prefix + title, body=body.strip(), severity=severity)


_STANCE_WORDS = {
    "supports": "supports",
    "opposes": "opposes",
    "conditional": "conditionally supports",
}


def _lower_first(text: str) -> str:
    """ "A general ceasefire" -> "a general ceasefire"; "US control" stays."""
    first = text.split(" ", 1)[0]
    return text if len(first) > 1 and first.isupper() else text[:1].lower() + text[1:]


def _quote(data: dict[str, Any]) -> str:
    evidence = data.get("evidence") or {}
    source = data.get("source") or {}
    lines = [f"\u201c{_excerpt(evidence.get('sentence', ''), 400)}\u201d"]
    said = [source.get("speaker") or source.get("id", ""), (data.get("stated_at") or "")[:10]]
    lines.append("\u2014 " + ", ".join(p for p in said if p))
    if evidence.get("url"):
        lines.append(evidence["url"])
    return "\n".join(lines)


def _position(data: dict[str, Any]) -> tuple[str, str]:
    actor, issue = data["actor"]["name"], _lower_first(data["issue"]["name"])
    stance = _STANCE_WORDS.get(data["stance"], data["stance"])
    conditions = data.get("conditions") or []
    body = ("Conditions: " + "; ".join(conditions) + "\n\n") if conditions else ""
    previous = data.get("previous")
    if previous is None:
        return f"Position: {actor} {stance} {issue}", body + _quote(data)
    before = _STANCE_WORDS.get(previous["stance"], previous["stance"])
    title = f"Position changed: {actor} on {issue}: {before} \u2192 {stance}"
    was = f"Before: {before} (said {previous['stated_at'][:10]}, {previous['source']})"
    return title, body + _quote(data) + "\n\n" + was


def _fact(data: dict[str, Any]) -> tuple[str, str]:
    name = data.get("name") or data["key"]
    value = str(data["value"]).replace("_", " ")
    previous = data.get("previous")
    if previous is None:
        return f"Key fact: {name}: {value}", _quote(data)
    old = str(previous["value"]).replace("_", " ")
    if "values" in data:
        title = (
            f"Disputed: {name}: {old} ({previous['source']}) vs {value} ({data['source']['id']})"
        )
        return title, _quote(data)
    return f"Key fact changed: {name}: {old} \u2192 {value}", _quote(data)


_RENDERERS.update(
    {
        "position.new": _position,
        "position.changed": _position,
        "fact.new": _fact,
        "fact.changed": _fact,
        "fact.disputed": _fact,
    }
)
