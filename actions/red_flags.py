"""Red flags and facts said in passing, in messages that are not answers.

The form checks red flags after every answer (``bot.interview.turn.with_red_flags``).
A message that interrupts the interview ("why? there's pus coming out of one now")
goes to another action instead; those actions call :func:`absorb_mentions` so that
what it states is still noted and any red flag it makes true is told at once.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import base
from bot.interview.turn import Turn, merge_all, with_red_flags


def absorb_mentions(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Note the findings the latest message states (unanswered ones only); tell new red flags."""
    state = base.state_of(tracker)
    if state.consent != "yes" or state.respondent is None:
        return []
    text = base.message_text(tracker)
    if not text:
        return []
    turn = Turn()
    # not a correction: fills what is unanswered or unknown, never changes an answer
    for change in merge_all(state.findings, base.extractor()(text, state.findings)):
        turn.set_finding(change.code, change.new, text)
    turn = with_red_flags(state, turn)
    base.say(dispatcher, turn.messages)
    base.save_turn(tracker, turn.apply(state), turn)
    return base.slot_events(turn.slot_updates())
