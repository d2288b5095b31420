"""How people say yes, no and "I don't know", as patients and as residents.

All patterns run on ``text.normalize``d messages. The word lists are general knowledge of
conversational and clinical English (chart shorthand such as "nil", "neg", "denies", "+",
"unremarkable", "n/k").
"""

from __future__ import annotations

import re
from typing import Literal

Polarity = Literal["yes", "no", "unknown"]


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


#: Fillers before the real answer: "um, no", "well yes", "sadly yes".
_HEDGE = (
    r"(?:(?:um+|uh+|er+m?|hmm+|well|ok(?:ay)?|so|oh|ah|honestly|actually|sorry|sadly|"
    r"unfortunately|luckily|thankfully|fortunately|i\s+mean)[\s,.!]*)*"
)

#: "I don't know" in its forms; anywhere in the message.
UNKNOWN_RE = re.compile(
    _any(
        r"(?:^|\bi\s+|\bwe\s+)(?:really\s+)?(?:do\s*not|don't|do n't|didn't|dont)\s+"
        r"(?:really\s+)?know\b(?!\s+of\s+any)",
        r"\bidk\b|\bdk\b|\bdunno\b|\bunsure\b|\bno\s+(?:idea|clue)\b",
        r"\bnot\s+a\s+(?:scooby|clue)\b|\bhaven't\s+(?:got\s+)?(?:a|the\s+foggiest|the\s+faintest)"
        r"(?:\s+(?:clue|idea))?\b",
        # still being looked into: "they're testing for it", "checking me for that"
        r"\b(?:testing|checking|investigating|screening|tested|checked|looking)\s+"
        r"(?:me\s+|him\s+|her\s+|them\s+|us\s+)?(?:for|into)\s+(?:it|that|this)\b",
        r"\bnot\s+(?:really\s+|quite\s+|100%?\s+|totally\s+|entirely\s+)?(?:sure|certain)\b"
        r"(?!\s+(?:when|where|which|how\s+(?:many|long|old)|what|exactly\s+when))",
        r"\b(?:can't|cannot|can not|couldn't|could not)\s+(?:really\s+)?"
        r"(?:say|tell|remember|recall)\b",
        r"\b(?:don't|do not|didn't)\s+(?:remember|recall)\b",
        r"\b(?:wouldn't|would\s+not)\s+know\b|\bhow\s+would\s+(?:i|we)\s+know\b",
        r"\b(?:hard|difficult|impossible)\s+to\s+(?:say|tell|know|describe|explain)\b",
        r"\bwho\s+knows\b|\buncertain\b|\bunclear\b|\bunk(?:nown)?\b|\bn/?k\b",
        r"\b(?:not|none|un)\s*(?:documented|recorded|assessed|examined|tested|checked)\b",
        r"\bnot\s+(?:to\s+hand|available|known)\b(?!\s+to\s+have)",
        r"\b(?:have|need|would\s+have|i'd\s+have|i'd\s+need)\s+to\s+(?:check|ask|look)\b",
        r"\bnever\s+(?:been\s+|had\s+(?:it|them|that)\s+)?(?:checked|tested|measured)\b",
        r"\bunable\s+to\s+(?:obtain|assess|say|tell|get|confirm)\b|\bso\s+(?:i\s+)?(?:don't|do\s+not)\s+know\b",
        r"\b(?:hasn't|has\s+not|haven't|have\s+not|didn't|did\s+not)\s+(?:said|say|"
        r"told\s+(?:us|me)|mentioned|complained|been\s+(?:checked|tested))\b",
        r"\b(?:don't|do\s+not|didn't)\s+have\s+(?:the\s+|any\s+|their\s+|his\s+|her\s+)?"
        r"(?:details|regimen|dates?|info|information|records?|notes|data|history|list|names?)\b",
        r"\bno\s+(?:details|info|information|records?|data)\b",
        r"\b(?:results?|tests?|labs?|biopsy|bloods|pth|calcium|levels?|imaging)\s+"
        r"(?:pending|awaited|tbc)\b|\bawaiting\s+(?:the\s+)?(?:results?|tests?|labs?|biopsy|bloods)\b",
        r"^\s*(?:pending|tbc|to\s+be\s+confirmed)\b",
        r"\bmaybe\b|\bperhaps\b|\bpossibly\b|\bmight\s+(?:be|have|do)\b|\bcould\s+be\b",
        r"^\s*(?:it's\s+|it\s+is\s+)?possible\b",
        # a declined answer is no evidence either way
        r"\b(?:prefer|rather|i'd\s+rather|want)\s+not\s+(?:to\s+)?(?:say|answer|tell|share)\b",
        r"\b(?:don't|do\s+not)\s+want\s+to\s+(?:say|answer|tell|share)\b|\bdecline[sd]?\s+to\s+(?:say|answer)\b",
        r"^\s*(?:hmm+|umm*|erm*)?\s*\?+\s*$|^\s*(?:hmm+|umm+|erm+)[\s.!]*$",
    )
)

