"""One turn of the interview, as plain Python: what an answer changes and what comes next.

The Rasa actions read an :class:`InterviewState` from the tracker's slots, call one
of the ``answer_*`` functions with the person's message, and turn the resulting
:class:`Turn` into slot events and bot messages. Nothing here knows about Rasa.

- A finding's answer is coded by ``bot.nlp.interpret`` (passed in as ``interpret``);
  other findings mentioned in passing fill their still-empty (or ``unknown``) slots. A
  mention that contradicts an earlier answer changes it only in a correction (intent
  ``correct`` or wording such as "actually", "I meant", "sorry, no"), and the change is
  confirmed to the person.
- An answer not understood is re-asked (at most ``MAX_REASKS`` times), then stored as
  ``unknown``. Nothing is ever guessed.
- Red flags are checked after every turn; each is told once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot import workup
from bot.interview import wording
from bot.interview.replies import is_correction as correction_wording
from bot.interview.replies import refers_back, respondent_of, yes_no
from bot.knowledge import UNKNOWN, get_dictionary

# Slots of the dialogue besides the findings (see domain.yml).
CONSENT = "consent"
RESPONDENT = "respondent"
SUMMARY_CONFIRMED = "summary_confirmed"
REASKS = "reask_count"
FLAGS_TOLD = "red_flags_told"
LAST_ANSWERED = "last_answered"
AWAITING_CHANGE = "awaiting_change"
PROGRESS_NOTED = "progress_noted"
#: Set when the interview ended (confirmed, or consent declined); rules read it.
INTERVIEW_OVER = "interview_over"
#: The kind of the emergency the person was told about, while the interview waits for them.
EMERGENCY = "emergency"
#: The intent the NLU gives a message the emergency screen found (bot.nlp.emergency).
EMERGENCY_INTENT = "emergency"
#: A finding the person asked to go back to: asked next, whatever the engine would ask.
REOPEN = "reopen"
#: Findings read from a pasted document, kept aside until the person says yes.
PENDING = "pending"
#: Slots the interview may request besides findings (the contract's list).
CONTROL_REQUESTS = (CONSENT, RESPONDENT, SUMMARY_CONFIRMED)
#: Every dialogue slot that is not a finding, with its value at the start.
CONTROL_SLOTS: dict[str, Any] = {
    CONSENT: None,
    RESPONDENT: None,
    SUMMARY_CONFIRMED: None,
    REASKS: 0,
    FLAGS_TOLD: [],
    LAST_ANSWERED: None,
    AWAITING_CHANGE: False,
    PROGRESS_NOTED: 0,
    INTERVIEW_OVER: None,
    EMERGENCY: None,
    REOPEN: None,
    PENDING: None,
}
#: The intent of a message that corrects an earlier answer (data/nlu/corrections.yml).
CORRECT_INTENT = "correct"
#: Intents that interrupt the interview rather than answer the open question.
INTERRUPTIONS = frozenset(
    {
        "ask_why",
        "ask_calcinosis",
        "ask_about",
        "out_of_scope",
        "pause",
        "start_over",
        "greet",
        "goodbye",
        "resume",
    }
)
#: Below this NLU confidence an interruption intent loses to an answer that was understood.
INTERRUPTION_CONFIDENCE = 0.8
#: Input channels (``bot.channels``) that verify every request and say who is typing in the
#: message metadata ``{"calx": {"respondent": ...}}``: Slack and Teams (Bot Framework).
#: Metadata of other channels (REST, the widget) is never trusted for this.
RESPONDENT_CHANNELS = frozenset({"slack", "botframework"})
#: Channels that may mark a message as sent by staff (``{"calx": {"staff": true}}``, set by
#: the channel after its own check: the workspace or tenant, or REST's service token). Only
#: staff may be a clinician respondent; the widget never is.
STAFF_CHANNELS = RESPONDENT_CHANNELS | {"rest"}
#: Channels that show the interview's state themselves (the widget: its progress line and
#: the read-back as a card of answer buttons): their questions carry no "(about N questions
#: left)" note, which would say another number, and the read-back is not repeated as text.
STATE_SHOWN_CHANNELS = frozenset({"socketio"})
CLINICIAN = "clinician"


class Interpretation(Protocol):
    """What ``bot.nlp.interpret`` returns."""

    @property
    def value(self) -> Any:
        """The coded value for the finding asked, ``unknown``, or ``None`` (not understood)."""

    @property
    def mentions(self) -> Mapping[str, Any]:
        """Other findings stated explicitly in the same message."""


Interpreter = Callable[[str, str, Mapping[str, Any]], Interpretation]
Extractor = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class InterviewState:
    """Everything the interview knows about one conversation (from the tracker's slots)."""

    findings: dict[str, Any] = field(default_factory=dict)
    consent: str | None = None
    respondent: str | None = None
    summary_confirmed: str | None = None
    reasks: int = 0
    flags_told: tuple[str, ...] = ()
    last_answered: str | None = None
    awaiting_change: bool = False
    progress_noted: int = 0
    #: The kind of emergency told, while the interview waits ("carry on" resumes it).
    emergency: str | None = None
    #: A finding to ask again now (the person asked to go back to it).
    reopen: str | None = None
    #: Findings a pasted document states, waiting for the person's yes.
    pending: Mapping[str, Any] | None = None
    #: Whether the latest message came from staff (a verified channel): only then may the
    #: respondent be a clinician and see a differential.
    staff: bool = False
    #: Whether the channel shows the state itself (progress, the read-back card).
    state_shown: bool = False

    @property
    def clinician(self) -> bool:
        """Whether a clinician is answering, on a staff channel (differential and workup shown)."""
        return self.respondent == CLINICIAN and self.staff

    @classmethod
    def from_slots(
        cls, slots: Mapping[str, Any], *, staff: bool = False, state_shown: bool = False
    ) -> InterviewState:
        """Build the state from slot values (findings are the slots named by finding codes)."""
        codes = get_dictionary().findings
        return cls(
            staff=staff,
            state_shown=state_shown,
            findings={c: slots[c] for c in codes if slots.get(c) is not None},
            consent=slots.get(CONSENT),
            respondent=slots.get(RESPONDENT),
            summary_confirmed=slots.get(SUMMARY_CONFIRMED),
            reasks=int(slots.get(REASKS) or 0),
            flags_told=tuple(slots.get(FLAGS_TOLD) or ()),
            last_answered=slots.get(LAST_ANSWERED),
            awaiting_change=bool(slots.get(AWAITING_CHANGE)),
            progress_noted=int(slots.get(PROGRESS_NOTED) or 0),
            emergency=slots.get(EMERGENCY),
            reopen=slots.get(REOPEN),
            pending=slots.get(PENDING),
        )


@dataclass(frozen=True)
class Change:
    """A finding set by a mention or a correction: ``old`` is ``None`` if it was unanswered."""

    code: str
    old: Any
    new: Any

    @property
    def kind(self) -> str:
        """``new`` (was unanswered), ``added`` (places added to a list) or ``changed``."""
        if self.old is None:
            return "new"
        if (
            isinstance(self.old, list)
            and isinstance(self.new, list)
            and set(self.old) < set(self.new)
        ):
            return "added"
        return "changed"

    def message(self, respondent: str | None, *, explicit: bool = False) -> str | None:
        """What to tell the person about this change (``None`` for a silent fill).

        A finding newly filled in passing is silent; one the person explicitly
        corrected is confirmed too.
        """
        label = wording.label(self.code, respondent)
        if self.kind == "new":
            if not explicit:
                return None
            return wording.text(
                "noted_value",
                respondent,
                label=label,
                value=wording.value_text(self.code, self.new),
            )
        if self.kind == "added":
            extra = [v for v in self.new if v not in self.old]
            return wording.text(
                "added", respondent, label=label, value=wording.value_text(self.code, extra)
            )
        return wording.text(
            "changed", respondent, label=label, value=wording.value_text(self.code, self.new)
        )


@dataclass
class Turn:
    """What one message changes: slots to set, messages to send, answers to store."""

    findings: dict[str, Any] = field(default_factory=dict)
    slots: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    answers: dict[str, tuple[Any, str]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    red_flags: list[workup.RedFlag] = field(default_factory=list)
    #: Lab results a clinician stated in the message ({lab code: value}), stored with it.
    labs: dict[str, str] = field(default_factory=dict)

    def set_finding(self, code: str, value: Any, words: str) -> None:
        """Set ``code`` to ``value``, keeping the person's ``words`` for the store."""
        self.findings[code] = value
        self.answers[code] = (value, words)

    def slot_updates(self) -> dict[str, Any]:
        """Every slot this turn sets (findings and dialogue slots)."""
        return {**self.findings, **self.slots}

    def apply(self, state: InterviewState) -> InterviewState:
        """The state after this turn."""
        slots = self.slots
        return replace(
            state,
            findings={**state.findings, **self.findings},
            consent=slots.get(CONSENT, state.consent),
            respondent=slots.get(RESPONDENT, state.respondent),
            summary_confirmed=slots.get(SUMMARY_CONFIRMED, state.summary_confirmed),
            reasks=int(slots.get(REASKS, state.reasks)),
            flags_told=tuple(slots.get(FLAGS_TOLD, state.flags_told)),
            last_answered=slots.get(LAST_ANSWERED, state.last_answered),
            awaiting_change=bool(slots.get(AWAITING_CHANGE, state.awaiting_change)),
            progress_noted=int(slots.get(PROGRESS_NOTED, state.progress_noted)),
            emergency=slots.get(EMERGENCY, state.emergency),
            reopen=slots.get(REOPEN, state.reopen),
            pending=slots.get(PENDING, state.pending),
        )


# -- what is asked next ------------------------------------------------------------------------


def next_slot(state: InterviewState) -> str | None:
    """The slot to request next: consent, respondent, a finding, the read-back, or ``None``."""
    if state.consent is None:
        return CONSENT
    if state.consent != "yes":
        return None
    if state.respondent is None:
        return RESPONDENT
    if state.reopen in get_dictionary().findings:
        return state.reopen
    code = workup.next_question(state.findings)
    if code is not None:
        return code
    if state.summary_confirmed != "yes":
        return SUMMARY_CONFIRMED
    return None


def _calx(metadata: Mapping[str, Any] | None) -> Mapping[str, Any]:
    calx = metadata.get("calx") if isinstance(metadata, Mapping) else None
    return calx if isinstance(calx, Mapping) else {}


def is_staff(input_channel: str | None, metadata: Mapping[str, Any] | None) -> bool:
    """Whether a message comes from staff, as its channel verified (never the client's word)."""
    return input_channel in STAFF_CHANNELS and _calx(metadata).get("staff") is True


def channel_respondent(input_channel: str | None, metadata: Mapping[str, Any] | None) -> str | None:
    """Who is typing, when a verified channel says so (residents on Slack or Teams)."""
    if input_channel not in RESPONDENT_CHANNELS or not is_staff(input_channel, metadata):
        return None
    who = _calx(metadata).get("respondent")
    return who if who in wording.RESPONDENTS else None


def is_interruption(intent: str | None, confidence: float, value: Any) -> bool:
    """Whether a message is an interruption (why, FAQ, pause...) rather than an answer.

    An interruption intent wins unless the answer was understood (``unknown``
    included) and NLU was unsure, so that a plain answer is never swallowed by a
    doubtful intent.
    """
    if intent not in INTERRUPTIONS:
        return False
    return value is None or confidence >= INTERRUPTION_CONFIDENCE


def canonical(code: str, value: Any) -> Any:
    """``value`` in the dictionary's canonical form, or ``None`` if it is not allowed."""
    if value is None:
        return None
    try:
        return get_dictionary().finding(code).check(value)
    except (KeyError, ValueError):
        return None


# -- merging mentions and corrections ----------------------------------------------------------


def merge(code: str, old: Any, new: Any, *, explicit: bool = False) -> Change | None:
    """The change a newly stated value makes to an answer, or ``None`` if it changes nothing.

    A value said in passing fills a finding not answered yet or answered ``unknown``,
    and places (multi findings) said in passing are added to those known. Only an
    explicit correction (``explicit``) changes an answer given, replaces places, or
    sets ``unknown``.
    """
    new = canonical(code, new)
    if new is None or new == old or (new == UNKNOWN and not explicit):
        return None
    if old is None or old == UNKNOWN:
        return Change(code, old, new)
    if isinstance(old, list) and isinstance(new, list) and not explicit:
        values = get_dictionary().finding(code).values
        merged = sorted(set(old) | set(new), key=values.index)
        return Change(code, old, merged) if merged != old else None
    return Change(code, old, new) if explicit else None


def merge_all(
    findings: Mapping[str, Any],
    mentions: Mapping[str, Any],
    *,
    exclude: Iterable[str] = (),
    explicit: bool = False,
) -> list[Change]:
    """The changes a set of mentioned findings makes, in dictionary order."""
    skip = set(exclude)
    codes = [c for c in get_dictionary().findings if c in mentions and c not in skip]
    changes = (merge(c, findings.get(c), mentions[c], explicit=explicit) for c in codes)
    return [change for change in changes if change is not None]


def _record_changes(
    turn: Turn, changes: list[Change], words: str, respondent: str | None, *, explicit: bool
) -> None:
    for change in changes:
        turn.set_finding(change.code, change.new, words)
        turn.changes.append(change)
        message = change.message(respondent, explicit=explicit)
        if message:
            turn.messages.append(message)


def correction(state: InterviewState, text: str, mentions: Mapping[str, Any]) -> Turn:
    """The turn for an explicit correction stating ``mentions`` (empty if nothing changes)."""
    turn = Turn()
    changes = merge_all(state.findings, mentions, explicit=True)
    _record_changes(turn, changes, text, state.respondent, explicit=True)
    return with_red_flags(state, turn)


# -- answers -------------------------------------------------------------------------------------


def is_correction(text: str, intent: str | None = None) -> bool:
    """Whether a message corrects an answer: intent ``correct`` or correction wording."""
    return intent == CORRECT_INTENT or correction_wording(text)


def answer_finding(
    state: InterviewState,
    code: str,
    text: str,
    result: Interpretation,
    *,
    intent: str | None = None,
    interpret: Interpreter | None = None,
) -> Turn:
    """The turn for ``text`` given as the answer to finding ``code``."""
    turn = Turn()
    respondent = state.respondent
    explicit = is_correction(text, intent)
    mentions = {c: v for c, v in (result.mentions or {}).items() if c != code}
    changes = merge_all(state.findings, mentions, explicit=explicit)
    value = canonical(code, result.value)
    if explicit and mentions:
        value = None  # "actually I do get white fingers" corrects that, it answers nothing else
    elif explicit and interpret is not None and (_about_last(text, state) or value is None):
        # "sorry, I meant yes" is about the previous answer, not the question just asked
        changes = _correct_last_answer(state, code, text, interpret)
        value = None if changes else value
    _record_changes(turn, changes, text, respondent, explicit=explicit)
    if value is not None:
        turn.set_finding(code, value, text)
        turn.slots[REASKS] = 0
        turn.slots[LAST_ANSWERED] = code
        if state.reopen == code:
            turn.slots[REOPEN] = None
    elif changes:
        if not turn.messages:
            turn.messages.append(wording.text("noted_other", respondent))
        turn.slots[REASKS] = 0
    elif state.reasks + 1 > wording.MAX_REASKS:
        turn.set_finding(code, UNKNOWN, text)
        turn.messages.append(wording.text("gave_up", respondent))
        turn.slots[REASKS] = 0
        turn.slots[LAST_ANSWERED] = code
    else:
        turn.slots[REASKS] = state.reasks + 1
    return with_red_flags(state, turn)


def _about_last(text: str, state: InterviewState) -> bool:
    """Whether correction wording points back ("I meant..."), not at a question re-asked."""
    return refers_back(text) and not state.reasks


def _correct_last_answer(
    state: InterviewState, code: str, text: str, interpret: Interpreter
) -> list[Change]:
    """A correction naming nothing ("sorry, I meant yes") applies to the previous answer."""
    last = state.last_answered
    if last is None or last == code or last not in state.findings:
        return []
    context = {c: v for c, v in state.findings.items() if c != last}
    change = merge(last, state.findings[last], interpret(last, text, context).value, explicit=True)
    return [change] if change is not None else []


def answer_consent(state: InterviewState, text: str, intent: str | None, confidence: float) -> Turn:
    """The turn for the answer to the consent question."""
    turn = Turn()
    answer = yes_no(text, intent, confidence)
    if answer is None:
        turn.slots[REASKS] = state.reasks + 1
    else:
        turn.slots[CONSENT] = answer
        turn.slots[REASKS] = 0
        if answer == "yes" and state.respondent is not None:  # known from the channel
            turn.messages.append(wording.text("intro", state.respondent))
    return turn


def answer_respondent(state: InterviewState, text: str) -> Turn:
    """The turn for the answer to "who is answering?".

    A clinician is taken only from staff (:func:`is_staff`); anyone else who says they are
    one is told where the clinicians' Calx is and asked again, as patient or proxy.
    """
    turn = Turn()
    who = respondent_of(text)
    if who == CLINICIAN and not state.staff:
        turn.messages.append(wording.text("clinician_elsewhere"))
        turn.slots[REASKS] = state.reasks + 1
    elif who is None:
        turn.slots[REASKS] = state.reasks + 1
    else:
        turn.slots[RESPONDENT] = who
        turn.slots[REASKS] = 0
        turn.messages.append(wording.text("intro", who))
    return turn


def answer_summary(
    state: InterviewState,
    text: str,
    intent: str | None,
    confidence: float,
    extract: Extractor,
) -> Turn:
    """The turn for the reply to the read-back: yes, no, a correction, or which one to change.

    After "no" the person picks an answer by its number in the list (:func:`answer_choices`)
    or by saying the right answer; a number reopens that question.
    """
    if state.awaiting_change:
        picked = picked_answer(text, state.findings)
        if picked is not None:
            turn = Turn()
            turn.slots[REOPEN] = picked
            turn.slots[AWAITING_CHANGE] = False
            turn.slots[SUMMARY_CONFIRMED] = None
            turn.slots[REASKS] = 0
            return turn
    turn = correction(state, text, extract(text, state.findings))
    answer = yes_no(text, intent, confidence)
    if turn.changes:
        turn.slots[AWAITING_CHANGE] = False
        turn.slots[SUMMARY_CONFIRMED] = None
        turn.slots[REASKS] = 0
    elif answer == "yes":
        turn.slots[SUMMARY_CONFIRMED] = "yes"
        turn.slots[AWAITING_CHANGE] = False
    elif answer == "no" and not state.awaiting_change:
        turn.slots[AWAITING_CHANGE] = True
        turn.slots[REASKS] = 0
    else:
        turn.slots[REASKS] = state.reasks + 1
    return turn


def answer_choices(findings: Mapping[str, Any]) -> list[str]:
    """The answered findings the person may pick to change, in read-back order."""
    return [code for code in get_dictionary().findings if code in findings]


def picked_answer(text: str, findings: Mapping[str, Any]) -> str | None:
    """The finding a reply like "3" or "number 3" picks from :func:`answer_choices`."""
    import re

    match = re.fullmatch(r"\s*(?:no\.?|number|#)?\s*(\d{1,2})\s*\.?\s*", text, re.IGNORECASE)
    choices = answer_choices(findings)
    if match and 1 <= int(match.group(1)) <= len(choices):
        return choices[int(match.group(1)) - 1]
    return None


# -- red flags -----------------------------------------------------------------------------------


def red_flag_message(flag: workup.RedFlag, respondent: str | None) -> str:
    """How a red flag is told: plain advice for a patient or proxy, the clinical line otherwise."""
    advice = flag.clinician if respondent == CLINICIAN else flag.advice
    return wording.text("red_flag", respondent, advice=advice)


def with_red_flags(state: InterviewState, turn: Turn) -> Turn:
    """Add the red flags that became true with this turn (each told once) to ``turn``."""
    if not turn.findings:
        return turn
    findings = {**state.findings, **turn.findings}
    told = list(state.flags_told)
    for flag in workup.check_red_flags(findings):
        if flag.code in told:
            continue
        told.append(flag.code)
        turn.red_flags.append(flag)
        turn.messages.append(red_flag_message(flag, state.respondent))
    if turn.red_flags:
        turn.slots[FLAGS_TOLD] = told
        turn.messages.append(wording.text("red_flag_continue", state.respondent))
    return turn


# -- progress ------------------------------------------------------------------------------------

#: Say "(about N questions left)" at most once per this many answered findings...
PROGRESS_EVERY = 6
#: ...and only while at least this many are left.
PROGRESS_MIN_LEFT = 3


def progress_note(state: InterviewState) -> tuple[str | None, int]:
    """The progress note to add to the next question, if due, and the new ``progress_noted``."""
    answered = len(state.findings)
    if state.state_shown or answered - state.progress_noted < PROGRESS_EVERY:
        return None, state.progress_noted
    left = workup.questions_left(state.findings)
    if left < PROGRESS_MIN_LEFT:
        return None, state.progress_noted
    return wording.text("progress", state.respondent, n=left), answered
