"""Claims from an OpenAI-compatible chat completions API, held to the topic's vocabulary.

The model is told the vocabulary and asked for JSON in the `tracker extract` format; what it
returns is checked: unknown actors, issues, stances or fact keys are dropped, values typed,
and evidence located in the document (a quote that is not in the text is not evidence).
Failures raise ExtractionUnavailable; `FallbackExtractor` then uses the rules.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import structlog

from tracker.domain.claims import Evidence, Extraction, FactClaim, PositionClaim, Stance
from tracker.domain.extraction.document import Document
from tracker.domain.extraction.extractor import Extractor
from tracker.domain.extraction.vocabulary import Vocabulary

log = structlog.get_logger(__name__)
_ISO_DATE = len("2025-03-18")


class ExtractionUnavailable(Exception):
    """The model could not be asked, or did not answer in the expected form."""


@dataclass(frozen=True)
class ChatSettings:
    """Where the API is and which model to use; the key is a secret."""

    url: str  # e.g. http://localhost:8000/v1
    model: str
    api_key: str | None = None
    timeout: float = 60.0


def _prompt(vocab: Vocabulary) -> str:
    actors = "\n".join(
        f"- {a.id}: {a.name} (also: {', '.join(a.aliases[:6])})" for a in vocab.actors
    )
    issues = "\n".join(f"- {i.id}: {i.name}" for i in vocab.issues)
    facts = "\n".join(
        f"- {f.key} ({f.type}{': ' + ', '.join(f.values) if f.values else ''})" for f in vocab.facts
    )
    return (
        "You read statements and record the positions and key facts they state.\n"
        f"Actors:\n{actors}\nIssues (propositions):\n{issues}\nFacts:\n{facts}\n"
        "Stances: supports, opposes, conditional (support with demands beyond reciprocity).\n"
        "Reported speech counts for the actor whose position it is. Answer with JSON only:\n"
        '{"positions": [{"actor": id, "issue": id, "stance": s, "conditions": [text], '
        '"evidence": "the sentence, quoted exactly"}], "facts": [{"key": key, "value": v, '
        '"evidence": "the sentence, quoted exactly"}]}'
    )


def _evidence(text: str, quote: Any, document: str) -> Evidence | None:
    """Find the quoted sentence in the text; a claim whose evidence is not there is invented."""
    quote = str(quote or "").strip()
    start = text.find(quote) if quote else -1
    if start < 0:
        return None
    return Evidence(quote, start, start + len(quote), document)


def _conditions(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(c.strip() for c in value if isinstance(c, str) and c.strip())


def _iso_date(value: Any) -> str | None:
    try:
        return date.fromisoformat(str(value).strip()[:_ISO_DATE]).isoformat()
    except ValueError:
        return None


def _fact_value(
    kind: str, value: Any, allowed: dict[str, tuple[str, ...]]
) -> int | float | str | None:
    if kind == "enum":
        return str(value) if str(value) in allowed else None
    if kind == "date":
        return _iso_date(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return int(number) if kind in {"int", "minutes"} else number


class ChatExtractor:
    """Asks the model, then keeps only what fits the vocabulary."""

    def __init__(
        self, vocabulary: Vocabulary, settings: ChatSettings, client: httpx.Client | None = None
    ) -> None:
        self.vocabulary = vocabulary
        self.settings = settings
        self._client = client or httpx.Client(timeout=settings.timeout, trust_env=False)

    def _ask(self, document: Document) -> dict[str, Any]:
        headers = (
            {"Authorization": f"Bearer {self.settings.api_key}"} if self.settings.api_key else {}
        )
        body = {
            "model": self.settings.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": _prompt(self.vocabulary)},
                {
                    "role": "user",
                    "content": f"Speaker: {document.speaker or 'unknown'}\n\n{document.text}",
                },
            ],
        }
        try:
            response = self._client.post(
                self.settings.url.rstrip("/") + "/chat/completions", json=body, headers=headers
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            answer = json.loads(content)
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ExtractionUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(answer, dict):
            raise ExtractionUnavailable("the model did not answer with a JSON object")
        return answer

    def extract(self, document: Document) -> Extraction:
        """Return the claims the model reads, checked against the vocabulary."""
        answer = self._ask(document)
        actors = {a.id for a in self.vocabulary.actors}
        issues = {i.id for i in self.vocabulary.issues}
        facts = {f.key: f for f in self.vocabulary.facts}
        positions = []
        for item in answer.get("positions") or []:
            if (
                not isinstance(item, dict)
                or item.get("actor") not in actors
                or item.get("issue") not in issues
            ):
                continue
            try:
                stance = Stance(str(item.get("stance")))
            except ValueError:
                continue
            conditions = _conditions(item.get("conditions"))
            evidence = _evidence(document.text, item.get("evidence"), document.id)
            if evidence is None:
                continue
            positions.append(
                PositionClaim(item["actor"], item["issue"], stance, evidence, conditions, 0.6)
            )
        found = []
        for item in answer.get("facts") or []:
            spec = facts.get(str(item.get("key"))) if isinstance(item, dict) else None
            value = _fact_value(spec.type, item.get("value"), spec.values) if spec else None
            evidence = _evidence(document.text, item.get("evidence"), document.id)
            if spec is not None and value is not None and evidence is not None:
                found.append(FactClaim(spec.key, value, evidence, 0.6))
        return Extraction(positions, found)


class FallbackExtractor:
    """Uses the first extractor, and the second when the first is unavailable."""

    def __init__(self, primary: Extractor, fallback: Extractor) -> None:
        self.primary, self.fallback = primary, fallback

    def extract(self, document: Document) -> Extraction:
        """Return the primary's claims, or the fallback's if the primary cannot answer."""
        try:
            return self.primary.extract(document)
        except ExtractionUnavailable as exc:
            reason = str(exc)[:200]
        except Exception as exc:  # a malformed answer the checks missed: the rules still read it
            reason = f"unexpected {type(exc).__name__}"
            log.exception("model extraction failed", document=document.id)
        log.warning(
            "model extraction unavailable; using the rules", document=document.id, reason=reason
        )
        return self.fallback.extract(document)
