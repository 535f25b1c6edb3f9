"""Who holds a position: actor mentions in a sentence, and the subject a stance cue belongs to."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tracker.domain.extraction.lexicon import INSTITUTION_NOUNS
from tracker.domain.extraction.mentions import ActorMention
from tracker.domain.extraction.patterns import Match
from tracker.domain.extraction.text import Sentence, quoted_spans
from tracker.domain.extraction.vocabulary import Vocabulary

_COORDINATION = re.compile(r"^(?:['\u2019]s)?\s*(?:,|and|,\s*and|&|as well as)\s*$")
_QUOTE_FROM = re.compile(
    r"^\W*(?:quote|quotes|quoting|in the words of)\s+(?:from\s+)?[^:]{2,80}:", re.IGNORECASE
)
_INFINITIVE = re.compile(r"\bto\s+(?:\w+\s+)?$")
# what joins a demand to the one it is made of: "demands that [Russia]", "called on [Russia]"
_DEMAND_LINK = re.compile(r"\b((?i:that|for|on|upon))\s+(?:(?i:the)\s+)?(?:[A-Z][\w.-]*\s+){0,2}$")


@dataclass
class DocContext:
    """What the extractor knows about the document while it reads it, sentence by sentence."""

    vocab: Vocabulary
    speaker: str | None = None  # the actor whose statement this is
    principals: tuple[str, ...] = ()  # the persons most mentioned ("the leaders")
    countries: tuple[str, ...] = ()  # the countries most mentioned ("both sides")
    last_person: str | None = None  # what "he" refers to
    focus: tuple[str, ...] = ()  # what "this proposal" refers to
    # who speaks each sentence's quoted words, and whether that is a person
    sentence_speakers: dict[int, tuple[str | None, bool]] = field(default_factory=dict)
    speaker_person: bool = False  # the speaker line names a person (Peskov, not the Kremlin)
    quoted: str | None = None  # a report's one quoted speaker ("news (quotes Dmitry Peskov)")

    @property
    def voice(self) -> str | None:
        """Return whose position an impersonal sentence of the speaker states."""
        actor = self.vocab.actor(self.speaker) if self.speaker else None
        return (actor.voice_of or actor.id) if actor else None

    def own_words(self, holder: str, speaker: str | None, *, person: bool = False) -> str:
        """A person's own words go to that person even when they say "Ukraine" (and
        Peskov's "Russia is open to talks" is the Kremlin's, whose spokesman he is)."""
        actor = self.vocab.actor(speaker) if speaker else None
        if actor is None or actor.member_of != holder:
            return holder
        return actor.id if actor.kind == "person" or person else holder


def document_context(
    vocab: Vocabulary, sentences: Sequence[Sentence], speaker_line: str
) -> DocContext:
    """Read who speaks and who is most mentioned, for pronouns and collectives (sentence by
    sentence: each sentence's matches are then at hand when it is read)."""
    named = [m.label for s in sentences for m in vocab.actor_names.finditer(s.text)]
    kinds = {a.id: a.kind for a in vocab.actors}
    named_in_speaker = speaker_line.split("(", maxsplit=1)[0]
    speaker_ids = {m.label for m in vocab.actor_names.finditer(named_in_speaker)}
    speaker = next(iter(speaker_ids)) if len(speaker_ids) == 1 else None
    speaker_person = speaker is not None and any(
        m.text in vocab.person_names for m in vocab.actor_names.finditer(named_in_speaker)
    )
    persons = [a for a, _ in Counter(n for n in named if kinds.get(n) == "person").most_common()]
    countries = [a for a, _ in Counter(n for n in named if kinds.get(n) == "country").most_common()]
    in_speaker = [a for a in speaker_ids if kinds.get(a) == "country"]
    if len(in_speaker) >= 2:  # a joint statement: "both sides" are its authors
        countries = in_speaker + [c for c in countries if c not in in_speaker]
    quoted = None
    if speaker is None and "(" in speaker_line:
        inside = {m.label for m in vocab.actor_names.finditer(speaker_line.split("(", 1)[1])}
        quoted = next(iter(inside)) if len(inside) == 1 else None
    return DocContext(
        vocab,
        speaker,
        tuple(persons),
        tuple(countries),
        speaker_person=speaker_person,
        quoted=quoted,
    )


def _named_quote(sentence: Sentence, actors: list[ActorMention]) -> tuple[str, bool] | None:
    """ "Quote from Medinsky: ...": the speaker the sentence opens by naming."""
    named = _QUOTE_FROM.match(sentence.text)
    who = [a for a in actors if named and a.start < named.end() and a.kind == "name"]
    return (who[0].actors[0], who[0].person) if who else None


def quote_speaker(
    sentence: Sentence, actors: list[ActorMention], cues: list[Match], ctx: DocContext
) -> tuple[str | None, bool]:
    """Return who speaks the quoted words of a sentence (the attribution, else the speaker),
    and whether that is a person."""
    named = _named_quote(sentence, actors)
    if named is not None:
        return named
    spans = quoted_spans(sentence)
    if not spans:
        return None, False

    def inside(pos: int) -> bool:
        return any(a <= pos < b for a, b in spans)

    for cue in cues:
        if cue.label == "reporting" and not inside(cue.start):
            outside = [a for a in actors if not inside(a.start) and a.kind != "first"]
            nearest = min(outside, key=lambda a: abs(a.start - cue.start), default=None)
            if nearest is not None and abs(nearest.start - cue.start) < 40:
                return nearest.actors[0], nearest.person
    if sentence.quoted and sentence.index:
        earlier = ctx.sentence_speakers.get(sentence.index - 1, (None, False))
        if earlier[0] is not None:
            return earlier
    if ctx.speaker is None and ctx.quoted is not None:
        return ctx.quoted, True  # a report quoting one person: unattributed quotes are theirs
    return ctx.speaker, ctx.speaker_person


def find_actors(sentence: Sentence, ctx: DocContext, speaker: str | None) -> list[ActorMention]:
    """Find actor mentions: names, collectives ("both leaders") and pronouns, resolved."""
    text, vocab = sentence.text, ctx.vocab
    found = [
        ActorMention(m.start, m.end, (m.label,), "name", person=m.text in vocab.person_names)
        for m in vocab.actor_names.finditer(text)
    ]
    for match in vocab.collective_names.finditer(text):
        group = ctx.principals[:2] if match.label == "persons" else ctx.countries[:2]
        if group:
            found.append(ActorMention(match.start, match.end, tuple(group), "collective"))
    for match in vocab.pronouns.finditer(text):
        if any(m.start <= match.start < m.end for m in found):
            continue
        earlier = [m.actors[0] for m in found if m.person and m.end <= match.start]
        third = earlier[-1] if earlier else (ctx.last_person or ctx.quoted)
        who = (speaker or ctx.speaker) if match.label.startswith("first") else third
        if who is not None:
            third_person = not match.label.startswith("first")
            person = third_person or ctx.speaker_person or _is_person(vocab, who)
            bound = third_person and bool(earlier)
            found.append(ActorMention(match.start, match.end, (who,), match.label, person, bound))
    return sorted(found, key=lambda m: m.start)


def _is_person(vocab: Vocabulary, actor_id: str) -> bool:
    actor = vocab.actor(actor_id)
    return actor is not None and actor.kind == "person"


def _object_of_causative(text: str, mention: ActorMention, cue: Match, vocab: Vocabulary) -> bool:
    """True for Putin in "get Putin to agree", "demands that Russia implement", "the need
    for Putin to take": the agreeing is someone else's wish (or demand)."""
    before = text[max(0, mention.start - 30) : mention.start]
    link = _DEMAND_LINK.search(before)
    head = before[: link.start()] if link else before
    wished = any(m.end >= len(head) - 2 for m in vocab.causative.finditer(head))
    if not wished:
        return False
    if link and link.group(1).lower() == "that":  # "demands that Russia end ...": subjunctive
        return True
    return bool(_INFINITIVE.search(text[mention.end : cue.start]))


def _with_coordinated(text: str, actors: list[ActorMention], index: int) -> list[ActorMention]:
    group = [actors[index]]
    while index > 0 and _COORDINATION.match(text[actors[index - 1].end : actors[index].start]):
        index -= 1
        group.insert(0, actors[index])
    return group


_INSTITUTION = re.compile(
    r"^(?:['\u2019]s\s+)?(?:" + "|".join(re.escape(n) for n in INSTITUTION_NOUNS) + r")\b",
    re.IGNORECASE,
)


def _owns_a_cue(text: str, mention: ActorMention, cues: list[Match]) -> bool:
    """A possessive holds a stance when it owns a stance noun ("America's willingness") or
    speaks through an institution ("Russia's foreign ministry called ...")."""
    rest = text[mention.end :]
    skip = len(rest) - len(re.sub(r"^(?:['\u2019]s)?\s*", "", rest))
    return any(c.start == mention.end + skip for c in cues) or bool(_INSTITUTION.match(rest))


def subject_of(
    text: str,
    actors: list[ActorMention],
    cue: Match,
    vocab: Vocabulary,
    cues: Sequence[Match] = (),
) -> list[ActorMention]:
    """Return the actor(s) in subject position before a cue, or [] if there is none."""
    for index in range(len(actors) - 1, -1, -1):
        mention = actors[index]
        if mention.end > cue.start and not (
            mention.kind == "collective" and mention.start <= cue.start
        ):
            continue  # ("It was agreed" names its holders and holds its own cue)
        owner = mention.possessive(text) and _owns_a_cue(text, mention, [*cues, cue])
        if mention.possessive(text) and not owner:
            continue  # "our arguments and accepts": an owner of something else, not the subject
        if owner:  # "frustrated with Putin's refusal to agree": Putin's, whatever governs it
            return _with_coordinated(text, actors, index)
        if mention.preceded_by_preposition(text) or _object_of_causative(text, mention, cue, vocab):
            continue
        return _with_coordinated(text, actors, index)
    return []


_OWNER_GAP = re.compile(
    r"^(?:['\u2019]s)?\s*(?:(?:[A-Z][\w-]*|new|latest|recent|own|peace|initial|revised|original"
    r"|\d+-\w+|\w+-(?:day|point|hour|week)|repeated|renewed|earlier|last)\s+){0,2}"
    r"[\"\u201c\u2018\u00ab']?$"  # its "Easter ceasefire": scare quotes
)


def proposal_owner(text: str, actors: list[ActorMention], cue: Match) -> list[ActorMention]:
    """Return whose proposal it is: "Trump's initiative", "the US proposal", "an offer from X"."""
    for mention in reversed(actors):
        if mention.end <= cue.start and _OWNER_GAP.match(text[mention.end : cue.start]):
            return [mention]
    after = text[cue.end : cue.end + 60]
    owner = re.match(r"\s*(?:\w+\s+){0,3}?(?:from|by)\s+", after)
    if owner:
        start = cue.end + owner.end()
        return [m for m in actors if start <= m.start <= start + 6][:1]
    return []
