"""A short scripted interview for the widget's browser tests (no Rasa model needed).

It asks like the real dialogue (the same slots, wording from ``bot.interview``, answers
coded by ``bot.nlp.interpret``) but in a fixed order, so the widget's mechanics are
tested on their own; the real dialogue is driven by ``test_widget_e2e.py``.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActiveLoop, SlotSet

from bot import workup
from bot.interview import wording
from bot.interview.replies import respondent_of, yes_no
from bot.nlp import interpret

ORDER = [
    "consent",
    "respondent",
    "raynaud",
    "lesion_locations",
    "lesion_infection_signs",
    "age",
    "summary_confirmed",
]


CONTROL = ("consent", "respondent", "summary_confirmed")


class ScriptedInterview:
    """``reply(message)`` for :class:`harness.ScriptedAgent`."""

    def __init__(self) -> None:
        self.step: dict[str, int] = {}
        self.slots: dict[str, dict[str, Any]] = {}
        self.told: dict[str, list[str]] = {}

    def question(self, slot: str, respondent: str | None, *, again: bool = False) -> str:
        if slot == "summary_confirmed":
            return wording.text("readback_question", respondent)
        if slot in CONTROL:
            return wording.text(f"{slot}_{'reask' if again else 'question'}")
        if again:
            return wording.reask(slot, respondent, 1)
        return wording.question(slot, respondent)

    def code(self, slot: str, text: str) -> Any:
        if slot in ("consent", "summary_confirmed"):
            return yes_no(text)
        if slot == "respondent":
            return respondent_of(text)
        return interpret(slot, text, {}).value

    def answer(self, sender: str, text: str) -> tuple[list[Any], bool]:
        """Code ``text`` for the open slot: events and messages, and whether it was understood."""
        slots = self.slots[sender]
        slot = ORDER[self.step[sender]]
        value = self.code(slot, text)
        if value is None:
            return [], False
        slots[slot] = value
        out: list[Any] = [SlotSet(slot, value)]
        findings = {k: v for k, v in slots.items() if k not in CONTROL}
        told = self.told.setdefault(sender, [])
        for flag in workup.check_red_flags(findings):
            if flag.code not in told:
                told.append(flag.code)
                out.append(wording.text("red_flag", slots.get("respondent"), advice=flag.advice))
        self.step[sender] += 1
        return out, True

    def __call__(self, message: UserMessage) -> list[Any]:
        sender = message.sender_id
        slots = self.slots.setdefault(sender, {})
        hidden = (message.metadata or {}).get("calx", {}).get("hidden")
        out: list[Any] = []
        again = False
        if hidden and sender not in self.step:
            self.step[sender] = 0
            out += [wording.text("greeting"), wording.text("privacy")]
        elif (message.text or "").lower() == "start over":
            self.step[sender] = 2
            for slot in ORDER[2:]:
                slots.pop(slot, None)
                out.append(SlotSet(slot, None))
            out.append(wording.text("start_over"))
        else:
            events, understood = self.answer(sender, message.text or "")
            out += events
            again = not understood
        if self.step[sender] >= len(ORDER):
            end = wording.text("end", slots.get("respondent"))
            return [*out, end, ActiveLoop(None), SlotSet("requested_slot", None)]
        slot = ORDER[self.step[sender]]
        question = self.question(slot, slots.get("respondent"), again=again)
        return [*out, question, ActiveLoop("interview_form"), SlotSet("requested_slot", slot)]
