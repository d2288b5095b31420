"""Run the pipeline on a message and describe each entity: what it is and how it is said."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from bot.nlp.pipeline import CLAUSE_SUFFIX, Entry, get_nlp, load_lexicon

Status = Literal["affirmed", "hedged", "negated", "uncertain", "hypothetical", "family"]

#: Answer words that stand alone ("no, my fingers go white"): not a negation of what follows.
_ANSWER_WORDS = frozenset({"no", "nope", "nah", "nil", "none"})
#: Tokens that make a comma-separated segment affirmative on its own ("HD x3y", "Raynaud's +").
_AFFIRMING = frozenset(
    {
        "+", "++", "+ve", "pos", "positive", "yes", "present", "since", "on", "takes", "taking",
        "uses", "using", "has", "had", "started", "daily", "weekly", "monthly", "bd", "bid",
        "tds", "tid", "qd", "od", "prn", "mg", "mcg", "iu", "units",
    }
)  # fmt: skip
_DURATION_TOKEN = re.compile(
    r"^x\d+(?:[a-z]{1,3})?$|^\d+(?:y|yr|yrs|m|mo|mos)$|^\d+(?:k|mg|mcg|iu|g)$"
)
_SEGMENT_BREAKS = frozenset({",", ";", "+", "/"})
_PRIORITY: tuple[tuple[str, Status], ...] = (
    ("FAMILY", "family"),
    ("HYPOTHETICAL", "hypothetical"),
    ("POSSIBLE_EXISTENCE", "uncertain"),
    ("NEGATED_EXISTENCE", "negated"),
    ("HEDGE", "hedged"),
)


@dataclass(frozen=True)
class Mention:
    """One entity of a message with its ConText status."""

    entry: Entry
    label: str
    text: str
    start_char: int
    end_char: int
    sentence: int
    status: Status
    historical: bool
    lesion_context: bool

    @property
    def confident(self) -> bool:
        """Whether the entity is stated as a fact about the person (affirmed or negated)."""
        return self.status in ("affirmed", "negated")


def _segment(doc: Any, start: int, end: int) -> tuple[int, int]:
    """Token range of the comma-separated segment around ``doc[start:end]``."""
    sent = doc[start].sent
    left = start
    while left > sent.start and doc[left - 1].text not in _SEGMENT_BREAKS:
        left -= 1
    right = end
    while right < sent.end and doc[right].text not in _SEGMENT_BREAKS:
        right += 1
    # "Raynaud's +": the marker closing the segment belongs to it
    if right < sent.end and doc[right].text in ("+", "++"):
        right += 1
    return left, right


def _affirmed_segment(doc: Any, left: int, right: int) -> bool:
    return any(t.lower_ in _AFFIRMING or _DURATION_TOKEN.match(t.lower_) for t in doc[left:right])


def _category(modifier: Any) -> str:
    return str(modifier.category).removesuffix(CLAUSE_SUFFIX)


def _counts(doc: Any, modifier: Any, seg: tuple[int, int], affirmed_seg: bool) -> bool:
    """Whether a ConText modifier really applies (standalone answers and other segments don't)."""
    start, end = modifier.modifier_span
    if _category(modifier) == "NEGATED_EXISTENCE":
        words = doc[start:end]
        if (
            len(words) == 1
            and words[0].lower_ in _ANSWER_WORDS
            and (end >= len(doc) or doc[end].is_punct)
        ):
            return False
        if affirmed_seg and not (seg[0] <= start < seg[1]):
            return False
    return True


def analyse(message: str) -> list[Mention]:
    """Entities of ``message`` with their status (negated, uncertain, ...), in text order."""
    nlp = get_nlp()
    entries = load_lexicon().entries
    doc = nlp(message)
    sentences = {s.start: i for i, s in enumerate(doc.sents)}
    lesion_sents = {sentences[e.sent.start] for e in doc.ents if e.label_ == "LESION"}
    out: list[Mention] = []
    for ent in doc.ents:
        entry = entries.get(ent.ent_id_)
        if entry is None:
            continue
        seg = _segment(doc, ent.start, ent.end)
        affirmed_seg = _affirmed_segment(doc, *seg)
        categories = {_category(m) for m in ent._.modifiers if _counts(doc, m, seg, affirmed_seg)}
        status: Status = "affirmed"
        for category, name in _PRIORITY:
            if category in categories:
                status = name
                break
        sentence = sentences[ent.sent.start]
        out.append(
            Mention(
                entry=entry,
                label=ent.label_,
                text=ent.text,
                start_char=ent.start_char,
                end_char=ent.end_char,
                sentence=sentence,
                status=status,
                historical="HISTORICAL" in categories,
                lesion_context=sentence in lesion_sents,
            )
        )
    return out