_NOT_WHAT = _any(
    r"really", r"at\s+all", r"that\s+(?:i|we)\s+(?:know|remember|recall|am\s+aware)",
    r"that\s+(?:i'm|we're)\s+aware", r"as\s+far", r"to\s+my\s+knowledge", r"reported",
    r"present", r"seen", r"noted", r"applicable", r"any", r"ever", r"anymore", r"now", r"yet",
    r"so\s+far", r"currently", r"recently", r"much", r"particularly", r"usually", r"in",
    r"like\s+that", r"for\s+me", r"me", r"him", r"her", r"them", r"this", r"that",
)  # fmt: skip
_NEGATED_VERB = _any(
    r"haven't", r"have\s+not", r"hasn't", r"has\s+not", r"didn't", r"did\s+not", r"am\s+not",
    r"i'm\s+not", r"isn't", r"is\s+not", r"aren't", r"are\s+not", r"wasn't", r"weren't",
    r"don't", r"doesn't", r"do\s+not", r"does\s+not",
)  # fmt: skip

#: A "no" that opens an answer ("nope", "nah, never", "nil", "denies", "not that I know of").
NO_LEAD_RE = re.compile(
    rf"^{_HEDGE}"
    + _any(
        r"(?:definitely|absolutely|certainly|of\s+course|surely|totally)\s+not\b",
        r"no+\b|nope*s?\b|nah+\b|nay\b|naw\b|never\b|none\b|nil\b|neg\b|negative\b|neither\b",
        r"(?:i\s+)?(?:guess|suppose|reckon)\s+not\b|pretty\s+sure\s+not\b",
        r"(?:i'd|i\s+would)\s+say\s+(?:no|not)\b|(?:i\s+)?(?:wouldn't|would\s+not)\s+say\s+(?:so|that)\b",
        r"-ve\b|-\s*$|n\s*$|n/a\b|na\s*$|denie[sd]\b|deny\b|absent\b|nothing\b|nobody\b",
        r"no\s*one\b|\U0001f44e",
        r"(?:all\s+)?normal\b|unremarkable\b|wnl\b|nad\b|within\s+normal\s+limits\b",
        r"asymptomatic\b",
        rf"not\s+{_NOT_WHAT}\b",
        r"(?:i\s+)?(?:don't|do\s+not|dont)\s+(?:think|believe)\s+so\b",
        rf"(?:i\s+)?(?:doubt\s+it|{_NEGATED_VERB})\b",
        r"probably\s+not\b",
        r"(?:he|she|they|it)\s+(?:doesn't|don't|isn't|hasn't|haven't|didn't|is\s+not|has\s+not|"
        r"does\s+not)\b",
        r"not\b(?!\s+(?:sure|certain)\b)",
    )
)

