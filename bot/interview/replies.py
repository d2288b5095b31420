"""Reading the short answers of the interview's own questions (not findings).

``consent`` and ``summary_confirmed`` are yes/no, ``respondent`` is who is typing.
Findings are never coded here: they go through ``bot.nlp.interpret``. The intent
Rasa's NLU found is a hint; the words decide when they are clear (general knowledge
of how people say yes and no).
"""

from __future__ import annotations

import re

#: Intents that mean yes / no (see data/nlu/).
AFFIRM_INTENTS = frozenset({"affirm"})
DENY_INTENTS = frozenset({"deny"})
#: How sure NLU must be before its intent alone decides a yes/no.
INTENT_CONFIDENCE = 0.7

_YES = re.compile(
    r"^\s*(y|ye+s+|yeah|yea|yep|yup|ya|sure|ok|okay|k|fine|of course|certainly|absolutely|"
    r"agreed?|correct|right|go ahead|alright|all right|please do|that's fine)\b"
    r"|\b(i agree|i do agree|i consent|go ahead|that'?s (all )?(correct|right|fine)|"
    r"(all|looks|it'?s|everything( is)?|that'?s) (good|correct|right|fine)|no problem|"
    r"no worries)\b",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\s*(n|no+|nope|nah|never|not really|not now)\b"
    r"|\b(don'?t agree|do not agree|disagree|rather not|not correct|not right|isn'?t right|"
    r"isn'?t correct|that'?s wrong|is wrong|are wrong|incorrect|don'?t want|do not want|"
    r"mistake)\b",
    re.IGNORECASE,
)
_NO_PROBLEM = re.compile(r"\bno (problem|worries)\b", re.IGNORECASE)


def yes_no(text: str, intent: str | None = None, confidence: float = 1.0) -> str | None:
    """``"yes"``, ``"no"`` or ``None`` (unclear) for a reply to a yes/no question."""
    cleaned = _NO_PROBLEM.sub("", text)
    said_yes = bool(_YES.search(text))
    said_no = bool(_NO.search(cleaned))
    if said_yes != said_no:
        return "yes" if said_yes else "no"
    if confidence >= INTENT_CONFIDENCE:
        if intent in AFFIRM_INTENTS:
            return "yes"
        if intent in DENY_INTENTS:
            return "no"
    return None


_FAMILY = (
    r"son|daughter|child|kid|kids|baby|toddler|boy|girl|mum|mom|mommy|mummy|mother|dad|daddy|"
    r"father|husband|wife|partner|brother|sister|grandma|grandmother|granny|grandpa|"
    r"grandfather|grandson|granddaughter|aunt|uncle|niece|nephew|friend|spouse|fiance|fiancee"
)
_OPTION = re.compile(r"^\s*\(?([123])\)?\.?\s*$")
_SELF = re.compile(
    r"\b(i'?m the patient(?!'s)|i am the patient(?!'s)|it'?s me|myself|for me|about me|"
    r"i'?m the one|me,? the patient|patient myself|the patient$)\b",
    re.IGNORECASE,
)
_CLINICIAN_STRONG = re.compile(
    r"\b(my patient|a patient of mine|patient of mine|one of my patients|resident|registrar|"
    r"clinician|physician|attending|consultant|fellow|intern|medical student|"
    r"rheumatologist|dermatologist|nephrologist|describing a case|a case|healthcare "
    r"professional|health care professional|hcp)\b",
    re.IGNORECASE,
)
_PROXY = re.compile(
    rf"\b(for my|on (his|her|their) behalf|on behalf|for (him|her|them)|carer|caregiver|"
    rf"care giver|parent|guardian|family|relative|someone else|somebody else|another person|"
    rf"(my|our|the patient'?s|his|her|their) ({_FAMILY})|{_FAMILY}|proxy)\b",
    re.IGNORECASE,
)
_CLINICIAN_WEAK = re.compile(r"\b(doctor|dr|nurse|gp|md|np|pa|medic|clinical)\b", re.IGNORECASE)
_PATIENT_WEAK = re.compile(r"\b(me|i'?m|i am|i|patient|mine|myself)\b", re.IGNORECASE)


def respondent_of(text: str) -> str | None:
    """``patient``, ``proxy``, ``clinician`` or ``None`` for the answer to "who is answering?"."""
    option = _OPTION.match(text)
    if option:
        return ("patient", "proxy", "clinician")[int(option.group(1)) - 1]
    if _SELF.search(text):
        return "patient"
    if _CLINICIAN_STRONG.search(text):
        return "clinician"
    if _PROXY.search(text):
        return "proxy"
    if _CLINICIAN_WEAK.search(text):
        return "clinician"
    if _PATIENT_WEAK.search(text):
        return "patient"
    return None


# How people say they are correcting themselves (general knowledge of English usage).
_BACKWARD = (
    r"i meant|meant to say|i was wrong|got (that|it) wrong|made a mistake|my mistake|my bad|"
    r"mistake|oops|typo|misspoke|mis-?typed|scratch that|wrong answer|"
    r"(last|previous|earlier) answer|change (my|that|the) (last )?answer|go back|"
    r"(was|were|is|'s) (wrong|incorrect|not right|a typo|a mistake)|i got it wrong"
)
_CORRECTION = re.compile(
    rf"\b({_BACKWARD}|actually|correction|i said|on second thought|thinking about it|"
    r"come to think of it|now that i think|i take (that|it) back|should have been|"
    r"sorry,? (no|nope|yes|yeah|wrong|not)|wait,? (no|yes|actually|not)|erratum|amend)\b",
    re.IGNORECASE,
)
_REFERS_BACK = re.compile(rf"\b({_BACKWARD})\b", re.IGNORECASE)


def is_correction(text: str) -> bool:
    """Whether ``text`` is worded as a correction ("actually...", "I meant...", "sorry, no")."""
    return bool(_CORRECTION.search(text))


def refers_back(text: str) -> bool:
    """Whether a correction points at an earlier answer ("I meant yes", "typo, 56").

    "Actually no" alone answers the question just asked; "I meant no" does not.
    """
    return bool(_REFERS_BACK.search(text))


# How people say they are ready to go on after a pause or a warning (general usage).
_RESUME = re.compile(
    r"\b(carry on|carrying on|continue|continuing|go on|let'?s go on|keep going|resume|"
    r"back now|i'?m back|we'?re back|ready( now| to (carry on|continue|go on))?|"
    r"(i'?m|i am|she'?s|he'?s|they'?re|we'?re|all|it'?s|(s?he|they|it|we) (is|are)) "
    r"(ok|okay|fine|alright|all right|good|safe|better)( now)?|"
    r"false alarm|it'?s passed|it passed|it'?s gone|gone now|settled now)\b",
    re.IGNORECASE,
)


def resumes(text: str) -> bool:
    """Whether ``text`` says the person can go on ("carry on", "I'm ok now", "false alarm")."""
    return bool(_RESUME.search(text))
