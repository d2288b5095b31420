"""What the widget shows around the messages: answer buttons, progress, urgent care.

Computed from the Rasa tracker after every turn (and on resume) and sent to the
widget as one ``calx_state`` event, so the dialogue only has to send text:

- ``input``: how the open question may be answered: ``choice`` (buttons),
  ``multi`` (checkboxes), ``number`` or ``text``, with an "I don't know" option for
  findings. Free text is always allowed besides. Each option's ``payload`` is the
  text sent when it is chosen; for findings it is checked once to be coded to that
  value by ``bot.nlp.interpret``, the code path every typed answer takes.
- ``questions_left``: the engine's estimate while findings are asked.
- ``red_flags``: the urgent advice that applies (the widget shows urgent-care links).
- ``finished``: the interview is over (confirmed, or consent declined).
- ``transcript`` (on resume only): the session's messages, to redraw after a reload.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from bot import workup
from bot.export import bodymap
from bot.interview import emergency, readback, wording
from bot.interview.turn import (
    AWAITING_CHANGE,
    CONSENT,
    EMERGENCY,
    RESPONDENT,
    SUMMARY_CONFIRMED,
    answer_choices,
)
from bot.knowledge import UNKNOWN, get_dictionary

REQUESTED_SLOT = "requested_slot"
#: Most messages replayed on resume (the latest ones).
MAX_TRANSCRIPT = 300
YES = {"value": "yes", "label": "Yes", "payload": "Yes"}
NO = {"value": "no", "label": "No", "payload": "No"}
DONT_KNOW = {"value": UNKNOWN, "label": "I don't know", "payload": "I don't know"}
NOTHING_TO_ADD = {"value": "", "label": "Nothing to add", "payload": "Nothing to add"}
RESPONDENTS = (
    {"value": "patient", "label": "I'm the patient", "payload": "I'm the patient"},
    {
        "value": "proxy",
        "label": "I'm answering for someone else",
        "payload": "I'm answering for someone else",
    },
)  # the widget is never staff: no clinician option (``bot.interview.turn.STAFF_CHANNELS``)


def _understood(code: str, value: str, text: str) -> bool:
    from bot.nlp import interpret

    multi = get_dictionary().finding(code).type == "multi" and value != UNKNOWN
    expected: Any = [value] if multi else value
    return bool(interpret(code, text, {}).value == expected)


@cache
def dont_know(code: str) -> list[dict[str, str]]:
    """The "I don't know" option, unless the finding has a value of its own for it.

    (``lesion_consistency`` codes "I don't know" as ``unsure``: that option serves.)
    """
    return [DONT_KNOW] if _understood(code, UNKNOWN, DONT_KNOW["payload"]) else []


@cache
def value_option(code: str, value: str) -> dict[str, str]:
    """The option for one value of an enum/multi finding: its words, and the text to send.

    The words of the read-back are sent if they are understood as that value, else
    the value's name in words, else the words anyway (then the answer is re-asked).
    """
    label = wording.value_text(code, value)
    candidates = [label, value.replace("_", " ")]
    payload = next((text for text in candidates if _understood(code, value, text)), label)
    return {"value": value, "label": label, "payload": payload}


def question_input(slot: str | None, slots: Mapping[str, Any]) -> dict[str, Any] | None:
    """How the question for ``slot`` may be answered (``None``: nothing is asked)."""
    if slot is None:
        return None
    if slot == CONSENT:
        return {"kind": "choice", "options": [YES, NO]}
    if slot == SUMMARY_CONFIRMED:
        findings = {c: slots[c] for c in get_dictionary().findings if slots.get(c) is not None}
        if slots.get(AWAITING_CHANGE):  # pick the answer to change by its number
            options = [
                {
                    "value": code,
                    "label": f"{wording.label(code, None)}: "
                    f"{wording.value_text(code, findings[code])}",
                    "payload": str(number),
                }
                for number, code in enumerate(answer_choices(findings), 1)
            ]
            return {"kind": "choice", "options": options}
        return {"kind": "choice", "options": [YES, NO]}
    if slot == RESPONDENT:
        return {"kind": "choice", "options": list(RESPONDENTS)}
    findings = get_dictionary().findings
    if slot not in findings:
        return {"kind": "text", "options": []}
    finding = findings[slot]
    if finding.type == "bool":
        return {"kind": "choice", "options": [YES, NO, *dont_know(slot)]}
    if finding.type in ("enum", "multi"):
        options = [value_option(slot, value) for value in finding.values]
        kind = "choice" if finding.type == "enum" else "multi"
        return {"kind": kind, "options": [*options, *dont_know(slot)]}
    if finding.type == "int":
        return {"kind": "number", "options": dont_know(slot)}
    return {"kind": "text", "options": [NOTHING_TO_ADD]}


def widget_input(slot: str | None, slots: Mapping[str, Any]) -> dict[str, Any] | None:
    """:func:`question_input` with what only the widget draws beside the options.

    The read-back's card (each answer a button back to its question) below the Yes / No
    of "is that all correct?", and the body map beside the list of sites. Slack and Teams
    take the options alone (:func:`bot.channels.base.answer_buttons`).
    """
    shown = question_input(slot, slots)
    if shown is None:
        return None
    if slot == SUMMARY_CONFIRMED and not slots.get(AWAITING_CHANGE):
        findings = {c: slots[c] for c in get_dictionary().findings if slots.get(c) is not None}
        shown["card"] = readback.card(findings, None)
    if slot == bodymap.FINDING:  # the sites also as toggles on the body map
        shown["map"] = bodymap.svg(bodymap.chosen(slots.get(slot)), interactive=True)
    return shown


def widget_state(slots: Mapping[str, Any], active_loop: str | None) -> dict[str, Any]:
    """The state the widget shows for a tracker's slots (see the module's docstring)."""
    findings = {
        code: slots[code] for code in get_dictionary().findings if slots.get(code) is not None
    }
    requested = slots.get(REQUESTED_SLOT) if active_loop else None
    asking = str(requested) if requested else None
    respondent = slots.get(RESPONDENT)
    clinician = respondent == "clinician"
    finished = not asking and (slots.get(CONSENT) == "no" or slots.get(SUMMARY_CONFIRMED) == "yes")
    left = None
    if asking in get_dictionary().findings:
        left = workup.questions_left(findings)
    flags = [
        {"code": flag.code, "advice": flag.clinician if clinician else flag.advice}
        for flag in (workup.check_red_flags(findings) if findings else [])
    ]
    kind = slots.get(EMERGENCY)
    if kind:  # an emergency told and not yet over: first, with its advice
        advice = emergency.advice(str(kind), clinician=clinician)
        flags.insert(0, {"code": "emergency", "kind": kind, "advice": advice})
    return {
        "asking": asking,
        "input": widget_input(asking, slots),
        "questions_left": left,
        "red_flags": flags,
        "finished": finished,
        "respondent": respondent,
    }


def tracker_state(tracker: Any) -> dict[str, Any]:
    """:func:`widget_state` of a Rasa tracker (a new conversation if ``None``)."""
    if tracker is None:
        return widget_state({}, None)
    return widget_state(tracker.current_slot_values(), tracker.active_loop_name)


def transcript(tracker: Any) -> list[dict[str, Any]]:
    """The messages of the tracker's latest session, oldest first (hidden ones left out)."""
    if tracker is None:
        return []
    lines: list[dict[str, Any]] = []
    for event in tracker.events:
        kind = getattr(event, "type_name", None)
        if kind == "user":
            metadata = getattr(event, "metadata", None) or {}
            calx = metadata.get("calx") if isinstance(metadata, dict) else None
            if isinstance(calx, dict) and calx.get("hidden"):
                continue
            if event.text:
                lines.append({"from": "user", "text": str(event.text)})
        elif kind == "bot" and event.text:
            data = getattr(event, "data", None) or {}
            entry: dict[str, Any] = {"from": "bot", "text": str(event.text)}
            if isinstance(data, dict) and data.get("buttons"):
                entry["buttons"] = data["buttons"]
            lines.append(entry)
    return lines[-MAX_TRANSCRIPT:]
