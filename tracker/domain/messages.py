"""Alert titles: the one line a person reads first, for each kind of event.

Bodies are rendered per channel format (text, markdown, HTML) by the delivery templates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STANCE_WORDS = {
    "supports": "supports",
    "opposes": "opposes",
    "conditional": "conditionally supports",
}


def lower_first(text: str) -> str:
    """ "A general ceasefire" -> "a general ceasefire"; "US control" stays."""
    first = text.split(" ", 1)[0]
    return text if len(first) > 1 and first.isupper() else text[:1].lower() + text[1:]


def words(value: object) -> str:
    """Return a value as words: "energy_infrastructure" -> "energy infrastructure"."""
    return str(value).replace("_", " ")


def _statement(event_type: str, data: dict[str, Any]) -> str:
    title = data["statement"]["title"]
    if event_type == "statement.new" and data.get("late"):
        published = str(data["statement"].get("published") or "")[:10]
        return f"Older statement (published {published}): {title}"
    if event_type == "statement.new":
        return f"New statement: {title}"
    label = "Text published" if data.get("edit") == "text_added" else "Edited"
    return f"{label}: {title}"


def _position(_event_type: str, data: dict[str, Any]) -> str:
    actor, issue = data["actor"]["name"], lower_first(data["issue"]["name"])
    stance = STANCE_WORDS.get(data["stance"], data["stance"])
    previous = data.get("previous")
    if previous is None:
        return f"Position: {actor} {stance} {issue}"
    before = STANCE_WORDS.get(previous["stance"], previous["stance"])
    return f"Position changed: {actor} on {issue}: {before} \u2192 {stance}"


def _fact(event_type: str, data: dict[str, Any]) -> str:
    name, value = data.get("name") or data["key"], words(data["value"])
    previous = data.get("previous")
    if previous is None:
        return f"Key fact: {name}: {value}"
    old = words(previous["value"])
    if event_type == "fact.disputed":
        return f"Disputed: {name}: {old} ({previous['source']}) vs {value} ({data['source']['id']})"
    return f"Key fact changed: {name}: {old} \u2192 {value}"


def _source(event_type: str, data: dict[str, Any]) -> str:
    label = "Source failing" if event_type == "source.failing" else "Source recovered"
    return f"{label}: {data['source']['id']}"


def _endpoint(_event_type: str, data: dict[str, Any]) -> str:
    return f"Webhook endpoint disabled: {data['endpoint']['id']}"


_TITLES: dict[str, Callable[[str, dict[str, Any]], str]] = {
    "statement": _statement,
    "position": _position,
    "fact": _fact,
    "source": _source,
    "endpoint": _endpoint,
}


def title(event_type: str, severity: str, data: dict[str, Any]) -> str:
    """Return the alert title; flash and urgent say so; an unknown type gets its name."""
    family = event_type.split(".", 1)[0]
    try:
        text = _TITLES[family](event_type, data) if family in _TITLES else event_type
    except (KeyError, TypeError):
        text = event_type  # a malformed event still gets an alert, not an exception
    text = " ".join(text.split())
    return text if severity == "routine" else f"[{severity.upper()}] {text}"