#: A "yes" that opens an answer ("yeah", "yes!!", "+", "a bit", "sometimes").
YES_LEAD_RE = re.compile(
    rf"^{_HEDGE}"
    + _any(
        r"ye[sp]+\b|yeah?\b|yeh\b|yah?\b|yup\b|yas\b|aye\b|y\s*$|sure\b|for\s+sure\b",
        r"uh[\s-]*huh\b|mhm+\b|mm[\s-]*hmm\b|\U0001f44d",
        r"definitely\b|certainly\b|absolutely\b|totally\b|of\s+course\b|correct\b|indeed\b",
        r"true\b|(?:that's|that\s+is)\s+(?:right|correct|true)\b|right\s*[.!]*$",
        r"affirmative\b|\+|pos(?:itive)?\b|\+ve\b|present\b",
        r"i\s+(?:do|am|have|did|think\s+so)\b|i\s+think\s+so\b|think\s+so\b|probably\b",
        r"(?:he|she|they|it|we)\s+(?:do|does|did|has|have|is|are)\s*(?:[.!,]|$)",
        r"a\s+(?:bit|little|lot|fair\s+bit)\b|a\s+little\s+bit\b|some(?:times|what)\b",
        r"occasionally\b|often\b|always\b|constantly\b|all\s+the\s+time\b|on\s+and\s+off\b",
        r"off\s+and\s+on\b|now\s+and\s+then\b|kind\s+of\b|kinda\b|sort\s+of\b|sorta\b",
        r"slightly\b|mild(?:ly)?\b|very\s+much\b|loads\b|lots\b|quite\b|really\b",
        r"frequently\b|regularly\b|every\s+day\b|daily\b|yes+",
        r"yh\b|ye\b|yea\b|defo\b|deffo\b|defs\b|(?:i'd|i\s+would)\s+say\s+so\b",
        r"pretty\s+sure(?:\s+(?:yes|yeah|so|i\s+do|it\s+is|(?:s?he|they)\s+(?:do|does|is|are)))?\s*[.!?]*$",
        r"(?:i\s+)?(?:guess|suppose|reckon|believe)\s+so\b|i\s+(?:guess|suppose|reckon)\s*[.!?]*$",
        r"(?:only\s+|just\s+|mostly\s+|mainly\s+)?(?:in|during)\s+(?:the\s+)?(?:winter|cold)\b",
    )
)

#: A "no" anywhere: "... but I haven't", "they never gave me anything".
NO_ANYWHERE_RE = re.compile(
    _any(
        r"(?:\b(?:but|and|though)|,)\s+(?:i|he|she|they|we)\s+(?:haven't|hasn't|don't|doesn't|didn't|"
        r"have\s+not|has\s+not|do\s+not|does\s+not|never\s+(?:have|has|had|did))\s*[.!]*\s*$",
        r"\bnever\s+(?:been\s+)?(?:given|gave|prescribed|took|taken|had|used)\s+"
        r"(?:me|him|her|them|us)?\s*(?:any|anything)\b",
        r"\b(?:don't|do\s+not|doesn't|does\s+not|never)\s+(?:take|use|have)\s+(?:any|anything)\b",
    )
)
#: Polarity words anywhere that close an answer ("Raynaud's +", "... - no", "the lumps no.").
NO_TAIL_RE = re.compile(
    r"(?:\b(?:no+|nope|nah|nil|neg|negative|none)|-ve|\s-)\s*[.!]*\s*$"
    r"|\bnot\s+(?:now|anymore|any\s+more|these\s+days|nowadays|at\s+the\s+moment)\s*[.!]*\s*$"
    r"|\bnot\s+(?:me|him|her|them|us)\s*[.!]*\s*$"
)
YES_TAIL_RE = re.compile(r"(?:\b(?:yes|yeah|yep|positive|pos)|\+(?:ve)?)\s*[.!]*\s*$")
#: "the lumps no." / "joints no" inside a message: a noun phrase answered with a bare "no".
NO_CLAUSE_RE = re.compile(
    r"(?:^|[.;,!?]\s*)(?:the\s+|my\s+|his\s+|her\s+)?\w+\s+(?:no|nope)\s*(?:[.;,!]|$)"
)


def unknown_marker(text: str) -> bool:
    """Tell whether the normalised message says the person does not know."""
    return UNKNOWN_RE.search(text) is not None


#: Two negations that cancel ("never not thirsty"): the content decides, not the lead.
DOUBLE_NEGATION_RE = re.compile(rf"^{_HEDGE}(?:never|not)\s+(?:not|never)\b")
#: Evidence refuted after the fact ("they thought sarcoid but it wasn't", "ruled out").
REFUTED_RE = re.compile(
    _any(
        r"\bbut\s+(?:it|that|they)\s+(?:wasn't|was\s+not|isn't|is\s+not|weren't|were\s+not)\b",
        r"\bturned\s+out\s+(?:not|to\s+be\s+(?:nothing|something\s+else|fine|negative))\b",
        r"\bruled\s+(?:it\s+|that\s+)?out\b|\bcame\s+back\s+(?:negative|normal|clear|fine)\b",
    )
)


