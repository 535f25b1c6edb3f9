"""Alert bodies from sandboxed Jinja2 templates, one per format: text, markdown, HTML.

Untrusted text (statements, feed fields) is escaped for the format: HTML autoescaped,
markdown punctuation backslashed, links only http(s). Templates in `<config>/templates/`
override the shipped ones by name (`position.markdown.j2`, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from tracker.domain.messages import STANCE_WORDS, lower_first, title, words

FORMATS = ("text", "markdown", "html")
_FAMILIES = frozenset({"statement", "position", "fact", "source", "endpoint"})
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|>~<-])")
_HUNK = re.compile(r"\[-(.*?)-\]|\{\+(.*?)\+\}", re.DOTALL)
_EXCERPT = 600


@dataclass(frozen=True)
class Message:
    """A rendered alert."""

    title: str
    body: str
    format: str


def _md(value: object) -> str:
    return _MD_SPECIAL.sub(r"\\\1", str(value))


def _url(value: object) -> str:
    text = str(value or "")
    if not re.match(r"^https?://", text, re.IGNORECASE):
        return ""
    return text.replace(")", "%29").replace("(", "%28").replace(" ", "%20")


def _excerpt(value: object, limit: int = _EXCERPT) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."


def _when(value: object) -> str:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))  # noqa: FURB162 - Python 3.10 reads no "Z"
    except ValueError:
        return str(value or "")
    if (moment.hour, moment.minute) == (0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _pieces(text: str) -> list[tuple[str, str]]:
    """Split a word diff into ("same" | "del" | "ins", words) pieces."""
    pieces, last = [], 0
    for hunk in _HUNK.finditer(text):
        pieces.append(("same", text[last : hunk.start()]))
        pieces.append(
            ("del", hunk.group(1)) if hunk.group(1) is not None else ("ins", hunk.group(2))
        )
        last = hunk.end()
    pieces.append(("same", text[last:]))
    return pieces


_PLAIN = {"del": "[removed: {}]", "ins": "[added: {}]"}


def _plain_diff(pieces: list[tuple[str, str]]) -> str:
    """Plain text a person reads: "talks [could \u2192 will not] resume", "[added: on Monday]"."""
    out, index = [], 0
    while index < len(pieces):
        kind, part = pieces[index]
        after = pieces[index + 1 : index + 3]
        replaced = [k for k, _ in after] == ["same", "ins"] and not after[0][1].strip()
        if kind == "del" and replaced:
            out.append(f"[{part.strip()} \u2192 {after[1][1].strip()}]")  # [-a-] {+b+}
            index += 3
            continue
        out.append(part if kind == "same" else _PLAIN[kind].format(part.strip()))
        index += 1
    return "".join(out)


def _diff(value: object, fmt: str) -> str:
    """Render `[-removed-] {+added+}` hunks for the format."""
    pieces = _pieces(str(value or ""))
    if fmt == "text":
        return _plain_diff(pieces)
    if fmt == "markdown":
        marks = {"same": "{}", "del": "~~{}~~", "ins": "**{}**"}
        return "".join(
            marks[kind].format(_md(part)) if part.strip() else part for kind, part in pieces
        )
    tags = {"same": "{}", "del": "<del>{}</del>", "ins": "<ins>{}</ins>"}
    return Markup("".join(tags[kind].format(escape(part)) for kind, part in pieces))  # noqa: S704 - parts escaped


class Renderer:
    """Renders events (and digests of events) for a channel's format."""

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders = (
            [FileSystemLoader(str(override_dir))] if override_dir and override_dir.is_dir() else []
        )
        loaders.append(FileSystemLoader(str(Path(__file__).parent / "templates")))
        self._envs = {}
        for fmt in FORMATS:
            env = SandboxedEnvironment(
                loader=ChoiceLoader(loaders),
                undefined=ChainableUndefined,
                autoescape=select_autoescape(enabled_extensions=(), default=fmt == "html"),
                trim_blocks=False,
                lstrip_blocks=False,
            )
            env.filters.update(
                md=_md,
                url=_url,
                excerpt=_excerpt,
                when=_when,
                words=words,
                lower_first=lower_first,
                stance=lambda s: STANCE_WORDS.get(str(s), str(s)),
                diff=partial(_diff, fmt=fmt),
            )
            self._envs[fmt] = env

    def render(self, event_type: str, severity: str, data: dict[str, Any], fmt: str) -> Message:
        """Return the alert for one event in `fmt` (text, markdown or html)."""
        family = event_type.split(".", 1)[0]
        name = f"{family if family in _FAMILIES else 'generic'}.{fmt}.j2"
        event = {"type": event_type, "severity": severity}
        body = self._envs[fmt].get_template(name).render(event=event, data=data)
        return Message(title(event_type, severity, data), body.strip(), fmt)

    def digest(self, events: list[tuple[str, str, dict[str, Any]]], fmt: str) -> Message:
        """Return one alert listing several events (type, severity, data), oldest first."""
        items = [
            {
                "title": title(t, s, d),
                "url": (d.get("statement") or d.get("evidence") or {}).get("url"),
            }
            for t, s, d in events
        ]
        body = self._envs[fmt].get_template(f"digest.{fmt}.j2").render(items=items)
        worst = min(
            (s for _, s, _ in events), key=["flash", "urgent", "routine"].index, default="routine"
        )
        plural = "s" if len(events) != 1 else ""
        head = f"Digest: {len(events)} update{plural}"
        return Message(
            head if worst == "routine" else f"[{worst.upper()}] {head}", body.strip(), fmt
        )
