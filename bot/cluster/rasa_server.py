"""One Rasa replica of the cluster: ``bot.runner.rasa_server`` with a fail-fast tracker store.

Two of Rasa's ways of carrying on after a failure lose an answer, so here they fail the
turn instead: nothing of it is stored and the REST channel (:mod:`bot.channels.rest`)
answers 503 and asks the person to send the message again.

- ``FailSafeTrackerStore`` carries on after a database error with an empty in-memory
  tracker: with several replicas that starts the interview over and keeps the turn in
  one replica's memory. Its own ``on_tracker_store_error`` hook raises instead.
- A custom action that fails (action server or database away) is logged and the turn
  goes on "without the action's events": the answer is taken in but never validated
  nor recorded. :class:`ActionServerUnavailable` ends the turn instead: it derives from
  ``BaseException`` because Rasa's processor catches every ``Exception`` there, and the
  agent turns it back into an ordinary error for the channel.

And one thing Rasa does not do: a message sent again with the same client ``message_id``
(the REST channel passes it on) is handled once (:func:`once_per_message_id`).

``python -m bot.cluster.rasa_server --model M --endpoints E --credentials C --port P``
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, NoReturn

log = logging.getLogger(__name__)
#: How many of a sender's last user events are checked for a repeated message id.
RECENT_USER_EVENTS = 3


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store failed; the message is not handled (and not stored)."""


class ActionServerUnavailable(BaseException):
    """A custom action could not run; the turn stops before anything is stored."""


def _raise(error: Exception) -> NoReturn:
    raise TrackerStoreUnavailable(type(error).__name__) from error


def fail_fast_tracker_store() -> None:
    """Make Rasa's agent raise on tracker store errors instead of falling back to memory."""
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import FailSafeTrackerStore

    def create(store: Any, domain: Any) -> Any:
        if store is not None:
            store.domain = domain
            return FailSafeTrackerStore(store, on_tracker_store_error=_raise)
        return original(store, domain)  # no store configured: Rasa's in-memory default

    original = Agent._create_tracker_store
    Agent._create_tracker_store = staticmethod(create)


def fail_fast_actions() -> None:
    """Make a failed custom action end the turn (a rejected form slot still does not)."""
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction

    original = RemoteAction.run

    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        except ActionExecutionRejection:
            raise
        except Exception as error:
            raise ActionServerUnavailable(type(error).__name__) from error

    RemoteAction.run = run
    _agent_raises_ordinary_errors()


def _agent_raises_ordinary_errors() -> None:
    """Past the processor, an action failure is an ordinary error the channels catch."""
    from rasa.core.agent import Agent

    handle = Agent.handle_message

    async def handle_message(self: Any, message: Any) -> Any:
        try:
            return await handle(self, message)
        except ActionServerUnavailable as error:
            raise RuntimeError(f"custom action failed ({error})") from error

    Agent.handle_message = handle_message


def _taken_in(store: Any, sender_id: str, message_id: str) -> bool:
    """Whether one of the sender's last user events in Rasa's SQL store has ``message_id``."""
    sql = getattr(store, "_tracker_store", store)  # inside FailSafeTrackerStore
    if not hasattr(sql, "SQLEvent"):
        return False
    event = sql.SQLEvent
    with sql.session_scope() as session:
        rows = (
            session.query(event.data)
            .filter(event.sender_id == sender_id, event.type_name == "user")
            .order_by(event.id.desc())
            .limit(RECENT_USER_EVENTS)
            .all()
        )
    return any(json.loads(data).get("message_id") == message_id for (data,) in rows)


def once_per_message_id() -> None:
    """A message whose client ``message_id`` is already in the tracker is not handled again.

    A client that got no answer (a replica killed, HAProxy's timeout) sends the message
    again unless the tracker shows it; if the first copy was still running then, it is
    stored by the time the second one gets the conversation's lock, and the second one
    does nothing. Rasa makes a new id for a message without one, so those always run.
    """
    from rasa.core.processor import MessageProcessor

    handle = MessageProcessor.handle_message

    async def handle_message(self: Any, message: Any) -> Any:
        if message.message_id and _taken_in(
            self.tracker_store, message.sender_id, message.message_id
        ):
            log.info("message already taken in: not handled again")
            return None
        return await handle(self, message)

    MessageProcessor.handle_message = handle_message


def main(argv: list[str] | None = None) -> None:
    """Patch, then run the Rasa server as ``make run`` does (does not return until it stops)."""
    from bot.runner.rasa_server import main as run_rasa

    fail_fast_tracker_store()
    fail_fast_actions()
    once_per_message_id()
    run_rasa(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