def refuted(text: str) -> bool:
    """Tell whether a normalised message says a suspicion turned out wrong."""
    return REFUTED_RE.search(text) is not None


def lead_polarity(text: str) -> Polarity | None:
    """Yes/no from the way a normalised answer opens or closes, else None."""
    if DOUBLE_NEGATION_RE.search(text):
        return None
    if NO_LEAD_RE.search(text):
        return "no"
    if YES_LEAD_RE.search(text):
        return "yes"
    if NO_TAIL_RE.search(text) or NO_CLAUSE_RE.search(text):
        return "no"
    if YES_TAIL_RE.search(text):
        return "yes"
    if NO_ANYWHERE_RE.search(text):
        return "no"
    return None


_WHO = r"(?:i|s?he|they|we)"
#: An answer saying it stopped ("not anymore", "used to", "no longer", "stopped").
CEASED_LEAD_RE = re.compile(
    rf"^{_HEDGE}(?:(?:no+|nope|nah|yes|yeah|yep)[\s,.!]*)?(?:but\s+)?"
    + _any(
        r"not\s+(?:any\s*more|any\s+longer)\b",
        rf"(?:not\s+(?:now|currently|at\s+the\s+moment),?\s+)?(?:but\s+)?(?:{_WHO}\s+)?used\s+to\b",
        rf"no\s+longer\b|previously\b|formerly\b|in\s+the\s+past\b|(?:{_WHO}\s+)?stopped\b",
        rf"(?:{_WHO}\s+)?(?:came|come)\s+off\b|(?:{_WHO}\s+)?quit\b",
        rf"{_WHO}\s+(?:was|were)\s+on\s+(?:it|them|that|those)\b",
    )
)
#: "..., but I stopped": it stopped, wherever it is said.
CEASED_ANYWHERE_RE = re.compile(rf"\b(?:but|then)\s+(?:{_WHO}\s+)?(?:stopped|quit|came\s+off)\b")
#: An answer saying it was so at some time ("I was, before my transplant", "I have been").
PAST_LEAD_RE = re.compile(
    rf"^{_HEDGE}(?:(?:no+|nope|nah|yes|yeah|yep)[\s,.!]*)?(?:but\s+)?"
    + _any(
        rf"(?:{_WHO}|one|it|two|one\s+of\s+them|a\s+couple)\s+(?:was|were|did|had(?:\s+(?:it|that|one|some))?)"
        r"(?=\s*(?:[,.!;]|$|but\b|before\b|until\b|till\b|for\b|years?\b|a\s+(?:while|long|couple|few)\b|"
        r"once\b|in\s+(?:the\s+past|\d+)\b|as\s+a\b|when\b|last\b|\d))",
        r"(?:i've|i\s+have|s?he's|s?he\s+has|they've|they\s+have|we've)\s+been\b"
        r"(?!\s+(?:on|doing|having|getting|taking|told|diagnosed))",
        r"once\b",
        r"(?:had|got)\s+(?:one|it|some|them|a\s+few|a\s+couple|a\s+bout)\s+"
        r"(?:last|in|a|years?|when|as|once|before|ages|\d|back|ago|but)\b",
    )
)
#: "not currently", "not at the moment": says nothing about the past.
NOT_NOW_RE = re.compile(
    rf"^{_HEDGE}(?:(?:no+|nope|nah)[\s,.!]*)?(?:{_WHO}\s+(?:am|is|are|'m|'s|'re)\s+)?not\s+"
    r"(?:right\s+)?(?:now|currently|at\s+the\s+moment|at\s+present|presently|today)\s*[.!]*$"
)


def ceased_lead(text: str) -> bool:
    """Tell whether a normalised answer says it stopped ("not anymore", "I used to")."""
    return CEASED_LEAD_RE.search(text) is not None or CEASED_ANYWHERE_RE.search(text) is not None


def past_lead(text: str) -> bool:
    """Tell whether a normalised answer says it was so once (stopped, "I was", "once")."""
    return ceased_lead(text) or PAST_LEAD_RE.search(text) is not None


def not_now(text: str) -> bool:
    """Tell whether a normalised answer only denies the present ("not at the moment")."""
    return NOT_NOW_RE.search(text) is not None
