"""How people say yes, no and "I don't know", as patients and as residents.

All patterns run on ``text.normalize``d messages. The word lists are general knowledge of
conversational and clinical English (chart shorthand such as "nil", "neg", "denies", "+").
"""

from __future__ import annotations

import re
from typing import Literal

Polarity = Literal["yes", "no", "unknown"]

_HEDGE = r"(?:(?:um+|uh+|er+m?|hmm+|well|ok(?:ay)?|so|oh|ah|honestly|actually|sorry)[\s,.!]*)*"

#: "I don't know" in its forms; anywhere in the message.
UNKNOWN_RE = re.compile(
    r"(?:(?:^|\bi\s+|\bwe\s+)(?:really\s+)?(?:do\s*not|don't|do n't|didn't|dont)\s+"
    r"(?:really\s+)?know\b"
    r"(?!\s+of\s+any)"
    r"|\bidk\b|\bdk\b|\bdunno\b|\bunsure\b|\bno\s+(?:idea|clue)\b"
    r"|\bnot\s+(?:really\s+|quite\s+|100%?\s+|totally\s+|entirely\s+)?(?:sure|certain)\b"
    r"(?!\s+(?:when|where|which|how\s+(?:many|long|old)|what|exactly\s+when))"
    r"|\b(?:can't|cannot|can not|couldn't|could not)\s+(?:really\s+)?(?:say|tell|remember|recall)\b"
    r"|\b(?:don't|do not|didn't)\s+(?:remember|recall)\b"
    r"|\b(?:hard|difficult|impossible)\s+to\s+(?:say|tell|know|describe|explain)\b"
    r"|\bwho\s+knows\b|\buncertain\b|\bunclear\b|\bunk(?:nown)?\b|\bn/?k\b"
    r"|\b(?:not|none|un)\s*(?:documented|recorded)\b"
    r"|\bnot\s+(?:to\s+hand|available|known)\b(?!\s+to\s+have)"
    r"|\b(?:have|need|would\s+have|i'd\s+have|i'd\s+need)\s+to\s+(?:check|ask|look)\b"
    r"|\b(?:hasn't|has\s+not|haven't|have\s+not|didn't|did\s+not)\s+(?:said|say|told\s+(?:us|me)|"
    r"mentioned|complained|been\s+(?:checked|tested))\b"
    r"|\b(?:don't|do\s+not|didn't)\s+have\s+(?:the\s+|any\s+|their\s+|his\s+|her\s+)?"
    r"(?:details|regimen|dates?|info|information|records?|notes|data|history|list|names?)\b"
    r"|\bno\s+(?:details|info|information|records?|data)\b"
    r"|\bmaybe\b|\bperhaps\b|\bpossibly\b|\bmight\s+(?:be|have|do)\b"
    r"|^\s*(?:hmm+|umm*|erm*)?\s*\?+\s*$|^\s*(?:hmm+|umm+|erm+)[\s.!]*$)"
)

#: A "no" that opens an answer ("nope", "nah, never", "nil", "denies", "not that I know of").
NO_LEAD_RE = re.compile(
    rf"^{_HEDGE}(?:(?:definitely|absolutely|certainly|of\s+course|surely|totally)\s+not\b|no+\b|nope\b|nah+\b|nay\b|naw\b|never\b|none\b|nil\b|neg\b|negative\b|"
    r"-ve\b|-\s*$|n\s*$|n/a\b|na\s*$|denie[sd]\b|deny\b|absent\b|nothing\b|nobody\b|no\s*one\b|"
    r"not\s+(?:really|at\s+all|that\s+(?:i|we)\s+(?:know|remember|recall|am\s+aware)|as\s+far|"
    r"to\s+my\s+knowledge|reported|present|seen|noted|applicable|any|ever|anymore|now|yet|"
    r"so\s+far|currently|recently|much|particularly|usually|really)\b|"
    r"(?:i\s+)?(?:don't|do\s+not|dont)\s+(?:think|believe)\s+so\b|"
    r"(?:i\s+)?(?:doubt\s+it|haven't|have\s+not|hasn't|has\s+not|didn't|did\s+not|"
    r"am\s+not|i'm\s+not|isn't|is\s+not|aren't|are\s+not|wasn't|weren't|don't|doesn't|"
    r"do\s+not|does\s+not)\b|"
    r"probably\s+not\b|(?:he|she|they|it)\s+(?:doesn't|don't|isn't|hasn't|haven't|"
    r"didn't|is\s+not|has\s+not|does\s+not)\b)"
)

#: A "yes" that opens an answer ("yeah", "yes!!", "+", "a bit", "sometimes").
YES_LEAD_RE = re.compile(
    rf"^{_HEDGE}(?:ye[sp]+\b|yeah?\b|yeh\b|yah?\b|yup\b|yas\b|aye\b|y\s*$|sure\b|"
    r"definitely\b|certainly\b|absolutely\b|of\s+course\b|correct\b|indeed\b|true\b|"
    r"affirmative\b|\+|pos(?:itive)?\b|\+ve\b|present\b|i\s+(?:do|am|have|did|think\s+so)\b|"
    r"(?:he|she|they|it|we)\s+(?:do|does|did|has|have|is|are)\s*[.!]*$|i\s+think\s+so\b|"
    r"think\s+so\b|probably\b|a\s+(?:bit|little|lot|fair\s+bit)\b|a\s+little\s+bit\b|"
    r"some(?:times|what)\b|occasionally\b|often\b|always\b|constantly\b|all\s+the\s+time\b|"
    r"on\s+and\s+off\b|off\s+and\s+on\b|now\s+and\s+then\b|kind\s+of\b|kinda\b|sort\s+of\b|"
    r"sorta\b|slightly\b|mild(?:ly)?\b|very\s+much\b|loads\b|lots\b|quite\b|really\b|"
    r"frequently\b|regularly\b|every\s+day\b|daily\b|yes+)"
)

#: A "no" anywhere: "... but I haven't", "they never gave me anything".
NO_ANYWHERE_RE = re.compile(
    r"(?:\b(?:but|and|though)\s+(?:i|he|she|they|we)\s+(?:haven't|hasn't|don't|doesn't|didn't|"
    r"have\s+not|has\s+not|do\s+not|does\s+not|never\s+(?:have|has|had|did))\s*[.!]*\s*$)"
    r"|\bnever\s+(?:been\s+)?(?:given|gave|prescribed|took|taken|had|used)\s+"
    r"(?:me|him|her|them|us)?\s*(?:any|anything)\b"
    r"|\b(?:don't|do\s+not|doesn't|does\s+not|never)\s+(?:take|use|have)\s+(?:any|anything)\b"
)
#: Polarity words anywhere that close an answer ("Raynaud's +", "... - no", "the lumps no.").
NO_TAIL_RE = re.compile(r"(?:\b(?:no+|nope|nah|nil|neg|negative|none)|-ve|\s-)\s*[.!]*\s*$")
YES_TAIL_RE = re.compile(r"(?:\b(?:yes|yeah|yep|positive|pos)|\+(?:ve)?)\s*[.!]*\s*$")
#: "the lumps no." / "joints no" inside a message: a noun phrase answered with a bare "no".
NO_CLAUSE_RE = re.compile(
    r"(?:^|[.;,!?]\s*)(?:the\s+|my\s+|his\s+|her\s+)?\w+\s+(?:no|nope)\s*(?:[.;,!]|$)"
)


def unknown_marker(text: str) -> bool:
    """Tell whether the normalised message says the person does not know."""
    return UNKNOWN_RE.search(text) is not None


def lead_polarity(text: str) -> Polarity | None:
    """Yes/no from the way a normalised answer opens or closes, else None."""
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
